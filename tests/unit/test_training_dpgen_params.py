"""DP-GEN param.json / machine.json: validated by dpgen's own argument checker."""

from __future__ import annotations

import numpy as np
import pytest
from _deepmd_settings import paper_settings
from ase.build import bulk

from lidendrite.config import load_config, schema_default
from lidendrite.errors import InputError
from lidendrite.training import dpgen_params as P
from lidendrite.training.deepmd_input import build_deepmd_input

TYPE_MAP = ["Li", "P", "S", "Cl"]
# lpsc SI 2.2: [0.10, 0.25] for every system at 200-500 K; at 600-1000 K
# [0.15, 0.30] for bulk Li and bulk Li6PS5Cl, [0.25, 0.50] for the interface
STAGES = [
    {"temps": [200, 300, 400, 500], "trust_f": {"bulk": [0.10, 0.25], "interface": [0.10, 0.25]}},
    {
        "temps": [600, 700, 800, 900, 1000],
        "trust_f": {"bulk": [0.15, 0.30], "interface": [0.25, 0.50]},
    },
]
GROUPS = ["bulk", "bulk", "interface"]
# the builders have no defaults: their settings come from lpsc.training.dpgen, the one source
_DPGEN = "lpsc.training.dpgen"
#: build_param's settings (config lpsc.training.dpgen.param)
PARAM = {
    k: schema_default(f"{_DPGEN}.param.{k}")
    for k in (
        "model_devi_dt",
        "model_devi_skip",
        "fp_task_max",
        "fp_task_min",
        "fp_accurate_threshold",
        "fp_accurate_soft_threshold",
    )
}
#: the paper's four models per iteration (SI 2.2; config/paper.yaml)
NUMB_MODELS = load_config("paper")["lpsc"]["training"]["dpgen"]["numb_models"]
#: exploration_jobs' round count, default ensemble and time step
EXPLORE = {
    "n_rounds": schema_default(f"{_DPGEN}.exploration.n_rounds"),
    "ensemble": schema_default(f"{_DPGEN}.exploration.ensemble"),
    "model_devi_dt": PARAM["model_devi_dt"],
}
#: build_machine's settings (config lpsc.training.dpgen.machine)
MACHINE = {
    k: schema_default(f"{_DPGEN}.machine.{k}")
    for k in ("profile", "cpus", "fp_group_size", "fp_parallel")
}


def _machine(**kw):
    """build_machine with the config's machine settings, ``kw`` on top."""
    return P.build_machine(**{**MACHINE, **kw})


def _jobs(**kw):
    """exploration_jobs with the config's round count, ensemble and time step."""
    return P.exploration_jobs(**{**EXPLORE, **kw})


def _init_system(tmp_path):
    """A minimal deepmd/npy system (layout only: type.raw is what build_param checks)."""
    import dpdata

    a = bulk("Li", "bcc", a=3.42, cubic=True)
    from ase.calculators.singlepoint import SinglePointCalculator

    a.calc = SinglePointCalculator(a, energy=-3.8, forces=np.zeros((len(a), 3)))
    dpdata.LabeledSystem(a, fmt="ase/structure").to("deepmd/npy", str(tmp_path / "init" / "li"))
    return tmp_path / "init" / "li"


@pytest.fixture
def inputs(tmp_path):
    li = bulk("Li", "bcc", a=3.42, cubic=True)
    # a P/S/Cl/Li cell with interleaved species, to check the POSCAR sorting
    mixed = bulk("Li", "bcc", a=3.42, cubic=True).repeat((2, 1, 1))
    mixed.symbols[[0, 3]] = ["S", "P"]
    mixed.symbols[1] = "Cl"
    confs = P.write_sys_configs(
        {"li_bulk": li, "lpsc_bulk": mixed, "interface": [li, li]}, tmp_path / "confs", TYPE_MAP
    )
    tp = build_deepmd_input(
        type_map=TYPE_MAP,
        training_systems=[],
        for_dpgen=True,
        **paper_settings(sel=[90, 20, 60, 20], numb_steps=1000),
    )
    jobs = _jobs(sys_groups=GROUPS, stages=STAGES, nsteps=20000, trj_freq=100)
    return dict(confs=confs, tp=tp, jobs=jobs, init=_init_system(tmp_path), mixed=mixed)


