"""Rule run_dpgen: DP-GEN concurrent learning (lpsc SI 2.2), resumable, then freeze and history.

The DP-GEN work folder (params.workdir, results/<scale>/lpsc/dpgen/) is NOT a
Snakemake output: Snakemake deletes the outputs of a failed or killed job, and
DP-GEN's record.dpgen there is what a re-run resumes from. A fingerprint of
everything that defines the run (inputs' contents, config blocks, labeller)
sits in the folder; a re-run with the same fingerprint resumes, a different one
moves the old folder to <workdir>.stale and starts afresh.
"""

import hashlib
import json
import shutil
import sys
from pathlib import Path

from lidendrite.io.jsonfile import write_json
from lidendrite.labeling.active import active_labeller
from lidendrite.plotting.dpgen_history import plot_dpgen_history
from lidendrite.sampling.lammps_env import write_lmp_launcher
from lidendrite.training.dpgen_params import (
    band_fp_task_max,
    band_training_steps,
    fp_label_command,
    machine_from_resources,
    write_dpgen_inputs,
)
from lidendrite.training.dpgen_record import write_history
from lidendrite.training.dpgen_run import finalize_dpgen, run_dpgen
from lidendrite.training.neighbours import sel_warnings
from lidendrite.training.potential_test import collect_systems
from lidendrite.workflow import run_rule


def fingerprint(smk, labeller):
    h = hashlib.sha256()
    for path in sorted(Path(p) for p in smk.input if Path(p).is_file()):
        h.update(path.name.encode() + path.read_bytes())
    for path in sorted(Path(smk.input.init_data).rglob("*")):
        if path.is_file():
            h.update(str(path.relative_to(smk.input.init_data)).encode() + path.read_bytes())
    # how often dpdispatcher polls changes no result: a resumed run may use another
    dpgen_cfg = {k: v for k, v in dict(smk.params.dpgen).items() if k != "check_interval_s"}
    h.update(
        json.dumps(
            [
                dpgen_cfg,
                dict(smk.params.model),
                list(smk.params.type_map),
                labeller.name,
                labeller.settings(),
            ],
            sort_keys=True,
            default=str,
        ).encode()
    )
    return h.hexdigest()


def prepare_workdir(workdir, stamp):
    """Keep the folder (resume) when the fingerprint matches; else move it aside."""
    fp_file = workdir / "lidendrite_fingerprint.txt"
    if workdir.exists() and (not fp_file.is_file() or fp_file.read_text().strip() != stamp):
        stale = workdir.with_name(workdir.name + ".stale")
        shutil.rmtree(stale, ignore_errors=True)
        workdir.rename(stale)
        print(f"inputs changed: moved the previous DP-GEN folder to {stale}")
    resumed = (workdir / "record.dpgen").is_file()
    workdir.mkdir(parents=True, exist_ok=True)
    fp_file.write_text(stamp + "\n")
    return resumed


def copy_labelled(workdir, out, labeller):
    """Copy DP-GEN's labelled candidates (iter.*/02.fp/data.*) to the data output."""
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    n = 0
    for data in sorted(workdir.glob("iter.*/02.fp/data.*")):
        shutil.copytree(data, tmp / data.parent.parent.name / data.name)
        n += 1
    write_json(
        {
            "labeller": labeller.name,
            "level_of_theory": labeller.level_of_theory,
            "settings": labeller.settings(),
            "source": f"DP-GEN fp steps in {workdir}",
        },
        tmp / "labeller.json",
        default=str,
    )
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return n


def run(smk):
    labeller = active_labeller(smk.config, "lpsc")
    workdir = Path(smk.params.workdir).resolve()
    resumed = prepare_workdir(workdir, fingerprint(smk, labeller))
    settings = workdir / "labeller.json"
    write_json(
        {"labeller": labeller.name, "level_of_theory": labeller.level_of_theory,
         "settings": labeller.settings()},
        settings,
        default=str,
    )
    dpgen = smk.params.dpgen
    init_systems = collect_systems(smk.input.init_data)
    # DP-GEN trains with --skip-neighbor-stat (dpgen_params): the sel check is done here
    for line in sel_warnings(init_systems, smk.params.type_map, smk.params.model["rcut"], smk.params.model["sel"]):
        print(f"warning: {line}", flush=True)
    fp_command = fp_label_command(sys.executable, settings, dpgen["machine"].get("profile", "local"))
    # Slurm jobs: partition and GPUs of the train, md and dft resource families
    machine = {**machine_from_resources(smk.config), **dpgen["machine"]}
    if labeller.name == "cp2k":  # one labelling job: MPI ranks x OpenMP threads
        cp2k = labeller.settings()
        machine["fp_cpus"] = int(cp2k["mpi_ranks"]) * int(cp2k["threads"])
    param, machine = write_dpgen_inputs(
        workdir,
        type_map=smk.params.type_map,
        structures={
            "li-bcc": smk.input.li_bcc,
            "lpsc-bulk": smk.input.lpsc_bulk,
            "lpsc-interface": smk.input.interface,
        },
        sys_groups=["bulk", "bulk", "interface"],
        init_data_systems=init_systems,
        fp_command=fp_command,
        model=smk.params.model,
        exploration=dpgen["exploration"],
        numb_models=dpgen["numb_models"],
        param=dpgen["param"],
        # the wheel's `lmp` script spends 6-8 s per exploration task importing TensorFlow
        machine={**machine, "lmp_command": str(write_lmp_launcher(workdir / "lmp"))},
    )
    print(
        f"dpgen run in {workdir} ({'resuming from record.dpgen' if resumed else 'fresh'})",
        flush=True,
    )
    run_dpgen(
        param,
        machine,
        workdir,
        check_interval_s=dpgen["check_interval_s"],
        # a longer final training on every label follows: DP-GEN's closing one would be redundant
        stop_before_last_train=int(smk.params.final_numb_steps) > 0,
        seed=dpgen["seed"],
        train_steps=band_training_steps(
            dpgen["exploration"]["stages"], dpgen["exploration"]["n_rounds"]
        ),
        fp_task_max=band_fp_task_max(
            dpgen["exploration"]["stages"], dpgen["exploration"]["n_rounds"]
        ),
    )
    history = finalize_dpgen(
        workdir,
        smk.output.model,
        smk.output.history,
        accurate_threshold=dpgen["param"]["fp_accurate_threshold"],
    )
    history.update(
        scale=smk.config["scale"],
        labeller=labeller.name,
        level_of_theory=labeller.level_of_theory,
        workdir=str(workdir),
        resumed=resumed,
        n_fp_data_folders=copy_labelled(workdir, Path(smk.output.data), labeller),
    )
    write_history(history, smk.output.history)
    plot_dpgen_history(
        history, smk.output.plot, smk.output.plot_pdf, level_of_theory=labeller.level_of_theory
    )
    print(json.dumps({k: v for k, v in history.items() if k != "record"}, default=float))


run_rule(snakemake, run, "run_dpgen")  # noqa: F821 (injected by Snakemake)
