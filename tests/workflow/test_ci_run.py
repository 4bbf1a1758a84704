"""A real ci-scale run of both studies, end to end, in a scratch directory (issue 2, STYLE).

Every tool runs for real at tiny size. The checks are on shapes, ranges and
physics, not bytes: MD and training are not bit-reproducible.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def ci_run(tmp_path_factory):
    from conftest import run_cmd

    work = tmp_path_factory.mktemp("ci_run")
    args = ["snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(work),
            "--configfile", str(REPO / "config" / "ci.yaml"), "--cores", "2",
            "--rerun-incomplete", "--show-failed-logs"]
    out = run_cmd(args, cwd=work, timeout=3600)
    (work / "snakemake.stdout").write_text(out.stdout + out.stderr)
    assert out.returncode == 0, (out.stdout + out.stderr)[-6000:]
    return work / "results" / "ci"


def _json(path: Path) -> dict:
    assert path.is_file(), f"missing {path}"
    return json.loads(path.read_text())


@pytest.mark.slow
def test_nothing_left_to_do(ci_run):
    from conftest import run_cmd

    work = ci_run.parents[1]
    out = run_cmd(["snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(work),
                   "--configfile", str(REPO / "config" / "ci.yaml"), "-n"], cwd=work, timeout=300)
    assert out.returncode == 0
    assert "Nothing to be done" in out.stdout + out.stderr, out.stdout[-3000:]


@pytest.mark.slow
def test_every_rule_logged_and_benchmarked(ci_run):
    bench = list((ci_run / "benchmarks").rglob("*.tsv"))
    assert len(bench) >= 10
    logs = list((ci_run / "logs").rglob("*.log"))
    assert len(logs) >= 10


@pytest.mark.slow
def test_lpsc_structures_and_lattice_constants(ci_run):
    li = _json(ci_run / "lpsc" / "structures" / "li-bcc-relaxed.json")
    # the teacher is PBE-trained: BCC Li within 2 % of PBE's 3.42 A (lpsc SI 1)
    assert 3.35 < li["lattice_constant_angstrom"] < 3.49
    assert "teacher" in li["level_of_theory"]
    # the cell relaxes to the stress bound (lpsc.structures.relax.stress_tol, 0.05 GPa), not
    # just to fmax * N / V, which let the built 3.42 A pass unchanged
    assert li["relax_converged"] and li["relax_max_stress_GPa"] < 0.05
    built = _json(ci_run / "lpsc" / "structures" / "lpsc-interface.json")
    interface = _json(ci_run / "lpsc" / "structures" / "lpsc-interface-relaxed.json")
    # SI 2.1: the interface is relaxed before the initial data; the built one lies far above
    assert interface["relax_energy_ev"] < interface["relax_energy_start_ev"] - 1.0
    assert interface["relax_steps"] > 0 and interface["n_atoms"] == built["n_atoms"]
    assert interface["cell_angstrom"][2] == pytest.approx(built["cell_angstrom"][2])  # z holds the vacuum
    assert interface["min_distance_angstrom"] > 1.8
    sandwich = _json(ci_run / "lpsc" / "structures" / "lpsc-sandwich.json")
    assert set(sandwich["regions"]) == {"anode", "electrolyte", "source"}
    assert sandwich["min_distance_angstrom"] > 1.8


@pytest.mark.slow
def test_every_stage_json_names_its_level_of_theory(ci_run):
    """Every stage JSON that involves labels says which level of theory made them."""
    stage_jsons = [p for p in ci_run.rglob("*.json") if "report" not in p.relative_to(ci_run).parts]
    labelled = [p for p in stage_jsons if "labeller" in json.loads(p.read_text() or "{}")]
    assert labelled, "no stage JSON records a labeller"
    for path in labelled:
        data = json.loads(path.read_text())
        assert data.get("level_of_theory"), path


@pytest.mark.slow
def test_report_written(ci_run):
    index = ci_run / "report" / "index.html"
    if not (REPO / "rules" / "report.smk").is_file():
        pytest.skip("report stage not in this checkout")
    assert index.is_file()
    assert "<table" in index.read_text()


@pytest.mark.slow
def test_ec_constp_cycle_and_bias_study(ci_run):
    """ConstQ NPT -> cut -> ConstQ NVT -> ConstP rounds (sides swapped) and the S11 bias runs."""
    import yaml
    from ase.io import read

    cfg = yaml.safe_load((REPO / "config" / "ci.yaml").read_text())["ec"]["constp"]
    cycle = _json(ci_run / "ec" / "constp" / "cycle.json")
    assert set(cycle["cycle_lengths_ps"]) >= {"npt_constq", "nvt_constq", "constp_round", "n_rounds"}
    for series, scfg in cfg["series"].items():
        rows = cycle["series"][series]
        assert [r["round"] for r in rows] == list(range(1, scfg["n_rounds"] + 1))
        for r in rows:
            assert r["max_abs_total_charge"] < 1e-6  # neutral in ConstP too (eq. 7)
            sig = r["surface_charge_density_e_per_nm2"]["end"]
            assert sig["anode"] > 0 > sig["cathode"]  # the oxidising bias charges the anode +
            assert r["n_biased"]["end"]["anode"] > 0 and r["n_biased"]["end"]["cathode"] > 0
        sides = [r["anode_side"] for r in rows]
        assert all(a != b for a, b in zip(sides, sides[1:], strict=False))  # swapped each round
    frames = read(ci_run / "ec" / "constp" / "main" / "round2" / "traj.extxyz", index=":")
    assert {"bias", "region", "fixed", "layer", "mol_id", "molecule"} <= set(frames[-1].arrays)
    assert {"time_ps", "round", "mode", "phi_anode", "phi_cathode", "level_of_theory"} <= set(
        frames[-1].info)
    assert frames[-1].info["round"] == 2 and frames[-1].info["mode"] == "constp"
    bias = _json(ci_run / "ec" / "constp" / "bias_study.json")
    assert set(bias["anode_li_charge"]) == {"phi_minus1", "phi_minus2"}
    assert set(bias["cathode_li_charge"]) == {"phi_plus6", "phi_plus7"}
    assert (ci_run / "ec" / "figures" / "figS11_bias_charges.png").stat().st_size > 0


@pytest.mark.slow
def test_ec_final_models_start_from_the_active_learning(ci_run):
    """With final_init_from_al and final_full_init_from_al (the ci/demo defaults) both final
    models continue the last active-learning explorer, and the summary says from which file."""
    final = _json(ci_run / "ec" / "potential" / "final_models.json")
    record = _json(ci_run / "ec" / "potential" / "active_learning.json")
    explorer = str(Path(record["last_models_dir"]) / "model0" / "model.ckpt")
    assert final["dp_short_init_model"] == explorer
    assert final["full_dp_init_model"] == explorer
    assert Path(f"{ci_run.parents[1] / explorer}.index").is_file()
    for name in ("dp_short", "full_dp"):
        assert (ci_run / "ec" / "potential" / f"{name}.pb").stat().st_size > 0
