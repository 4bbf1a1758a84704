"""Teacher labellers (SevenNet-0 and CHGNet, bundled weights): shapes, units and physics."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk

from lidendrite.errors import InputError
from lidendrite.labeling.base import get_labeller, get_labels
from lidendrite.labeling.teacher import check_teacher

PACKAGE = {"sevennet-0": "sevenn", "chgnet": "chgnet"}


@pytest.fixture(scope="module", params=["sevennet-0", "chgnet"])
def teacher(request):
    pytest.importorskip(PACKAGE[request.param], reason=f"{PACKAGE[request.param]} not installed")
    return get_labeller("teacher", model=request.param, threads=1)


@pytest.fixture(scope="module")
def li16():
    """Perturbed 16-atom BCC Li (a = 3.44 A), the lpsc initial-data cell."""
    atoms = bulk("Li", "bcc", a=3.44, cubic=True).repeat(2)
    atoms.rattle(0.05, seed=3)
    return atoms


def test_shapes_and_units(teacher, li16):
    (frame,) = teacher.label([li16])
    energy, forces, virial = get_labels(frame)
    assert isinstance(energy, float)
    # BCC Li: PBE cohesive scale ~ -1.9 eV/atom in the MPtrj (VASP) reference
    assert -2.5 < energy / len(li16) < -1.5
    assert forces.shape == (16, 3) and virial.shape == (3, 3)
    # a 0.05 A rattle of a soft metal gives forces of order 0.1 eV/A, never eV
    assert 0.01 < np.abs(forces).max() < 1.0
    # virial = -stress * V (dpdata convention), recomputed from the stored stress
    stress = frame.get_stress(voigt=False)
    np.testing.assert_allclose(virial, -stress * li16.get_volume(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(virial, virial.T, atol=1e-6)  # symmetric tensor
    assert frame.info["labeller"] == "teacher"
    assert {"sevennet-0": "SevenNet-0", "chgnet": "CHGNet"}[teacher.model] in frame.info[
        "level_of_theory"
    ]


def test_forces_are_minus_energy_gradient(teacher, li16):
    calc = teacher.calculator()
    analytic = get_labels(teacher.label([li16])[0])[1]
    h = 5e-3  # A; the model runs in float32: E ~ 30 eV carries ~4e-6 eV noise -> ~1e-3 eV/A
    for atom, axis in [(0, 0), (5, 1), (11, 2)]:
        e = []
        for sign in (1, -1):
            a = li16.copy()
            a.positions[atom, axis] += sign * h
            a.calc = calc
            e.append(a.get_potential_energy())
        numeric = -(e[0] - e[1]) / (2 * h)
        # tolerance: float32 noise (~1e-3 eV/A) + O(h^2) truncation (~1e-4 eV/A) -> 5e-3
        assert numeric == pytest.approx(analytic[atom, axis], abs=5e-3)


def test_virial_is_minus_strain_derivative(teacher, li16):
    """virial_xx = -dE/d(eps_xx) (homogeneous strain, atoms follow the cell)."""
    calc = teacher.calculator()
    virial = get_labels(teacher.label([li16])[0])[2]
    eps = 2e-3
    e = []
    for sign in (1, -1):
        a = li16.copy()
        strain = np.eye(3)
        strain[0, 0] += sign * eps
        a.set_cell(li16.cell.array @ strain, scale_atoms=True)
        a.calc = calc
        e.append(a.get_potential_energy())
    numeric = -(e[0] - e[1]) / (2 * eps)
    # float32 noise 4e-6 eV / 4e-3 -> 1e-3 eV, plus O(eps^2) curvature terms -> 0.01 eV
    assert numeric == pytest.approx(virial[0, 0], abs=1e-2)


def test_translation_invariance(teacher, li16):
    shifted = li16.copy()
    shifted.translate([0.37, -1.21, 2.05])
    e0, f0, _ = get_labels(teacher.label([li16])[0])
    e1, f1, _ = get_labels(teacher.label([shifted])[0])
    # same graph, float32 sums in another order: ~1e-5 eV on 30 eV and ~1e-5 eV/A
    assert e1 == pytest.approx(e0, abs=1e-4)
    np.testing.assert_allclose(f1, f0, atol=1e-4)


def test_doctor_line():
    pytest.importorskip("sevenn")
    line = check_teacher("sevennet-0")
    assert "SevenNet-0" in line and "sevenn" in line and "eV/atom" in line


def test_unknown_teacher_model_is_one_line():
    with pytest.raises(InputError, match="sevennet-0, chgnet"):
        get_labeller("teacher", model="mace-mp-0")
