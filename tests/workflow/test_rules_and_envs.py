"""Workflow hygiene: lint, dry runs at every scale, rule directives, pinned envs (issue 2)."""

from __future__ import annotations

import re
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
    m = re.search(r'^\s+conda:\s*\n?\s*f?"(?:\{ENVS\}/|\.\./envs/)([\w-]+\.yaml)"', body, flags=re.M)
    assert m, f"{name}: conda: must name a file in envs/"
    assert (REPO / "envs" / m.group(1)).is_file(), m.group(1)


def _lock() -> dict[str, str]:
    pins = {}
    for line in (REPO / "requirements" / "lock.txt").read_text().splitlines():
        if "==" in line:
            name, version = line.split("==", 1)
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version.split("+")[0]
    return pins


@pytest.mark.parametrize("env", sorted((REPO / "envs").glob("*.yaml")), ids=lambda p: p.name)
def test_env_pins_equal_lock(env):
    data = yaml.safe_load(env.read_text())
    lock = _lock()
    pip = next(d["pip"] for d in data["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert pip, env
    for req in pip:
        name, version = req.split("==", 1)
        key = re.sub(r"[-_.]+", "-", name).lower()
        assert key in lock, f"{env.name}: {name} is not in the lock"
        assert version == lock[key], f"{env.name}: {name}=={version} but the lock has {lock[key]}"


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
