"""DP-QEq vs full DP (ec Fig. 2b-c): pair RDFs on an ideal crystal, and the energy comparison."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk

from lidendrite.analysis.ec_md_compare import energy_comparison, fig2_verdict, rdf_comparison
from lidendrite.analysis.rdf import pair_rdf
from lidendrite.constp.compare_md import md_calculator
from lidendrite.errors import InputError


def test_pair_rdf_counts_the_rock_salt_first_shell():
    # LiF rock salt, a = 4.03 A: 6 F at a/2 = 2.015 A around every Li, the next F shell (8) at
    # a sqrt(3)/2 = 3.49 A; rho x sum of g x shell volume over the first shell must give 6
    a = 4.03
    atoms = bulk("LiF", "rocksalt", a=a, cubic=True).repeat((3, 3, 3))
    r, g = pair_rdf([atoms], "Li", "F", r_max=4.0, dr=0.01)
    rho = 4 * 27 / atoms.get_volume()
    dr = r[1] - r[0]
    first = r < 0.5 * (a / 2 + a * np.sqrt(2) / 2)
    shell = 4 / 3 * np.pi * ((r + dr / 2) ** 3 - (r - dr / 2) ** 3)
    assert rho * np.sum(g[first] * shell[first]) == pytest.approx(6.0, rel=1e-9)
    assert r[np.argmax(g)] == pytest.approx(a / 2, abs=dr)
    # no F closer than a/2
    assert not g[r < a / 2 - dr].any()


def test_identical_trajectories_coincide_and_a_shift_does_not():
    atoms = bulk("LiF", "rocksalt", a=4.03, cubic=True).repeat((3, 3, 3))
    same = rdf_comparison([atoms], [atoms.copy()], [("Li", "F")], r_max=4.0, dr=0.05)
    assert same["Li-F"]["abs_diff_fraction"] == 0.0
    strained = atoms.copy()
    strained.set_cell(atoms.cell * 1.05, scale_atoms=True)
    diff = rdf_comparison([atoms], [strained], [("Li", "F")], r_max=4.0, dr=0.05)
    assert diff["Li-F"]["abs_diff_fraction"] > 0.5  # the first peak moved by 0.1 A = 2 bins
    assert diff["Li-F"]["peak_b_A"] > diff["Li-F"]["peak_a_A"]


def test_energy_comparison_removes_offsets():
    t = np.linspace(0, 1, 5)
    n = 100
    dpqeq = -400.0 + 0.1 * t  # eV
    full = -380.0 + 0.1 * t  # same landscape, other zero: RMSE 0
    lab = -410.0 - 0.1 * t  # opposite trend
    comp = energy_comparison({"dpqeq": dpqeq, "full_dp": full, "labeller": lab}, n_atoms=n)
    assert comp["rmse_vs_dpqeq_meV_per_atom_full_dp"] == pytest.approx(0.0, abs=1e-9)
    assert comp["correlation_vs_dpqeq_full_dp"] == pytest.approx(1.0)
    assert comp["correlation_vs_dpqeq_labeller"] == pytest.approx(-1.0)
    expect = 1e3 * np.sqrt(np.mean((2 * 0.1 * (t - t.mean())) ** 2)) / n
    assert comp["rmse_vs_dpqeq_meV_per_atom_labeller"] == pytest.approx(expect)
    v = fig2_verdict({"Li-F": {"abs_diff_fraction": 0.02}}, comp, rdf_match_fraction=0.1, paper_energy_rmse=6.7)
    assert v["shows_paper_effect"] == (expect <= 6.7)
    v = fig2_verdict({"Li-F": {"abs_diff_fraction": 0.3}}, comp, rdf_match_fraction=0.1, paper_energy_rmse=6.7)
    assert not v["shows_paper_effect"] and v["paper_effect"].startswith("NOT reproduced")
    with pytest.raises(InputError, match="lengths"):
        energy_comparison({"dpqeq": dpqeq, "full_dp": full[:3]}, n_atoms=n)


def test_unknown_engine():
    with pytest.raises(InputError, match="engine"):
        md_calculator("lammps", "model.pb")
