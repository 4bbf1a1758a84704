"""The validated config is the one source of defaults: no ``.get(<config key>, <number>)``
in the package or the rule scripts (issue #33). A config key read with a literal fallback
would silently use a second default wherever the key is missing."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
GET_WITH_NUMBER = re.compile(r"""(\w+)\.get\(\s*["'](\w+)["']\s*,\s*-?\d""")
# receivers that are not the config: ASE frame metadata and files of other tools
NOT_CONFIG = {"info", "history", "jdata", "param", "shot"}


def _schema_keys(node, keys: set[str]) -> set[str]:
    if isinstance(node, dict):
        for key, sub in (node.get("properties") or {}).items():
            keys.add(key)
            _schema_keys(sub, keys)
        for sub in node.values():
            if isinstance(sub, dict):
                _schema_keys(sub, keys)
    return keys


def test_no_literal_fallback_for_a_config_key():
    keys = _schema_keys(yaml.safe_load((REPO / "config" / "schema.yaml").read_text()), set())
    assert {"n_steps", "seed", "rcut", "sample_every"} <= keys
    hits = []
    for path in sorted([*(REPO / "src").rglob("*.py"), *(REPO / "scripts").glob("*.py")]):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            for receiver, key in GET_WITH_NUMBER.findall(line):
                if key in keys and receiver not in NOT_CONFIG:
                    hits.append(f"{path.relative_to(REPO)}:{n}: {line.strip()}")
    assert not hits, "config keys with a literal fallback (use the validated config):\n" + "\n".join(hits)
