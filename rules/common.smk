# Shared by every .smk file -- config validation, paths, resources, targets.

import os
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

# Rules run `python -m lidendrite` and scripts/ import the package; make it
# importable from this checkout in every environment (venv, conda, Slurm job).
_src = str(Path(workflow.basedir) / "src")
os.environ.update(
    PYTHONPATH=os.pathsep.join(p for p in [_src, os.environ.get("PYTHONPATH", "")] if p)
)
REPO = Path(workflow.basedir)
sys.path.insert(0, _src)
from lidendrite.config import check_config, check_targets, conda_env_file, labeller_settings  # noqa: E402 (light: yaml only)
from lidendrite.errors import InputError  # noqa: E402

# Validate before any job is planned: an unknown key, a wrong type or a
# negative count stops the run here with the key named; then what the schema
# cannot say (results_dir a file, no study, a labeller the workflow cannot run),
# and partly given resources get the rest of their family's defaults.
try:
    validate(config, "../config/schema.yaml")
    check_config(config, workflow=True)
    # a target under another scale's results (results/demo/... in a ci run) is made
    # by no job of this run; name its scale instead of Snakemake's "No rule to produce"
    check_targets(config, workflow)
except WorkflowError as exc:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    msg = next((ln for ln in lines if ln.startswith("ValidationError")), lines[0])
    where = next((ln for ln in lines if ln.startswith("On instance")), "")
    sys.exit(f"config error: {msg.removeprefix('ValidationError: ')} {where}".strip())
except InputError as exc:
    sys.exit(f"config error: {str(exc).removeprefix('config: ')}")

SCALE = config["scale"]
RESULTS = f"{config['results_dir']}/{SCALE}"
# logs sit beside the results, so runs with different results_dir never share a log
LOGS = f"{RESULTS}/logs"
BENCH = f"{RESULTS}/benchmarks"
# conda environments: envs/gpu/ holds the CUDA builds of the families that have one


def env_file(name):
    """Conda environment file of rule family ``name`` (config key conda_envs)."""
    return conda_env_file(name, config["conda_envs"], Path(workflow.basedir))


wildcard_constraints:
    study="lpsc|ec",
    kind="[a-z0-9-]+",


def res(family):
    """Cluster resources of a rule family (config `resources`), for profiles/slurm."""
    r = config["resources"][family]
    out = {"runtime": r["runtime"], "mem_mb": r["mem_mb"]}
    if r["slurm_partition"]:
        out["slurm_partition"] = r["slurm_partition"]
    if r["gpus"]:
        out["gpu"] = r["gpus"]
    return out


def all_targets():
    """Final outputs of every configured study (grows as stages land)."""
    targets = []
    for study in config["studies"]:
        targets += STUDY_TARGETS.get(study, [])
    return targets


# Each stage file appends its final outputs here, per study.
STUDY_TARGETS = {"lpsc": [], "ec": []}


def labeller_param(study):
    """The labeller of `study` with its settings: a param of every rule that labels,
    so that another labeller (or teacher) re-runs what the old one labelled."""
    return labeller_settings(config, study)


def structure_path(study, kind):
    """Path of the built structure `kind` of `study` (output of rule build_structure)."""
    return f"{RESULTS}/{study}/structures/{kind}.extxyz"
