"""What must be true (6): bad input gives a one-line error naming the atom or key.

Plus the happy path of ``lidendrite qeq`` and the YAML parameter override.
"""

from __future__ import annotations

import numpy as np
import pytest
from _qeq_structures import lpsc_cell
from ase import Atoms
from ase.io import read, write

pytest.importorskip("jax")

from lidendrite.cli import main  # noqa: E402
from lidendrite.errors import InputError, LidendriteError  # noqa: E402
from lidendrite.qeq.params import load_parameters  # noqa: E402
from lidendrite.qeq.solver import QEqNotConverged  # noqa: E402


def _run(argv, capsys):
    rc = main(["qeq", *argv])
    err = capsys.readouterr().err.strip()
    return rc, err


@pytest.fixture()
def cell_file(tmp_path):
    path = tmp_path / "lpsc.extxyz"
    atoms = lpsc_cell()
    atoms.center(vacuum=6.0, axis=2)  # slab with vacuum across z = 0 / Lz
    write(path, atoms, format="extxyz")
    return path


def test_cli_writes_charges_and_info(cell_file, tmp_path, capsys):
    out = tmp_path / "out.extxyz"
    rc, err = _run([str(cell_file), "--out", str(out), "--params", "lpsc"], capsys)
    assert rc == 0, err
    atoms = read(out)
    # ASE's extxyz stores atoms.arrays["charges"] as the column "charge" and reads it
    # (and info "energy") back into a SinglePointCalculator
    q = atoms.get_charges()
    assert np.isfinite(atoms.get_potential_energy())
    assert abs(q.sum()) < 1e-6  # the file holds 8 decimals: 52 atoms x 5e-9 rounding
    sym = np.array(atoms.get_chemical_symbols())
    assert q[sym == "Li"].min() > 0 and q[sym == "Cl"].max() < 0
    for key in ("chi_eq", "iterations", "residual", "solve_seconds"):
        assert key in atoms.info, key
    assert atoms.info["residual"] < 1e-6


def test_unknown_element_names_the_atom(tmp_path, capsys):
    atoms = lpsc_cell()
    atoms[5].symbol = "Fe"
    path = tmp_path / "fe.extxyz"
    write(path, atoms, format="extxyz")
    rc, err = _run([str(path), "--out", str(tmp_path / "o.extxyz")], capsys)
    assert rc == 2
    assert len(err.splitlines()) == 1 and "atom 5 (Fe)" in err


def test_overlapping_atoms_are_named(tmp_path, capsys):
    atoms = lpsc_cell()
    atoms.positions[7] = atoms.positions[3] + [0.2, 0.0, 0.0]
    path = tmp_path / "overlap.extxyz"
    write(path, atoms, format="extxyz")
    rc, err = _run([str(path), "--out", str(tmp_path / "o.extxyz")], capsys)
    assert rc == 2
    assert len(err.splitlines()) == 1
    assert "atoms 3 and 7 overlap" in err or "atoms 7 and 3 overlap" in err


def test_missing_cell_is_reported(tmp_path, capsys):
    path = tmp_path / "nocell.extxyz"
    write(path, Atoms("LiCl", positions=[[0, 0, 0], [2.5, 0, 0]]), format="extxyz")
    rc, err = _run([str(path), "--out", str(tmp_path / "o.extxyz")], capsys)
    assert rc == 2
    assert len(err.splitlines()) == 1 and "cell" in err and "nocell.extxyz" in err


def test_non_convergence_is_an_error(cell_file, tmp_path, capsys):
    rc, err = _run([str(cell_file), "--out", str(tmp_path / "o.extxyz"), "--max-iter", "2"], capsys)
    assert rc == 2
    assert len(err.splitlines()) == 1 and "did not converge" in err and "max-iter" in err
    assert not (tmp_path / "o.extxyz").exists()
    assert issubclass(QEqNotConverged, LidendriteError)
    from ase.calculators.calculator import CalculationFailed

    assert issubclass(QEqNotConverged, CalculationFailed)


def test_yaml_parameters_override_and_errors(tmp_path):
    good = tmp_path / "p.yaml"
    good.write_text("base: lpsc\nelements:\n  Li: {chi: -2.5}\n  Fe: {chi: 4.0, J: 7.0}\n")
    p = load_parameters(good)
    assert p.chi["Li"] == -2.5 and p.J["Li"] == 10.0241 and p.chi["S"] == 6.5745
    assert p.sigma["Fe"] > 0  # covalent radius by default
    bad = tmp_path / "bad.yaml"
    bad.write_text("elements:\n  Li: {chi: -3.0, J: 10.0, hardness: 3}\n")
    with pytest.raises(InputError, match="elements.Li.hardness"):
        load_parameters(bad)
    with pytest.raises(InputError, match="not a built-in set"):
        load_parameters("nonsense")
    from lidendrite.qeq.engine import QEqEngine

    with pytest.raises(InputError, match="'rcutt'"):
        QEqEngine(rcutt=3.0)  # a typo in a setting names the key
    ec = load_parameters("ec")
    assert ec.chi == {"Li": -3.0, "C": 5.8678, "H": 5.32, "O": 8.5, "P": 1.8, "F": 9.0}
