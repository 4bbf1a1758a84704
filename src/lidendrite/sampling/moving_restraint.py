"""Moving-restraint MD: LAMMPS (in-process) + PLUMED through ``fix external``.

An et al., Methods 2.2 and SI 4: NPT at 300 K with 1 bar on x and y
(coupled), z fixed (vacuum), Nose-Hoover thermostat + Parrinello-Rahman-type
barostat (LAMMPS ``fix npt``, Martyna-Tobias-Klein equations), 1 fs, with the
bias V = 1/2 kappa (s(R) - s0(t))^2 on the CV of :mod:`lidendrite.sampling.cv`,
kappa = 500 eV (too stiff for 1 fs here: the run stops before the first
step with an InputError when omega * dt of the restraint mode exceeds
``max_omega_dt``, see :func:`check_restraint_stability`).  s0 moves
linearly in MD steps (PLUMED MOVINGRESTRAINT) from the CV of the first
frame to ``s_end`` at the last step.

Robustness: LAMMPS restart files are written every ``restart_every`` steps
(atomically, so the last good one survives a crash); a second call with the
same ``workdir`` resumes from it.  LAMMPS keeps the step number in the
restart file, which is the step passed to PLUMED, so s0(t) continues exactly;
COLVAR and dump are cut back to the lines and frames before the restart step
and appended to (the resumed run writes the restart step again), so every
step appears once, as in an uninterrupted run.  A call that has nothing left
to run (the restart is at ``n_steps``, or at or past ``stop_at_step``) runs
no MD and keeps every line and frame up to the restart step: a finished run
is recognised, its files are left as they are and its summary is returned.
A run resumes only when its fingerprint (:func:`run_fingerprint`: SHA-256 of the
model file, the structure and the restraint settings, kept in
``lidendrite_fingerprint.txt`` beside the restart) matches; otherwise the old
folder is moved to ``<workdir>.stale`` with a one-line message and the run
starts afresh, as the lpsc DP-GEN folder does (scripts/lpsc_run_dpgen.py), so a
changed model never silently continues an old trajectory.  Lost
atoms, non-finite positions, energies or bias and PLUMED failures stop the
run with :class:`SimulationFailed` (one line naming the cause).

Why one module of about 800 lines: the LAMMPS setup, the restart/resume bookkeeping and the per-chunk run loop of one moving-restraint run share its work-folder state.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from lidendrite.errors import InputError, LidendriteError
from lidendrite.io.colvar import read_colvar
from lidendrite.io.fingerprint import digest, file_digest
from lidendrite.io.jsonfile import write_json
from lidendrite.sampling.cv import (
    cv_coordination_numpy,
    cv_groups,
    cv_plumed_input,
    moving_restraint_plumed_input,
    restraint_omega,
)
from lidendrite.sampling.lammps_env import create_lammps, lammps_version
from lidendrite.sampling.plumed_bridge import EV_TO_KJMOL, PlumedBridge

__all__ = [
    "SimulationFailed",
    "MovingRestraintResult",
    "run_moving_restraint",
    "check_restraint_stability",
    "run_fingerprint",
]

#: config key prefix named in error messages
CONFIG_KEY = "lpsc.sampling"

STATE_FILE = "state.json"
RESTART_FILE = "restart.lmp"
DATA_FILE = "data.lmp"
PLUMED_FILE = "plumed.dat"
COLVAR_FILE = "COLVAR"
DUMP_FILE = "traj.lammpstrj"
LOG_FILE = "log.lammps"
PLUMED_LOG = "plumed.log"
SUMMARY_FILE = "moving_restraint.json"
FINGERPRINT_FILE = "lidendrite_fingerprint.txt"
FIX_ID = "plumed"


class SimulationFailed(LidendriteError, RuntimeError):
    """The MD run became unstable (lost atoms, NaN energy, PLUMED failure)."""


@dataclass
class MovingRestraintResult:
    """Outputs and headline numbers of :func:`run_moving_restraint`."""

    workdir: str
    colvar: str
    dump: str
    log: str
    restart: str
    final_step: int
    n_steps: int
    finished: bool
    resumed_from_step: int | None
    s0_start: float
    s0_end: float
    cv_first: float
    cv_last: float
    plumed_version: str
    lammps_version: str
    wall_time_s: float
    plumed_time_s: float
    kappa_ev: float
    restraint_period_fs: float
    omega_dt: float
    max_omega_dt: float
    fingerprint: str = ""


def _colvar_time(line: str, n_fields: int | None) -> float | None:
    """Time (ps) of a complete COLVAR data line, ``None`` for a cut-off (partly written) one."""
    words = line.split()
    if n_fields is not None and len(words) != n_fields:
        return None
    try:
        return float(words[0])
    except (IndexError, ValueError):
        return None


def _truncate_colvar(path: Path, t_max: float) -> None:
    """Drop COLVAR data lines with time >= ``t_max`` (ps) and partly written ones; keep headers."""
    if not path.exists():
        return
    keep: list[str] = []
    n_fields: int | None = None
    for line in path.read_text().splitlines(keepends=True):
        if line.startswith("#! FIELDS"):
            n_fields = len(line.split()) - 2
        if line.startswith("#") or not line.strip():
            keep.append(line)
            continue
        time_ps = _colvar_time(line, n_fields)
        if time_ps is not None and time_ps < t_max and line.endswith("\n"):
            keep.append(line)
    _write_if_changed(path, "".join(keep))


def _truncate_dump(path: Path, step_max: int) -> None:
    """Drop frames with timestep >= ``step_max`` from a LAMMPS text dump."""
    if not path.exists():
        return
    lines = path.read_text().splitlines(keepends=True)
    out: list[str] = []
    keep = True
    for k, line in enumerate(lines):
        if line.startswith("ITEM: TIMESTEP"):
            words = lines[k + 1].split() if k + 1 < len(lines) else []
            keep = bool(words) and words[0].isdigit() and int(words[0]) < step_max
        if keep:
            out.append(line)
    _write_if_changed(path, "".join(out))


def _write_if_changed(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` unless it holds exactly that (a finished run's files stay untouched)."""
    if path.read_text() != text:
        path.write_text(text)


