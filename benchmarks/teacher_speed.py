"""Benchmark: seconds per labelled frame of each teacher potential on the demo structures.

The teacher labels every frame of the ci/demo scales (initial data, DP-GEN
candidates, active-learning frames, test frames) and drives the initial NVT
runs, so its cost per frame sets a large part of each potential stage. Each
teacher of :mod:`lidendrite.labeling.teacher` (SevenNet-0, CHGNet) evaluates
energy, forces and stress of each structure ``--repeats`` times after one
warm-up call, with ``--threads`` torch threads; the structure is rattled by
0.01 Angstrom before each call so that no cached result is returned.

Structures: the demo lpsc interface and Li6PS5Cl cell, the demo ec bulk
electrolyte and single interface, read from ``<results>/<scale>/<study>/structures``
(run the structure rules first). The number of neighbour pairs within 5 A is
printed too: the message-passing teachers cost per edge, not per atom.

Writes ``benchmarks/results/teacher_speed.json`` and ``.md``.

Usage::

    python benchmarks/teacher_speed.py [--results results] [--scale demo] [--repeats 3] [--threads 1 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

STRUCTURES = {
    "lpsc interface": "lpsc/structures/lpsc-interface.extxyz",
    "Li6PS5Cl bulk": "lpsc/structures/lpsc-bulk-relaxed.extxyz",
    "ec bulk electrolyte": "ec/structures/ec-electrolyte.extxyz",
    "ec single interface": "ec/structures/ec-single-interface.extxyz",
}


def edges(atoms, cutoff: float = 5.0) -> int:
    from ase.neighborlist import neighbor_list

    return int(len(neighbor_list("i", atoms, cutoff)))


def time_teacher(model: str, atoms_list: dict, repeats: int, threads: int) -> dict[str, float]:
    import torch

    from lidendrite.labeling.teacher import TeacherLabeller

    torch.set_num_threads(threads)
    calc = TeacherLabeller(model=model, threads=threads).calculator()
    rng = np.random.default_rng(0)
    out = {}
    for name, atoms in atoms_list.items():
        a = atoms.copy()
        a.calc = calc
        a.get_potential_energy()  # warm-up: first call builds caches
        walls = []
        for _ in range(repeats):
            a.positions += rng.normal(scale=0.01, size=a.positions.shape)
            t0 = time.perf_counter()
            a.get_potential_energy()
            a.get_forces()
            a.get_stress()
            walls.append(time.perf_counter() - t0)
        out[name] = statistics.median(walls)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", default=str(REPO / "results"))
    ap.add_argument("--scale", default="demo")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--models", nargs="+", default=None, help="default: every bundled teacher")
    args = ap.parse_args()
    if args.models is None:
        from lidendrite.labeling.teacher import TEACHER_MODELS

        args.models = list(TEACHER_MODELS)

    from ase.io import read

    root = Path(args.results) / args.scale
    atoms_list = {}
    for name, rel in STRUCTURES.items():
        path = root / rel
        if not path.is_file():
            raise SystemExit(f"{path}: missing; build the {args.scale} structures first")
        atoms_list[name] = read(str(path))
    pairs = {name: edges(atoms) for name, atoms in atoms_list.items()}
    rows = []
    for model in args.models:
        for threads in args.threads:
            t = time_teacher(model, atoms_list, args.repeats, threads)
            for name, sec in t.items():
                rows.append({"model": model, "threads": threads, "structure": name,
                             "atoms": len(atoms_list[name]), "pairs_5A": pairs[name],
                             "seconds": round(sec, 3)})
                print(json.dumps(rows[-1]), flush=True)
    meta = {"machine": platform.node(), "cpus": os.cpu_count(),
            "repeats": args.repeats, "scale": args.scale}
    res = HERE / "results"
    (res / "teacher_speed.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
    lines = [
        f"# Teacher seconds per frame (energy + forces + stress), {args.scale} structures",
        "",
        f"`python benchmarks/teacher_speed.py --scale {args.scale} --repeats {args.repeats}"
        f" --threads {' '.join(map(str, args.threads))}`; {meta['cpus']} cores; medians of {args.repeats}"
        " after one warm-up call.",
        "",
        "| structure | atoms | pairs within 5 A | " + " | ".join(
            f"{m}, {t} thr (s)" for m in args.models for t in args.threads) + " |",
        "|---|---:|---:|" + "---:|" * (len(args.models) * len(args.threads)),
    ]
    for name in atoms_list:
        cells = [next(r["seconds"] for r in rows if r["structure"] == name and r["model"] == m
                      and r["threads"] == t) for m in args.models for t in args.threads]
        lines.append(f"| {name} | {len(atoms_list[name])} | {pairs[name]} | " + " | ".join(f"{c:.3f}" for c in cells) + " |")
    (res / "teacher_speed.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
