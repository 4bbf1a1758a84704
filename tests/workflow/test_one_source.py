"""The validated config is the one source of defaults: no ``.get(<config key>, <number>)``
in the package or the rule scripts (issue #33). A config key read with a literal fallback
would silently use a second default wherever the key is missing. Physical constants are
typed once, in ``lidendrite/constants.py``."""

from __future__ import annotations

import re
import tokenize
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
    assert not hits, (
        "config keys with a literal fallback (use the validated config):\n" + "\n".join(hits)
    )


# physical constants typed as numbers: they come from lidendrite.constants (on ase.units)
CONSTANT_LITERALS = {
    "Coulomb constant (eV A)": r"14\.39\d*",
    "elementary charge (C)": r"1\.602176\d*e-19",
    "Avogadro constant (1/mol)": r"6\.022\d*e\+?23",
    "atomic mass constant (kg or g)": r"1\.6605\d*e-2[47]",
    "Hartree (eV)": r"27\.211\d*",
    "Bohr radius (A)": r"0\.5291\d*",
    "Boltzmann constant (eV/K)": r"8\.617\d*e-0?5",
    "Boltzmann constant (J/K)": r"1\.380649e-23",
    "vacuum permittivity (F/m)": r"8\.854\d*e-12",
    "Faraday constant (C/mol)": r"96485\.?\d*",
}


def _number_tokens(path: Path):
    """(line, text) of every number in the code of ``path`` (not in strings or comments)."""
    with path.open("rb") as f:
        for tok in tokenize.tokenize(f.readline):
            if tok.type == tokenize.NUMBER:
                yield tok.start[0], tok.string.replace("_", "").lower()


def test_physical_constants_are_typed_only_in_the_constants_module():
    """Numbers only (docstrings and comments may quote a value), in src/ and scripts/."""
    patterns = {name: re.compile(rx) for name, rx in CONSTANT_LITERALS.items()}
    home = REPO / "src" / "lidendrite" / "constants.py"
    assert home.is_file()
    hits = []
    for path in sorted([*(REPO / "src").rglob("*.py"), *(REPO / "scripts").glob("*.py")]):
        if path == home:
            continue
        for n, text in _number_tokens(path):
            hits += [
                f"{path.relative_to(REPO)}:{n}: {text} ({name})"
                for name, rx in patterns.items()
                if rx.fullmatch(text)
            ]
    assert not hits, "physical constants typed outside lidendrite/constants.py:\n" + "\n".join(hits)


def test_the_literal_scan_sees_code_and_skips_comments(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text('"""k = 14.399645"""\nK = 14.399645  # 27.211\nE = 1.602_176_634e-19\n')
    assert list(_number_tokens(probe)) == [(2, "14.399645"), (3, "1.602176634e-19")]


# ---------------------------------------------------------------- numeric keyword defaults
#: numeric keyword defaults left in src/lidendrite (issue 33 item 1: stage functions take
#: their physical settings from the config, with no literal default). This number may
#: only go down: lower it when you remove defaults, never raise it. A new function takes
#: its settings as required keyword arguments filled from the config; a non-physical
#: knob with no config key (a chunk size, a numerical threshold) says so in its docstring.
MAX_NUMERIC_DEFAULTS = 68


def _numeric_defaults(root: Path) -> list[str]:
    """``path:line function(arg=value)`` for each int/float default (bools excluded, and
    ``-x`` counted too) of a function argument, positional or keyword-only, under ``root``."""
    import ast

    def number(node) -> bool:
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            node = node.operand
        return (
            isinstance(node, ast.Constant)
            and isinstance(node.value, (int, float))
            and not isinstance(node.value, bool)
        )

    found = []
    for path in sorted(root.rglob("*.py")):
        for fn in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            a = fn.args
            pos = [*a.posonlyargs, *a.args]
            pairs = [
                *zip(pos[len(pos) - len(a.defaults) :], a.defaults, strict=True),
                *zip(a.kwonlyargs, a.kw_defaults, strict=True),
            ]
            found += [
                f"{path.relative_to(root)}:{fn.lineno} {fn.name}({arg.arg}={ast.unparse(d)})"
                for arg, d in pairs
                if d is not None and number(d)
            ]
    return found


def test_numeric_keyword_defaults_only_go_down():
    found = _numeric_defaults(REPO / "src" / "lidendrite")
    assert len(found) <= MAX_NUMERIC_DEFAULTS, (
        f"{len(found)} numeric keyword defaults in src/lidendrite, more than the "
        f"{MAX_NUMERIC_DEFAULTS} allowed: take the value from the config instead (issue 33):\n"
        + "\n".join(found)
    )


def test_the_default_scan_counts_keyword_only_and_negative_defaults(tmp_path):
    (tmp_path / "m.py").write_text(
        "def f(a, b=1.0, *, c=-2, d=True, e=None, g):\n    pass\n\n\n"
        "def h(x=0, /, y=3):\n    pass\n"
    )
    found = [s.split(" ", 1)[1] for s in _numeric_defaults(tmp_path)]
    assert found == ["f(b=1.0)", "f(c=-2)", "h(x=0)", "h(y=3)"]


def test_rule_scripts_take_config_values_through_params():
    """A rule reruns when a config key it uses changes only if the key is one of its params.

    Scripts may read ``scale`` (it names the results folder, so a change makes new paths);
    every other value comes through ``smk.params``, where Snakemake records it.
    """
    offenders = []
    for path in sorted((REPO / "scripts").glob("*.py")):
        code = path.read_text()
        for m in re.finditer(r"smk\.config\[\s*['\"](\w+)['\"]", code):
            if m.group(1) != "scale":
                offenders.append(f"{path.name}: smk.config[{m.group(1)!r}]")
        if re.search(r"builder_params\(", code):
            offenders.append(f"{path.name}: builder_params(...) over smk.config")
    assert not offenders, "config read past the rule's params: " + "; ".join(offenders)
