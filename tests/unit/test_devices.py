"""Devices (issue 30): GPU memory sharing set in one place, device report, GPU requests."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from lidendrite import devices
from lidendrite.errors import InputError

# what a child process of a rule script or the CLI sees: import the package, start a child,
# print the child's environment (the child is a plain Python, as `dp` or `lmp` would be)
_CHILD = (
    "import json, os, subprocess, sys; import lidendrite; "
    "out = subprocess.run([sys.executable, '-c', 'import json, os; print(json.dumps(dict(os.environ)))'], "
    "capture_output=True, text=True, check=True).stdout; print(out)"
)


def _env_without_gpu_settings(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in devices.GPU_MEMORY_ENV}
    env.update(extra)
    return env


def test_gpu_memory_env_reaches_children_of_the_package():
    """Importing lidendrite (every rule script and the CLI do) sets both variables for its children."""
    out = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True, timeout=60,
                         env=_env_without_gpu_settings())
    assert out.returncode == 0, out.stderr
    child = json.loads(out.stdout)
    assert child["TF_FORCE_GPU_ALLOW_GROWTH"] == "true"
    assert child["XLA_PYTHON_CLIENT_PREALLOCATE"] == "false"


def test_user_setting_is_kept():
    """A value set by the user (e.g. preallocation on with a memory fraction) wins."""
    env = {"XLA_PYTHON_CLIENT_PREALLOCATE": "true"}
    applied = devices.share_gpu_memory(env)
    assert applied == {"TF_FORCE_GPU_ALLOW_GROWTH": "true", "XLA_PYTHON_CLIENT_PREALLOCATE": "true"}
    assert env["TF_FORCE_GPU_ALLOW_GROWTH"] == "true"


def test_idle_openmp_threads_sleep_in_children_of_the_package():
    """Importing lidendrite sets OMP_WAIT_POLICY=PASSIVE for what it starts (torch, LAMMPS and
    deepmd's OpenMP pools then sleep when idle), unless the user chose a policy."""
    code = "import os, lidendrite; print(os.environ['OMP_WAIT_POLICY'])"
    env = {k: v for k, v in _env_without_gpu_settings().items() if k != "OMP_WAIT_POLICY"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert out.stdout.strip() == "PASSIVE", out.stderr
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={**env, "OMP_WAIT_POLICY": "ACTIVE"})
    assert out.stdout.strip() == "ACTIVE", out.stderr


def test_cli_process_has_the_settings():
    """The `lidendrite` entry point (what rules call) goes through the package import too."""
    code = "import os, lidendrite.cli; print(os.environ['TF_FORCE_GPU_ALLOW_GROWTH'], os.environ['XLA_PYTHON_CLIENT_PREALLOCATE'])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env=_env_without_gpu_settings())
    assert out.stdout.split() == ["true", "false"], out.stderr


def test_hidden_gpus_are_not_visible(monkeypatch):
    for hidden in ("", "-1"):
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", hidden)
        assert devices.visible_gpus() == []


def test_cpu_device_accepted_and_bad_names_rejected():
    assert devices.check_torch_device("cpu") == "cpu"
    for bad in ("gpu", "cuda:x", "cpu:0", "tpu"):
        with pytest.raises(InputError, match="choose cpu, cuda or cuda:N"):
            devices.check_torch_device(bad)


@pytest.mark.skipif(bool(devices.visible_gpus()), reason="a GPU is visible here")
def test_cuda_requested_without_gpu_is_one_line_error():
    with pytest.raises(InputError) as err:
        devices.check_torch_device("cuda")
    msg = str(err.value)
    assert "labeling.teacher.device 'cuda'" in msg and "\n" not in msg


def test_doctor_reports_each_component_device(cmd, tmp_path):
    """`lidendrite doctor --only devices` names every component's device; cpu where no GPU is visible."""
    out = cmd(["lidendrite", "doctor", "--only", "devices", "--workdir", str(tmp_path)], timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr[-2000:]
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("[  ok] devices"))
    report = dict(part.split(": ", 1) for part in line.split("devices", 1)[1].rsplit("(", 1)[0].strip().split("; ")
                  if ": " in part)
    assert set(report) >= {"tensorflow", "jax", "torch", "GPUs visible"}, line
    assert "pair_style deepmd on" in line  # LAMMPS's deepmd pair runs on TensorFlow's device
    expected = "gpu" if devices.visible_gpus() else "cpu"
    for component in ("tensorflow", "jax"):
        assert report[component].startswith(expected), line


@pytest.mark.skipif(bool(devices.visible_gpus()), reason="a GPU is visible here")
def test_doctor_require_gpu_without_gpu_is_one_line_error(cmd):
    out = cmd(["lidendrite", "doctor", "--require-gpu"], timeout=60)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "lidendrite doctor: error: --require-gpu: no GPU visible (nvidia-smi lists none, or CUDA_VISIBLE_DEVICES hides them)"
    ]


def test_doctor_accepts_either_tensorflow_build(monkeypatch):
    """The CPU build (tensorflow-cpu) or the CUDA one (tensorflow), exactly one of them."""
    from lidendrite import doctor

    for installed, expected in ((("tensorflow-cpu",), "tensorflow-cpu"), (("tensorflow",), "tensorflow")):
        monkeypatch.setattr(doctor, "_version", lambda d, inst=installed: "2.21.0" if d in inst else "not installed")
        assert doctor._tensorflow_dist() == expected
    monkeypatch.setattr(doctor, "_version", lambda d: "2.21.0")
    with pytest.raises(RuntimeError, match="both installed"):
        doctor._tensorflow_dist()
    monkeypatch.setattr(doctor, "_version", lambda d: "not installed")
    with pytest.raises(RuntimeError, match="missing"):
        doctor._tensorflow_dist()


def test_teacher_on_an_invisible_gpu_is_a_one_line_error():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a GPU is visible here")
    from lidendrite.labeling.teacher import TeacherLabeller

    with pytest.raises(InputError, match=r"^labeling.teacher.device 'cuda': ") as err:
        TeacherLabeller("chgnet", device="cuda")
    assert "\n" not in str(err.value)
