"""One real DP-GEN iteration: deepmd-kit (TF) training, LAMMPS ``pair_style deepmd``
exploration, labelling through ``fp_style: custom``, and the next training.

Labels come from ASE's EMT potential on an 8-atom Cu cell, through a tiny
test-only fp script; EMT only exercises DP-GEN's machinery here and is never
part of the pipeline (which labels with the teacher potential or DFT).
Marked slow (four dpdispatcher submissions, each ending at the first job-status
check after its jobs end; checked every second here through
``run_dpgen(check_interval_s=...)``, dpdispatcher's default is 30 s).
"""

from __future__ import annotations

import sys
import textwrap

import numpy as np
import pytest
from _deepmd_settings import NO_VIRIAL, paper_settings

from lidendrite.config import schema_default
from lidendrite.errors import InputError
from lidendrite.io.deepmd import read_model_devi_out
from lidendrite.io.jsonfile import write_json
from lidendrite.training import deepmd_run, dpgen_params
from lidendrite.training.deepmd_input import build_deepmd_input
from lidendrite.training.dpgen_record import iteration_history
from lidendrite.training.dpgen_run import DpgenFailedError, final_models, finalize_dpgen, run_dpgen

#: build_param's settings that the config's lpsc.training.dpgen.param supplies
PARAM_KEYS = (
    "model_devi_dt",
    "model_devi_skip",
    "fp_task_max",
    "fp_task_min",
    "fp_accurate_threshold",
    "fp_accurate_soft_threshold",
)
#: convergence threshold and job-check interval of the config (lpsc.training.dpgen)
ACCURATE = schema_default("lpsc.training.dpgen.param.fp_accurate_threshold")
CHECK_S = schema_default("lpsc.training.dpgen.check_interval_s")
#: the simplest dpdispatcher setup for a test run: one core, one labelling task per job
#: (the ci config packs 100 tasks, two side by side; test_training_dpgen_params checks that)
ONE_TASK_PER_JOB = dict(profile="local", cpus=1, fp_group_size=1, fp_parallel=1)

FP_SCRIPT = textwrap.dedent(
    """\
    # test-only labeller for DP-GEN's custom fp: EMT energy/forces/virial
    import ase.io
    from ase.calculators.emt import EMT
    from ase.calculators.singlepoint import SinglePointCalculator

    atoms = ase.io.read("input.vasp", format="vasp")
    atoms.calc = EMT()
    energy, forces = atoms.get_potential_energy(), atoms.get_forces()
    virial = -atoms.get_stress(voigt=False) * atoms.get_volume()
    out = atoms.copy()
    out.calc = SinglePointCalculator(out, energy=energy, forces=forces)
    out.info["virial"] = virial
    ase.io.write("labeled.extxyz", out, format="extxyz")
    """
)


