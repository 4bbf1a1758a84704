"""Extended-XYZ frames with per-atom charges: MD trajectories and QEq-rule frames.

ASE's reader moves the per-atom ``charges`` and the frame ``energy`` into a
single-point calculator; :func:`read_frames` (trajectories written by
:func:`lidendrite.md.driver.run_md`) and :func:`read_charge_frames` (frames
written by the lpsc QEq rule) put them back into ``atoms.arrays`` and
``atoms.info``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from ase import Atoms

from lidendrite.errors import InputError

__all__ = ["read_frames", "read_charge_frames"]


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


def read_charge_frames(path) -> list:
    """Frames written by the QEq rule, with ``charges`` (e) as a per-atom array.

    ASE's extended-XYZ reader moves a ``charges`` column into a calculator; it
    is put back into ``atoms.arrays`` here.
    """
    from ase.io import read

    frames = read(path, index=":", format="extxyz")
    for a in frames:
        if "charges" not in a.arrays:
            if a.calc is None or "charges" not in a.calc.results:
                raise InputError(f"{path}: frame without QEq charges")
            a.new_array("charges", np.asarray(a.calc.results["charges"], float))
        a.calc = None
    return frames
