"""Concurrent learning of DP_short driven by DP-QEq MD (ec paper 2.2.3).

One iteration:

1. train ``numb_models`` DP_short models (different seeds) on all short-range
   data so far (deepmd-kit TF backend); with ``reuse_numb_steps`` each model
   of iteration ``i > 0`` continues from model ``k`` of iteration ``i - 1``
   (DP-GEN's ``training_reuse_iter``), so the explorer grows with the data;
2. explore: ASE NVT MD with :class:`~lidendrite.dpqeq.calculator.DPQEqCalculator`
   on model 0 — ConstQ on the single interface, then ConstP on the double
   interface, at the configured temperatures (paper: 200-400 K); with
   ``continue_explorations`` each run starts where the same run of the previous
   iteration ended (unless that one stopped early), so the explored time grows
   with the iterations and reaches the states a longer production run reaches
   (at the demo's Li|EC+LiPF6 interface: PF6- losing its F within 0.1-0.4 ps);
3. model deviation ``eps_f = max_i std_models(F_i)`` of the DP_short models on
   every explored frame (:func:`lidendrite.training.deepmd_run.model_devi`);
4. frames with ``lo <= eps_f < hi`` (paper: [0.1, 0.2] eV/Angstrom) are
   labelled by the active labeller, turned into short-range labels and added;
   with ``label_failed_per_exploration = n > 0`` also the first ``n`` frames of
   each run with ``eps_f >= hi`` (the paper discards them; see :func:`earliest_failed`).

The loop is converged when every explored frame has ``eps_f < lo``; it stops
then or after ``n_iterations``. The record (one entry per iteration) is what
the history plot draws. Units: eV, Angstrom, K, fs.

Each finished iteration leaves ``iter.NNN/iteration.json`` (its record entry and
the data folders it added) and ``iter.NNN/labelled.extxyz``; a rerun with the
same settings (only ``n_iterations`` may differ) takes those iterations as done
and goes on from the first unfinished one, so a killed run loses at most one
iteration and a larger ``n_iterations`` extends a finished loop. An iteration
folder written under other settings is discarded with every later one.

Why one module of about 450 lines: the loop's four steps (train, explore, deviate, label) share its record and resume state.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms

from lidendrite.errors import InputError, OverlapError
from lidendrite.io.fingerprint import digest, encode_atoms
from lidendrite.io.jsonfile import write_json

__all__ = [
    "training_job",
    "train_models",
    "explore",
    "classify",
    "earliest_failed",
    "run_active_learning",
]


def training_job(
    systems: Sequence[str | Path],
    workdir: str | Path,
    *,
    type_map: Sequence[str],
    model_cfg: Mapping[str, Any],
    numb_steps: int | None = None,
    seed: int,
    name: str = "model0",
) -> tuple[dict[str, Any], Path, Path]:
    """One model for :func:`lidendrite.training.deepmd_run.train_and_freeze`.

    Returns ``(deepmd input, workdir/name, workdir/name.pb)``.
    """
    from lidendrite.training.deepmd_input import build_deepmd_input

    workdir = Path(workdir)
    from lidendrite.training.zbl import with_zbl_table

    # DP-ZBL: the pair table lives beside the models it serves
    cfg = with_zbl_table(model_cfg, type_map, workdir)
    if numb_steps is not None:
        cfg["numb_steps"] = int(numb_steps)
    jdata = build_deepmd_input(
        type_map=type_map,
        training_systems=[str(Path(s).resolve()) for s in systems],
        seed=seed,
        **cfg,
    )
    return jdata, workdir / name, workdir / f"{name}.pb"


def train_models(
    systems: Sequence[str | Path],
    workdir: str | Path,
    *,
    type_map: Sequence[str],
    model_cfg: Mapping[str, Any],
    n_models: int,
    numb_steps: int | None = None,
    seed0: int,
    threads: int | None = None,
    name: str = "model",
    init_from: str | Path | None = None,
) -> list[Path]:
    """Train and freeze ``n_models`` Deep Potentials (seeds ``seed0 + k``) side by side.

    The models share ``threads`` cores
    (:func:`lidendrite.training.deepmd_run.train_and_freeze`); returns the ``.pb`` files.
    With ``init_from`` (the ``workdir`` of an earlier call) model ``k`` starts
    from that call's model ``k`` (``--init-model``) instead of from scratch.
    """
    from lidendrite.training import deepmd_run

    jobs = []
    for k in range(int(n_models)):
        job = training_job(
            systems,
            workdir,
            type_map=type_map,
            model_cfg=model_cfg,
            numb_steps=numb_steps,
            seed=seed0 + k,
            name=f"{name}{k}",
        )
        init = None if init_from is None else Path(init_from) / f"{name}{k}" / "model.ckpt"
        jobs.append((*job, init))
    return deepmd_run.train_and_freeze(jobs, threads=threads)


def explore(
    model: str | Path,
    atoms: Atoms,
    *,
    mode: str,
    temperature_K: float,
    n_steps: int,
    timestep_fs: float,
    sample_every: int,
    dpqeq: Mapping[str, Any],
    bias: Mapping[str, Any],
    seed: int,
    max_temperature_K: float | None = None,
) -> tuple[list[Atoms], dict[str, Any] | None]:
    """NVT MD (Langevin, ASE) with DP-QEq; return the frames every ``sample_every`` steps.

    ``dpqeq`` is the config block ``ec.dpqeq`` (``qeq``: QEq settings) and
    ``bias`` the block ``ec.bias`` (:class:`~lidendrite.qeq.bias.ElectrodeBias`:
    potentials, CN rule and split plane, used when ``mode == "constp"``; the
    structure's ``region`` and ``layer`` arrays place them). Frames carry the
    DP-QEq charges as ``charges``.

    An exploration is a probe of where the model is wrong, so a run that a
    poor model drives into overlapping atoms (the QEq engine refuses them)
    ends there instead of failing the loop, like a LAMMPS exploration in
    DP-GEN whose last frames simply come out "failed". With
    ``max_temperature_K`` it also ends at the first step whose kinetic
    temperature (K) is above that bound: a run heated far past its thermostat
    has left the physics the labeller should teach, and its later frames are
    debris. Returns ``(frames, stop)``: ``stop`` is None for a complete run,
    else ``{"step", "reason"}``.
    """
    from ase import units
    from ase.md.langevin import Langevin
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary

    from lidendrite.dpqeq.calculator import DPQEqCalculator
    from lidendrite.qeq.bias import ElectrodeBias

    if n_steps <= 0 or not 0 < sample_every <= n_steps:
        raise InputError(
            f"exploration: need 0 < sample_every <= n_steps, got {sample_every}, {n_steps}"
        )
    a = Atoms(atoms.get_chemical_symbols(), positions=atoms.positions, cell=atoms.cell, pbc=True)
    for key in ("region", "layer"):  # the authors' CN rule biases the outermost layers
        if key in atoms.arrays:
            a.set_array(key, atoms.arrays[key].copy())
    if mode == "constp":
        settings = ElectrodeBias.from_config(bias).qeq_settings(a, "exploration")
    else:
        settings = {"mode": mode}
    calc = DPQEqCalculator(model, dpqeq["qeq"], **settings)
    a.calc = calc
    rng = np.random.default_rng(seed)
    MaxwellBoltzmannDistribution(a, temperature_K=temperature_K, rng=rng)
    Stationary(a)
    dyn = Langevin(
        a, timestep_fs * units.fs, temperature_K=temperature_K, friction=0.01 / units.fs, rng=rng
    )
    frames: list[Atoms] = []

    def sample() -> None:
        f = Atoms(a.get_chemical_symbols(), positions=a.positions, cell=a.cell, pbc=True)
        f.arrays["charges"] = np.asarray(calc.results["charges"]).copy()
        frames.append(f)

    class _TooHot(Exception):
        pass

    def check_temperature() -> None:
        t = a.get_temperature()
        if t > max_temperature_K:
            raise _TooHot(f"kinetic temperature {t:.0f} K > {max_temperature_K:g} K")

    if max_temperature_K is not None:  # no per-step observer when there is no bound
        dyn.attach(check_temperature, interval=1)
    dyn.attach(sample, interval=sample_every)
    stop = None
    try:
        dyn.run(n_steps)
    except (OverlapError, _TooHot) as exc:
        stop = {"step": int(dyn.nsteps), "reason": str(exc)}
        print(f"exploration stopped at step {dyn.nsteps}/{n_steps}: {exc}", flush=True)
    return frames[1:], stop


def classify(devi: np.ndarray, lo: float, hi: float) -> dict[str, np.ndarray]:
    """Split frames by model deviation (eV/Angstrom): accurate < lo <= candidate < hi <= failed."""
    devi = np.asarray(devi, dtype=float)
    if not np.isfinite(devi).all():
        raise InputError(
            f"model deviation: NaN or inf at frame {int(np.argmax(~np.isfinite(devi)))}"
        )
    if not 0 < lo < hi:
        raise InputError(f"trust_f: need 0 < lo < hi, got [{lo}, {hi}]")
    return {
        "accurate": np.flatnonzero(devi < lo),
        "candidate": np.flatnonzero((devi >= lo) & (devi < hi)),
        "failed": np.flatnonzero(devi >= hi),
    }


def earliest_failed(groups: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    """The first ``n`` frames (in time order) of one exploration above the upper
    trust level. DP-GEN discards them all (``n = 0``); a run that a small model
    drives into a valley the labeller puts uphill leaves it through such frames,
    and its earliest ones are the configurations that teach the model the way back."""
    if n < 0:
        raise InputError(f"label_failed_per_exploration must be >= 0, got {n}")
    return np.asarray(groups["failed"], dtype=int)[:n]  # classify() keeps time order


def run_active_learning(
    *,
    init_short_systems: Sequence[str | Path],
    structures: Mapping[str, Atoms],
    labeller: Any,
    workdir: str | Path,
    type_map: Sequence[str],
    training: Mapping[str, Any],
    al_cfg: Mapping[str, Any],
    dpqeq: Mapping[str, Any],
    bias: Mapping[str, Any],
    threads: int | None = None,
) -> dict[str, Any]:
    """Run the loop; return the record (also written to ``workdir/record.json`` after each iteration).

    Parameters
    ----------
    init_short_systems
        dpdata systems of the initial short-range data.
    structures
        Starting structures named as in ``al_cfg['explorations'][*]['structure']``.
    training
        Config ``ec.training`` (``model``, ``numb_models``, ``trust_f``).
    al_cfg
        Config ``ec.active_learning``: ``n_iterations``, ``max_label_per_iteration``,
        ``explorations`` (list of ``{structure, mode, temps, n_steps,
        timestep_fs, sample_every}``).
    dpqeq
        Config ``ec.dpqeq``.
    bias
        Config ``ec.bias`` (the ConstP explorations).

    Returns
    -------
    dict
        ``iterations`` (per iteration: explored, accurate, candidate, failed,
        labelled counts and deviation stats), ``converged``, ``short_systems``
        (all short-range data folders), ``full_frames`` (labelled frames added).
    """
    from lidendrite.dpqeq.short_range import write_short_range
    from lidendrite.training.deepmd_run import model_devi

    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    lo, hi = (float(x) for x in training["trust_f"])
    n_failed = int(al_cfg["label_failed_per_exploration"])  # default in config/schema.yaml
    systems = [Path(s) for s in init_short_systems]
    record: dict[str, Any] = {"trust_f": [lo, hi], "iterations": [], "converged": False}
    added: list[Atoms] = []
    steps0 = al_cfg.get("numb_steps")  # None: training.model.numb_steps
    reuse_steps = al_cfg.get("reuse_numb_steps")  # None: every iteration from scratch
    t_max = al_cfg.get("max_temperature_K")
    fingerprint = settings_fingerprint(
        init_short_systems=systems,
        structures=structures,
        labeller=getattr(labeller, "level_of_theory", str(labeller)),
        type_map=type_map,
        training=training,
        al_cfg=al_cfg,
        dpqeq=dpqeq,
        bias=bias,
    )
    continue_runs = bool(al_cfg["continue_explorations"])
    starts: dict[str, Atoms] = {}  # "j:temp" -> where that exploration goes on
    for it in range(int(al_cfg["n_iterations"])):
        t0 = time.monotonic()
        idir = workdir / f"iter.{it:03d}"
        done = finished_iteration(idir, fingerprint)
        if done is not None:
            entry, new_systems, labelled, converged = done
            starts = read_starts(idir, structures, al_cfg["explorations"])
            systems += new_systems
            added += labelled
            record["iterations"].append(entry)
            record["last_models_dir"] = str(idir / "train")
            record["converged"] = converged
            _progress(it, "done in an earlier run (iteration.json)", t0)
            _write(record, workdir)
            if record["converged"]:
                break
            continue
        discard_from(workdir, it)
        reuse = it > 0 and reuse_steps is not None
        models = train_models(
            systems,
            idir / "train",
            type_map=type_map,
            model_cfg=training["model"],
            n_models=int(training["numb_models"]),
            numb_steps=reuse_steps if reuse else steps0,
            seed0=int(training["seed"]) + 10 * it,
            threads=threads,
            init_from=workdir / f"iter.{it - 1:03d}" / "train" if reuse else None,
        )
        record["last_models_dir"] = str(idir / "train")  # model k: <dir>/model<k>/model.ckpt
        entry: dict[str, Any] = {
            "iteration": it,
            "n_train_systems": len(systems),
            "warm_start": reuse,
            "explorations": [],
            # wall seconds of each phase: where an iteration's time goes
            "phase_seconds": {
                "train": round(time.monotonic() - t0, 1),
                "explore": 0.0,
                "model_devi": 0.0,
            },
        }
        _progress(it, f"trained {len(models)} models", t0)
        candidates: list[Atoms] = []
        runaway: list[Atoms] = []
        all_devi = []
        for j, ex in enumerate(al_cfg["explorations"]):
            name = ex["structure"]
            if name not in structures:
                raise InputError(
                    f"ec.active_learning.explorations[{j}].structure: unknown {name!r}"
                )
            for temp in ex["temps"]:
                t_phase = time.monotonic()
                key = f"{j}:{float(temp):g}"
                start = starts.get(key, structures[name])
                frames, stop = explore(
                    models[0],
                    start,
                    mode=ex["mode"],
                    temperature_K=float(temp),
                    n_steps=int(ex["n_steps"]),
                    timestep_fs=float(ex["timestep_fs"]),
                    sample_every=int(ex["sample_every"]),
                    dpqeq=dpqeq,
                    bias=bias,
                    seed=1000 * it + 10 * j + int(temp),
                    max_temperature_K=None if t_max is None else float(t_max),
                )
                entry["phase_seconds"]["explore"] += time.monotonic() - t_phase
                if continue_runs and stop is None and frames:
                    starts[key] = continued_start(frames[-1], structures[name], key)
                else:  # a run that stopped (or no continuation) starts afresh next time
                    starts.pop(key, None)
                t_phase = time.monotonic()
                devi = model_devi(models, frames) if frames else np.zeros(0)
                entry["phase_seconds"]["model_devi"] += time.monotonic() - t_phase
                groups = classify(devi, lo, hi)
                all_devi.append(devi)
                candidates += [frames[i] for i in groups["candidate"]]
                early_failed = earliest_failed(groups, n_failed)
                runaway += [frames[i] for i in early_failed]
                entry["explorations"].append(
                    {
                        "structure": name,
                        "continued": start is not structures[name],
                        "mode": ex["mode"],
                        "temperature_K": float(temp),
                        "n_frames": len(frames),
                        "stopped_early": stop,
                        "max_devi_f": devi.tolist(),
                        **{k: int(v.size) for k, v in groups.items()},
                        "failed_labelled": int(early_failed.size),
                    }
                )
        devi_all = np.concatenate(all_devi)
        groups = classify(devi_all, lo, hi)
        entry.update({k: int(v.size) for k, v in groups.items()})
        entry["n_explored"] = int(devi_all.size)
        entry["devi_f_max"] = float(devi_all.max()) if devi_all.size else None
        entry["devi_f_mean"] = float(devi_all.mean()) if devi_all.size else None
        stopped = any(e["stopped_early"] for e in entry["explorations"])
        entry["phase_seconds"] = {k: round(v, 1) for k, v in entry["phase_seconds"].items()}
        if groups["accurate"].size == devi_all.size and not stopped:
            entry["n_labelled"] = 0
            entry["seconds"] = time.monotonic() - t0
            record["iterations"].append(entry)
            record["converged"] = True
            _write(record, workdir)
            _mark_finished(idir, fingerprint, entry, [], [], starts, converged=True)
            break
        rng = np.random.default_rng(it)
        n_max = int(al_cfg["max_label_per_iteration"])
        pick = rng.permutation(len(candidates))[:n_max]
        chosen = [candidates[i] for i in sorted(pick)] + runaway
        entry["n_labelled"] = len(chosen)
        entry["n_labelled_failed"] = len(runaway)
        _progress(it, f"explored {entry['n_explored']} frames, labelling {len(chosen)}", t0)
        t_phase = time.monotonic()
        labelled, new = [], []
        if chosen:
            labelled = labeller.label(chosen)
            for f in labelled:
                f.info["source"] = f"iter.{it:03d}"
            added += labelled
            _, new = write_short_range(
                labelled,
                idir / "short",
                type_map,
                labeller=labeller.name,
                level_of_theory=labeller.level_of_theory,
                qeq_settings=dpqeq.get("qeq", {}),
            )
            systems += new
        entry["phase_seconds"]["label"] = round(time.monotonic() - t_phase, 1)
        entry["seconds"] = time.monotonic() - t0
        _progress(it, "done", t0)
        record["iterations"].append(entry)
        _write(record, workdir)
        _mark_finished(idir, fingerprint, entry, new, labelled, starts, converged=False)
    record["short_systems"] = [str(s) for s in systems]
    record["n_labelled_total"] = len(added)
    _write(record, workdir)
    record["added_frames"] = added
    return record


def settings_fingerprint(**settings: Any) -> str:
    """SHA-256 of everything that decides an iteration's result, ``n_iterations`` excepted.

    ``structures`` (name -> Atoms) enter by symbols, positions and cell; the
    rest by their JSON form.
    """
    s = dict(settings)
    s["al_cfg"] = {k: v for k, v in dict(s["al_cfg"]).items() if k != "n_iterations"}
    s["structures"] = {name: encode_atoms(a, 6) for name, a in s["structures"].items()}
    s["init_short_systems"] = [str(p) for p in s["init_short_systems"]]
    return digest(s)


def finished_iteration(
    idir: Path, fingerprint: str
) -> tuple[dict[str, Any], list[Path], list[Atoms], bool] | None:
    """``(entry, new data folders, labelled frames, converged)`` of a finished iteration, or None.

    None when ``idir/iteration.json`` is missing, was written under other
    settings, or names a data folder that is gone.
    """
    from lidendrite.dpqeq.data import read_frames

    marker = idir / "iteration.json"
    if not marker.is_file():
        return None
    done = json.loads(marker.read_text())
    if done.get("fingerprint") != fingerprint:
        return None
    new = [Path(p) for p in done["new_systems"]]
    if not all((p / "type.raw").is_file() for p in new):
        return None
    labelled = read_frames(idir / "labelled.extxyz") if new else []
    return done["entry"], new, labelled, bool(done["converged"])


def continued_start(frame: Atoms, structure: Atoms, key: str) -> Atoms:
    """The last frame of an exploration as the start of the same exploration next
    iteration: its positions and cell with the built structure's per-atom
    ``region``/``layer`` (the atom order never changes), tagged ``exploration = key``."""
    a = Atoms(frame.get_chemical_symbols(), positions=frame.positions, cell=frame.cell, pbc=True)
    for name in ("region", "layer"):
        if name in structure.arrays:
            a.set_array(name, structure.arrays[name].copy())
    a.info["exploration"] = key
    return a


def read_starts(
    idir: Path, structures: Mapping[str, Atoms], explorations: Sequence[Mapping[str, Any]]
) -> dict[str, Atoms]:
    """The start states a finished iteration left for the next one (``next_starts.extxyz``)."""
    from lidendrite.dpqeq.data import read_frames

    path = idir / "next_starts.extxyz"
    if not path.is_file():
        return {}
    out = {}
    for f in read_frames(path):
        key = str(f.info["exploration"])
        name = explorations[int(key.split(":")[0])]["structure"]
        out[key] = continued_start(f, structures[name], key)
    return out


def discard_from(workdir: Path, it: int) -> None:
    """Remove iteration folders ``it`` and later: results of other settings or a killed run."""
    for d in sorted(workdir.glob("iter.[0-9][0-9][0-9]")):
        if int(d.name.split(".")[1]) >= it:
            shutil.rmtree(d)


def _mark_finished(
    idir: Path,
    fingerprint: str,
    entry: dict[str, Any],
    new: Sequence[Path],
    labelled: list[Atoms],
    starts: Mapping[str, Atoms],
    *,
    converged: bool,
) -> None:
    """Write the iteration's labelled frames and the next start states, then its
    ``iteration.json`` (atomically, last)."""
    from lidendrite.dpqeq.data import write_frames

    write_frames(labelled, idir / "labelled.extxyz")
    write_frames(list(starts.values()), idir / "next_starts.extxyz")
    marker = {
        "fingerprint": fingerprint,
        "converged": converged,
        "entry": entry,
        "new_systems": [str(p) for p in new],
    }
    write_json(marker, idir / "iteration.json", default=str)


def _progress(it: int, what: str, t0: float) -> None:
    print(f"active learning iteration {it}: {what} ({time.monotonic() - t0:.0f} s)", flush=True)


def _write(record: dict[str, Any], workdir: Path) -> None:
    rec = {k: v for k, v in record.items() if k != "added_frames"}
    write_json(rec, workdir / "record.json", default=str)
