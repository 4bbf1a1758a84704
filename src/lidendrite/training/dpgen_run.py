"""Run ``dpgen run param.json machine.json`` and collect its final models.

DP-GEN keeps its progress in ``record.dpgen`` and resumes from the last
finished step when started again in the same folder, so a killed run is
resumed by calling :func:`run_dpgen` again (dpdispatcher also reattaches to
jobs it had submitted, through the ``remote_root`` of ``machine.json``).

DP-GEN is started through :mod:`lidendrite.training.dpgen_launch`, which sets
how often dpdispatcher checks its jobs (``check_interval_s``; dpdispatcher's
own 30 s default cannot be set from ``machine.json``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from lidendrite.errors import InputError, LidendriteError, ToolMissingError
from lidendrite.procs import die_with_parent

__all__ = ["DpgenFailedError", "find_dpgen", "run_dpgen", "final_models", "finalize_dpgen"]


class DpgenFailedError(LidendriteError, RuntimeError):
    """``dpgen run`` stopped with an error (a failed train, exploration or fp step)."""


def find_dpgen() -> str:
    """Path of the ``dpgen`` program (next to the running Python, else on ``PATH``)."""
    here = Path(sys.executable).parent / "dpgen"
    found = str(here) if here.is_file() else shutil.which("dpgen")
    if not found:
        raise ToolMissingError("dpgen not found; install it with: pip install dpgen==0.14.0")
    return found


def run_dpgen(
    param_json: str | Path,
    machine_json: str | Path,
    workdir: str | Path,
    *,
    log: str | Path | None = None,
    check_interval_s: float,
    stop_before_last_train: bool = False,
    seed: int | None = None,
    train_steps: dict[int, int] | None = None,
    fp_task_max: dict[int, int] | None = None,
) -> Path:
    """Run (or resume) DP-GEN in ``workdir``.

    Parameters
    ----------
    param_json, machine_json
        Files written by :mod:`lidendrite.training.dpgen_params`; copied into
        ``workdir`` as ``param.json`` and ``machine.json``.
    workdir
        DP-GEN work folder (``record.dpgen``, ``iter.*``).
    log
        File that receives DP-GEN's output (default ``workdir/dpgen.out``).
    check_interval_s
        Seconds between dpdispatcher's checks of its jobs' status (each DP-GEN
        step ends at the first check after its jobs end; 30 s is
        dpdispatcher's default); config ``lpsc.training.dpgen.check_interval_s``.
    stop_before_last_train
        End after the labelling of the last exploration, without DP-GEN's
        closing training (when a final training on every label follows; see
        :mod:`lidendrite.training.dpgen_launch`).
    seed
        Seed of DP-GEN's random draws (model seeds, exploration velocities,
        the candidates it labels; :func:`lidendrite.training.dpgen_launch.seed_draws`);
        None leaves them unseeded, as DP-GEN itself does.
    train_steps
        ``{iteration: steps}``: training length of those iterations only
        (:func:`lidendrite.training.dpgen_params.band_training_steps`).
    fp_task_max
        ``{iteration: frames}``: most labels per system of those iterations
        only (:func:`lidendrite.training.dpgen_params.band_fp_task_max`).

    Returns
    -------
    Path
        ``workdir``.

    Raises
    ------
    DpgenFailedError
        DP-GEN exited non-zero; the message quotes its last error line.
    """
    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    for src, name in ((param_json, "param.json"), (machine_json, "machine.json")):
        src = Path(src).resolve()
        if not src.is_file():
            raise InputError(f"{src}: DP-GEN {name} not found")
        if src != workdir / name:
            shutil.copyfile(src, workdir / name)
    log = Path(log) if log else workdir / "dpgen.out"
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["DP_BACKEND"] = "tensorflow"
    find_dpgen()  # a missing DP-GEN is reported with its install command
    if not check_interval_s > 0:
        raise InputError(f"check_interval_s: need > 0 s, got {check_interval_s}")
    cmd = [
        sys.executable,
        "-m",
        "lidendrite.training.dpgen_launch",
        "--check-interval",
        str(float(check_interval_s)),
        *(["--stop-before-last-train"] if stop_before_last_train else []),
        *(["--seed", str(int(seed))] if seed is not None else []),
        *(["--train-steps", json.dumps({str(k): int(v) for k, v in train_steps.items()})] if train_steps else []),
        *(["--fp-task-max", json.dumps({str(k): int(v) for k, v in fp_task_max.items()})] if fp_task_max else []),
        "run",
        "param.json",
        "machine.json",
    ]
    with open(log, "a") as fh:
        proc = subprocess.run(
            cmd,
            cwd=workdir,
            stdout=fh,
            stderr=subprocess.STDOUT,
            env=env,
            preexec_fn=die_with_parent,
        )
    if proc.returncode != 0:
        raise DpgenFailedError(
            f"dpgen run failed (exit {proc.returncode}) in {workdir}: {_last_error(log)}; see {log}"
        )
    return workdir


def _last_error(log: Path) -> str:
    lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    for ln in reversed(lines):
        if "Error" in ln or "error" in ln or "failed" in ln:
            return ln[:300]
    return lines[-1][:300] if lines else "no output"


def final_models(workdir: str | Path) -> list[Path]:
    """Frozen models of the last iteration whose training finished (``graph.*.pb``).

    Raises :class:`InputError` when no iteration has trained models yet.
    """
    workdir = Path(workdir)
    for idir in sorted(workdir.glob("iter.*"), reverse=True):
        graphs = sorted((idir / "00.train").glob("graph.*.pb"))
        if graphs:
            return graphs
    raise InputError(
        f"{workdir}: no DP-GEN iteration with trained models (iter.*/00.train/graph.*.pb)"
    )


def finalize_dpgen(
    workdir: str | Path,
    out_pb: str | Path,
    history_json: str | Path,
    *,
    accurate_threshold: float,
) -> dict:
    """Copy the first final model to ``out_pb`` and write the iteration history.

    Returns the history (see :func:`lidendrite.training.dpgen_record.iteration_history`)
    with ``final_models`` (all frozen models of the last trained iteration) added.
    """
    from lidendrite.training.dpgen_record import iteration_history, write_history

    models = final_models(workdir)
    out_pb = Path(out_pb)
    out_pb.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(models[0].resolve(), out_pb)
    history = iteration_history(workdir, accurate_threshold=accurate_threshold)
    history["final_models"] = [str(p) for p in models]
    write_history(history, history_json)
    return history
