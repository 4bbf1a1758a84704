"""ConstQ DP-QEq NVT of the ec double interface under several pre-MD and thermostat settings.

Each case runs the pipeline's own stage code (``lidendrite.constp.cycle.run_stage``
with the config's ``ec.constp`` settings, overridden per case) from one start, so
the cases differ only in what they name: ``minimize_steps`` (FIRE with the DP-QEq
potential before MD) and ``tdamp_fs`` (Nose-Hoover chain damping). Per case it
records the temperature trace, the end temperature (mean of the last quarter of the
frames), the largest temperature and the energy released by the minimisation.

Usage::

    .venv/bin/python benchmarks/ec_thermostat.py --results results/demo --steps 1000 \\
        --case none:0:100 --case min:300:100 --case min_tdamp20:300:20 \\
        --out benchmarks/results/ec_thermostat
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
    p.add_argument(
        "--structure",
        type=Path,
        default=None,
        help="start without velocities (default: <results>/ec/constp/double_interface.extxyz)",
    )
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument(
        "--case", action="append", required=True, help="name:minimize_steps:tdamp_fs (repeatable)"
    )
    p.add_argument("--out", type=Path, default=Path("benchmarks/results/ec_thermostat"))
    p.add_argument("--note", default="")
    args = p.parse_args()

    from lidendrite.config import load_config
    from lidendrite.constp.cycle import run_stage
    from lidendrite.constp.stages import dpqeq_factory, md_settings
    from lidendrite.structures.extxyz import read_structure

    cfg = load_config(args.scale)["ec"]["constp"]
    start = args.structure or args.results / "ec" / "constp" / "double_interface.extxyz"
    model = args.results / "ec" / "potential" / "dp_short.pb"
    rule = next(iter(cfg["series"].values()))
    load0 = os.getloadavg()
    rows = []
    for case in args.case:
        name, n_min, tdamp = case.split(":")
        md = md_settings(
            {
                **cfg,
                "minimize_steps": int(n_min),
                "tdamp_fs": float(tdamp),
                "max_temperature_K": None,
            },
            "nvt",
            args.steps,
            confine_z=True,
        )
        atoms = read_structure(start)
        if atoms.has("momenta"):
            atoms.set_momenta(np.zeros((len(atoms), 3)))
        with tempfile.TemporaryDirectory() as tmp:
            res = run_stage(
                atoms,
                mode="constq",
                md=md,
                traj=Path(tmp) / "t.extxyz",
                final=Path(tmp) / "f.extxyz",
                workdir=Path(tmp) / "w",
                calc_factory=dpqeq_factory(model, cfg["qeq"], rule),
                info={"round": 0},
                name=name,
            )
        t = np.asarray(res["thermo"]["temperature_K"])
        row = {
            "case": name,
            "minimize_steps": int(n_min),
            "tdamp_fs": float(tdamp),
            "minimized": res["minimized"],
            "T_end_K": float(t[-max(1, len(t) // 4) :].mean()),
            "T_max_K": float(t.max()),
            "seconds_per_step": res["seconds_per_step"],
            "thermo": res["thermo"],
        }
        rows.append(row)
        print(json.dumps({k: v for k, v in row.items() if k != "thermo"}), flush=True)
    meta = provenance(
        load0,
        start=str(start),
        model=str(model),
        steps=args.steps,
        timestep_fs=cfg["timestep_fs"],
        note=args.note,
        command="benchmarks/ec_thermostat.py --results {} --steps {} {}".format(
            args.results, args.steps, " ".join(f"--case {c}" for c in args.case)
        ),
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    Path(f"{args.out}.json").write_text(json.dumps({"meta": meta, "runs": rows}, indent=1))
    lines = [
        "# ec ConstQ DP-QEq NVT: minimisation before MD and thermostat damping",
        "",
        f"{meta['date']}, commit {meta['commit']}, {meta['machine']}. Start `{start}` (no velocities), model "
        f"`{model}`; {args.steps} NVT steps of {cfg['timestep_fs']} fs at {cfg['temperature_K']:g} K. "
        f"Load average before/after: {load0[0]:.1f} / {os.getloadavg()[0]:.1f}. {args.note}",
        "",
        "| case | minimisation steps | E released (meV/atom) | tdamp (fs) | T max (K) | T end (K, last quarter) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        m = r["minimized"]
        released = f"{m['energy_drop_meV_per_atom']:.1f}" if m else "-"
        lines.append(
            f"| {r['case']} | {r['minimize_steps']} | {released} | {r['tdamp_fs']:g} | "
            f"{r['T_max_K']:.0f} | {r['T_end_K']:.0f} |"
        )
    lines += ["", f"Command: `{meta['command']}`", ""]
    Path(f"{args.out}.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
