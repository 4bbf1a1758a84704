"""Tests of the ec-study structure builders (Li | EC + LiPF6 | Li).

Molecule integrity is checked by an independent bond graph (covalent radii,
minimum-image neighbour list) rather than by the builder's own bookkeeping.
"""

from __future__ import annotations

from collections import Counter

import ase.io
import numpy as np
import pytest
from ase.data import atomic_masses, atomic_numbers, covalent_radii
from ase.neighborlist import neighbor_list
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from lidendrite.config import load_config
from lidendrite.errors import InputError, ToolMissingError
from lidendrite.structures import ec as ecmod
from lidendrite.structures.ec import (
    builder_kwargs,
    cut_double_interface,
    ec_double_interface,
    ec_electrolyte,
    ec_single_interface,
    ec_superlattice,
    ec_toy_capacitor,
    electrolyte_counts,
)
from lidendrite.structures.molecules import ethylene_carbonate, hexafluorophosphate

A = 3.43  # Li lattice constant, A: 17.15 A / 5 cells (ec paper sec. 2.2.3)
TOL = 2.0  # packmol tolerance, A
# packmol reports success once the largest distance and box-constraint
# violations are below its `precision` (0.01, default, in squared-Angstrom
# penalty units), so an atom may sit up to sqrt(0.01) = 0.1 A inside the
# tolerance or outside its box (0.09 A seen with seed 1 at ci scale).
MARGIN = 0.1
N_A = 6.02214076e23

# ci-scale sizes (the same as config/fragments/structures_ec.yaml, scale ci)
CI = dict(n_cells=(3, 3), n_layers=4, lattice_constant=A)
# the builders have no defaults: the config is the one source of their settings
CI_S = load_config("ci")["ec"]["structures"]
PAPER_S = load_config("paper")["ec"]["structures"]


def ci_kwargs(block, fn, **over):
    """Keywords of ``fn`` from the ci config block ``block``, ``over`` on top."""
    return {**builder_kwargs(CI_S, block, fn), **over}


BUILDER_BLOCKS = [
    ("electrolyte", ec_electrolyte),
    ("single_interface", ec_single_interface),
    ("single_interface_explore", ec_single_interface),
    ("double_interface", ec_double_interface),
    ("superlattice", ec_superlattice),
]


# ------------------------------------------------------------------ helpers
def bond_graph(atoms):
    """Covalent bonds among C, H, O, P, F (Li never bonded: ions and metal).

    Cutoff 1.15 x (r_i + r_j) (ASE covalent radii): every bond of EC and PF6
    is within 1.02 x the radius sum, and every cross-molecule pair kept
    >= TOL apart by packmol is beyond its cutoff (the largest, P-C at
    2.10 A, cannot occur: a point 2.0 A from P lies within 1.7 A of an F).
    """
    i, j, d = neighbor_list("ijd", atoms, 2.5)
    z = atoms.numbers
    keep = (z[i] != 3) & (z[j] != 3) & (i < j)
    i, j, d = i[keep], j[keep], d[keep]
    cut = 1.15 * (covalent_radii[z[i]] + covalent_radii[z[j]])
    bonded = d < cut
    return i[bonded], j[bonded]


def check_molecules(atoms):
    """Every electrolyte molecule is whole and is exactly one EC, PF6 or Li+."""
    el = np.flatnonzero(atoms.arrays["region"] == "electrolyte")
    sub = atoms[el]
    i, j = bond_graph(sub)
    n = len(sub)
    graph = coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n))
    ncomp, comp = connected_components(graph, directed=False)
    mol = sub.arrays["mol_id"]
    # components and molecule ids must be the same partition
    pairs = set(zip(comp.tolist(), mol.tolist(), strict=True))
    assert len(pairs) == ncomp == len(np.unique(mol))
    sym = np.array(sub.get_chemical_symbols())
    deg = np.bincount(np.concatenate([i, j]), minlength=n)
    kinds = Counter()
    for m in np.unique(mol):
        idx = np.flatnonzero(mol == m)
        formula = "".join(f"{s}{c}" for s, c in sorted(Counter(sym[idx]).items()))
        nb = np.isin(i, idx).sum()
        if formula == "C3H4O3":
            assert nb == 10  # 5 ring + C=O + 4 C-H
            assert sorted(deg[idx][sym[idx] == "C"]) == [3, 4, 4]
            assert sorted(deg[idx][sym[idx] == "O"]) == [1, 2, 2]
            assert set(deg[idx][sym[idx] == "H"]) == {1}
            kinds["EC"] += 1
        elif formula == "F6P1":
            assert nb == 6
            p = idx[sym[idx] == "P"][0]
            dist = sub.get_distances(p, idx[sym[idx] == "F"], mic=True)
            assert np.allclose(dist, 1.61, atol=1e-4)  # rigid template P-F
            kinds["PF6"] += 1
        elif formula == "Li1":
            kinds["Li+"] += 1
        else:
            raise AssertionError(f"molecule {m} is {formula}")
    return kinds


