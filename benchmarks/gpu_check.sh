#!/usr/bin/env bash
# GPU check of issue 30, one prepared run: under 8 minutes on one H100 (the Python part
# stops starting sections after --budget-s, 450 s by default, and is killed at 470 s).
#   benchmarks/gpu_check.sh              full check; needs a GPU and `make setup GPU=1`
#   benchmarks/gpu_check.sh --small      ci-size cells, a few steps: runs on a CPU in about a minute
#   benchmarks/gpu_check.sh --prepare    only build the cells (and --paper-net models) into results/gpu_check/;
#                                        do it on a CPU machine first (a few minutes, once)
# Further arguments go to benchmarks/gpu_check.py (--scale demo, --paper-net, --budget-s, ...).
# Needs the trained models of results/<scale>/ (default ci: `make test`; or --scale demo).
# Writes benchmarks/results/gpu_check.{md,json} (--small: gpu_check_small.*).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
LIMIT_S=${GPU_CHECK_LIMIT_S:-470}
small=0
for a in "$@"; do
  [[ $a == --prepare ]] && exec "$PY" benchmarks/gpu_check.py "$@"
  [[ $a == --small ]] && small=1
done
if (( ! small )); then
  # fail in seconds, not minutes, when the node has no GPU or the CPU builds are installed
  "$PY" -m lidendrite doctor --require-gpu --only devices
fi
# cells and models: cached, so a prepared checkout skips this in seconds
"$PY" benchmarks/gpu_check.py --prepare "$@"
exec timeout --signal=INT --kill-after=20 "$LIMIT_S" "$PY" benchmarks/gpu_check.py "$@"
