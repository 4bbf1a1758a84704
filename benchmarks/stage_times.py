"""Wall time per pipeline stage from Snakemake's benchmark files.

Each rule writes ``results/<scale>/benchmarks/<rule>/<wildcards>.tsv`` (its
``benchmark:`` directive); a stage is the set of rules defined in the rule
files listed below, so the table follows the issues' time budgets (each study
part under 5 min at ci, under 15 min at demo, on 2 cores).  Times are the sum of
the jobs' wall times: with two jobs side by side a stage ends sooner on the
clock, with one job at a time (2-thread jobs on 2 cores) the two agree.

Usage::

    python benchmarks/stage_times.py --scale demo [--results results] [--goal-min 15]

prints a Markdown table (stage, rules, jobs, seconds, minutes, goal met or not)
and the five slowest jobs.
"""

from __future__ import annotations

import argparse
import csv
import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: stage name -> rule files whose rules belong to it (the issues' split)
STAGES: dict[str, tuple[str, ...]] = {
    "structures (both studies)": ("structures.smk",),
    "lpsc potential (issue 4)": ("lpsc_potential.smk",),
    "lpsc sampling + analysis + figures (issue 5)": (
        "lpsc_sampling.smk",
        "lpsc_analysis.smk",
        "lpsc_figures.smk",
    ),
    "ec potential (issue 6)": ("ec_potential.smk",),
    "ec validation + cycle + analyses (issue 7)": (
        "ec_validation.smk",
        "ec_cycle.smk",
        "ec_analysis.smk",
    ),
    "report (issue 8)": ("report.smk",),
}
#: stages with a time budget (the others are shared or bookkeeping)
BUDGETED = {name for name in STAGES if "issue" in name and "report" not in name}


def rules_of(rule_file: Path) -> list[str]:
    """Names of the rules a ``.smk`` file defines."""
    return re.findall(r"^rule\s+(\w+)\s*:", rule_file.read_text(), flags=re.M)


def job_walls(bench_dir: Path) -> dict[str, list[tuple[str, float]]]:
    """``{rule: [(wildcards, wall s), ...]}`` from every benchmark TSV (last line of each)."""
    out: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for tsv in sorted(bench_dir.glob("*/*.tsv")):
        rows = list(csv.DictReader(tsv.open(), delimiter="\t"))
        if rows:
            out[tsv.parent.name].append((tsv.stem, float(rows[-1]["s"])))
    return out


def stage_table(scale: str, results: Path, goal_min: float) -> str:
    walls = job_walls(results / scale / "benchmarks")
    lines = [
        "| stage | rules (jobs) | sum of job wall times (s) | min | goal |",
        "|---|---|---:|---:|---|",
    ]
    seen: set[str] = set()
    total = 0.0
    for stage, files in STAGES.items():
        rules = [r for f in files for r in rules_of(ROOT / "rules" / f)]
        seen.update(rules)
        jobs = [w for r in rules for _, w in walls.get(r, [])]
        n_rules = sum(1 for r in rules if r in walls)
        s = sum(jobs)
        total += s
        if stage in BUDGETED:
            goal = f"< {goal_min:g} min: {'met' if s < 60 * goal_min else 'NOT met'}"
            if not jobs:
                goal = "not run"
        else:
            goal = ""
        lines.append(f"| {stage} | {n_rules} ({len(jobs)}) | {s:.0f} | {s / 60:.1f} | {goal} |")
    other = {r: v for r, v in walls.items() if r not in seen}
    if other:
        s = sum(w for v in other.values() for _, w in v)
        total += s
        lines.append(f"| other ({', '.join(sorted(other))}) | {len(other)} | {s:.0f} | {s / 60:.1f} | |")
    lines.append(f"| **all** | | **{total:.0f}** | **{total / 60:.1f}** | |")
    slow = sorted(
        ((w, f"{r} [{wc}]") for r, v in walls.items() for wc, w in v), reverse=True
    )[:5]
    lines.append("")
    lines.append("Slowest jobs: " + ", ".join(f"{name} {w:.0f} s" for w, name in slow) + ".")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", default="demo", choices=["ci", "demo", "paper"])
    ap.add_argument("--results", type=Path, default=Path("results"))
    ap.add_argument(
        "--goal-min", type=float, default=None, help="budget per study part (ci 5, demo 15)"
    )
    args = ap.parse_args()
    goal = args.goal_min if args.goal_min is not None else (5.0 if args.scale == "ci" else 15.0)
    print(stage_table(args.scale, args.results, goal))


if __name__ == "__main__":
    main()
