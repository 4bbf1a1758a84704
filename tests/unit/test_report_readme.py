"""`lidendrite report --readme`: the README table is regenerated, never replaced by a smaller scale's."""

from __future__ import annotations

from lidendrite.report.collect import _study_labels
from lidendrite.report.render import README_END, README_START, readme_table_scale, update_readme


def _data(scale: str, value: float) -> dict:
    row = {"key": "li_bcc_lattice_constant", "paper": 3.42, "run": value, "unit": "Angstrom",
           "tolerance": 0.03, "status": "reproduced", "level_of_theory": "teacher potential X"}
    return {
        "scale": scale,
        "date": "2026-12-07 12:00 UTC",
        "labeller_text": "teacher potential X",
        "labels_by_study": {"lpsc": "teacher potential SevenNet-0", "ec": "teacher potential CHGNet"},
        "quantities": {"lpsc": [row]},
        "provenance": {"config_sha256_12": "abc123", "commit": "1234567",
                       "machine": {"cores": 2, "cpu": "Test CPU", "gpu": "none"}},
    }


def _readme(tmp_path, body: str = "old table"):
    path = tmp_path / "README.md"
    path.write_text(f"# x\n\n{README_START}\n{body}\n{README_END}\n\nafter\n")
    return path


def test_table_is_regenerated_with_its_run_and_per_study_labels(tmp_path):
    path = _readme(tmp_path)
    assert update_readme(path, _data("demo", 3.421))
    text = path.read_text()
    assert readme_table_scale(text) == "demo"
    assert "3.421" in text and "old table" not in text and text.endswith("after\n")
    assert "commit 1234567" in text and "2 cores (Test CPU)" in text and "abc123" in text
    assert "lpsc: teacher potential SevenNet-0; ec: teacher potential CHGNet" in text
    assert not update_readme(path, _data("demo", 3.421))  # same data: unchanged


def test_ci_run_never_overwrites_a_demo_table(tmp_path):
    path = _readme(tmp_path)
    update_readme(path, _data("demo", 3.421))
    before = path.read_text()
    assert not update_readme(path, _data("ci", 3.5))
    assert path.read_text() == before
    # a larger scale replaces it, and the old header format is read too
    assert update_readme(path, _data("paper", 3.43)) and readme_table_scale(path.read_text()) == "paper"
    old = _readme(tmp_path, "Latest `demo` run, 2026-11-22 07:17 UTC; labels: X.\n\n| a |")
    assert readme_table_scale(old.read_text()) == "demo" and not update_readme(old, _data("ci", 3.5))
    # an empty table (no run yet) takes any scale; no markers: nothing written
    assert update_readme(_readme(tmp_path, ""), _data("ci", 3.5))
    bare = tmp_path / "bare.md"
    bare.write_text("no markers\n")
    assert not update_readme(bare, _data("demo", 3.4)) and bare.read_text() == "no markers\n"


def test_study_labels_name_each_studys_teacher():
    cfg = {"labeller": "teacher",
           "labeling": {"teacher": {"model": "sevennet-0", "by_study": {"ec": "chgnet", "lpsc": None}}}}
    ec_rows = [{"level_of_theory": "teacher potential CHGNet 0.3.0, PBE-trained", "labeller": "teacher"}]
    assert _study_labels(cfg, ec_rows, "ec") == "teacher potential CHGNet 0.3.0, PBE-trained"
    dp_rows = [{"level_of_theory": "DP-QEq: DP_short trained on teacher potential CHGNet 0.3.0, MLIP; QEq"}]
    assert _study_labels(cfg, dp_rows, "ec") == "teacher potential CHGNet 0.3.0, MLIP"
    assert _study_labels(cfg, [], "lpsc").startswith("teacher potential sevennet-0 (as the config")
    cp2k_rows = [{"level_of_theory": "DFT (CP2K, PBE), 400 Ry", "labeller": "cp2k"}]
    assert _study_labels({"labeller": "cp2k"}, cp2k_rows, "lpsc") == "DFT (CP2K, PBE), 400 Ry"
