"""Shared pytest fixtures: repository paths and a CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# the real ci-scale run: by far the longest module. `make test` runs the suite on two
# pytest-xdist workers, one file per worker (--dist loadfile, collection order kept); this
# module goes first so that its Snakemake run overlaps the rest of the suite on the other core
FIRST = ("tests/workflow/test_ci_run.py",)


def pytest_collection_modifyitems(config, items):
    """Put the modules of :data:`FIRST` at the head of the collection (order otherwise kept)."""
    first = [i for i in items if i.nodeid.split("::", 1)[0] in FIRST]
    if first:
        items[:] = first + [i for i in items if i.nodeid.split("::", 1)[0] not in FIRST]


@pytest.fixture(scope="session")
def repo() -> Path:
    """Root of the checkout."""
    return REPO


def run_cmd(args: list[str], cwd: Path = REPO, timeout: float = 600, env: dict | None = None):
    """Run a command with the venv's bin first on PATH; return CompletedProcess (text)."""
    full_env = dict(os.environ)
    full_env["PATH"] = f"{BIN}{os.pathsep}{full_env.get('PATH', '')}"
    full_env.setdefault("MPLBACKEND", "Agg")
    if env:
        full_env.update(env)
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=full_env)


@pytest.fixture(scope="session")
def cmd():
    """The :func:`run_cmd` helper."""
    return run_cmd
