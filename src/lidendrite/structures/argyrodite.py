"""Li6PS5Cl argyrodite (F-43m, No. 216) with an ordered choice of the Li sites.

Crystallography (numeric facts from the literature, rounded; the cell is
relaxed with the active labeller before use, so the last digit does not
matter):

=====  ======  =====================  ==========================================
atom   Wyckoff  fractional coordinates  role
=====  ======  =====================  ==========================================
Cl     4a      (0, 0, 0)              halide, fcc sublattice
P      4b      (1/2, 1/2, 1/2)        centre of the PS4(3-) tetrahedra
S      16e     (x, x, x), x = 0.6196  PS4 corners (P-S = sqrt(3)(x - 1/2) a)
S      4c      (1/4, 1/4, 1/4)        "free" S(2-) in the Li cages
Li     48h     (x, x, z), x = 0.3163, half occupied: 24 of 48 in Li6PS5Cl
               z = 0.0226
=====  ======  =====================  ==========================================

Sources: H.-J. Deiseroth et al., Angew. Chem. Int. Ed. 47, 755 (2008),
doi:10.1002/anie.200703900 (structure type, site assignment, a = 9.85 A);
M. A. Kraft et al., J. Am. Chem. Soc. 139, 10909 (2017),
doi:10.1021/jacs.7b06327 (48h Li positions and P-S geometry). In the
experimental structure Cl and S(2-) partly exchange between 4a and 4c; here
the ideal (ordered) anion sublattice is used. With x(16e) = 0.6196 the PS4
tetrahedra point at 4d, so the free S(2-) sits at 4c (it would overlap the
PS4 corners at 2.2 A on 4d); P-S = 2.12 A at a = 10.25 A.

Ordering of the Li sites
------------------------
The 48 sites of 48h form 24 close "doublets" (1.92 A apart at a = 10.25 A)
around the 24g positions; six doublets form a cage around each free S(2-).
A physical ordered cell takes exactly one Li of each doublet (2^24
choices). Every such choice has the same shortest Li-Li distance (2.34 A,
between neighbouring doublets of one cage), so that criterion cannot rank
them; we take the choice of lowest electrostatic (Ewald) energy with formal
charges Li+1, P+5, S-2, Cl-1 -- the ranking pymatgen's
``OrderDisorderedStructureTransformation`` uses, here done exactly: the
energy is a sum of one-cage terms and cage-cage pair terms (the Ewald sum is
bilinear in the charges), so the 64^4 cage configurations are enumerated
exhaustively. Degenerate minima (images of each other under the symmetry of
the parent cell) are broken by the highest spglib space group, then by the
lexicographically smallest list of chosen sites in the canonical site order
(sites sorted by fractional x, y, z). The choice depends only on fractional
coordinates, not on ``a``, and is the same on every run.
"""

from __future__ import annotations

import functools
import itertools
import warnings

import numpy as np
from ase import Atoms

from lidendrite.errors import InputError

__all__ = [
    "ARGYRODITE_SITES",
    "LI_48H",
    "FORMAL_CHARGES",
    "argyrodite_parent",
    "ordered_li_sites",
    "ordered_argyrodite",
]

#: Wyckoff sites of the anion/P framework: (symbol, representative fractional position)
ARGYRODITE_SITES: tuple[tuple[str, tuple[float, float, float]], ...] = (
    ("Cl", (0.0, 0.0, 0.0)),  # 4a
    ("P", (0.5, 0.5, 0.5)),  # 4b
    ("S", (0.6196, 0.6196, 0.6196)),  # 16e
    ("S", (0.25, 0.25, 0.25)),  # 4c
)
#: representative of the half-occupied Li 48h site (x, x, z)
LI_48H: tuple[float, float, float] = (0.3163, 0.3163, 0.0226)
#: formal charges used to rank Li orderings by Ewald energy (e)
FORMAL_CHARGES = {"Li": 1.0, "P": 5.0, "S": -2.0, "Cl": -1.0}
_SPACEGROUP = 216  # F-43m
_REF_A = 10.0  # Angstrom; the ordering is scale-free, any a gives the same choice


def _canonical(atoms: Atoms) -> Atoms:
    """Sort atoms by element (Li, P, S, Cl) then by fractional x, y, z (rounded)."""
    order_el = {"Li": 0, "P": 1, "S": 2, "Cl": 3}
    frac = np.round(atoms.get_scaled_positions(wrap=True) % 1.0, 6) % 1.0
    keys = [(order_el[s], *f) for s, f in zip(atoms.get_chemical_symbols(), frac, strict=True)]
    idx = sorted(range(len(atoms)), key=lambda i: keys[i])
    out = atoms[idx]
    out.set_scaled_positions(frac[idx])
    return out


def argyrodite_parent(a: float) -> Atoms:
    """Conventional cell of the parent F-43m argyrodite with all 48 Li sites (76 atoms).

    Parameters
    ----------
    a
        Cubic lattice constant, Angstrom.

    Returns
    -------
    ase.Atoms
        Cl4 P4 S20 Li48 in canonical order (Li first, each element sorted by
        fractional x, y, z).
    """
    from ase.spacegroup import crystal

    if not a > 0:
        raise InputError(f"lpsc lattice constant a must be positive, got {a}")
    symbols = [s for s, _ in ARGYRODITE_SITES] + ["Li"]
    basis = [p for _, p in ARGYRODITE_SITES] + [LI_48H]
    atoms = crystal(symbols, basis, spacegroup=_SPACEGROUP, cellpar=[a, a, a, 90, 90, 90])
    atoms = Atoms(atoms.numbers, positions=atoms.positions, cell=atoms.cell, pbc=True)
    return _canonical(atoms)


