"""Small structures for the QEq tests, built here so the tests depend on no builder.

* :func:`toy_capacitor`: two BCC Li(100) slabs facing each other across a vacuum
  gap (ec paper sec. 3.2, Fig. 3a), with an outer vacuum across the cell boundary.
* :func:`lpsc_cell`: a 52-atom ordered Li6PS5Cl cell (F-43m positions; the half
  occupied Li 48h sites thinned to one Li per pair).
* :func:`li_lpsc_interface`: a BCC Li(100) slab under two Li6PS5Cl cells.
"""

from __future__ import annotations

import numpy as np
from ase import Atoms
from ase.build import bcc100


def toy_capacitor(
    gap: float, *, a: float = 3.44, n_layers: int = 6, rep: int = 3, outer: float = 40.0
) -> tuple[Atoms, float]:
    """Two Li(100) slabs ``gap`` Angstrom apart (surface plane to surface plane).

    Returns the atoms (with a ``layer`` array: 1 = the layer facing the gap) and the
    z of the mid-gap plane.
    """
    slab = bcc100("Li", size=(rep, rep, n_layers), a=a, orthogonal=True)
    slab.positions[:, 2] -= slab.positions[:, 2].min()
    thick = slab.positions[:, 2].max()
    top = slab.copy()
    top.positions[:, 2] += thick + gap
    both = slab + top
    cell = both.cell.array.copy()
    cell[2] = [0.0, 0.0, 2 * thick + gap + outer]
    both.set_cell(cell)
    both.pbc = True
    both.positions[:, 2] += outer / 2
    split = outer / 2 + thick + gap / 2
    z = both.positions[:, 2]
    spacing = a / 2
    layer = np.where(
        z < split,
        np.rint((outer / 2 + thick - z) / spacing) + 1,
        np.rint((z - outer / 2 - thick - gap) / spacing) + 1,
    ).astype(int)
    both.arrays["layer"] = layer
    return both, split


def lpsc_cell(a: float = 9.86) -> Atoms:
    """Ordered 52-atom Li6PS5Cl cubic cell (24 Li, 4 P, 20 S, 4 Cl)."""
    from pymatgen.core import Lattice, Structure
    from pymatgen.io.ase import AseAtomsAdaptor

    s = Structure.from_spacegroup(
        "F-43m",
        Lattice.cubic(a),
        ["Li", "P", "S", "S", "Cl"],
        [[0.3125, 0.3125, 0.0224], [0.5, 0.5, 0.5], [0.6196] * 3, [0.25] * 3, [0, 0, 0]],
    )
    atoms = AseAtomsAdaptor.get_atoms(s)
    dist = atoms.get_all_distances(mic=True)
    keep: list[int] = []
    for i in [k for k, x in enumerate(atoms.get_chemical_symbols()) if x == "Li"]:
        if all(dist[i, j] > 2.2 for j in keep):  # one Li of each close 48h pair
            keep.append(i)
    drop = sorted(
        set(k for k, x in enumerate(atoms.get_chemical_symbols()) if x == "Li") - set(keep)
    )
    del atoms[drop]
    return atoms


def li_lpsc_interface(
    *, n_li: int = 8, n_lpsc: int = 2, gap: float = 2.0, vacuum: float = 20.0, a_li: float = 3.44
) -> Atoms:
    """BCC Li(100) slab (3x3, strained in-plane to the electrolyte) under Li6PS5Cl.

    Per-atom arrays: ``region`` (``anode`` / ``electrolyte``) and ``layer`` (Li
    layer counted from the electrolyte side, 1 = contact; -1 in the electrolyte).
    """
    e = lpsc_cell().repeat((1, 1, n_lpsc))
    length = e.cell[0, 0]
    li = bcc100("Li", size=(3, 3, n_li), a=a_li, orthogonal=True)
    li.positions[:, :2] *= length / li.cell[0, 0]
    li.positions[:, 2] -= li.positions[:, 2].min()
    top = li.positions[:, 2].max()
    e.positions[:, 2] += top + gap - e.positions[:, 2].min()
    atoms = li + e
    atoms.set_cell([length, length, e.positions[:, 2].max() + vacuum])
    atoms.pbc = True
    atoms.positions[:, 2] += vacuum / 2
    atoms.arrays["region"] = np.array(["anode"] * len(li) + ["electrolyte"] * len(e))
    layer = np.rint((top - li.positions[:, 2]) / (a_li / 2)).astype(int) + 1
    atoms.arrays["layer"] = np.concatenate([layer, -np.ones(len(e), dtype=int)])
    return atoms
