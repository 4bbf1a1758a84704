"""deepmd-kit (TensorFlow backend) training, freezing, testing and model deviation, for real.

The labels come from ASE's EMT potential on an 8-atom FCC Cu cell. EMT is a
real (if crude) many-body potential that costs nothing; it is used here ONLY
to exercise deepmd-kit's machinery in tests. The pipeline itself labels with
the teacher potential or DFT (``lidendrite.labeling``), never with EMT.

The networks are tiny (embedding (4, 8), fitting (8, 8), 60 steps): nothing
here judges the accuracy of the fit, only that the numbers deepmd-kit
produces are finite, consistent with an independent evaluation, and
physically sensible (zero deviation between identical models, ...).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from _deepmd_settings import NO_VIRIAL, paper_settings

from lidendrite.config import schema_default
from lidendrite.errors import InputError, ToolMissingError
from lidendrite.io.deepmd import read_lcurve, read_model_devi_out
from lidendrite.training import deepmd_run
from lidendrite.training.deepmd_input import build_deepmd_input

STEPS = 60
STOP_LR = 1e-5


def emt_frames(n, seed):
    """Rattled and strained 8-atom Cu cells labelled by EMT (eV, eV/A)."""
    from ase.build import bulk
    from ase.calculators.emt import EMT

    rng = np.random.default_rng(seed)
    frames = []
    for k in range(n):
        a = bulk("Cu", "fcc", a=3.61, cubic=True).repeat((2, 1, 1))
        a.set_cell(a.cell * (1 + 0.02 * rng.standard_normal()), scale_atoms=True)
        a.rattle(0.08, seed=int(seed * 1000 + k))
        a.calc = EMT()
        a.get_potential_energy()
        frames.append(a)
    return frames


def write_system(frames, path):
    import dpdata

    system = None
    for a in frames:
        s = dpdata.LabeledSystem(a, fmt="ase/structure")
        if system is None:
            system = s
        else:
            system.append(s)
    system.to("deepmd/npy", str(path))
    return path


def tiny_input(train_dir, valid_dir, seed, numb_steps=STEPS):
    return build_deepmd_input(
        type_map=["Cu"],
        training_systems=[str(train_dir)],
        validation_systems=[str(valid_dir)],
        sel=[40],  # 8-atom cell: at most 21 neighbours within 4 A (measured by dp)
        numb_steps=numb_steps,
        seed=seed,
        **paper_settings(
            rcut=4.0,
            rcut_smth=1.0,
            embedding_neuron=(4, 8),
            axis_neuron=4,
            fitting_neuron=(8, 8),
            decay_steps=20,
            stop_lr=STOP_LR,
            disp_freq=10,
            save_freq=20,
            **NO_VIRIAL,
        ),
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One model trained in two calls: frozen after 40 steps, then resumed to 60.

    The two frozen graphs are two different models for the deviation test
    (training one more model from scratch would add ~15 s on 2 cores).
    """
    root = tmp_path_factory.mktemp("dp")
    train_dir = write_system(emt_frames(16, seed=1), root / "train")
    valid_dir = write_system(emt_frames(4, seed=2), root / "valid")
    a = root / "a"
    deepmd_run.train(tiny_input(train_dir, valid_dir, 1, numb_steps=40), a, threads=1)
    pb_40 = deepmd_run.freeze(a, root / "a40.pb", threads=1)
    deepmd_run.train(tiny_input(train_dir, valid_dir, 1), a, threads=1)  # resumes at 40
    pb_a = deepmd_run.freeze(a, root / "a.pb", threads=1)
    return dict(root=root, train=train_dir, valid=valid_dir, a=a, pb_a=pb_a, pb_b=pb_40)