def min_cross_distance(atoms, cutoff=3.0):
    """Smallest distance between atoms of different molecules (electrolyte) and metal-electrolyte."""
    i, j, d = neighbor_list("ijd", atoms, cutoff)
    m = atoms.arrays["mol_id"]
    el = (m[i] >= 0) & (m[j] >= 0) & (m[i] != m[j])
    met = (m[i] < 0) ^ (m[j] < 0)
    return (d[el].min() if el.any() else np.inf), (d[met].min() if met.any() else np.inf)


def check_metal_labels(atoms, region, contact_is_top):
    """layer 1 is the metal plane nearest the electrolyte; layers are planes a/2 apart."""
    m = atoms.arrays["region"] == region
    z = atoms.positions[m, 2]
    layer = atoms.arrays["layer"][m]
    assert layer.min() == 1
    contact = z.max() if contact_is_top else z.min()
    depth = (contact - z) if contact_is_top else (z - contact)
    assert np.allclose(depth, (layer - 1) * A / 2, atol=1e-6)
    assert np.all(atoms.arrays["mol_id"][m] == -1)


# ------------------------------------------------------------------ templates
def test_templates_follow_internal_coordinates():
    ec = ethylene_carbonate()
    assert ec.get_chemical_formula() == "C3H4O3"
    d = ec.get_all_distances()
    assert d[0, 1] == pytest.approx(1.19)  # C=O
    assert d[0, 2] == pytest.approx(1.33) and d[0, 3] == pytest.approx(1.33)
    assert d[2, 4] == pytest.approx(1.44) and d[3, 5] == pytest.approx(1.44)
    assert d[4, 5] == pytest.approx(1.53)  # ring closure
    assert np.allclose(d[[4, 4, 5, 5], [6, 7, 8, 9]], 1.09)
    # planar five-membered ring: interior angles sum to 540 degrees
    ring = [0, 2, 4, 5, 3]
    angles = sum(ec.get_angle(ring[k - 1], ring[k], ring[(k + 1) % 5]) for k in range(5))
    assert angles == pytest.approx(540.0)
    pf6 = hexafluorophosphate(r_pf=1.6)
    assert np.allclose(pf6.get_distances(0, range(1, 7)), 1.6)
    assert pf6.get_angle(1, 0, 2) == pytest.approx(90.0)


# ------------------------------------------------------------------ counts
@pytest.mark.parametrize(
    "n_atoms, expected",
    [(1670, (147, 25)), (534, (47, 8)), (398, (35, 6)), (384, (32, 8)), (68, (6, 1))],
)
def test_counts_reproduce_paper_compositions(n_atoms, expected):
    n_ec, n_lipf6 = electrolyte_counts(n_atoms, ec_density=1.3, lipf6_molarity=2.5)
    assert (n_ec, n_lipf6) == expected
    assert 10 * n_ec + 8 * n_lipf6 == n_atoms


def test_counts_impossible_atom_number():
    with pytest.raises(InputError) as exc:
        electrolyte_counts(7, ec_density=1.3, lipf6_molarity=2.5)
    assert "\n" not in str(exc.value)


