"""Render the collected report (see :mod:`lidendrite.report.collect`) as HTML and Markdown.

The HTML page is the Jinja2 template ``templates/report.html.j2`` (autoescaped),
rendered self-contained: inline CSS (``templates/report.css``), no external
resource, figures copied next to it under ``figures/<study>/`` and referenced
by relative path, so the folder can be zipped, mailed or opened from disk. A few
lines of inline JavaScript (``templates/report.js``) record, after load, how
many images loaded (``data-images-loaded`` on ``<html>``), which the browser
test reads. The Markdown report is written here from the same row formatting
(:func:`fmt_value`, :func:`fmt_tolerance`), which the template uses as filters.
"""

from __future__ import annotations

import functools
import re
import shutil
from pathlib import Path
from typing import Any

import jinja2
import yaml

from lidendrite.io.jsonfile import write_json
from lidendrite.report.compare import (
    NOT_COMPARABLE,
    NOT_COMPARABLE_SCALE,
    NOT_REPRODUCED,
    NOT_RUN,
    REPRODUCED,
    STATUSES,
    WITHIN_2X,
)

__all__ = [
    "fmt_value",
    "fmt_tolerance",
    "copy_figures",
    "render_html",
    "render_markdown",
    "summary_table_md",
    "readme_table_scale",
    "update_readme",
    "write_report",
]

_STATUS_CLASS = {
    REPRODUCED: "ok",
    WITHIN_2X: "mid",
    NOT_REPRODUCED: "bad",
    NOT_COMPARABLE_SCALE: "scale",
    NOT_COMPARABLE: "scale",
    NOT_RUN: "none",
}

def _labels_line(data: dict) -> str:
    """Each study's level of theory of the labels, e.g. ``lpsc: ...; ec: ...``."""
    by_study = data.get("labels_by_study") or {}
    if not by_study:
        return data["labeller_text"]
    return "; ".join(f"{s}: {t}" for s, t in by_study.items())


README_START = "<!-- replication-table:start -->"
README_END = "<!-- replication-table:end -->"


def fmt_value(x: Any) -> str:
    """Short text of a number, list or mapping (4 significant digits)."""
    if x is None:
        return "—"
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, float):
        return f"{x:.4g}"
    if isinstance(x, list):
        return "[" + ", ".join(fmt_value(v) for v in x) + "]"
    if isinstance(x, dict):
        return ", ".join(f"{k}: {fmt_value(v)}" for k, v in x.items())
    return str(x)


def fmt_tolerance(tol: Any, paper: Any = None) -> str:
    """``± 0.03``, ``± 10 %`` (relative), ``all present`` (name lists) or ``—``."""
    if isinstance(paper, list) and paper and all(isinstance(p, str) for p in paper):
        return "all present"
    if tol is None:
        return "—"
    if isinstance(tol, dict) and "relative" in tol:
        return f"± {float(tol['relative']) * 100:g} %"
    return f"± {fmt_value(tol)}"


def _label(key: str) -> str:
    return key.replace("_", " ")


def _figure_src(fig: dict[str, Any]) -> str:
    return f"figures/{fig['study']}/{Path(fig['png']).name}"


def copy_figures(data: dict[str, Any], report_dir: str | Path) -> None:
    """Copy every PNG the run made into ``<report_dir>/figures/<study>/``; set ``fig['src']``."""
    report_dir = Path(report_dir)
    for fig in data["figures"]:
        fig["src"] = _figure_src(fig)
        if fig["exists"]:
            dest = report_dir / fig["src"]
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(fig["path"], dest)


def _figure_note(fig: dict[str, Any], data: dict[str, Any]) -> str:
    labels = (data.get("labels_by_study") or {}).get(fig.get("study")) or _labels_line(data)
    return f"{fig['note']}. This run: {data['scale']} scale; labels: {labels}."