def test_training_restarts_and_reaches_stop_lr(trained):
    log = (trained["a"] / "train.log").read_text()
    assert "--restart model.ckpt" in log
    # dp's own neighbour statistics are skipped (they slow every step; the sel
    # check is lidendrite.training.neighbours) and nothing exceeded sel here
    assert "--skip-neighbor-stat" in log and "Calculate neighbor statistics" not in log
    assert "warning: sel" not in log
    lc = read_lcurve(trained["a"] / "lcurve.out")
    assert lc["step"][-1] == STEPS
    # resumed, not restarted: step 0 once, step 40 twice (end of run 1, start of run 2)
    assert np.sum(lc["step"] == 0) == 1 and np.sum(lc["step"] == 40) == 2
    # exp schedule: the learning rate at the last step is stop_lr
    # (lcurve prints 2 significant digits: 5 % covers the rounding)
    assert lc["lr"][-1] == pytest.approx(STOP_LR, rel=0.05)
    assert np.isfinite(lc["rmse_f_trn"]).all()


def test_checkpoint_of_another_model_is_not_resumed(trained, tmp_path):
    """A folder holding the checkpoint of another training (here: another seed, so
    other networks) starts over instead of loading it (deepmd-kit would fail on
    the mismatched graph, or silently continue the wrong model)."""
    import shutil

    work = tmp_path / "other"
    shutil.copytree(trained["a"], work)
    deepmd_run.train(tiny_input(trained["train"], trained["valid"], 2, numb_steps=20), work, threads=1)
    runs = [ln for ln in (work / "train.log").read_text().splitlines() if ln.startswith("$ ")]
    assert "--restart" not in runs[-1]
    lc = read_lcurve(work / "lcurve.out")
    assert lc["step"][0] == 0 and lc["step"][-1] == 20 and np.sum(lc["step"] == 0) == 1


def test_init_model_starts_from_the_trained_weights(trained, tmp_path):
    """A warm start (DP-GEN's training_reuse_iter) begins where the trained model
    ended: its first validation errors (all 4 validation frames, so no batch
    noise) are those the trained model ended with, not those of a fresh
    network; a missing checkpoint is a one-line error."""
    warm = tmp_path / "warm"
    inp = tiny_input(trained["train"], trained["valid"], 3, numb_steps=20)
    deepmd_run.train(inp, warm, init_model=trained["a"] / "model.ckpt", threads=1)
    runs = [ln for ln in (warm / "train.log").read_text().splitlines() if ln.startswith("$ ")]
    assert "--init-model" in runs[-1] and "--restart" not in runs[-1]
    scratch = read_lcurve(trained["a"] / "lcurve.out")
    lc = read_lcurve(warm / "lcurve.out")
    assert lc["step"][0] == 0 and lc["step"][-1] == 20
    for key in ("rmse_e_val", "rmse_f_val"):
        ended, fresh = scratch[key][-1], scratch[key][0]
        assert abs(lc[key][0] - ended) < 0.3 * abs(fresh - ended), key
    with pytest.raises(InputError, match="no deepmd-kit checkpoint"):
        deepmd_run.train(inp, tmp_path / "cold", init_model=tmp_path / "nowhere" / "model.ckpt")


