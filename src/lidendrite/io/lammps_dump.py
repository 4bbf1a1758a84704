"""LAMMPS text dumps of the moving-restraint run, with the sandwich's per-atom arrays.

LAMMPS dumps are written sorted by atom id (= order of the starting extended
XYZ), so the starting structure's ``region`` and ``layer`` arrays and its
positions (kept as ``start_positions``, Angstrom) are attached to every frame.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from lidendrite.errors import InputError

__all__ = ["read_frames", "frame_steps"]


def frame_steps(dump: str | os.PathLike) -> list[int]:
    """MD steps of the frames of a LAMMPS text dump, in file order."""
    lines = Path(dump).read_text().splitlines()
    return [int(lines[k + 1]) for k, ln in enumerate(lines) if ln.startswith("ITEM: TIMESTEP")]


def read_frames(dump: str | os.PathLike, start, index=":"):
    """Read frames of ``dump`` and attach ``region``, ``layer``, ``start_positions`` and ``step``.

    Parameters
    ----------
    dump
        LAMMPS ``custom`` text dump with ``id type element x y z`` sorted by id.
    start
        The starting structure (ASE Atoms with ``region`` and ``layer``).
    index
        ASE index (``":"`` all frames, ``-1`` the last, or an int).

    Raises
    ------
    InputError
        Missing dump, or a frame whose atom count or elements differ from ``start``.
    """
    from ase.io import read

    dump = Path(dump)
    if not dump.is_file():
        raise InputError(f"trajectory {dump} does not exist")
    frames = read(dump, index=index, format="lammps-dump-text")
    single = not isinstance(frames, list)
    frames = [frames] if single else frames
    steps = frame_steps(dump)
    if not isinstance(index, str):
        steps = [steps[index]]
    for atoms, step in zip(frames, steps, strict=True):
        if len(atoms) != len(start) or atoms.get_chemical_symbols() != start.get_chemical_symbols():
            raise InputError(f"{dump}: frame at step {step} does not match the starting structure")
        atoms.pbc = True
        for key in ("region", "layer"):
            atoms.new_array(key, np.asarray(start.arrays[key]).copy())
        atoms.new_array("start_positions", start.positions.copy())
        atoms.info["step"] = step
    return frames[0] if single else frames
