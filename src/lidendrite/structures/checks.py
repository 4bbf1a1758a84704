"""Sanity checks of built structures."""

from __future__ import annotations

import numpy as np
from ase import Atoms

from lidendrite.errors import InputError

__all__ = ["closest_pair", "check_min_distance"]


def closest_pair(atoms: Atoms, cutoff: float) -> tuple[int, int, float] | None:
    """The closest pair of atoms nearer than ``cutoff`` (Angstrom), minimum image.

    Returns ``(i, j, d)`` with ``i < j`` and ``d`` in Angstrom, or None when no
    pair is closer than ``cutoff``. Uses ASE's linear-scaling neighbour list,
    so it is cheap for thousands of atoms.
    """
    from ase.neighborlist import neighbor_list

    if len(atoms) < 2:
        return None
    i, j, d = neighbor_list("ijd", atoms, float(cutoff), self_interaction=False)
    if len(d) == 0:
        return None
    k = int(np.argmin(d))
    a, b = sorted((int(i[k]), int(j[k])))
    return a, b, float(d[k])


def check_min_distance(atoms: Atoms, min_distance: float, what: str = "structure") -> None:
    """Raise :class:`InputError` (one line naming both atoms) if two atoms are closer than ``min_distance``.

    Parameters
    ----------
    atoms
        The structure (periodic directions from ``atoms.pbc``).
    min_distance
        Smallest allowed interatomic distance, Angstrom.
    what
        Name of the structure used in the message (builder or file name).
    """
    pair = closest_pair(atoms, min_distance)
    if pair is not None:
        i, j, d = pair
        s = atoms.get_chemical_symbols()
        raise InputError(
            f"{what}: atoms {i} ({s[i]}) and {j} ({s[j]}) are {d:.3f} A apart, "
            f"closer than the minimum distance {min_distance} A"
        )
