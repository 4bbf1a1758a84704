"""Imports flow one way (issue #33): the import-linter contracts of ``pyproject.toml`` hold.

The contracts: a layer order (front ends -> stages -> plotting -> analysis ->
engines -> io/config -> errors), analysis runs no engine, plotting imports no
engine. Each arrow that still runs the wrong way is an ``ignore_imports`` entry
there, with its reason.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: ids of the contracts in pyproject.toml
CONTRACTS = ("layers", "analysis-reads", "plotting-draws")


def lint_imports(src: Path, cwd: Path, *contracts: str) -> subprocess.CompletedProcess:
    """Run ``lint-imports`` on the package under ``src`` with the repository's contracts.

    A child process, so that it finds the ``lidendrite`` under ``src`` and not
    the one this test session imported; no cache, so that nothing is written
    into the working directory.
    """
    env = {**os.environ, "PYTHONPATH": str(src)}
    code = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    cmd = [sys.executable, "-c", code, "--config", str(REPO / "pyproject.toml"), "--no-cache"]
    for contract in contracts:
        cmd += ["--contract", contract]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_import_contracts_hold(tmp_path):
    res = lint_imports(REPO / "src", tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    # the contracts ran and none was dropped from pyproject.toml unnoticed
    kept = re.search(r"Contracts: (\d+) kept, 0 broken", res.stdout)
    assert kept and int(kept.group(1)) >= len(CONTRACTS), res.stdout


def test_an_upward_import_breaks_the_layers(tmp_path):
    """errors.py (the bottom layer) importing plotting is reported, with the module named."""
    src = tmp_path / "src"
    shutil.copytree(REPO / "src" / "lidendrite", src / "lidendrite",
                    ignore=shutil.ignore_patterns("__pycache__"))
    errors = src / "lidendrite" / "errors.py"
    errors.write_text(errors.read_text() + "\nimport lidendrite.plotting.style  # noqa: E402\n")
    res = lint_imports(src, tmp_path, "layers")
    assert res.returncode != 0, res.stdout
    assert "lidendrite.errors -> lidendrite.plotting.style" in res.stdout, res.stdout


def test_long_modules_say_why_they_are_one():
    """A module of the package over about 400 lines gives the reason in its docstring (STYLE:
    short modules with one job each)."""
    import ast

    src = Path(__file__).resolve().parents[2] / "src" / "lidendrite"
    unexplained = []
    for path in sorted(src.rglob("*.py")):
        text = path.read_text()
        if text.count("\n") > 420:
            doc = ast.get_docstring(ast.parse(text)) or ""
            if "Why one module" not in doc:
                unexplained.append(f"{path.relative_to(src)} ({text.count(chr(10))} lines)")
    assert not unexplained, "long modules without a reason in their docstring: " + ", ".join(unexplained)
