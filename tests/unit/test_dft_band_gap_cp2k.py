"""Real CP2K band-gap runs (lidendrite.dft.band_gap) on 2-atom cells: an insulator and a metal.

The lpsc paper's gaps (Li6PS5Cl 2.15 eV, SEI slab 0 eV) come out of
``run_band_gap``; these tests run that exact path (input, CP2K, DOS file,
gap from the DOS) on cells small enough for a unit test, with the minimal
SZV basis and a low cutoff as in config/ci.yaml ``lpsc.dft``. The numbers are
not converged; the physics checked is qualitative: rock-salt LiCl (PBE gap
~6 eV, experiment 9.4 eV) has a clear, finite gap, BCC Li has none.
"""

from __future__ import annotations

import math
import shutil

import numpy as np
import pytest
from ase.build import bulk

from lidendrite.config import schema_default
from lidendrite.dft.band_gap import gap_from_dos, read_dos, run_band_gap
from lidendrite.labeling.cp2k import Cp2kSettings

HAS_CP2K = any(shutil.which(b) for b in ("cp2k.psmp", "cp2k.ssmp", "cp2k", "cp2k.popt"))
pytestmark = [
    pytest.mark.cp2k,
    pytest.mark.skipif(not HAS_CP2K, reason="cp2k binary not on PATH (apt-get install cp2k cp2k-data)"),
]

#: ci-like settings (config/ci.yaml lpsc.dft: SZV, 200/30 Ry) with a 2x2x2 / 4x4x4 grid
#: DOS bin width of the config (lpsc.dft.dos_delta_ev, 0.01 eV)
DOS_DELTA_EV = schema_default("lpsc.dft.dos_delta_ev")
SMALL = dict(
    basis_set="SZV-MOLOPT-SR-GTH",
    cutoff=200.0,
    rel_cutoff=30.0,
    smearing_temperature=300.0,
    threads=1,
    timeout=120,
)


def _settings(**kw) -> Cp2kSettings:
    s = Cp2kSettings(**{**SMALL, **kw})
    if not (s.resolved_data_dir() / "BASIS_MOLOPT").is_file():
        pytest.skip("cp2k-data not installed")
    return s


def test_licl_rocksalt_has_a_finite_gap(tmp_path):
    atoms = bulk("LiCl", "rocksalt", a=5.13)  # 2-atom primitive cell, experimental a
    res = run_band_gap(atoms, _settings(kpoints=[2, 2, 2]), tmp_path, project="licl", dos_delta_ev=DOS_DELTA_EV)
    assert res.n_atoms == 2 and res.kpoints == [2, 2, 2]
    assert math.isfinite(res.band_gap_ev) and math.isfinite(res.fermi_ev)
    # an ionic insulator: several eV, below the experimental 9.4 eV plus a generous margin
    assert 3.0 < res.band_gap_ev < 12.0, res.band_gap_ev
    energy, dos, fermi = read_dos(res.dos_file, res.fermi_ev)
    assert dos[energy < fermi].sum() > 0 and dos[energy > fermi].sum() > 0
    # for an insulator the occupation-based gap equals the empty DOS window around E_F
    assert res.band_gap_ev == pytest.approx(gap_from_dos(energy, dos, fermi), abs=0.011)


def test_bcc_li_is_a_metal(tmp_path):
    atoms = bulk("Li", "bcc", a=3.44, cubic=True)  # 2 atoms
    res = run_band_gap(atoms, _settings(kpoints=[4, 4, 4]), tmp_path, project="li", dos_delta_ev=DOS_DELTA_EV)
    assert res.band_gap_ev == 0.0
    # a partly filled band: a state within 0.1 eV of E_F holds a fraction of a full one
    energy, dos, fermi, occ = read_dos(res.dos_file, res.fermi_ev, with_occupation=True)
    have = dos > 0
    frac = (occ[have] / dos[have]) / (occ[have] / dos[have]).max()
    near = abs(energy[have] - fermi) < 0.1
    assert np.any(near & (frac > 0.02) & (frac < 0.98))
