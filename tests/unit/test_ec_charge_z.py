"""Li charge distribution along z (ec Fig. 4a) on hand-made frames with known redox changes."""

from __future__ import annotations

import numpy as np
import pytest
from test_ec_dead_li import A, add, double_slab

from lidendrite.analysis.ec_charge_z import analyse_charge_z, charge_profile, round_summary, z_edges
from lidendrite.analysis.ec_frames import cycle_geometry


def _redox_pair():
    """Start: a Li+ (0.8 e) 3 A above the cathode (lower). End: that Li reduced to 0 e and an
    anode (upper) surface Li oxidised to +0.8 e -- the paper's picture of one ConstP round."""
    start = double_slab()
    z_cat = start.positions[start.arrays["region"] == "cathode", 2].max()
    ion = add(start, [[A / 2, A / 2, z_cat + 3.0]], 0.8)[0]
    end = start.copy()
    q = end.arrays["charges"].copy()
    q[ion] = 0.0
    surface = np.flatnonzero((end.arrays["region"] == "anode") & (end.arrays["layer"] == 1))[0]
    q[surface] = 0.8
    end.set_array("charges", q)
    return start, end, ion, surface


def test_profile_sums_to_the_li_charge():
    start, end, *_ = _redox_pair()
    geom = cycle_geometry(start)
    edges = z_edges([start, end], geom, 1.0)
    for atoms in (start, end):
        prof = charge_profile(atoms, geom, edges)
        assert prof["sum_q_e"].sum() == pytest.approx(atoms.arrays["charges"].sum())
        assert prof["n_li"].sum() == len(atoms)  # every atom is Li here, none falls outside the edges


def test_redox_round_shifts_toward_the_anode():
    start, end, ion, surface = _redox_pair()
    geom = cycle_geometry(start)
    r = round_summary(start, end, geom)
    assert r["start"]["anode_side"] == "upper"
    assert r["delta_q_anode_side_e"] == pytest.approx(0.8) and r["delta_q_cathode_side_e"] == pytest.approx(-0.8)
    # centroid: from the ion's z to the anode surface atom's z (one charged Li each time)
    z = geom.z(start)
    assert r["centroid_shift_toward_anode_A"] == pytest.approx(z[surface] - z[ion])
    assert r["shows_paper_effect"] and r["anode_oxidised"] and r["cathode_reduced"]


def test_swapped_labels_reverse_the_verdict():
    start, end, *_ = _redox_pair()
    for atoms in (start, end):
        reg = atoms.arrays["region"].copy()
        reg[atoms.arrays["region"] == "anode"] = "cathode"
        reg[atoms.arrays["region"] == "cathode"] = "anode"
        atoms.set_array("region", reg)
    r = round_summary(start, end, cycle_geometry(start))
    assert r["start"]["anode_side"] == "lower"
    assert r["centroid_shift_toward_anode_A"] < 0 and not r["shows_paper_effect"]


def test_cycle_summary_counts_rounds():
    start, end, *_ = _redox_pair()
    geom = cycle_geometry(start)
    summary, profiles = analyse_charge_z([("ConstQ", [start]), ("round 1", [start, end]),
                                          ("round 2", [end, start])], geom, bin_width=1.0)
    assert summary["n_rounds"] == 2 and summary["n_rounds_shifted_toward_anode"] == 1
    assert not summary["shows_paper_effect"] and summary["paper_effect"].startswith("NOT reproduced")
    assert {"ConstQ end", "round 1 start", "round 1 end", "round 2 start", "round 2 end"} <= set(profiles)
