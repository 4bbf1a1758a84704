"""Render the collected report (see :mod:`lidendrite.report.collect`) as HTML and Markdown.

The HTML page is self-contained: inline CSS, no external resource, figures
copied next to it under ``figures/<study>/`` and referenced by relative path,
so the folder can be zipped, mailed or opened from disk. A few lines of inline
JavaScript record, after load, how many images loaded (``data-images-loaded``
on ``<html>``), which the browser test reads.

Why one module of about 400 lines: the HTML and the Markdown report are written from the same rows by the same helpers; split, each half would repeat the row formatting.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path
from typing import Any

import yaml

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


_CSS = """
:root{--ok:#1a7f37;--mid:#bf8700;--bad:#c62828;--scale:#9a6700;--none:#6e7781;--line:#d8dee4;--bg:#f6f8fa}
*{box-sizing:border-box}
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,"DejaVu Sans",sans-serif;margin:0;color:#1f2328;background:#fff;font-size:15px;line-height:1.45}
header{background:#0d2538;color:#fff;padding:22px 40px 18px}
header h1{margin:0 0 4px;font-size:24px;font-weight:600}
header .sub{color:#c9d6e2;font-size:14px}
header .sub b{color:#fff}
main{max-width:1240px;margin:0 auto;padding:18px 40px 40px}
h2{font-size:20px;margin:30px 0 4px;padding-bottom:4px;border-bottom:2px solid var(--line)}
h3{font-size:16px;margin:20px 0 8px}
.paper{color:#57606a;font-size:13.5px;margin:0 0 10px}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:14px 0 4px}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 16px;min-width:150px;background:var(--bg)}
.card .n{font-size:26px;font-weight:700}
.card .t{font-size:12.5px;color:#57606a}
.card.ok .n{color:var(--ok)}.card.mid .n{color:var(--mid)}.card.bad .n{color:var(--bad)}.card.scale .n{color:var(--scale)}.card.none .n{color:var(--none)}
table{border-collapse:collapse;width:100%;font-size:13.5px;margin:6px 0 10px}
table.quantities{table-layout:fixed}
table.quantities th{white-space:normal}
table.quantities td{overflow-wrap:anywhere}
th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:var(--bg);font-weight:600;white-space:nowrap}
td.num{font-variant-numeric:tabular-nums}
td small,.muted{color:#6e7781;font-size:12px}
.st{display:inline-block;border-radius:10px;padding:1px 9px;font-size:12px;font-weight:600;white-space:nowrap;color:#fff}
.st.ok{background:var(--ok)}.st.mid{background:var(--mid)}.st.bad{background:var(--bad)}.st.scale{background:var(--scale)}.st.none{background:var(--none)}
.figs{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:16px}
figure{margin:0;border:1px solid var(--line);border-radius:8px;padding:10px;background:#fff}
figure img{width:100%;height:auto;display:block}
figcaption{font-size:13px;margin-top:6px}
figcaption b{color:#0d2538}
.missing{height:140px;display:flex;align-items:center;justify-content:center;background:var(--bg);color:#6e7781;font-size:13px;border-radius:6px;text-align:center;padding:8px}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:24px}
code{font-size:12.5px;background:var(--bg);padding:0 3px;border-radius:3px}
img.broken{outline:3px solid var(--bad)}
"""

_JS = """
window.addEventListener('load',function(){
  var imgs=document.images,ok=0;
  for(var i=0;i<imgs.length;i++){
    if(imgs[i].complete&&imgs[i].naturalWidth>0){ok++;}else{imgs[i].classList.add('broken');}
  }
  document.documentElement.setAttribute('data-images-total',imgs.length);
  document.documentElement.setAttribute('data-images-loaded',ok);
});
"""


def _e(x: Any) -> str:
    return html.escape(str(x))


def _status_badge(status: str) -> str:
    return f'<span class="st {_STATUS_CLASS.get(status, "none")}">{_e(status)}</span>'


def _quantity_table(rows: list[dict[str, Any]]) -> str:
    cols = "".join(f'<col style="width:{w}%">' for w in (15, 8, 9, 10, 7, 19, 17, 15))
    head = (f"<colgroup>{cols}</colgroup><tr><th>Quantity</th><th>Paper</th><th>This run</th><th>Unit</th><th>Tolerance</th>"
            "<th>Status</th><th>Level of theory (this run)</th><th>Paper source</th></tr>")
    body = []
    for r in rows:
        notes = " ".join(n for n in (r.get("note"), r.get("paper_note")) if n)
        quantity = f"{_e(_label(r['key']))}" + (f"<br><small>{_e(notes)}</small>" if notes else "")
        run = _e(fmt_value(r["run"])) if r["run"] is not None else '<span class="muted">—</span>'
        lot = _e(r["level_of_theory"]) if r["level_of_theory"] else '<span class="muted">—</span>'
        body.append(
            f'<tr class="{_STATUS_CLASS.get(r["status"], "none")}"><td>{quantity}</td>'
            f'<td class="num">{_e(fmt_value(r["paper"]))}</td><td class="num">{run}</td>'
            f'<td>{_e(r["unit"])}</td><td class="num">{_e(fmt_tolerance(r["tolerance"], r["paper"]))}</td>'
            f'<td>{_status_badge(r["status"])}<br><small>{_e(r["detail"])}</small></td>'
            f'<td><small>{lot}</small></td><td><small>{_e(r["source"])}</small></td></tr>'
        )
    return f'<table class="quantities">{head}{"".join(body)}</table>'


def _figure_note(fig: dict[str, Any], data: dict[str, Any]) -> str:
    labels = (data.get("labels_by_study") or {}).get(fig.get("study")) or _labels_line(data)
    return f"{fig['note']}. This run: {data['scale']} scale; labels: {labels}."


def _figures_html(figs: list[dict[str, Any]], data: dict[str, Any]) -> str:
    if not figs:
        return '<p class="muted">No figure of this paper is listed in config/report.yaml.</p>'
    cards = []
    for f in figs:
        if f["exists"]:
            inner = f'<img src="{_e(f["src"])}" alt="{_e(f["figure"])}: {_e(f["note"])}" loading="eager">'
        else:
            inner = f'<div class="missing">not made by this run<br><code>{_e(f["png"])}</code> is missing</div>'
        cards.append(
            f"<figure>{inner}<figcaption><b>Paper {_e(f['figure'])}.</b> "
            f"{_e(_figure_note(f, data))}</figcaption></figure>"
        )
    return f'<div class="figs">{"".join(cards)}</div>'


def _kv_table(items: list[tuple[str, Any]]) -> str:
    return "<table>" + "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in items) + "</table>"


def render_html(data: dict[str, Any]) -> str:
    """The whole report page as one HTML string (figures referenced as ``figures/...``)."""
    prov = data["provenance"]
    counts = data["counts"]
    cards = "".join(
        f'<div class="card {_STATUS_CLASS[s]}"><div class="n">{counts.get(s, 0)}</div>'
        f'<div class="t">{_e(s)}</div></div>'
        for s in STATUSES if counts.get(s, 0) or s in (REPRODUCED, NOT_REPRODUCED)
    )
    studies = []
    for study, title in data["studies"].items():
        figs = [f for f in data["figures"] if f["study"] == study]
        studies.append(
            f'<section id="{_e(study)}"><h2>Study <code>{_e(study)}</code></h2>'
            f'<p class="paper">{_e(title)}</p>'
            f"{_quantity_table(data['quantities'][study])}"
            f"<h3>Figures (paper order)</h3>{_figures_html(figs, data)}</section>"
        )
    bench = prov["benchmarks"]
    bench_html = (
        "<table><tr><th>Rule</th><th>Jobs</th><th>Wall time (s)</th><th>Longest job (s)</th>"
        "<th>Max RSS (MB)</th></tr>"
        + "".join(
            f"<tr><td>{_e(b['rule'])}</td><td class='num'>{b['jobs']}</td><td class='num'>{b['wall_s']:.1f}</td>"
            f"<td class='num'>{b['max_job_s']:.1f}</td><td class='num'>{b['max_rss_mb']:.0f}</td></tr>"
            for b in bench
        )
        + f"<tr><th>total</th><th class='num'>{sum(b['jobs'] for b in bench)}</th>"
        f"<th class='num'>{sum(b['wall_s'] for b in bench):.1f}</th><th></th><th></th></tr></table>"
        if bench else '<p class="muted">No Snakemake benchmark files found.</p>'
    )
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
    versions = _kv_table(list(prov["versions"].items()))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lidendrite replication report ({_e(data['scale'])})</title>
<style>{_CSS}</style>
<script>{_JS}</script>
</head><body>
<header><h1>lidendrite: replication report</h1>
<div class="sub">scale <b>{_e(data['scale'])}</b> &middot; labels: <b>{_e(_labels_line(data))}</b>
&middot; {_e(data['date'])} &middot; config {_e(prov['config_sha256_12'])}</div></header>
<main>
<p>Each row sets a number of the papers (<code>config/paper_values.yaml</code>, with its section)
beside this run's (the stage JSONs named in <code>config/report.yaml</code>).
<b>reproduced</b>: within the tolerance; <b>not comparable at this scale</b>: the quantity needs
the paper's system size or run length; <b>not run</b>: the stage has not produced its number.</p>
<div class="cards">{cards}</div>
{''.join(studies)}
<section id="provenance"><h2>Provenance</h2>
<div class="grid2"><div><h3>Run</h3>{_kv_table(run_items)}<h3>Machine</h3>{_kv_table(machine_items)}</div>
<div><h3>Package versions</h3>{versions}</div></div>
<h3>Wall time per rule (Snakemake benchmarks)</h3>{bench_html}
</section>
</main></body></html>
"""


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
        "json": (report_dir / "report.json", json.dumps(data, indent=2, default=str)),
        "config": (report_dir / "config.yaml", yaml.safe_dump(config, sort_keys=False)),
    }
    for path, text in files.values():
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text)
        tmp.replace(path)
    return {k: p for k, (p, _) in files.items()}
