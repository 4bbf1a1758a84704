"""CV of the lpsc study: numpy reference vs PLUMED, switching function, groups."""

from __future__ import annotations

import numpy as np
import pytest
from _sampling_toy import CV, N_ANODE_LAYERS, SWITCH, toy_interface

from lidendrite.errors import InputError
from lidendrite.io.colvar import read_colvar
from lidendrite.sampling.cv import (
    CN_PAIRS,
    coordination_numpy,
    cv_coordination_numpy,
    cv_gradient_numpy,
    cv_groups,
    cv_plumed_input,
    max_stable_kappa_ev,
    moving_restraint_plumed_input,
    plumed_atom_list,
    rational_switch,
    rational_switch_derivative,
    restraint_period_fs,
)
from lidendrite.sampling.moving_restraint import check_restraint_stability
from lidendrite.sampling.plumed_bridge import PlumedBridge

#: cut-off forms of the CV compared with PLUMED: none (the paper), D_MAX with and
#: without STRETCH, and D_MAX with a neighbour list.  6 A cuts pairs inside the
#: toy (10.3 A wide, 25 A tall); the list's 1 A skin exceeds any motion in the tests.
CUTOFFS = {
    "all_pairs": {},
    "d_max": {"d_max": 6.0},
    "d_max_nostretch": {"d_max": 6.0, "stretch": False},
    "d_max_nlist": {"d_max": 6.0, "nl_cutoff": 7.0, "nl_stride": 5},
}


def _numpy_kw(cut):
    """The cut-off keywords the numpy reference takes (the list only changes PLUMED's cost)."""
    return {k: v for k, v in cut.items() if not k.startswith("nl_")}


def _plumed_frame(
    atoms, tmp_path, *, s_start, s_end=None, kappa_ev=5.0, step=0, num_threads=1, cut=None
):
    """Run PLUMED (no MD engine) on one frame; return COLVAR, forces, bias."""
    groups = cv_groups(atoms, n_anode_layers=N_ANODE_LAYERS)
    colvar = tmp_path / "COLVAR"
    text = moving_restraint_plumed_input(
        groups,
        s_start=s_start,
        s_end=s_start if s_end is None else s_end,
        n_steps=100,
        kappa_ev=kappa_ev,
        colvar_file=str(colvar),
        print_stride=1,
        **SWITCH,
        **(cut or {}),
    )
    bridge = PlumedBridge(
        text,
        atoms.get_masses(),
        timestep_ps=0.001,
        log_file=tmp_path / "plumed.log",
        num_threads=num_threads,
    )
    forces, bias, _ = bridge.compute(step, atoms.cell[:], atoms.positions)
    bridge.finalize()
    return read_colvar(colvar), forces, bias


@pytest.mark.parametrize("cut", list(CUTOFFS.values()), ids=list(CUTOFFS))
def test_numpy_cv_equals_plumed_cv(tmp_path, cut):
    atoms = toy_interface()
    ref = cv_coordination_numpy(atoms, **CV, **_numpy_kw(cut))
    kappa, lag = 5.0, 0.3
    col, forces, _ = _plumed_frame(atoms, tmp_path, s_start=ref["cv"] - lag, cut=cut)
    # PLUMED prints with %.10f; both sum the same terms in double precision,
    # so 1e-6 (the spec) is far above the expected ~1e-9 difference.
    assert col["cv"][0] == pytest.approx(ref["cv"], abs=1e-6)
    for pair, _ in CN_PAIRS:
        assert col[f"cn_{pair}"][0] == pytest.approx(ref[pair], abs=1e-6)
    # the CV is the signed combination of eq. (2)
    assert ref["cv"] == pytest.approx(
        ref["li_li"] - ref["li_s"] - ref["li_p"] - ref["li_cl"], abs=1e-12
    )
    # and the bias forces are -kappa lag grad s of the same (cut) function; the
    # tolerance is that of test_plumed_bias_forces_equal_minus_kappa_lag_gradient
    expected = -kappa * lag * cv_gradient_numpy(atoms, **CV, **_numpy_kw(cut))
    np.testing.assert_allclose(forces, expected, rtol=1e-8, atol=1e-10)


