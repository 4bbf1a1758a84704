"""VASP/ABACUS labellers: inputs for the user's runs, and one-line errors.

No VASP or ABACUS output ships with the project, so reading real results is
not tested here; what is tested is the hand-over (structure files that the
codes read back unchanged) and that every misuse stops with one line.
"""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk
from ase.io import read

from lidendrite.errors import InputError
from lidendrite.labeling.base import get_labeller

pytest.importorskip("dpdata")


@pytest.fixture
def frames():
    atoms = bulk("SLi2", "fluorite", a=5.72, cubic=True)
    out = []
    for seed in (1, 2):
        a = atoms.copy()
        a.rattle(0.05, seed=seed)
        out.append(a)
    return out


def test_vasp_inputs_round_trip(frames, tmp_path):
    written = get_labeller("vasp").write_inputs(frames, tmp_path)
    assert [p.name for p in written] == ["POSCAR", "POSCAR"]
    for atoms, path in zip(frames, written, strict=True):
        back = read(path, format="vasp")
        assert sorted(back.get_chemical_symbols()) == sorted(atoms.get_chemical_symbols())
        np.testing.assert_allclose(back.cell.array, atoms.cell.array, atol=1e-6)
        # POSCAR groups atoms by element; compare as sorted position sets (1e-6 A: print precision)
        key = lambda a: sorted(map(tuple, np.round(a.get_scaled_positions() % 1.0, 5)))  # noqa: E731
        np.testing.assert_allclose(key(back), key(atoms), atol=1e-5)


def test_abacus_writes_stru(frames, tmp_path):
    written = get_labeller("abacus").write_inputs(frames[:1], tmp_path)
    text = written[0].read_text()
    assert written[0].name == "STRU" and "LATTICE_VECTORS" in text and "Li" in text


@pytest.mark.parametrize("name", ["vasp", "abacus"])
def test_misuse_is_one_line(name, frames, tmp_path):
    with pytest.raises(InputError, match="no paths") as err:
        get_labeller(name).label(frames)
    assert "\n" not in str(err.value)
    with pytest.raises(InputError, match="not found"):
        get_labeller(name, paths=[str(tmp_path / "nope")]).label(frames)
    with pytest.raises(InputError, match="no calculator"):
        get_labeller(name).calculator()


def test_abacus_mode_checked():
    with pytest.raises(InputError, match="scf, md or relax"):
        get_labeller("abacus", mode="nscf")
