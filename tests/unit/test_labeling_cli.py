"""``lidendrite label`` (DP-GEN's custom fp command): shapes, units, one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from ase.build import bulk
from ase.io import read, write

from lidendrite.cli import main


@pytest.fixture
def poscar(tmp_path):
    a = bulk("Li", "bcc", a=3.44, cubic=True).repeat(2)
    a.rattle(0.05, seed=1)
    path = tmp_path / "input.vasp"
    write(path, a, format="vasp", direct=True)  # what dpdata writes for DP-GEN's fp tasks
    return path


@pytest.mark.slow
def test_labels_a_poscar_like_dpgen_fp(tmp_path, poscar):
    import dpdata

    settings = tmp_path / "labeller.json"
    settings.write_text(json.dumps({"labeller": "teacher", "settings": {"threads": 1}}))
    out = tmp_path / "labeled.extxyz"
    assert main(["label", "--settings", str(settings), "--in", str(poscar), "--out", str(out)]) == 0
    # DP-GEN reads the output with dpdata's extxyz reader: check what it sees
    s = dpdata.LabeledSystem(str(out), fmt="extxyz")
    assert s.get_nframes() == 1 and s.get_natoms() == 16
    assert s["forces"].shape == (1, 16, 3) and s["virials"].shape == (1, 3, 3)
    # BCC Li with PBE-like teachers: about -1.9 eV/atom (a ~0.3 eV window is generous)
    assert -2.2 < s["energies"][0] / 16 < -1.6
    # rattled 0.05 A: forces of order 0.1 eV/A, not 1e3 (eV/A, not eV/bohr or kcal)
    assert 1e-3 < np.abs(s["forces"]).max() < 2.0
    atoms = read(out)
    assert atoms.info["labeller"] == "teacher"
    # virial = -stress * V (eV), the dpdata convention; extxyz text keeps ~1e-8 relative
    v = -atoms.get_stress(voigt=False) * atoms.get_volume()
    np.testing.assert_allclose(s["virials"][0], v, atol=1e-6)


def test_overlapping_atoms_one_line(tmp_path, capsys):
    a = bulk("Li", "bcc", a=3.44, cubic=True)
    a.positions[1] = a.positions[0] + [0.3, 0.0, 0.0]
    write(tmp_path / "bad.vasp", a, format="vasp")
    rc = main(
        [
            "label",
            "--labeller",
            "teacher",
            "--in",
            str(tmp_path / "bad.vasp"),
            "--out",
            str(tmp_path / "o.extxyz"),
        ]
    )
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "\n" not in err and "0.300 A apart" in err
    assert not (tmp_path / "o.extxyz").exists()


def test_unknown_labeller_and_missing_file_one_line(tmp_path, poscar, capsys):
    bad = tmp_path / "s.json"
    bad.write_text(json.dumps({"labeller": "dft-magic"}))
    rc = main(["label", "--settings", str(bad), "--in", str(poscar), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "unknown labeller 'dft-magic'" in err and "\n" not in err
    rc = main(
        [
            "label",
            "--labeller",
            "teacher",
            "--in",
            str(tmp_path / "nope.vasp"),
            "--out",
            str(tmp_path / "o"),
        ]
    )
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "not found" in err and "\n" not in err
