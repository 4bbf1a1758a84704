"""Shared geometry of the sandwich analyses: unwrapped positions, pair distances, heights.

The sandwich's vacuum is along z; atoms that cross z = 0 are wrapped by
LAMMPS to the top of the cell, so every analysis works with positions
unwrapped against the starting structure (start + minimum-image displacement
in fractional coordinates of the current cell).  Heights ``h`` are measured
along the anode -> electrolyte direction (Angstrom).

Distances use the minimum image over the three cell vectors of any cell,
triclinic included (:func:`ase.geometry.find_mic`, whose exhaustive search
runs only on the vectors that rounding of fractional coordinates cannot
settle); contact graphs come from
:func:`ase.neighborlist.neighbor_list` as :mod:`scipy.sparse` matrices.  The
LAMMPS frames are periodic along all three vectors, so every function here
treats the cell as fully periodic whatever ``atoms.pbc`` says.
"""

from __future__ import annotations

import numpy as np
from ase import Atoms
from ase.geometry import find_mic
from ase.neighborlist import neighbor_list
from scipy.sparse import coo_matrix, csr_matrix

from lidendrite.errors import InputError

__all__ = [
    "unwrapped_positions",
    "displacements",
    "height_axis",
    "pair_distances",
    "contact_graph",
    "ANIONS",
]

#: electrolyte elements whose bonds to Li mark the SEI (lpsc Results)
ANIONS = ("S", "P", "Cl")


def _check(atoms) -> None:
    for key in ("start_positions", "region", "layer"):
        if key not in atoms.arrays:
            raise InputError(
                f"frame has no per-atom array '{key}' (read it with io.lammps_dump.read_frames)"
            )


#: displacement vectors per :func:`find_mic` call (its general search holds 28 images of each)
_MIC_CHUNK = 200_000


def _mic(d: np.ndarray, frac: np.ndarray, cell) -> tuple[np.ndarray, np.ndarray]:
    """Minimum images ``[k, 3]`` and their lengths ``[k]`` (Angstrom) in a fully periodic ``cell``.

    ``d`` are displacements ``[k, 3]`` and ``frac`` the same in fractional
    coordinates.  Rounding ``frac`` is exact in an orthorhombic cell, and in
    any cell for a result shorter than half the smallest distance between
    opposite cell faces (all fractional coordinates of the true minimum image
    then lie in (-1/2, 1/2)); the other vectors go through the exhaustive
    :func:`find_mic`.
    """
    frac = frac - np.round(frac)
    vec = frac @ cell.array
    length = np.linalg.norm(vec, axis=1)
    if cell.orthorhombic:
        return vec, length
    widths = cell.volume / np.linalg.norm(
        np.cross(cell.array[[1, 2, 0]], cell.array[[2, 0, 1]]), axis=1
    )
    unsure = np.flatnonzero(length >= 0.5 * widths.min())
    for s in range(0, unsure.size, _MIC_CHUNK):
        part = unsure[s : s + _MIC_CHUNK]
        vec[part], length[part] = find_mic(d[part], cell, pbc=True)
    return vec, length


def displacements(atoms) -> np.ndarray:
    """Minimum-image displacement from the starting positions, ``[n, 3]`` Angstrom (current cell, any shape)."""
    _check(atoms)
    d = atoms.positions - atoms.arrays["start_positions"]
    return _mic(d, np.linalg.solve(atoms.cell.array.T, d.T).T, atoms.cell)[0]


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
    """Minimum-image distances ``[len(i), len(j)]`` (Angstrom) between atoms ``i`` and ``j``.

    ``pos`` is ``[m, 3]`` (Angstrom, any image); the cell is ``atoms.cell``, any shape.
    """
    i = np.asarray(i, dtype=int).ravel()
    j = np.asarray(j, dtype=int).ravel()
    d = pos[i][:, None, :] - pos[j][None, :, :]
    if d.size == 0:
        return np.empty((i.size, j.size))
    d = d.reshape(-1, 3)
    _, length = _mic(d, d @ np.linalg.inv(atoms.cell.array), atoms.cell)
    return length.reshape(i.size, j.size)


def contact_graph(atoms, pos: np.ndarray, idx: np.ndarray, cutoff: float) -> csr_matrix:
    """Boolean adjacency ``[len(idx), len(idx)]`` of atoms ``idx`` closer than ``cutoff``.

    Two atoms are in contact when any periodic image of one lies closer than
    ``cutoff`` (Angstrom) to the other, so the graph equals a minimum-image
    distance matrix ``< cutoff`` in any cell; no self-loops.
    """
    idx = np.asarray(idx, dtype=int).ravel()
    sub = Atoms(positions=np.asarray(pos, float)[idx], cell=atoms.cell, pbc=True)
    a, b = neighbor_list("ij", sub, float(cutoff))
    keep = a != b
    n = idx.size
    return coo_matrix((np.ones(int(keep.sum()), bool), (a[keep], b[keep])), shape=(n, n)).tocsr()
