"""Initial data (perturbations + labeller-driven NVT MD) written as dpdata.

The labeller here wraps ASE's EMT potential on FCC Cu; EMT is a real, cheap
potential used ONLY in tests to exercise the data machinery. The pipeline
uses the teacher potential or DFT labellers of ``lidendrite.labeling``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from ase.build import bulk

from lidendrite.errors import InputError
from lidendrite.labeling.base import Labeller
from lidendrite.training.init_data import initial_dataset, nvt_frames, perturbed_frames


class EmtLabeller(Labeller):
    """Test-only labeller: ASE EMT."""

    name = "emt-test"

    @property
    def level_of_theory(self) -> str:
        return "EMT (ASE), test only"

    def calculator(self):
        from ase.calculators.emt import EMT

        return EMT()


def cu():
    a = bulk("Cu", "fcc", a=3.61, cubic=True)
    a.set_array("region", np.array(["anode"] * len(a)))
    return a


def test_perturbations_stay_within_bounds():
    a = cu()
    frames = perturbed_frames(a, 10, cell_pert_fraction=0.03, atom_pert_distance=0.1, seed=1)
    assert len(frames) == 10
    for f in frames:
        strain = np.linalg.solve(a.cell.array, f.cell.array) - np.eye(3)
        assert np.allclose(strain, strain.T, atol=1e-12)  # symmetric strain, no rotation
        assert np.abs(strain).max() <= 0.03 + 1e-12
        affine = a.get_scaled_positions(wrap=False) @ f.cell.array
        assert np.linalg.norm(f.positions - affine, axis=1).max() <= 0.1 + 1e-12
        assert list(f.arrays["region"]) == ["anode"] * len(a)
    # different frames differ; same seed reproduces
    assert not np.allclose(frames[0].positions, frames[1].positions)
    again = perturbed_frames(a, 10, cell_pert_fraction=0.03, atom_pert_distance=0.1, seed=1)
    assert np.allclose(again[3].positions, frames[3].positions)


def test_nvt_frames_carry_the_labeller_numbers():
    """Each MD frame's stored energy/forces equal a fresh EMT evaluation of its
    positions (same code, float64: 1e-10), so labels and geometry belong together."""
    from ase.calculators.emt import EMT

    start = cu().repeat((2, 2, 2))
    frames = nvt_frames(
        start,
        EMT(),
        temperature_K=300,
        n_steps=40,
        timestep_fs=2.0,
        sample_every=10,
        tdamp_fs=100.0,
        labeller="emt-test",
        level_of_theory="EMT",
        seed=0,
    )
    assert len(frames) == 4
    assert not np.allclose(frames[0].positions, frames[-1].positions)  # atoms moved
    for f in frames:
        ref = f.copy()
        ref.calc = EMT()
        assert f.get_potential_energy() == pytest.approx(ref.get_potential_energy(), abs=1e-10)
        assert np.allclose(f.get_forces(), ref.get_forces(), atol=1e-10)
        assert f.info["labeller"] == "emt-test"


def test_initial_dataset_written_as_dpdata(tmp_path):
    import dpdata

    out = initial_dataset(
        {"cu_bulk": cu()},
        EmtLabeller(),
        tmp_path / "init",
        ["Cu"],
        n_perturbed=3,
        cell_pert_fraction=0.02,
        atom_pert_distance=0.05,
        md_temperature_K=300,
        md_steps=20,
        md_timestep_fs=2.0,
        md_sample_every=10,
        md_tdamp_fs=100.0,
        seed=0,
    )
    (system,) = out["cu_bulk"]
    s = dpdata.LabeledSystem(str(system), fmt="deepmd/npy")
    assert len(s) == 3 + 2  # 3 perturbed + 2 MD frames
    assert s["forces"].shape == (5, 4, 3) and np.isfinite(s["energies"]).all()
    record = json.loads((tmp_path / "init" / "cu_bulk" / "labeller.json").read_text())
    assert record["labeller"] == "emt-test" and record["n_frames"] == 5


def test_bad_settings_one_line_errors():
    from ase.calculators.emt import EMT

    with pytest.raises(InputError, match="cell_pert_fraction"):
        perturbed_frames(cu(), 1, cell_pert_fraction=0.7, atom_pert_distance=0.1, seed=0)
    with pytest.raises(InputError, match="sample_every"):
        nvt_frames(
            cu(),
            EMT(),
            temperature_K=300,
            n_steps=5,
            timestep_fs=1,
            sample_every=10,
            tdamp_fs=100,
            labeller="x",
            level_of_theory="x",
            seed=0,
        )
    with pytest.raises(InputError, match="structures"):
        initial_dataset(
            {},
            EmtLabeller(),
            "x",
            ["Cu"],
            n_perturbed=1,
            cell_pert_fraction=0.0,
            atom_pert_distance=0.0,
            md_temperature_K=300,
            md_steps=0,
            md_timestep_fs=1,
            md_sample_every=1,
            md_tdamp_fs=100,
            seed=0,
        )


def test_ec_initial_frames_add_labelled_perturbed_copies_of_md_frames():
    """``md_frame_perturbations`` adds that many single-point-labelled copies of
    every NVT frame, each within ``atom_pert_distance`` of its frame, same cell."""
    from ase.calculators.emt import EMT

    from lidendrite.dpqeq.data import initial_frames

    cfg = dict(n_perturbed=0, cell_pert_fraction=0.0, atom_pert_distance=0.1, md_temperature_K=300.0,
               md_steps=20, md_timestep_fs=2.0, md_sample_every=10, md_tdamp_fs=100.0,
               md_frame_perturbations=0, seed=0)
    structures = {"ec-electrolyte": cu().repeat((2, 2, 2))}
    plain = initial_frames(structures, EmtLabeller(), {**cfg, "md_frame_perturbations": 0})
    more = initial_frames(structures, EmtLabeller(), {**cfg, "md_frame_perturbations": 2})
    assert len(plain) == 2 and len(more) == 6
    md, copies = more[:2], more[2:]
    for j, c in enumerate(copies):
        parent = md[j // 2]
        assert np.allclose(c.cell.array, parent.cell.array)
        step = np.linalg.norm(c.positions - parent.positions, axis=1)
        assert 0 < step.max() <= 0.1 + 1e-12
        ref = c.copy()
        ref.calc = EMT()
        assert c.get_potential_energy() == pytest.approx(ref.get_potential_energy(), abs=1e-10)
        assert c.info["source"] == "ec-electrolyte" and c.info["labeller"] == "emt-test"