# ------------------------------------------------------------------ bulk
def test_bulk_electrolyte_integrity_density_tolerance(tmp_path):
    L = 11.0
    atoms = ec_electrolyte(
        **ci_kwargs("electrolyte", ec_electrolyte, box_length=L, tolerance=TOL, seed=3)
    )
    vol_cm3 = L**3 * 1e-24
    ec_exact = 1.3 * vol_cm3 * N_A / ecmod.M_EC
    li_exact = 2.5e-3 * vol_cm3 * N_A
    kinds = check_molecules(atoms)
    # integer molecules: counts are the nearest integers to the exact values
    assert abs(kinds["EC"] - ec_exact) <= 0.5
    assert abs(kinds["PF6"] - li_exact) <= 0.5 and kinds["Li+"] == kinds["PF6"]
    # EC density within the rounding of one molecule: |dn| / n <= 0.5 / n
    m_ec = kinds["EC"] * sum(atomic_masses[atomic_numbers[s]] for s in "CCCHHHHOOO")
    rho = m_ec / N_A / vol_cm3
    assert rho == pytest.approx(1.3, rel=0.5 / ec_exact)
    assert len(atoms) == 10 * kinds["EC"] + 8 * kinds["PF6"]
    d_el, _ = min_cross_distance(atoms)
    assert d_el >= TOL - MARGIN  # also across the periodic boundary (pbc)
    assert np.all(atoms.arrays["layer"] == -1)
    # extended XYZ keeps the arrays and the provenance
    path = tmp_path / "bulk.extxyz"
    ase.io.write(path, atoms)
    back = ase.io.read(path)
    for key in ("region", "layer", "mol_id", "molecule", "fixed"):
        assert np.array_equal(back.arrays[key], atoms.arrays[key])
    assert back.info["n_ec"] == kinds["EC"] and back.info["packmol_version"]


# ------------------------------------------------------------------ interfaces
def test_ci_single_interface_regions_layers_molecules():
    atoms = ec_single_interface(
        **ci_kwargs("single_interface", ec_single_interface,
                    **CI, n_atoms_target=104, interface_gap=TOL, vacuum=8.0, n_fixed_layers=2)
    )  # fmt: skip
    assert len(atoms) == 104
    assert Counter(atoms.get_chemical_symbols()) == {
        "Li": 36 + 1,
        "C": 18,
        "H": 24,
        "O": 18,
        "P": 1,
        "F": 6,
    }
    assert check_molecules(atoms) == {"EC": 6, "PF6": 1, "Li+": 1}
    check_metal_labels(atoms, "anode", contact_is_top=True)
    assert atoms.arrays["fixed"].sum() == 2 * 9  # the two bottom layers
    assert set(atoms.arrays["layer"][atoms.arrays["fixed"]]) == {3, 4}
    el = atoms.arrays["region"] == "electrolyte"
    assert np.all(atoms.arrays["layer"][el] == -1)
    d_el, d_met = min_cross_distance(atoms)
    assert d_el >= TOL - MARGIN and d_met >= TOL - MARGIN
    # EC density over the electrolyte box equals the target (by construction
    # of the box) and the atoms fill it: extent within one 2 A layer of it
    info = atoms.info
    area = atoms.cell[0, 0] * atoms.cell[1, 1]
    thick = info["electrolyte_zhi"] - info["electrolyte_zlo"]
    assert info["ec_density_g_cm3"] == pytest.approx(1.3)
    assert 6 * ecmod.M_EC / N_A / (area * thick * 1e-24) == pytest.approx(1.3)
    z = atoms.positions[el, 2]
    assert (
        z.min() >= info["electrolyte_zlo"] - MARGIN and z.max() <= info["electrolyte_zhi"] + MARGIN
    )
    assert z.max() - z.min() > thick - 2.0


def test_ci_double_interface_two_electrodes():
    atoms = ec_double_interface(
        **ci_kwargs("double_interface", ec_double_interface,
                    **CI, n_atoms_target=140, interface_gap=TOL, vacuum=8.0, n_fixed_layers=2)
    )  # fmt: skip
    assert len(atoms) == 140
    assert check_molecules(atoms) == {"EC": 6, "PF6": 1, "Li+": 1}
    check_metal_labels(atoms, "cathode", contact_is_top=True)  # lower electrode
    check_metal_labels(atoms, "anode", contact_is_top=False)  # upper electrode
    z_el = atoms.positions[atoms.arrays["region"] == "electrolyte", 2]
    z_cat = atoms.positions[atoms.arrays["region"] == "cathode", 2]
    z_an = atoms.positions[atoms.arrays["region"] == "anode", 2]
    assert z_cat.max() < z_el.min() and z_el.max() < z_an.min()
    # outer two layers of each electrode fixed (sec. 2.2.3)
    for r in ("anode", "cathode"):
        m = atoms.arrays["region"] == r
        assert set(atoms.arrays["layer"][m & atoms.arrays["fixed"]]) == {3, 4}
    _, d_met = min_cross_distance(atoms)
    assert d_met >= TOL - MARGIN