def _plumed_log_version(path: Path) -> str:
    """PLUMED version from a PLUMED log (``unknown`` if absent)."""
    try:
        found = re.search(r"Version:\s*(\S+)", path.read_text(errors="replace"))
    except OSError:
        return "unknown"
    return found.group(1) if found else "unknown"


def _floor_sig(x: float, digits: int = 3) -> float:
    """``x`` rounded down to ``digits`` significant digits (a safe upper bound stays safe).

    ``digits`` is a formatting choice of the advice printed in errors, not a
    physical setting, so it has no config key.
    """
    if x <= 0 or not math.isfinite(x):
        return x
    scale = 10.0 ** (digits - 1 - math.floor(math.log10(x)))
    return math.floor(x * scale) / scale


def check_restraint_stability(
    atoms, *, kappa_ev: float, timestep_fs: float, max_omega_dt: float, **cv_kwargs
) -> dict[str, float]:
    """Period of the restraint mode and omega * dt; one-line InputError above ``max_omega_dt``.

    omega^2 = kappa sum_i |ds/dr_i|^2 / m_i (:func:`lidendrite.sampling.cv.restraint_omega`).
    Velocity Verlet is unstable for omega dt > 2; below that it conserves
    v^2/2 + omega^2 x^2/2 (1 - (omega dt)^2/4), so the energy of the mode
    oscillates (bounded) by a fraction (omega dt)^2/4 (6 % at 0.5, 25 % at 1,
    measured in tests/unit/test_sampling_lammps.py), and its frequency comes
    out too high by (2/dt) arcsin(omega dt/2)/omega - 1 (+1 % at 0.5, +4.7 %
    at 1).

    Parameters
    ----------
    atoms
        Structure with ``region``/``layer`` arrays (the first MD frame).
    kappa_ev
        Force constant, eV per CV unit squared.
    timestep_fs
        MD time step, fs.
    max_omega_dt
        Largest accepted omega * dt (dimensionless).
    **cv_kwargs
        Passed to :func:`lidendrite.sampling.cv.cv_gradient_numpy`.

    Returns
    -------
    dict
        ``restraint_period_fs``, ``omega_dt``, ``max_stable_kappa_ev`` (at
        this time step, rounded down to 3 significant digits).

    Raises
    ------
    InputError
        If omega * dt > ``max_omega_dt`` (names ``lpsc.sampling.kappa_ev``).
    """
    dt_s = timestep_fs * 1e-15
    omega_1 = restraint_omega(atoms, 1.0, **cv_kwargs)  # rad/s at kappa = 1 eV
    omega = omega_1 * math.sqrt(kappa_ev)
    period_fs = 2.0 * math.pi / omega * 1e15 if omega > 0 else math.inf
    kappa_max = _floor_sig((max_omega_dt / dt_s) ** 2 / omega_1**2) if omega_1 > 0 else math.inf
    info = {
        "restraint_period_fs": period_fs,
        "omega_dt": omega * dt_s,
        "max_stable_kappa_ev": kappa_max,
    }
    if omega * dt_s > max_omega_dt:
        raise InputError(
            f"{CONFIG_KEY}.kappa_ev = {kappa_ev:g} eV gives a restraint period of {period_fs:.3g} fs, "
            f"shorter than {2.0 * math.pi / max_omega_dt:.3g} time steps of {timestep_fs:g} fs "
            f"(omega*dt = {omega * dt_s:.3g} > {CONFIG_KEY}.max_omega_dt {max_omega_dt:g}): "
            f"use kappa_ev <= {kappa_max:g} or a smaller timestep"
        )
    return info


