"""Benchmark: what the switching cut-off of the lpsc CV changes, and what it saves.

The CV (src/lidendrite/sampling/cv.py; An et al. eq. 2) sums rational
switching functions over every Li(electrolyte) x Li/S/P/Cl pair.  With
``lpsc.sampling.d_max`` each function is PLUMED's stretched ``D_MAX`` form
(zero beyond d_max, shifted and scaled to reach zero continuously), and
PLUMED's neighbour list (``nl_cutoff``, ``nl_stride``) only changes the cost.
A constant offset of the CV is invisible to the moving restraint (s0 starts
at the CV of the first frame); what matters is its change between frames and
its gradient (the direction of the bias force).

For each sandwich (``lidendrite build lpsc-sandwich --scale demo|paper``):

* CV of a set of frames, all pairs and with each d_max (numpy reference, which
  equals PLUMED term by term, tests/unit/test_sampling_cv.py): the built
  sandwich, two random displacements (Gaussian, 0.1 A per component), the
  electrolyte moved 0.5 A towards the anode, the lowest electrolyte Li moved
  1.5 A towards the anode, the cell and atoms compressed by 1 % along x and y
  (the barostat's degree of freedom), and the frames of trajectories given with
  ``--traj scale=path`` (LAMMPS dumps with the sandwich's atom order); the
  change of the CV from the first frame of each set, cut-off minus all pairs;
* the gradient ds/dr with and without cut-off on the built and on one
  displaced frame: max and RMS over the atoms of the CV groups of
  |grad_cut - grad_all|, and the bias-force difference kappa * lag * that at
  the scale's kappa and the thermal lag sqrt(kT/kappa) (300 K);
* omega * dt of the restraint mode at the scale's kappa (1 fs), all pairs and
  cut-off;
* ms per PLUMED calc (one thread, no MD engine) along a random walk of the
  atoms (0.01 A per step and component): all pairs, D_MAX alone, and D_MAX with
  the configured neighbour list and with half its stride (first call,
  list-update steps, other steps, mean over the walk).

Writes ``benchmarks/results/lpsc_cv_cutoff.json`` and ``.md``.

Usage::

    python benchmarks/lpsc_cv_cutoff.py [--d-max 7,8,9,10] [--plumed-steps 41] [--traj demo=traj.lammpstrj]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
#: k_B T at 300 K, eV
KT_300K_EV = 8.617333262e-5 * 300.0
SCALES = ("demo", "paper")


def sandwich(scale: str, workdir: Path) -> Path:
    """The scale's sandwich as built by the pipeline (no relaxation), cached in ``workdir``."""
    from ase.io import write

    from lidendrite.config import load_config
    from lidendrite.structures.cli import build, builder_params

    path = workdir / f"lpsc-sandwich-{scale}.extxyz"
    if not path.is_file():
        workdir.mkdir(parents=True, exist_ok=True)
        write(path, build("lpsc-sandwich", builder_params("lpsc-sandwich", load_config(scale))), format="extxyz")
    return path


def frame_sets(atoms, groups, traj: str | None) -> dict[str, dict[str, object]]:
    """Sets of frames whose CV changes are compared; the first frame of each set is its reference."""
    from ase.io import read

    rng = np.random.default_rng(1)
    built = {"built": atoms}
    for k in range(2):
        a = atoms.copy()
        a.positions += rng.normal(0.0, 0.1, a.positions.shape)
        built[f"random 0.1 A ({k})"] = a
    a = atoms.copy()
    a.positions[a.arrays["region"] == "electrolyte", 2] -= 0.5
    built["electrolyte -0.5 A in z"] = a
    a = atoms.copy()
    a.positions[groups.li_a[np.argmin(a.positions[groups.li_a, 2])], 2] -= 1.5
    built["one Li -1.5 A in z"] = a
    a = atoms.copy()
    a.set_cell(atoms.cell[:] @ np.diag([0.99, 0.99, 1.0]), scale_atoms=True)
    built["lateral strain -1 %"] = a
    sets: dict[str, dict[str, object]] = {"built": built}
    if traj:
        frames = {}
        for fr in read(traj, index=":", format="lammps-dump-text"):
            a = atoms.copy()
            a.cell = fr.cell
            a.positions = fr.positions
            frames[f"step {fr.info.get('timestep', len(frames))} (lx {a.cell.lengths()[0]:.2f} A)"] = a
        sets["trajectory"] = frames
    return sets


