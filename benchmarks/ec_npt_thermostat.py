"""ConstQ DP-QEq NPT of the ec superlattice under several Nose-Hoover times of the NPT thermostat.

Each case runs the pipeline's own NPT stage (``lidendrite.constp.stages.run_npt``,
the config's ``ec.constp`` with ``npt.ttime_fs`` and ``npt.n_steps`` overridden)
from the same structure and model, so the cases differ only in what they name.
Per case: the temperature trace, the end temperature (mean of the last quarter
of the frames, the pipeline's criterion) and the largest temperature.

Usage::

    .venv/bin/python benchmarks/ec_npt_thermostat.py --results results/demo \\
        --case 25:300 --case 100:300 --out benchmarks/results/ec_npt_thermostat
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
from _provenance import provenance


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--results", type=Path, default=Path("results/demo"))
    p.add_argument("--scale", default="demo")
    p.add_argument("--case", action="append", required=True, help="TTIME_FS:N_STEPS")
    p.add_argument("--out", type=Path, required=True)
    a = p.parse_args()
    load0 = os.getloadavg()

    from lidendrite.config import load_config
    from lidendrite.constp import stages

    cfg0 = load_config(a.scale)["ec"]["constp"]
    ec = a.results / "ec"
    structure = ec / "structures" / "ec-superlattice.extxyz"
    model, prov = ec / "potential" / "dp_short.pb", ec / "potential" / "final_models.json"
    cases = {}
    for spec in a.case:
        ttime, n_steps = float(spec.split(":")[0]), int(spec.split(":")[1])
        cfg = copy.deepcopy(cfg0)
        cfg["npt"].update(ttime_fs=ttime, n_steps=n_steps)
        with tempfile.TemporaryDirectory() as tmp:
            t = Path(tmp)
            res = stages.run_npt(structure, model, prov, cfg, traj=t / "traj.extxyz",
                                 final=t / "final.extxyz", summary=t / "stage.json",
                                 workdir=t / "work", scale=a.scale)
        trace = res["thermo"]["temperature_K"]
        tail = trace[-max(1, len(trace) // 4):]
        cases[spec] = {"ttime_fs": ttime, "n_steps": n_steps,
                       "t_end_K": round(float(np.mean(tail)), 1), "t_max_K": round(max(trace), 1),
                       "t_min_after_peak_K": round(min(trace[int(np.argmax(trace)):]), 1),
                       "wall_s": round(res["wall_s"], 1),
                       "time_ps": res["thermo"]["time_ps"], "temperature_K": trace}
        print(spec, {k: v for k, v in cases[spec].items() if k not in ("time_ps", "temperature_K")},
              flush=True)
    out = {"structure": str(structure), "model": str(model), "cases": cases,
           "provenance": provenance(load0, command="python " + " ".join(sys.argv))}
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.with_suffix(".json").write_text(json.dumps(out, indent=1) + "\n")
    plot(out, a.out.with_suffix(".png"))
    lines = ["# ConstQ NPT of the ec superlattice: Nose-Hoover time of the NPT thermostat", "",
             f"{out['provenance']['date']}, commit {out['provenance']['commit']}, "
             f"{out['provenance']['machine']}; `{out['provenance']['command']}`.", "",
             f"Model `{model}`, start `{structure}` (minimised first, as in the pipeline).", "",
             "| NH time (fs) | steps | end T (K, last quarter) | max T (K) | min T after the peak (K) | wall (s) |",
             "|---:|---:|---:|---:|---:|---:|"]
    for c in cases.values():
        lines.append(f"| {c['ttime_fs']:g} | {c['n_steps']} | {c['t_end_K']} | {c['t_max_K']} | "
                     f"{c['t_min_after_peak_K']} | {c['wall_s']} |")
    a.out.with_suffix(".md").write_text("\n".join(lines) + "\n")


def plot(out: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.6))
    longest = max(c["n_steps"] for c in out["cases"].values())
    for c in out["cases"].values():  # shorter runs dashed and wider: they retrace the longer ones
        short = c["n_steps"] < longest
        ax.plot(c["time_ps"], c["temperature_K"], ls="--" if short else "-", lw=2.5 if short else 1.2,
                label=f"NH time {c['ttime_fs']:g} fs, {c['n_steps']} steps (end {c['t_end_K']:.0f} K)")
    ax.axhspan(250, 350, color="0.9", label="300 +- 50 K")
    ax.set_xlabel("time (ps)")
    ax.set_ylabel("kinetic temperature (K)")
    ax.set_title("ConstQ DP-QEq NPT of the ec superlattice", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=130)


if __name__ == "__main__":
    main()
