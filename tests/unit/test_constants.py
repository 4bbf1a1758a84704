"""lidendrite.constants: CODATA 2018 through ase.units, and the values the package used before."""

from __future__ import annotations

import math

import pytest
from ase import units

from lidendrite import constants as c

# the literals that stood in the modules (SI 2019 exact values and CODATA 2018); 1e-9
# relative: well above float64 round-off of the derived products, far below any physics
# the package resolves
BEFORE = {
    "ELEMENTARY_CHARGE_C": 1.602176634e-19,
    "AVOGADRO": 6.02214076e23,
    "AMU_G": 1.66053906660e-24,
    "HARTREE_EV": 27.211386245988,
    "EPS0_E_PER_V_NM": 8.8541878128e-12 / 1.602176634e-19 * 1e-9,
    "EV_PER_AMU_A2_IN_S2": 1.602176634e-19 / (1.66053906660e-27 * 1e-20),
    "EV_TO_KJMOL": 1.602176634e-19 * 6.02214076e23 / 1000.0,
    "COULOMB_EV_A": 14.399645,
}


@pytest.mark.parametrize("name", sorted(BEFORE))
def test_values_unchanged(name):
    assert getattr(c, name) == pytest.approx(BEFORE[name], rel=1e-9)


def test_codata_2018_not_ase_default():
    assert c.CODATA_VERSION == "2018"
    u = units.create_units("2018")
    assert c.BOHR_A == u["Bohr"] and c.BOLTZMANN_EV_PER_K == u["kB"]
    # kB = 1.380649e-23 J/K exactly in the 2019 SI
    assert c.BOLTZMANN_EV_PER_K == pytest.approx(1.380649e-23 / 1.602176634e-19, rel=1e-12)


def test_coulomb_constant_is_lammps_metal_within_codata_rounding():
    codata = c.ELEMENTARY_CHARGE_C / (4 * math.pi * c.EPS0_F_PER_M) * 1e10  # eV Angstrom
    # LAMMPS's qqr2e keeps 8 significant digits: 3.3e-8 relative below CODATA 2018
    assert c.COULOMB_EV_A == pytest.approx(codata, rel=5e-8)
