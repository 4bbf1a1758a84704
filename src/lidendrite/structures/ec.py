"""Structures of study ``ec``: Li | EC + LiPF6 | Li (Hu et al., dp-qeq-constp).

Builders, each returning an :class:`ase.Atoms` with per-atom arrays

``region``   ``anode``, ``cathode``, ``electrode`` (metal) or ``electrolyte``
``layer``    metal layer index counted from the electrolyte (or gap) side,
             1 = contact layer; -1 for electrolyte atoms
``mol_id``   molecule index of electrolyte atoms (EC, PF6-, Li+ each one
             molecule); -1 for metal
``molecule`` ``EC``, ``PF6``, ``Li+`` or ``metal``
``fixed``    metal atoms that the paper holds fixed in MD

and ``info`` provenance (builder, paper section, molecule counts, packmol
version, seed, tolerance). z is the interface normal (the authors' code uses
y; here z throughout).

Paper facts used (sections 2.2.2-2.2.3 and SI 2.1 of the ec paper):

* electrolyte packed with packmol at EC density 1.3 g/cm^3 and LiPF6 2.5 M;
* Li(100) slab, 6 layers, 17.15 x 17.15 A in-plane (5 x 5 cubic cells of
  a = 3.43 A, 25 atoms per layer, 150 Li);
* single-interface models of 534 (initial data) and 548 atoms (ConstQ
  exploration), double-interface model of 834 atoms (ConstP exploration),
  3070-atom superlattice (Li 1425, C 441, H 588, O 441, P 25, F 150), cut in
  the middle of its Li slab into the 33.00 x 16.07 x 90.00 A double-interface
  cell whose outer four layers per electrode are fixed.

Molecule counts. At fixed EC density ``rho`` and LiPF6 molarity ``c`` the
number ratio is ``n_LiPF6 / n_EC = c M_EC / (1000 rho)`` = 0.1693 (eq. (E1)
here). Given the electrolyte atom count ``N = 10 n_EC + 8 n_LiPF6`` (EC has
10 atoms, LiPF6 8) :func:`electrolyte_counts` takes the integer solution
closest to the line of ratio (E1). This reproduces the paper's published
compositions: 3070 - 1400 = 1670 -> 147 EC + 25 LiPF6 (the SI composition);
834 - 2 x 150 = 534 -> 47 EC + 8 LiPF6 (ratio 0.170); 548 - 150 = 398 ->
35 EC + 6 LiPF6 (ratio 0.171); 534 - 150 = 384 admits only 36 + 3, 32 + 8,
28 + 13 ... and the closest is 32 EC + 8 LiPF6 (ratio 0.25: the paper's
534-atom model cannot sit on the ratio exactly with a 150-atom slab).
The electrolyte slab thickness is set so that the EC density is exactly
``rho`` over ``area x thickness``; LiPF6 then lands near ``c``.

The 1400 metal Li of the superlattice are 28 layers of 10 x 5 cubic cells
(34.30 x 17.15 A); after the paper's NPT (1 bar in x, y; 100 bar in z) the
cell became 33.00 x 16.07 A laterally and 90.00 A along z, consistent with
our unrelaxed 78 A stack stretched by the 10 % area loss.

Why one module of about 700 lines: each ec builder (electrolyte, interfaces, superlattice, toy capacitor, cut) stacks on the same slab and packing helpers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from ase import Atoms
from ase.data import atomic_masses, atomic_numbers

from lidendrite.constants import AVOGADRO
from lidendrite.errors import InputError
from lidendrite.structures.molecules import ethylene_carbonate, hexafluorophosphate, lithium_ion
from lidendrite.structures.packing import Species, pack, packmol_version

__all__ = [
    "AVOGADRO",
    "lipf6_per_ec",
    "electrolyte_counts",
    "li100_slab",
    "ec_electrolyte",
    "ec_single_interface",
    "ec_double_interface",
    "ec_superlattice",
    "cut_double_interface",
    "ec_toy_capacitor",
    "BUILDERS",
    "builder_kwargs",
]

_A3_TO_CM3 = 1e-24
PAPER = "Hu et al. (dp-qeq-constp) sec. 2.2.2-2.2.3, SI 2.1"


def _mass(formula_symbols: str | Sequence[str]) -> float:
    return float(
        sum(atomic_masses[atomic_numbers[s]] for s in Atoms(formula_symbols).get_chemical_symbols())
    )


M_EC = _mass("C3H4O3")  # g/mol
M_LIPF6 = _mass("LiPF6")  # g/mol


def lipf6_per_ec(*, ec_density: float, lipf6_molarity: float) -> float:
    """Number ratio n_LiPF6 / n_EC = c M_EC / (1000 rho) (eq. E1 of this module).

    ``ec_density`` in g/cm^3, ``lipf6_molarity`` in mol/L.
    """
    return lipf6_molarity * M_EC / (1000.0 * ec_density)


def electrolyte_counts(
    n_atoms: int, *, ec_density: float, lipf6_molarity: float
) -> tuple[int, int]:
    """(n_EC, n_LiPF6) with ``10 n_EC + 8 n_LiPF6 = n_atoms`` closest to ratio (E1).

    Closest means the smallest Euclidean distance in the (n_EC, n_LiPF6)
    plane to the point of ratio (E1) on the same atom-count line.
    Raises :class:`InputError` when no non-negative integer solution exists.
    """
    r = lipf6_per_ec(ec_density=ec_density, lipf6_molarity=lipf6_molarity)
    a_star = n_atoms / (10.0 + 8.0 * r)
    best = None
    for b in range(n_atoms // 8 + 1):
        rest = n_atoms - 8 * b
        if rest % 10:
            continue
        a = rest // 10
        dist = np.hypot(a - a_star, b - r * a_star)
        if best is None or dist < best[0]:
            best = (dist, a, b)
    if best is None or n_atoms <= 0:
        raise InputError(
            f"electrolyte atom count {n_atoms} is not 10 n_EC + 8 n_LiPF6 for any whole numbers"
        )
    return best[1], best[2]


def li100_slab(
    *,
    n_cells: Sequence[int],
    n_layers: int,
    lattice_constant: float,
    z0: float,
    contact: str,
    region: str,
    n_fixed_layers: int,
) -> Atoms:
    """BCC Li(100) slab, ``n_cells[0] x n_cells[1]`` cubic cells per layer.

    Layer k (k = 0 bottom) lies at ``z0 + k a/2`` with in-plane offset
    ``(k mod 2) (a/2, a/2)``; each layer holds ``n_cells[0] n_cells[1]`` atoms.

    Parameters
    ----------
    contact
        Side facing the electrolyte (``top``, ``bottom`` or ``both``); the
        ``layer`` array counts from it (1 = contact layer). With ``both``
        the index is that of the nearer surface.
    n_fixed_layers
        Layers farthest from the contact side flagged ``fixed``.
    """
    nx, ny = (int(v) for v in n_cells)
    if nx < 1 or ny < 1 or n_layers < 1:
        raise InputError(
            f"Li(100) slab needs positive n_cells and n_layers, got {n_cells}, {n_layers}"
        )
    a = float(lattice_constant)
    ii, jj = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
    base = np.column_stack([ii.ravel(), jj.ravel()]) * a
    pos, lay = [], []
    for k in range(n_layers):
        off = 0.5 * a * (k % 2)
        xy = base + off
        pos.append(np.column_stack([xy, np.full(len(xy), z0 + 0.5 * a * k)]))
        if contact == "top":
            lay += [n_layers - k] * len(xy)
        elif contact == "bottom":
            lay += [k + 1] * len(xy)
        elif contact == "both":
            lay += [min(k + 1, n_layers - k)] * len(xy)
        else:
            raise InputError(f"contact must be top, bottom or both, got {contact!r}")
    slab = Atoms(f"Li{nx * ny * n_layers}", positions=np.vstack(pos), cell=[nx * a, ny * a, 0.0])
    layer = np.array(lay, dtype=int)
    deepest = layer.max()
    _label(
        slab,
        region=region,
        layer=layer,
        mol_id=-1,
        molecule="metal",
        fixed=layer > deepest - n_fixed_layers,
    )
    return slab


def ec_electrolyte(
    *,
    box_length: float,
    ec_density: float,
    lipf6_molarity: float,
    n_ec: int | None = None,
    n_lipf6: int | None = None,
    tolerance: float,
    max_density: float,
    r_pf: float,
    seed: int,
    nloop: int,
    timeout_s: float,
    packmol_bin: str | None = None,
) -> Atoms:
    """Bulk EC + LiPF6 in a periodic cube of edge ``box_length`` (Angstrom).

    Counts from the box volume V: ``n_EC = round(rho V N_A / M_EC)`` and
    ``n_LiPF6 = round(c V N_A)`` (sec. 2.2.3: 1.3 g/cm^3 EC, 2.5 M LiPF6),
    unless given explicitly. Li+ are packed as single ions and PF6- as rigid
    octahedra; packmol's ``pbc`` keeps atoms of different molecules at least
    ``tolerance`` apart across the periodic boundary too.

    Raises
    ------
    InputError
        The mass density would exceed ``max_density`` (g/cm^3), or packmol
        cannot place the molecules.
    """
    L = float(box_length)
    if L <= 0:
        raise InputError(f"box_length must be positive, got {box_length}")
    vol_cm3 = L**3 * _A3_TO_CM3
    if n_ec is None:
        n_ec = int(round(ec_density * vol_cm3 * AVOGADRO / M_EC))
    if n_lipf6 is None:
        n_lipf6 = int(round(lipf6_molarity * vol_cm3 * 1e-3 * AVOGADRO))
    _check_density(n_ec, n_lipf6, L**3, max_density, f"{L:.2f} A cube")
    box = (0.0, 0.0, 0.0, L, L, L)
    atoms = pack(
        _electrolyte_species(n_ec, n_lipf6, box, r_pf),
        (L, L, L),
        tolerance=tolerance,
        seed=seed,
        nloop=nloop,
        timeout_s=timeout_s,
        packmol_bin=packmol_bin,
    )
    _label(
        atoms,
        region="electrolyte",
        layer=-1,
        mol_id=atoms.arrays["mol_id"],
        molecule=atoms.arrays["molecule"],
        fixed=False,
    )
    atoms.info.update(
        _provenance("ec_electrolyte", n_ec, n_lipf6, L**3, tolerance, seed, packmol_bin)
    )
    return atoms


def ec_single_interface(
    *,
    n_cells: Sequence[int],
    n_layers: int,
    lattice_constant: float,
    n_atoms_target: int | None,
    n_ec: int | None = None,
    n_lipf6: int | None = None,
    ec_density: float,
    lipf6_molarity: float,
    interface_gap: float,
    vacuum: float,
    n_fixed_layers: int,
    tolerance: float,
    max_density: float,
    r_pf: float,
    seed: int,
    nloop: int,
    timeout_s: float,
    packmol_bin: str | None = None,
) -> Atoms:
    """Li(100) slab with EC + LiPF6 packed on top, vacuum above (Fig. 1c, upper).

    Stack along z: slab (``n_layers`` layers, contact on top), a gap of
    ``interface_gap`` A from the top Li plane to the electrolyte box, the
    electrolyte box of thickness ``t = n_EC M_EC / (rho N_A A)``, then
    ``vacuum`` A up to the periodic image of the slab bottom. Molecule counts
    are explicit or from ``n_atoms_target`` via :func:`electrolyte_counts`
    (534 -> 32 EC + 8 LiPF6, 548 -> 35 EC + 6 LiPF6 with the 150-Li slab).
    The ``n_fixed_layers`` bottom layers are flagged ``fixed`` (sec. 2.2.3: 2).
    """
    slab = li100_slab(
        n_cells=n_cells,
        n_layers=n_layers,
        lattice_constant=lattice_constant,
        z0=0.0,
        contact="top",
        region="anode",
        n_fixed_layers=n_fixed_layers,
    )
    n_ec, n_lipf6 = _counts(n_atoms_target, len(slab), n_ec, n_lipf6, ec_density, lipf6_molarity)
    zlo, zhi = _electrolyte_window(slab, n_ec, ec_density, interface_gap)
    atoms = _pack_between(
        "ec_single_interface", [slab], n_ec, n_lipf6, zlo, zhi, zhi + vacuum,
        max_density=max_density, r_pf=r_pf, tolerance=tolerance, seed=seed, nloop=nloop,
        timeout_s=timeout_s, packmol_bin=packmol_bin,
    )  # fmt: skip
    atoms.info.update(interface_gap=interface_gap, vacuum=vacuum)
    return atoms


def ec_double_interface(
    *,
    n_cells: Sequence[int],
    n_layers: int,
    lattice_constant: float,
    n_atoms_target: int | None,
    n_ec: int | None = None,
    n_lipf6: int | None = None,
    ec_density: float,
    lipf6_molarity: float,
    interface_gap: float,
    vacuum: float,
    n_fixed_layers: int,
    upper_electrode: str,
    tolerance: float,
    max_density: float,
    r_pf: float,
    seed: int,
    nloop: int,
    timeout_s: float,
    packmol_bin: str | None = None,
) -> Atoms:
    """Two Li(100) electrodes with EC + LiPF6 between (Fig. 1c lower, 834 atoms).

    Stack along z: lower slab, ``interface_gap``, electrolyte box (thickness
    from the EC density as in :func:`ec_single_interface`),
    ``interface_gap``, upper slab, ``vacuum`` up to the image of the lower
    slab. 834 atoms = 2 x 150 Li + 47 EC + 8 LiPF6. The upper electrode is
    ``upper_electrode`` (``anode``, as in the first ConstP round of sec. 3.2)
    and the lower the other one; the ConstP code may swap them. The
    ``n_fixed_layers`` outermost layers of each slab are flagged ``fixed``
    (sec. 2.2.3: 2).
    """
    lower_region, upper_region = _electrode_names(upper_electrode)
    lower = li100_slab(
        n_cells=n_cells,
        n_layers=n_layers,
        lattice_constant=lattice_constant,
        z0=0.0,
        contact="top",
        region=lower_region,
        n_fixed_layers=n_fixed_layers,
    )
    n_ec, n_lipf6 = _counts(
        n_atoms_target, 2 * len(lower), n_ec, n_lipf6, ec_density, lipf6_molarity
    )
    zlo, zhi = _electrolyte_window(lower, n_ec, ec_density, interface_gap)
    upper = li100_slab(
        n_cells=n_cells,
        n_layers=n_layers,
        lattice_constant=lattice_constant,
        z0=zhi + interface_gap,
        contact="bottom",
        region=upper_region,
        n_fixed_layers=n_fixed_layers,
    )
    atoms = _pack_between(
        "ec_double_interface", [lower, upper], n_ec, n_lipf6, zlo, zhi,
        upper.positions[:, 2].max() + vacuum,
        max_density=max_density, r_pf=r_pf, tolerance=tolerance, seed=seed, nloop=nloop,
        timeout_s=timeout_s, packmol_bin=packmol_bin,
    )  # fmt: skip
    atoms.info.update(interface_gap=interface_gap, vacuum=vacuum)
    return atoms


def ec_superlattice(
    *,
    n_cells: Sequence[int],
    n_layers: int,
    lattice_constant: float,
    n_atoms_target: int | None,
    n_ec: int | None = None,
    n_lipf6: int | None = None,
    ec_density: float,
    lipf6_molarity: float,
    interface_gap: float,
    tolerance: float,
    max_density: float,
    r_pf: float,
    seed: int,
    nloop: int,
    timeout_s: float,
    packmol_bin: str | None = None,
) -> Atoms:
    """Thick Li(100) slab and EC + LiPF6 alternating along z (Fig. S1a, 3070 atoms).

    The slab (region ``electrode``) has both faces in contact with the
    electrolyte through the periodic boundary; ``layer`` counts from the
    nearer face. The cell length along z is ``(n_layers - 1) a/2 + 2 gap + t``
    so that the slab bottom sits ``interface_gap`` above the electrolyte box
    top through the boundary. ``n_layers`` must be even so that
    :func:`cut_double_interface` splits between two atomic planes.
    3070 atoms = 10 x 5 x 28 = 1400 Li + 147 EC + 25 LiPF6.
    """
    if n_layers % 2:
        raise InputError(
            f"superlattice n_layers must be even to cut it in the middle, got {n_layers}"
        )
    slab = li100_slab(
        n_cells=n_cells,
        n_layers=n_layers,
        lattice_constant=lattice_constant,
        z0=0.0,
        contact="both",
        region="electrode",
        n_fixed_layers=0,  # fixed layers are chosen at the cut (cut_double_interface)
    )
    n_ec, n_lipf6 = _counts(n_atoms_target, len(slab), n_ec, n_lipf6, ec_density, lipf6_molarity)
    zlo, zhi = _electrolyte_window(slab, n_ec, ec_density, interface_gap)
    atoms = _pack_between(
        "ec_superlattice", [slab], n_ec, n_lipf6, zlo, zhi, zhi + interface_gap,
        max_density=max_density, r_pf=r_pf, tolerance=tolerance, seed=seed, nloop=nloop,
        timeout_s=timeout_s, packmol_bin=packmol_bin,
    )  # fmt: skip
    atoms.info.update(interface_gap=interface_gap)
    return atoms


def cut_double_interface(
    atoms: Atoms,
    *,
    cell_z: float | None,
    vacuum: float | None,
    n_fixed_layers: int,
    upper_electrode: str,
    layer_tolerance: float = 0.5,
) -> Atoms:
    """Cut a superlattice in the middle of its metal slab (Fig. S1b -> S1c/d).

    The electrolyte centre ``z_e`` is the circular mean of the electrolyte z
    coordinates; the cut plane is the middle of the interlayer gap (wider than
    ``layer_tolerance``) nearest the median metal z measured upward from ``z_e``
    (mod L_z), i.e. the middle of the slab for an even number of layers. All atoms are shifted so
    that the cut plane is z = 0: the metal above the cut becomes the lower
    electrode, the metal below it (through the boundary) the upper one, and
    the electrolyte sits whole in between. The cell along z is then set to
    ``cell_z`` (paper 90.00 A) or to ``L_z + vacuum``, opening a vacuum at
    the cut. Lateral cell vectors are kept (the paper's 33.00 x 16.07 A are
    those of its NPT-relaxed superlattice).

    Layers are found by sorting each electrode's z and starting a new layer
    wherever consecutive values differ by more than ``layer_tolerance`` A
    (BCC(100) spacing a/2 = 1.7 A, thermal spread ~0.1-0.2 A at 300 K);
    ``layer_tolerance`` is a numerical threshold of this layer search, not a
    physical setting, and has no config key (any value between the thermal
    spread and the spacing gives the same layers). The other keywords come
    from the config's ``ec.structures.cut`` block, the one source of their
    values.
    ``layer`` counts from the electrolyte side (1 = contact layer);
    ``fixed`` marks the ``n_fixed_layers`` layers nearest the cut
    (SI 2.1: the outer four layers of each electrode).

    Raises
    ------
    InputError
        Not a superlattice (no metal or no electrolyte), non-orthorhombic
        cell, metal atoms on the cut plane, a cut that would leave one electrode
        with less than a third of the metal (no layer gap near the slab's middle),
        or ``cell_z`` too short.
    """
    if "region" not in atoms.arrays:
        raise InputError("cut_double_interface: atoms have no 'region' array")
    cell = atoms.cell.array
    if not np.allclose(cell, np.diag(np.diag(cell))):
        raise InputError("cut_double_interface: the cell must be orthorhombic")
    lz = cell[2, 2]
    region = atoms.arrays["region"]
    metal = np.isin(region, ["electrode", "anode", "cathode"])
    el = region == "electrolyte"
    if not metal.any() or not el.any():
        raise InputError("cut_double_interface: need both metal (electrode) and electrolyte atoms")
    z = atoms.positions[:, 2]
    phase = 2 * np.pi * z[el] / lz
    z_e = (lz * np.arctan2(np.sin(phase).mean(), np.cos(phase).mean()) / (2 * np.pi)) % lz
    e = (z - z_e) % lz
    # the interlayer gap nearest the metal's median: after MD a few electrode Li may
    # have reacted into the electrolyte, which moves the min/max of the metal but not
    # the median of its ordered slab
    em = np.sort(e[metal])
    gaps = np.diff(em)
    open_gap = gaps > layer_tolerance
    if not open_gap.any():
        raise InputError("cut_double_interface: the metal slab shows no interlayer gap to cut in")
    centres = 0.5 * (em[1:] + em[:-1])[open_gap]
    cut = float(centres[np.argmin(np.abs(centres - np.median(em)))])
    n_below = int(np.sum(em < cut))
    if min(n_below, len(em) - n_below) < len(em) / 3:
        # a slab whose middle has lost its layers (e.g. under a potential that does not
        # hold BCC Li) would be cut far from its middle into a thin and a thick electrode
        raise InputError(
            f"cut_double_interface: the interlayer gap nearest the slab's middle splits its "
            f"{len(em)} metal atoms {n_below} / {len(em) - n_below}: the slab has no layer gap "
            "near its middle (disordered metal)"
        )
    if np.any(np.abs(e[metal] - cut) < 0.25 * layer_tolerance):
        raise InputError("cut_double_interface: metal atoms lie on the cut plane")
    znew = (e - cut) % lz
    z_el_new = (lz - cut) % lz
    if cell_z is not None:
        new_lz = float(cell_z)
    elif vacuum is not None:
        new_lz = lz + float(vacuum)
    else:
        raise InputError("cut_double_interface: give cell_z or vacuum")
    if new_lz < lz:
        raise InputError(
            f"cut_double_interface: cell_z {new_lz:.2f} A is shorter than the superlattice ({lz:.2f} A)"
        )
    out = atoms.copy()
    pos = out.positions
    pos[:, 2] = znew
    out.positions = pos
    out.set_cell(np.diag([cell[0, 0], cell[1, 1], new_lz]))
    out.pbc = True
    lower_region, upper_region = _electrode_names(upper_electrode)
    lower = metal & (znew < z_el_new)
    upper = metal & (znew > z_el_new)
    reg = np.array(region, dtype="U16")
    reg[lower], reg[upper] = lower_region, upper_region
    layer = np.full(len(out), -1, dtype=int)
    fixed = np.zeros(len(out), dtype=bool)
    for mask, from_cut_upward in ((lower, True), (upper, False)):
        idx = np.flatnonzero(mask)
        order = idx[np.argsort(znew[idx] if from_cut_upward else -znew[idx])]
        breaks = np.abs(np.diff(znew[order])) > layer_tolerance
        from_cut = np.concatenate([[0], np.cumsum(breaks)])  # 0 = layer at the cut
        n = from_cut.max() + 1
        layer[order] = n - from_cut
        fixed[order] = from_cut < n_fixed_layers
    out.set_array("region", reg)
    out.set_array("layer", layer)
    out.set_array("fixed", fixed)
    out.info.update(
        builder="cut_double_interface",
        paper=PAPER,
        cut_from=str(atoms.info.get("builder", "unknown")),
        cell_z=new_lz,
        n_fixed_layers=n_fixed_layers,
    )
    return out


def ec_toy_capacitor(
    *,
    gap: float,
    n_cells: Sequence[int],
    n_layers: int,
    lattice_constant: float,
    outer_vacuum: float,
    upper_electrode: str = "anode",
) -> Atoms:
    """Two BCC Li(100) slabs ``gap`` A apart, vacuum between (Fig. 3a).

    ``gap`` is the distance between the facing surface atomic planes (20 and
    40 A in the paper). Behind the slabs ``outer_vacuum`` A separates the
    upper slab from the image of the lower one, so that with the slab dipole
    correction (eq. 8) the two electrodes face each other only across
    ``gap``. Regions ``anode``/``cathode``; ``layer`` counts from the gap.
    """
    if gap <= 0 or outer_vacuum <= 0:
        raise InputError(
            f"toy capacitor needs positive gap and outer_vacuum, got {gap}, {outer_vacuum}"
        )
    lower_region, upper_region = _electrode_names(upper_electrode)
    lower = li100_slab(
        n_cells=n_cells,
        n_layers=n_layers,
        lattice_constant=lattice_constant,
        z0=0.0,
        contact="top",
        region=lower_region,
        n_fixed_layers=0,  # bare metal in vacuum: no MD, nothing to fix
    )
    z_top = lower.positions[:, 2].max()
    upper = li100_slab(
        n_cells=n_cells,
        n_layers=n_layers,
        lattice_constant=lattice_constant,
        z0=z_top + gap,
        contact="bottom",
        region=upper_region,
        n_fixed_layers=0,
    )
    lx, ly = lower.cell.lengths()[:2]
    cz = upper.positions[:, 2].max() + outer_vacuum
    atoms = lower + upper
    atoms.set_cell([lx, ly, cz])
    atoms.pbc = True
    atoms.info.update(
        builder="ec_toy_capacitor",
        paper="Hu et al. (dp-qeq-constp) sec. 3.2, Fig. 3a",
        gap=float(gap),
        outer_vacuum=float(outer_vacuum),
    )
    return atoms


BUILDERS = {
    "ec-electrolyte": ec_electrolyte,
    "ec-single-interface": ec_single_interface,
    "ec-double-interface": ec_double_interface,
    "ec-superlattice": ec_superlattice,
    "ec-toy-capacitor": ec_toy_capacitor,
}


def builder_kwargs(structures_cfg: dict, block: str, function) -> dict:
    """Keyword arguments of ``function`` from the config ``ec.structures`` mapping.

    ``structures_cfg["common"]`` supplies shared keys (densities, lattice
    constant, packmol settings) that ``function`` accepts; ``structures_cfg[block]``
    adds or overrides its own. List values for ``n_cells`` become tuples.
    """
    import inspect

    accepted = set(inspect.signature(function).parameters)
    if block not in structures_cfg:
        raise InputError(f"config key ec.structures.{block} is missing")
    merged = {k: v for k, v in structures_cfg.get("common", {}).items() if k in accepted}
    merged.update(structures_cfg[block])
    unknown = set(merged) - accepted
    if unknown:
        raise InputError(
            f"config ec.structures.{block}: unknown key(s) {', '.join(sorted(unknown))}"
        )
    if "n_cells" in merged:
        merged["n_cells"] = tuple(merged["n_cells"])
    return merged


# ----------------------------------------------------------------- helpers


def _electrolyte_species(n_ec: int, n_lipf6: int, box: tuple, r_pf: float) -> list[Species]:
    return [
        Species("EC", ethylene_carbonate(), n_ec, box),
        Species("PF6", hexafluorophosphate(r_pf=r_pf), n_lipf6, box),
        Species("Li+", lithium_ion(), n_lipf6, box),
    ]


def _counts(target, n_metal, n_ec, n_lipf6, rho, c) -> tuple[int, int]:
    if n_ec is not None and n_lipf6 is not None:
        if n_ec < 0 or n_lipf6 < 0:
            raise InputError(
                f"molecule counts must be non-negative, got n_ec={n_ec}, n_lipf6={n_lipf6}"
            )
        return int(n_ec), int(n_lipf6)
    if target is None:
        raise InputError("give n_atoms_target or both n_ec and n_lipf6")
    if target <= n_metal:
        raise InputError(
            f"n_atoms_target {target} leaves no room for electrolyte beside {n_metal} metal Li"
        )
    return electrolyte_counts(int(target) - n_metal, ec_density=rho, lipf6_molarity=c)


def _thickness(n_ec: int, rho: float, area: float) -> float:
    """Electrolyte box thickness (A) holding n_EC at EC density rho over ``area`` (A^2)."""
    if n_ec < 1:
        raise InputError(f"an interface needs at least one EC, got n_ec={n_ec}")
    return n_ec * M_EC / (rho * AVOGADRO * _A3_TO_CM3) / area


def _electrolyte_window(slab: Atoms, n_ec: int, rho: float, gap: float) -> tuple[float, float]:
    """(z_lo, z_hi) in A of the electrolyte box: ``gap`` above the slab's top plane,
    thick enough to hold ``n_ec`` EC at density ``rho`` (g/cm^3) over the slab's area."""
    lx, ly = slab.cell.lengths()[:2]
    zlo = slab.positions[:, 2].max() + gap
    return zlo, zlo + _thickness(n_ec, rho, lx * ly)


def _pack_between(
    builder: str,
    metals: list[Atoms],
    n_ec: int,
    n_lipf6: int,
    zlo: float,
    zhi: float,
    cell_z: float,
    *,
    max_density: float,
    r_pf: float,
    tolerance: float,
    seed: int,
    nloop: int,
    timeout_s: float,
    packmol_bin: str | None,
) -> Atoms:
    """Pack EC + LiPF6 between ``zlo`` and ``zhi`` (A) beside the ``metals`` slabs and label
    the result; the cell is the slabs' a x b times ``cell_z``. Records the provenance and
    ``electrolyte_zlo`` / ``electrolyte_zhi`` in ``info``."""
    lx, ly = metals[0].cell.lengths()[:2]
    volume = lx * ly * (zhi - zlo)
    _check_density(
        n_ec,
        n_lipf6,
        volume,
        max_density,
        f"{lx:.2f} x {ly:.2f} x {zhi - zlo:.2f} A electrolyte box",
    )
    el = pack(
        _electrolyte_species(n_ec, n_lipf6, (0.0, 0.0, zlo, lx, ly, zhi), r_pf),
        (lx, ly, cell_z),
        tolerance=tolerance,
        seed=seed,
        nloop=nloop,
        timeout_s=timeout_s,
        packmol_bin=packmol_bin,
    )
    atoms = _combine(metals, el, (lx, ly, cell_z))
    atoms.info.update(_provenance(builder, n_ec, n_lipf6, volume, tolerance, seed, packmol_bin))
    atoms.info.update(electrolyte_zlo=zlo, electrolyte_zhi=zhi)
    return atoms


def _check_density(
    n_ec: int, n_lipf6: int, volume_a3: float, max_density: float, where: str
) -> None:
    dens = (n_ec * M_EC + n_lipf6 * M_LIPF6) / (AVOGADRO * volume_a3 * _A3_TO_CM3)
    if dens > max_density:
        raise InputError(
            f"{n_ec} EC + {n_lipf6} LiPF6 cannot fit in the {where}: {dens:.2f} g/cm^3 > max_density {max_density}"
        )


def _electrode_names(upper_electrode: str) -> tuple[str, str]:
    if upper_electrode == "anode":
        return "cathode", "anode"
    if upper_electrode == "cathode":
        return "anode", "cathode"
    raise InputError(f"upper_electrode must be anode or cathode, got {upper_electrode!r}")


def _label(atoms: Atoms, *, region, layer, mol_id, molecule, fixed) -> None:
    n = len(atoms)
    atoms.set_array("region", np.broadcast_to(np.asarray(region, dtype="U16"), (n,)).copy())
    atoms.set_array("layer", np.broadcast_to(np.asarray(layer, dtype=int), (n,)).copy())
    atoms.set_array("mol_id", np.broadcast_to(np.asarray(mol_id, dtype=int), (n,)).copy())
    atoms.set_array("molecule", np.broadcast_to(np.asarray(molecule, dtype="U8"), (n,)).copy())
    atoms.set_array("fixed", np.broadcast_to(np.asarray(fixed, dtype=bool), (n,)).copy())


def _combine(metals: list[Atoms], electrolyte: Atoms, cell: tuple[float, float, float]) -> Atoms:
    _label(
        electrolyte,
        region="electrolyte",
        layer=-1,
        mol_id=electrolyte.arrays["mol_id"],
        molecule=electrolyte.arrays["molecule"],
        fixed=False,
    )
    out = Atoms(cell=cell, pbc=True)
    for m in metals:
        out += m
    out += electrolyte
    out.set_cell(cell)
    out.pbc = True
    return out


def _provenance(builder, n_ec, n_lipf6, volume_a3, tolerance, seed, packmol_bin) -> dict:
    vol_l = volume_a3 * _A3_TO_CM3 * 1e-3
    return dict(
        builder=builder,
        paper=PAPER,
        n_ec=int(n_ec),
        n_lipf6=int(n_lipf6),
        electrolyte_volume_A3=float(volume_a3),
        ec_density_g_cm3=float(n_ec * M_EC / (AVOGADRO * volume_a3 * _A3_TO_CM3)),
        lipf6_molarity_M=float(n_lipf6 / AVOGADRO / vol_l),
        packmol_tolerance=float(tolerance),
        packmol_seed=int(seed),
        packmol_version=packmol_version(packmol_bin),
    )