def run_fingerprint(
    model: str | os.PathLike | None, structure: str | os.PathLike, settings: dict
) -> str:
    """SHA-256 (hex) of what a resumed run must share with the run it continues.

    Parameters
    ----------
    model
        The potential's file (e.g. the frozen DP ``.pb``), hashed by content so a
        retrained model with the same path counts as changed; ``None`` for
        pair styles without a file (tests).
    structure
        The starting structure file (it fixes the CV groups and s0 at step 0).
    settings
        The restraint settings (kappa, s0 rate/end, switching functions, group
        choice, total steps, time step, COLVAR stride, type map); JSON-encoded
        with sorted keys.

    The model and structure enter by :func:`~lidendrite.io.fingerprint.file_digest`,
    all three together by :func:`~lidendrite.io.fingerprint.digest`.
    """
    return digest(
        {
            "model": None if model is None else file_digest(model, "model file"),
            "structure": file_digest(structure, "structure file"),
            "settings": settings,
        }
    )


def _model_file(model, pair_style: str) -> str | None:
    """The model file: ``model`` if given, else the file of ``pair_style deepmd <file>``."""
    if model is not None:
        return str(model)
    words = pair_style.split()
    if len(words) >= 2 and words[0] == "deepmd":
        return words[1]
    return None


def _last_restart(restart_step: int | None) -> str:
    """Where a failed run can resume from, for its error message."""
    return (
        "no restart written yet"
        if restart_step is None
        else f"last good restart: step {restart_step}"
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def run_moving_restraint(
    structure: str | os.PathLike,
    workdir: str | os.PathLike,
    *,
    pair_style: str,
    pair_coeff: str,
    type_map: list[str] | tuple[str, ...],
    n_steps: int,
    timestep_fs: float,
    temperature_k: float,
    pressure_bar: float,
    ensemble: str,
    thermostat_damping_fs: float,
    barostat_damping_fs: float,
    kappa_ev: float,
    s0_rate: float | None = None,
    s0_end: float | None = None,
    r0_li_li: float,
    r0_li_s: float,
    r0_li_p: float,
    r0_li_cl: float,
    n: int,
    m: int,
    d_max: float | None,
    stretch: bool,
    nl_cutoff: float | None,
    nl_stride: int | None,
    n_anode_layers: int,
    restart_every: int,
    thermo_every: int,
    dump_every: int,
    colvar_every: int,
    seed: int,
    max_omega_dt: float,
    deepmd: bool = False,
    stop_at_step: int | None = None,
    model: str | os.PathLike | None = None,
    plumed_threads: int,
) -> MovingRestraintResult:
    """Run (or resume) the moving-restraint MD of the lpsc study.

    Every physical and output setting is required and comes from the config
    block ``lpsc.sampling`` (the rule passes it whole); ``s0_rate`` or
    ``s0_end`` sets the target, and ``deepmd``/``stop_at_step``/``model``
    are switches of the caller, not physical settings.

    Parameters
    ----------
    structure
        Extended-XYZ structure with ``region`` and ``layer`` arrays (first
        frame used).  Atom order = LAMMPS atom IDs = PLUMED indices.
    workdir
        Output directory (data file, PLUMED input, COLVAR, dump, log,
        restart, state and summary JSON).  If it holds a restart, the run
        resumes from it.
    pair_style, pair_coeff
        LAMMPS pair commands without the keyword, e.g. ``"deepmd model.pb"``
        and ``"* * Li P S Cl"``.
    type_map
        Elements in LAMMPS type order (1 = first).
    n_steps
        Total MD steps; s0 reaches ``s0_end`` at this step.
    timestep_fs
        Time step, fs (paper: 1 fs).
    temperature_k, pressure_bar
        Target temperature (paper: 300 K) and x/y pressure (paper: 1 bar).
    ensemble
        ``"npt"`` (x and y coupled, z fixed; paper) or ``"nvt"``.
    thermostat_damping_fs, barostat_damping_fs
        Nose-Hoover damping times of ``fix npt``/``fix nvt``, fs.
    kappa_ev
        Restraint force constant, eV per CV unit squared (paper: 500 eV,
        which is unstable at 1 fs: see :func:`check_restraint_stability`).
    s0_rate
        Speed of s0, CV units per ps per electrolyte Li (the paper gives no
        rate): ``s0_end = s0_start + s0_rate * N_Li(A) * n_steps * dt``.
    s0_end
        Final s0 (overrides ``s0_rate``).
    r0_li_li, r0_li_s, r0_li_p, r0_li_cl, n, m
        Switching-function parameters (Table S1), Angstrom.
    d_max, stretch
        Cut-off of the switching functions (Angstrom, PLUMED ``D_MAX``) and
        its form (:func:`lidendrite.sampling.cv.rational_switch`); ``None``:
        every pair counts.  Used by PLUMED, s0 of the first frame and the
        stability check alike.
    nl_cutoff, nl_stride
        PLUMED neighbour list of the coordination numbers (Angstrom, MD
        steps); ``None``: no list (:func:`lidendrite.sampling.cv.cv_plumed_input`).
    n_anode_layers
        Anode layers in group B of CN(Li-Li) (paper: 8).
    restart_every, thermo_every, dump_every, colvar_every
        Output intervals in steps.
    seed
        Seed of the initial Maxwell-Boltzmann velocities.
    max_omega_dt
        Largest accepted omega * dt of the restraint mode, checked on the
        first frame before any file is written
        (:func:`check_restraint_stability`).
    deepmd
        Make sure the deepmd-kit plugin is loaded (``pair_style deepmd``).
    stop_at_step
        Stop after this step as if the job were killed there (the last
        restart is the last multiple of ``restart_every``); for tests and
        wall-time-limited jobs.  ``None`` runs to ``n_steps``.
    model
        Model file whose content enters the resume fingerprint
        (:func:`run_fingerprint`); ``None``: the file named by
        ``pair_style deepmd <file>``, or no file for other pair styles.
    plumed_threads
        OpenMP threads of PLUMED (config ``lpsc.sampling.plumed_threads``);
        not part of the fingerprint, so a resumed run may use another number.

    Returns
    -------
    MovingRestraintResult
        Paths and headline numbers (also written to ``moving_restraint.json``).
        For a run that had already finished, the stored summary (paths of
        this ``workdir``), with no file changed.

    Raises
    ------
    InputError
        Bad structure (non-finite positions, elements outside ``type_map``),
        empty CV group, bad cut-off or neighbour-list settings, inconsistent
        restart state, or a kappa too stiff for the time step.
    SimulationFailed
        Lost atoms, non-finite positions, energy or bias, or a PLUMED
        failure (one line).
    """
    from ase.io import read
    from ase.io.lammpsdata import write_lammps_data

    t_wall = time.perf_counter()
    for key, val in (
        ("n_steps", n_steps),
        ("restart_every", restart_every),
        ("thermo_every", thermo_every),
        ("dump_every", dump_every),
        ("colvar_every", colvar_every),
    ):
        if int(val) <= 0:
            raise InputError(f"moving restraint: {key} must be > 0, got {val}")
    if ensemble not in ("npt", "nvt"):
        raise InputError(f"moving restraint: ensemble must be 'npt' or 'nvt', got '{ensemble}'")
    wd = Path(workdir).resolve()
    wd.mkdir(parents=True, exist_ok=True)
    paths = {
        k: wd / v
        for k, v in (
            ("state", STATE_FILE),
            ("restart", RESTART_FILE),
            ("data", DATA_FILE),
            ("plumed", PLUMED_FILE),
            ("colvar", COLVAR_FILE),
            ("dump", DUMP_FILE),
            ("log", LOG_FILE),
            ("plumed_log", PLUMED_LOG),
            ("summary", SUMMARY_FILE),
        )
    }
    dt_ps = timestep_fs * 1e-3
    structure = Path(structure)
    if not structure.is_file():
        raise InputError(f"structure {structure} does not exist")
    atoms = read(structure, index=0)
    unknown = sorted(set(atoms.get_chemical_symbols()) - set(type_map))
    if unknown:
        raise InputError(f"{structure}: elements {unknown} are not in type_map {list(type_map)}")
    if not np.all(np.isfinite(atoms.positions)) or not np.all(np.isfinite(atoms.cell[:])):
        raise InputError(f"{structure}: non-finite atom positions or cell")
    masses = atoms.get_masses()
    groups = cv_groups(atoms, n_anode_layers=n_anode_layers, name=str(structure))
    cv_kw = dict(
        r0_li_li=r0_li_li,
        r0_li_s=r0_li_s,
        r0_li_p=r0_li_p,
        r0_li_cl=r0_li_cl,
        n=n,
        m=m,
        d_max=d_max,
        stretch=stretch,
    )
    nl_kw = dict(nl_cutoff=nl_cutoff, nl_stride=nl_stride)
    cv_plumed_input(groups, **cv_kw, **nl_kw)  # one-line InputError for bad cut-off/list settings
    # before the first MD step (and before any file is written): is the restraint too stiff?
    stability = check_restraint_stability(
        atoms,
        kappa_ev=kappa_ev,
        timestep_fs=timestep_fs,
        max_omega_dt=max_omega_dt,
        groups=groups,
        **cv_kw,
    )

    stamp = run_fingerprint(
        _model_file(model, pair_style),
        structure,
        {
            **cv_kw,
            **nl_kw,
            "kappa_ev": kappa_ev,
            "s0_rate": s0_rate,
            "s0_end": s0_end,
            "n_anode_layers": n_anode_layers,
            "n_steps": n_steps,
            "timestep_fs": timestep_fs,
            "colvar_every": colvar_every,
            "type_map": list(type_map),
        },
    )
    fp_file = wd / FINGERPRINT_FILE
    old_run = paths["restart"].is_file() or paths["state"].is_file()
    if old_run and (not fp_file.is_file() or fp_file.read_text().strip() != stamp):
        stale = wd.with_name(wd.name + ".stale")
        shutil.rmtree(stale, ignore_errors=True)
        wd.rename(stale)
        wd.mkdir(parents=True)
        print(
            f"moving restraint: model, structure or restraint settings changed since the run in {wd}; "
            f"moved it to {stale} and starting afresh",
            flush=True,
        )
    fp_file.write_text(stamp + "\n")
    resume = paths["restart"].is_file() and paths["state"].is_file()
    stop = n_steps if stop_at_step is None else min(int(stop_at_step), n_steps)
    if resume:
        state = json.loads(paths["state"].read_text())
        if state["n_steps"] != n_steps or state["natoms"] != len(atoms):
            raise InputError(
                f"{paths['state']}: restart state is for n_steps={state['n_steps']}, natoms={state['natoms']}; "
                f"asked n_steps={n_steps}, natoms={len(atoms)} (use a fresh workdir)"
            )
        plumed_text = paths["plumed"].read_text()
        found = re.search(r"KAPPA0=(\S+)", plumed_text)
        kappa_old = float(found.group(1)) / EV_TO_KJMOL if found else math.nan
        if not math.isclose(kappa_old, kappa_ev, rel_tol=1e-6):
            raise InputError(
                f"{paths['plumed']}: restart was run with kappa_ev = {kappa_old:g} eV, asked {kappa_ev:g} eV "
                "(use a fresh workdir)"
            )
        restart_step = int(state["restart_step"])
        if restart_step >= stop:
            # nothing left to run: keep every line and frame up to the restart step and drop
            # those a killed run wrote after it (for a finished run there are none)
            _truncate_colvar(paths["colvar"], (restart_step + 0.5) * dt_ps)
            _truncate_dump(paths["dump"], restart_step + 1)
            return _result_without_md(
                paths, state, stamp, stability, kappa_ev, max_omega_dt, restart_step
            )
        # the resumed run writes the restart step's COLVAR line and frame again
        _truncate_colvar(paths["colvar"], (restart_step - 0.5) * dt_ps)
        _truncate_dump(paths["dump"], restart_step)
    else:
        s0_start = cv_coordination_numpy(atoms, groups=groups, **cv_kw)["cv"]
        if not math.isfinite(s0_start):
            raise InputError(f"{structure}: the CV of the first frame is not finite ({s0_start})")
        if s0_end is None:
            if s0_rate is None:
                raise InputError("moving restraint: give s0_rate or s0_end")
            s0_end = s0_start + s0_rate * groups.li_a.size * n_steps * dt_ps
        plumed_text = moving_restraint_plumed_input(
            groups,
            s_start=s0_start,
            s_end=s0_end,
            n_steps=n_steps,
            kappa_ev=kappa_ev,
            colvar_file=str(paths["colvar"]),
            print_stride=colvar_every,
            **cv_kw,
            **nl_kw,
        )
        paths["plumed"].write_text(plumed_text)
        for stale in ("colvar", "dump"):
            paths[stale].unlink(missing_ok=True)
        with open(paths["data"], "w") as fd:
            write_lammps_data(
                fd, atoms, specorder=list(type_map), masses=True, units="metal", atom_style="atomic"
            )
        state = {
            "n_steps": n_steps,
            "natoms": len(atoms),
            "s0_start": s0_start,
            "s0_end": float(s0_end),
            "n_li_a": int(groups.li_a.size),
            "restart_step": None,
            "type_map": list(type_map),
        }
        write_json(state, paths["state"])
        restart_step = None

    resumed_from = restart_step if resume else None
    lmp = create_lammps(paths["log"], deepmd=deepmd, log_append=resume)
    bridge: PlumedBridge | None = None
    try:
        setup = ["units metal", "atom_style atomic", "boundary p p p", "atom_modify map array"]
        if resume:
            setup.append(f"read_restart {paths['restart']}")
        else:
            setup.append(f"read_data {paths['data']}")
        setup += [
            f"pair_style {pair_style}",
            f"pair_coeff {pair_coeff}",
            "neighbor 2.0 bin",
            "neigh_modify every 1 delay 0 check yes",
            f"timestep {dt_ps}",
        ]
        if not resume:
            setup.append(f"velocity all create {temperature_k} {seed} mom yes rot no dist gaussian")
        t_damp, p_damp = thermostat_damping_fs * 1e-3, barostat_damping_fs * 1e-3
        if ensemble == "npt":
            setup.append(
                f"fix md all npt temp {temperature_k} {temperature_k} {t_damp} "
                f"x {pressure_bar} {pressure_bar} {p_damp} y {pressure_bar} {pressure_bar} {p_damp} couple xy"
            )
        else:
            setup.append(f"fix md all nvt temp {temperature_k} {temperature_k} {t_damp}")
        setup += [
            f"fix {FIX_ID} all external pf/callback 1 1",
            f"fix_modify {FIX_ID} energy yes virial yes",
            f"thermo_style custom step time temp pe ke etotal press pxx pyy pzz lx ly lz f_{FIX_ID}",
            f"thermo {thermo_every}",
            "thermo_modify lost error flush yes norm no",
            f"dump traj all custom {dump_every} {paths['dump']} id type element x y z",
            f"dump_modify traj element {' '.join(type_map)} sort id"
            + (" append yes" if resume else ""),
        ]
        try:
            lmp.commands_list(setup)
        except Exception as exc:
            model_file = _model_file(model, pair_style)
            where = f" with model {model_file}" if model_file else ""
            raise InputError(f"LAMMPS setup failed{where}: {_first_line(exc)}") from exc
        step = int(lmp.extract_global("ntimestep"))
        if resume and step != restart_step:
            raise InputError(
                f"{paths['restart']}: LAMMPS step {step} != restart_step {restart_step} in {paths['state']}"
            )
        if lmp.get_natoms() != len(atoms):
            raise InputError(f"LAMMPS has {lmp.get_natoms()} atoms, {structure} has {len(atoms)}")

        bridge = PlumedBridge(
            plumed_text,
            masses,
            timestep_ps=dt_ps,
            log_file=paths["plumed_log"],
            fix_id=FIX_ID,
            restart=resume,
            num_threads=plumed_threads,
        )
        lmp.set_fix_external_callback(FIX_ID, bridge, lmp)

        while step < stop:
            target = min((step // restart_every + 1) * restart_every, stop)
            try:
                lmp.command(f"run {target - step}")
            except Exception as exc:
                raise SimulationFailed(
                    f"LAMMPS stopped after step {step}: {_first_line(exc)} ({_last_restart(restart_step)})"
                ) from exc
            try:
                bridge.raise_if_failed()
            except FloatingPointError as exc:  # non-finite positions, bias or bias forces
                raise SimulationFailed(
                    f"MD stopped before step {target}: {_first_line(exc)} ({_last_restart(restart_step)})"
                ) from exc
            except Exception as exc:
                raise SimulationFailed(
                    f"PLUMED bias failed near step {target}: {_first_line(exc)} ({_last_restart(restart_step)})"
                ) from exc
            step = int(lmp.extract_global("ntimestep"))
            pe = lmp.get_thermo("pe")
            if not math.isfinite(pe):
                raise SimulationFailed(
                    f"non-finite potential energy {pe} at step {step} ({_last_restart(restart_step)})"
                )
            if lmp.get_natoms() != len(atoms):
                raise SimulationFailed(
                    f"lost atoms at step {step}: {lmp.get_natoms()} of {len(atoms)} left ({_last_restart(restart_step)})"
                )
            if step % restart_every == 0 or step == n_steps:
                tmp = paths["restart"].with_suffix(".tmp")
                lmp.command(f"write_restart {tmp}")
                os.replace(tmp, paths["restart"])
                restart_step = step
                state["restart_step"] = step
                write_json(state, paths["state"])
        final_step = step
        plumed_version = bridge.version()
        lmp_version = lammps_version(lmp)
        plumed_time = bridge.wall_time_s
    finally:
        if bridge is not None:
            bridge.finalize()
        lmp.close()

    return _write_result(
        paths,
        state,
        stamp,
        stability,
        kappa_ev,
        max_omega_dt,
        final_step=final_step,
        resumed_from=resumed_from,
        plumed_version=plumed_version,
        lammps_version=lmp_version,
        wall_time_s=time.perf_counter() - t_wall,
        plumed_time_s=plumed_time,
    )


def _write_result(
    paths: dict[str, Path],
    state: dict,
    stamp: str,
    stability: dict[str, float],
    kappa_ev: float,
    max_omega_dt: float,
    *,
    final_step: int,
    resumed_from: int | None,
    plumed_version: str,
    lammps_version: str,
    wall_time_s: float,
    plumed_time_s: float,
) -> MovingRestraintResult:
    """Build the result from the run folder's COLVAR and state; write ``moving_restraint.json``."""
    colvar = read_colvar(paths["colvar"])
    if colvar["cv"].size == 0:
        raise SimulationFailed(f"{paths['colvar']}: no COLVAR line was written")
    n_steps = int(state["n_steps"])
    result = MovingRestraintResult(
        workdir=str(paths["state"].parent),
        colvar=str(paths["colvar"]),
        dump=str(paths["dump"]),
        log=str(paths["log"]),
        restart=str(paths["restart"]),
        final_step=final_step,
        n_steps=n_steps,
        finished=final_step >= n_steps,
        resumed_from_step=resumed_from,
        s0_start=float(state["s0_start"]),
        s0_end=float(state["s0_end"]),
        cv_first=float(colvar["cv"][0]),
        cv_last=float(colvar["cv"][-1]),
        plumed_version=plumed_version,
        lammps_version=lammps_version,
        wall_time_s=wall_time_s,
        plumed_time_s=plumed_time_s,
        kappa_ev=float(kappa_ev),
        restraint_period_fs=stability["restraint_period_fs"],
        omega_dt=stability["omega_dt"],
        max_omega_dt=float(max_omega_dt),
        fingerprint=stamp,
    )
    write_json(asdict(result), paths["summary"])
    return result


def _result_without_md(
    paths: dict[str, Path],
    state: dict,
    stamp: str,
    stability: dict[str, float],
    kappa_ev: float,
    max_omega_dt: float,
    restart_step: int,
) -> MovingRestraintResult:
    """Result of a call with nothing left to run (no MD).

    The summary of the call that reached ``restart_step`` is returned as it
    was (with this folder's paths) when it exists; otherwise (a job killed
    between the last restart and the summary, or a ``stop_at_step`` below
    the step reached) the result is rebuilt from COLVAR, the PLUMED log and
    the state, with zero timings (nothing ran).
    """
    try:
        stored = json.loads(paths["summary"].read_text())
    except (OSError, ValueError):
        stored = {}
    fields = set(MovingRestraintResult.__dataclass_fields__)
    if (
        stored.get("fingerprint") == stamp
        and stored.get("final_step") == restart_step
        and set(stored) == fields
    ):
        stored.update(
            workdir=str(paths["state"].parent),
            **{k: str(paths[k]) for k in ("colvar", "dump", "log", "restart")},
        )
        return MovingRestraintResult(**stored)
    return _write_result(
        paths,
        state,
        stamp,
        stability,
        kappa_ev,
        max_omega_dt,
        final_step=restart_step,
        resumed_from=restart_step,
        plumed_version=_plumed_log_version(paths["plumed_log"]),
        lammps_version=lammps_version(),
        wall_time_s=0.0,
        plumed_time_s=0.0,
    )