@functools.cache
def _environment() -> jinja2.Environment:
    """Jinja2 environment of the templates in ``report/templates`` (autoescaped HTML)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("lidendrite.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(value=fmt_value, tolerance=fmt_tolerance, label=_label,
                       status_class=lambda s: _STATUS_CLASS.get(s, "none"))
    return env


def render_html(data: dict[str, Any]) -> str:
    """The whole report page as one HTML string (figures referenced as ``figures/...``),
    from the template ``templates/report.html.j2``."""
    prov = data["provenance"]
    counts = data["counts"]
    cards = [(s, counts.get(s, 0)) for s in STATUSES if counts.get(s, 0) or s in (REPRODUCED, NOT_REPRODUCED)]
    studies = [
        {
            "id": study,
            "title": title,
            "rows": [dict(r, notes=" ".join(n for n in (r.get("note"), r.get("paper_note")) if n))
                     for r in data["quantities"][study]],
            "figures": [dict(f, caption=_figure_note(f, data)) for f in data["figures"] if f["study"] == study],
        }
        for study, title in data["studies"].items()
    ]
    machine = prov["machine"]
    run_items = [
        ("scale", data["scale"]),
        ("labeller", f"{data['labeller']}: {data['labeller_text']}"),
        ("date", data["date"]),
        ("config (SHA-256, first 12)", prov["config_sha256_12"]),
        ("config file", "config.yaml (next to this page)"),
    ]
    machine_items = [("cores", machine.get("cores")), ("CPU", machine.get("cpu", "")),
                     ("memory (GiB)", machine.get("memory_gib", "")), ("GPU", machine.get("gpu")),
                     ("system", machine.get("system"))]
    return _environment().get_template("report.html.j2").render(
        scale=data["scale"], labels=_labels_line(data), date=data["date"],
        config_sha=prov["config_sha256_12"], cards=cards, studies=studies,
        run_items=run_items, machine_items=machine_items, versions=list(prov["versions"].items()),
        benchmarks=prov["benchmarks"],
    )


def _md_cell(x: Any) -> str:
    return str(x).replace("|", "\\|").replace("\n", " ")


def summary_table_md(data: dict[str, Any], *, with_theory: bool = True) -> str:
    """Markdown table of every quantity of every study (paper vs this run)."""
    head = "| study | quantity | paper | this run | unit | tolerance | status |"
    sep = "|---|---|---|---|---|---|---|"
    if with_theory:
        head += " level of theory |"
        sep += "---|"
    lines = [head, sep]
    for study, rows in data["quantities"].items():
        for r in rows:
            cells = [study, _label(r["key"]), fmt_value(r["paper"]), fmt_value(r["run"]), r["unit"],
                     fmt_tolerance(r["tolerance"], r["paper"]), r["status"]]
            if with_theory:
                cells.append(r["level_of_theory"] or "—")
            lines.append("| " + " | ".join(_md_cell(c) for c in cells) + " |")
    return "\n".join(lines)


def render_markdown(data: dict[str, Any]) -> str:
    """The report as Markdown (tables, figures with captions, provenance)."""
    prov = data["provenance"]
    out = [
        f"# lidendrite replication report ({data['scale']} scale)",
        "",
        f"Run {data['date']}; labels: {_labels_line(data)}; config SHA-256 {prov['config_sha256_12']}.",
        "",
        "Counts: " + ", ".join(f"{s}: {n}" for s, n in data["counts"].items() if n) + ".",
        "",
    ]
    for study, title in data["studies"].items():
        out += [f"## Study `{study}`", "", title, ""]
        sub = {"quantities": {study: data["quantities"][study]}}
        out += [summary_table_md(sub), ""]
        out += ["Details:", ""]
        out += [f"- {_label(r['key'])}: {r['detail']} (source: {r['source']})" for r in data["quantities"][study]]
        out += ["", "### Figures (paper order)", ""]
        for f in (f for f in data["figures"] if f["study"] == study):
            if f["exists"]:
                out += [f"![Paper {f['figure']}]({f['src']})", ""]
            out += [f"**Paper {f['figure']}.** {_figure_note(f, data)}"
                    + ("" if f["exists"] else f" *Not made by this run: `{f['png']}` is missing.*"), ""]
    m = prov["machine"]
    out += ["## Provenance", "",
            f"Machine: {m.get('cores')} cores, {m.get('cpu', '')}, {m.get('memory_gib', '?')} GiB, GPU: {m.get('gpu')}.",
            "", "| package | version |", "|---|---|"]
    out += [f"| {k} | {v} |" for k, v in prov["versions"].items()]
    out += ["", "| rule | jobs | wall time (s) | longest job (s) | max RSS (MB) |", "|---|---|---|---|---|"]
    out += [f"| {b['rule']} | {b['jobs']} | {b['wall_s']:.1f} | {b['max_job_s']:.1f} | {b['max_rss_mb']:.0f} |"
            for b in prov["benchmarks"]]
    return "\n".join(out) + "\n"


#: scales from smallest to largest: a README table is never replaced by a smaller scale's
_SCALE_RANK = {"ci": 0, "demo": 1, "paper": 2}
_TABLE_SCALE = re.compile(r"Latest `(\w+)` run")


def readme_table_scale(text: str) -> str | None:
    """Scale of the run whose table sits between the README markers (None: no markers or no table)."""
    if README_START not in text or README_END not in text:
        return None
    block = text.split(README_START, 1)[1].split(README_END, 1)[0]
    m = _TABLE_SCALE.search(block)
    return m.group(1) if m else None


def readme_table_head(data: dict[str, Any]) -> str:
    """The lines above the README table: which run, when, where, with which labels."""
    prov = data.get("provenance") or {}
    m = prov.get("machine") or {}
    labels = data.get("labels_by_study") or {s: data["labeller_text"] for s in data["quantities"]}
    where = f"{m.get('cores', '?')} cores ({m.get('cpu') or 'CPU unknown'}), GPU: {m.get('gpu', '?')}"
    return (
        f"Latest `{data['scale']}` run: report built {data['date']} at commit "
        f"{prov.get('commit', 'unknown')} on {where}; config SHA-256 {prov.get('config_sha256_12', '?')}; "
        f"command `{data.get('command') or 'lidendrite report --scale ' + data['scale']}`.\n\n"
        "Labels: " + "; ".join(f"{s}: {t}" for s, t in labels.items()) + "."
    )


def update_readme(readme: str | Path, data: dict[str, Any]) -> bool:
    """Replace the table between the README's replication-table markers; True if it changed.

    A table of a larger scale (a demo table when this run is ci) is kept: the README
    shows the largest run made, never a smoke test's numbers.
    """
    path = Path(readme)
    text = path.read_text()
    if README_START not in text or README_END not in text:
        return False
    old = readme_table_scale(text)
    if old is not None and _SCALE_RANK.get(old, -1) > _SCALE_RANK.get(data["scale"], -1):
        return False
    table = readme_table_head(data) + "\n\n" + summary_table_md(data, with_theory=False)
    new = re.sub(
        re.escape(README_START) + r".*?" + re.escape(README_END),
        lambda _m: f"{README_START}\n{table}\n{README_END}",
        text, flags=re.S,
    )
    if new != text:
        path.write_text(new)
    return new != text


def write_report(data: dict[str, Any], report_dir: str | Path, config: dict[str, Any]) -> dict[str, Path]:
    """Write ``index.html``, ``report.md``, ``report.json`` and ``config.yaml`` into ``report_dir``.

    Each file is written to a temporary name and renamed, so a reader never
    sees half a report.
    """
    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    copy_figures(data, report_dir)
    files = {
        "html": (report_dir / "index.html", render_html(data)),
        "md": (report_dir / "report.md", render_markdown(data)),
        "config": (report_dir / "config.yaml", yaml.safe_dump(config, sort_keys=False)),
    }
    json_path = write_json(data, report_dir / "report.json", default=str)
    for path, text in files.values():
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text)
        tmp.replace(path)
    paths = {k: p for k, (p, _) in files.items()}
    paths["json"] = json_path
    return {k: paths[k] for k in ("html", "md", "json", "config")}
