"""GPU install path (issue 30): `make setup GPU=1` installs pinned CUDA builds that match the lock."""

from __future__ import annotations

import importlib.metadata as md
import re
import shutil
import subprocess

import pytest
from packaging.requirements import Requirement

from conftest import REPO, run_cmd
from lidendrite.devices import visible_gpus


def _pins(path) -> dict[str, str]:
    """``{normalised name: version}`` of a requirements file; every entry must be ``name==version``."""
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([A-Za-z0-9_.+\-]+)", line)
        assert m, f"{path.name}: not an exact pin: {line!r}"
        pins[re.sub(r"[-_.]+", "-", m[1]).lower()] = m[2]
    return pins


GPU = _pins(REPO / "requirements" / "gpu.txt")
LOCK = _pins(REPO / "requirements" / "lock.txt")


def test_gpu_pins_match_the_lock():
    # TensorFlow: the CUDA build of the very version the CPU path installs
    assert "tensorflow-cpu" not in GPU
    assert GPU["tensorflow"] == LOCK["tensorflow-cpu"]
    # the JAX CUDA plugin must equal jax/jaxlib exactly, or JAX refuses to load it
    assert GPU["jax-cuda12-plugin"] == GPU["jax-cuda12-pjrt"] == LOCK["jax"] == LOCK["jaxlib"]
    # no package pinned twice with different versions (gpu.txt is installed after the lock)
    clash = {k: (v, LOCK[k]) for k, v in GPU.items() if k in LOCK and LOCK[k] != v}
    assert not clash, clash


def test_tensorflow_is_the_one_deepmd_kit_was_built_for():
    """deepmd-kit's own `gpu` extra names the TensorFlow it needs."""
    reqs = [Requirement(r) for r in md.requires("deepmd-kit") or []]
    gpu_tf = [r for r in reqs if r.name == "tensorflow" and r.marker and r.marker.evaluate({"extra": "gpu"})]
    assert gpu_tf, "deepmd-kit has no `gpu` extra naming tensorflow"
    assert all(r.specifier.contains(GPU["tensorflow"]) for r in gpu_tf), gpu_tf


def test_deepmd_cuda_libraries_are_pinned():
    """Every CUDA library deepmd-kit's `cu12` extra asks for is in gpu.txt (its GPU ops load them)."""
    reqs = [Requirement(r) for r in md.requires("deepmd-kit") or []]
    cu12 = {r.name for r in reqs if r.marker and r.marker.evaluate({"extra": "cu12"})}
    assert cu12, "deepmd-kit has no `cu12` extra"
    assert cu12 <= set(GPU), sorted(cu12 - set(GPU))


@pytest.mark.skipif(shutil.which("make") is None, reason="make not installed")
def test_make_setup_gpu_installs_gpu_txt_without_tensorflow_cpu(tmp_path):
    def plan(*extra):
        out = subprocess.run(["make", "-n", "-B", "setup", "PYTHON=python3", *extra], cwd=REPO,
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return out.stdout

    gpu, cpu = plan("GPU=1"), plan()
    assert "-r requirements/gpu.txt" in gpu and "requirements/gpu.txt" not in cpu
    assert "uninstall --quiet --yes tensorflow-cpu" in gpu
    assert re.search(r"uninstall .*\btensorflow jax-cuda12-plugin", cpu)
    # the lock that the GPU path installs: run its filter on the real lock
    cmd = next(ln for ln in gpu.splitlines() if ln.startswith("grep ") and "lock.txt" in ln)
    cmd = cmd.replace(".venv/lock-gpu.txt", str(tmp_path / "lock-gpu.txt"))
    subprocess.run(cmd, shell=True, cwd=REPO, check=True)
    filtered = _pins(tmp_path / "lock-gpu.txt")
    assert set(LOCK) - set(filtered) == {"tensorflow-cpu"}
    assert f"-r {tmp_path / 'lock-gpu.txt'}".replace(str(tmp_path), ".venv") in gpu


@pytest.mark.skipif(bool(visible_gpus()), reason="a GPU is visible here")
def test_gpu_check_without_gpu_stops_before_timing():
    """The GPU benchmark refuses a machine without a GPU in one line, before building or timing."""
    out = run_cmd(["bash", "benchmarks/gpu_check.sh"], timeout=60)
    assert out.returncode == 2, out.stdout + out.stderr
    assert out.stderr.strip().splitlines()[-1].startswith("lidendrite doctor: error: --require-gpu: no GPU visible")
    assert "qeq" not in out.stdout