def test_dp_test_rmse_matches_independent_evaluation(trained):
    """RMSEs from ``dp --tf test`` detail files equal those recomputed from
    ``DeepPot`` (TensorFlow) on the same frames: same graph, float64, so they
    agree to round-off (1e-6 relative)."""
    import dpdata

    res = deepmd_run.test(trained["pb_a"], [trained["valid"]], workdir=trained["root"] / "t")
    assert res["n_frames"] == 4 and res["n_force_components"] == 4 * 8 * 3
    assert math.isfinite(res["energy_rmse_meV_per_atom"])
    assert math.isfinite(res["force_rmse_meV_per_A"])
    assert res["force_pred"].shape == res["force_label"].shape == (32, 3)

    dp = deepmd_run._load_tf_deeppot(trained["pb_a"])
    assert type(dp.deep_eval).__module__.startswith("deepmd.tf.")
    s = dpdata.LabeledSystem(str(trained["valid"]), fmt="deepmd/npy")
    e, f, v = dp.eval(s["coords"].reshape(4, -1), s["cells"].reshape(4, 9), s["atom_types"])
    e_rmse = 1e3 * np.sqrt(np.mean(((e.ravel() - s["energies"]) / 8) ** 2))
    f_rmse = 1e3 * np.sqrt(np.mean((f.reshape(s["forces"].shape) - s["forces"]) ** 2))
    assert res["energy_rmse_meV_per_atom"] == pytest.approx(e_rmse, rel=1e-6)
    assert res["force_rmse_meV_per_A"] == pytest.approx(f_rmse, rel=1e-6)
    # the labels in the detail file are EMT's own numbers (eV/atom)
    assert np.allclose(res["energy_per_atom_label"], s["energies"] / 8, atol=1e-10)
    # EMT gives stresses, so every frame has a virial label: its RMSE (per atom)
    # equals the one from DeepPot's virials
    assert "virials" in s.data
    v_rmse = 1e3 * np.sqrt(np.mean(((v.reshape(4, 9) - s["virials"].reshape(4, 9)) / 8) ** 2))
    assert res["virial_rmse_meV_per_atom"] == pytest.approx(v_rmse, rel=1e-6)

    out = deepmd_run.write_test_summary(
        res,
        trained["root"] / "test" / "summary.json",
        level_of_theory="EMT (test only)",
        paper_energy_rmse_meV_per_atom=5.45,
        paper_force_rmse_meV_per_A=93.9,
    )
    summary = json.loads(out.read_text())
    assert summary["energy_rmse_meV_per_atom"] == res["energy_rmse_meV_per_atom"]
    assert summary["paper_force_rmse_meV_per_A"] == 93.9
    assert summary["virial_rmse_meV_per_atom"] == res["virial_rmse_meV_per_atom"]
    parity = np.load(out.with_suffix(".npz"))
    assert np.array_equal(parity["force_pred"], res["force_pred"])


def test_dp_test_several_systems_in_one_call(trained):
    """All systems go through one ``dp test`` (one TensorFlow start-up); the rows
    come back in the listed order and equal those of one call per system."""
    import dpdata

    both = deepmd_run.test(
        trained["pb_a"], [trained["valid"], trained["train"]], workdir=trained["root"] / "t2"
    )
    alone = deepmd_run.test(trained["pb_a"], [trained["train"]], workdir=trained["root"] / "t3")
    assert (trained["root"] / "t2" / "test.log").read_text().count("$ ") == 1
    assert both["n_frames"] == 4 + 16 and both["force_pred"].shape == (20 * 8, 3)
    valid = dpdata.LabeledSystem(str(trained["valid"]), fmt="deepmd/npy")
    assert np.allclose(both["energy_per_atom_label"][:4], valid["energies"] / 8, atol=1e-10)
    assert np.allclose(both["energy_per_atom_pred"][4:], alone["energy_per_atom_pred"], atol=1e-12)
    assert np.allclose(both["force_pred"][32:], alone["force_pred"], atol=1e-12)


def test_train_and_freeze_side_by_side(trained):
    """Two models trained at once share the cores (one TF thread each) and come
    back frozen in the order given, each trained to its own end."""
    jobs = [
        (tiny_input(trained["train"], trained["valid"], seed, numb_steps=20),
         trained["root"] / f"pair{seed}", trained["root"] / f"pair{seed}.pb")
        for seed in (5, 6)
    ]
    pbs = deepmd_run.train_and_freeze(jobs, threads=2)
    assert pbs == [j[2].resolve() for j in jobs] and all(p.is_file() for p in pbs)
    for _, workdir, _ in jobs:
        assert read_lcurve(workdir / "lcurve.out")["step"][-1] == 20
        assert "Num Intra Threads: 1" in (workdir / "train.log").read_text()
    devi = deepmd_run.model_devi(pbs, emt_frames(2, seed=9))
    assert (devi > 0).all()  # different seeds: two different models
    # frozen in the training's own process: the same graph a separate dp freeze writes
    workdir = jobs[0][1]
    assert "lidendrite.training.dp_train_freeze" in (workdir / "train.log").read_text()
    again = deepmd_run.freeze(workdir, trained["root"] / "pair5_again.pb", threads=1)
    frames = emt_frames(3, seed=11)
    assert np.allclose(deepmd_run.model_devi([pbs[0], again], frames), 0.0, atol=1e-10)


