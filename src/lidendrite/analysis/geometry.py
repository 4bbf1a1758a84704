"""Shared geometry of the sandwich analyses: unwrapped positions, pair distances, heights.

The sandwich's vacuum is along z; atoms that cross z = 0 are wrapped by
LAMMPS to the top of the cell, so every analysis works with positions
unwrapped against the starting structure (start + minimum-image displacement
in fractional coordinates of the current cell).  Heights ``h`` are measured
along the anode -> electrolyte direction (Angstrom).
"""

from __future__ import annotations

import numpy as np

from lidendrite.errors import InputError

__all__ = ["unwrapped_positions", "displacements", "height_axis", "pair_distances", "ANIONS"]

#: electrolyte elements whose bonds to Li mark the SEI (lpsc Results)
ANIONS = ("S", "P", "Cl")


def _check(atoms) -> None:
    for key in ("start_positions", "region", "layer"):
        if key not in atoms.arrays:
            raise InputError(f"frame has no per-atom array '{key}' (read it with io.lammps_dump.read_frames)")


def displacements(atoms) -> np.ndarray:
    """Minimum-image displacement from the starting positions, ``[n, 3]`` Angstrom (current cell)."""
    _check(atoms)
    cell = atoms.cell.array
    ds = np.linalg.solve(cell.T, (atoms.positions - atoms.arrays["start_positions"]).T).T
    ds -= np.round(ds)
    return ds @ cell


def unwrapped_positions(atoms) -> np.ndarray:
    """Positions continuous with the start (no jump across the z boundary), ``[n, 3]`` Angstrom."""
    return atoms.arrays["start_positions"] + displacements(atoms)


def height_axis(atoms) -> tuple[float, float]:
    """(sign, offset) so that ``h = sign * z - offset`` grows from the anode into the electrolyte.

    ``offset`` puts h = 0 at the top of the starting anode (Angstrom).
    """
    _check(atoms)
    region = np.asarray(atoms.arrays["region"]).astype(str)
    z0 = atoms.arrays["start_positions"][:, 2]
    if not (region == "anode").any() or not (region == "electrolyte").any():
        raise InputError("frame needs atoms of region 'anode' and 'electrolyte'")
    sign = 1.0 if z0[region == "electrolyte"].mean() > z0[region == "anode"].mean() else -1.0
    return sign, float((sign * z0[region == "anode"]).max())


def pair_distances(atoms, pos: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Minimum-image distances ``[len(i), len(j)]`` (Angstrom) between atoms ``i`` and ``j``."""
    cell = atoms.cell.array
    d = pos[i][:, None, :] - pos[j][None, :, :]
    ds = d @ np.linalg.inv(cell)
    ds -= np.round(ds)
    return np.linalg.norm(ds @ cell, axis=-1)
