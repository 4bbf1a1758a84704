"""ec sec. 3.2 / Fig. 3a: the toy capacitor through the ConstP electrode helpers."""

from __future__ import annotations

import numpy as np
import pytest

from lidendrite.analysis.ec_capacitor import parallel_plate_sigma
from lidendrite.config import load_config
from lidendrite.constp.capacitor import capacitor_charges
from lidendrite.constp.electrodes import bias_per_atom, bias_settings, swap_electrodes
from lidendrite.qeq.bias import ElectrodeBias
from lidendrite.structures.ec import builder_kwargs, ec_toy_capacitor

PHI_ANODE, PHI_CATHODE = -2.0, 6.0  # V, ec sec. 3.2


@pytest.fixture(scope="module")
def cfg():
    return load_config("ci")


@pytest.fixture(scope="module")
def bias(cfg):
    """The config's ec.bias at the paper's -2 / +6 V."""
    return ElectrodeBias.from_config(cfg["ec"]["bias"]).with_potentials(PHI_ANODE, PHI_CATHODE)


def _capacitor(cfg, gap):
    s = cfg["ec"]["structures"]
    return ec_toy_capacitor(gap=gap, **builder_kwargs(s, "toy_capacitor", ec_toy_capacitor))


@pytest.fixture(scope="module")
def solved(cfg, bias):
    qeq = dict(cfg["ec"]["validation"]["qeq"])
    return {g: capacitor_charges(_capacitor(cfg, g), bias=bias, qeq=qeq) for g in (20.0, 40.0)}


def test_constq_gives_zero_charges(solved):
    # identical neutral slabs without bias: symmetry forces Q = 0 (ec sec. 3.2)
    for res in solved.values():
        assert res["constq_max_abs_charge"] < 1e-6


def test_constp_surface_density_matches_paper_and_plate_capacitor(solved):
    # paper: +-0.212 (20 A) and +-0.106 e/nm^2 (40 A); the issue asks for 10 %
    for gap, paper in ((20.0, 0.212), (40.0, 0.106)):
        sigma = solved[gap]["sigma"]
        assert sigma["anode"] == pytest.approx(paper, rel=0.10)
        assert sigma["cathode"] == pytest.approx(-paper, rel=0.10)
        # an independent estimate: the ideal plate capacitor eps0 * 8 V / d, 5 % (field spill-out)
        assert abs(sigma["anode"]) == pytest.approx(parallel_plate_sigma(8.0, gap), rel=0.05)
    ratio = solved[20.0]["sigma"]["anode"] / solved[40.0]["sigma"]["anode"]
    assert ratio == pytest.approx(2.0, abs=0.05)


def test_charge_neutral_and_interior_layers_near_zero(solved):
    for res in solved.values():
        assert abs(res["constp_total_charge"]) < 1e-8
        for layers in res["layer_sigma"].values():
            surface = layers[1]
            deep = [abs(v) for k, v in layers.items() if k >= 3]
            # interior layers screen: each well below 10 % of the contact-layer density
            assert all(d < 0.1 * abs(surface) for d in deep)


def test_swapping_sides_swaps_the_sign(cfg, bias):
    qeq = dict(cfg["ec"]["validation"]["qeq"])
    atoms = _capacitor(cfg, 20.0)
    a = capacitor_charges(atoms, bias=bias, qeq=qeq)["sigma"]
    b = capacitor_charges(swap_electrodes(atoms), bias=bias, qeq=qeq)["sigma"]
    # the swapped cell has the anode bias on the former cathode: same magnitudes, labels exchanged
    assert b["anode"] == pytest.approx(a["anode"], rel=1e-6)
    assert b["cathode"] == pytest.approx(a["cathode"], rel=1e-6)
    settings_a = bias_settings(atoms, PHI_ANODE, PHI_CATHODE)
    settings_b = bias_settings(swap_electrodes(atoms), PHI_ANODE, PHI_CATHODE)
    assert settings_a["phi_lower"] == settings_b["phi_upper"]


def test_bias_applies_exactly_to_metallic_li_by_cn_rule(cfg, bias):
    """A hand-made check: an isolated Li far from both slabs gets no bias (CN = 0 < 8)."""
    from ase import Atoms

    atoms = _capacitor(cfg, 20.0)
    mid = atoms.cell[2, 2] / 2
    lone = Atoms("Li", positions=[[0.3, 0.3, mid - 3.0]])
    lone.set_array("region", np.array(["electrolyte"], dtype="U16"))
    lone.set_array("layer", np.array([-1]))
    both = atoms + lone
    qeq = dict(cfg["ec"]["validation"]["qeq"])
    phi = bias_per_atom(both, **qeq, **bias.qeq_settings(both))
    assert phi[-1] == 0.0
    # every slab atom of a BCC(100) slab with >= 4 layers has CN > 8 only in the interior
    assert set(np.unique(phi[:-1])) <= {0.0, PHI_ANODE, PHI_CATHODE}
