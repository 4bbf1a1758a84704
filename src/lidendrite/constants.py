"""Physical constants and unit conversions: the one place the package types them.

Built on :mod:`ase.units` with the CODATA 2018 set
(``ase.units.create_units("2018")``), the set of the 2019 SI in which the
elementary charge, the Avogadro and the Boltzmann constants are exact
(ase's default set is CODATA 2014).  ase's internal units: energies in eV,
lengths in Angstrom, charges in e.

The one exception is :data:`COULOMB_EV_A`, kept at LAMMPS's ``metal``-units
value so that QEq, ZBL and the LAMMPS runs use the same number.
"""

from __future__ import annotations

from ase.units import create_units

__all__ = [
    "CODATA_VERSION",
    "ELEMENTARY_CHARGE_C",
    "AVOGADRO",
    "AMU_KG",
    "AMU_G",
    "EPS0_F_PER_M",
    "HARTREE_EV",
    "BOHR_A",
    "BOLTZMANN_EV_PER_K",
    "COULOMB_EV_A",
    "EV_TO_KJMOL",
    "EPS0_E_PER_V_NM",
    "EV_PER_AMU_A2_IN_S2",
]

#: the CODATA adjustment of every value here
CODATA_VERSION = "2018"
_U = create_units(CODATA_VERSION)

#: elementary charge, C (exact)
ELEMENTARY_CHARGE_C: float = _U["_e"]
#: Avogadro constant, 1/mol (exact)
AVOGADRO: float = _U["_Nav"]
#: atomic mass constant, kg
AMU_KG: float = _U["_amu"]
#: atomic mass constant, g
AMU_G: float = AMU_KG * 1e3
#: vacuum permittivity, F/m
EPS0_F_PER_M: float = _U["_eps0"]
#: Hartree energy, eV
HARTREE_EV: float = _U["Hartree"]
#: Bohr radius, Angstrom
BOHR_A: float = _U["Bohr"]
#: Boltzmann constant, eV/K
BOLTZMANN_EV_PER_K: float = _U["kB"]

#: Coulomb constant e^2 / (4 pi eps0), eV Angstrom / e^2: LAMMPS ``metal`` units'
#: ``qqr2e``; CODATA 2018 gives 14.3996454784, 3.3e-8 relative above it
COULOMB_EV_A: float = 14.399645

#: 1 eV in kJ/mol (PLUMED's energy unit)
EV_TO_KJMOL: float = _U["mol"] / _U["kJ"]
#: vacuum permittivity in e / (V nm)
EPS0_E_PER_V_NM: float = EPS0_F_PER_M / ELEMENTARY_CHARGE_C * 1e-9
#: 1 eV / (amu Angstrom^2) in s^-2
EV_PER_AMU_A2_IN_S2: float = ELEMENTARY_CHARGE_C / (AMU_KG * 1e-20)
