"""Load and validate the pipeline configuration outside Snakemake.

The CLI (``lidendrite build --scale demo`` ...) reads the same files as the
workflow: ``config/config.yaml`` (demo), ``config/ci.yaml``, ``config/paper.yaml``,
validated against ``config/schema.yaml``, which is the one source of defaults.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from lidendrite.errors import InputError

__all__ = [
    "OFFLINE_LABELLERS",
    "REPO_ROOT",
    "SCALE_FILES",
    "check_config",
    "check_targets",
    "conda_env_file",
    "config_path",
    "deep_update",
    "labeller_settings",
    "load_config",
    "requested_targets",
    "schema_default",
    "validate_config",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = REPO_ROOT / "config"
SCALE_FILES = {"ci": "ci.yaml", "demo": "config.yaml", "paper": "paper.yaml"}


def config_path(scale: str) -> Path:
    """Path of the config file of ``scale`` (``ci``, ``demo`` or ``paper``)."""
    if scale not in SCALE_FILES:
        raise InputError(f"unknown scale {scale!r}; choose one of {', '.join(SCALE_FILES)}")
    return CONFIG_DIR / SCALE_FILES[scale]


def validate_config(
    cfg: dict[str, Any],
    schema: Path | None = None,
    *,
    workflow: bool = False,
    workdir: str | Path | None = None,
) -> dict[str, Any]:
    """Validate ``cfg`` in place against the JSON schema, filling defaults, then
    :func:`check_config` (what the schema cannot say).

    Raises :class:`InputError` naming the offending key.
    """
    from snakemake.utils import validate  # heavy-ish import, only when needed

    schema = Path(schema or CONFIG_DIR / "schema.yaml")
    try:
        validate(cfg, str(schema), set_default=True)
    except Exception as exc:  # snakemake wraps jsonschema's ValidationError
        raise InputError(_one_line(exc)) from None
    return check_config(cfg, schema, workflow=workflow, workdir=workdir)


#: labellers that read the user's finished calculations and have no calculator:
#: the workflow relaxes and labels structures it makes itself, so it cannot use them
OFFLINE_LABELLERS = ("vasp", "abacus")


def check_config(
    cfg: dict[str, Any],
    schema: Path | None = None,
    *,
    workflow: bool = False,
    workdir: str | Path | None = None,
) -> dict[str, Any]:
    """Checks of a schema-valid ``cfg`` that the JSON schema cannot express.

    Fills the keys a partly given ``resources.<family>`` leaves out from the
    schema's default of that family (``resources: {md: {runtime: 60}}`` keeps
    the default ``mem_mb``). Refuses an empty ``studies`` list and a
    ``results_dir`` that is a file (relative to ``workdir``, default the current
    directory: Snakemake's working directory). With ``workflow`` (the Snakemake
    run), also a labeller the workflow cannot run (:data:`OFFLINE_LABELLERS`).
    Raises :class:`InputError` (one line, ``config: <key> ...``).
    """
    schema_data = _read_yaml(Path(schema or CONFIG_DIR / "schema.yaml"))
    families = schema_data.get("properties", {}).get("resources", {}).get("properties", {})
    resources = cfg.setdefault("resources", {})
    for family, spec in families.items():
        given = resources.get(family)
        if isinstance(given, dict):
            resources[family] = {**(spec.get("default") or {}), **given}
    bad = _first_non_finite(cfg, "")
    if bad is not None:  # YAML .nan / .inf pass the schema's "number"
        raise InputError(f"config: {bad[0]}: {bad[1]} is not a finite number")
    colvar_every = cfg.get("lpsc", {}).get("sampling", {}).get("colvar_every")
    if colvar_every is not None and colvar_every < 1:  # the schema gives it no minimum
        raise InputError(f"config: lpsc.sampling.colvar_every: {colvar_every} must be >= 1")
    if "studies" in cfg and not cfg["studies"]:
        raise InputError("config: studies is empty; list at least one of lpsc, ec")
    if workflow or workdir is not None:
        results = Path(workdir or ".") / str(cfg.get("results_dir", "results"))
        for path in [results / str(cfg.get("scale", "")), results, *results.parents]:
            if path.exists():  # the deepest existing folder on the way must be a folder
                if not path.is_dir():
                    raise InputError(f"config: results_dir: {path} is a file, not a directory")
                break
    name = cfg.get("labeller")
    if workflow and name in OFFLINE_LABELLERS:
        raise InputError(
            f"config: labeller {name!r} only reads the user's finished {name} runs "
            f"(labeling.{name}.paths) and has no calculator, so the workflow, which relaxes "
            "and labels the structures it makes, cannot run with it; use teacher or cp2k"
        )
    return cfg


def requested_targets(workflow: Any) -> list[str]:
    """Targets named on the Snakemake command line, while the Snakefile is parsed.

    Snakemake sets ``workflow.dag_settings`` only after parsing, so the command
    line is read again with Snakemake's own parser; [] when that is not possible.
    """
    import sys

    settings = getattr(workflow, "dag_settings", None)
    if settings is not None and settings.targets:
        return sorted(settings.targets)
    if Path(sys.argv[0]).name != "snakemake":
        return []
    try:
        from snakemake.cli import get_argument_parser

        args, _ = get_argument_parser().parse_known_args(sys.argv[1:])
        return sorted(args.targets or [])
    except BaseException:  # argparse exits on odd argv: Snakemake then reports it itself
        return []


def check_targets(
    cfg: dict[str, Any], workflow: Any = None, targets: list[str] | None = None
) -> None:
    """Raise :class:`InputError` for a target under another scale's results
    (``results/demo/...`` in a ci run), which no rule of this run makes."""
    import os

    scale = cfg["scale"]
    root = Path(os.path.normpath(str(cfg["results_dir"]))).parts
    for target in targets if targets is not None else requested_targets(workflow):
        parts = Path(os.path.normpath(target)).parts
        if len(parts) > len(root) and parts[: len(root)] == root:
            other = parts[len(root)]
            if other != scale and other in SCALE_FILES:
                raise InputError(
                    f"config: target {target} belongs to scale {other!r}, but this run's scale "
                    f"is {scale!r} (results under {cfg['results_dir']}/{scale}/); add "
                    f"--configfile config/{SCALE_FILES[other]} or ask for the {scale} path"
                )


def load_config(
    scale: str | None = None,
    path: str | Path | None = None,
    *,
    workdir: str | Path | None = None,
) -> dict[str, Any]:
    """Read the config of ``scale`` (or the file ``path``) and validate it.

    As in ``snakemake --configfile X``, the file is merged key by key over the
    default ``config/config.yaml``; the schema then fills every missing default.
    ``workdir``: the run's working directory (``results_dir`` is checked there).
    """
    p = Path(path) if path else config_path(scale or "demo")
    return load_config_files([p], workdir=workdir)


def load_config_files(
    paths: list[str | Path], *, workdir: str | Path | None = None
) -> dict[str, Any]:
    """Merge the files ``paths`` in order over ``config/config.yaml`` (as several
    ``snakemake --configfile A B`` do) and validate the result."""
    cfg = _read_yaml(CONFIG_DIR / SCALE_FILES["demo"])
    for p in paths:
        cfg = deep_update(cfg, _read_yaml(Path(p)))
    return validate_config(cfg, workdir=workdir)


def conda_env_file(family: str, conda_envs: str, repo: Path = REPO_ROOT) -> str:
    """Conda environment of rule family ``family``, relative to ``rules/``: ``../envs/gpu/<family>.yaml``
    when ``conda_envs`` is ``gpu`` and that family has a CUDA build, else ``../envs/<family>.yaml``."""
    if conda_envs not in ("cpu", "gpu"):
        raise InputError(f"conda_envs: {conda_envs!r} is not cpu or gpu")
    if not (repo / "envs" / f"{family}.yaml").is_file():
        raise InputError(f"envs/{family}.yaml: no such conda environment")
    if conda_envs == "gpu" and (repo / "envs" / "gpu" / f"{family}.yaml").is_file():
        return f"../envs/gpu/{family}.yaml"
    return f"../envs/{family}.yaml"


def schema_default(dotted: str) -> Any:
    """Default of one schema key, e.g. ``schema_default("ec.bias.cn_cutoff")`` (reads only
    ``config/schema.yaml``: cheap enough for a CLI's ``--help``)."""
    node: Any = _read_yaml(CONFIG_DIR / "schema.yaml")
    for part in dotted.split("."):
        props = node.get("properties", {}) if isinstance(node, dict) else {}
        if part not in props:
            raise KeyError(f"config/schema.yaml has no key {dotted!r}")
        node = props[part]
    if "default" not in node:
        raise KeyError(f"config/schema.yaml: {dotted!r} has no default")
    return node["default"]


def deep_update(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Return ``base`` updated recursively with ``over`` (Snakemake's merge rule)."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_update(out[key], value)
        else:
            out[key] = value
    return out


def labeller_settings(config: dict[str, Any], study: str | None = None) -> dict[str, Any]:
    """Name and settings of the labeller of ``study``: what its labels depend on.

    ``labeling.<name>`` holds the settings of labeller ``name`` (config key
    ``labeller``). For the teacher, ``labeling.teacher.by_study.<study>``
    (when not null) replaces ``model`` for that study: each study may take
    the universal potential closest to DFT on its own chemistry
    (benchmarks/results/teacher_vs_cp2k.md). Rules pass this dict as a
    Snakemake param, so that a change of labeller re-runs every rule whose
    outputs it labelled; :func:`lidendrite.labeling.active.active_labeller`
    builds the labeller from it.
    """
    name = config["labeller"]
    settings = dict(config.get("labeling", {}).get(name, {}) or {})
    by_study = settings.pop("by_study", None) or {}
    if study is not None and study not in ("lpsc", "ec"):
        raise InputError(f"study: unknown {study!r}; choose lpsc or ec")
    if name == "teacher" and study is not None and by_study.get(study):
        settings["model"] = by_study[study]
    return {"name": name, **settings}


def _first_non_finite(node: Any, where: str) -> tuple[str, float] | None:
    """Dotted key (``[i]`` for list items) and value of the first NaN/infinite number."""
    import math

    if isinstance(node, float) and not math.isfinite(node):
        return where, node
    if isinstance(node, dict):
        items = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return None
    for key, value in items:
        sub = f"{where}[{key}]" if isinstance(node, list) else f"{where}.{key}".lstrip(".")
        found = _first_non_finite(value, sub)
        if found is not None:
            return found
    return None


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise InputError(f"config file not found: {path}")
    try:
        with open(path) as fh:
            data = yaml.safe_load(fh) or {}
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML ({_one_line(exc)})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: top level must be a mapping of keys")
    return data


def _one_line(exc: Exception) -> str:
    """``config: <dotted key>: <what is wrong>`` from a (Snakemake-wrapped) jsonschema error."""
    import re

    text = str(exc)
    # snakemake: "Error validating config file.\nValidationError: <msg>\n\nFailed validating ... On instance[...]:"
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    msg = next(
        (ln for ln in lines if ln.startswith("ValidationError")), lines[0] if lines else text
    ).removeprefix("ValidationError: ")
    where = next((ln for ln in lines if ln.startswith("On instance")), "")
    key = "".join(f".{a}" if a else f"[{b}]" for a, b in re.findall(r"\['([^']*)'\]|\[(\d+)\]", where))
    key = key.removeprefix(".")
    return f"config: {key}: {msg}" if key else f"config: {msg}"
