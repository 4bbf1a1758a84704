"""PLUMED COLVAR files (``#! FIELDS`` header, whitespace-separated columns)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from lidendrite.errors import InputError

__all__ = ["read_colvar"]


def read_colvar(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read a PLUMED COLVAR file into ``{field: array}`` (comment lines skipped)."""
    fields: list[str] | None = None
    rows: list[list[float]] = []
    for line in Path(path).read_text().splitlines():
        if line.startswith("#! FIELDS"):
            fields = line.split()[2:]
        elif line.strip() and not line.startswith("#"):
            rows.append([float(v) for v in line.split()])
    if fields is None:
        raise InputError(f"{path}: no '#! FIELDS' header (not a PLUMED COLVAR file)")
    data = np.array(rows, dtype=float).reshape(-1, len(fields))
    return {name: data[:, k] for k, name in enumerate(fields)}
