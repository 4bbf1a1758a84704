"""Fingerprints of long runs: digests of what a resumed run must share with the run it continues.

Every run that resumes from files it left behind (MD state files, training
checkpoints, moving-restraint restarts, active-learning iterations) stores a
fingerprint of its inputs beside them and resumes only when the new call's
fingerprint is equal. Each caller decides what enters its fingerprint; this
module decides how it is hashed, so equal inputs give equal digests in every
process and on every machine:

* :func:`file_digest`: the SHA-256 of a file's bytes (a model retrained to the
  same path counts as changed).
* :func:`digest`: the SHA-256 of a value's canonical JSON (sorted keys, with
  paths, numpy arrays and scalars, dataclasses and ASE ``Atoms`` encoded by
  :func:`encode`).
* :func:`encode_atoms` / :func:`atoms_digest`: a structure by its symbols,
  positions and cell, optionally rounded so that a write/read round trip of the
  structure keeps its fingerprint.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms

from lidendrite.errors import InputError

__all__ = ["atoms_digest", "digest", "encode", "encode_atoms", "file_digest"]

#: bytes read per step of :func:`file_digest` (models are hundreds of MB)
_BLOCK = 1 << 20


def file_digest(path: str | os.PathLike, what: str = "file") -> str:
    """SHA-256 (64 hex digits) of the bytes of the file ``path``, read in blocks.

    ``what`` names the file in the one-line :class:`InputError` raised when it
    does not exist (e.g. ``"model file"``).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{what} {path} does not exist")
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_BLOCK), b""):
            h.update(block)
    return h.hexdigest()


def encode_atoms(atoms: Atoms, decimals: int | None = None) -> list[Any]:
    """``[symbols, positions, cell]`` of ``atoms`` as JSON lists.

    Positions and cell (Angstrom) are rounded to ``decimals`` places when it is
    given, so that differences below the precision of a structure file do not
    change a fingerprint; ``None`` keeps every bit. Periodicity flags, momenta
    and per-atom arrays are not part of it.
    """
    pos = np.asarray(atoms.positions, dtype=float)
    cell = np.asarray(atoms.cell.array, dtype=float)
    if decimals is not None:
        pos, cell = np.round(pos, decimals), np.round(cell, decimals)
    return [atoms.get_chemical_symbols(), pos.tolist(), cell.tolist()]


def encode(obj: Any) -> Any:
    """JSON form of a value that :mod:`json` cannot write itself (``json.dumps``'s ``default``).

    Paths become strings, numpy arrays lists, numpy scalars Python numbers,
    dataclasses dicts, other mappings dicts and ``Atoms`` :func:`encode_atoms`
    without rounding. Any other type raises ``TypeError``: its ``str`` need not
    be the same in the next process.
    """
    if isinstance(obj, Atoms):
        return encode_atoms(obj)
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if isinstance(obj, Mapping):
        return dict(obj)
    raise TypeError(f"cannot fingerprint a value of type {type(obj).__name__}: {obj!r:.80}")


def digest(value: Any) -> str:
    """SHA-256 (64 hex digits) of the canonical JSON of ``value``.

    Canonical: ``json.dumps`` with sorted keys and its default separators, and
    :func:`encode` for the types JSON lacks. Key order of mappings does not
    matter; every value, list order and float bit does.
    """
    text = json.dumps(value, sort_keys=True, default=encode)
    return hashlib.sha256(text.encode()).hexdigest()


def atoms_digest(atoms: Atoms, decimals: int | None = None) -> str:
    """:func:`digest` of :func:`encode_atoms` ``(atoms, decimals)``."""
    return digest(encode_atoms(atoms, decimals))
