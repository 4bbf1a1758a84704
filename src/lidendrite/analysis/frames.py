"""Which frames of the moving-restraint run the lpsc analysis takes.

The frames themselves are read by :func:`lidendrite.io.lammps_dump.read_frames`.
"""

from __future__ import annotations

import numpy as np

from lidendrite.errors import InputError

__all__ = ["pick_frames"]


def pick_frames(steps: list[int], n_steps: int, fractions: list[float]) -> list[int]:
    """Indices of the frames nearest to ``fraction * n_steps`` for each fraction (paper: 100/125/150 of 150 ps)."""
    if not steps:
        raise InputError("trajectory has no frames")
    arr = np.asarray(steps)
    return [int(np.argmin(np.abs(arr - f * n_steps))) for f in fractions]