def _param_kwargs(inputs):
    """The build_param arguments every test shares."""
    return dict(
        type_map=TYPE_MAP,
        init_data_systems=[inputs["init"]],
        sys_configs=inputs["confs"],
        training_param=inputs["tp"],
        model_devi_jobs=inputs["jobs"],
        numb_models=NUMB_MODELS,
        **PARAM,
    )


def test_trust_levels_follow_si_2_2(inputs):
    """Low-T job: every system [0.10, 0.25]; high-T job: bulk [0.15, 0.30], interface [0.25, 0.50]."""
    low, high = inputs["jobs"]
    assert low["temps"] == [200, 300, 400, 500] and high["temps"] == [600, 700, 800, 900, 1000]
    assert low["model_devi_f_trust_lo"] == {"0": 0.10, "1": 0.10, "2": 0.10}
    assert low["model_devi_f_trust_hi"] == {"0": 0.25, "1": 0.25, "2": 0.25}
    assert high["model_devi_f_trust_lo"] == {"0": 0.15, "1": 0.15, "2": 0.25}
    assert high["model_devi_f_trust_hi"] == {"0": 0.30, "1": 0.30, "2": 0.50}
    assert all(j["ensemble"] == "nvt" for j in inputs["jobs"])


def test_param_accepted_by_dpgen(inputs, tmp_path):
    from dpgen.generator.arginfo import run_jdata_arginfo

    param = P.build_param(**_param_kwargs(inputs))
    info = run_jdata_arginfo()
    norm = info.normalize_value(param, trim_pattern="_*")
    info.check_value(norm, strict=True)  # raises on any unknown or mistyped key
    assert param["numb_models"] == 4
    assert param["fp_style"] == "custom"
    assert param["fp_params"]["output_fmt"] == "extxyz"
    assert param["train_backend"] == "tensorflow"
    # masses from ASE: Li 6.94 amu (standard atomic weight)
    assert param["mass_map"][0] == pytest.approx(6.94, abs=0.01)
    assert (tmp_path / "init" / param["init_data_sys"][0]).resolve() == inputs["init"].resolve()



def test_reused_iterations_accepted_by_dpgen(inputs):
    """--init-model reuse: dpgen's checker takes the keys; without reuse none is written."""
    from dpgen.generator.arginfo import run_jdata_arginfo

    common = _param_kwargs(inputs)
    param = P.build_param(
        **common, training_reuse_iter=1, training_reuse_numb_steps=400, training_reuse_start_lr=1e-4
    )
    info = run_jdata_arginfo()
    info.check_value(info.normalize_value(param, trim_pattern="_*"), strict=True)
    assert param["training_reuse_iter"] == 1
    assert param["training_reuse_numb_steps"] == 400
    assert param["training_reuse_start_lr"] == pytest.approx(1e-4)
    assert not any(k.startswith("training_reuse") for k in P.build_param(**common))
    with pytest.raises(InputError, match="training_reuse_iter"):
        P.build_param(**common, training_reuse_iter=0)

