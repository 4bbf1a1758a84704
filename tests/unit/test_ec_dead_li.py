"""Dendrite-nucleation protrusions and dead Li (ec sec. 3.3, Fig. 5) on hand-made configurations.

Two BCC Li(100) slabs (cathode below, anode above) across a gap; on the cathode
a two-storey pyramid of metal Li (a protrusion), and in the gap a detached
metal-like cluster, a lone Li+ and a Li dimer. Charges are set by hand (metal 0 e,
ions +0.8 e), so the test checks the geometry and graph logic, not QEq.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from ase import Atoms
from ase.build import bcc100

from lidendrite.analysis.ec_dead_li import analyse_series, find_li_regions
from lidendrite.analysis.ec_frames import cycle_geometry
from lidendrite.errors import InputError

A = 3.43  # BCC Li lattice constant (ec paper sec. 2.2.3), Angstrom
D = A / 2  # Li(100) interlayer spacing
PARAMS = dict(q_metal=0.2, li_li_cutoff=3.5, anchor_layer=2, min_dead_size=3, protrusion_min_height=2.6)


def double_slab(gap: float = 20.0, n_layers: int = 4, size=(4, 4), vacuum: float = 10.0) -> Atoms:
    """Cathode slab (z from 0), gap, anode slab; ``region``, ``layer`` (1 = facing the gap), charges 0."""
    slab = bcc100("Li", size=(*size, n_layers), a=A, orthogonal=True)
    slab.info.pop("adsorbate_info", None)  # not extended-XYZ serialisable
    slab.positions[:, 2] -= slab.positions[:, 2].min()
    top = slab.positions[:, 2].max()
    layer_low = n_layers - np.rint(slab.positions[:, 2] / D).astype(int)  # top plane = layer 1
    upper = slab.copy()
    upper.positions[:, 2] += top + gap
    layer_up = 1 + np.rint(slab.positions[:, 2] / D).astype(int)  # bottom plane = layer 1
    atoms = slab + upper
    atoms.set_cell([slab.cell[0, 0], slab.cell[1, 1], 2 * top + gap + vacuum])
    atoms.pbc = True
    n = len(slab)
    atoms.set_array("region", np.array(["cathode"] * n + ["anode"] * n, dtype="U16"))
    atoms.set_array("layer", np.r_[layer_low, layer_up].astype(int))
    atoms.set_array("charges", np.zeros(len(atoms)))
    return atoms


def add(atoms: Atoms, positions, charge: float, region: str = "electrolyte") -> np.ndarray:
    """Append Li at ``positions`` with ``charge``; return their indices."""
    n0 = len(atoms)
    new = Atoms("Li" * len(positions), positions=positions)
    q = np.r_[atoms.arrays["charges"], np.full(len(positions), charge)]
    reg = np.r_[atoms.arrays["region"], [region] * len(positions)]
    lay = np.r_[atoms.arrays["layer"], [-1] * len(positions)]
    atoms.extend(new)
    atoms.set_array("charges", q)
    atoms.set_array("region", reg.astype("U16"))
    atoms.set_array("layer", lay.astype(int))
    return np.arange(n0, len(atoms))


def brute_min_distance(atoms, i, j) -> float:
    """Independent minimum-image distance: explicit loop over the 27 neighbouring images."""
    cell = atoms.cell.array
    pos = atoms.positions
    best = np.inf
    for a, b in itertools.product(i, j):
        for n in itertools.product((-1, 0, 1), repeat=3):
            best = min(best, np.linalg.norm(pos[a] - pos[b] + np.array(n) @ cell))
    return float(best)


@pytest.fixture
def scene():
    atoms = double_slab()
    z_top = atoms.positions[atoms.arrays["region"] == "cathode", 2].max()
    x0 = y0 = A  # a surface atom of the cathode's top plane
    # pyramid on the cathode: 4 Li in the hollow sites above (h = D), 1 on top of them (h = 2 D = 3.43 A)
    base = [[x0 + sx * D, y0 + sy * D, z_top + D] for sx, sy in ((1, 1), (1, -1), (-1, 1), (-1, -1))]
    pyramid_base = add(atoms, base, 0.0)
    apex = add(atoms, [[x0, y0, z_top + 2 * D]], 0.0)
    # detached metal-like cluster: a 4-Li tetrahedron (edges 2.9 A) 5 A above the apex, offset (2a, a)
    # sideways: all of it below the mid-line (10 A above the cathode plane), on the cathode's side
    c = np.array([x0 + 2 * A, y0 + A, z_top + 2 * D + 5.0])
    tet = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]]) * 2.9 / (2 * np.sqrt(2))
    dead = add(atoms, c + tet, 0.05)
    ion = add(atoms, [[x0 + 1.0, y0 + 2 * A, z_top + 8.0]], 0.8)  # Li+: not metal-like
    dimer = add(atoms, [[x0 + 3 * A, y0 + 3 * A, z_top + 7.0], [x0 + 3 * A + 2.9, y0 + 3 * A, z_top + 7.0]], 0.0)
    return atoms, dict(base=pyramid_base, apex=apex, dead=dead, ion=ion, dimer=dimer)


def test_protrusion_and_dead_li_are_found_with_sizes_and_distances(scene):
    atoms, idx = scene
    geom = cycle_geometry(atoms)
    res = find_li_regions(atoms, geom, **PARAMS)
    # the apex is the only atom higher than 2.6 A above the cathode plane (base at D = 1.7 A)
    assert len(res["protrusions"]) == 1
    prot = res["protrusions"][0]
    assert prot.atoms == [int(idx["apex"][0])] and prot.side == "lower" and prot.role == "cathode"
    assert prot.height_A == pytest.approx(2 * D, abs=1e-6)
    # exactly one dead cluster: the tetrahedron; the dimer is below min_dead_size, the ion not metal-like
    assert len(res["dead_li"]) == 1
    dead = res["dead_li"][0]
    assert sorted(dead.atoms) == sorted(int(i) for i in idx["dead"])
    assert dead.size == 4 and dead.mean_charge_e == pytest.approx(0.05)
    # distances against an independent brute-force image loop
    assert dead.gap_to_dendrite_A == pytest.approx(brute_min_distance(atoms, idx["dead"], idx["apex"]), abs=1e-9)
    electrode_metal = np.r_[np.flatnonzero(atoms.arrays["region"] != "electrolyte"), idx["base"], idx["apex"]]
    assert dead.gap_to_electrode_A == pytest.approx(
        brute_min_distance(atoms, idx["dead"], electrode_metal), abs=1e-9)
    # centre sqrt((2a)^2 + a^2 + 5^2) = 9.2 A from the apex, less the tetrahedron's reach (<= 1.8 A)
    assert 7.0 < dead.gap_to_dendrite_A < 9.2
    assert dead.side == "lower" and dead.role == "cathode"
    assert not res["bridging"]


def test_min_size_and_charge_threshold(scene):
    atoms, idx = scene
    geom = cycle_geometry(atoms)
    # min_dead_size 2: the dimer becomes a dead cluster too
    res = find_li_regions(atoms, geom, **{**PARAMS, "min_dead_size": 2})
    assert sorted(r.size for r in res["dead_li"]) == [2, 4]
    # charge the tetrahedron up to Li+: no longer metal-like, no dead Li
    q = atoms.arrays["charges"].copy()
    q[idx["dead"]] = 0.6
    res = find_li_regions(atoms, geom, **PARAMS, charges=q)
    assert res["dead_li"] == []


def test_cluster_joined_to_the_electrode_is_not_dead(scene):
    atoms, idx = scene
    apex = atoms.positions[idx["apex"][0]]
    low = atoms.positions[idx["dead"]][np.argmin(atoms.positions[idx["dead"], 2])]
    # a chain of metal-like Li, 3 A steps, from the apex to the cluster's lowest atom
    n = int(np.ceil(np.linalg.norm(low - apex) / 3.0))
    chain = [apex + (low - apex) * k / n for k in range(1, n)]
    add(atoms, chain, 0.0)
    res = find_li_regions(atoms, cycle_geometry(atoms), **PARAMS)
    assert res["dead_li"] == []
    assert set(idx["dead"]) <= set(res["protrusions"][0].atoms)  # now part of the dendrite


def test_bridge_between_electrodes_is_flagged():
    atoms = double_slab(gap=9.0)
    z_lo = atoms.positions[atoms.arrays["region"] == "cathode", 2].max()
    z_hi = atoms.positions[atoms.arrays["region"] == "anode", 2].min()
    # from the top site above a cathode surface atom at (a, a) to the anode's hollow site
    # above it (one interlayer spacing below the anode plane), steps < 3 A
    end = z_hi - D
    n = int(np.ceil((end - z_lo) / 3.0))
    add(atoms, [[A, A, z_lo + (end - z_lo) * k / n] for k in range(1, n + 1)], 0.0)
    res = find_li_regions(atoms, cycle_geometry(atoms), **PARAMS)
    assert res["bridging"]


def test_vacuum_wrap_and_swapped_sides(scene):
    atoms, idx = scene
    shifted = atoms.copy()
    shifted.positions[:, 2] -= 3.0  # the cathode's outer planes now at negative z / the top of the cell
    shifted.wrap()
    geom = cycle_geometry(shifted)
    res = find_li_regions(shifted, geom, **PARAMS)
    assert [p.atoms for p in res["protrusions"]] == [[int(idx["apex"][0])]]
    # swapped labels (next round): the protrusion's electrode is now the anode
    reg = shifted.arrays["region"].copy()
    reg[atoms.arrays["region"] == "anode"] = "cathode"
    reg[atoms.arrays["region"] == "cathode"] = "anode"
    shifted.set_array("region", reg)
    res = find_li_regions(shifted, geom, **PARAMS)
    assert res["protrusions"][0].role == "anode" and res["anode_side"] == "lower"


def test_series_headline_and_missing_electrode(scene):
    atoms, _ = scene
    geom = cycle_geometry(atoms)
    stages = [("round 1", [atoms, atoms]), ("round 2", [atoms, atoms])]
    summary, _ = analyse_series(stages, geom, paper_distance=10.0, paper_tolerance=5.0, **PARAMS)
    assert summary["dead_li_size_atoms"] == 4 and summary["dendrite_size_atoms"] == 1
    assert summary["headline_frame"] == "round2 end"
    assert summary["shows_paper_effect"] == (abs(summary["dead_li_distance_angstrom"] - 10.0) <= 5.0)
    empty = double_slab()
    empty.arrays["region"][:] = "anode"
    with pytest.raises(InputError, match="cathode"):
        cycle_geometry(empty)