def test_cutoff_changes_the_cv():
    """d_max = 6 A really drops pairs of the toy, so the comparisons above test the cut-off."""
    full = cv_coordination_numpy(toy_interface(), **CV)["cv"]
    cut = cv_coordination_numpy(toy_interface(), **CV, d_max=6.0)["cv"]
    assert abs(full - cut) > 1.0


def test_neighbour_list_follows_a_moving_structure(tmp_path):
    """PLUMED's list (updated every 5 steps) sums the pairs within d_max at every step.

    Ten steps of a random walk of 0.02 A per step and atom: pairs move by
    at most ~0.2 A between list updates, well inside the 1 A skin, so each
    step's CV equals the all-pairs numpy value with the same d_max.
    """
    atoms = toy_interface()
    cut = CUTOFFS["d_max_nlist"]
    colvar = tmp_path / "COLVAR"
    text = moving_restraint_plumed_input(
        cv_groups(atoms, n_anode_layers=N_ANODE_LAYERS),
        s_start=0.0,
        s_end=0.0,
        n_steps=100,
        kappa_ev=1.0,
        colvar_file=str(colvar),
        print_stride=1,
        **SWITCH,
        **cut,
    )
    bridge = PlumedBridge(
        text, atoms.get_masses(), timestep_ps=0.001, log_file=tmp_path / "plumed.log"
    )
    rng = np.random.default_rng(3)
    ref = []
    try:
        for step in range(10):
            atoms.positions += rng.normal(0.0, 0.02, atoms.positions.shape)
            bridge.compute(step, atoms.cell[:], atoms.positions)
            ref.append(cv_coordination_numpy(atoms, **CV, **_numpy_kw(cut))["cv"])
    finally:
        bridge.finalize()
    assert "update every 5 steps" in (tmp_path / "plumed.log").read_text()
    np.testing.assert_allclose(read_colvar(colvar)["cv"], ref, atol=1e-6)  # %.10f output


def test_stretched_cutoff_is_continuous_and_its_derivative_exact():
    r0, d_max = 4.0, 8.0
    s_dmax = 1.0 / (1.0 + 2.0**6)  # unstretched s(d_max) for n = 6, m = 12
    r = np.linspace(0.5, 9.0, 200)
    s = rational_switch(r, r0, 6, 12, d_max=d_max)
    np.testing.assert_allclose(
        s,
        np.where(r > d_max, 0.0, (1.0 / (1.0 + (r / r0) ** 6) - s_dmax) / (1 - s_dmax)),
        rtol=1e-12,
        atol=1e-15,
    )
    # continuous at d_max (PLUMED's STRETCH): s -> 0 from below, 0 beyond
    assert rational_switch(np.array(d_max * (1 - 1e-9)), r0, 6, 12, d_max=d_max) == pytest.approx(
        0.0, abs=1e-9
    )
    # without STRETCH the function jumps by s(d_max) there
    assert rational_switch(np.array(d_max), r0, 6, 12, d_max=d_max, stretch=False) == pytest.approx(
        s_dmax, rel=1e-12
    )
    # derivative vs central differences away from d_max (error ~h^2 |third derivative| << 1e-8)
    h = 1e-6
    inner = r[r < d_max - 0.01]
    for stretch in (True, False):
        fd = (
            rational_switch(inner + h, r0, 6, 12, d_max=d_max, stretch=stretch)
            - rational_switch(inner - h, r0, 6, 12, d_max=d_max, stretch=stretch)
        ) / (2 * h)
        np.testing.assert_allclose(
            rational_switch_derivative(inner, r0, 6, 12, d_max=d_max, stretch=stretch),
            fd,
            atol=1e-8,
        )
    assert np.all(rational_switch_derivative(r[r > d_max], r0, 6, 12, d_max=d_max) == 0.0)