def test_machine_accepted_by_dpgen(tmp_path):
    from dpgen.generator.arginfo import run_mdata_arginfo

    info = run_mdata_arginfo()
    for profile, extra in (("local", {}), ("slurm", {"partition": "cpu", "time": "02:00:00"})):
        m = _machine(
            remote_root=tmp_path / "remote",
            fp_command="lidendrite label --in input.vasp --out labeled.extxyz",
            profile=profile,
            cpus=2,
            **extra,
        )
        info.check_value(info.normalize_value(m, trim_pattern="_*"), strict=True)
        assert m["train"]["command"] == "dp --tf"
        batch = m["fp"]["machine"]["batch_type"]
        assert batch == {"local": "Shell", "slurm": "Slurm"}[profile]
    assert m["fp"]["resources"]["queue_name"] == "cpu"
    assert m["fp"]["resources"]["custom_flags"] == ["#SBATCH --time=02:00:00"]


def test_poscar_round_trip_keeps_the_structure(inputs):
    """dpdata (what DP-GEN uses) reads back the same composition and, after sorting
    into type_map order, the same positions (POSCAR holds 16 digits; 1e-8 A)."""
    import dpdata

    path = inputs["confs"][1][0]
    s = dpdata.System(path, fmt="vasp/poscar")
    mixed = inputs["mixed"]
    assert s.get_natoms() == len(mixed)
    got = {n: c for n, c in zip(s["atom_names"], s["atom_numbs"], strict=True) if c}
    assert got == {"Li": 4, "P": 1, "S": 1, "Cl": 1} | {"Li": len(mixed) - 3}
    order = sorted(range(len(mixed)), key=lambda i: TYPE_MAP.index(mixed[i].symbol))
    assert np.allclose(s["coords"][0], mixed.positions[order], atol=1e-8)
    assert len(inputs["confs"][2]) == 2  # every frame of a multi-frame entry


@pytest.mark.parametrize(
    "kwargs, needle",
    [
        (dict(sys_groups=["bulk", "slab"], stages=STAGES, nsteps=10, trj_freq=1), "slab"),
        (dict(sys_groups=GROUPS, stages=[], nsteps=10, trj_freq=1), "stages"),
        (dict(sys_groups=GROUPS, stages=STAGES, nsteps=10, trj_freq=20), "trj_freq"),
        (
            dict(
                sys_groups=["bulk"],
                stages=[{"temps": [300], "trust_f": {"bulk": [0.3, 0.1]}}],
                nsteps=10,
                trj_freq=1,
            ),
            "lo < hi",
        ),
    ],
)
def test_bad_exploration_one_line_error(kwargs, needle):
    with pytest.raises(InputError) as err:
        _jobs(**kwargs)
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_bad_param_one_line_errors(inputs, tmp_path):
    base = _param_kwargs(inputs)
    for change, needle in (
        ({"init_data_systems": []}, "init_data_systems"),
        ({"init_data_systems": [tmp_path]}, "type.raw"),
        ({"sys_configs": inputs["confs"][:2]}, "sys_idx"),
        ({"numb_models": 1}, "numb_models"),
        ({"mass_map": [1.0]}, "mass_map"),
    ):
        with pytest.raises(InputError) as err:
            P.build_param(**{**base, **change})
        assert needle in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(InputError, match="Cu"):
        P.write_sys_configs({"x": bulk("Cu")}, tmp_path / "c", TYPE_MAP)
    with pytest.raises(InputError, match="profile"):
        _machine(remote_root=tmp_path, fp_command="x", profile="pbs")
    # no partition: the cluster's default one (paper.yaml leaves it to the site)
    default = _machine(remote_root=tmp_path, fp_command="x", profile="slurm")
    assert all("queue_name" not in t["resources"] for t in (default["fp"], default["train"], default["model_devi"]))
    named = _machine(remote_root=tmp_path, fp_command="x", profile="slurm", partition="gpu")
    assert named["fp"]["resources"]["queue_name"] == "gpu"