def test_ci_superlattice_and_cut():
    sl = ec_superlattice(
        **ci_kwargs("superlattice", ec_superlattice,
                    n_cells=(3, 3), n_layers=8, lattice_constant=A, n_atoms_target=140)
    )  # fmt: skip
    assert len(sl) == 140 and check_molecules(sl) == {"EC": 6, "PF6": 1, "Li+": 1}
    # periodic along z: both slab faces see electrolyte within the gap
    _, d_met = min_cross_distance(sl)
    assert d_met >= TOL - MARGIN
    m = sl.arrays["region"] == "electrode"
    assert np.array_equal(np.bincount(sl.arrays["layer"][m]), [0, 18, 18, 18, 18])
    cut = cut_double_interface(
        sl, cell_z=None, vacuum=10.0, n_fixed_layers=2, upper_electrode="anode"
    )
    assert cut.get_chemical_formula() == sl.get_chemical_formula()
    assert cut.cell[2, 2] == pytest.approx(sl.cell[2, 2] + 10.0)
    assert check_molecules(cut) == {"EC": 6, "PF6": 1, "Li+": 1}
    check_metal_labels(cut, "cathode", contact_is_top=True)
    check_metal_labels(cut, "anode", contact_is_top=False)
    for r in ("anode", "cathode"):
        mr = cut.arrays["region"] == r
        assert mr.sum() == 36
        assert set(cut.arrays["layer"][mr & cut.arrays["fixed"]]) == {3, 4}
    # the new vacuum: from the top of the upper electrode to the image of the
    # bottom of the lower one = vacuum + one interlayer spacing a/2
    z = cut.positions[:, 2]
    gap = (
        cut.cell[2, 2]
        - z[cut.arrays["region"] == "anode"].max()
        + z[cut.arrays["region"] == "cathode"].min()
    )
    assert gap == pytest.approx(10.0 + A / 2)


# ------------------------------------------------------------------ toy capacitor
@pytest.mark.parametrize("gap", [20.0, 40.0])
def test_toy_capacitor_gap(gap):
    atoms = ec_toy_capacitor(**ci_kwargs("toy_capacitor", ec_toy_capacitor, gap=gap, **CI))
    z = atoms.positions[:, 2]
    reg = atoms.arrays["region"]
    assert (reg == "anode").sum() == (reg == "cathode").sum() == 36
    assert z[reg == "anode"].min() - z[reg == "cathode"].max() == pytest.approx(gap)
    check_metal_labels(atoms, "cathode", contact_is_top=True)
    check_metal_labels(atoms, "anode", contact_is_top=False)
    assert set(atoms.arrays["molecule"]) == {"metal"}


# ------------------------------------------------------------------ paper scale
@pytest.mark.parametrize(
    "builder, block, n_atoms, counts",
    [
        (
            ec_single_interface,
            "single_interface",
            534,
            dict(Li=158, C=96, H=128, O=96, P=8, F=48),
        ),
        (
            ec_single_interface,
            "single_interface_explore",
            548,
            dict(Li=156, C=105, H=140, O=105, P=6, F=36),
        ),
        (
            ec_double_interface,
            "double_interface",
            834,
            dict(Li=308, C=141, H=188, O=141, P=8, F=48),
        ),
        (
            ec_superlattice,
            "superlattice",
            3070,
            dict(Li=1425, C=441, H=588, O=441, P=25, F=150),
        ),
    ],
)
def test_paper_scale_compositions(builder, block, n_atoms, counts):
    atoms = builder(**builder_kwargs(PAPER_S, block, builder))  # config/paper.yaml's settings
    assert len(atoms) == n_atoms
    assert Counter(atoms.get_chemical_symbols()) == counts
    kinds = check_molecules(atoms)
    assert kinds["EC"] == counts["C"] // 3 and kinds["PF6"] == kinds["Li+"] == counts["P"]
    d_el, d_met = min_cross_distance(atoms)
    assert d_el >= TOL - MARGIN and d_met >= TOL - MARGIN
    if builder is ec_single_interface or builder is ec_double_interface:
        assert np.allclose(atoms.cell.lengths()[:2], 17.15)  # paper: 17.15 x 17.15 A
    if builder is ec_superlattice:
        cut = cut_double_interface(atoms, **PAPER_S["cut"])  # cell_z 90 A, four fixed layers
        assert cut.cell[2, 2] == pytest.approx(90.0)
        for r in ("anode", "cathode"):
            mr = cut.arrays["region"] == r
            assert mr.sum() == 700  # 14 of 28 layers x 50
            assert (mr & cut.arrays["fixed"]).sum() == 4 * 50  # SI 2.1: outer four layers
        assert check_molecules(cut) == kinds


