"""The HTML report page (Jinja2 template ``report/templates/report.html.j2``).

The page is read back with the standard library's HTML parser: one quantity
table per study and one row per quantity, the figures, the provenance tables,
the benchmark totals, and every text from the run escaped (a note holding
markup shows as text, it adds no element).
"""

from __future__ import annotations

from html.parser import HTMLParser
from importlib.resources import files

from lidendrite.report.compare import NOT_RUN, REPRODUCED
from lidendrite.report.render import render_html


class _Page(HTMLParser):
    """Start tags with their attributes, and the page's text."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def count(self, tag: str, **attrs: str) -> int:
        return sum(t == tag and all(a.get(k) == v for k, v in attrs.items()) for t, a in self.tags)


def _row(key: str, status: str, run, **extra) -> dict:
    return {"key": key, "paper": 3.44, "run": run, "unit": "Å", "tolerance": 0.03, "status": status,
            "detail": "|run - paper| = 0.019", "level_of_theory": None, "source": "lpsc Table 1", **extra}


def _data() -> dict:
    return {
        "scale": "ci",
        "date": "2026-01-01 00:00 UTC",
        "labeller": "teacher",
        "labeller_text": "teacher potential",
        "labels_by_study": {},
        "counts": {REPRODUCED: 1, NOT_RUN: 1},
        "studies": {"lpsc": "Li|Li6PS5Cl|Li <paper>", "ec": "Li|EC+LiPF6|Li"},
        "quantities": {
            "lpsc": [_row("li_bcc_lattice_constant", REPRODUCED, 3.421, note="<script>x</script> & more"),
                     _row("band_gap_lpsc", NOT_RUN, None)],
            "ec": [_row("pf6_count", REPRODUCED, [1.0, 2.0], paper_note="Fig. S10b")],
        },
        "figures": [
            {"study": "lpsc", "figure": "Fig. 2a", "note": "RDF", "exists": True, "src": "figures/lpsc/a.png",
             "png": "results/ci/lpsc/figures/a.png"},
            {"study": "lpsc", "figure": "Fig. 4d", "note": "DOS", "exists": False,
             "src": "figures/lpsc/d.png", "png": "results/ci/lpsc/figures/d.png"},
        ],
        "provenance": {
            "config_sha256_12": "0123456789ab",
            "machine": {"cores": 2, "cpu": "test CPU"},
            "versions": {"numpy": "2.0", "jinja2": "3.1"},
            "benchmarks": [
                {"rule": "relax", "jobs": 2, "wall_s": 1.3, "max_job_s": 1.0, "max_rss_mb": 100.4},
                {"rule": "train", "jobs": 1, "wall_s": 10.0, "max_job_s": 10.0, "max_rss_mb": 512.0},
            ],
        },
    }


def test_template_is_package_data():
    assert files("lidendrite.report").joinpath("templates", "report.html.j2").is_file()


def test_page_has_every_table_row_and_figure():
    page = _Page(render_html(_data()))
    assert page.count("table", **{"class": "quantities"}) == 2  # one per study
    assert page.count("table") == 2 + 3 + 1  # + run, machine, versions, + benchmarks
    assert page.count("section") == 3  # two studies + provenance
    assert page.count("tr", **{"class": "ok"}) == 2 and page.count("tr", **{"class": "none"}) == 1
    assert page.count("img", src="figures/lpsc/a.png") == 1
    assert page.count("div", **{"class": "missing"}) == 1
    assert page.count("p", **{"class": "muted"}) == 1  # the ec study lists no figure
    text = " ".join(" ".join(page.text).split())
    assert "li bcc lattice constant" in text and "± 0.03" in text and "[1, 2]" in text
    assert "total 3 11.3" in text  # benchmark totals: jobs, wall time to 0.1 s


def test_text_from_the_run_is_escaped():
    page = _Page(render_html(_data()))
    assert page.count("script") == 1  # the page's own load counter only
    assert page.count("paper") == 0
    text = "".join(page.text)
    assert "<script>x</script> & more" in text
    assert "Li|Li6PS5Cl|Li <paper>" in text


def test_no_benchmarks_says_so():
    data = _data()
    data["provenance"]["benchmarks"] = []
    page = _Page(render_html(data))
    assert "No Snakemake benchmark files found." in page.text
