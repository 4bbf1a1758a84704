"""Structures of study ``lpsc``: BCC Li, Li6PS5Cl, the Li/Li6PS5Cl interface and the sandwich.

An et al. (lpsc paper, ``shared/papers/lpsc-li-nucleation-an-et-al.md``),
SI 1 (PBE lattice constants 3.42 and 10.25 A), SI 2.1 (16-, 52- and 185-atom
training cells) and SI 3 (the 4833-atom Li | Li6PS5Cl | Li sandwich).

Every builder returns an :class:`ase.Atoms` with per-atom arrays

``region``  ``bulk`` (bulk cells), ``anode``, ``electrolyte``, ``source``
``layer``   metal layer index counted from the electrolyte, 1 = contact
            layer (anode and source alike); -1 for electrolyte and bulk atoms

and ``info`` provenance (``builder``, ``params`` as JSON, ``paper``,
``lattice_mismatch_percent`` for interfaces). z is the interface normal.

Geometry of the interfaces (both built by one stacking routine, bottom to top):

* anode: BCC Li(001) layers of ``n_li_lateral x n_li_lateral`` atoms, lateral
  lattice strained to the electrolyte's ``n_el_lateral * lpsc_a`` (the paper
  strains the metal: 30.763 -> 30.814 A), interlayer spacing ``li_a / 2`` of
  unstrained Li (the 0.16 % strain changes it by < 0.003 A);
* ``interface_gap``: z distance from the anode contact layer to the lowest
  electrolyte atom (and from the highest electrolyte atom to the source
  contact layer);
* electrolyte: ``n_el_lateral x n_el_lateral x n_el_cells_z`` ordered
  Li6PS5Cl cells (:mod:`lidendrite.structures.argyrodite`) cut at the widest
  empty z interval of the cell that leaves every PS4 tetrahedron whole (see
  :func:`lpsc_slab`), so both faces are stoichiometric and no P-S bond is cut;
* source: ``n_source_layers`` BCC Li(001) layers;
* vacuum: ``vacuum`` A from the top source layer to the periodic image of the
  bottom anode layer (the bottom anode layer is at z = 0).

Lattice mismatch (SI 3): ``100 (L_el - L_Li) / L_Li`` with
``L_el = n_el_lateral lpsc_a`` and ``L_Li = n_li_lateral li_a``; paper
(30.814 - 30.763) / 30.763 = 0.166 % (quoted as 0.16 %).

Cell length of the paper sandwich. With 16 + 9 Li layers (23 spacings of
1.709 A = 39.31 A), 6 cells of 10.271 A, 40 A vacuum and the electrolyte span
of our cut, the paper's 150.42 A leaves a fixed amount for the two gaps;
:func:`lpsc_sandwich` accepts either ``interface_gap`` or ``cell_z`` and derives
the other (``info["interface_gap"]``, ``info["cell_z"]``).

Why one module of about 500 lines: each lpsc builder (BCC Li, Li6PS5Cl, interface, sandwich) stacks on the one before it and shares its lattice helpers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from ase import Atoms

from lidendrite.errors import InputError
from lidendrite.io.extxyz import record_provenance
from lidendrite.structures.argyrodite import ordered_argyrodite
from lidendrite.structures.checks import check_min_distance

__all__ = [
    "PAPER",
    "li_bcc",
    "lpsc_bulk",
    "bcc001_layers",
    "lpsc_slab",
    "lattice_mismatch_percent",
    "lpsc_interface",
    "lpsc_sandwich",
    "BUILDERS",
]

PAPER = "An et al. (lpsc) SI 1, 2.1, 3"
_CUT_BINS = 4096  # z resolution of the termination search: c/4096 ~ 0.003 A
_PS_BOND_FACTOR = 1.3  # S within 1.3 x the shortest P-S distance belongs to that P


def _tag(atoms: Atoms, region: str | Sequence[str], layer: int | Sequence[int]) -> Atoms:
    n = len(atoms)
    reg = [region] * n if isinstance(region, str) else list(region)
    lay = [layer] * n if isinstance(layer, int | np.integer) else list(layer)
    atoms.new_array("region", np.array(reg, dtype=object).astype(str))
    atoms.new_array("layer", np.array(lay, dtype=int))
    return atoms


def li_bcc(*, a: float, repeat: Sequence[int], min_distance: float) -> Atoms:
    """Bulk BCC Li, cubic cell repeated ``repeat`` (2x2x2 = the paper's 16-atom cell).

    Parameters
    ----------
    a
        Cubic lattice constant, Angstrom (paper PBE: 3.42, SI 1).
    repeat
        Repetitions of the 2-atom cubic cell along x, y, z.
    min_distance
        Smallest allowed interatomic distance, Angstrom (nearest neighbour
        is sqrt(3) a / 2 = 2.96 A at a = 3.42).
    """
    from ase.build import bulk

    if not a > 0 or len(repeat) != 3 or min(repeat) < 1:
        raise InputError(
            f"li_bcc: need a > 0 and three positive repeats, got a={a}, repeat={repeat}"
        )
    atoms = bulk("Li", "bcc", a=a, cubic=True).repeat(tuple(int(r) for r in repeat))
    _tag(atoms, "bulk", -1)
    check_min_distance(atoms, min_distance, "li_bcc")
    return record_provenance(
        atoms,
        "li_bcc",
        {"a": a, "repeat": repeat, "min_distance": min_distance},
        paper=f"{PAPER}: BCC Li, 16 atoms, PBE a = 3.42 A",
        lattice_constant=float(a),
    )


def lpsc_bulk(*, a: float, repeat: Sequence[int], min_distance: float) -> Atoms:
    """Ordered Li6PS5Cl conventional cell(s), 52 atoms each (Li24 P4 S20 Cl4).

    Parameters
    ----------
    a
        Cubic lattice constant, Angstrom (paper PBE: 10.25, SI 1).
    repeat
        Repetitions along x, y, z ((1, 1, 1) = the paper's 52-atom cell).
    min_distance
        Smallest allowed interatomic distance, Angstrom.

    Notes
    -----
    The anion/P framework is the F-43m argyrodite; the 24 Li occupy one site
    of each 48h doublet, chosen by lowest Ewald energy (see
    :mod:`lidendrite.structures.argyrodite`), which lowers the symmetry of
    the full cell to a monoclinic subgroup.
    """
    if len(repeat) != 3 or min(repeat) < 1:
        raise InputError(f"lpsc_bulk: need three positive repeats, got {repeat}")
    atoms = ordered_argyrodite(a).repeat(tuple(int(r) for r in repeat))
    _tag(atoms, "bulk", -1)
    check_min_distance(atoms, min_distance, "lpsc_bulk")
    return record_provenance(
        atoms,
        "lpsc_bulk",
        {"a": a, "repeat": repeat, "min_distance": min_distance},
        paper=f"{PAPER}: Li6PS5Cl F-43m, 52 atoms, PBE a = 10.25 A",
        lattice_constant=float(a),
        parent_spacegroup=216,
    )


def bcc001_layers(
    *, n_lateral: int, lateral_length: float, n_layers: int, spacing: float, z0: float = 0.0
) -> tuple[Atoms, np.ndarray]:
    """BCC(001) Li layers, ``n_lateral^2`` atoms each, stacked upward from ``z0``.

    Layer k (k = 0 at the bottom) sits at ``z0 + k * spacing``; even layers on
    the corners, odd layers on the centres of the square net of side
    ``lateral_length / n_lateral``.

    Returns
    -------
    (ase.Atoms, numpy.ndarray)
        The atoms (no cell) and the layer index k of each, ``[n]``.
    """
    if n_lateral < 1 or n_layers < 0 or not spacing > 0 or not lateral_length > 0:
        raise InputError(
            f"bcc001_layers: need n_lateral >= 1, n_layers >= 0, positive spacing/length; "
            f"got {n_lateral}, {n_layers}, {spacing}, {lateral_length}"
        )
    a_lat = lateral_length / n_lateral
    ij = np.array([(i, j) for i in range(n_lateral) for j in range(n_lateral)], dtype=float)
    pos, k_of = [], []
    for k in range(n_layers):
        xy = (ij + 0.5 * (k % 2)) * a_lat
        pos.append(np.column_stack([xy, np.full(len(xy), z0 + k * spacing)]))
        k_of += [k] * len(xy)
    positions = np.vstack(pos) if pos else np.zeros((0, 3))
    return Atoms(["Li"] * len(positions), positions=positions), np.array(k_of, dtype=int)


def _cut_height(cell: Atoms) -> tuple[float, float]:
    """Fractional z of the termination plane and the empty width around it (Angstrom).

    Occupied z: every atom, plus the whole z extent of each PS4 tetrahedron.
    The cut is the centre of the widest unoccupied periodic z interval.
    """
    c = cell.cell.lengths()[2]
    z = cell.positions[:, 2] % c
    occupied = np.zeros(_CUT_BINS, dtype=bool)
    occupied[(z / c * _CUT_BINS).astype(int) % _CUT_BINS] = True
    p_idx = np.flatnonzero(cell.numbers == 15)
    s_idx = np.flatnonzero(cell.numbers == 16)
    d = cell.get_all_distances(mic=True, vector=True)
    dps = np.linalg.norm(d[np.ix_(p_idx, s_idx)], axis=-1)
    bond = _PS_BOND_FACTOR * dps.min()
    for ip, p in enumerate(p_idx):
        dz = d[p, s_idx[dps[ip] < bond], 2]
        lo, hi = z[p] + min(0.0, dz.min()), z[p] + max(0.0, dz.max())
        bins = np.arange(int(np.floor(lo / c * _CUT_BINS)), int(np.ceil(hi / c * _CUT_BINS)) + 1)
        occupied[bins % _CUT_BINS] = True
    free = ~occupied
    if not free.any():
        raise InputError("lpsc_slab: no empty z interval in the Li6PS5Cl cell to cut at")
    # longest circular run of free bins
    doubled = np.concatenate([free, free])
    best_len, best_end, run = 0, 0, 0
    for i, f in enumerate(doubled):
        run = run + 1 if f else 0
        if run > best_len and run <= _CUT_BINS:
            best_len, best_end = run, i
    centre = (best_end - (best_len - 1) / 2.0 + 0.5) / _CUT_BINS % 1.0
    return float(centre), float(best_len / _CUT_BINS * c)


def lpsc_slab(*, a: float, n_lateral: int, n_cells_z: int) -> tuple[Atoms, dict]:
    """Li6PS5Cl(001) block of ``n_lateral x n_lateral x n_cells_z`` ordered cells.

    The cell is cut at the plane of :func:`_cut_height` (centre of the widest
    empty z interval that cuts no PS4 tetrahedron), so the block holds whole
    cells: stoichiometric Li6PS5Cl with intact PS4 units on both faces.

    Returns
    -------
    (ase.Atoms, dict)
        Atoms with the lowest atom at z = 0 (cell: lateral ``n_lateral a``,
        z = ``n_cells_z a``, the bulk period), and a dict with ``span``
        (z extent of the atoms, Angstrom), ``cut_width`` (empty width at the
        cut, Angstrom), ``termination_bottom`` / ``termination_top``
        (formula of the atoms within 1 A of each face).
    """
    if n_lateral < 1 or n_cells_z < 1:
        raise InputError(f"lpsc_slab: need n_lateral, n_cells_z >= 1, got {n_lateral}, {n_cells_z}")
    cell = ordered_argyrodite(a)
    zc, width = _cut_height(cell)
    frac = cell.get_scaled_positions(wrap=True)
    frac[:, 2] = (frac[:, 2] - zc) % 1.0
    cell.set_scaled_positions(frac)
    block = cell.repeat((n_lateral, n_lateral, n_cells_z))
    block.positions[:, 2] -= block.positions[:, 2].min()
    z = block.positions[:, 2]
    span = float(z.max())
    face = 1.0  # Angstrom, only for the termination label
    bottom = Atoms(block.numbers[z < face]).get_chemical_formula()
    top = Atoms(block.numbers[z > span - face]).get_chemical_formula()
    return block, {
        "span": span,
        "cut_width": width,
        "termination_bottom": bottom,
        "termination_top": top,
    }


def lattice_mismatch_percent(
    *, lpsc_a: float, n_el_lateral: int, li_a: float, n_li_lateral: int
) -> float:
    """Lateral mismatch ``100 (L_el - L_Li) / L_Li`` in percent (SI 3: 0.16 %)."""
    l_el, l_li = n_el_lateral * lpsc_a, n_li_lateral * li_a
    return float(100.0 * (l_el - l_li) / l_li)


def _stack(
    *,
    lpsc_a: float,
    li_a: float,
    n_el_lateral: int,
    n_li_lateral: int,
    n_el_cells_z: int,
    n_anode_layers: int,
    n_source_layers: int,
    vacuum: float,
    interface_gap: float | None,
    cell_z: float | None,
) -> tuple[Atoms, dict]:
    """Anode | gap | electrolyte | gap | source | vacuum, bottom anode layer at z = 0."""
    if n_anode_layers < 1:
        raise InputError(f"need at least one anode layer, got {n_anode_layers}")
    if (interface_gap is None) == (cell_z is None):
        raise InputError("give exactly one of interface_gap and cell_z")
    if vacuum < 0:
        raise InputError(f"vacuum must be >= 0, got {vacuum}")
    lateral = n_el_lateral * lpsc_a
    spacing = li_a / 2.0
    el, term = lpsc_slab(a=lpsc_a, n_lateral=n_el_lateral, n_cells_z=n_el_cells_z)
    metal_z = (n_anode_layers - 1) * spacing + max(n_source_layers - 1, 0) * spacing
    n_gaps = 2 if n_source_layers > 0 else 1
    if cell_z is not None:
        interface_gap = (cell_z - vacuum - metal_z - term["span"]) / n_gaps
        if not interface_gap > 0:
            raise InputError(
                f"cell_z = {cell_z} A is too short: the slabs and vacuum alone take "
                f"{metal_z + term['span'] + vacuum:.3f} A"
            )
    anode, k = bcc001_layers(
        n_lateral=n_li_lateral, lateral_length=lateral, n_layers=n_anode_layers, spacing=spacing
    )
    _tag(anode, "anode", n_anode_layers - k)
    z_el = (n_anode_layers - 1) * spacing + interface_gap
    el.positions[:, 2] += z_el
    _tag(el, "electrolyte", -1)
    parts = [anode, el]
    z_top = z_el + term["span"]
    if n_source_layers > 0:
        source, k = bcc001_layers(
            n_lateral=n_li_lateral,
            lateral_length=lateral,
            n_layers=n_source_layers,
            spacing=spacing,
            z0=z_top + interface_gap,
        )
        _tag(source, "source", k + 1)
        parts.append(source)
        z_top = source.positions[:, 2].max()
    # concatenate, then set the string array once: Atoms.__add__ would cast
    # 'electrolyte' into the first part's fixed-width dtype ('<U5' from 'anode')
    region = np.concatenate([np.asarray(p.arrays["region"], dtype=object) for p in parts])
    layer = np.concatenate([p.arrays["layer"] for p in parts])
    atoms = Atoms(
        np.concatenate([p.numbers for p in parts]),
        positions=np.vstack([p.positions for p in parts]),
    )
    _tag(atoms, region.tolist(), layer.tolist())
    atoms.set_cell([lateral, lateral, z_top + vacuum])
    atoms.pbc = True
    geom = dict(term)
    geom.update(
        interface_gap=float(interface_gap),
        cell_z=float(z_top + vacuum),
        vacuum=float(vacuum),
        li_layer_spacing=float(spacing),
        lateral_length_electrolyte=float(lateral),
        lateral_length_li_unstrained=float(n_li_lateral * li_a),
        lattice_mismatch_percent=lattice_mismatch_percent(
            lpsc_a=lpsc_a, n_el_lateral=n_el_lateral, li_a=li_a, n_li_lateral=n_li_lateral
        ),
    )
    return atoms, geom


def lpsc_interface(
    *,
    lpsc_a: float,
    li_a: float,
    n_el_lateral: int,
    n_li_lateral: int,
    n_el_cells_z: int,
    n_li_layers: int,
    interface_gap: float,
    vacuum: float,
    min_distance: float,
) -> Atoms:
    """Li(001) | Li6PS5Cl(001) slab interface (paper: 185 atoms = 81 Li + 2 x 52, SI 2.1).

    Parameters
    ----------
    lpsc_a, li_a
        Lattice constants of Li6PS5Cl and BCC Li, Angstrom (paper PBE 10.25, 3.42).
    n_el_lateral, n_li_lateral
        Lateral repeats of the electrolyte cell and of the BCC cell (1 and 3:
        10.25 vs 10.26 A; the Li is strained to the electrolyte).
    n_el_cells_z
        Electrolyte cells along [001] (2).
    n_li_layers
        BCC Li(001) layers under the electrolyte (9 layers of 9 atoms).
    interface_gap
        z distance from the Li contact layer to the lowest electrolyte atom,
        Angstrom.
    vacuum
        Vacuum above the electrolyte (to the image of the bottom Li layer), Angstrom.
    min_distance
        Smallest allowed interatomic distance, Angstrom.

    Returns
    -------
    ase.Atoms
        ``region`` ``anode``/``electrolyte``; ``layer`` 1 = Li contact layer.
    """
    params = dict(locals())
    atoms, geom = _stack(
        lpsc_a=lpsc_a,
        li_a=li_a,
        n_el_lateral=n_el_lateral,
        n_li_lateral=n_li_lateral,
        n_el_cells_z=n_el_cells_z,
        n_anode_layers=n_li_layers,
        n_source_layers=0,
        vacuum=vacuum,
        interface_gap=interface_gap,
        cell_z=None,
    )
    check_min_distance(atoms, min_distance, "lpsc_interface")
    return record_provenance(
        atoms, "lpsc_interface", params, paper=f"{PAPER}: 185-atom interface", **geom
    )


def lpsc_sandwich(
    *,
    lpsc_a: float,
    li_a: float,
    n_el_lateral: int,
    n_li_lateral: int,
    n_el_cells_z: int,
    n_anode_layers: int,
    n_source_layers: int,
    vacuum: float,
    min_distance: float,
    interface_gap: float | None = None,
    cell_z: float | None = None,
) -> Atoms:
    """Li | Li6PS5Cl | Li sandwich of SI 3 (paper: 4833 atoms, 30.81 x 30.81 x 150.42 A^3).

    Parameters
    ----------
    lpsc_a, li_a
        Lattice constants, Angstrom. SI 3 gives the supercell lengths 30.814
        (3 x 10.2713) and 30.763 A (9 x 3.41811) -- slightly different from
        the SI 1 bulk values 10.25 and 3.42, which would give 30.75 A.
    n_el_lateral, n_li_lateral
        Lateral repeats (3 and 9 in the paper).
    n_el_cells_z
        Electrolyte cells along [001] (6: 4833 - 25 x 81 = 2808 = 54 x 52).
    n_anode_layers, n_source_layers
        BCC Li(001) layers of the anode (bottom, 16) and the Li source (top, 9).
    vacuum
        From the top source layer to the image of the bottom anode layer (40 A).
    min_distance
        Smallest allowed interatomic distance, Angstrom.
    interface_gap, cell_z
        Exactly one: the z distance between each Li contact layer and the
        nearest electrolyte atom (Angstrom), or the cell length along z from
        which that gap follows (paper: 150.42 A).

    Returns
    -------
    ase.Atoms
        ``region`` ``anode``/``electrolyte``/``source``; ``layer`` counted
        from the electrolyte (1 = contact layer) in both metal slabs, -1 in
        the electrolyte; ``info`` with the mismatch, derived gap and cell_z.
    """
    params = dict(locals())
    if n_source_layers < 1:
        raise InputError(f"lpsc_sandwich needs at least one source layer, got {n_source_layers}")
    atoms, geom = _stack(
        lpsc_a=lpsc_a,
        li_a=li_a,
        n_el_lateral=n_el_lateral,
        n_li_lateral=n_li_lateral,
        n_el_cells_z=n_el_cells_z,
        n_anode_layers=n_anode_layers,
        n_source_layers=n_source_layers,
        vacuum=vacuum,
        interface_gap=interface_gap,
        cell_z=cell_z,
    )
    check_min_distance(atoms, min_distance, "lpsc_sandwich")
    return record_provenance(
        atoms, "lpsc_sandwich", params, paper=f"{PAPER}: 4833-atom sandwich", **geom
    )


#: CLI kind -> builder
BUILDERS = {
    "li-bcc": li_bcc,
    "lpsc-bulk": lpsc_bulk,
    "lpsc-interface": lpsc_interface,
    "lpsc-sandwich": lpsc_sandwich,
}
