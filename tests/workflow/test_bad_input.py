"""Every bad input gets one line naming the file, key, atom or value (issue #31).

No Python traceback reaches the user (CLI or config error) and nothing
half-written is left behind as if valid. Each case is fast: config checks go
through :func:`lidendrite.config.validate_config` / :func:`load_config`, the
CLI cases through :func:`lidendrite.cli.main` (what the ``lidendrite`` script
calls), and a few through the installed ``lidendrite`` / ``snakemake``
commands in a subprocess (``snakemake -n``: about 2 s each).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from ase.build import bulk
from ase.io import write

from lidendrite.cli import main
from lidendrite.config import load_config, validate_config
from lidendrite.errors import InputError


# ----------------------------------------------------------------- fixtures
def _li(tmp_path: Path, name: str = "li.extxyz", edit=None) -> Path:
    """A 16-atom BCC Li cell written as extended XYZ, optionally edited first."""
    atoms = bulk("Li", "bcc", a=3.44, cubic=True).repeat(2)
    if edit is not None:
        edit(atoms)
    path = tmp_path / name
    write(path, atoms, format="extxyz")
    return path


def _nan_atom(atoms) -> None:
    atoms.positions[3, 0] = np.nan


def _far_atom(atoms) -> None:
    atoms.positions[3, 0] = 1e12


def _flat_cell(atoms) -> None:
    atoms.set_cell([[6.88, 0, 0], [6.88, 0, 0], [0, 0, 6.88]])  # a == b: zero volume


def _files(tmp_path: Path) -> dict[str, Path]:
    """Named bad (and good) inputs in ``tmp_path``."""
    f = {
        "li": _li(tmp_path),
        "nan": _li(tmp_path, "nan.extxyz", _nan_atom),
        "far": _li(tmp_path, "far.extxyz", _far_atom),
        "flat": _li(tmp_path, "flat.extxyz", _flat_cell),
        "dir": tmp_path / "adir",
        "afile": tmp_path / "afile",
        "garbage": tmp_path / "garbage.extxyz",
        "bad_yaml": tmp_path / "bad.yaml",
        "list_yaml": tmp_path / "list.yaml",
        "unknown_yaml": tmp_path / "unknown.yaml",
        "bad_json": tmp_path / "bad.json",
        "nolabeller_json": tmp_path / "nolabeller.json",
        "studies_yaml": tmp_path / "studies.yaml",
        "li_yaml": tmp_path / "li.yaml",
        "steps_yaml": tmp_path / "steps.yaml",
    }
    f["dir"].mkdir()
    f["afile"].write_text("not a folder\n")
    f["garbage"].write_text("garbage\n")
    f["bad_yaml"].write_text("a: 1\nb: [1, 2\n")
    f["list_yaml"].write_text("- 1\n- 2\n")
    f["unknown_yaml"].write_text("foo: 1\n")
    f["bad_json"].write_text("{bad")
    f["nolabeller_json"].write_text(json.dumps({"settings": {}}))
    f["studies_yaml"].write_text("scale: ci\nstudies: []\n")
    f["li_yaml"].write_text("scale: ci\n")
    f["steps_yaml"].write_text("scale: ci\nlpsc:\n  sampling: {n_steps: 0}\n")
    return f


def _argv(template: list[str], files: dict[str, Path]) -> list[str]:
    """``{name}`` in ``template`` -> the path of that fixture file."""
    return [a.format(**{k: str(v) for k, v in files.items()}) for a in template]


# ----------------------------------------------------------------- CLI: one line, exit 2
#: (id, argv, substring of the one-line message, file that must NOT exist afterwards)
CLI_CASES = [
    # qeq
    ("qeq-out-is-dir", ["qeq", "{li}", "--out", "{dir}"], "is a directory", None),
    (
        "qeq-nan-position",
        ["qeq", "{nan}", "--out", "{dir}/o.extxyz"],
        "atom 3 has a NaN",
        "o.extxyz",
    ),
    ("qeq-position-1e12", ["qeq", "{far}", "--out", "{dir}/o.extxyz"], "atom 3 at", "o.extxyz"),
    ("qeq-zero-volume", ["qeq", "{flat}", "--out", "{dir}/o.extxyz"], "zero volume", "o.extxyz"),
    (
        "qeq-split-z-outside",
        ["qeq", "{li}", "--out", "{dir}/o.extxyz", "--mode", "constp", "--split-z", "1e5", "--cn-rule", "paper"],
        "split_z: 100000 Angstrom lies outside the cell",
        "o.extxyz",
    ),
    (
        "qeq-total-charge-1e20",
        ["qeq", "{li}", "--out", "{dir}/o.extxyz", "--total-charge", "1e20"],
        "total_charge 1e+20 e is more than",
        "o.extxyz",
    ),
    (
        "qeq-constp-no-split-no-regions",
        ["qeq", "{li}", "--out", "{dir}/o.extxyz", "--mode", "constp", "--cn-rule", "paper"],
        "ConstP needs --split-z",
        "o.extxyz",
    ),
    (
        "qeq-nan-phi",
        ["qeq", "{li}", "--out", "{dir}/o.extxyz", "--mode", "constp", "--phi-lower", "nan"],
        "phi_lower: nan is not a finite number",
        "o.extxyz",
    ),
    (
        "qeq-rcut-1e6",
        ["qeq", "{li}", "--out", "{dir}/o.extxyz", "--rcut", "1e6"],
        "rcut: 1e+06 Angstrom is absurd",
        "o.extxyz",
    ),
    (
        "qeq-cn-cutoff-1e5",
        ["qeq", "{li}", "--out", "{dir}/o.extxyz", "--mode", "constp", "--cn-cutoff", "1e5", "--split-z", "1",
         "--cn-rule", "paper"],
        "cn_cutoff: 100000 Angstrom is absurd",
        "o.extxyz",
    ),
    (
        "qeq-negative-rcut",
        ["qeq", "{li}", "--out", "{dir}/o.extxyz", "--rcut", "-1"],
        "rcut: must be positive",
        None,
    ),
    (
        "qeq-ewald-tol",
        ["qeq", "{li}", "--out", "{dir}/o.extxyz", "--ewald-tol", "0.7"],
        "ewald_tol: must be in (0, 0.5)",
        None,
    ),
    (
        "qeq-input-missing",
        ["qeq", "{dir}/nope.extxyz", "--out", "{dir}/o.extxyz"],
        "nope.extxyz: file not found",
        None,
    ),
    (
        "qeq-input-garbage",
        ["qeq", "{garbage}", "--out", "{dir}/o.extxyz"],
        "cannot read as extended XYZ",
        None,
    ),
    (
        "qeq-params-missing",
        ["qeq", "{li}", "--out", "{dir}/o.extxyz", "--params", "{dir}/nope.yaml"],
        "parameter file not found",
        "o.extxyz",
    ),
    # build
    ("build-out-is-dir", ["build", "li-bcc", "--out", "{dir}"], "is a directory", None),
    (
        "build-params-bad-yaml",
        ["build", "li-bcc", "--params", "{bad_yaml}", "--out", "{dir}/b.extxyz"],
        "not valid YAML",
        "b.extxyz",
    ),
    (
        "build-params-not-mapping",
        ["build", "li-bcc", "--params", "{list_yaml}", "--out", "{dir}/b.extxyz"],
        "expected a YAML mapping",
        "b.extxyz",
    ),
    (
        "build-params-unknown-key",
        ["build", "li-bcc", "--params", "{unknown_yaml}", "--out", "{dir}/b.extxyz"],
        "unknown parameter(s) foo",
        "b.extxyz",
    ),
    (
        "build-params-missing",
        ["build", "li-bcc", "--params", "{dir}/nope.yaml", "--out", "{dir}/b.extxyz"],
        "params file not found",
        None,
    ),
    (
        "build-config-missing",
        ["build", "li-bcc", "--config", "{dir}/nope.yaml", "--out", "{dir}/b.extxyz"],
        "config file not found",
        None,
    ),
    (
        "build-gap-1e9",
        ["build", "ec-toy-capacitor", "--scale", "ci", "--gap", "1e9", "--out", "{dir}/b.extxyz"],
        "gap 1000000000.0 Angstrom must be a number in (0, 1000]",
        "b.extxyz",
    ),
    (
        "build-gap-negative",
        ["build", "ec-toy-capacitor", "--scale", "ci", "--gap", "-5", "--out", "{dir}/b.extxyz"],
        "gap -5.0 Angstrom",
        "b.extxyz",
    ),
    (
        "build-config-studies-empty",
        ["build", "li-bcc", "--config", "{studies_yaml}", "--out", "{dir}/b.extxyz"],
        "studies is empty",
        "b.extxyz",
    ),
    # doctor
    ("doctor-only-unknown", ["doctor", "--only", "lammps"], "--only 'lammps': not a check", None),
    (
        "doctor-workdir-is-file",
        ["doctor", "--workdir", "{afile}", "--only", "JAX"],
        "is a file, not a directory",
        None,
    ),
    # label
    (
        "label-nan-position",
        ["label", "--scale", "ci", "--in", "{nan}", "--out", "{dir}/l.extxyz"],
        "atom 3 (Li) has a NaN",
        "l.extxyz",
    ),
    (
        "label-zero-volume",
        ["label", "--scale", "ci", "--in", "{flat}", "--out", "{dir}/l.extxyz"],
        "periodic cell (Lattice) has zero volume",
        "l.extxyz",
    ),
    (
        "label-out-is-dir",
        ["label", "--scale", "ci", "--in", "{li}", "--out", "{dir}"],
        "is a directory",
        None,
    ),
    (
        "label-settings-not-json",
        ["label", "--settings", "{bad_json}", "--in", "{li}", "--out", "{dir}/l.extxyz"],
        "not JSON",
        "l.extxyz",
    ),
    (
        "label-settings-no-labeller",
        ["label", "--settings", "{nolabeller_json}", "--in", "{li}", "--out", "{dir}/l.extxyz"],
        "needs a 'labeller' key",
        "l.extxyz",
    ),
    (
        "label-no-labeller-source",
        ["label", "--in", "{li}", "--out", "{dir}/l.extxyz"],
        "give --settings FILE.json",
        "l.extxyz",
    ),
    # report
    (
        "report-no-results",
        ["report", "--scale", "ci", "--directory", "{dir}", "--no-screenshot"],
        "no results of scale ci",
        None,
    ),
    (
        "report-directory-is-file",
        ["report", "--scale", "ci", "--directory", "{afile}"],
        "not a directory",
        None,
    ),
    (
        "report-studies-empty",
        ["report", "--config", "{studies_yaml}", "--directory", "{dir}", "--no-screenshot"],
        "studies is empty",
        None,
    ),
    # run: the config files are checked before Snakemake starts
    ("run-configfile-missing", ["run", "-n", "--configfile", "{dir}/nope.yaml"], "nope.yaml: no such file", None),
    ("run-configfile-is-dir", ["run", "--configfile={dir}", "-n"], "adir: not a file", None),
    ("run-configfile-bad-yaml", ["run", "--configfile", "{bad_yaml}", "-n"], "not valid YAML", None),
    (
        "run-configfile-unknown-key",
        ["run", "--configfile", "{unknown_yaml}", "-n"],
        "unknown.yaml: config: Additional properties are not allowed ('foo' was unexpected)",
        None,
    ),
    (
        "run-configfile-bad-value",
        ["run", "--configfiles", "{li_yaml}", "{steps_yaml}", "-n"],
        "steps.yaml: config: lpsc.sampling.n_steps: 0 is less than the minimum of 1",
        None,
    ),
]


@pytest.mark.parametrize(
    ("argv", "expected", "absent"), [c[1:] for c in CLI_CASES], ids=[c[0] for c in CLI_CASES]
)
def test_cli_bad_input_one_line(tmp_path, capsys, argv, expected, absent):
    files = _files(tmp_path)
    rc = main(_argv(argv, files))
    err = capsys.readouterr().err.strip()
    assert rc == 2, err
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"lidendrite {argv[0]}: error: ") and expected in err, err
    if absent:
        leftovers = sorted(p.name for p in files["dir"].iterdir())
        assert absent not in leftovers and not any(n.startswith(".") for n in leftovers), leftovers


# ----------------------------------------------------------------- the installed command
#: the same errors through the console script: stderr is one line, no traceback
SCRIPT_CASES = [
    ("script-qeq-out-dir", ["qeq", "{li}", "--out", "{dir}"], "is a directory"),
    (
        "script-build-bad-yaml",
        ["build", "li-bcc", "--params", "{bad_yaml}", "--out", "{dir}/b.extxyz"],
        "not valid YAML",
    ),
    ("script-doctor-only", ["doctor", "--only", "lammps"], "not a check"),
    ("script-run-configfile-missing", ["run", "--configfile", "{dir}/nope.yaml"], "no such file"),
    (
        "script-label-nan",
        ["label", "--scale", "ci", "--in", "{nan}", "--out", "{dir}/l.extxyz"],
        "has a NaN",
    ),
]


@pytest.mark.parametrize(
    ("argv", "expected"), [c[1:] for c in SCRIPT_CASES], ids=[c[0] for c in SCRIPT_CASES]
)
def test_console_script_prints_no_traceback(cmd, tmp_path, argv, expected):
    out = cmd(["lidendrite", *_argv(argv, _files(tmp_path))], timeout=120)
    assert out.returncode == 2, out.stderr[-2000:]
    assert "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and expected in out.stderr, out.stderr
    assert "all checks passed" not in out.stdout


# ----------------------------------------------------------------- config validation
def _ci(**patch):
    cfg = load_config("ci")
    for dotted, value in patch.items():
        node = cfg
        *parents, last = dotted.split("__")
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return cfg


#: (id, patch of the ci config, validate_config keywords, substring)
CONFIG_CASES = [
    ("restart-every-0", {"lpsc__sampling__restart_every": 0}, {}, "lpsc.sampling.restart_every: 0 is less than the minimum of 1"),
    ("n-steps-0", {"lpsc__sampling__n_steps": 0}, {}, "lpsc.sampling.n_steps: 0 is less than the minimum of 1"),
    ("thermo-every-0", {"lpsc__sampling__thermo_every": 0}, {}, "lpsc.sampling.thermo_every: 0 is less than the minimum of 1"),
    ("dump-every-0", {"lpsc__sampling__dump_every": 0}, {}, "lpsc.sampling.dump_every: 0 is less than the minimum of 1"),
    ("colvar-every-0", {"lpsc__sampling__colvar_every": 0}, {}, "lpsc.sampling.colvar_every: 0"),
    ("studies-empty", {"studies": []}, {}, "studies is empty"),
    (
        "nan-phi-in-config",
        {"ec__constp__bias_study__pairs": [[-1.0, 6.0], [float("nan"), 6.0]]},
        {},
        "ec.constp.bias_study.pairs[1][0]: nan is not a finite number",
    ),
    (
        "inf-timestep",
        {"lpsc__sampling__timestep_fs": float("inf")},
        {},
        "lpsc.sampling.timestep_fs: inf",
    ),
    ("labeller-vasp-workflow", {"labeller": "vasp"}, {"workflow": True}, "labeller 'vasp'"),
    ("labeller-abacus-workflow", {"labeller": "abacus"}, {"workflow": True}, "labeller 'abacus'"),
    (
        "results-dir-is-file",
        {"results_dir": "afile"},
        {"workdir": True},
        "is a file, not a directory",
    ),
    (
        "results-dir-under-file",
        {"results_dir": "afile/sub"},
        {"workdir": True},
        "is a file, not a directory",
    ),
]


@pytest.mark.parametrize(
    ("patch", "kw", "expected"), [c[1:] for c in CONFIG_CASES], ids=[c[0] for c in CONFIG_CASES]
)
def test_config_bad_value_is_named(tmp_path, patch, kw, expected):
    (tmp_path / "afile").write_text("x\n")
    if kw.get("workdir"):
        kw = {**kw, "workdir": tmp_path}
    with pytest.raises(InputError) as err:
        validate_config(_ci(**patch), **kw)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("config: ") and expected in msg, msg


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("results/demo/lpsc/structures/li-bcc.extxyz", "belongs to scale 'demo'"),
        ("./results/paper/ec/report.json", "config/paper.yaml"),
    ],
    ids=["target-of-demo-in-ci", "target-of-paper-in-ci"],
)
def test_target_of_another_scale_is_named(target, expected):
    from lidendrite.config import check_targets

    check_targets(load_config("ci"), targets=["results/ci/lpsc/structures/li-bcc.extxyz", "all"])
    with pytest.raises(InputError) as err:
        check_targets(load_config("ci"), targets=[target])
    assert "\n" not in str(err.value) and expected in str(err.value)


def test_external_labeller_is_fine_outside_the_workflow():
    """`lidendrite label --config` may use vasp with the user's paths: only the
    workflow (which makes its own frames) refuses it."""
    assert validate_config(_ci(labeller="vasp"))["labeller"] == "vasp"


def test_partial_resources_get_the_family_defaults():
    """resources: {md: {runtime: 60}} was KeyError 'mem_mb' in rules/common.smk."""
    cfg = validate_config(_ci(resources={"md": {"runtime": 60}}))
    assert cfg["resources"]["md"] == {
        "runtime": 60,
        "mem_mb": 16000,
        "slurm_partition": "",
        "gpus": 0,
    }
    assert cfg["resources"]["light"]["mem_mb"] == 4000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: [1, 2\n", "not valid YAML"),
        ("- 1\n- 2\n", "top level must be a mapping"),
        (None, "config file not found"),
    ],
    ids=["config-bad-yaml", "config-not-mapping", "config-missing"],
)
def test_config_file_errors(tmp_path, text, expected):
    path = tmp_path / "c.yaml"
    if text is not None:
        path.write_text(text)
    with pytest.raises(InputError, match=None) as err:
        load_config(path=path)
    assert "\n" not in str(err.value) and expected in str(err.value)


# ----------------------------------------------------------------- labelling
class _EmptyLabeller:
    """A labeller whose result has no energy and zero forces (what the NaN input gave)."""

    name = "empty"

    def label(self, frames):
        return [a.copy() for a in frames]


class _NanLabeller(_EmptyLabeller):
    name = "nan"

    def label(self, frames):
        from lidendrite.labeling.base import attach_labels

        return [
            attach_labels(a, np.nan, np.zeros((len(a), 3)), None, "nan", "none") for a in frames
        ]


@pytest.mark.parametrize(
    ("labeller", "expected"),
    [
        (_EmptyLabeller(), "labeller empty gave no finite energy"),
        (_NanLabeller(), "labeller nan gave no finite energy"),
    ],
    ids=["label-result-without-energy", "label-result-nan-energy"],
)
def test_label_refuses_results_without_labels(tmp_path, labeller, expected):
    from lidendrite.labeling.cli import label_file

    out = tmp_path / "out" / "labeled.extxyz"
    with pytest.raises(InputError) as err:
        label_file(_li(tmp_path), out, labeller)
    assert expected in str(err.value) and "\n" not in str(err.value)
    assert not out.exists() and not list(out.parent.glob(".*"))


def test_label_scale_uses_the_resolved_teacher_settings():
    """--scale/--config failed for every input: "unknown setting 'by_study' for labeller 'teacher'"."""
    from lidendrite.config import labeller_settings
    from lidendrite.labeling.cli import labeller_from_args

    for study in (None, "lpsc", "ec"):
        labeller = labeller_from_args(scale="ci", study=study)
        want = labeller_settings(load_config("ci"), study)
        assert labeller.name == "teacher" and labeller.settings()["model"] == want["model"]


# ----------------------------------------------------------------- snakemake: one 'config error' line
#: (id, config lines, extra arguments (targets), substring)
SNAKEMAKE_CASES = [
    ("smk-results-dir-file", {"results_dir": "{afile}"}, [], "results_dir: "),
    ("smk-labeller-vasp", {"labeller": "vasp"}, [], "labeller 'vasp'"),
    ("smk-studies-empty", {"studies": []}, [], "studies is empty"),
    ("smk-restart-every-0", {"lpsc": {"sampling": {"restart_every": 0}}}, [], "restart_every"),
    (
        "smk-target-of-other-scale",
        {},
        ["results/demo/lpsc/structures/li-bcc.extxyz"],
        "belongs to scale 'demo'",
    ),
]


@pytest.mark.parametrize(
    ("override", "targets", "expected"),
    [c[1:] for c in SNAKEMAKE_CASES],
    ids=[c[0] for c in SNAKEMAKE_CASES],
)
def test_snakemake_config_error_is_one_line(cmd, repo, tmp_path, override, targets, expected):
    files = _files(tmp_path)
    cfg = yaml.safe_load((repo / "config" / "ci.yaml").read_text())
    cfg.update(yaml.safe_load(json.dumps(override).replace("{afile}", str(files["afile"]))))
    conf = tmp_path / "c.yaml"
    conf.write_text(yaml.safe_dump(cfg))
    # targets before --configfile, which takes several values
    out = cmd(["snakemake", "-n", *targets, "--configfile", str(conf)], cwd=repo, timeout=120)
    assert out.returncode != 0
    text = out.stdout + out.stderr
    assert "Traceback" not in text and "No rule" not in text, text[-2000:]
    line = next((ln for ln in text.splitlines() if ln.startswith("config error")), "")
    assert expected in line, text[-2000:]


def test_snakemake_plans_with_partial_resources(cmd, repo, tmp_path):
    conf = tmp_path / "c.yaml"
    cfg = yaml.safe_load((repo / "config" / "ci.yaml").read_text())
    cfg["resources"] = {"md": {"runtime": 60}}
    conf.write_text(yaml.safe_dump(cfg))
    out = cmd(["snakemake", "-n", "--configfile", str(conf)], cwd=repo, timeout=120)
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr[-2000:]