@pytest.mark.parametrize("scale", ["ci", "demo", "paper"])
def test_config_values_make_valid_dpgen_inputs(scale, inputs, tmp_path):
    """The pipeline config's lpsc.training values at every scale pass through
    write_dpgen_inputs and are accepted by dpgen's and deepmd-kit's checkers."""
    import json

    from dpgen.generator.arginfo import run_jdata_arginfo, run_mdata_arginfo

    from lidendrite.config import load_config
    from lidendrite.training.deepmd_input import check_with_deepmd

    tr = load_config(scale)["lpsc"]["training"]

    def values(block):
        return dict(block)

    machine = values(tr["dpgen"]["machine"])  # as the config gives it (paper: slurm, no partition)
    p_json, m_json = P.write_dpgen_inputs(
        tmp_path / "w",
        type_map=tr["type_map"],
        structures={"li": bulk("Li", "bcc", a=3.42, cubic=True), "x": inputs["mixed"]},
        sys_groups=["bulk", "interface"],
        init_data_systems=[inputs["init"]],
        fp_command="lidendrite label --in input.vasp --out labeled.extxyz",
        model=values(tr["model"]),
        exploration=values(tr["dpgen"]["exploration"]),
        numb_models=tr["dpgen"]["numb_models"],
        param=values(tr["dpgen"]["param"]),
        machine=machine,
    )
    param = json.loads(p_json.read_text())
    for info, data in (
        (run_jdata_arginfo(), param),
        (run_mdata_arginfo(), json.loads(m_json.read_text())),
    ):
        info.check_value(info.normalize_value(data, trim_pattern="_*"), strict=True)
    tp = param["default_training_param"]
    tp["training"]["training_data"]["systems"] = ["s"]
    check_with_deepmd(tp)
    if scale == "paper_value":  # SI 2.2 numbers reach DP-GEN unchanged
        assert param["numb_models"] == 4
        assert tp["model"]["descriptor"]["neuron"] == [25, 50, 100]
        assert tp["model"]["fitting_net"]["neuron"] == [240, 240, 240]
        assert tp["learning_rate"]["stop_lr"] == 5e-8
        assert param["fp_accurate_threshold"] == 0.99
        assert param["model_devi_jobs"][1]["model_devi_f_trust_hi"] == {"0": 0.30, "1": 0.50}


def test_fp_command_shares_the_labeller_start_up_only_locally():
    local = P.fp_label_command("/venv/bin/python", "/w/labeller.json", "local")
    # a task a sibling call already labelled costs no Python start-up
    assert local.startswith(f"test -s {P.FP_OUTPUT} || /venv/bin/python -m lidendrite label --settings /w/labeller.json")
    assert f"--in {P.FP_INPUT} --out {P.FP_OUTPUT}" in local
    # quoted: the job script must hand the glob to lidendrite, not expand it in the shell
    assert local.endswith("--siblings '../task.*'")
    slurm = P.fp_label_command("python", "l.json", "slurm")
    assert "--siblings" not in slurm and not slurm.startswith("test")


def test_band_may_explore_some_groups_for_longer():
    """A band with ``groups``/``nsteps``/``trj_freq``/``model_devi_dt`` explores only those
    systems, as long and with the time step it says."""
    from dpgen.generator.run import _get_lammps_job_settings

    band = {"temps": [300], "groups": ["interface"], "nsteps": 2000, "trj_freq": 20}
    band["trust_f"] = {"interface": [0.1, 0.8]}
    band["model_devi_dt"] = 0.002
    jobs = _jobs(sys_groups=GROUPS, stages=[*STAGES, band], nsteps=300, trj_freq=10)
    assert [j["sys_idx"] for j in jobs] == [[0, 1, 2], [0, 1, 2], [2]]
    assert [(j["nsteps"], j["trj_freq"]) for j in jobs] == [(300, 10), (300, 10), (2000, 20)]
    assert jobs[2]["model_devi_f_trust_lo"] == {"2": 0.1}
    assert jobs[2]["model_devi_f_trust_hi"] == {"2": 0.8}
    # DP-GEN's own reading of the LAMMPS time step: the band's, else param's model_devi_dt
    assert [_get_lammps_job_settings(j, {"model_devi_dt": 0.001})[0] for j in jobs] == [0.001, 0.001, 0.002]
    assert [j["ensemble"] for j in jobs] == ["nvt"] * 3 and all("press" not in j for j in jobs)
    npt = _jobs(
        sys_groups=GROUPS, stages=[{**band, "ensemble": "npt-xy", "press": [1]}], nsteps=300, trj_freq=10
    )
    assert npt[0]["ensemble"] == "npt-xy" and npt[0]["press"] == [1.0]
    bad_bands = (
        ({"groups": ["slab"]}, "slab"),
        ({"groups": []}, "groups"),
        ({"nsteps": 10}, "trj_freq"),
        ({"model_devi_dt": 0}, "model_devi_dt"),
        ({"ensemble": "npt-xy"}, "press"),
    )
    for bad, needle in bad_bands:
        with pytest.raises(InputError, match=needle) as err:
            _jobs(sys_groups=GROUPS, stages=[{**band, **bad}], nsteps=300, trj_freq=10)
        assert "\n" not in str(err.value)


