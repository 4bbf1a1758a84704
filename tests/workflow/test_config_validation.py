"""Bad config fails before any job runs, naming the key (issue 2, item 8)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lidendrite.config import load_config, validate_config
from lidendrite.errors import InputError


@pytest.mark.parametrize("scale", ["ci", "demo", "paper"])
def test_every_scale_validates_and_fills_defaults(scale):
    cfg = load_config(scale)
    assert cfg["scale"] == scale
    # defaults come from the schema: every resource family is filled in
    assert set(cfg["resources"]) == {"light", "md", "train", "dft"}


@pytest.mark.parametrize(
    ("patch", "named"),
    [
        ({"threadz": 2}, "threadz"),  # unknown key (typo)
        ({"threads": "two"}, "threads"),  # wrong type
        ({"threads": -3}, "threads"),  # negative count
        ({"resources": {"md": {"runtime": -1, "mem_mb": 100, "slurm_partition": "", "gpus": 0}}}, "runtime"),
    ],
)
def test_bad_key_is_named(patch, named):
    cfg = load_config("ci")
    cfg.update(patch)
    with pytest.raises(InputError) as err:
        validate_config(cfg)
    msg = str(err.value)
    assert "\n" not in msg
    assert named in msg


@pytest.mark.parametrize(
    ("override", "named"),
    [("threadz: 2", "threadz"), ("threads: -1", "threads"), ("scale: huge", "scale")],
)
def test_snakemake_stops_before_any_job(cmd, tmp_path, repo, override, named):
    bad = tmp_path / "bad.yaml"
    bad.write_text(override + "\n")
    out = cmd(["snakemake", "-n", "--configfile", str(bad)], cwd=repo, timeout=300)
    assert out.returncode != 0
    text = out.stdout + out.stderr
    assert "config error" in text and named in text, text[-2000:]


def test_config_files_have_only_schema_keys(repo):
    schema = yaml.safe_load((repo / "config" / "schema.yaml").read_text())
    for name in ["config.yaml", "ci.yaml", "paper.yaml", "demo_long.yaml", "demo_thick.yaml", "demo_slow.yaml", "demo_wide.yaml"]:
        data = yaml.safe_load((repo / "config" / name).read_text())
        assert set(data) <= set(schema["properties"]), name


def test_demo_long_drives_the_same_cv_change_ten_times_slower(repo):
    """config/demo_long.yaml: the demo's total CV change per electrolyte Li, at 1/10 its rate."""
    from lidendrite.config import load_config

    demo = load_config(scale="demo")["lpsc"]["sampling"]
    long = load_config(path=repo / "config" / "demo_long.yaml")["lpsc"]["sampling"]

    def total(s):  # CV units per electrolyte Li over the run
        return s["s0_rate"] * s["n_steps"] * s["timestep_fs"] * 1e-3

    assert total(long) == pytest.approx(total(demo), rel=1e-3)
    assert demo["s0_rate"] / long["s0_rate"] == pytest.approx(10.0, rel=1e-3)


def test_demo_slow_drives_the_same_cv_change_at_a_third_of_demo_long_rate(repo):
    """config/demo_slow.yaml: the demo's total CV change per electrolyte Li, 3x slower than
    demo-long (30x slower than the demo; 3.3x the paper-scale rate per Li)."""
    from lidendrite.config import load_config

    def sampling(name):
        return load_config(path=repo / "config" / name)["lpsc"]["sampling"]

    demo, long, slow = sampling("config.yaml"), sampling("demo_long.yaml"), sampling("demo_slow.yaml")
    paper = load_config(scale="paper")["lpsc"]["sampling"]

    def total(s):  # CV units per electrolyte Li over the run
        return s["s0_rate"] * s["n_steps"] * s["timestep_fs"] * 1e-3

    assert total(slow) == pytest.approx(total(demo), rel=1e-3)
    assert long["s0_rate"] / slow["s0_rate"] == pytest.approx(3.0, rel=1e-3)
    assert slow["s0_rate"] / paper["s0_rate"] == pytest.approx(10 / 3, rel=1e-2)


