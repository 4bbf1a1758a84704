# lidendrite: one-command demo and tests from a fresh clone.
#   make demo   bootstrap (.venv, pinned deps, CP2K) then run the demo-scale workflow
#   make test   the same bootstrap, then the test suite (unit + workflow + ci-scale run)
#   make setup  only the bootstrap (idempotent, fast when nothing changed)
#   GPU=1       with any of them: CUDA builds of TensorFlow and JAX (requirements/gpu.txt)

SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# GPU=1: lock.txt without tensorflow_cpu, then requirements/gpu.txt (CUDA TensorFlow and JAX)
GPU ?=
GPU_ON := $(filter 1 yes true,$(GPU))
STAMP := $(VENV)/.lidendrite-installed$(if $(GPU_ON),-gpu)
LOCK := $(if $(GPU_ON),$(VENV)/lock-gpu.txt,requirements/lock.txt)
# the build that the other setting installed, removed first (both TensorFlows write one package)
OTHER_BUILD := $(if $(GPU_ON),tensorflow-cpu,tensorflow jax-cuda12-plugin jax-cuda12-pjrt)
CORES ?= all
# pytest-xdist workers of `make test`: the ci-scale run on one, the rest of the suite on the other
TEST_WORKERS ?= 2
# torch first, CPU build, so nothing pulls the CUDA wheels (see requirements/README.md)
TORCH_PIN := torch==2.13.0
APT_PACKAGES := cp2k cp2k-data chromium

.PHONY: all setup system-deps demo demo-long test test-fast lint dryrun doctor clean-results help

help:
	@echo "make demo   - install everything, then run both studies at demo scale (results/demo/)"
	@echo "make demo-long - the demo with the lpsc moving restraint 10x slower (15 ps; docs/lpsc.md)"
	@echo "make test   - install everything, then run the test suite (includes a ci-scale run)"
	@echo "make setup  - only install (.venv + CP2K)"
	@echo "GPU=1       - with any target: CUDA TensorFlow and JAX (requirements/gpu.txt) instead of the CPU builds"
	@echo "make doctor - check every external component"

all: demo

$(STAMP): requirements/lock.txt $(if $(GPU_ON),requirements/gpu.txt) pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11" >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH_PIN)
	$(if $(GPU_ON),grep -v -i -E '^tensorflow[-_]cpu==' requirements/lock.txt > $(LOCK))
	$(BIN)/python -m pip uninstall --quiet --yes $(OTHER_BUILD) 2>/dev/null || true
	$(BIN)/python -m pip install --quiet --no-deps -r $(LOCK)
	$(if $(GPU_ON),$(BIN)/python -m pip install --quiet --no-deps -r requirements/gpu.txt)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip check || true
	rm -f $(VENV)/.lidendrite-installed $(VENV)/.lidendrite-installed-gpu
	touch $(STAMP)

system-deps:
	@bash requirements/install_system_deps.sh $(APT_PACKAGES)

setup: $(STAMP) system-deps

doctor: setup
	$(BIN)/lidendrite doctor

demo: setup
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/snakemake --profile profiles/local --cores $(CORES)

demo-long: setup
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/snakemake --profile profiles/local --cores $(CORES) --configfile config/demo_long.yaml

test: setup
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/python -m pytest -m "not gpu" -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=20 tests

test-fast: setup
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/python -m pytest -m "not gpu and not slow" tests/unit

lint: setup
	$(BIN)/ruff check src tests scripts benchmarks
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/snakemake --lint

dryrun: setup
	for s in ci demo paper; do PATH=$(abspath $(BIN)):$$PATH $(BIN)/snakemake -n --configfile config/$$( [ $$s = demo ] && echo config || echo $$s ).yaml || exit 1; done

clean-results:
	rm -rf results logs .snakemake