def test_band_training_steps_map_bands_to_iterations():
    from lidendrite.training.dpgen_params import band_training_steps

    stages = [{"temps": [300]}, {"temps": [600]}, {"temps": [300], "train_numb_steps": 4000}]
    assert band_training_steps(stages, n_rounds=1) == {2: 4000}
    assert band_training_steps(stages, n_rounds=2) == {2: 4000, 5: 4000}
    with pytest.raises(InputError, match=r"stages\[0\].train_numb_steps"):
        band_training_steps([{"temps": [300], "train_numb_steps": 0}], n_rounds=1)


def test_band_fp_task_max_map_bands_to_iterations():
    from lidendrite.training.dpgen_params import band_fp_task_max

    stages = [{"temps": [300]}, {"temps": [600], "fp_task_max": 40}]
    assert band_fp_task_max(stages, n_rounds=1) == {1: 40}
    assert band_fp_task_max(stages, n_rounds=2) == {1: 40, 3: 40}
    with pytest.raises(InputError, match=r"stages\[0\]\.fp_task_max"):
        band_fp_task_max([{"temps": [300], "fp_task_max": -1}], n_rounds=1)


def test_fp_parallel_starts_labellers_side_by_side(tmp_path):
    """With fp_parallel 2 dpdispatcher's fp job script starts two labelling commands
    before it waits (para_deg), locally; the slurm profile keeps one at a time."""
    from dpdispatcher import Machine, Resources, Submission, Task

    for profile, extra, waits_after in (("local", {}, 2), ("slurm", {"partition": "cpu"}, 1)):
        m = _machine(
            remote_root=tmp_path / "remote", fp_command="label-it", profile=profile,
            fp_group_size=100, fp_parallel=2, **extra,
        )
        assert m["fp"]["resources"]["para_deg"] == (2 if profile == "local" else 1)
        machine = Machine.load_from_dict(m["fp"]["machine"])
        resources = Resources.load_from_dict(m["fp"]["resources"])
        tasks = [Task(command=m["fp"]["command"], task_work_path=f"task.{i}/") for i in range(4)]
        for i in range(4):
            (tmp_path / f"task.{i}").mkdir(exist_ok=True)
        sub = Submission(work_base=str(tmp_path), machine=machine, resources=resources, task_list=tasks)
        sub.generate_jobs()
        script = machine.gen_script_command(sub.belonging_jobs[0])
        assert script.count("label-it") == 4
        assert script.split("wait")[0].count("label-it") == waits_after
    with pytest.raises(InputError, match="fp_parallel"):
        _machine(remote_root=tmp_path, fp_command="x", fp_parallel=0)


