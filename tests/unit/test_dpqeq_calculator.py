"""``DPQEqCalculator``: a real frozen deepmd-kit model + the JAX QEq engine.

Forces must be the negative gradient of the energy (ConstQ: E_short + E_QEq;
ConstP: the grand energy Omega of eq. S16), checked by central finite
differences; the energy must be the sum of its two parts; charges neutral.
"""

from __future__ import annotations

import numpy as np
import pytest
from _dpqeq_toy import TYPE_MAP, li_ec_cell, train_tiny_dp

from lidendrite.errors import InputError

pytestmark = pytest.mark.slow

QEQ = {"tol": 1e-10, "max_iter": 3000, "rcut": 6.0}


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return train_tiny_dp(tmp_path_factory.mktemp("dp"), seed=1, steps=20)


def _fd_check(calc, atoms, indices, h=1e-3):
    atoms = atoms.copy()
    atoms.calc = calc
    forces = atoms.get_forces()
    for i in indices:
        for d in range(3):
            e = []
            for sign in (1, -1):
                a = atoms.copy()
                a.positions[i, d] += sign * h
                a.calc = calc
                e.append(a.get_potential_energy())
            fd = -(e[0] - e[1]) / (2 * h)
            # central differences with h = 1e-3 A: O(h^2 F''') ~ 1e-6 eV/A; the QEq solve
            # at tol 1e-10 V adds ~1e-9 eV; 2e-4 eV/A leaves room for float32 parts of DP
            assert abs(fd - forces[i, d]) < 2e-4, (i, d, fd, forces[i, d])


@pytest.mark.parametrize("mode", ["constq", "constp"])
def test_forces_match_finite_differences(model, mode):
    from lidendrite.dpqeq.calculator import DPQEqCalculator

    atoms = li_ec_cell()
    calc = DPQEqCalculator(
        model, QEQ, mode=mode, phi_lower=-2.0, phi_upper=6.0, split_z=14.0, cn_metal=4
    )
    # atoms: a Li of the lower slab, C and O of EC, P, the free Li+
    n = len(atoms)
    _fd_check(calc, atoms, [0, 24, 26, n - 8, n - 1])
    q = calc.results["charges"]
    assert abs(q.sum()) < 1e-8  # ConstQ at Q_tot = 0 and ConstP (sum Q = 0, eq. S19)
    assert calc.results["energy"] == pytest.approx(calc.results["e_short"] + calc.results["e_qeq"])
    if mode == "constp":
        # the bias term phi_i Q_i (eq. S16) favours positive charge where phi is low: the
        # -2 V electrode ends more positive than the +6 V one (ec 3.2: anode Li +0.31 e,
        # cathode +0.12 e at -2/+6 V)
        z = atoms.positions[:, 2]
        li = np.array(atoms.get_chemical_symbols()) == "Li"
        assert q[li & (z < 6)].sum() > q[li & (z > 19)].sum()


def test_stress_is_sum_of_parts(model):
    from deepmd.calculator import DP

    from lidendrite.dpqeq.calculator import DPQEqCalculator
    from lidendrite.qeq.calculator import QEqCalculator

    atoms = li_ec_cell()
    calc = DPQEqCalculator(model, QEQ)
    atoms.calc = calc
    total = atoms.get_stress()
    a1 = atoms.copy()
    a1.calc = DP(str(model))
    a2 = atoms.copy()
    a2.calc = QEqCalculator(params="ec", **QEQ)
    # same float64 numbers summed: agreement to round-off
    assert np.allclose(total, a1.get_stress() + a2.get_stress(), atol=1e-10)


@pytest.mark.parametrize("mode", ["constq", "constp"])
def test_overlapped_evaluation_equals_sequential(model, mode):
    """DP_short on its own thread while QEq solves: the same numbers, step after step."""
    from lidendrite.dpqeq.calculator import DPQEqCalculator

    kw = dict(mode=mode, phi_lower=-2.0, phi_upper=6.0, split_z=14.0, cn_metal=4)
    seq = DPQEqCalculator(model, {**QEQ, "warm_start": True}, overlap=False, **kw)
    par = DPQEqCalculator(model, {**QEQ, "warm_start": True}, overlap=True, **kw)
    atoms = li_ec_cell()
    rng = np.random.default_rng(3)
    for _ in range(3):
        atoms.positions += rng.normal(0.0, 0.01, atoms.positions.shape)
        a, b = atoms.copy(), atoms.copy()
        a.calc, b.calc = seq, par
        assert b.get_potential_energy() == pytest.approx(a.get_potential_energy(), abs=1e-9)
        np.testing.assert_allclose(b.get_forces(), a.get_forces(), atol=1e-9)
        np.testing.assert_allclose(b.get_stress(), a.get_stress(), atol=1e-12)
        np.testing.assert_allclose(b.get_charges(), a.get_charges(), atol=1e-9)


def test_unknown_element_one_line(model):
    from lidendrite.dpqeq.calculator import DPQEqCalculator

    atoms = li_ec_cell()
    atoms[0].symbol = "Na"
    calc = DPQEqCalculator(model, QEQ, type_map=TYPE_MAP)
    atoms.calc = calc
    with pytest.raises(InputError, match="Na"):
        atoms.get_potential_energy()


def test_missing_model_one_line(tmp_path):
    from lidendrite.dpqeq.calculator import DPQEqCalculator

    with pytest.raises(InputError, match="not found"):
        DPQEqCalculator(tmp_path / "nope.pb")
