"""Output files of deepmd-kit: ``lcurve.out`` and ``model_devi.out``, columns by header name."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lidendrite.errors import InputError

__all__ = ["read_lcurve", "read_model_devi_out"]


def read_lcurve(path: str | Path) -> dict[str, np.ndarray]:
    """Read deepmd-kit's ``lcurve.out`` into columns keyed by its header names.

    The header line is ``# step rmse_val rmse_trn ... lr``; the columns are RMSEs
    of the current batch in eV, eV/atom and eV/Angstrom, and the learning rate.
    """
    path = Path(path)
    lines = path.read_text().splitlines()
    header = next((ln for ln in lines if ln.startswith("#")), None)
    if header is None:
        raise InputError(f"{path}: no header line")
    names = header.lstrip("#").split()
    rows = [ln.split() for ln in lines if ln.strip() and not ln.startswith("#")]
    data = np.array([[float(x) for x in r] for r in rows], dtype=float).reshape(-1, len(names))
    return {n: data[:, i] for i, n in enumerate(names)}


def read_model_devi_out(path: str | Path) -> dict[str, np.ndarray]:
    """Read a deepmd-kit ``model_devi.out`` (LAMMPS ``pair_style deepmd`` or ``dp model-devi``).

    Returns its columns by header name (``step``, ``max_devi_v`` ...,
    ``max_devi_f``, ``min_devi_f``, ``avg_devi_f``; eV/Angstrom for forces).
    Raises :class:`InputError` naming the file and step when a deviation is NaN
    (a broken model or an exploded trajectory).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: model deviation file not found")
    lines = path.read_text().splitlines()
    if not lines or not lines[0].startswith("#"):
        raise InputError(f"{path}: no '# step ...' header; not a deepmd-kit model_devi.out")
    names = lines[0].lstrip("#").split()
    data = np.loadtxt(path, ndmin=2)
    if data.shape[1] != len(names):
        raise InputError(f"{path}: {data.shape[1]} columns for {len(names)} header names")
    bad = ~np.isfinite(data[:, 1:]).all(axis=1)
    if bad.any():
        raise InputError(f"{path}: NaN model deviation at step {int(data[bad.argmax(), 0])}")
    return {n: data[:, i] for i, n in enumerate(names)}
