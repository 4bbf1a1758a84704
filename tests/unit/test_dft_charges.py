"""Hirshfeld charges from CP2K and the CM5 correction (ec paper sec. 3.2, Fig. 3b, S9).

The parser is checked on excerpts of real CP2K 2023.1 runs stored in tests/data
(LiF RKS, OH radical UKS); the CM5 formula against hand-computed values of
Marenich et al. (JCTC 8, 527 (2012)); one test runs CP2K for real on LiF.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from ase import Atoms

from lidendrite.analysis.cm5 import cm5_charges, cm5_correction, cm5_parameters
from lidendrite.config import schema_default
from lidendrite.dft.hirshfeld import hirshfeld_input, parse_hirshfeld, run_hirshfeld
from lidendrite.errors import InputError
from lidendrite.labeling.cp2k import Cp2kFailed, Cp2kSettings

DATA = Path(__file__).resolve().parents[1] / "data"
HAS_CP2K = any(shutil.which(b) for b in ("cp2k.psmp", "cp2k.ssmp", "cp2k", "cp2k.popt"))
HAS_DATA = (Cp2kSettings().resolved_data_dir() / "BASIS_MOLOPT").is_file()


#: the CM5 pair cut-off of the config (ec.validation.dft.cm5_cutoff, 8 A)
CM5_CUTOFF = schema_default("ec.validation.dft.cm5_cutoff")


def lif(dx: float = 1.6) -> Atoms:
    return Atoms("LiF", positions=[[3.0, 4.0, 4.0], [3.0 + dx, 4.0, 4.0]],
                 cell=[8.0, 7.0, 7.5], pbc=True)


# ----------------------------------------------------------------------------- parser


def test_parse_rks_table_from_a_real_run():
    text = (DATA / "cp2k_hirshfeld_lif_rks.out").read_text()
    res = parse_hirshfeld(text, 2, "lif.out")
    assert res.charges.tolist() == [0.581, -0.581]
    assert res.spin is None
    assert res.total_charge == 0.0
    assert res.scf_steps == 25 and res.seconds == pytest.approx(10.364)
    assert res.version == "CP2K version 2023.1"


def test_parse_uks_table_has_spin_moments():
    text = (DATA / "cp2k_hirshfeld_oh_uks.out").read_text()
    res = parse_hirshfeld(text, 2, "oh.out")
    # columns: ... alpha beta | spin moment | net charge; the unpaired electron sits on O
    assert res.charges.tolist() == [-0.163, 0.163]
    assert res.spin.tolist() == [0.959, 0.041]
    assert res.spin.sum() == pytest.approx(1.0)


def test_parse_errors_name_the_file():
    text = (DATA / "cp2k_hirshfeld_lif_rks.out").read_text()
    with pytest.raises(Cp2kFailed, match="2 rows for 3 atoms"):
        parse_hirshfeld(text, 3, "lif.out")
    with pytest.raises(Cp2kFailed, match="no Hirshfeld Charges table in cut.out"):
        parse_hirshfeld(text[: text.index("Hirshfeld Charges")], 2, "cut.out")
    with pytest.raises(Cp2kFailed, match="not converged"):
        parse_hirshfeld(text + "\n *** SCF run NOT converged ***\n", 2, "x.out")


@pytest.mark.skipif(not HAS_DATA, reason="cp2k-data not installed")
def test_input_asks_for_atomic_density_hirshfeld_and_dipole_correction():
    s = Cp2kSettings(basis_set="SZV-MOLOPT-SR-GTH", charge=-1, multiplicity=2)
    text = hirshfeld_input(lif(), s, surface_dipole=True)
    for key in ("RUN_TYPE ENERGY\n", "&HIRSHFELD ON", "SHAPE_FUNCTION DENSITY",
                "REFERENCE_CHARGE ATOMIC", "SURFACE_DIPOLE_CORRECTION T", "SURF_DIP_DIR Z",
                "CHARGE -1", "MULTIPLICITY 2", "UKS"):
        assert key in text
    assert "STRESS_TENSOR" not in text and "&FORCES" not in text
    # the &DFT/&PRINT block sits inside &DFT
    assert text.index("&HIRSHFELD ON") < text.index("&END DFT")
    plain = hirshfeld_input(lif(), Cp2kSettings(basis_set="SZV-MOLOPT-SR-GTH"))
    assert "SURFACE_DIPOLE" not in plain and "UKS" not in plain


# ----------------------------------------------------------------------------- CM5


def test_cm5_hand_checked_two_atom_values():
    p = cm5_parameters()
    # C-H at 1.09 A: B = exp(-2.474 (1.09 - 0.32 - 0.75)); D_HC = 0.0502 (fitted pair value)
    ch = Atoms("HC", positions=[[0, 0, 0], [1.09, 0, 0]])
    b = math.exp(-2.474 * (1.09 - 0.32 - 0.75))
    assert b == pytest.approx(0.951724, abs=1e-6)
    corr = cm5_correction(ch, CM5_CUTOFF)
    assert corr[0] == pytest.approx(0.0502 * b, abs=1e-12)
    assert corr[1] == pytest.approx(-0.0502 * b, abs=1e-12)
    # Li-F at 1.60 A: no pair value, D_LiF = D_Li - D_F = 0 - (-0.0629)
    assert p.d("Li", "F") == pytest.approx(0.0629)
    molecule = lif()
    molecule.pbc = False  # the 7-8 A box would add periodic Li-F images within the cutoff
    q = cm5_charges(molecule, [0.581, -0.581], CM5_CUTOFF)
    b = math.exp(-2.474 * (1.60 - 1.30 - 0.60))
    assert q[0] == pytest.approx(0.581 + 0.0629 * b, abs=1e-9)  # B = e^0.7422 = 2.10055
    assert q[0] == pytest.approx(0.713125, abs=1e-6)


def test_cm5_conserves_the_total_charge():
    rng = np.random.default_rng(3)
    atoms = Atoms("LiCHOPF" * 3, positions=rng.uniform(0, 6, (18, 3)), cell=[6, 6, 6], pbc=True)
    q = rng.normal(0, 0.3, len(atoms))
    q -= q.mean() + 1.0 / len(atoms)  # total -1 e
    q5 = cm5_charges(atoms, q, CM5_CUTOFF)
    assert q5.sum() == pytest.approx(-1.0, abs=1e-12)
    assert np.abs(q5 - q).max() > 1e-3  # the correction did something


def test_cm5_zero_for_far_atoms_and_same_elements():
    far = Atoms("LiF", positions=[[0, 0, 0], [30, 0, 0]])
    assert np.abs(cm5_correction(far, CM5_CUTOFF)).max() == 0.0  # beyond the cutoff
    # just inside a long cutoff the correction is exp(-2.474 * 28.1) ~ 1e-31
    assert np.abs(cm5_correction(far, cutoff=40.0)).max() < 1e-25
    li = Atoms("Li2", positions=[[0, 0, 0], [2.5, 0, 0]])
    assert np.abs(cm5_correction(li, CM5_CUTOFF)).max() == 0.0


def test_cm5_sees_periodic_images():
    # one H-C pair across the cell boundary: the same correction as inside the cell
    ch = Atoms("HC", positions=[[0.2, 1, 1], [19.11, 1, 1]], cell=[20.0, 20.0, 20.0], pbc=True)
    b = math.exp(-2.474 * (1.09 - 0.32 - 0.75))
    assert cm5_correction(ch, CM5_CUTOFF)[0] == pytest.approx(0.0502 * b, abs=1e-9)


def test_cm5_unknown_element_is_input_error():
    with pytest.raises(InputError, match="Fe"):
        cm5_correction(Atoms("FeO", positions=[[0, 0, 0], [2, 0, 0]]), CM5_CUTOFF)
    with pytest.raises(InputError, match="3 Hirshfeld charges for 2 atoms"):
        cm5_charges(lif(), [0, 0, 0], CM5_CUTOFF)


# ----------------------------------------------------------------------------- real CP2K


@pytest.mark.cp2k
@pytest.mark.skipif(not HAS_CP2K or not HAS_DATA, reason="cp2k binary or cp2k-data missing")
def test_real_cp2k_hirshfeld_of_lif(tmp_path):
    s = Cp2kSettings(basis_set="SZV-MOLOPT-SR-GTH", cutoff=150, rel_cutoff=25, eps_scf=1e-5,
                     eps_default=1e-10, smearing_temperature=0, threads=1, timeout=300)
    res = run_hirshfeld(lif(), s, tmp_path / "lif")
    # ionic bond: Li positive, F negative, neutral molecule; the stored excerpt is this run
    assert res.charges.sum() == pytest.approx(0.0, abs=2e-3)
    assert 0.3 < res.charges[0] < 0.9 and res.charges[1] == pytest.approx(-res.charges[0], abs=2e-3)
    assert res.charges[0] == pytest.approx(0.581, abs=0.01)
    # CM5 makes the Li-F bond more ionic (D_LiF > 0)
    assert cm5_charges(lif(), res.charges, CM5_CUTOFF)[0] > res.charges[0]
