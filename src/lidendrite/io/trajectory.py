"""Trajectories written by :func:`lidendrite.md.driver.run_md` (extended XYZ).

ASE's reader moves the per-atom ``charges`` and the frame ``energy`` into a
single-point calculator; :func:`read_frames` puts them back into
``atoms.arrays`` and ``atoms.info``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from ase import Atoms

from lidendrite.errors import InputError

__all__ = ["read_frames"]


def read_frames(path: str | os.PathLike, index: str | int = ":") -> list[Atoms]:
    """Frames of a trajectory written by :func:`~lidendrite.md.driver.run_md`, with ``charges`` back in
    ``atoms.arrays`` and ``energy`` back in ``atoms.info`` (ASE's reader moves both
    into a single-point calculator)."""
    from ase.io import read

    path = Path(path)
    if not path.is_file():
        raise InputError(f"trajectory not found: {path}")
    frames = read(path, index=index, format="extxyz")
    if isinstance(frames, Atoms):
        frames = [frames]
    for f in frames:
        res = getattr(f.calc, "results", {}) if f.calc is not None else {}
        if "charges" in res and "charges" not in f.arrays:
            f.set_array("charges", np.asarray(res["charges"], dtype=float))
        if "energy" in res and "energy" not in f.info:
            f.info["energy"] = float(res["energy"])
    return frames