def test_model_devi_shape_and_limits(trained):
    frames = emt_frames(5, seed=3)
    devi = deepmd_run.model_devi([trained["pb_a"], trained["pb_b"]], frames)
    assert devi.shape == (5,)
    assert np.isfinite(devi).all() and (devi > 0).all()  # 40 vs 60 steps differ
    # identical models cannot disagree
    same = deepmd_run.model_devi([trained["pb_a"], trained["pb_a"]], frames)
    assert np.allclose(same, 0.0, atol=1e-12)


def test_force_deviation_is_deepmds_max_devi_f_and_the_dpgen_formula():
    """deepmd-kit's calc_model_devi_f against eps_f = max_i sqrt(<|F_i - <F_i>|^2>) by hand."""
    from deepmd.infer.model_devi import calc_model_devi_f

    fs = np.random.default_rng(0).normal(scale=2.0, size=(4, 3, 7, 3))  # eV/A
    devi = deepmd_run.force_model_deviation(fs)
    by_hand = np.sqrt(((fs - fs.mean(axis=0)) ** 2).sum(axis=-1).mean(axis=0)).max(axis=-1)
    # two float64 orderings of the same sums: 1e-12 relative is round-off
    assert devi.shape == (3,) and np.allclose(devi, by_hand, rtol=1e-12, atol=0)
    assert np.allclose(devi, calc_model_devi_f(fs)[0], rtol=1e-12, atol=0)
    # a model that moves one atom's force by d in one frame, the others agreeing:
    # std over 4 models = d * sqrt(3) / 4 on that atom, 0 elsewhere
    one = np.zeros((4, 2, 5, 3))
    one[0, 1, 2, 0] = 1.0
    np.testing.assert_allclose(deepmd_run.force_model_deviation(one), [0.0, np.sqrt(3) / 4])
    with pytest.raises(InputError, match="n_models>=2"):
        deepmd_run.force_model_deviation(fs[:1])


def test_diverged_lcurve_is_one_line_error(tmp_path):
    lc = tmp_path / "lcurve.out"
    lc.write_text(
        "# step rmse_val rmse_trn rmse_e_val rmse_e_trn rmse_f_val rmse_f_trn lr\n"
        "0 1.0 1.0 nan 0.1 0.5 0.5 1e-3\n"  # NaN validation energy: missing label, not divergence
        "10 1.0 nan 0.1 nan 0.5 nan 1e-3\n"
    )
    with pytest.raises(deepmd_run.TrainingDivergedError) as err:
        deepmd_run.check_lcurve(lc)
    assert "step 10" in str(err.value) and "\n" not in str(err.value)


def test_missing_dp_and_bad_inputs(tmp_path):
    with pytest.raises(ToolMissingError, match="pip install"):
        deepmd_run.find_dp("no-such-dp-program")
    with pytest.raises(InputError, match="checkpoint"):
        deepmd_run.freeze(tmp_path, tmp_path / "m.pb")
    with pytest.raises(InputError, match="type.raw"):
        deepmd_run.test(__file__, [tmp_path])  # any existing file as model
    with pytest.raises(InputError, match="TensorFlow"):
        deepmd_run.model_devi([tmp_path / "a.pth", tmp_path / "b.pth"], emt_frames(1, 0))
    with pytest.raises(InputError, match="two models"):
        deepmd_run.model_devi([tmp_path / "a.pb"], emt_frames(1, 0))
    (tmp_path / "input.json").write_text(json.dumps({}))
    with pytest.raises(InputError, match="not found"):
        deepmd_run.train(tmp_path / "nope.json", tmp_path / "w")