def test_demo_thick_drives_as_demo_long_with_a_stable_restraint(repo):
    """config/demo_thick.yaml: demo-long's drive per electrolyte Li on a 4-cell electrolyte,
    with a kappa the restraint-stability check accepts on that sandwich."""
    from lidendrite.config import load_config
    from lidendrite.sampling.cv import cv_groups, max_stable_kappa_ev
    from lidendrite.structures.cli import build, builder_params

    long = load_config(path=repo / "config" / "demo_long.yaml")
    thick = load_config(path=repo / "config" / "demo_thick.yaml")
    s, sl = thick["lpsc"]["sampling"], long["lpsc"]["sampling"]
    assert (s["s0_rate"], s["n_steps"]) == (sl["s0_rate"], sl["n_steps"])
    sandwich = build("lpsc-sandwich", builder_params("lpsc-sandwich", thick))
    assert (sandwich.arrays["region"] == "electrolyte").sum() == 2 * (
        build("lpsc-sandwich", builder_params("lpsc-sandwich", long)).arrays["region"] == "electrolyte"
    ).sum()
    cv = {k: s[k] for k in ("r0_li_li", "r0_li_s", "r0_li_p", "r0_li_cl", "n", "m", "d_max", "stretch")}
    groups = cv_groups(sandwich, n_anode_layers=s["n_anode_layers"])
    assert s["kappa_ev"] <= max_stable_kappa_ev(sandwich, s["timestep_fs"], s["max_omega_dt"], groups=groups, **cv)


def test_demo_wide_has_the_paper_lateral_cell_and_a_stable_restraint(repo):
    """config/demo_wide.yaml: 3 x 3 electrolyte cells laterally (the paper's), demo-long's
    drive per electrolyte Li, a kappa the restraint-stability check accepts on that sandwich."""
    from lidendrite.config import load_config
    from lidendrite.sampling.cv import cv_groups, max_stable_kappa_ev
    from lidendrite.structures.cli import build, builder_params

    long = load_config(path=repo / "config" / "demo_long.yaml")
    wide = load_config(path=repo / "config" / "demo_wide.yaml")
    paper = load_config(scale="paper")
    s, sl = wide["lpsc"]["sampling"], long["lpsc"]["sampling"]
    assert (s["s0_rate"], s["n_steps"]) == (sl["s0_rate"], sl["n_steps"])
    lateral = ("n_el_lateral", "n_li_lateral")
    assert [wide["lpsc"]["structures"]["lpsc_sandwich"][k] for k in lateral] == [
        paper["lpsc"]["structures"]["lpsc_sandwich"][k] for k in lateral
    ]
    sandwich = build("lpsc-sandwich", builder_params("lpsc-sandwich", wide))
    cv = {k: s[k] for k in ("r0_li_li", "r0_li_s", "r0_li_p", "r0_li_cl", "n", "m", "d_max", "stretch")}
    groups = cv_groups(sandwich, n_anode_layers=s["n_anode_layers"])
    assert s["kappa_ev"] <= max_stable_kappa_ev(sandwich, s["timestep_fs"], s["max_omega_dt"], groups=groups, **cv)


def test_every_schema_key_is_described(repo):
    """Every property at every depth has a description (with its unit)."""
    schema = yaml.safe_load((repo / "config" / "schema.yaml").read_text())
    missing = []

    def walk(node, path):
        if isinstance(node, dict):
            for key, sub in node.get("properties", {}).items():
                if "description" not in sub:
                    missing.append(f"{path}.{key}")
                walk(sub, f"{path}.{key}")
            for key in ("items", "additionalProperties"):
                if isinstance(node.get(key), dict):
                    walk(node[key], path)
            for key, sub in node.get("$defs", {}).items():
                walk(sub, f"$defs.{key}")

    walk(schema, "config")
    assert not missing, missing


def test_objects_reject_unknown_keys(repo):
    """additionalProperties: false on every object of the schema (a typo fails)."""
    schema = yaml.safe_load((repo / "config" / "schema.yaml").read_text())
    open_objects = []

    def walk(node, path):
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node and node.get("additionalProperties") is not False:
                open_objects.append(path)
            for key, sub in node.get("properties", {}).items():
                walk(sub, f"{path}.{key}")
            for key, sub in node.get("$defs", {}).items():
                walk(sub, f"$defs.{key}")

    walk(schema, "config")
    assert not open_objects, open_objects


def test_config_files_have_no_duplicate_keys():
    """YAML keeps the last of two equal keys silently: a pasted block can overwrite a
    setting's type or default without any error."""
    import yaml

    class Strict(yaml.SafeLoader):
        pass

    def mapping(loader, node, deep=False):
        keys = [loader.construct_object(k, deep=deep) for k, _ in node.value]
        dup = sorted({str(k) for k in keys if keys.count(k) > 1})
        assert not dup, f"duplicate key {dup[0]} at line {node.start_mark.line + 1}"
        return yaml.SafeLoader.construct_mapping(loader, node, deep)

    Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    root = Path(__file__).resolve().parents[2] / "config"
    for path in sorted(root.glob("*.yaml")):
        yaml.load(path.read_text(), Loader=Strict)
