"""Every runtime dependency declared in pyproject.toml is imported by the package."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# distribution name -> import name, where they differ
IMPORT_NAME = {"pyyaml": "yaml"}
# declared for another package's sake, never imported by name
NOT_IMPORTED = {"jaxlib": "the compiled backend that jax loads"}


def test_declared_dependencies_are_imported_in_src():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    names = [re.split(r"[<>=!~\[; ]", d, maxsplit=1)[0].lower() for d in project["dependencies"]]
    assert {"scipy", "tqdm"} <= set(names)
    code = "\n".join(p.read_text() for p in (REPO / "src" / "lidendrite").rglob("*.py"))
    unused = [
        n
        for n in names
        if n not in NOT_IMPORTED
        and not re.search(rf"^\s*(import|from) {IMPORT_NAME.get(n, n)}\b", code, re.M)
    ]
    assert not unused, f"declared in pyproject.toml but never imported in src/: {unused}"
