"""Rigid molecule templates of the ec study: ethylene carbonate (EC) and PF6-.

The geometries are built here from internal coordinates (bond lengths and
angles passed as keyword arguments), never downloaded. They are starting
shapes for packmol (Martinez et al., J. Comput. Chem. 30, 2157 (2009),
doi:10.1002/jcc.21224); MD relaxes them afterwards, so only the topology and
roughly right bond lengths matter.

EC, C3H4O3, is taken planar with C2v symmetry (the real ring is twisted by
~20 degrees about the C-C bond; the twist does not change the bond graph).
Atom order::

    0 C  carbonyl carbon          4 C  CH2 carbon bonded to O2
    1 O  carbonyl oxygen          5 C  CH2 carbon bonded to O3
    2 O  ring oxygen              6,7 H on C4
    3 O  ring oxygen              8,9 H on C5

Ring closure: with the carbonyl carbon C0 at the origin and the C2 axis along
x, the ring oxygens sit at ``r_co_ring (cos(t/2), +-sin(t/2))`` with ``t`` the
O-C-O ring angle; each CH2 carbon lies ``r_o_ch2`` from its oxygen along a
direction whose y component makes the C4-C5 distance equal to ``r_cc``
(``y_C = r_cc / 2``). The C-O-C and O-C-C angles follow from the lengths.
Each CH2 carries two H at ``r_ch`` in the plane perpendicular to the ring
that bisects the exterior of the ring angle, with H-C-H angle ``a_hch``.

PF6- is a regular octahedron with P-F = ``r_pf``.
"""

from __future__ import annotations

import numpy as np
from ase import Atoms

from lidendrite.errors import InputError

__all__ = ["ethylene_carbonate", "hexafluorophosphate", "lithium_ion", "EC_SYMBOLS"]

EC_SYMBOLS = "COOOCCHHHH"


def ethylene_carbonate(
    *,
    r_c_o_carbonyl: float = 1.19,
    r_co_ring: float = 1.33,
    r_o_ch2: float = 1.44,
    r_cc: float = 1.53,
    r_ch: float = 1.09,
    a_oco_ring: float = 110.5,
    a_hch: float = 109.5,
) -> Atoms:
    """Planar C2v ethylene carbonate built from internal coordinates.

    Parameters
    ----------
    r_c_o_carbonyl, r_co_ring, r_o_ch2, r_cc, r_ch : float
        Bond lengths C=O, C(carbonyl)-O(ring), O(ring)-CH2, C-C and C-H in
        Angstrom (typical gas-phase values of EC).
    a_oco_ring, a_hch : float
        Ring O-C-O angle at the carbonyl carbon and the H-C-H angle, degrees.

    Returns
    -------
    ase.Atoms
        10 atoms in the order of the module docstring, centred on their
        centre of mass, no cell.
    """
    half = np.radians(a_oco_ring) / 2.0
    o2 = r_co_ring * np.array([np.cos(half), np.sin(half), 0.0])
    o3 = o2 * np.array([1.0, -1.0, 1.0])
    sin_phi = (r_cc / 2.0 - o2[1]) / r_o_ch2
    if abs(sin_phi) >= 1.0:
        raise InputError(
            f"EC ring cannot close with r_cc={r_cc}, r_o_ch2={r_o_ch2}, a_oco_ring={a_oco_ring}"
        )
    c4 = o2 + r_o_ch2 * np.array([np.sqrt(1.0 - sin_phi**2), sin_phi, 0.0])
    c5 = c4 * np.array([1.0, -1.0, 1.0])
    c0 = np.zeros(3)
    o1 = np.array([-r_c_o_carbonyl, 0.0, 0.0])

    normal = np.array([0.0, 0.0, 1.0])
    half_h = np.radians(a_hch) / 2.0
    hydrogens = []
    for c, ring_a, ring_b in ((c4, o2, c5), (c5, o3, c4)):
        out = -(_unit(ring_a - c) + _unit(ring_b - c))
        out = _unit(out)
        for sign in (1.0, -1.0):
            hydrogens.append(c + r_ch * (np.cos(half_h) * out + sign * np.sin(half_h) * normal))
    pos = np.array([c0, o1, o2, o3, c4, c5, *hydrogens])
    ec = Atoms(EC_SYMBOLS, positions=pos)
    ec.translate(-ec.get_center_of_mass())
    return ec


def hexafluorophosphate(*, r_pf: float) -> Atoms:
    """Octahedral PF6- with P-F = ``r_pf`` Angstrom (P first, then 6 F).

    ``r_pf``: config ``ec.structures.common.r_pf`` (1.61 A), its one source.
    """
    axes = np.vstack([np.eye(3), -np.eye(3)])
    return Atoms("PF6", positions=np.vstack([np.zeros(3), r_pf * axes]))


def lithium_ion() -> Atoms:
    """A single Li+ (one atom at the origin)."""
    return Atoms("Li", positions=[[0.0, 0.0, 0.0]])


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)