def _doublets(parent: Atoms) -> list[tuple[int, int]]:
    """Pairs of 48h Li sites that are each other's nearest Li (indices into ``parent``)."""
    li = np.flatnonzero(parent.numbers == 3)
    d = parent.get_all_distances(mic=True)[np.ix_(li, li)]
    np.fill_diagonal(d, np.inf)
    partner = d.argmin(axis=1)
    pairs = sorted({tuple(sorted((int(li[i]), int(li[partner[i]])))) for i in range(len(li))})
    if len(pairs) != len(li) // 2:
        raise RuntimeError("48h Li sites do not form doublets; check LI_48H")
    return pairs


@functools.lru_cache(maxsize=1)
def ordered_li_sites() -> tuple[int, ...]:
    """Indices (into :func:`argyrodite_parent`) of the 24 Li sites kept in the ordered cell.

    One Li per 48h doublet, at the lowest Ewald energy (see module docstring).
    """
    from ase.geometry import get_distances
    from pymatgen.analysis.ewald import EwaldSummation
    from pymatgen.io.ase import AseAtomsAdaptor

    parent = argyrodite_parent(_REF_A)
    pairs = _doublets(parent)
    # half charge on every Li site makes the 76-site parent neutral; the
    # energy matrix (bilinear in charges) is then rescaled to q_Li = 1.
    q = np.array([FORMAL_CHARGES[s] for s in parent.get_chemical_symbols()])
    q[parent.numbers == 3] *= 0.5
    struct = AseAtomsAdaptor.get_structure(parent)
    struct.add_site_property("charge", q.tolist())
    m = EwaldSummation(struct, compute_forces=False).total_energy_matrix
    scale = np.where(parent.numbers == 3, 2.0, 1.0)
    m = m * scale[:, None] * scale[None, :]
    anion = np.flatnonzero(parent.numbers != 3)
    site_e = m[np.diag_indices_from(m)] + 2.0 * m[:, anion].sum(axis=1)  # one Li with the framework

    # group doublets into cages: the 4c S(2-) nearest to each doublet's midpoint
    frac = parent.get_scaled_positions()
    s4c = [
        i
        for i in anion
        if parent[i].symbol == "S" and np.allclose(frac[i] * 4, np.round(frac[i] * 4))
    ]
    mids = np.array(
        [
            parent.positions[i] + 0.5 * parent.get_distance(i, j, mic=True, vector=True)
            for i, j in pairs
        ]
    )
    _, dist = get_distances(mids, parent.positions[s4c], cell=parent.cell, pbc=True)
    cage_of = dist.argmin(axis=1)
    cages = [[p for p, c in zip(pairs, cage_of, strict=True) if c == k] for k in range(len(s4c))]
    if sorted(len(c) for c in cages) != [6] * 4:
        raise RuntimeError("expected 4 cages of 6 doublets in the argyrodite cell")

    configs = list(itertools.product((0, 1), repeat=6))
    sites = [[[c[j][b] for j, b in enumerate(cfg)] for cfg in configs] for c in cages]  # [4][64][6]
    e_one = np.array(
        [[site_e[s].sum() + m[np.ix_(s, s)].sum() - m[s, s].sum() for s in cage] for cage in sites]
    )
    e_pair = {
        (k, q): np.array([[2.0 * m[np.ix_(si, sj)].sum() for sj in sites[q]] for si in sites[k]])
        for k, q in itertools.combinations(range(4), 2)
    }
    # exhaustive: total[c0, c1, c2, c3]
    best, arg = np.inf, []
    tail = (
        e_one[1][:, None, None]
        + e_one[2][None, :, None]
        + e_one[3][None, None, :]
        + e_pair[1, 2][:, :, None]
        + e_pair[1, 3][:, None, :]
        + e_pair[2, 3][None, :, :]
    )
    for c0 in range(64):
        tot = (
            tail
            + e_one[0][c0]
            + e_pair[0, 1][c0][:, None, None]
            + e_pair[0, 2][c0][None, :, None]
            + e_pair[0, 3][c0][None, None, :]
        )
        lo = tot.min()
        tol = 1e-8 * abs(lo)  # degenerate minima differ only by round-off
        if lo < best - tol:
            best, arg = lo, []
        if lo <= best + tol:
            arg += [(c0, *c) for c in zip(*np.nonzero(tot <= best + tol), strict=True)]
    candidates = sorted(tuple(sorted(i for k in range(4) for i in sites[k][c[k]])) for c in arg)
    return max(candidates, key=lambda sel: (_spacegroup_number(parent, sel), [-i for i in sel]))


def _spacegroup_number(parent: Atoms, li_sel) -> int:
    import spglib

    keep = [i for i in range(len(parent)) if parent.numbers[i] != 3 or i in set(li_sel)]
    sub = parent[keep]
    with warnings.catch_warnings():  # spglib 2.x warns about its legacy error handling
        warnings.simplefilter("ignore", DeprecationWarning)
        ds = spglib.get_symmetry_dataset(
            (sub.cell[:], sub.get_scaled_positions(), sub.numbers), symprec=1e-3
        )
    return int(ds.number) if ds is not None else 1


def ordered_argyrodite(a: float) -> Atoms:
    """Ordered Li6PS5Cl conventional cell (52 atoms: Li24 P4 S20 Cl4).

    Parameters
    ----------
    a
        Cubic lattice constant, Angstrom (paper PBE: 10.25, SI 1 of the lpsc paper).

    Returns
    -------
    ase.Atoms
        Periodic cubic cell; the parent F-43m sites with the Li of
        :func:`ordered_li_sites`, in canonical order.
    """
    parent = argyrodite_parent(a)
    keep_li = set(ordered_li_sites())
    atoms = parent[[i for i in range(len(parent)) if parent.numbers[i] != 3 or i in keep_li]]
    atoms.pbc = True
    return atoms
