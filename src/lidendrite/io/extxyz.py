"""Write built structures as extended XYZ with per-atom ``region``/``layer`` and provenance."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms

from lidendrite.errors import InputError

__all__ = ["record_provenance", "write_structure", "read_structure"]


def record_provenance(atoms: Atoms, builder: str, params: dict[str, Any], **extra: Any) -> Atoms:
    """Store ``builder``, its keyword ``params`` (as a JSON string) and ``extra`` in ``atoms.info``.

    The JSON string survives an extended-XYZ round trip; scalars in ``extra``
    (e.g. ``lattice_mismatch_percent``) are stored as they are.
    """
    atoms.info["builder"] = builder
    atoms.info["params"] = json.dumps(_plain(params), sort_keys=True)
    for key, value in extra.items():
        atoms.info[key] = _plain(value)
    return atoms


def write_structure(atoms: Atoms, path: str | Path) -> Path:
    """Write ``atoms`` to ``path`` (extended XYZ) atomically, keeping arrays and info.

    Every atom must carry ``region`` (str) and ``layer`` (int); a missing
    array is an :class:`InputError`. The file appears only once complete, so
    an interrupted write never leaves a truncated structure behind.
    """
    from ase.io import write

    path = Path(path)
    for key in ("region", "layer"):
        if key not in atoms.arrays:
            raise InputError(f"{path}: structure has no per-atom array {key!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp, atoms, format="extxyz")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual mode
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def read_structure(path: str | Path) -> Atoms:
    """Read an extended-XYZ structure written by :func:`write_structure` (last frame)."""
    from ase.io import read

    path = Path(path)
    if not path.is_file():
        raise InputError(f"structure file not found: {path}")
    return read(path, format="extxyz", index=-1)


def _plain(value: Any) -> Any:
    """JSON-friendly copy: tuples/arrays to lists, numpy scalars to Python."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
