"""Periodic geometry for QEq: cell checks, neighbour lists, Li-Li coordination.

All lengths in Angstrom. The cell is treated as periodic in all three
directions (the slab geometry is handled by the dipole correction along z, eq.
S8 of the ec paper, not by open boundaries). Cells may be triclinic; the slab
correction additionally needs the a and b vectors in the xy plane.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lidendrite.errors import InputError, OverlapError

__all__ = [
    "PairList",
    "check_cell",
    "check_cutoff",
    "check_min_distance",
    "check_positions",
    "vacuum_gap_z",
    "coordination_numbers",
    "neighbour_pairs",
    "outermost_electrode_layer",
    "pad_pairs",
]


@dataclass(frozen=True)
class PairList:
    """Full (both i-j and j-i) neighbour list within a cutoff.

    Attributes
    ----------
    i, j : np.ndarray [p] int
        Atom indices, ``i`` sorted ascending.
    shift : np.ndarray [p, 3] int
        Lattice shift of ``j``: the image is at ``R[j] + shift @ cell``.
    mask : np.ndarray [p] bool
        False for padding entries (which point at atom n-1 and itself).
    cutoff : float
        Cutoff radius (Angstrom).
    distance : np.ndarray [p] float
        Pair distances (Angstrom) at build time; 0 for padding.
    """

    i: np.ndarray
    j: np.ndarray
    shift: np.ndarray
    mask: np.ndarray
    cutoff: float
    distance: np.ndarray

    @property
    def n_pairs(self) -> int:
        """Number of real (unpadded) entries."""
        return int(self.mask.sum())


def check_cell(cell: np.ndarray, *, slab_correction: bool = False, name: str = "cell") -> None:
    """Raise :class:`InputError` unless ``cell`` [3, 3] spans a positive volume.

    With ``slab_correction`` the a and b vectors must lie in the xy plane
    (a_z = b_z = 0) so that z is the surface normal of eq. S8.
    """
    cell = np.asarray(cell, dtype=float)
    if cell.shape != (3, 3) or not np.any(cell):
        raise InputError(f"{name}: missing cell (Lattice); QEq needs a 3D periodic cell")
    if not np.all(np.isfinite(cell)):
        raise InputError(f"{name}: cell (Lattice) holds NaN or infinite entries")
    if abs(np.linalg.det(cell)) < 1e-6:
        raise InputError(
            f"{name}: cell (Lattice) has zero volume (its vectors are linearly dependent "
            "or one is zero); QEq needs a 3D periodic cell"
        )
    if np.linalg.det(cell) < 0:
        raise InputError(f"{name}: left-handed cell (negative volume); reorder the cell vectors")
    if slab_correction and (abs(cell[0, 2]) > 1e-8 or abs(cell[1, 2]) > 1e-8):
        raise InputError(
            f"{name}: slab correction needs cell vectors a and b in the xy plane (a_z = b_z = 0)"
        )


#: largest distance of an atom outside the cell, in cell lengths (an atom an MD
#: run let diffuse is a few cells out; 1e12 Angstrom is a corrupt file)
MAX_CELLS_OUTSIDE = 100.0
#: most neighbour pairs a cutoff may ask for (about 1 GB of pair arrays): a
#: larger real-space cutoff never ends the neighbour search in useful time
MAX_PAIRS = 20_000_000


def check_positions(positions: np.ndarray, cell: np.ndarray, name: str = "structure") -> None:
    """Raise :class:`InputError` naming the first atom whose position is NaN/infinite or
    lies more than :data:`MAX_CELLS_OUTSIDE` cell lengths outside ``cell`` (call
    :func:`check_cell` first)."""
    positions = np.asarray(positions, dtype=float)
    bad = np.flatnonzero(~np.all(np.isfinite(positions), axis=1))
    if bad.size:
        i = int(bad[0])
        raise InputError(
            f"{name}: atom {i} has a NaN or infinite position {positions[i].tolist()} "
            f"({bad.size} such atom(s))"
        )
    frac = np.linalg.solve(np.asarray(cell, dtype=float).T, positions.T).T
    far = np.flatnonzero(np.any(np.abs(frac - 0.5) > MAX_CELLS_OUTSIDE, axis=1))
    if far.size:
        i = int(far[0])
        raise InputError(
            f"{name}: atom {i} at {positions[i].tolist()} Angstrom lies more than "
            f"{MAX_CELLS_OUTSIDE:g} cell lengths outside the cell (corrupt position?)"
        )


def check_cutoff(n_atoms: int, cell: np.ndarray, cutoff: float, what: str = "rcut") -> None:
    """Raise :class:`InputError` when a neighbour cutoff (Angstrom) would list more than
    :data:`MAX_PAIRS` pairs in ``cell`` (a cutoff absurd for the cell, e.g. 1e6 A)."""
    volume = abs(float(np.linalg.det(np.asarray(cell, dtype=float))))
    if not np.isfinite(cutoff):
        raise InputError(f"{what}: {cutoff} Angstrom is not a finite cutoff")
    n_pairs = n_atoms * n_atoms / volume * 4.0 / 3.0 * math.pi * float(cutoff) ** 3
    if n_pairs > MAX_PAIRS:
        lengths = np.linalg.norm(cell, axis=1)
        limit = (MAX_PAIRS * volume / (n_atoms * n_atoms) * 3.0 / (4.0 * math.pi)) ** (1 / 3)
        raise InputError(
            f"{what}: {cutoff:g} Angstrom is absurd for this cell ({n_atoms} atoms, cell "
            f"lengths {', '.join(f'{x:.3g}' for x in lengths)} Angstrom): it would list "
            f"~{n_pairs:.2g} neighbour pairs; use at most {limit:.3g} Angstrom"
        )


ELECTRODE_REGIONS = ("anode", "cathode", "electrode")


def outermost_electrode_layer(atoms, name: str = "structure") -> np.ndarray:
    """Bool [n]: the atoms of each electrode's outermost layer (farthest from the electrolyte).

    Reads the per-atom ``region`` and ``layer`` arrays (``layer`` counts from the
    electrolyte side, 1 = contact layer): per electrode region (``anode``,
    ``cathode``, ``electrode``) the atoms with the largest layer index. These are the
    layers the ec authors' ConstP code biases at every step. Raises
    :class:`InputError` when the arrays are missing or no electrode has a layer.
    """
    for key in ("region", "layer"):
        if key not in atoms.arrays:
            raise InputError(
                f"{name}: no per-atom {key!r} array; cn_rule 'authors' biases the outermost "
                "electrode layers and needs 'region' and 'layer'"
            )
    region = np.asarray(atoms.arrays["region"]).astype(str)
    layer = np.asarray(atoms.arrays["layer"], dtype=int)
    mask = np.zeros(len(atoms), dtype=bool)
    for r in ELECTRODE_REGIONS:
        sel = (region == r) & (layer > 0)
        if sel.any():
            mask |= sel & (layer == layer[sel].max())
    if not mask.any():
        raise InputError(f"{name}: no electrode layer (region anode/cathode/electrode, layer >= 1)")
    return mask


def vacuum_gap_z(positions: np.ndarray, cell: np.ndarray) -> float:
    """Widest atom-free layer along the c axis (Angstrom), periodic images included.

    The fractional c coordinates of all atoms are wrapped into [0, 1) and sorted;
    the largest gap between neighbours (the last one wrapping round to the first
    plus one) times the layer spacing ``V / |a x b|`` is returned. A slab with
    vacuum has a gap of about the vacuum thickness; a bulk cell only its widest
    interlayer spacing (a few Angstrom). The value does not depend on how the
    atoms are wrapped.
    """
    positions = np.asarray(positions, dtype=float)
    cell = np.asarray(cell, dtype=float)
    spacing = abs(np.linalg.det(cell)) / np.linalg.norm(np.cross(cell[0], cell[1]))
    if len(positions) == 0:
        return float(spacing)
    frac = np.linalg.solve(cell.T, positions.T)[2] % 1.0
    frac = np.sort(frac)
    gaps = np.diff(np.append(frac, frac[0] + 1.0))
    return float(gaps.max() * spacing)


def neighbour_pairs(positions: np.ndarray, cell: np.ndarray, cutoff: float) -> PairList:
    """Full periodic neighbour list of all pairs closer than ``cutoff``.

    Parameters
    ----------
    positions : np.ndarray [n, 3]
        Cartesian positions (Angstrom).
    cell : np.ndarray [3, 3]
        Cell vectors as rows (Angstrom).
    cutoff : float
        Cutoff radius (Angstrom); may exceed the cell size (images are included).

    Returns
    -------
    PairList
        Sorted by ``i``; includes an atom's own periodic images.
    """
    from ase import Atoms

    atoms = Atoms(positions=positions, cell=cell, pbc=True)
    try:
        from matscipy.neighbours import neighbour_list
    except ImportError:  # pragma: no cover - matscipy is in the lock file
        from ase.neighborlist import neighbor_list as neighbour_list
    i, j, S, d = neighbour_list("ijSd", atoms, float(cutoff))
    if np.any(np.diff(i) < 0):
        order = np.argsort(i, kind="stable")
        i, j, S, d = i[order], j[order], S[order], d[order]
    return PairList(
        i=i.astype(np.int32),
        j=j.astype(np.int32),
        shift=S.astype(np.int32),
        mask=np.ones(len(i), dtype=bool),
        cutoff=float(cutoff),
        distance=np.asarray(d, dtype=np.float64),
    )


def pad_pairs(pairs: PairList, n_atoms: int, capacity: int) -> PairList:
    """Pad ``pairs`` to ``capacity`` entries (fixed array shapes avoid JIT recompiles).

    Padding entries point from atom ``n_atoms - 1`` to itself with a zero shift and
    ``mask = False``; energy kernels must use the mask to keep gradients finite.
    """
    p = len(pairs.i)
    if capacity < p:
        raise ValueError(f"capacity {capacity} < number of pairs {p}")
    extra = capacity - p
    last = np.full(extra, n_atoms - 1, dtype=np.int32)
    return PairList(
        i=np.concatenate([pairs.i, last]),
        j=np.concatenate([pairs.j, last]),
        shift=np.concatenate([pairs.shift, np.zeros((extra, 3), dtype=np.int32)]),
        mask=np.concatenate([pairs.mask, np.zeros(extra, dtype=bool)]),
        cutoff=pairs.cutoff,
        distance=np.concatenate([pairs.distance, np.zeros(extra)]),
    )


def check_min_distance(
    positions: np.ndarray, cell: np.ndarray, pairs: PairList, min_distance: float
) -> None:
    """Raise :class:`~lidendrite.errors.OverlapError` naming the two atoms closer than
    ``min_distance`` (Angstrom)."""
    r = pairs.distance
    bad = np.flatnonzero(pairs.mask & (r < min_distance))
    if bad.size:
        k = bad[np.argmin(r[bad])]
        raise OverlapError(
            f"atoms {pairs.i[k]} and {pairs.j[k]} overlap: {r[k]:.3f} Angstrom apart "
            f"(< min_distance {min_distance} Angstrom)"
        )


def coordination_numbers(
    positions: np.ndarray,
    cell: np.ndarray,
    pairs: PairList,
    cutoff: float,
    select: np.ndarray,
) -> np.ndarray:
    """Coordination numbers [n] counting neighbours within ``cutoff`` among ``select``.

    With ``select`` the Li mask this is CN_Li-Li of eq. S17 (ec paper). Atoms
    outside ``select`` get 0. ``pairs`` must have been built with a cutoff
    of at least ``cutoff``.
    """
    if pairs.cutoff + 1e-12 < cutoff:
        raise ValueError("neighbour list cutoff is shorter than the CN cutoff")
    select = np.asarray(select, dtype=bool)
    r = pairs.distance
    hit = pairs.mask & (r < cutoff) & select[pairs.i] & select[pairs.j]
    return np.bincount(pairs.i[hit], minlength=len(positions)) * select
