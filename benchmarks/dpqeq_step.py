"""Benchmark: seconds per DP-QEq MD step on the paper-size (3070-atom) ConstP cell, CPU.

ec paper sec. 2.2.2 / SI 2.1: the ConstP cell is the Li | EC + LiPF6 | Li
double interface cut from the middle of the Li slab of an NPT-relaxed
superlattice (3070 atoms: Li 1425, C 441, H 588, O 441, P 25, F 150; the
authors' code has 33.0 x 90.0 x 16.07 A with the interface normal along y).
Here the same cell is made with our builders: ``ec_superlattice`` with
``config/paper.yaml`` ``ec.structures.superlattice`` (10 x 5 x 28 Li + 147 EC +
25 LiPF6, normal along z, NOT NPT-relaxed: 34.30 x 17.15 A laterally) then
``cut_double_interface`` with ``ec.structures.cut`` (cell_z = 90 A, outer 4
layers fixed).

For each model (the ci DP_short and, optionally, an untrained model with the
paper's network sizes, see ``benchmarks/paper_net.py``) and each mode (ConstQ,
ConstP with -2 V on the anode and +6 V on the cathode, sides split at the
electrolyte mid-line), runs a few velocity-Verlet steps (1 fs, 300 K) of
``DPQEqCalculator`` with the QEq solve warm-started from the previous step's
charges (what MD does) and cold (every solve from scratch). Each step's DP_short
and QEq times are measured separately (the two calls inside
``DPQEqCalculator.calculate``), so the QEq share of a step is measured, not
estimated. The first call (JIT compilation, TensorFlow graph load) is reported
apart. Rounds are interleaved so that the machine load (shared 2-core host)
hits every case alike; the tables give medians over all steps of all rounds.

Writes ``benchmarks/results/dpqeq_step_<label>.json`` and ``.md``.

Usage::

    python benchmarks/dpqeq_step.py [--steps 5] [--rounds 3] [--paper-net] [--label cpu]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
CI_MODEL = REPO / "results" / "ci" / "ec" / "potential" / "dp_short.pb"
CI_PROVENANCE = REPO / "results" / "ci" / "ec" / "potential" / "final_models.json"
CI_TRAIN_INPUT = REPO / "results" / "ci" / "ec" / "potential" / "final" / "dp_short0" / "input.json"
#: ec paper SI Table S2 (NVIDIA V100, QEq only), seconds per ConstP solve
PAPER_V100 = {500: 0.029, 1000: 0.032, 2000: 0.037, 4000: 0.077, 8000: 0.190, 16000: 0.413}


def paper_cell(workdir: Path):
    """The 3070-atom ConstP cell (built once with the paper config, cached in ``workdir``)."""
    from ase.io import read, write

    from lidendrite.config import load_config
    from lidendrite.structures.cli import build, builder_params
    from lidendrite.structures.ec import cut_double_interface

    path = workdir / "ec-constp-paper.extxyz"
    if path.is_file():
        return read(path), str(path)
    cfg = load_config("paper")
    sl = build("ec-superlattice", builder_params("ec-superlattice", cfg))
    atoms = cut_double_interface(sl, **cfg["ec"]["structures"]["cut"])
    workdir.mkdir(parents=True, exist_ok=True)
    write(path, atoms, format="extxyz")
    return atoms, str(path)


def electrode_setup(atoms, cfg) -> dict:
    """ConstP potentials, split plane and CN rule of the config's ``ec.bias`` for ``atoms``."""
    from lidendrite.qeq.bias import ElectrodeBias

    setup = ElectrodeBias.from_config(cfg["ec"]["bias"]).qeq_settings(atoms)
    setup.pop("mode")
    return setup


class Timed:
    """Wrap a calculator's ``calculate`` and record each call's wall time."""

    def __init__(self, calc):
        self.calc, self.times = calc, []
        self._inner = calc.calculate
        calc.calculate = self

    def __call__(self, *a, **k):
        t0 = time.perf_counter()
        out = self._inner(*a, **k)
        self.times.append(time.perf_counter() - t0)
        return out


