"""The report opens in a real browser: every image loads, the tables are there (issue 8)."""

from __future__ import annotations

import json
import shutil

import pytest

from lidendrite.config import CONFIG_DIR, load_config

pytestmark = pytest.mark.skipif(
    not any(shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")),
    reason="chromium not installed (make setup installs it as root: apt-get install chromium)",
)


@pytest.fixture()
def small_run(tmp_path):
    """A partial run: one stage JSON and one figure; every other row must say 'not run'."""
    from lidendrite.plotting.style import figure, save_figure

    results = tmp_path / "results" / "ci"
    (results / "lpsc" / "structures").mkdir(parents=True)
    (results / "lpsc" / "structures" / "li-bcc-relaxed.json").write_text(
        json.dumps({"lattice_constant_angstrom": 3.421, "level_of_theory": "teacher potential (test)"}))
    fig, ax = figure()
    ax.plot([0, 1], [0, 1])
    ax.set_xlabel("x (1)")
    ax.set_ylabel("y (1)")
    save_figure(fig, results / "ec" / "figures" / "fig3a_toy_capacitor.png")
    return results


def test_report_renders_in_chromium(small_run, tmp_path):
    from lidendrite.report.browser import check_in_browser
    from lidendrite.report.cli import build_report

    cfg = load_config("ci")
    out = small_run / "report"
    data = build_report(cfg, out, results_dir=small_run, paper_values=CONFIG_DIR / "paper_values.yaml",
                        report_spec=CONFIG_DIR / "report.yaml", take_screenshot=True, log=lambda *_: None)
    rows = {r["key"]: r for r in data["quantities"]["lpsc"]}
    assert rows["li_bcc_lattice_constant"]["status"] == "reproduced"
    assert rows["band_gap_lpsc"]["status"] == "not run"
    page = check_in_browser(out / "index.html")
    assert page["tables"] >= 3  # one per study + provenance
    assert page["images_total"] >= 1
    assert page["images_loaded"] == page["images_total"], page["broken"]
    assert (out / "screenshot.png").stat().st_size > 10_000
    assert (out / "report.md").read_text().count("|") > 20
