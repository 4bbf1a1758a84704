"""Effect of solving the QEq charges only every n-th MD step (``ec.constp.qeq_every``).

The ec authors' public code re-solves the charges every 3rd step (warm-started);
between solves the forces are taken at the last charges. This runs NVE DP-QEq MD
(velocity Verlet, no thermostat, so the total energy E_pot + E_kin should be
conserved) of the double interface for qeq_every = 1 and 3 from the same start
and velocities, in ConstQ and in ConstP (-2 / +6 V), and records

* the drift of the total energy, read on the steps where both runs solved
  (multiples of 3): max |E(t) - E(0)| and the least-squares slope (meV/atom/ps);
* the charge lag: max |Q(t+3) - Q(t)| between consecutive solves of the
  qeq_every = 3 run (an upper bound of how stale the held charges get), and the
  largest charge difference between the two runs at the last common solved step;
* seconds per step.

Usage (ci-scale model and structure of a finished ci run)::

    .venv/bin/python benchmarks/qeq_every.py \
        --model results/ci/ec/potential/dp_short.pb \
        --structure results/ci/ec/constp/double_interface.extxyz \
        --steps 60 --timestep-fs 0.5 --out benchmarks/results/qeq_every
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np


def run(model, structure, mode, every, steps, dt, temperature, seed):
    from ase.io import read

    from lidendrite.config import load_config
    from lidendrite.dpqeq.calculator import DPQEqCalculator
    from lidendrite.md.driver import MDSettings, run_md
    from lidendrite.qeq.bias import ElectrodeBias

    atoms = read(structure)
    extra = {}
    if mode == "constp":
        extra = ElectrodeBias.from_config(load_config("demo")["ec"]["bias"]).qeq_settings(atoms)
        extra.pop("mode")
    calc = DPQEqCalculator(model, {"params": "ec", "tol": 1e-6, "warm_start": True}, mode=mode,
                           **extra)
    rec = []

    def record(a, c, step):
        rec.append((step, bool(c.hold_charges), a.get_potential_energy(), a.get_kinetic_energy(),
                    np.asarray(c.results["charges"]).copy(), np.asarray(c.results["phi"]).copy()))

    s = MDSettings(ensemble="nve", n_steps=steps, timestep_fs=dt, temperature_K=temperature,
                   sample_every=every * (steps // every), restart_every=every * (steps // every),
                   log_every=steps, qeq_every=every, seed=seed)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        run_md(atoms, calc, s, traj=Path(tmp) / "t.extxyz", workdir=Path(tmp) / "w",
               check=record, name=f"{mode} qeq_every={every}")
        wall = time.perf_counter() - t0
    return rec, wall / steps, len(atoms)


def drift(rec, n_atoms, dt, stride):
    pts = [(r[0], r[2] + r[3]) for r in rec if r[0] % stride == 0]
    t = np.array([p[0] for p in pts]) * dt / 1000.0
    e = np.array([p[1] for p in pts])
    slope = np.polyfit(t, e, 1)[0] if len(t) > 1 else float("nan")
    return {
        "max_abs_dE_meV_per_atom": float(np.max(np.abs(e - e[0])) / n_atoms * 1000.0),
        "slope_meV_per_atom_per_ps": float(slope / n_atoms * 1000.0),
        "n_points": len(pts),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--structure", required=True)
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--timestep-fs", type=float, default=0.5)
    ap.add_argument("--temperature", type=float, default=300.0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default="benchmarks/results/qeq_every")
    args = ap.parse_args()
    out = {"model": args.model, "structure": args.structure, "steps": args.steps,
           "timestep_fs": args.timestep_fs, "ensemble": "nve", "runs": {}}
    for mode in ("constq", "constp"):
        recs = {}
        for every in (1, 3):
            rec, sps, n = run(args.model, args.structure, mode, every, args.steps,
                              args.timestep_fs, args.temperature, args.seed)
            recs[every] = rec
            lag = [np.max(np.abs(rec[k][4] - rec[k - 3][4])) for k in range(3, len(rec), 3)
                   if not rec[k][1]]
            out["runs"][f"{mode}_every{every}"] = {
                "seconds_per_step": sps,
                "n_atoms": n,
                "qeq_solves": int(sum(not r[1] for r in rec)),
                "drift_on_common_solved_steps": drift(rec, n, args.timestep_fs, 3),
                "drift_every_step": drift(rec, n, args.timestep_fs, 1),
                "max_charge_change_between_solves_e": float(max(lag)) if lag else None,
                # ConstP: Li entering / leaving the CN-selected set (eq. 6 switches phi_i
                # on or off), summed over consecutive steps
                "bias_switches": int(sum(np.count_nonzero(rec[k][5] != rec[k - 1][5])
                                         for k in range(1, len(rec)))),
            }
        last = max(k for k in range(len(recs[1])) if recs[1][k][0] % 3 == 0)
        out["runs"][f"{mode}_every3"]["max_charge_diff_vs_every1_at_last_common_step_e"] = float(
            np.max(np.abs(recs[1][last][4] - recs[3][last][4])))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(f"{args.out}.json").write_text(json.dumps(out, indent=2))
    lines = ["# QEq solved every n-th step: energy conservation and charges (NVE DP-QEq)", "",
             f"Model `{args.model}`, structure `{args.structure}` ({n} atoms), "
             f"{args.steps} NVE steps of {args.timestep_fs} fs, seed {args.seed}. "
             "Drift read on the steps where both runs solved (multiples of 3).", "",
             "| run | s/step | solves | max abs dE (meV/atom) | slope (meV/atom/ps) | "
             "every-step max abs dE (meV/atom) | max abs dQ between solves (e) | bias switches |",
             "|---|---|---|---|---|---|---|---|"]
    for k, r in out["runs"].items():
        d, d1 = r["drift_on_common_solved_steps"], r["drift_every_step"]
        lag = r["max_charge_change_between_solves_e"]
        lines.append(f"| {k} | {r['seconds_per_step']:.3f} | {r['qeq_solves']} | "
                     f"{d['max_abs_dE_meV_per_atom']:.3f} | {d['slope_meV_per_atom_per_ps']:.2f} | "
                     f"{d1['max_abs_dE_meV_per_atom']:.3f} | "
                     f"{'-' if lag is None else f'{lag:.4f}'} | {r['bias_switches']} |")
    Path(f"{args.out}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