def make_calc(model: Path, mode: str, warm: bool, setup: dict, cfg: dict):
    from lidendrite.dpqeq.calculator import DPQEqCalculator

    q = dict(cfg.get("qeq") or {})
    calc = DPQEqCalculator(model, {**q, "params": "ec", "warm_start": warm}, mode=mode, **setup)
    return calc, Timed(calc.short), Timed(calc.qeq)


def run_steps(atoms0, calc, t_short, t_qeq, n_steps: int, seed: int) -> dict:
    """First call (compile/load) + ``n_steps`` velocity-Verlet steps; per-step times."""
    from ase import units
    from ase.constraints import FixAtoms
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution
    from ase.md.verlet import VelocityVerlet

    atoms = atoms0.copy()
    if "fixed" in atoms.arrays:
        atoms.set_constraint(FixAtoms(mask=atoms.arrays["fixed"].astype(bool)))
    MaxwellBoltzmannDistribution(atoms, temperature_K=300.0, rng=np.random.default_rng(seed))
    atoms.calc = calc
    t0 = time.perf_counter()
    atoms.get_forces()
    first = time.perf_counter() - t0
    dyn = VelocityVerlet(atoms, timestep=1.0 * units.fs)
    t0 = time.perf_counter()
    dyn.run(1)  # untimed: the warm-started solve is compiled on the first warm call
    second = time.perf_counter() - t0
    n_short, n_qeq = len(t_short.times), len(t_qeq.times)
    iters: list[int] = []
    steps: list[float] = []
    for _ in range(n_steps):
        t0 = time.perf_counter()
        dyn.run(1)
        steps.append(time.perf_counter() - t0)
        iters.append(int(calc.results.get("qeq_iterations") or 0))
    q = calc.results["charges"]
    return {
        "first_call_s": first,
        "first_md_step_s": second,
        "step_s": steps,
        "dp_short_s": t_short.times[n_short:],
        "qeq_s": t_qeq.times[n_qeq:],
        "qeq_iterations": iters,
        "total_charge_last": float(q.sum()),
        "max_abs_force_last": float(np.abs(atoms.get_forces()).max()),
    }


