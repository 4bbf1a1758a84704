"""Frame selection of the ec concurrent learning (ec paper 2.2.3: window [0.1, 0.2) eV/A)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lidendrite.dpqeq.active_learning import classify, earliest_failed
from lidendrite.errors import InputError, OverlapError


def test_classify_window():
    devi = np.array([0.05, 0.1, 0.15, 0.2, 0.5, 0.0999])
    g = classify(devi, 0.1, 0.2)
    assert g["accurate"].tolist() == [0, 5]
    assert g["candidate"].tolist() == [1, 2]
    assert g["failed"].tolist() == [3, 4]


def test_earliest_failed_frames_in_time_order():
    # a run that leaves the data: accurate, candidate, then failed frames; the
    # first failed ones (before the collapse) are the ones worth labelling
    devi = np.array([0.05, 0.15, 0.9, 0.12, 1.5, 3.0, 40.0])
    g = classify(devi, 0.1, 0.8)
    assert earliest_failed(g, 2).tolist() == [2, 4]
    assert earliest_failed(g, 0).size == 0  # the paper's rule: discard them
    assert earliest_failed(g, 10).tolist() == [2, 4, 5, 6]
    with pytest.raises(InputError, match="label_failed_per_exploration"):
        earliest_failed(g, -1)


def test_nan_deviation_one_line():
    with pytest.raises(InputError, match="frame 2") as err:
        classify(np.array([0.01, 0.02, np.nan]), 0.1, 0.2)
    assert "\n" not in str(err.value)


def test_bad_window():
    with pytest.raises(InputError, match="trust_f"):
        classify(np.array([0.01]), 0.2, 0.1)


def test_exploration_that_collapses_ends_with_its_frames(monkeypatch):
    """An exploration MD the model drives into overlapping atoms stops there and keeps
    the frames sampled so far; other errors still propagate. The DP-QEq calculator is
    replaced by a test double that raises the QEq engine's OverlapError on a given call."""
    from ase import Atoms
    from ase.calculators.calculator import Calculator, all_changes

    import lidendrite.dpqeq.calculator as calc_mod
    from lidendrite.dpqeq.active_learning import explore

    class Collapsing(Calculator):
        implemented_properties = ["energy", "forces", "charges"]
        fail_at = 12
        error, message = OverlapError, "atoms 0 and 1 overlap: 0.4 Angstrom apart (< min_distance 0.5 Angstrom)"

        def __init__(self, *args, **kwargs):
            super().__init__()
            self.calls = 0

        def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
            super().calculate(atoms, properties, system_changes)
            self.calls += 1
            if self.calls >= self.fail_at:
                raise self.error(self.message)
            self.results = {"energy": 0.0, "forces": np.zeros((len(atoms), 3)), "charges": np.zeros(len(atoms))}

    monkeypatch.setattr(calc_mod, "DPQEqCalculator", Collapsing)
    atoms = Atoms("Li2", positions=[[0, 0, 0], [2.5, 0, 0]], cell=[10, 10, 10], pbc=True)
    bias = dict(phi_anode=-2.0, phi_cathode=6.0, cn_cutoff=3.5, cn_metal=8, cn_rule="paper")
    kw = dict(mode="constq", temperature_K=300.0, n_steps=40, timestep_fs=0.5, sample_every=5,
              dpqeq={"qeq": {}}, bias=bias, seed=0)
    frames, stop = explore("model.pb", atoms, **kw)
    assert stop is not None and "overlap" in stop["reason"] and 0 < stop["step"] < 40
    assert len(frames) == stop["step"] // 5
    Collapsing.fail_at = 10**6
    frames, stop = explore("model.pb", atoms, **kw)
    assert stop is None and len(frames) == 8
    Collapsing.fail_at, Collapsing.error = 3, InputError
    Collapsing.message = "ec.dpqeq.qeq: charges did not converge"
    with pytest.raises(InputError, match="did not converge"):
        explore("model.pb", atoms, **kw)


def test_exploration_stops_when_it_overheats(monkeypatch):
    """With max_temperature_K an exploration ends at the first step hotter than the
    bound and keeps only the frames sampled before it. The test double pushes the
    two Li apart with 5 eV/Angstrom each, which heats them past 2000 K within a few
    fs; without the bound the same run completes."""
    from ase import Atoms
    from ase.calculators.calculator import Calculator, all_changes

    import lidendrite.dpqeq.calculator as calc_mod
    from lidendrite.dpqeq.active_learning import explore

    class Pushing(Calculator):
        implemented_properties = ["energy", "forces", "charges"]

        def __init__(self, *args, **kwargs):
            super().__init__()

        def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
            super().calculate(atoms, properties, system_changes)
            f = np.array([[-5.0, 0, 0], [5.0, 0, 0]])
            self.results = {"energy": 0.0, "forces": f, "charges": np.zeros(len(atoms))}

    monkeypatch.setattr(calc_mod, "DPQEqCalculator", Pushing)
    atoms = Atoms("Li2", positions=[[4, 5, 5], [6, 5, 5]], cell=[30, 10, 10], pbc=True)
    bias = dict(phi_anode=-2.0, phi_cathode=6.0, cn_cutoff=3.5, cn_metal=8, cn_rule="paper")
    kw = dict(mode="constq", temperature_K=300.0, n_steps=40, timestep_fs=0.5, sample_every=5,
              dpqeq={"qeq": {}}, bias=bias, seed=0)
    frames, stop = explore("model.pb", atoms, max_temperature_K=2000.0, **kw)
    assert stop is not None and "> 2000 K" in stop["reason"] and 0 < stop["step"] < 40
    assert len(frames) <= stop["step"] // 5
    frames, stop = explore("model.pb", atoms, **kw)
    assert stop is None and len(frames) == 8