def test_neighbour_list_settings_are_checked_with_one_line():
    groups = cv_groups(toy_interface(), n_anode_layers=N_ANODE_LAYERS)
    text = cv_plumed_input(groups, **SWITCH, d_max=8.0, nl_cutoff=9.0, nl_stride=10)
    assert "D_MAX=0.8 STRETCH}" in text and "NLIST NL_CUTOFF=0.9 NL_STRIDE=10" in text
    assert "NOSTRETCH" in cv_plumed_input(groups, **SWITCH, d_max=8.0, stretch=False)
    assert "D_MAX" not in cv_plumed_input(groups, **SWITCH) and "NLIST" not in cv_plumed_input(
        groups, **SWITCH
    )
    # no list without nl_cutoff, whatever nl_stride says (a config that nulls nl_cutoff only)
    assert "NLIST" not in cv_plumed_input(groups, **SWITCH, d_max=8.0, nl_stride=20)
    for bad, words in (
        (dict(nl_cutoff=9.0, nl_stride=10), "needs lpsc.sampling.d_max"),
        (dict(d_max=8.0, nl_cutoff=8.0, nl_stride=10), "must exceed lpsc.sampling.d_max"),
        (dict(d_max=8.0, nl_cutoff=9.0), "needs lpsc.sampling.nl_stride >= 1"),
        (dict(d_max=8.0, nl_cutoff=9.0, nl_stride=0), "needs lpsc.sampling.nl_stride >= 1"),
        (dict(d_max=-1.0), "d_max must be > 0"),
    ):
        with pytest.raises(InputError) as err:
            cv_plumed_input(groups, **SWITCH, **bad)
        assert "\n" not in str(err.value) and words in str(err.value)


def test_plumed_threads_give_the_same_cv_and_forces(tmp_path):
    """OpenMP threads split PLUMED's pair loop; the sums agree to round-off."""
    atoms = toy_interface()
    s = cv_coordination_numpy(atoms, **CV)["cv"]
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    col1, f1, b1 = _plumed_frame(atoms, tmp_path / "one", s_start=s - 0.3)
    col2, f2, b2 = _plumed_frame(atoms, tmp_path / "two", s_start=s - 0.3, num_threads=2)
    assert "Number of threads: 2" in (tmp_path / "two" / "plumed.log").read_text()
    assert col2["cv"][0] == pytest.approx(col1["cv"][0], abs=1e-9)
    assert b2 == pytest.approx(b1, rel=1e-9)
    np.testing.assert_allclose(f2, f1, atol=1e-9)
    with pytest.raises(InputError, match="num_threads"):
        _plumed_frame(atoms, tmp_path / "one", s_start=s, num_threads=0)


def test_plumed_bias_and_forces_match_restraint(tmp_path):
    """Bias = 1/2 kappa (s - s0)^2 and F = -kappa (s - s0) ds/dx (finite differences)."""
    atoms = toy_interface()
    s = cv_coordination_numpy(atoms, **CV)["cv"]
    kappa, lag = 5.0, 0.3
    _, forces, bias = _plumed_frame(atoms, tmp_path, s_start=s - lag, kappa_ev=kappa)
    assert bias == pytest.approx(0.5 * kappa * lag**2, rel=1e-9)  # AT0 printed with 10 decimals
    groups = cv_groups(atoms, n_anode_layers=N_ANODE_LAYERS)
    probe = [int(groups.li_a[0]), int(groups.li_a[5]), int(groups.s[0]), int(groups.cl[0]), 0, 89]
    h = 1e-5  # Angstrom; central-difference error ~h^2 s''' and round-off ~1e-16 s / h, both < 1e-8
    for i in probe:
        for k in range(3):
            plus, minus = atoms.copy(), atoms.copy()
            plus.positions[i, k] += h
            minus.positions[i, k] -= h
            ds = (
                cv_coordination_numpy(plus, **CV)["cv"] - cv_coordination_numpy(minus, **CV)["cv"]
            ) / (2 * h)
            assert forces[i, k] == pytest.approx(-kappa * lag * ds, abs=1e-6)
    # atom 89 is in anode layer 10 (not in any group): exactly no bias force
    assert np.all(forces[89] == 0.0)


def test_rational_switch_limits():
    r0 = 3.2
    x = np.linspace(0.1, 3.0, 50)
    # for n = 6, m = 12: (1 - x^6)/(1 - x^12) = 1/(1 + x^6) exactly
    np.testing.assert_allclose(rational_switch(x * r0, r0, 6, 12), 1.0 / (1.0 + x**6), rtol=1e-12)
    assert rational_switch(np.array(r0), r0, 6, 12) == pytest.approx(0.5, abs=1e-12)
    # continuous through the removable singularity at r = r0
    eps = 1e-7
    assert rational_switch(np.array(r0 * (1 + eps)), r0, 6, 12) == pytest.approx(0.5, abs=1e-6)
    assert rational_switch(np.array(0.0), r0, 6, 12) == pytest.approx(1.0)