def test_model_devi_file_with_nan_is_one_line_error(tmp_path):
    header = "#  step max_devi_v min_devi_v avg_devi_v max_devi_f min_devi_f avg_devi_f\n"
    good = tmp_path / "good.out"
    good.write_text(header + "0 0.1 0.0 0.05 0.2 0.01 0.1\n10 0.1 0.0 0.05 0.3 0.01 0.1\n")
    cols = read_model_devi_out(good)
    assert list(cols["max_devi_f"]) == [0.2, 0.3] and list(cols["step"]) == [0, 10]
    bad = tmp_path / "bad.out"
    bad.write_text(header + "0 0.1 0.0 0.05 0.2 0.01 0.1\n10 0.1 0.0 0.05 nan 0.01 0.1\n")
    with pytest.raises(InputError) as err:
        read_model_devi_out(bad)
    assert "step 10" in str(err.value) and "\n" not in str(err.value)


def test_compressed_model_gives_the_networks_energies_and_forces(trained):
    """``dp compress`` tabulates the embedding nets (5th-order polynomials): on the
    validation frames its energies and forces equal the uncompressed graph's to
    well below the labels' scale (1e-5 eV/atom, 1e-4 eV/A); the model it writes is
    a different graph (tables instead of the embedding weights)."""
    import dpdata

    out = deepmd_run.compress(
        trained["pb_a"], trained["root"] / "c" / "a_compressed.pb", threads=1,
        training_script=trained["a"] / "input.json",
    )
    assert out.read_bytes() != trained["pb_a"].read_bytes()
    s = dpdata.LabeledSystem(str(trained["valid"]), fmt="deepmd/npy")
    args = (s["coords"].reshape(4, -1), s["cells"].reshape(4, 9), s["atom_types"])
    e0, f0, _ = deepmd_run._load_tf_deeppot(trained["pb_a"]).eval(*args)
    e1, f1, _ = deepmd_run._load_tf_deeppot(out).eval(*args)
    assert np.abs(e1 - e0).max() / 8 < 1e-5
    assert np.abs(f1 - f0).max() < 1e-4
    assert np.abs(f0).max() > 1e-2  # the forces compared are not all zero
    with pytest.raises(InputError, match="no frozen model"):
        deepmd_run.compress(trained["root"] / "nope.pb", trained["root"] / "c" / "x.pb")
    # the pressure too, and in LAMMPS with a fix that adds its own virial (the PLUMED
    # bridge's fix external, virial yes), the setting of the restrained sandwich MD
    frame = s.to("ase/structure")[0]
    thermo = {pb: _lammps_pe_press(pb, frame, s["atom_names"], trained["root"] / "c") for pb in (trained["pb_a"], out)}
    (pe0, p0), (pe1, p1) = thermo.values()
    assert np.isfinite([pe0, p0, pe1, p1]).all()
    assert abs(pe1 - pe0) / len(frame) < 1e-5
    assert abs(p1 - p0) < 1e-3 * max(1.0, abs(p0)), (p0, p1)  # bar


def _lammps_pe_press(pb, atoms, type_map, work) -> tuple[float, float]:
    """Potential energy (eV) and pressure (bar) of ``atoms`` with ``pair_style deepmd pb``
    in LAMMPS, a do-nothing ``fix external`` contributing its (zero) virial."""
    from ase.io.lammpsdata import write_lammps_data

    from lidendrite.sampling.lammps_env import create_lammps

    data = work / f"{Path(pb).stem}.data"
    with open(data, "w") as fd:
        write_lammps_data(fd, atoms, specorder=list(type_map), masses=True, units="metal", atom_style="atomic")
    lmp = create_lammps(work / f"{Path(pb).stem}.log", deepmd=True)
    try:
        lmp.commands_list([
            "units metal", "atom_style atomic", "boundary p p p", f"read_data {data}",
            f"pair_style deepmd {pb}", "pair_coeff * *",
            "fix ext all external pf/callback 1 1", "fix_modify ext energy yes virial yes",
            "thermo_style custom step pe press",
        ])

        def callback(_caller, _step, _nlocal, _tag, _x, f):
            f[:] = 0.0
            lmp.fix_external_set_energy_global("ext", 0.0)
            lmp.fix_external_set_virial_global("ext", [0.0] * 6)

        lmp.set_fix_external_callback("ext", callback, lmp)
        lmp.command("run 0")
        return float(lmp.get_thermo("pe")), float(lmp.get_thermo("press"))
    finally:
        lmp.close()