def plumed_timing(atoms, groups, cut: dict, n_steps: int) -> dict:
    """ms per PLUMED calc along a random walk (one thread, no MD engine)."""
    from lidendrite.sampling.cv import moving_restraint_plumed_input
    from lidendrite.sampling.plumed_bridge import PlumedBridge

    with tempfile.TemporaryDirectory() as tmp:
        text = moving_restraint_plumed_input(
            groups, s_start=0.0, s_end=0.0, n_steps=10 * n_steps, kappa_ev=1.0,
            colvar_file=str(Path(tmp) / "COLVAR"), print_stride=n_steps, **cut,
        )
        bridge = PlumedBridge(text, atoms.get_masses(), timestep_ps=0.001, log_file=Path(tmp) / "plumed.log")
        rng = np.random.default_rng(0)
        pos = atoms.positions.copy()
        ms = []
        try:
            for step in range(n_steps):
                pos += rng.normal(0.0, 0.01, pos.shape)
                t0 = time.perf_counter()
                bridge.compute(step, atoms.cell[:], pos)
                ms.append(1e3 * (time.perf_counter() - t0))
        finally:
            bridge.finalize()
    ms = np.array(ms)
    stride = cut.get("nl_stride")
    steps = np.arange(n_steps)
    update = (steps % stride == 0) if stride else np.zeros(n_steps, bool)
    return {
        "first_ms": float(ms[0]),
        "mean_ms": float(ms[1:].mean()),  # the first call also sets PLUMED up
        "update_ms": float(ms[1:][update[1:]].mean()) if update[1:].any() else None,
        "other_ms": float(ms[1:][~update[1:]].mean()),
        "all_ms": [round(float(x), 2) for x in ms],
    }