# ------------------------------------------------------------------ bad input
def test_too_many_molecules_fail_density_check():
    with pytest.raises(InputError) as exc:
        ec_electrolyte(
            **ci_kwargs("electrolyte", ec_electrolyte, box_length=10.0, n_ec=40, n_lipf6=2)
        )
    msg = str(exc.value)
    assert "\n" not in msg and "40 EC" in msg and "cannot fit" in msg


def test_packmol_failure_is_one_line_input_error():
    # past the density check (max_density raised) but impossible at 2 A
    with pytest.raises(InputError) as exc:
        ec_electrolyte(
            **ci_kwargs("electrolyte", ec_electrolyte,
                        box_length=9.0, n_ec=12, n_lipf6=3, tolerance=TOL, max_density=10.0, nloop=3)
        )  # fmt: skip
    msg = str(exc.value)
    assert "\n" not in msg and msg.startswith("packmol could not place 12 EC")


def test_missing_packmol_binary(tmp_path):
    with pytest.raises(ToolMissingError):
        ec_electrolyte(
            **ci_kwargs("electrolyte", ec_electrolyte, packmol_bin=str(tmp_path / "nope"))
        )


def test_cut_needs_electrolyte():
    toy = ec_toy_capacitor(
        **ci_kwargs("toy_capacitor", ec_toy_capacitor, gap=20.0, n_cells=(2, 2), n_layers=4)
    )
    with pytest.raises(InputError):
        cut_double_interface(toy, **PAPER_S["cut"])


# ------------------------------------------------------------------ pipeline config
def test_ci_config_builds_every_structure():
    from lidendrite.config import load_config

    s = load_config("ci")["ec"]["structures"]
    for block, fn in BUILDER_BLOCKS:
        atoms = fn(**builder_kwargs(s, block, fn))
        assert len(atoms) == s[block].get("n_atoms_target", len(atoms))
        assert check_molecules(atoms)["EC"] >= 1
    sl = ec_superlattice(**builder_kwargs(s, "superlattice", ec_superlattice))
    cut = cut_double_interface(sl, **s["cut"])
    assert {"anode", "cathode", "electrolyte"} <= set(cut.arrays["region"])
    for gap in s["toy_capacitor_gaps"]:
        ec_toy_capacitor(gap=gap, **builder_kwargs(s, "toy_capacitor", ec_toy_capacitor))
    with pytest.raises(InputError):
        builder_kwargs({"electrolyte": {"box_lenght": 11.0}}, "electrolyte", ec_electrolyte)


def _layered_superlattice(disorder_middle: bool):
    """A 3 x 3 BCC(100) Li slab of 12 layers (1.715 A apart) under 15 A of 'electrolyte' O;
    with ``disorder_middle`` the middle 6 layers are spread evenly over their z range (no gap)."""
    from ase import Atoms

    a = 3.43
    xy = [(i * a, j * a) for i in range(3) for j in range(3)]
    pos, region = [], []
    for k in range(12):
        shift = 0.5 * a if k % 2 else 0.0
        pos += [(x + shift, y + shift, 1.0 + k * a / 2) for x, y in xy]
        region += ["electrode"] * 9
    metal = np.array(pos)
    if disorder_middle:
        mid = (metal[:, 2] > 1.0 + 2.5 * a / 2) & (metal[:, 2] < 1.0 + 8.5 * a / 2)
        metal[mid, 2] = np.linspace(metal[mid, 2].min(), metal[mid, 2].max(), mid.sum())
    top = metal[:, 2].max()
    el = [(1.0 + 2.0 * i, 1.0 + 2.5 * (i % 4), top + 3.0 + 1.2 * i) for i in range(10)]
    atoms = Atoms("Li108O10", positions=np.vstack([metal, el]), cell=[3 * a, 3 * a, top + 18.0], pbc=True)
    atoms.arrays["region"] = np.array(region + ["electrolyte"] * 10)
    return atoms


def test_cut_splits_a_layered_slab_in_its_middle_and_refuses_a_disordered_one():
    cut = cut_double_interface(_layered_superlattice(False), cell_z=None, vacuum=10.0,
                               n_fixed_layers=2, upper_electrode="cathode")  # fmt: skip
    region = cut.arrays["region"]
    assert (region == "anode").sum() == (region == "cathode").sum() == 54
    with pytest.raises(InputError, match=r"splits its 108 metal atoms .* no layer gap near its middle"):
        cut_double_interface(_layered_superlattice(True), cell_z=None, vacuum=10.0,
                             n_fixed_layers=2, upper_electrode="cathode")  # fmt: skip