class _EmtLabeller:
    """Test-only labeller (EMT, see the module docstring) that records its threads and calls."""

    name = "emt-test"
    level_of_theory = "EMT (test only)"

    def __init__(self, fail_at=None):
        import threading

        self.threads, self.calls, self.fail_at, self.main = [], 0, fail_at, threading.get_ident()

    def use_threads(self, threads):
        import threading

        self.threads.append((threads, threading.get_ident() != self.main))

    def label(self, frames):
        from ase.calculators.emt import EMT

        from lidendrite.labeling.base import attach_labels

        self.calls += 1
        if self.fail_at is not None and self.calls >= self.fail_at:
            raise RuntimeError("labeller broke")
        out = []
        for a in frames:
            w = a.copy()
            w.calc = EMT()
            out.append(attach_labels(a, w.get_potential_energy(), w.get_forces(), None, self.name, ""))
        return out


def test_test_frames_labelled_during_the_md_are_the_drawn_dumped_frames(trained, tmp_path):
    """Labelling beside the DPMD hands the labeller exactly the frames the draw
    picks from the finished dump (same positions, same order), in a second thread
    on the cores asked for; labelling after the run gives the same frames from the
    same trajectory; a labeller that fails stops the MD with its error."""
    from ase.build import bulk
    from ase.calculators.emt import EMT
    from ase.io import read

    from lidendrite.training.potential_test import as_frame, pick_frames
    from lidendrite.training.test_frames import label_test_frames

    atoms = bulk("Cu", "fcc", a=3.61, cubic=True).repeat((2, 1, 1))
    # the thermostat, barostat and time step of the config's lpsc.potential_test (npt_dpmd has
    # no defaults), a short run with its own seed here
    md = {
        **{
            k: schema_default(f"lpsc.potential_test.{k}")
            for k in ("timestep_fs", "pressure_bar", "thermostat_damping_fs", "barostat_damping_fs")
        },
        **dict(n_steps=40, dump_every=5, thermo_every=10, temperature_K=300.0, seed=5, threads=1),
    }
    for label_threads in (1, 0):
        lab = _EmtLabeller()
        wd = tmp_path / f"lt{label_threads}"
        labelled, idx, summary = label_test_frames(
            atoms, trained["pb_a"], wd, ["Cu"], lab, n_frames=3, label_threads=label_threads, **md
        )
        dumped = [as_frame(f, atoms) for f in read(wd / "traj.lammpstrj", index=":")[1:]]
        picked, idx_after = pick_frames(dumped, 3, seed=5)
        assert len(dumped) == 8 and idx == idx_after and len(labelled) == 3
        for a, b in zip(labelled, picked, strict=True):
            assert np.array_equal(a.positions, b.positions) and np.allclose(a.cell, b.cell)
            b.calc = EMT()
            assert a.get_potential_energy() == pytest.approx(b.get_potential_energy(), abs=1e-10)
        assert summary["labelled_during_md"] is bool(label_threads)
        assert lab.threads == ([(1, True)] if label_threads else [])
        assert lab.calls == (3 if label_threads else 1)
    with pytest.raises(RuntimeError, match="labeller broke"):
        label_test_frames(
            atoms, trained["pb_a"], tmp_path / "fail", ["Cu"], _EmtLabeller(fail_at=1),
            n_frames=8, label_threads=1, **md,
        )