def test_self_pairs_excluded_and_shared_pairs_counted_twice():
    """Li-Li: A subset of B; (i, i) never counted, (i, j) with both in A counted twice."""
    pos = np.array([[0.0, 0.0, 0.0], [2.5, 0.0, 0.0], [0.0, 2.7, 0.0]])
    cell = np.eye(3) * 50.0
    cn = coordination_numpy(pos, cell, np.array([0, 1]), np.array([0, 1, 2]), r0=3.2, n=6, m=12)

    def s(d):
        return 1.0 / (1.0 + (d / 3.2) ** 6)

    expected = 2 * s(2.5) + s(2.7) + s(np.hypot(2.5, 2.7))
    assert cn == pytest.approx(expected, rel=1e-12)


def test_minimum_image_used():
    pos = np.array([[0.5, 0.0, 0.0], [9.5, 0.0, 0.0]])
    cell = np.eye(3) * 10.0
    cn = coordination_numpy(pos, cell, np.array([0]), np.array([1]), r0=3.0, n=6, m=12)
    assert cn == pytest.approx(1.0 / (1.0 + (1.0 / 3.0) ** 6), rel=1e-12)


def test_groups_follow_region_and_layer():
    atoms = toy_interface(n_layers=10)
    g = cv_groups(atoms, n_anode_layers=8)
    layer = atoms.arrays["layer"]
    region = atoms.arrays["region"]
    anode_in_b = [i for i in g.li_b if region[i] == "anode"]
    assert sorted(set(layer[anode_in_b])) == list(range(1, 9))
    assert set(g.li_a) <= set(g.li_b)
    assert all(region[i] == "electrolyte" for i in np.concatenate([g.li_a, g.s, g.p, g.cl]))


def test_empty_group_is_one_line_input_error():
    atoms = toy_interface()
    del atoms[[a.index for a in atoms if a.symbol == "Cl"]]
    with pytest.raises(InputError) as err:
        cv_groups(atoms, n_anode_layers=N_ANODE_LAYERS, name="toy.extxyz")
    msg = str(err.value)
    assert "\n" not in msg and "toy.extxyz" in msg and "'cl'" in msg


def test_missing_layer_array_is_input_error():
    atoms = toy_interface()
    del atoms.arrays["layer"]
    with pytest.raises(InputError, match="layer"):
        cv_groups(atoms, n_anode_layers=N_ANODE_LAYERS)


def test_plumed_atom_list_ranges():
    assert plumed_atom_list(np.array([0, 1, 2, 3, 6, 8, 9])) == "1-4,7,9-10"
    assert plumed_atom_list(np.array([4])) == "5"


def test_moving_restraint_input_units():
    atoms = toy_interface()
    text = moving_restraint_plumed_input(
        cv_groups(atoms, n_anode_layers=N_ANODE_LAYERS),
        s_start=1.0,
        s_end=2.0,
        n_steps=1000,
        kappa_ev=500.0,
        print_stride=10,
        **SWITCH,
    )
    # kappa 500 eV -> kJ/mol (1 eV = 96.485 kJ/mol); R0 3.2 A -> 0.32 nm
    assert "KAPPA0=48242.66" in text and "R_0=0.32 " in text and "STEP1=1000" in text
    with pytest.raises(InputError):
        moving_restraint_plumed_input(
            cv_groups(atoms, n_anode_layers=N_ANODE_LAYERS),
            s_start=1.0,
            s_end=2.0,
            n_steps=0,
            kappa_ev=500.0,
            print_stride=10,
            **SWITCH,
        )


