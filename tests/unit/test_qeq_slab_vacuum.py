"""The slab dipole correction (eq. S8) only where the structure has vacuum along z.

A fully periodic bulk cell has no surface normal: with the dipole term its energy,
forces and charges would change with the (arbitrary) wrapping of the atoms along
z, which made noise in DP_short's training target (``E_label - E_QEq``) for the
bulk electrolyte and bulk Li frames. Tin-foil Ewald is invariant under a rigid
shift of all atoms; a slab with vacuum keeps the correction.
"""

from __future__ import annotations

import numpy as np
import pytest
from _qeq_structures import toy_capacitor
from ase.build import bulk
from ase.io import read, write

pytest.importorskip("jax")

from lidendrite.cli import main  # noqa: E402
from lidendrite.qeq.engine import QEqEngine  # noqa: E402
from lidendrite.qeq.geometry import vacuum_gap_z  # noqa: E402


def _bulk_lif():
    atoms = bulk("LiF", "rocksalt", a=4.03, cubic=True).repeat((2, 2, 2))
    atoms.rattle(0.1, seed=1)  # break the symmetry so that charges and forces are not trivial
    return atoms


def _shifted(atoms, fraction):
    out = atoms.copy()
    out.positions[:, 2] += fraction * out.cell[2, 2]
    out.wrap()
    return out


def test_vacuum_gap_is_wrapping_invariant():
    atoms = _bulk_lif()
    gaps = [
        vacuum_gap_z(a.positions, a.cell.array)
        for a in (_shifted(atoms, f) for f in (0, 0.3, 0.71))
    ]
    # LiF (100) layers are a/2 = 2.0 A apart; rattling moves them by ~0.1 A
    assert max(gaps) - min(gaps) < 1e-9
    assert 1.5 < gaps[0] < 2.6
    slab, _ = toy_capacitor(20.0)
    assert vacuum_gap_z(slab.positions, slab.cell.array) > 15.0  # the 20 A gap (less the spacing)


def test_bulk_energy_forces_charges_do_not_depend_on_wrapping():
    atoms = _bulk_lif()
    results = [
        QEqEngine(params="ec", tol=1e-9).calculate(_shifted(atoms, f), with_forces=True)
        for f in (0.0, 0.3, 0.71)
    ]
    assert not any(r.info["slab_correction"] for r in results)
    e = [r.energy for r in results]
    # same configuration: only round-off differs (1e-8 eV on -118 eV)
    assert max(e) - min(e) < 1e-8
    for r in results[1:]:
        np.testing.assert_allclose(r.charges, results[0].charges, atol=1e-7)
        np.testing.assert_allclose(r.forces, results[0].forces, atol=1e-6)


def test_the_correction_would_break_that_invariance():
    """The check above can fail: forced onto the bulk cell, eq. S8 moves E by ~0.6 eV."""
    atoms = _bulk_lif()
    e = [
        QEqEngine(params="ec", tol=1e-9, slab_min_vacuum=0.1)
        .calculate(_shifted(atoms, f), with_forces=False)
        .energy
        for f in (0.0, 0.3)
    ]
    assert abs(e[1] - e[0]) > 0.1


def test_slab_with_vacuum_keeps_the_correction():
    atoms, split = toy_capacitor(20.0, a=3.44)
    engine = QEqEngine(params="lpsc", mode="constp", split_z=split, tol=1e-8)
    res = engine.calculate(atoms, with_forces=False)
    assert res.info["slab_correction"]
    off = QEqEngine(params="lpsc", mode="constp", split_z=split, tol=1e-8, slab_correction=False)
    # the correction changes the capacitor's charges (it removes the spurious field)
    assert np.max(np.abs(off.calculate(atoms, with_forces=False).charges - res.charges)) > 1e-3


def test_cli_bulk_energy_independent_of_wrapping(tmp_path, capsys):
    atoms = _bulk_lif()
    energies = []
    for k, f in enumerate((0.0, 0.45)):
        src, out = tmp_path / f"in{k}.extxyz", tmp_path / f"out{k}.extxyz"
        write(src, _shifted(atoms, f), format="extxyz")
        assert main(["qeq", str(src), "--out", str(out), "--params", "ec"]) == 0
        assert "slab correction off" in capsys.readouterr().out
        got = read(out, format="extxyz")
        assert got.info["slab_correction"] is False
        energies.append(got.get_potential_energy())
    assert abs(energies[1] - energies[0]) < 1e-6