def test_npt_xy_runs_through_dpgens_own_template(inputs, tmp_path, monkeypatch):
    """An ``npt-xy`` band is a DP-GEN template job: stock dpgen's arginfo accepts
    param.json and its ``make_model_devi`` renders the template (models, dump,
    every ``V_*`` placeholder); the rendered barostat, run in LAMMPS on a slab
    with vacuum along z under 5 kbar (Lennard-Jones in place of the models),
    moves x and y together and keeps z."""
    import json

    from dpgen.generator.arginfo import run_jdata_arginfo
    from dpgen.generator.run import make_model_devi

    from lidendrite.sampling.lammps_env import create_lammps

    band = {"temps": [300, 300], "groups": ["interface"], "nsteps": 100, "trj_freq": 10}
    band.update(trust_f={"interface": [0.1, 2.0]}, model_devi_dt=0.002, ensemble="npt-xy", press=[1.0])
    jobs = _jobs(sys_groups=GROUPS, stages=[STAGES[0], band], nsteps=300, trj_freq=10)
    assert "template" not in jobs[0] and jobs[1]["template"] == {"lmp": P.NPT_XY_TEMPLATE}
    param = P.build_param(**{**_param_kwargs(inputs), "model_devi_jobs": jobs})
    work = tmp_path / "dpgen"
    param = P.write_lammps_templates(param, work)
    info = run_jdata_arginfo()
    info.check_value(info.normalize_value(json.loads(json.dumps(param)), trim_pattern="_*"), strict=True)

    # iteration 1 (the npt-xy band) as stock dpgen makes it, with four (empty) model files
    train = work / "iter.000001" / "00.train"
    train.mkdir(parents=True)
    for k in range(4):
        (train / f"graph.{k:03d}.pb").write_text("")
    monkeypatch.chdir(work)
    make_model_devi(1, param, {"deepmd_version": "3"})
    tasks = sorted((work / "iter.000001" / "01.model_devi").glob("task.*"))
    # one temperature x two velocity seeds, for each of the interface's two frames
    assert len(tasks) == 4
    seeds = {json.loads((t / "job.json").read_text())["V_SEED"] for t in tasks}
    assert len(seeds) == 2
    text = (tasks[0] / "input.lammps").read_text()
    assert "V_" not in text
    assert "pair_style deepmd ../graph.000.pb ../graph.001.pb ../graph.002.pb ../graph.003.pb" in " ".join(
        text.split()
    )
    assert "out_freq 10" in text and "traj/*.lammpstrj" in text and "timestep        0.002" in text
    (fix,) = [line for line in text.splitlines() if line.startswith("fix")]
    assert "aniso" not in fix and fix.endswith("y ${PRES} ${PRES} ${TAU_P} couple xy")

    lmp = create_lammps(tmp_path / "log.lammps")
    lmp.commands_list(
        [
            "units metal", "atom_style atomic", "boundary p p p",
            "lattice fcc 5.3", "region slab block 0 3 0 3 0 3", "region box block 0 3 0 3 0 6",
            "create_box 1 box", "create_atoms 1 region slab", "mass 1 39.95",
            "pair_style lj/cut 8.0", "pair_coeff 1 1 0.0104 3.4",
            "variable TEMP equal 50", "variable PRES equal 5000",
            "variable TAU_T equal 0.1", "variable TAU_P equal 0.5",
            "velocity all create 50 1", fix, "timestep 0.002", "run 200",
        ]
    )
    lx, ly, lz = (lmp.get_thermo(k) for k in ("lx", "ly", "lz"))
    lmp.close()
    assert lz == pytest.approx(6 * 5.3, abs=1e-9)  # z is not barostatted: exactly unchanged
    assert lx == pytest.approx(ly, rel=1e-9) and lx < 3 * 5.3 - 0.01  # coupled, compressed
    with pytest.raises(InputError, match="equally often") as err:
        _jobs(sys_groups=GROUPS, stages=[{**band, "temps": [300, 300, 400]}], nsteps=300, trj_freq=10)
    assert "\n" not in str(err.value)