def test_loop_resumes_after_its_last_finished_iteration(monkeypatch, tmp_path):
    """A rerun with the same settings takes finished iterations from their
    iteration.json and computes only the rest; a larger n_iterations extends a
    finished loop; other settings discard the old iterations. Training, MD and
    labelling are replaced by counting test doubles: this checks the loop's
    bookkeeping, not its physics."""
    from ase import Atoms
    from ase.calculators.singlepoint import SinglePointCalculator

    import lidendrite.dpqeq.active_learning as al
    import lidendrite.dpqeq.short_range as short_range
    import lidendrite.training.deepmd_run as deepmd_run

    calls = {"train": [], "explore": 0, "label": 0}
    started_at = []  # x of atom 0 where each exploration started
    stop_next = []  # explorations told to stop early
    atoms = Atoms("Li2", positions=[[0, 0, 0], [2.5, 0, 0]], cell=[10, 10, 10], pbc=True)
    atoms.set_array("region", np.array(["anode", "electrolyte"]))

    def train_models(systems, workdir, **kw):
        calls["train"].append((Path(workdir).parent.name, len(systems)))
        Path(workdir).mkdir(parents=True, exist_ok=True)
        return [Path(workdir) / "model0.pb"]

    def explore(model, structure, **kw):
        calls["explore"] += 1
        started_at.append(round(float(structure.positions[0, 0]), 6))
        assert structure.arrays["region"].tolist() == ["anode", "electrolyte"]
        frames = []
        for k in range(3):
            f = Atoms(structure.get_chemical_symbols(), positions=structure.positions, cell=structure.cell)
            f.positions[:, 0] += 0.1 * (k + 1)
            frames.append(f)
        stop = stop_next.pop(0) if stop_next else False
        return frames, ({"step": 2, "reason": "test"} if stop else None)

    def write_short_range(frames, outdir, type_map, **kw):
        sysdir = Path(outdir) / "Li2"
        sysdir.mkdir(parents=True, exist_ok=True)
        (sysdir / "type.raw").write_text("0\n0\n")
        return None, [sysdir]

    class Labeller:
        name, level_of_theory = "fake", "fake level"

        def label(self, frames):
            calls["label"] += 1
            out = []
            for f in frames:
                g = f.copy()
                g.calc = SinglePointCalculator(g, energy=-1.0, forces=np.zeros((len(g), 3)))
                out.append(g)
            return out

    monkeypatch.setattr(al, "train_models", train_models)
    monkeypatch.setattr(al, "explore", explore)
    monkeypatch.setattr(deepmd_run, "model_devi", lambda models, frames: np.full(len(frames), 0.5))
    monkeypatch.setattr(short_range, "write_short_range", write_short_range)
    init = tmp_path / "init"
    init.mkdir()
    al_cfg = {"n_iterations": 2, "max_label_per_iteration": 2, "label_failed_per_exploration": 0,
              "numb_steps": None, "reuse_numb_steps": None, "max_temperature_K": None,
              "continue_explorations": True,
              "explorations": [{"structure": "s", "mode": "constq", "temps": [300.0], "n_steps": 30,
                                "timestep_fs": 1.0, "sample_every": 10}]}
    kw = dict(init_short_systems=[init], structures={"s": atoms}, labeller=Labeller(),
              workdir=tmp_path / "al", type_map=["Li"], training={"trust_f": [0.2, 0.8], "numb_models": 1, "seed": 1,
                                                                   "model": {}},
              dpqeq={"qeq": {}}, bias={})
    first = al.run_active_learning(al_cfg=al_cfg, **kw)
    assert calls["train"] == [("iter.000", 1), ("iter.001", 2)] and calls["label"] == 2
    assert len(first["added_frames"]) == 4 and len(first["short_systems"]) == 3
    assert started_at == [0.0, 0.3]  # iteration 1 goes on where iteration 0 ended

    calls.update(train=[], explore=0, label=0)
    again = al.run_active_learning(al_cfg=al_cfg, **kw)
    assert calls == {"train": [], "explore": 0, "label": 0}
    assert again["short_systems"] == first["short_systems"]
    assert len(again["added_frames"]) == 4 and again["iterations"] == first["iterations"]

    longer = al.run_active_learning(al_cfg={**al_cfg, "n_iterations": 3}, **kw)
    assert calls["train"] == [("iter.002", 3)] and calls["label"] == 1
    assert len(longer["iterations"]) == 3 and len(longer["added_frames"]) == 6
    assert started_at[-1] == 0.6  # the start state survived the resume

    started_at.clear()
    stop_next[:] = [True, False]  # iteration 0's run stops early: iteration 1 starts afresh
    al.run_active_learning(al_cfg={**al_cfg, "label_failed_per_exploration": 1}, **kw)
    assert started_at == [0.0, 0.0]
    started_at.clear()
    al.run_active_learning(al_cfg={**al_cfg, "continue_explorations": False,
                                   "label_failed_per_exploration": 2}, **kw)
    assert started_at == [0.0, 0.0]

    calls.update(train=[], explore=0, label=0)
    al.run_active_learning(al_cfg={**al_cfg, "max_label_per_iteration": 1}, **kw)
    assert [t[0] for t in calls["train"]] == ["iter.000", "iter.001"]
    assert not (tmp_path / "al" / "iter.002").exists()