def measure_scale(scale: str, d_maxes: list[float], traj: str | None, plumed_steps: int, workdir: Path) -> dict:
    from ase.io import read

    from lidendrite.config import load_config
    from lidendrite.sampling.cv import cv_coordination_numpy, cv_gradient_numpy, cv_groups
    from lidendrite.sampling.moving_restraint import check_restraint_stability

    smp = load_config(scale)["lpsc"]["sampling"]
    conf = {k: smp[k] for k in ("d_max", "stretch", "nl_cutoff", "nl_stride")}
    cv_kw = {k: smp[k] for k in ("r0_li_li", "r0_li_s", "r0_li_p", "r0_li_cl", "n", "m")}
    atoms = read(sandwich(scale, workdir), index=0)
    groups = cv_groups(atoms, n_anode_layers=smp["n_anode_layers"])
    cv_atoms = np.unique(np.concatenate([groups.li_a, groups.li_b, groups.s, groups.p, groups.cl]))
    kappa = float(smp["kappa_ev"])
    lag = float(np.sqrt(KT_300K_EV / kappa))
    sets = frame_sets(atoms, groups, traj)
    cuts = sorted(set(d_maxes) | {conf["d_max"]})
    res: dict = {"n_atoms": len(atoms), "kappa_ev": kappa, "thermal_lag": lag, "config": conf,
                 "cv": {}, "dcv": {}, "grad": {}, "omega_dt": {}}
    grads = {}
    for d_max in [None, *cuts]:
        key = "all pairs" if d_max is None else f"d_max {d_max:g}"
        kw = dict(cv_kw, d_max=d_max, stretch=conf["stretch"])
        res["cv"][key] = {s: {f: cv_coordination_numpy(a, groups=groups, **kw)["cv"] for f, a in fr.items()}
                          for s, fr in sets.items()}
        res["dcv"][key] = {s: {f: v - next(iter(cvs.values())) for f, v in list(cvs.items())[1:]}
                           for s, cvs in res["cv"][key].items()}
        probe = {"built": atoms, "random 0.1 A (0)": sets["built"]["random 0.1 A (0)"]}
        grads[key] = {f: cv_gradient_numpy(a, groups=groups, **kw) for f, a in probe.items()}
        res["omega_dt"][key] = check_restraint_stability(
            atoms, kappa_ev=kappa, timestep_fs=smp["timestep_fs"], max_omega_dt=1e9, groups=groups, **kw
        )["omega_dt"]
        ref = grads["all pairs"]
        res["grad"][key] = {}
        for f, g in grads[key].items():
            norm = np.linalg.norm(ref[f][cv_atoms], axis=1)
            diff = np.linalg.norm((g - ref[f])[cv_atoms], axis=1)
            res["grad"][key][f] = {
                "max_all": float(norm.max()), "rms_all": float(np.sqrt((norm**2).mean())),
                "max_diff": float(diff.max()), "rms_diff": float(np.sqrt((diff**2).mean())),
                "force_max_diff_ev_a": kappa * lag * float(diff.max()),
                "force_rms_diff_ev_a": kappa * lag * float(np.sqrt((diff**2).mean())),
            }
        print(scale, key, "done", flush=True)
    if plumed_steps:
        none = {"d_max": None, "nl_cutoff": None, "nl_stride": None}
        variants = {"all pairs": none, f"D_MAX {conf['d_max']:g} alone": {**none, "d_max": conf["d_max"]},
                    "configured": conf}
        if conf["nl_cutoff"] is not None and conf["nl_stride"] >= 2:
            variants[f"configured, nl_stride {conf['nl_stride'] // 2}"] = {**conf, "nl_stride": conf["nl_stride"] // 2}
        res["plumed_ms"] = {}
        for name, cut in variants.items():
            load0 = os.getloadavg()
            row = plumed_timing(atoms, groups, {**cv_kw, **cut}, plumed_steps)
            row["loadavg_before_after"] = [load0, os.getloadavg()]
            res["plumed_ms"][name] = row
            print(scale, name, {k: v for k, v in row.items() if k != "all_ms"}, flush=True)
    return res


def _git_commit() -> str:
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "src/lidendrite/sampling", "benchmarks/lpsc_*.py"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" (with uncommitted changes in src/lidendrite/sampling or benchmarks/lpsc_*.py)" if dirty else "")


