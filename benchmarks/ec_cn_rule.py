"""Which ConstP CN rule reproduces the paper's bias response? ``paper`` against ``authors``.

From the ConstQ-equilibrated double interface (the start of the bias study) runs
ConstP DP-QEq NVT at phi_anode = -1 V and -2 V (phi_cathode = +6 V) with each rule
(``ec.constp.bias_study`` otherwise: cn_cutoff, cn_metal, QEq and MD settings of the
config), and records per run

* the normalised anode and cathode Li charge (mean over the last half of the frames),
* how often the bias of a Li switched on or off between frames, and the mean number
  of biased Li per electrode,
* the end temperature.

The effect the paper reports is the anode Li charge at -2 V minus at -1 V (+0.11 e).

Usage::

    .venv/bin/python benchmarks/ec_cn_rule.py --results results/demo --steps 1000 \\
        --out benchmarks/results/ec_cn_rule
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

import numpy as np
from _provenance import provenance


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--results", type=Path, default=Path("results/demo"))
    p.add_argument("--scale", default="demo")
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--rules", nargs="+", default=["paper", "authors"])
    p.add_argument("--phis", nargs="+", type=float, default=[-1.0, -2.0])
    p.add_argument("--out", type=Path, default=Path("benchmarks/results/ec_cn_rule"))
    p.add_argument("--note", default="")
    args = p.parse_args()

    from lidendrite.config import load_config
    from lidendrite.constp.cycle import plateau_mean, run_stage, summarise_stage
    from lidendrite.constp.stages import dpqeq_factory, md_settings
    from lidendrite.md.driver import read_frames
    from lidendrite.qeq.bias import ElectrodeBias
    from lidendrite.structures.extxyz import read_structure

    full_cfg = load_config(args.scale)
    cfg = full_cfg["ec"]["constp"]
    start = args.results / "ec" / "constp" / "constq_nvt" / "final.extxyz"
    model = args.results / "ec" / "potential" / "dp_short.pb"
    load0 = os.getloadavg()
    rows = []
    for rule in args.rules:
        for phi in args.phis:
            md = md_settings(cfg, "nvt", args.steps, confine_z=True)
            with tempfile.TemporaryDirectory() as tmp:
                traj = Path(tmp) / "traj.extxyz"
                res = run_stage(
                    read_structure(start),
                    mode="constp",
                    md=md,
                    traj=traj,
                    final=Path(tmp) / "final.extxyz",
                    workdir=Path(tmp) / "w",
                    calc_factory=dpqeq_factory(model, cfg["qeq"]),
                    bias=ElectrodeBias.from_config(full_cfg["ec"]["bias"], {"cn_rule": rule})
                    .with_potentials(phi, full_cfg["ec"]["bias"]["phi_cathode"]),
                    info={"round": 1, "series": "cn_rule"},
                    name=f"{rule} {phi:+g} V",
                )
                ch = summarise_stage(traj)
                frames = read_frames(traj)
            biased = np.array([np.asarray(f.arrays["bias"]) != 0 for f in frames])
            switches = int(np.sum(biased[1:] != biased[:-1]))
            t = np.asarray(res["thermo"]["temperature_K"])
            row = {
                "cn_rule": rule,
                "phi_anode": phi,
                "phi_cathode": full_cfg["ec"]["bias"]["phi_cathode"],
                "anode_li_charge": plateau_mean(ch["series"]["anode_li_charge"], 0.5),
                "cathode_li_charge": plateau_mean(ch["series"]["cathode_li_charge"], 0.5),
                "n_biased_anode": float(np.mean(ch["series"]["n_biased_anode"])),
                "n_biased_cathode": float(np.mean(ch["series"]["n_biased_cathode"])),
                "bias_switches_between_frames": switches,
                "n_frames": len(frames),
                "T_end_K": float(t[-max(1, len(t) // 4) :].mean()),
                "seconds_per_step": res["seconds_per_step"],
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    meta = provenance(
        load0,
        start=str(start),
        model=str(model),
        steps=args.steps,
        timestep_fs=cfg["timestep_fs"],
        note=args.note,
        command=f"benchmarks/ec_cn_rule.py --results {args.results} --steps {args.steps}",
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    Path(f"{args.out}.json").write_text(json.dumps({"meta": meta, "runs": rows}, indent=1))
    lines = [
        "# ec ConstP: the paper's CN rule against the authors' (bias response)",
        "",
        f"{meta['date']}, commit {meta['commit']}, {meta['machine']}. Start `{start}`, model `{model}`; "
        f"{args.steps} NVT steps of {cfg['timestep_fs']} fs per run, phi_cathode {cfg['phi_cathode']:+g} V. "
        f"Load average before/after: {load0[0]:.1f} / {os.getloadavg()[0]:.1f}. {args.note}",
        "",
        "| CN rule | phi_anode (V) | anode Li charge (e) | cathode Li charge (e) | biased Li anode / cathode | bias switches | T end (K) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['cn_rule']} | {r['phi_anode']:+g} | {r['anode_li_charge']:.4f} | "
            f"{r['cathode_li_charge']:.4f} | {r['n_biased_anode']:.1f} / {r['n_biased_cathode']:.1f} | "
            f"{r['bias_switches_between_frames']} | {r['T_end_K']:.0f} |"
        )
    lines += [
        "",
        "Anode effect (charge at the most negative minus the least negative phi_anode; paper +0.11 e):",
        "",
    ]
    for rule in args.rules:
        rr = sorted((r for r in rows if r["cn_rule"] == rule), key=lambda r: abs(r["phi_anode"]))
        if len(rr) >= 2:
            lines.append(f"- {rule}: {rr[-1]['anode_li_charge'] - rr[0]['anode_li_charge']:+.4f} e")
    lines += ["", f"Command: `{meta['command']}`", ""]
    Path(f"{args.out}.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
