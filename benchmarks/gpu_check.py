"""GPU check (issue 30): QEq ConstP scaling vs the paper's V100, the paper-size DPMD + PLUMED step, the DP-QEq step.

One prepared run (``benchmarks/gpu_check.sh``; under 8 minutes on one H100)
that times, on whatever device each framework uses (printed first):

1. ``qeq``: one ConstP QEq solve + forces at 500 ... 16000 atoms
   (:func:`qeq_scaling.time_one`, the lpsc sandwich, PME), next to the ec paper's
   V100 times (SI Table S2). Goal: faster than the V100 at every N.
2. ``dpmd``: LAMMPS ``pair_style deepmd`` NPT on the 4833-atom lpsc sandwich
   (config/paper.yaml), without and with the PLUMED moving restraint on the
   cut-off CV (:mod:`lpsc_dpmd_throughput`), s/step and the hours 150 ps would
   take. Goal: under 24 h.
3. ``dpqeq``: velocity-Verlet DP-QEq steps on the 3070-atom ConstP cell
   (:mod:`dpqeq_step`), ConstP, warm-started QEq with ``ec.constp.qeq`` (the
   pipeline's QEq settings), DP_short and QEq overlapped; s/step and the hours
   one 300 ps ConstP round would take. Goal: under 24 h.

Models: the pipeline's trained ones of ``--scale`` (``results/<scale>/lpsc/potential/model.pb``,
``results/<scale>/ec/potential/dp_short.pb``) and, with ``--paper-net``, the
same with the papers' network sizes trained 2 steps (``paper_net.py``: timing
only). ``--small`` runs small cells and few steps (ci-scale structures, 500
and 1000 atoms of QEq): a quick check that everything runs, on any machine.
Each section is timed against ``--budget-s``; a section that fails or has no
time left is recorded as such and the others still run. Results are written
after every section: ``benchmarks/results/gpu_check.{json,md}`` (``--small``:
``gpu_check_small.*``).

Usage::

    benchmarks/gpu_check.sh                    # the full check (GPU node, after make setup GPU=1)
    benchmarks/gpu_check.sh --small            # seconds-to-minutes smoke run on a CPU
    benchmarks/gpu_check.sh --prepare          # only build the cells (and --paper-net models), any machine

The cells (3070 and 4833 atoms; packmol, a few CPU minutes) and the paper-size
models are built once into ``--workdir`` (``results/gpu_check/``); build them
with ``--prepare`` on a CPU machine first so that GPU time only times.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from _provenance import provenance  # noqa: E402
from qeq_scaling import PAPER_V100  # noqa: E402

#: the papers' run lengths that the goals are about (lpsc Methods 2.2; ec SI 2.1)
LPSC_RUN_STEPS = 150_000
EC_ROUND_STEPS = 300_000
GOAL_HOURS = 24.0


def cell_paths(workdir: Path, small: bool) -> dict[str, Path]:
    tag = "ci" if small else "paper"
    return {"lpsc": workdir / f"lpsc-sandwich-{tag}.extxyz", "ec": workdir / f"ec-constp-{tag}.extxyz"}


def build_cells(workdir: Path, small: bool) -> dict[str, Path]:
    """The lpsc sandwich and the ec ConstP double interface of the ci (small) or paper config, cached."""
    from ase.io import write

    from lidendrite.config import load_config
    from lidendrite.structures.cli import build, builder_params
    from lidendrite.structures.ec import cut_double_interface

    cfg = load_config("ci" if small else "paper")
    paths = cell_paths(workdir, small)
    workdir.mkdir(parents=True, exist_ok=True)
    if not paths["lpsc"].is_file():
        write(paths["lpsc"], build("lpsc-sandwich", builder_params("lpsc-sandwich", cfg)), format="extxyz")
    if not paths["ec"].is_file():
        sl = build("ec-superlattice", builder_params("ec-superlattice", cfg))
        write(paths["ec"], cut_double_interface(sl, **cfg["ec"]["structures"]["cut"]), format="extxyz")
    return paths


def models(results: Path, scale: str, workdir: Path, paper_net: bool) -> dict[str, dict[str, Path]]:
    """``{study: {name: frozen model}}``: the trained ``scale`` models, plus paper-size ones."""
    from lpsc_dpmd_throughput import trained_model

    lpsc_pb, lpsc_input, _ = trained_model(results, scale)
    ec_pot = results / scale / "ec" / "potential"
    out = {"lpsc": {scale: lpsc_pb}, "ec": {scale: ec_pot / "dp_short.pb"}}
    for study, by_name in out.items():
        if not by_name[scale].is_file():
            raise SystemExit(f"gpu_check: no {study} model {by_name[scale]}: run the {scale} pipeline first "
                             f"(make test for ci) or pass --results/--scale")
    if paper_net:
        from paper_net import paper_size_model

        ec_input = next((p for p in (ec_pot / "final_work" / "dp_short0" / "input.json",
                                     ec_pot / "final" / "dp_short0" / "input.json") if p.is_file()), None)
        for study, train_input in (("lpsc", lpsc_input), ("ec", ec_input)):
            if train_input is None or not Path(train_input).is_file():
                raise SystemExit(f"gpu_check --paper-net: no {study} training input.json under {results / scale}")
            out[study]["paper_net"], _ = paper_size_model(train_input, study, workdir / f"{study}_paper_net")
    return out


def run_qeq(sizes: list[int], repeats: int) -> dict:
    from qeq_scaling import time_one

    rows = []
    for n in sizes:
        row = time_one(n, repeats, method="pme")
        row["faster_than_v100"] = row["seconds"] < PAPER_V100[n]
        rows.append(row)
        print("qeq", json.dumps({k: row[k] for k in ("n_atoms", "seconds", "paper_v100_seconds")}), flush=True)
    return {"rows": rows, "goal_met": all(r["faster_than_v100"] for r in rows) and len(rows) == len(PAPER_V100)}


def run_dpmd(structure: Path, lpsc_models: dict[str, Path], steps: int, workdir: Path, scale_cfg: str) -> dict:
    from ase.io import read
    from lpsc_dpmd_throughput import run_plain, run_with_plumed

    from lidendrite.config import load_config

    cfg = load_config(scale_cfg)
    sampling = dict(cfg["lpsc"]["sampling"])
    type_map = list(cfg["lpsc"]["training"]["type_map"])
    out = {"n_atoms": len(read(structure, index=0)), "structure": str(structure), "steps": steps, "models": {}}
    for name, pb in lpsc_models.items():
        plain = run_plain(structure, pb.resolve(), workdir / f"dpmd_{name}_plain", steps, sampling, type_map)
        biased = run_with_plumed(structure, pb.resolve(), workdir / f"dpmd_{name}_plumed", steps, sampling, type_map)
        s_plain, s_biased = plain["loop_s"] / plain["steps"], biased["loop_s"] / biased["steps"]
        hours = LPSC_RUN_STEPS * s_biased / 3600
        out["models"][name] = {"model": str(pb), "s_per_step_plain": s_plain, "s_per_step_plumed": s_biased,
                               "plumed_share": (s_biased - s_plain) / s_biased,
                               "hours_for_150ps": hours, "goal_met": hours < GOAL_HOURS}
        print("dpmd", name, json.dumps(out["models"][name]), flush=True)
    return out


def run_dpqeq(structure: Path, ec_models: dict[str, Path], steps: int, scale_cfg: str) -> dict:
    from ase.io import read
    from dpqeq_step import electrode_setup, make_calc, run_steps, summarise

    from lidendrite.config import load_config

    cfg = load_config(scale_cfg)
    atoms = read(structure, index=0)
    setup = electrode_setup(atoms, cfg)  # the config's ec.bias
    qeq = dict(cfg["ec"]["constp"]["qeq"])  # the pipeline's ConstP QEq settings
    out = {"n_atoms": len(atoms), "structure": str(structure), "steps": steps, "constp_setup": setup,
           "qeq_settings": qeq, "models": {}}
    for name, pb in ec_models.items():
        calc = make_calc(pb, "constp", True, setup, {"qeq": qeq})
        row = summarise([run_steps(atoms, *calc, steps, seed=0)])
        hours = EC_ROUND_STEPS * row["median_step_s"] / 3600
        out["models"][name] = {"model": str(pb), **row, "hours_for_300ps_round": hours, "goal_met": hours < GOAL_HOURS}
        print("dpqeq", name, json.dumps(out["models"][name]), flush=True)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="ci-size cells, QEq at 500 and 1000 atoms, few steps")
    ap.add_argument("--prepare", action="store_true", help="only build the cells (and --paper-net models), then stop")
    ap.add_argument("--results", type=Path, default=REPO / "results", help="the pipeline's results folder")
    ap.add_argument("--scale", default="ci", help="scale whose trained models are timed (results/<scale>/)")
    ap.add_argument("--paper-net", action="store_true", help="also time the papers' network sizes")
    ap.add_argument("--qeq-sizes", type=int, nargs="+", default=None)
    ap.add_argument("--qeq-repeats", type=int, default=3)
    ap.add_argument("--md-steps", type=int, default=None, help="DPMD steps per run (default 200; --small 5)")
    ap.add_argument("--dpqeq-steps", type=int, default=None, help="DP-QEq steps per model (default 20; --small 3)")
    ap.add_argument("--budget-s", type=float, default=450.0, help="start no section after this many seconds")
    ap.add_argument("--workdir", type=Path, default=REPO / "results" / "gpu_check",
                    help="cells and paper-size models, built once (git-ignored, under results/)")
    ap.add_argument("--outdir", type=Path, default=HERE / "results")
    ap.add_argument("--note", default="")
    args = ap.parse_args(argv)
    t_start = time.perf_counter()
    load0 = os.getloadavg()
    small = args.small
    sizes = args.qeq_sizes or ([500, 1000] if small else sorted(PAPER_V100))
    md_steps = args.md_steps or (5 if small else 200)
    dpqeq_steps = args.dpqeq_steps or (3 if small else 20)
    cfg_scale = "ci" if small else "paper"

    cells = build_cells(args.workdir, small)
    nets = models(args.results, args.scale, args.workdir, args.paper_net)
    if args.prepare:
        print(json.dumps({"cells": {k: str(v) for k, v in cells.items()},
                          "models": {s: {k: str(v) for k, v in m.items()} for s, m in nets.items()}}))
        return 0

    from lidendrite.devices import component_devices, visible_gpus

    stem = args.outdir / ("gpu_check_small" if small else "gpu_check")
    rec = {
        "what": "QEq ConstP solve vs atoms (paper V100, ec SI Table S2), DPMD + PLUMED step, DP-QEq step",
        "small": small,
        "devices": component_devices(),
        "gpus_visible": visible_gpus(),
        "models_scale": args.scale,
        "paper_v100_seconds": PAPER_V100,
        "goals": {"qeq": "faster than the V100 at every N", "dpmd": f"{LPSC_RUN_STEPS} steps in < {GOAL_HOURS} h",
                  "dpqeq": f"{EC_ROUND_STEPS} steps (one ConstP round) in < {GOAL_HOURS} h"},
        "sections": {},
    }
    sections = [
        ("qeq", lambda: run_qeq(sizes, args.qeq_repeats)),
        ("dpmd", lambda: run_dpmd(cells["lpsc"], nets["lpsc"], md_steps, args.workdir, cfg_scale)),
        ("dpqeq", lambda: run_dpqeq(cells["ec"], nets["ec"], dpqeq_steps, cfg_scale)),
    ]
    for name, fn in sections:
        elapsed = time.perf_counter() - t_start
        if elapsed > args.budget_s:
            rec["sections"][name] = {"skipped": f"budget: {elapsed:.0f} s > --budget-s {args.budget_s:.0f}"}
        else:
            t0 = time.perf_counter()
            try:
                rec["sections"][name] = fn()
            except Exception as exc:  # record and go on: one GPU session must time the rest
                msg = (str(exc).strip().splitlines() or [""])[0]
                rec["sections"][name] = {"error": f"{type(exc).__name__}: {msg}"}
                print(f"{name}: {type(exc).__name__}: {msg}", file=sys.stderr, flush=True)
            rec["sections"][name]["wall_s"] = time.perf_counter() - t0
            if small:  # the goals are about the papers' cells and every N of Table S2
                _no_goals(rec["sections"][name])
        rec["provenance"] = provenance(load0, command="benchmarks/gpu_check.py " + " ".join(argv or sys.argv[1:]),
                                       note=args.note, total_wall_s=time.perf_counter() - t_start)
        write(stem, rec)
    print(stem.with_suffix(".md").read_text())
    failed = [k for k, v in rec["sections"].items() if "error" in v]
    return 1 if failed else 0


def _no_goals(section: dict) -> None:
    for item in [section, *section.get("models", {}).values()]:
        if "goal_met" in item:
            item["goal_met"] = None


def _goal(value) -> str:
    return "n/a (small cell)" if value is None else ("yes" if value else "no")


def write(stem: Path, rec: dict) -> None:
    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(".json").write_text(json.dumps(rec, indent=1, default=str) + "\n")
    stem.with_suffix(".md").write_text(markdown(rec))


def markdown(rec: dict) -> str:
    p = rec.get("provenance", {})
    gpus = rec["gpus_visible"]
    lines = [
        "# GPU check: QEq vs the paper's V100, DPMD + PLUMED step, DP-QEq step" + (" (--small)" if rec["small"] else ""),
        "",
        f"Date {p.get('date')}, commit {p.get('commit')}, {p.get('machine')}; GPUs visible: "
        + (", ".join(gpus) if gpus else "none") + f". Total {p.get('total_wall_s', 0):.0f} s. "
        f"Command: `{p.get('command')}`.",
        "",
        "Devices: " + "; ".join(f"{k}: {v}" for k, v in rec["devices"].items()) + ".",
        "",
    ]
    sec = rec["sections"]
    for name, title in (("qeq", "QEq ConstP solve + forces (lpsc sandwich, PME)"),
                        ("dpmd", "DPMD NPT step, lpsc sandwich, with the PLUMED moving restraint"),
                        ("dpqeq", "DP-QEq MD step, ec ConstP cell (warm-started QEq, overlapped)")):
        lines += [f"## {title}", ""]
        s = sec.get(name)
        if s is None:
            lines += ["not run", ""]
            continue
        if "error" in s or "skipped" in s:
            lines += [f"{s.get('error') or s.get('skipped')}", ""]
            continue
        if name == "qeq":
            lines += ["| N (atoms) | this run (s) | paper V100 (s) | faster | iterations | first call (s) |",
                      "|---:|---:|---:|---|---:|---:|"]
            for r in s["rows"]:
                lines.append(f"| {r['n_atoms']} | {r['seconds']:.3f} | {r['paper_v100_seconds']:.3f} | "
                             f"{'yes' if r['faster_than_v100'] else 'no'} | {r['iterations']} | {r['first_call_seconds']:.1f} |")
            met = {None: "n/a (--small)", True: "met", False: "not met"}[s["goal_met"]]
            lines += ["", f"Goal (faster than the V100 at every N of Table S2): {met}."]
        elif name == "dpmd":
            lines += [f"{s['n_atoms']} atoms, {s['steps']} steps per run; LAMMPS Loop time per step.", "",
                      "| model | s/step plain | s/step with PLUMED | PLUMED share | 150 ps would take (h) | < 24 h |",
                      "|---|---:|---:|---:|---:|---|"]
            for m, r in s["models"].items():
                lines.append(f"| {m} | {r['s_per_step_plain']:.4f} | {r['s_per_step_plumed']:.4f} | "
                             f"{100 * r['plumed_share']:.0f} % | {r['hours_for_150ps']:.1f} | {_goal(r['goal_met'])} |")
        else:
            lines += [f"{s['n_atoms']} atoms, {s['steps']} steps per model (first call and first step excluded); "
                      f"ConstP {s['constp_setup']}; QEq {s['qeq_settings']}.", "",
                      "| model | s/step (median) | DP_short (s) | QEq (s) | QEq iterations | 300 ps round would take (h) | < 24 h |",
                      "|---|---:|---:|---:|---:|---:|---|"]
            for m, r in s["models"].items():
                lines.append(f"| {m} | {r['median_step_s']:.4f} | {r['median_dp_short_s']:.4f} | {r['median_qeq_s']:.4f} | "
                             f"{r['median_qeq_iterations']:.0f} | {r['hours_for_300ps_round']:.1f} | {_goal(r['goal_met'])} |")
        lines += ["", f"Section wall time {s['wall_s']:.0f} s.", ""]
    if p.get("note"):
        lines += [f"Note: {p['note']}", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
