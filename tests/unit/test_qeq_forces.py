"""What must be true (3): forces = -dE/dR of the solved energy, invariances, charge sum.

Also the ASE calculator contract (charges, stress) and the short + QEq sum.
"""

from __future__ import annotations

import numpy as np
import pytest
from _qeq_structures import li_lpsc_interface

pytest.importorskip("jax")

from lidendrite.qeq.calculator import QEqCalculator, ShortPlusQEqCalculator  # noqa: E402
from lidendrite.qeq.engine import QEqEngine  # noqa: E402


@pytest.fixture(scope="module")
def interface():
    atoms = li_lpsc_interface(n_li=6, n_lpsc=1)
    # thermal-like noise so that no force vanishes by symmetry
    atoms.positions += np.random.default_rng(0).normal(0, 0.05, atoms.positions.shape)
    return atoms


@pytest.mark.parametrize("mode", ["constq", "constp"])
def test_forces_equal_finite_differences(interface, mode):
    atoms = interface.copy()
    split = float(atoms.positions[atoms.arrays["region"] == "electrolyte", 2].mean())
    engine = QEqEngine(params="lpsc", mode=mode, split_z=split, tol=1e-9, method="ewald")
    res = engine.calculate(atoms)
    if mode == "constp":
        assert np.count_nonzero(res.phi) > 0
    h = 1e-3  # Angstrom; central differences, error ~h^2 f''' ~ 1e-6 eV/A
    rng = np.random.default_rng(1)
    picks = [
        (int(i), int(c))
        for i, c in zip(rng.integers(0, len(atoms), 6), rng.integers(0, 3, 6), strict=True)
    ]
    for i, c in picks:
        e = []
        for sign in (1, -1):
            moved = atoms.copy()
            moved.positions[i, c] += sign * h
            # charges re-solved at each displaced geometry: the derivative of the
            # *solved* energy (Omega in ConstP), so Hellmann-Feynman is really tested
            e.append(engine.calculate(moved, with_forces=False).energy)
        fd = -(e[0] - e[1]) / (2 * h)
        # 1e-4 eV/A: the bound; solver residual 1e-9 V makes the energy
        # error second order (~1e-16 eV), round-off of E/(2h) is ~1e-9 eV/A
        assert abs(fd - res.forces[i, c]) < 1e-4, (i, c, fd, res.forces[i, c])


def test_translation_invariance_and_charge_sum(interface):
    atoms = interface.copy()
    engine = QEqEngine(params="lpsc", mode="constq", total_charge=0.5, tol=1e-9, method="ewald")
    r0 = engine.calculate(atoms)
    moved = atoms.copy()
    moved.positions += np.array([0.37, -1.21, 0.43])  # stays inside the vacuum margins
    r1 = engine.calculate(moved)
    # translation leaves every term unchanged (the slab term too, even with Q_tot != 0)
    assert abs(r1.energy - r0.energy) < 1e-8 * abs(r0.energy)
    assert np.max(np.abs(r1.charges - r0.charges)) < 1e-7
    assert abs(r0.charges.sum() - 0.5) < 1e-10
    # exact Ewald: pairwise terms cancel, so the total force vanishes (Newton III)
    assert np.abs(r0.forces.sum(axis=0)).max() < 1e-8


def test_stress_equals_strain_derivative(interface):
    atoms = interface.copy()
    # a long cutoff and tight Ewald tolerance make the truncated sums smooth enough
    # that no pair crossing the cutoff under the 1e-4 strain shows in the difference
    kw = dict(params="lpsc", mode="constq", tol=1e-9, method="ewald", rcut=9.0, ewald_tol=1e-8)
    calc = QEqCalculator(**kw)
    atoms.calc = calc
    stress = atoms.get_stress(voigt=False)
    vol = atoms.get_volume()
    eps = 1e-4
    for a, b in [(0, 0), (2, 2), (0, 1)]:
        e = []
        for sign in (1, -1):
            strained = atoms.copy()
            f = np.eye(3)
            f[a, b] += sign * eps / (2 if a != b else 1)
            f[b, a] += sign * eps / 2 if a != b else 0
            strained.set_cell(atoms.cell.array @ f, scale_atoms=True)
            strained.calc = QEqCalculator(**kw)
            e.append(strained.get_potential_energy())
        # the k-vector set is fixed at the reference cell; at |strain| 1e-4 the FD
        # error is well below 1e-5 eV/A^3
        assert abs((e[0] - e[1]) / (2 * eps) / vol - stress[a, b]) < 1e-5


def test_calculator_charges_and_sum_with_short_range(interface):
    from ase.calculators.lj import LennardJones

    atoms = interface.copy()
    qeq = QEqCalculator(params="lpsc", mode="constq", method="ewald")
    atoms.calc = qeq
    e_qeq = atoms.get_potential_energy()
    charges = atoms.get_charges()
    assert charges.shape == (len(atoms),)
    assert abs(charges.sum()) < 1e-10
    lj = LennardJones(sigma=1.0, epsilon=0.01, rc=3.0)
    both = interface.copy()
    both.calc = ShortPlusQEqCalculator(lj, QEqCalculator(params="lpsc", method="ewald"))
    ref = interface.copy()
    ref.calc = LennardJones(sigma=1.0, epsilon=0.01, rc=3.0)
    # the sum adds energies and forces term by term (same inputs, same solver)
    assert abs(both.get_potential_energy() - (ref.get_potential_energy() + e_qeq)) < 1e-6
    f_qeq = qeq.get_forces(atoms)
    assert np.allclose(both.get_forces(), ref.get_forces() + f_qeq, atol=1e-6)
    assert np.allclose(both.get_charges(), charges, atol=1e-6)