@pytest.mark.slow
@pytest.mark.lammps
def test_one_dpgen_iteration_with_custom_fp(tmp_path):
    import dpdata
    from ase.build import bulk
    from ase.calculators.emt import EMT

    # initial data: 16 rattled, strained Cu cells labelled by EMT
    rng = np.random.default_rng(0)
    init = None
    for k in range(16):
        a = bulk("Cu", "fcc", a=3.61, cubic=True).repeat((2, 1, 1))
        a.set_cell(a.cell * (1 + 0.02 * rng.standard_normal()), scale_atoms=True)
        a.rattle(0.08, seed=k)
        a.calc = EMT()
        a.get_potential_energy()
        s = dpdata.LabeledSystem(a, fmt="ase/structure")
        if init is None:
            init = s
        else:
            init.append(s)
    init.to("deepmd/npy", str(tmp_path / "init" / "cu"))

    work = tmp_path / "dpgen"
    confs = dpgen_params.write_sys_configs(
        {"cu_bulk": bulk("Cu", "fcc", a=3.61, cubic=True).repeat((2, 1, 1))},
        work / "confs",
        ["Cu"],
    )
    tp = build_deepmd_input(
        type_map=["Cu"],
        training_systems=[],
        for_dpgen=True,
        sel=[40],
        numb_steps=100,
        **paper_settings(
            rcut=4.0,
            rcut_smth=1.0,
            embedding_neuron=(4, 8),
            axis_neuron=4,
            fitting_neuron=(8, 8),
            decay_steps=20,
            stop_lr=1e-5,
            disp_freq=20,
            save_freq=100,
            **NO_VIRIAL,
        ),
    )
    # trust [0.001, 10]: every frame after the perfect start is a candidate for
    # these barely trained models, so that labelling surely runs
    jobs = dpgen_params.exploration_jobs(
        **{k: schema_default(f"lpsc.training.dpgen.exploration.{k}") for k in ("n_rounds", "ensemble")},
        model_devi_dt=schema_default("lpsc.training.dpgen.param.model_devi_dt"),
        sys_groups=["bulk"],
        stages=[{"temps": [300], "trust_f": {"bulk": [0.001, 10.0]}}],
        nsteps=100,
        trj_freq=10,
    )
    param = dpgen_params.build_param(
        type_map=["Cu"],
        init_data_systems=[tmp_path / "init" / "cu"],
        sys_configs=confs,
        training_param=tp,
        model_devi_jobs=jobs,
        **{
            **{k: schema_default(f"lpsc.training.dpgen.param.{k}") for k in PARAM_KEYS},
            "numb_models": 2,
            "fp_task_max": 2,
        },
        model_devi_clean_traj=False,
    )
    (tmp_path / "fp_emt.py").write_text(FP_SCRIPT)
    machine = dpgen_params.build_machine(
        remote_root=work / "remote",
        fp_command=f"{sys.executable} {tmp_path / 'fp_emt.py'}",
        **ONE_TASK_PER_JOB,
    )
    run_dpgen(
        write_json(param, tmp_path / "param.json"),
        write_json(machine, tmp_path / "machine.json"),
        work,
        check_interval_s=1,
    )

    h = iteration_history(work, accurate_threshold=ACCURATE)
    it0 = h["iterations"][0]
    assert it0["steps_done"] == 9 and it0["n_models"] == 2
    assert it0["n_explored"] == 11  # frames 0, 10, ..., 100
    assert it0["systems"]["000"]["candidate"] >= 2
    assert it0["n_fp_tasks"] == 2 and it0["n_fp_failed"] == 0 and it0["n_labelled"] == 2
    assert h["last"]["iteration"] == 1 and h["last"]["name"] == "post_train"

    # the labels DP-GEN collected are EMT's numbers for those coordinates
    # (extxyz text keeps ~1e-9 eV; 1e-6 eV is generous)
    lab = dpdata.LabeledSystem(
        str(next((work / "iter.000000/02.fp/data.000").iterdir())), fmt="deepmd/npy"
    )
    for k in range(len(lab)):
        a = lab[k].to("ase/structure")[0]
        a.calc = EMT()
        assert a.get_potential_energy() == pytest.approx(lab["energies"][k], abs=1e-6)

    # LAMMPS' max_devi_f at step 50 equals ours from the Python API on the dumped
    # frame; the dump keeps 6-7 digits of the positions, hence 1e-4 eV/A
    from ase.io import read

    task = work / "iter.000000/01.model_devi/task.000.000000"
    cols = read_model_devi_out(task / "model_devi.out")
    frame = read(task / "traj" / "50.lammpstrj", format="lammps-dump-text")
    frame.set_chemical_symbols(["Cu"] * len(frame))
    graphs = sorted((work / "iter.000000/00.train").glob("graph.*.pb"))
    ours = deepmd_run.model_devi(graphs, [frame])
    assert ours[0] == pytest.approx(cols["max_devi_f"][cols["step"] == 50][0], abs=1e-4)

    # a second start resumes from record.dpgen: nothing finished is redone
    record = (work / "record.dpgen").read_text()
    mtimes = [p.stat().st_mtime for p in graphs]
    run_dpgen(tmp_path / "param.json", tmp_path / "machine.json", work, check_interval_s=1)
    assert (work / "record.dpgen").read_text() == record
    assert [p.stat().st_mtime for p in graphs] == mtimes

    # the last iteration trained on the new labels; its models work
    models = final_models(work)
    assert [p.parent.parent.name for p in models] == ["iter.000001"] * 2
    hist = finalize_dpgen(
        work,
        tmp_path / "out" / "model.pb",
        tmp_path / "out" / "history.json",
        accurate_threshold=ACCURATE,
    )
    assert hist["final_models"] == [str(p) for p in models]
    assert (tmp_path / "out" / "history.json").is_file()
    res = deepmd_run.test(
        tmp_path / "out" / "model.pb", [tmp_path / "init" / "cu"], workdir=tmp_path / "t"
    )
    assert np.isfinite(res["energy_rmse_meV_per_atom"]) and np.isfinite(res["force_rmse_meV_per_A"])


def test_failed_dpgen_is_one_line_error(tmp_path):
    """DP-GEN rejects an incomplete param.json at once; the error names the key."""
    (tmp_path / "param.json").write_text('{"type_map": ["Cu"]}')
    machine = dpgen_params.build_machine(
        remote_root=tmp_path / "remote", fp_command="true", **ONE_TASK_PER_JOB
    )
    write_json(machine, tmp_path / "machine.json")
    with pytest.raises(DpgenFailedError) as err:
        run_dpgen(
            tmp_path / "param.json", tmp_path / "machine.json", tmp_path / "work", check_interval_s=CHECK_S
        )
    assert "fp_style" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(InputError, match="not found"):
        run_dpgen(
            tmp_path / "nope.json", tmp_path / "machine.json", tmp_path / "work", check_interval_s=CHECK_S
        )
    with pytest.raises(InputError, match="no DP-GEN iteration"):
        final_models(tmp_path / "work")
