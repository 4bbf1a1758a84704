"""Benchmark: wall time of one ConstP QEq solve (charges + forces) versus N.

Times ``QEqEngine.calculate`` (neighbour list, CN rule, PCG solve, autodiff
forces and stress; JIT-compiled and warm, each solve from scratch) on Li |
Li6PS5Cl | Li sandwiches of about 500 ... 16000 atoms, and writes a table
(``benchmarks/results/qeq_scaling_<device>.md`` + ``.json``) and a log-log plot
next to the paper's V100 numbers (ec paper, Table S2).

Usage::

    python benchmarks/qeq_scaling.py [--sizes 500 1000 ...] [--repeats 3] [--device-label cpu]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
PAPER_V100 = {500: 0.029, 1000: 0.032, 2000: 0.037, 4000: 0.077, 8000: 0.190, 16000: 0.413}
# lateral repeats (nx, ny) of a 248-atom column: Li(8 layers) | Li6PS5Cl (2 cells) | Li(8)
LATERAL = {500: (2, 1), 1000: (2, 2), 2000: (4, 2), 4000: (4, 4), 8000: (8, 4), 16000: (8, 8)}


def lpsc_cell(a: float = 9.86):
    """Ordered 52-atom Li6PS5Cl cell (F-43m; half-occupied Li 48h thinned)."""
    from pymatgen.core import Lattice, Structure
    from pymatgen.io.ase import AseAtomsAdaptor

    s = Structure.from_spacegroup(
        "F-43m",
        Lattice.cubic(a),
        ["Li", "P", "S", "S", "Cl"],
        [[0.3125, 0.3125, 0.0224], [0.5, 0.5, 0.5], [0.6196] * 3, [0.25] * 3, [0, 0, 0]],
    )
    atoms = AseAtomsAdaptor.get_atoms(s)
    dist = atoms.get_all_distances(mic=True)
    li = [k for k, x in enumerate(atoms.get_chemical_symbols()) if x == "Li"]
    keep: list[int] = []
    for i in li:
        if all(dist[i, j] > 2.2 for j in keep):
            keep.append(i)
    del atoms[sorted(set(li) - set(keep))]
    return atoms


def sandwich(
    nx: int,
    ny: int,
    n_li: int = 8,
    n_lpsc: int = 2,
    gap: float = 2.0,
    vacuum: float = 20.0,
    a_li: float = 3.44,
    rattle: float = 0.1,
):
    """Li | Li6PS5Cl | Li slab model with vacuum (a small 'realistic interface')."""
    from ase.build import bcc100

    e = lpsc_cell().repeat((1, 1, n_lpsc))
    length = e.cell[0, 0]
    li = bcc100("Li", size=(3, 3, n_li), a=a_li, orthogonal=True)
    li.positions[:, :2] *= length / li.cell[0, 0]
    li.positions[:, 2] -= li.positions[:, 2].min()
    t = li.positions[:, 2].max()
    e.positions[:, 2] += t + gap - e.positions[:, 2].min()
    top = li.copy()
    top.positions[:, 2] += e.positions[:, 2].max() + gap
    col = li + e + top
    col.set_cell([length, length, top.positions[:, 2].max() + vacuum])
    col.pbc = True
    col.positions[:, 2] += vacuum / 2
    atoms = col.repeat((nx, ny, 1))
    atoms.positions += np.random.default_rng(0).normal(0, rattle, atoms.positions.shape)
    split = float(atoms.positions[:, 2].min() + atoms.positions[:, 2].max()) / 2
    return atoms, split


def time_one(n_target: int, repeats: int, **settings) -> dict:
    from lidendrite.qeq.engine import QEqEngine
    from lidendrite.qeq.geometry import neighbour_pairs

    atoms, split = sandwich(*LATERAL[n_target])
    engine = QEqEngine(params="lpsc", mode="constp", split_z=split, **settings)
    t0 = time.perf_counter()
    res = engine.calculate(atoms)  # compile
    t_first = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        res = engine.calculate(atoms, warm_start=False)
        times.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    neighbour_pairs(atoms.positions, atoms.cell.array, engine.settings.rcut)
    t_nl = time.perf_counter() - t0
    return {
        "n_target": n_target,
        "n_atoms": len(atoms),
        "seconds": min(times),
        "seconds_all": times,
        "first_call_seconds": t_first,
        "neighbour_list_seconds": t_nl,
        "iterations": res.iterations,
        "residual": res.residual,
        "method": res.method,
        "mesh": res.info["mesh"],
        "n_pairs": res.info["n_pairs"],
        "n_biased": int(np.count_nonzero(res.phi)),
        "paper_v100_seconds": PAPER_V100[n_target],
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=sorted(PAPER_V100))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--device-label", default="cpu")
    ap.add_argument("--outdir", type=Path, default=HERE / "results")
    ap.add_argument("--note", default="", help="free text recorded with the results")
    ap.add_argument("--rcut", type=float, default=None)
    ap.add_argument("--ewald-tol", type=float, default=None)
    ap.add_argument("--pme-order", type=int, default=None)
    ap.add_argument("--precond-spacing", type=float, default=None)
    args = ap.parse_args(argv)
    import jax

    settings = {"method": "pme"}
    for key in ("rcut", "ewald_tol", "pme_order", "precond_spacing"):
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    rows = []
    for n in args.sizes:
        row = time_one(n, args.repeats, **settings)
        rows.append(row)
        print(json.dumps(row), flush=True)
    from lidendrite.qeq.settings import default

    meta = {
        "device": str(jax.devices()[0]),
        "device_label": args.device_label,
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "loadavg_before_after": None,
        "jax": jax.__version__,
        "settings": {
            "rcut": settings.get("rcut", default("rcut")),
            "ewald_tol": settings.get("ewald_tol", default("ewald_tol")),
            "pme_order": settings.get("pme_order", default("pme_order")),
            "precond_spacing": settings.get("precond_spacing", default("precond_spacing")),
            "tol": default("tol"),
            "method": "pme",
        },
        "note": args.note,
        "command": " ".join(sys.argv),
    }
    try:
        meta["loadavg_at_end"] = os.getloadavg()
    except OSError:
        pass
    args.outdir.mkdir(parents=True, exist_ok=True)
    stem = args.outdir / f"qeq_scaling_{args.device_label}"
    stem.with_suffix(".json").write_text(json.dumps(report_fields(meta, rows), indent=1))
    write_table(stem.with_suffix(".md"), meta, rows)
    plot(stem.with_suffix(".png"), rows, args.device_label)
    return 0


def report_fields(meta: dict, rows: list[dict]) -> dict:
    """The JSON: meta, rows, and the keys the replication report reads (config/report.yaml)."""
    return {
        "level_of_theory": "QEq only (ConstP, lpsc Table S2 parameters); no trained model involved",
        "scale": "machine benchmark (not a workflow scale)",
        "seconds_per_constp_solve": {str(r["n_target"]): r["seconds"] for r in rows},
        "meta": meta,
        "rows": rows,
    }


def write_table(path: Path, meta: dict, rows: list[dict]) -> None:
    by_n = {r["n_target"]: r for r in rows}
    lines = [
        f"# QEq ConstP solve + forces: time vs atoms ({meta['device_label']})",
        "",
        f"Device: {meta['device']} ({meta['cpu_count']} CPU cores visible), JAX {meta['jax']}; "
        f"settings {meta['settings']}. Load average at end: {meta.get('loadavg_at_end')}.",
        "",
        "| N (atoms) | this work (s) | paper V100 (s) | iterations | neighbour list (s) | PME mesh |",
        "|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['n_atoms']} | {r['seconds']:.3f} | {r['paper_v100_seconds']:.3f} | "
            f"{r['iterations']} | {r['neighbour_list_seconds']:.3f} | {r['mesh']} |"
        )
    if 1000 in by_n and 16000 in by_n:
        lines += [
            "",
            f"t(16000)/t(1000) = {by_n[16000]['seconds'] / by_n[1000]['seconds']:.1f} "
            f"(goal < 20; paper {PAPER_V100[16000] / PAPER_V100[1000]:.1f})",
        ]
    if 4000 in by_n:
        lines += [f"t(4000) = {by_n[4000]['seconds']:.3f} s (CPU goal < 0.5 s)"]
    if meta.get("note"):
        lines += ["", f"Note: {meta['note']}"]
    lines += ["", f"Command: `{meta['command']}`", ""]
    path.write_text("\n".join(lines))


def plot(path: Path, rows: list[dict], label: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = np.array([r["n_atoms"] for r in rows])
    t = np.array([r["seconds"] for r in rows])
    fig, ax = plt.subplots(figsize=(4.5, 3.5))
    ax.loglog(n, t, "o-", label=f"this work ({label})")
    pn = np.array(sorted(PAPER_V100))
    ax.loglog(pn, [PAPER_V100[k] for k in pn], "s--", label="paper, V100 (Table S2)")
    ref = t[0] * n / n[0]
    ax.loglog(n, ref, ":", color="gray", label="linear")
    ax.set_xlabel("atoms")
    ax.set_ylabel("time per ConstP solve + forces (s)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
