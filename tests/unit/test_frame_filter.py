"""The thermal-frame filter of the demo's final lpsc training."""

from __future__ import annotations

import dpdata
import numpy as np
import pytest

from lidendrite.errors import InputError
from lidendrite.training.frame_filter import filter_systems, thermal_frames


def _system(path, energies_per_atom, max_force, n_atoms=4, names=("Li", "S")):
    """A deepmd/npy system of ``n_atoms`` (half each type) with given labels."""
    n = len(energies_per_atom)
    rng = np.random.default_rng(0)
    forces = rng.uniform(-0.05, 0.05, (n, n_atoms, 3))
    forces[:, 0] = [0.0, 0.0, 0.0]
    forces[:, 0, 2] = max_force  # atom 0 carries the largest force
    data = {
        "atom_names": list(names),
        "atom_numbs": [n_atoms // 2, n_atoms - n_atoms // 2],
        "atom_types": np.array([0] * (n_atoms // 2) + [1] * (n_atoms - n_atoms // 2)),
        "orig": np.zeros(3),
        "cells": np.tile(np.eye(3) * 10.0, (n, 1, 1)),
        "coords": rng.uniform(0, 10, (n, n_atoms, 3)),
        "energies": np.asarray(energies_per_atom, float) * n_atoms,
        "forces": forces,
        "virials": np.zeros((n, 3, 3)),
    }
    system = dpdata.LabeledSystem(data=data)
    system.to("deepmd/npy", str(path))
    return path


def test_thermal_frames_bounds_are_relative_to_the_reference():
    keep = thermal_frames(
        np.array([-3.0, -2.81, -2.79]),
        np.array([1.0, 10.0, 1.0]),
        -3.0,
        max_force=10.0,
        max_energy_above_min=0.2,
    )
    assert keep.tolist() == [True, True, False]
    with pytest.raises(InputError, match="max_force"):
        thermal_frames(np.zeros(1), np.zeros(1), 0.0, max_force=0.0, max_energy_above_min=0.2)


def test_filter_uses_the_lowest_frame_of_the_composition_over_all_systems(tmp_path):
    # system a holds the composition's lowest frame (-3.0 eV/atom); system b's
    # frames are judged against it, not against b's own minimum (-2.85)
    a = _system(tmp_path / "a", [-3.0, -2.95], max_force=1.0)
    b = _system(tmp_path / "b", [-2.85, -2.75, -2.70], max_force=1.0)
    c = _system(tmp_path / "c", [-2.9, -2.9], max_force=40.0)  # an exploded run
    other = _system(tmp_path / "d", [-1.0], max_force=1.0, names=("Li", "Cl"))
    kept, report = filter_systems(
        [a, b, c, other], tmp_path / "out", max_force=10.0, max_energy_above_min=0.2
    )
    assert [s["n_kept"] for s in report["systems"]] == [2, 1, 0, 1]
    assert report["n_frames"] == 8 and report["n_kept"] == 4
    assert len(kept) == 3  # c has no frame left and is omitted
    b_kept = dpdata.LabeledSystem(str(kept[1]), fmt="deepmd/npy")
    assert b_kept["energies"] / 4 == pytest.approx([-2.85])
    assert report["reference_energy_eV_per_atom"]["Li2S2"] == pytest.approx(-3.0)
    assert report["reference_energy_eV_per_atom"]["Li2Cl2"] == pytest.approx(-1.0)
