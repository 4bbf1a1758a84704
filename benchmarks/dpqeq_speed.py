"""DP-QEq MD step on the demo ConstP double interface: today's settings against the speed-ups.

Runs the same velocity-Verlet MD (1 fs, from the same start and velocities) with
each variant, interleaved over ``--rounds`` rounds, and records the median wall
time per step (the first ``--warmup`` steps of each run, which compile, excluded):

* ``sequential, new list each step``: DP_short, then QEq with a fresh neighbour list
  (``skin`` 0) and Ewald sums (``method`` auto: Ewald below 300 atoms), every step: the
  setting before these speed-ups, the baseline;
* ``sequential, Verlet list``: the same with the config's Verlet skin (``ec.constp.qeq.skin``);
* ``overlap``: DP_short on a second thread while QEq solves;
* ``overlap+compressed``: the same with ``dp compress`` of DP_short (tabulated
  embedding nets; Lu et al., JCTC 18, 5559 (2022));
* ``overlap+PME``: the config's QEq settings (``ec.constp.qeq``: Verlet list, PME) with
  the network DP_short: what the pipeline runs;
* ``overlap+compressed+PME``: the same with the compressed DP_short;
* ``overlap+compressed+PME+qeq_every3``: charges re-solved every third step only
  (the ec authors' choice; the other steps keep the last charges, see
  benchmarks/results/qeq_every.md for what that does to energy conservation).

Beside the time, each variant's energy and forces on the first frame are compared
with ``sequential`` (they must agree to the compression's round-off).

Usage::

    .venv/bin/python benchmarks/dpqeq_speed.py --results results/demo --steps 40 --rounds 3 \\
        --out benchmarks/results/dpqeq_speed
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from _provenance import provenance

OLD = {"skin": 0.0, "method": "auto"}  # fresh neighbour list, Ewald below 300 atoms
VARIANTS = {
    "sequential, new list each step": dict(overlap=False, compressed=False, qeq_every=1, qeq=OLD),
    "sequential, Verlet list": dict(overlap=False, compressed=False, qeq_every=1, qeq={"method": "auto"}),
    "overlap": dict(overlap=True, compressed=False, qeq_every=1, qeq={"method": "auto"}),
    "overlap+compressed": dict(overlap=True, compressed=True, qeq_every=1, qeq={"method": "auto"}),
    "overlap+PME (the pipeline's setting)": dict(overlap=True, compressed=False, qeq_every=1, qeq={}),
    "overlap+compressed+PME": dict(overlap=True, compressed=True, qeq_every=1, qeq={}),
    "overlap+compressed+PME+qeq_every3": dict(overlap=True, compressed=True, qeq_every=3, qeq={}),
}


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--results", type=Path, default=Path("results/demo"))
    p.add_argument("--scale", default="demo")
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--out", type=Path, default=Path("benchmarks/results/dpqeq_speed"))
    p.add_argument("--note", default="")
    args = p.parse_args()
    load0 = os.getloadavg()

    from ase import units
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution
    from ase.md.verlet import VelocityVerlet

    from lidendrite.config import load_config
    from lidendrite.dpqeq.calculator import DPQEqCalculator
    from lidendrite.qeq.bias import ElectrodeBias
    from lidendrite.structures.extxyz import read_structure
    from lidendrite.training.deepmd_run import compress

    full_cfg = load_config(scale=args.scale)
    cfg = full_cfg["ec"]["constp"]
    pot = args.results / "ec" / "potential"
    model = pot / "dp_short.pb"
    start = read_structure(args.results / "ec" / "constp" / "double_interface.extxyz")
    bias = ElectrodeBias.from_config(full_cfg["ec"]["bias"]).qeq_settings(start)
    bias.pop("mode")
    tmp = Path(tempfile.mkdtemp(prefix="dpqeq_speed_"))
    t0 = time.perf_counter()
    compressed = compress(
        model,
        tmp / "dp_short_compressed.pb",
        training_script=pot / "final_work" / "dp_short0" / "input.json",
        log=tmp / "compress.log",
    )
    compress_s = time.perf_counter() - t0

    def make(v):
        qeq = {**cfg["qeq"], **v["qeq"], "warm_start": True}
        return DPQEqCalculator(
            compressed if v["compressed"] else model,
            qeq,
            mode="constp",
            overlap=v["overlap"],
            **bias,
        )

    calcs = {name: make(v) for name, v in VARIANTS.items()}
    ref = start.copy()
    baseline = next(iter(VARIANTS))
    ref.calc = calcs[baseline]
    e_ref, f_ref = ref.get_potential_energy(), ref.get_forces()
    agreement = {}
    for name, calc in calcs.items():
        a = start.copy()
        a.calc = calc
        agreement[name] = {
            "dE_meV_per_atom": 1e3 * (a.get_potential_energy() - e_ref) / len(a),
            "max_dF_eV_per_A": float(np.abs(a.get_forces() - f_ref).max()),
        }

    times: dict[str, list[float]] = {n: [] for n in VARIANTS}
    for rnd in range(args.rounds):
        for name, v in VARIANTS.items():
            atoms = start.copy()
            MaxwellBoltzmannDistribution(atoms, temperature_K=300, rng=np.random.default_rng(7))
            calc = calcs[name]
            calc.hold_charges = False
            atoms.calc = calc
            dyn = VelocityVerlet(atoms, timestep=1.0 * units.fs)
            for k in range(args.steps):
                calc.hold_charges = v["qeq_every"] > 1 and (k + 1) % v["qeq_every"] != 0
                t = time.perf_counter()
                dyn.run(1)
                if k >= args.warmup:
                    times[name].append(time.perf_counter() - t)
            calc.hold_charges = False
            print(f"round {rnd} {name}: {statistics.median(times[name]):.4f} s/step", flush=True)

    base = statistics.median(times[baseline])
    rows = []
    for name, v in VARIANTS.items():
        med = statistics.median(times[name])
        rows.append(
            {
                "variant": name,
                **{k: x for k, x in v.items() if k != "qeq"},
                "qeq_overrides": v["qeq"],
                "s_per_step": med,
                "min_s": min(times[name]),
                "max_s": max(times[name]),
                "speedup": base / med,
                **agreement[name],
            }
        )
    rec = {
        "provenance": provenance(
            load0,
            command="benchmarks/dpqeq_speed.py "
            f"--results {args.results} --steps {args.steps} --rounds {args.rounds}",
            note=args.note,
            threads_env={
                k: os.environ.get(k)
                for k in ("OMP_NUM_THREADS", "TF_INTRA_OP_PARALLELISM_THREADS", "XLA_FLAGS")
            },
        ),
        "structure": f"{args.results}/ec/constp/double_interface.extxyz ({len(start)} atoms)",
        "mode": (f"ConstP, phi {full_cfg['ec']['bias']['phi_anode']} / "
                 f"{full_cfg['ec']['bias']['phi_cathode']} V, CN rule {full_cfg['ec']['bias']['cn_rule']}"),
        "compress_seconds": compress_s,
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(rec, indent=1))
    lines = [
        "# DP-QEq MD step, demo ConstP double interface: today's setting against the speed-ups",
        "",
        f"Structure {rec['structure']}; {rec['mode']}; velocity Verlet 1 fs, "
        f"{args.steps} steps per run ({args.warmup} excluded), {args.rounds} interleaved rounds; "
        "median wall time per step.",
        "",
        f"Date {rec['provenance']['date']}, commit {rec['provenance']['commit']}, "
        f"{rec['provenance']['machine']}; load average before / after "
        f"{rec['provenance']['load_before_after']}. Command: `{rec['provenance']['command']}`. "
        f"{args.note}",
        "",
        "| variant | s/step | speed-up vs the first row | dE first frame (meV/atom) | max dF (eV/A) |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['variant']} | {r['s_per_step']:.4f} | {r['speedup']:.2f}x | "
            f"{r['dE_meV_per_atom']:.2e} | {r['max_dF_eV_per_A']:.1e} |"
        )
    lines.append("")
    lines.append(f"`dp compress` of DP_short took {compress_s:.1f} s once.")
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
