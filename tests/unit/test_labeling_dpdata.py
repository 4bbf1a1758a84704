"""Labeller factory, dpdata round trip and the teacher-comparison metrics."""

from __future__ import annotations

import json

import numpy as np
import pytest
from ase.build import bulk

from lidendrite.errors import InputError
from lidendrite.labeling.base import LABELLERS, attach_labels, get_labeller, get_labels
from lidendrite.labeling.compare import build_systems, error_metrics

TYPE_MAP = ["Li", "P", "S", "Cl"]


@pytest.fixture(scope="module")
def chgnet():
    pytest.importorskip("chgnet", reason="the teacher package chgnet is not installed")
    return get_labeller("teacher", model="chgnet", threads=1)


@pytest.fixture(scope="module")
def frames():
    """Two compositions: 3 frames of BCC Li16 and 2 of antifluorite Li8S4."""
    systems = build_systems(["li_bcc16", "li2s_12"], n_frames=3, seed=11)
    return systems["li_bcc16"] + systems["li2s_12"][:2]


def test_unknown_labeller_is_one_line():
    with pytest.raises(InputError) as err:
        get_labeller("gaussian")
    msg = str(err.value)
    assert "\n" not in msg and "gaussian" in msg
    assert all(name in msg for name in LABELLERS)


def test_unknown_setting_is_one_line():
    with pytest.raises(InputError, match="cutof"):
        get_labeller("cp2k", cutof=400)


def test_dpdata_round_trip(chgnet, frames, tmp_path):
    dpdata = pytest.importorskip("dpdata")
    systems = chgnet.to_dpdata(frames, tmp_path / "data", TYPE_MAP)
    assert len(systems) == 2  # one system per composition
    record = json.loads((tmp_path / "data" / "labeller.json").read_text())
    assert record["labeller"] == "teacher" and "CHGNet" in record["level_of_theory"]
    assert record["n_frames"] == 5 and record["type_map"] == TYPE_MAP
    labelled = chgnet.label(frames)
    total = 0
    for sysdir in systems:
        types = np.loadtxt(sysdir / "type.raw", dtype=int)
        n = types.size
        assert (sysdir / "type_map.raw").read_text().split() == TYPE_MAP
        s = sysdir / "set.000"
        nf = np.load(s / "energy.npy").shape[0]
        total += nf
        assert np.load(s / "coord.npy").shape == (nf, 3 * n)
        assert np.load(s / "box.npy").shape == (nf, 9)
        assert np.load(s / "energy.npy").size == nf  # dpdata writes (nf, 1); deepmd reshapes
        assert np.load(s / "force.npy").shape == (nf, 3 * n)
        assert np.load(s / "virial.npy").shape == (nf, 9)
        # values survive: read back with dpdata and compare with the labels in memory
        back = dpdata.LabeledSystem(str(sysdir), fmt="deepmd/npy")
        want = [a for a in labelled if len(a) == n]
        e_want = sorted(get_labels(a)[0] for a in want)
        np.testing.assert_allclose(sorted(back["energies"]), e_want, rtol=1e-12)
        # virial trace is permutation invariant, so atom sorting inside dpdata cannot hide a bug
        tr_want = sorted(np.trace(get_labels(a)[2]) for a in want)
        tr_back = sorted(np.trace(v) for v in back["virials"])
        np.testing.assert_allclose(tr_back, tr_want, rtol=1e-10, atol=1e-10)
    assert total == 5


def test_type_map_must_cover_elements(chgnet, tmp_path):
    atoms = bulk("Li", "bcc", a=3.44, cubic=True)
    with pytest.raises(InputError, match="element Li"):
        chgnet.to_dpdata([atoms], tmp_path, ["P", "S"])


def test_error_metrics_remove_per_system_offsets(chgnet, frames):
    labelled = chgnet.label(frames)
    systems = [a.info["system"] for a in frames]
    zero = error_metrics(labelled, labelled, systems)
    assert zero["energy_rmse_meV_per_atom"] == 0 and zero["force_rmse_meV_per_A"] == 0
    # a constant per-atom shift of one system (another reference energy) is not an error
    shifted = [
        attach_labels(
            a,
            get_labels(a)[0] + (0.7 * len(a) if a.info["system"] == "li2s_12" else 0),
            get_labels(a)[1],
            get_labels(a)[2],
            "x",
            "x",
        )
        for a in labelled
    ]
    m = error_metrics(labelled, shifted, systems)
    assert m["energy_rmse_meV_per_atom"] == pytest.approx(0, abs=1e-9)
    assert m["per_system"]["li2s_12"]["energy_offset_eV_per_atom"] == pytest.approx(0.7)
    # a force error of 0.1 eV/A on every component gives an RMSE of exactly 100 meV/A
    bumped = [
        attach_labels(a, get_labels(a)[0], get_labels(a)[1] + 0.1, get_labels(a)[2], "x", "x")
        for a in labelled
    ]
    assert error_metrics(labelled, bumped, systems)["force_rmse_meV_per_A"] == pytest.approx(100)


def test_labels_survive_extxyz(chgnet, frames, tmp_path):
    from ase.io import read, write

    labelled = chgnet.label(frames[:2])
    write(tmp_path / "l.extxyz", labelled)
    back = read(tmp_path / "l.extxyz", index=":")
    for a, b in zip(labelled, back, strict=True):
        ea, fa, va = get_labels(a)
        eb, fb, vb = get_labels(b)
        # extxyz prints per-frame floats with ~16 digits, per-atom arrays with 8 decimals
        assert eb == pytest.approx(ea, rel=1e-9)
        np.testing.assert_allclose(fb, fa, rtol=0, atol=1e-8)
        np.testing.assert_allclose(vb, va, rtol=1e-9, atol=1e-12)
        assert b.info["labeller"] == "teacher"