def summarise(rows: list[dict]) -> dict:
    step = [t for r in rows for t in r["step_s"]]
    qeq = [t for r in rows for t in r["qeq_s"]]
    short = [t for r in rows for t in r["dp_short_s"]]
    shares = [q / s for r in rows for q, s in zip(r["qeq_s"], r["step_s"], strict=False)]
    return {
        "n_steps_timed": len(step),
        "median_step_s": statistics.median(step),
        "min_step_s": min(step),
        "max_step_s": max(step),
        "median_qeq_s": statistics.median(qeq),
        "median_dp_short_s": statistics.median(short),
        "median_qeq_share": statistics.median(shares),
        "median_qeq_iterations": statistics.median([i for r in rows for i in r["qeq_iterations"]]),
        "first_call_s": [r["first_call_s"] for r in rows],
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=5, help="MD steps per case and round")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved repeats of all cases")
    ap.add_argument("--paper-net", action="store_true", help="also time the paper's network sizes")
    ap.add_argument("--paper-net-steps", type=int, default=2)
    ap.add_argument("--paper-net-rounds", type=int, default=1)
    ap.add_argument("--model", type=Path, default=CI_MODEL)
    ap.add_argument("--label", default="cpu")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/lidendrite_bench"))
    ap.add_argument("--outdir", type=Path, default=HERE / "results")
    ap.add_argument("--note", default="")
    args = ap.parse_args(argv)

    from lidendrite.config import load_config

    cfg = load_config("paper")
    atoms, struct_path = paper_cell(args.workdir)
    setup = electrode_setup(atoms, cfg)
    models = {"ci": args.model}
    sizes = {"ci": _net_sizes(CI_TRAIN_INPUT)}
    if args.paper_net:
        from paper_net import paper_size_model

        pb, _ = paper_size_model(CI_TRAIN_INPUT, "ec", args.workdir / "ec_paper_net")
        models["paper_net"] = pb
        sizes["paper_net"] = _net_sizes(pb.parent / "input.json")
    cases = [("ci", mode, warm) for mode in ("constq", "constp") for warm in (True, False)]
    if args.paper_net:  # ~10x slower DP: ConstP warm-started only, fewer steps, one round
        cases.append(("paper_net", "constp", True))
    load = [os.getloadavg()]
    calcs = {c: make_calc(models[c[0]], c[1], c[2], setup, cfg) for c in cases}
    raw: dict[str, list[dict]] = {_key(c): [] for c in cases}
    for rnd in range(args.rounds):
        for c in cases:
            if c[0] == "paper_net" and rnd >= args.paper_net_rounds:
                continue
            n = args.paper_net_steps if c[0] == "paper_net" else args.steps
            row = run_steps(atoms, *calcs[c], n, seed=rnd)
            row["loadavg"] = os.getloadavg()
            raw[_key(c)].append(row)
            print(_key(c), f"round {rnd}", json.dumps({k: row[k] for k in ("step_s", "qeq_s", "qeq_iterations")}), flush=True)
        load.append(os.getloadavg())
    summary = {k: summarise(v) for k, v in raw.items()}
    lot = json.loads(CI_PROVENANCE.read_text()).get("level_of_theory", "") if CI_PROVENANCE.is_file() else ""
    import jax

    counts = {str(s): int(n) for s, n in zip(*np.unique(atoms.get_chemical_symbols(), return_counts=True), strict=True)}
    constp = summary.get("ci/constp/warm", {})
    out = {
        "scale": "paper",
        "what": "seconds per DP-QEq MD step (velocity Verlet, 1 fs) on the 3070-atom ConstP cell, CPU",
        "level_of_theory": f"ci DP_short trained on: {lot}" if lot else "ci DP_short (provenance not found)",
        "structure": {
            "builder": "ec_superlattice (config/paper.yaml ec.structures.superlattice) + cut_double_interface (ec.structures.cut)",
            "path": struct_path,
            "n_atoms": len(atoms),
            "counts": counts,
            "cell_angstrom": [float(x) for x in atoms.cell.lengths()],
            "normal": "z",
            "paper_cell_angstrom": [33.0, 16.07, 90.0],
            "paper_counts": {"Li": 1425, "C": 441, "H": 588, "O": 441, "P": 25, "F": 150},
        },
        "constp_setup": setup,
        "qeq_settings": {**(cfg.get("qeq") or {}), "params": "ec"},
        "models": {k: {"path": str(v), **sizes[k]} for k, v in models.items()},
        "paper_net_note": "paper_net = paper's network sizes trained 2 steps (timing only: weights meaningless)",
        "summary": summary,
        "seconds_per_md_step": constp.get("median_step_s"),
        "seconds_per_constp_solve": constp.get("median_qeq_s"),
        "qeq_share_constp": constp.get("median_qeq_share"),
        "paper_v100_qeq_seconds": PAPER_V100,
        "raw": raw,
        "machine": {
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "jax_device": str(jax.devices()[0]),
            "jax": jax.__version__,
            "loadavg_between_rounds": load,
        },
        "steps_per_case_and_round": args.steps,
        "paper_net_steps_and_rounds": [args.paper_net_steps, args.paper_net_rounds],
        "rounds": args.rounds,
        "note": args.note,
        "command": " ".join(sys.argv),
    }
    args.outdir.mkdir(parents=True, exist_ok=True)
    stem = args.outdir / f"dpqeq_step_{args.label}"
    stem.with_suffix(".json").write_text(json.dumps(out, indent=1) + "\n")
    write_md(stem.with_suffix(".md"), out)
    print(stem.with_suffix(".md").read_text())
    return 0


def _key(case) -> str:
    return f"{case[0]}/{case[1]}/{'warm' if case[2] else 'cold'}"


def _net_sizes(input_json: Path) -> dict:
    if not Path(input_json).is_file():
        return {}
    m = json.loads(Path(input_json).read_text())["model"]
    return {
        "embedding_neuron": m["descriptor"]["neuron"],
        "axis_neuron": m["descriptor"]["axis_neuron"],
        "fitting_neuron": m["fitting_net"]["neuron"],
        "sel": m["descriptor"]["sel"],
        "rcut": m["descriptor"]["rcut"],
    }


