"""Iteration history of a ``dpgen run`` work folder, read from DP-GEN's own files.

Files read (DP-GEN 0.14 layout, relative to the folder where ``dpgen run`` ran):

``record.dpgen``
    One line ``<iteration> <step>`` per finished step; steps 0-8 of an
    iteration are make/run/post of train (0-2), model_devi (3-5) and fp (6-8).
``iter.NNNNNN/00.train/graph.MMM.pb``
    The frozen models of the iteration.
``iter.NNNNNN/01.model_devi/cur_job.json``
    The exploration job of the iteration (temperatures, per-system trust levels).
``iter.NNNNNN/01.model_devi/task.SSS.TTTTTT/model_devi.out``
    deepmd-kit's model deviation per saved frame; column ``max_devi_f``
    (eV/Angstrom) is the maximal atomic force standard deviation.
``iter.NNNNNN/02.fp/{candidate,rest_accurate,rest_failed}.shuffled.SSS.out``
    DP-GEN's classification of the explored frames of system ``SSS``, one
    line ``<task dir> <step>`` per frame.
``iter.NNNNNN/02.fp/task.SSS.TTTTTT/``
    One folder per frame sent to labelling; a finished task holds the fp
    output file (``labeled.extxyz`` with the custom fp of this project).
``iter.NNNNNN/02.fp/data.SSS/``
    The labelled frames collected by DP-GEN (``deepmd/npy``, one sub-folder
    per composition), which the next iteration trains on.

When the ``*.shuffled.*.out`` files are absent (``detailed_report_make_fp:
false``) the frames are classified here from ``model_devi.out`` and the trust
levels of ``cur_job.json`` (accurate: ``eps < lo``; candidate: ``lo <= eps <
hi``; failed: ``eps >= hi``), exactly as DP-GEN does for forces.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from lidendrite.io.dpgen import read_record
from lidendrite.io.jsonfile import write_json

__all__ = ["STEP_NAMES", "iteration_history", "write_history"]

#: DP-GEN's step index within an iteration -> name
STEP_NAMES = (
    "make_train",
    "run_train",
    "post_train",
    "make_model_devi",
    "run_model_devi",
    "post_model_devi",
    "make_fp",
    "run_fp",
    "post_fp",
)

_CLASSES = ("accurate", "candidate", "failed")
_SHUFFLED = {"accurate": "rest_accurate", "candidate": "candidate", "failed": "rest_failed"}


def _trust(value: Any, sys_idx: str, default: float) -> float:
    if value is None:
        return default
    if isinstance(value, dict):
        return float(value[str(int(sys_idx))])
    if isinstance(value, list):
        return float(value[int(sys_idx)])
    return float(value)


def _count_lines(path: Path) -> int:
    return sum(1 for ln in path.read_text().splitlines() if ln.strip())


def _classify_from_model_devi(
    task_dirs: list[Path], lo: float, hi: float, skip: int
) -> dict[str, int]:
    counts = dict.fromkeys(_CLASSES, 0)
    for task in task_dirs:
        f = task / "model_devi.out"
        if not f.is_file():
            continue
        header = f.read_text().splitlines()[0].lstrip("#").split()
        col = header.index("max_devi_f") if "max_devi_f" in header else 4
        data = np.loadtxt(f, ndmin=2)
        steps, eps = data[:, 0], data[:, col]
        keep = (steps >= skip) & np.isfinite(eps)
        eps = eps[keep]
        counts["accurate"] += int(np.sum(eps < lo))
        counts["failed"] += int(np.sum(eps >= hi))
        counts["candidate"] += int(np.sum((eps >= lo) & (eps < hi)))
    return counts


def _n_labelled(data_dir: Path) -> int:
    """Frames in a DP-GEN ``data.SSS`` folder (sum over its deepmd/npy systems)."""
    n = 0
    for type_raw in data_dir.rglob("type.raw"):
        system = type_raw.parent
        for energy in system.glob("set.*/energy.npy"):
            n += int(np.load(energy).size)
    return n


def iteration_history(
    workdir: str | Path,
    *,
    fp_output_fn: str = "labeled.extxyz",
    accurate_threshold: float,
    param: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Summarise every iteration of a ``dpgen run`` folder.

    Parameters
    ----------
    workdir
        Folder holding ``record.dpgen`` and ``iter.*``.
    fp_output_fn
        Output file of a finished fp task (``fp_params.output_fn``).
    accurate_threshold
        Fraction of accurate frames above which the exploration is converged
        (lpsc SI 2.2: 99 %; config ``lpsc.training.dpgen.param.fp_accurate_threshold``,
        its one source).
    param
        The ``param.json`` content, for global trust levels and
        ``model_devi_skip`` when a job does not set them (default: read
        ``workdir/param.json`` if present).

    Returns
    -------
    dict
        ``{"record": [[it, step], ...], "last": {"iteration", "step", "name"},
        "iterations": [...], "converged": bool}``; each iteration has
        ``iteration``, ``steps_done``, ``n_models``, ``temps`` (and ``ensemble``
        where the job names one), per-system
        ``systems[SSS] = {accurate, candidate, failed, total, trust_lo,
        trust_hi}``, the overall ``accurate/candidate/failed_fraction``,
        ``n_fp_tasks`` (frames sent to labelling), ``n_fp_failed`` (tasks
        without output), ``n_labelled`` (frames in ``data.*``), ``source``
        (``dpgen`` when read from the ``*.shuffled.*.out`` files, ``model_devi``
        when classified here) and ``converged``.
    """
    workdir = Path(workdir)
    record = read_record(workdir)
    if param is None and (workdir / "param.json").is_file():
        param = json.loads((workdir / "param.json").read_text())
    param = param or {}
    done: dict[int, int] = {}
    for it, step in record:
        done[it] = max(done.get(it, -1), step)

    iterations = []
    for it in sorted(done):
        idir = workdir / f"iter.{it:06d}"
        entry: dict[str, Any] = {
            "iteration": it,
            "steps_done": done[it] + 1,
            "n_models": len(list((idir / "00.train").glob("graph.*.pb"))),
        }
        md = idir / "01.model_devi"
        job = {}
        if (md / "cur_job.json").is_file():
            job = json.loads((md / "cur_job.json").read_text())
        entry["temps"] = job.get("temps", [])
        if job.get("ensemble"):
            entry["ensemble"] = job["ensemble"]
        fp = idir / "02.fp"
        sys_ids = sorted(
            {p.name.split(".")[1] for p in md.glob("task.*")}
            | {
                m.group(1)
                for p in fp.glob("*.shuffled.*.out")
                if (m := re.search(r"\.(\d+)\.out$", p.name))
            }
        )
        systems: dict[str, dict[str, Any]] = {}
        source = "dpgen"
        for s in sys_ids:
            lo = _trust(
                job.get("model_devi_f_trust_lo"),
                s,
                _trust(param.get("model_devi_f_trust_lo"), s, np.nan),
            )
            hi = _trust(
                job.get("model_devi_f_trust_hi"),
                s,
                _trust(param.get("model_devi_f_trust_hi"), s, np.nan),
            )
            files = {c: fp / f"{_SHUFFLED[c]}.shuffled.{s}.out" for c in _CLASSES}
            if all(f.is_file() for f in files.values()):
                counts = {c: _count_lines(f) for c, f in files.items()}
            elif done[it] >= 5 and np.isfinite(lo) and np.isfinite(hi):
                tasks = sorted(md.glob(f"task.{s}.*"))
                counts = _classify_from_model_devi(
                    tasks, lo, hi, int(param.get("model_devi_skip", 0))
                )
                source = "model_devi"
            else:
                continue
            total = sum(counts.values())
            systems[s] = {
                **counts,
                "total": total,
                "trust_lo": lo if np.isfinite(lo) else None,
                "trust_hi": hi if np.isfinite(hi) else None,
            }
        entry["systems"] = systems
        total = sum(v["total"] for v in systems.values())
        for c in _CLASSES:
            entry[f"{c}_fraction"] = (
                (sum(v[c] for v in systems.values()) / total) if total else None
            )
        entry["n_explored"] = total
        tasks = sorted(p for p in fp.glob("task.*") if p.is_dir())
        entry["n_fp_tasks"] = len(tasks)
        entry["n_fp_failed"] = (
            sum(1 for t in tasks if not (t / fp_output_fn).exists()) if done[it] >= 7 else None
        )
        entry["n_labelled"] = sum(_n_labelled(d) for d in fp.glob("data.*") if d.is_dir())
        entry["source"] = source if systems else None
        acc = entry["accurate_fraction"]
        entry["converged"] = bool(acc is not None and acc > accurate_threshold)
        iterations.append(entry)

    last_it, last_step = record[-1] if record else (-1, -1)
    return {
        "record": [list(r) for r in record],
        "last": {
            "iteration": last_it,
            "step": last_step,
            "name": STEP_NAMES[last_step] if 0 <= last_step < len(STEP_NAMES) else None,
        },
        "iterations": iterations,
        "accurate_threshold": accurate_threshold,
        "converged": any(e["converged"] for e in iterations),
    }


def write_history(history: dict[str, Any], path: str | Path) -> Path:
    """Write the history returned by :func:`iteration_history` as JSON."""
    return write_json(history, path, default=float)
