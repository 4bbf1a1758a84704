"""Benchmark: seconds per ``dp --tf train`` step, with and without deepmd-kit's neighbour statistics.

deepmd-kit 3.2 (TensorFlow backend) starts ``dp train`` with neighbour
statistics of the training data unless ``--skip-neighbor-stat`` is given. The
statistics open a TensorFlow session that is never closed; with it, a
one-thread training of the demo models ran measurably slower per step (two of
the process's threads kept a third of a core busy for the whole training).
This script measures it on the demo's own training inputs: the ec final
DP_short and the lpsc final model (``input.json`` of the finished demo
trainings), ``--steps`` steps each from scratch, one TensorFlow thread, the
two variants alternated ``--repeats`` times; the number is deepmd-kit's own
"average training time" (s/batch, the first ``disp_freq`` steps excluded).

Writes ``benchmarks/results/dp_train_step.json`` and ``.md``.

Usage::

    python benchmarks/dp_train_step.py [--results results] [--scale demo] [--steps 1000] [--repeats 2]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

INPUTS = {
    "ec DP_short (final)": "ec/potential/final_work/dp_short0/input.json",
    "lpsc final model": "lpsc/potential/final_training/input.json",
}


def step_time(input_json: Path, steps: int, skip: bool) -> float:
    jdata = json.loads(input_json.read_text())
    jdata["training"].update(numb_steps=steps, disp_freq=100, save_freq=10 * steps)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "input.json").write_text(json.dumps(jdata))
        env = dict(os.environ, DP_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="2", OMP_NUM_THREADS="1",
                   DP_INTRA_OP_PARALLELISM_THREADS="1", DP_INTER_OP_PARALLELISM_THREADS="1")
        dp = shutil.which("dp", path=str(Path(sys.executable).parent)) or "dp"
        cmd = [dp, "--tf", "train", "input.json", *(["--skip-neighbor-stat"] if skip else [])]
        out = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True)
        m = re.search(r"average training time: ([0-9.]+) s/batch", out.stdout + out.stderr)
        if out.returncode != 0 or not m:
            raise SystemExit(f"dp train failed for {input_json}: {(out.stdout + out.stderr)[-500:]}")
        return float(m.group(1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", default=str(REPO / "results"))
    ap.add_argument("--scale", default="demo")
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    rows = []
    for name, rel in INPUTS.items():
        path = Path(args.results) / args.scale / rel
        if not path.is_file():
            raise SystemExit(f"{path}: missing; run the {args.scale} potential stages first")
        times: dict[str, list[float]] = {"with statistics": [], "--skip-neighbor-stat": []}
        for _ in range(args.repeats):
            times["with statistics"].append(step_time(path, args.steps, skip=False))
            times["--skip-neighbor-stat"].append(step_time(path, args.steps, skip=True))
        row = {"input": name, **{k: statistics.median(v) for k, v in times.items()}, "all": times}
        rows.append(row)
        print(json.dumps(row), flush=True)
    res = HERE / "results"
    (res / "dp_train_step.json").write_text(json.dumps({"steps": args.steps, "rows": rows}, indent=2) + "\n")
    lines = [
        "# `dp --tf train` seconds per step, with and without neighbour statistics",
        "",
        f"`python benchmarks/dp_train_step.py --scale {args.scale} --steps {args.steps} --repeats {args.repeats}`;"
        f" {os.cpu_count()} cores, one TensorFlow thread, nothing else running; deepmd-kit's"
        " own average (first 100 steps excluded), median of the repeats.",
        "",
        "| training input | with statistics (s/step) | `--skip-neighbor-stat` (s/step) | ratio |",
        "|---|---:|---:|---:|",
    ]
    for r in rows:
        a, b = r["with statistics"], r["--skip-neighbor-stat"]
        lines.append(f"| {r['input']} | {a:.4f} | {b:.4f} | {a / b:.2f} |")
    (res / "dp_train_step.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
