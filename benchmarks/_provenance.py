"""Provenance of a benchmark record: date, commit, machine and load (shared by the ec scripts)."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import date


def provenance(load_before: tuple[float, float, float], **extra) -> dict:
    """Date, short commit, machine, the 1-min load average before and now, plus ``extra``."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    return {
        "date": str(date.today()),
        "commit": commit,
        "machine": f"{os.cpu_count()} CPU cores, {platform.platform()}",
        "load_before_after": [list(load_before), list(os.getloadavg())],
        **extra,
    }