def _interp_paper(n: int) -> float:
    """Log-log interpolation of the paper's V100 QEq time at ``n`` atoms."""
    ns = np.array(sorted(PAPER_V100), dtype=float)
    ts = np.array([PAPER_V100[int(k)] for k in ns])
    return float(np.exp(np.interp(np.log(n), np.log(ns), np.log(ts))))


def write_md(path: Path, out: dict) -> None:
    s = out["structure"]
    lines = [
        f"# DP-QEq MD step on the paper-size ConstP cell ({s['n_atoms']} atoms), CPU",
        "",
        f"Cell: {s['builder']}; {s['counts']}, {' x '.join(f'{x:.2f}' for x in s['cell_angstrom'])} A "
        f"(normal z; paper {s['paper_cell_angstrom'][0]} x {s['paper_cell_angstrom'][2]} x "
        f"{s['paper_cell_angstrom'][1]} A with normal y, NPT-relaxed). ConstP: "
        f"phi_lower {out['constp_setup']['phi_lower']} V, phi_upper {out['constp_setup']['phi_upper']} V, "
        f"split z = {out['constp_setup']['split_z']:.2f} A.",
        "",
        "Models: " + "; ".join(
            f"{k}: embedding {v.get('embedding_neuron')}, axis {v.get('axis_neuron')}, fitting {v.get('fitting_neuron')}"
            for k, v in out["models"].items()
        ) + f" ({out['paper_net_note']}).",
        "",
        f"Machine: {out['machine']['cpu_count']} CPU cores (shared with other jobs), JAX {out['machine']['jax']} on "
        f"{out['machine']['jax_device']}. Load average (1/5/15 min) before and after each round: "
        + ", ".join(f"{a[0]:.2f}/{a[1]:.2f}/{a[2]:.2f}" for a in out["machine"]["loadavg_between_rounds"]),
        "",
        f"{out['rounds']} interleaved rounds x {out['steps_per_case_and_round']} velocity-Verlet steps (1 fs) per ci case "
        f"(paper_net: {out['paper_net_steps_and_rounds'][0]} steps x {out['paper_net_steps_and_rounds'][1]} round, ConstP warm only); "
        "medians over all timed steps (the first force call and the first MD step, which compile, are excluded; "
        "the first call's time is listed).",
        "",
        "| model | mode | QEq start | s / MD step (median) | min - max | DP_short (s) | QEq (s) | QEq share | QEq iterations | first call (s) |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key, r in out["summary"].items():
        model, mode, warm = key.split("/")
        lines.append(
            f"| {model} | {mode} | {warm} | {r['median_step_s']:.2f} | {r['min_step_s']:.2f} - {r['max_step_s']:.2f} | "
            f"{r['median_dp_short_s']:.2f} | {r['median_qeq_s']:.2f} | {100 * r['median_qeq_share']:.0f} % | "
            f"{r['median_qeq_iterations']:.0f} | {statistics.median(r['first_call_s']):.1f} |"
        )
    n = s["n_atoms"]
    paper = _interp_paper(n)
    lines += [
        "",
        f"Paper (ec SI Table S2, V100 GPU, QEq solve only): 0.077 s at 4000 atoms; log-log interpolated "
        f"to {n} atoms: {paper:.3f} s. Ours (ci, ConstP, warm start): "
        f"{out['seconds_per_constp_solve']:.2f} s per QEq solve + forces on CPU "
        f"({out['seconds_per_constp_solve'] / paper:.0f}x the V100 number); "
        f"{out['seconds_per_md_step']:.2f} s per MD step, QEq share {100 * out['qeq_share_constp']:.0f} %.",
        "The paper gives no time for a whole DP-QEq step; its authors re-solve the charges only every third "
        "step (not done here: every step solves).",
    ]
    if out.get("note"):
        lines += ["", f"Note: {out['note']}"]
    lines += ["", f"Command: `{out['command']}`", ""]
    path.write_text("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
