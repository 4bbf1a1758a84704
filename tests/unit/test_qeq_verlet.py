"""QEq neighbour-list reuse (``skin``): the same pairs, charges, energies and forces as a
fresh list at every call, with fewer list builds; a large move forces a rebuild."""

from __future__ import annotations

import numpy as np
import pytest
from _qeq_structures import li_lpsc_interface

from lidendrite.errors import InputError
from lidendrite.qeq.engine import QEqEngine


@pytest.mark.parametrize("mode", ["constq", "constp"])
def test_reused_list_gives_the_fresh_list_results(mode):
    atoms = li_lpsc_interface(n_li=4, n_lpsc=1)
    split = float(atoms.positions[atoms.arrays["region"] == "electrolyte", 2].mean())
    kw = dict(params="lpsc", mode=mode, rcut=6.0, tol=1e-9, split_z=split, cn_metal=4)
    fresh, reused = QEqEngine(**kw), QEqEngine(skin=1.0, **kw)
    rng = np.random.default_rng(5)
    start = atoms.positions.copy()
    for step in range(8):
        # thermal-size moves (0.05 A per step): after ~10 steps an atom may have moved
        # more than skin / 2 = 0.5 A, not before
        atoms.positions = start + rng.normal(0.0, 0.05, start.shape) * (1 + step)
        a = fresh.calculate(atoms, warm_start=False)
        b = reused.calculate(atoms, warm_start=False)
        assert b.info["n_pairs"] == a.info["n_pairs"]
        np.testing.assert_allclose(b.phi, a.phi)
        np.testing.assert_allclose(b.charges, a.charges, atol=1e-9)
        assert b.energy == pytest.approx(a.energy, abs=1e-8)
        np.testing.assert_allclose(b.forces, a.forces, atol=1e-8)
    assert fresh.list_builds == 8
    assert 1 <= reused.list_builds < 8


def test_an_atom_moved_beyond_half_the_skin_rebuilds_the_list():
    atoms = li_lpsc_interface(n_li=4, n_lpsc=1)
    engine = QEqEngine(params="lpsc", rcut=6.0, skin=1.0)
    engine.calculate(atoms, with_forces=False)
    atoms.positions[0] += [0.3, 0.0, 0.0]  # < skin / 2: the list is kept
    engine.calculate(atoms, with_forces=False)
    assert engine.list_builds == 1
    atoms.positions[0] += [0.3, 0.0, 0.0]  # 0.6 A from where the list was built
    engine.calculate(atoms, with_forces=False)
    assert engine.list_builds == 2


def test_negative_skin_is_one_line_error():
    with pytest.raises(InputError, match="skin"):
        QEqEngine(params="lpsc", skin=-1.0)