def write_md(path: Path, out: dict) -> None:
    lines = [
        "# lpsc CV: switching cut-off against all pairs",
        "",
        f"Date {out['date']}, commit {out['commit']}, {out['machine']['cpu_count']} CPU cores "
        f"({out['machine']['platform']}); load average at start "
        + "/".join(f"{x:.2f}" for x in out["loadavg_start_end"][0]) + ", at end "
        + "/".join(f"{x:.2f}" for x in out["loadavg_start_end"][1]) + ".",
        f"Command: `{out['command']}`",
        "",
        "CV changes are from the first frame of each set (built sandwich; trajectory: its first frame). "
        "Gradient differences: |grad_cut - grad_all| over the atoms of the CV groups, in 1/A and as a "
        "fraction of max/RMS |grad_all|; bias force = kappa * lag * that at the thermal lag sqrt(kT/kappa).",
    ]
    for scale, r in out["scales"].items():
        keys = list(r["cv"])
        lines += ["", f"## {scale} sandwich ({r['n_atoms']} atoms), kappa {r['kappa_ev']} eV, "
                  f"thermal lag {r['thermal_lag']:.3f}; configured {r['config']}", ""]
        lines += ["| frame set / frame | " + " | ".join(keys) + " |", "|---|" + "---:|" * len(keys)]
        for s, cvs in r["cv"]["all pairs"].items():
            first = next(iter(cvs))
            lines.append(f"| {s}: CV of {first} | " + " | ".join(f"{r['cv'][k][s][first]:.2f}" for k in keys) + " |")
            for f in list(cvs)[1:]:
                ref = r["dcv"]["all pairs"][s][f]
                cells = [f"{ref:+.3f}"] + [
                    f"{r['dcv'][k][s][f]:+.3f} ({r['dcv'][k][s][f] - ref:+.3f})" for k in keys[1:]
                ]
                lines.append(f"| {s}: change to {f} (cut - all) | " + " | ".join(cells) + " |")
        for f in r["grad"]["all pairs"]:
            g0 = r["grad"]["all pairs"][f]
            lines.append(f"| grad on {f}: max / RMS |grad| (1/A) | {g0['max_all']:.3f} / {g0['rms_all']:.3f} | "
                         + " | ".join(f"diff {r['grad'][k][f]['max_diff'] / g0['max_all']:.1%} / "
                                      f"{r['grad'][k][f]['rms_diff'] / g0['rms_all']:.1%}" for k in keys[1:]) + " |")
            lines.append(f"| bias force diff on {f} at thermal lag, max / RMS (eV/A) | 0 | "
                         + " | ".join(f"{r['grad'][k][f]['force_max_diff_ev_a']:.1e} / "
                                      f"{r['grad'][k][f]['force_rms_diff_ev_a']:.1e}" for k in keys[1:]) + " |")
        lines.append("| omega dt of the restraint mode (1 fs) | "
                     + " | ".join(f"{r['omega_dt'][k]:.3f}" for k in keys) + " |")
        if "plumed_ms" in r:
            lines += ["", "PLUMED ms per calc (one thread; random walk):", "",
                      "| CV | first call | mean | list-update steps | other steps | load before -> after |",
                      "|---|---:|---:|---:|---:|---|"]
            for name, t in r["plumed_ms"].items():
                a, b = t["loadavg_before_after"]
                upd = "-" if t["update_ms"] is None else f"{t['update_ms']:.1f}"
                lines.append(f"| {name} | {t['first_ms']:.1f} | {t['mean_ms']:.1f} | {upd} | {t['other_ms']:.1f} | "
                             f"{a[0]:.2f} -> {b[0]:.2f} |")
    if out.get("note"):
        lines += ["", f"Note: {out['note']}"]
    path.write_text("\n".join(lines) + "\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", default=",".join(SCALES))
    ap.add_argument("--d-max", default="7,8,9,10", help="cut-offs compared besides the configured one, Angstrom")
    ap.add_argument("--traj", action="append", default=[], help="scale=LAMMPS dump of that scale's sandwich")
    ap.add_argument("--plumed-steps", type=int, default=41, help="PLUMED calcs per timing (0: no timing)")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/lidendrite_bench"))
    ap.add_argument("--outdir", type=Path, default=HERE / "results")
    ap.add_argument("--note", default="")
    args = ap.parse_args(argv)
    trajs = dict(t.split("=", 1) for t in args.traj)
    d_maxes = [float(x) for x in args.d_max.split(",") if x]
    load_start = os.getloadavg()
    scales = {s: measure_scale(s, d_maxes, trajs.get(s), args.plumed_steps, args.workdir)
              for s in args.scales.split(",") if s}
    out = {
        "what": "lpsc CV with a switching cut-off (PLUMED D_MAX, stretched) against all pairs",
        "scales": scales,
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "commit": _git_commit(),
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count()},
        "loadavg_start_end": [load_start, os.getloadavg()],
        "command": " ".join(sys.argv),
        "note": args.note,
    }
    args.outdir.mkdir(parents=True, exist_ok=True)
    stem = args.outdir / "lpsc_cv_cutoff"
    stem.with_suffix(".json").write_text(json.dumps(out, indent=1) + "\n")
    write_md(stem.with_suffix(".md"), out)
    print(stem.with_suffix(".md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
