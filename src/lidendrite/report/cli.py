"""``lidendrite report``: build the replication report of a finished (or partial) run.

The workflow's rule ``make_report`` calls :func:`build_report`; the command
does the same outside Snakemake, and ``--readme README.md`` also refreshes the
paper-vs-run table between the README's ``replication-table`` markers.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["HELP", "add_arguments", "run", "build_report"]

HELP = "build results/<scale>/report/ (index.html, report.md): this run's numbers beside the papers'"


def build_report(
    config: dict[str, Any],
    report_dir: str | Path,
    *,
    results_dir: str | Path,
    paper_values: str | Path,
    report_spec: str | Path,
    bench_dir: str | Path | None = None,
    take_screenshot: bool = True,
    log=print,
) -> dict[str, Any]:
    """Collect, write ``index.html``/``report.md``/``report.json`` and (if Chromium is there)
    ``screenshot.png``. Returns the collected data."""
    from lidendrite.errors import LidendriteError
    from lidendrite.report import browser
    from lidendrite.report.collect import collect
    from lidendrite.report.render import write_report

    data = collect(results_dir, config, paper_values_path=paper_values,
                   report_spec_path=report_spec, bench_dir=bench_dir)
    files = write_report(data, report_dir, config)
    log(f"report: {files['html']} ({', '.join(f'{s}: {n}' for s, n in data['counts'].items())})")
    for study, rows in data["quantities"].items():
        for r in rows:
            log(f"  {study}.{r['key']}: paper {r['paper']!r} run {r['run']!r} -> {r['status']} ({r['detail']})")
    if take_screenshot:
        try:
            shot = data.get("screenshot") or {}
            png = browser.screenshot(files["html"], Path(report_dir) / "screenshot.png",
                                     width=shot.get("width", 1280), height=shot.get("height", 1600))
            log(f"screenshot: {png}")
        except LidendriteError as exc:  # a missing browser must not cost the report
            log(f"screenshot skipped: {exc}")
    return data


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``lidendrite report``."""
    p.add_argument("--scale", default="demo", help="ci, demo or paper (default demo)")
    p.add_argument("--config", help="config file instead of the scale's (merged over config/config.yaml)")
    p.add_argument(
        "--directory",
        "-d",
        help="working directory of the run (as snakemake --directory): results are read from "
        "DIR/<results_dir>/<scale> (default: this checkout)",
    )
    p.add_argument("--out", help="report folder (default <results>/<scale>/report)")
    p.add_argument("--readme", help="also refresh the paper-vs-run table in this README")
    p.add_argument("--no-screenshot", action="store_true", help="do not run Chromium")


def run(args: argparse.Namespace) -> int:
    """Build the report from ``<directory>/<results_dir>/<scale>/`` as it is now."""
    from lidendrite.config import CONFIG_DIR, REPO_ROOT, load_config
    from lidendrite.errors import InputError
    from lidendrite.report.render import readme_table_scale, update_readme

    workdir = Path(args.directory) if args.directory else REPO_ROOT
    if not workdir.is_dir():
        raise InputError(f"--directory {workdir}: not a directory")
    cfg = load_config(args.scale, args.config, workdir=workdir)
    results = workdir / cfg["results_dir"] / cfg["scale"]
    if not results.is_dir():
        raise InputError(
            f"no results of scale {cfg['scale']} at {results}: run the workflow first, or give "
            "--directory (the run's working directory) / --config (its results_dir)"
        )
    out = Path(args.out) if args.out else results / "report"
    data = build_report(cfg, out, results_dir=results, paper_values=CONFIG_DIR / "paper_values.yaml",
                        report_spec=CONFIG_DIR / "report.yaml", take_screenshot=not args.no_screenshot)
    if args.readme:
        data["command"] = " ".join(
            ["lidendrite report", f"--scale {data['scale']}"]
            + ([f"--config {args.config}"] if args.config else [])
            + ([f"--directory {args.directory}"] if args.directory else [])
            + [f"--readme {args.readme}"])
        kept = readme_table_scale(Path(args.readme).read_text())
        if update_readme(args.readme, data):
            print(f"{args.readme}: table updated")
        elif kept and kept != data["scale"]:
            print(f"{args.readme}: table kept: it holds a {kept} run, larger than this {data['scale']} run")
        else:
            print(f"{args.readme}: table unchanged (or no replication-table markers)")
    return 0
