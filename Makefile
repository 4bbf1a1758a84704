# lidendrite: one-command demo and tests from a fresh clone.
#   make demo   bootstrap (.venv, pinned deps, CP2K) then run the demo-scale workflow
#   make test   the same bootstrap, then the test suite (unit + workflow + ci-scale run)
#   make setup  only the bootstrap (idempotent, fast when nothing changed)

SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.lidendrite-installed
CORES ?= all
# torch first, CPU build, so nothing pulls the CUDA wheels (see requirements/README.md)
TORCH_PIN := torch==2.13.0
APT_PACKAGES := cp2k cp2k-data chromium

.PHONY: all setup system-deps demo demo-long test test-fast lint dryrun doctor clean-results help

help:
	@echo "make demo   - install everything, then run both studies at demo scale (results/demo/)"
	@echo "make demo-long - the demo with the lpsc moving restraint 10x slower (15 ps; docs/lpsc.md)"
	@echo "make test   - install everything, then run the test suite (includes a ci-scale run)"
	@echo "make setup  - only install (.venv + CP2K)"
	@echo "make doctor - check every external component"

all: demo

$(STAMP): requirements/lock.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11" >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH_PIN)
	$(BIN)/python -m pip install --quiet --no-deps -r requirements/lock.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip check || true
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
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/python -m pytest -m "not gpu" tests

test-fast: setup
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/python -m pytest -m "not gpu and not slow" tests/unit

lint: setup
	$(BIN)/ruff check src tests scripts benchmarks
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/snakemake --lint

dryrun: setup
	for s in ci demo paper; do PATH=$(abspath $(BIN)):$$PATH $(BIN)/snakemake -n --configfile config/$$( [ $$s = demo ] && echo config || echo $$s ).yaml || exit 1; done

clean-results:
	rm -rf results logs .snakemake