@pytest.mark.parametrize("d_max", [None, 6.0])
def test_cv_gradient_matches_central_differences(d_max):
    atoms = toy_interface()
    grad = cv_gradient_numpy(atoms, **CV, d_max=d_max)
    h = 1e-5  # Angstrom
    fd = np.zeros_like(grad)
    for i in range(len(atoms)):
        for k in range(3):
            plus, minus = atoms.copy(), atoms.copy()
            plus.positions[i, k] += h
            minus.positions[i, k] -= h
            fd[i, k] = (
                cv_coordination_numpy(plus, **CV, d_max=d_max)["cv"]
                - cv_coordination_numpy(minus, **CV, d_max=d_max)["cv"]
            ) / (2 * h)
    # truncation h^2/6 |s'''| summed over ~100 pairs (|s'''| < 1 A^-3) < 2e-9 and
    # round-off 1e-16 |CN terms| / h ~ 1e-9: 1e-7 1/A leaves a wide margin,
    # while the gradients themselves are O(0.1-1) 1/A.  With d_max the stretched
    # function is continuous at d_max; a pair within h of it would add a kink
    # error |s'(d_max)| ~ 4e-3 1/A, and no toy pair is that close (the test passes).
    np.testing.assert_allclose(grad, fd, rtol=0, atol=1e-7)
    assert np.abs(grad).max() > 0.1
    # translation invariance: sum of the gradient is zero
    assert np.abs(grad.sum(axis=0)).max() < 1e-12
    # atoms in no group (anode layers 9, 10) have exactly zero gradient
    layer = atoms.arrays["layer"]
    assert np.all(grad[layer >= 9] == 0.0)


def test_rational_switch_derivative_through_r0():
    r0 = 3.2
    r = np.array([r0 * (1 - 1e-9), r0, r0 * (1 + 1e-9), r0 * 1.001])
    d = rational_switch_derivative(r, r0, 6, 12)
    # n = 6, m = 12: s = 1/(1 + x^6), s' = -6 x^5 / (r0 (1 + x^6)^2) = -0.75/r0 at x = 1
    x = r / r0
    np.testing.assert_allclose(d, -6 * x**5 / (r0 * (1 + x**6) ** 2), rtol=1e-6)


def test_plumed_bias_forces_equal_minus_kappa_lag_gradient(tmp_path):
    atoms = toy_interface()
    s = cv_coordination_numpy(atoms, **CV)["cv"]
    kappa, lag = 5.0, 0.3
    _, forces, _ = _plumed_frame(atoms, tmp_path, s_start=s - lag, kappa_ev=kappa)
    expected = -kappa * lag * cv_gradient_numpy(atoms, **CV)
    # AT0 is written with 10 decimals (lag error 1e-10, relative 3e-10) and
    # KAPPA with 10 significant digits; everything else is double precision
    np.testing.assert_allclose(forces, expected, rtol=1e-8, atol=1e-10)


def test_restraint_period_units_and_scaling():
    atoms = toy_interface()
    g = cv_gradient_numpy(atoms, **CV)
    s_sum = np.sum(np.sum(g**2, axis=1) / atoms.get_masses())
    # 1 eV/(amu A^2) = 9.6485e27 s^-2
    omega = np.sqrt(5.0 * s_sum * 9.6485e27)
    assert restraint_period_fs(atoms, 5.0, **CV) == pytest.approx(
        2 * np.pi / omega * 1e15, rel=1e-4
    )
    # omega ~ sqrt(kappa): 100 x kappa -> period / 10
    assert restraint_period_fs(atoms, 500.0, **CV) == pytest.approx(
        restraint_period_fs(atoms, 5.0, **CV) / 10, rel=1e-12
    )
    k_max = max_stable_kappa_ev(atoms, 1.0, 0.5, **CV)
    assert restraint_period_fs(atoms, k_max, **CV) == pytest.approx(2 * np.pi / 0.5, rel=1e-9)


def test_guard_rejects_stiff_kappa_with_one_line():
    atoms = toy_interface()
    with pytest.raises(InputError) as err:
        check_restraint_stability(atoms, kappa_ev=500.0, timestep_fs=1.0, max_omega_dt=0.5, **CV)
    msg = str(err.value)
    assert "\n" not in msg and "lpsc.sampling.kappa_ev = 500 eV" in msg
    assert "use kappa_ev <= " in msg and "1 fs" in msg
    k_max = float(msg.split("use kappa_ev <= ")[1].split()[0])
    # the advertised kappa passes, and it is the largest one (3 significant digits)
    info = check_restraint_stability(atoms, kappa_ev=k_max, timestep_fs=1.0, max_omega_dt=0.5, **CV)
    assert 0.49 < info["omega_dt"] <= 0.5
    # a smaller time step makes the same kappa acceptable: omega dt ~ dt
    info = check_restraint_stability(
        atoms, kappa_ev=500.0, timestep_fs=0.05, max_omega_dt=0.5, **CV
    )
    assert info["omega_dt"] == pytest.approx(2 * np.pi / info["restraint_period_fs"] * 0.05)
