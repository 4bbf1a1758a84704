"""Restartable ASE molecular dynamics: NVT, NPT and NVE with per-frame charges.

Integrators (ec paper sec. 2.2.2: "Nose-Hoover thermostat in all NVT
simulations ... Nose-Hoover thermostat coupled with the Parrinello-Rahman
dynamics" for NPT; 1 fs; 300 K):

``nvt``  :class:`ase.md.nose_hoover_chain.NoseHooverChainNVT` (Martyna-Tuckerman-
         Klein chain, doi:10.1063/1.463940); the chain targets the kinetic energy
         of the *mobile* degrees of freedom, so fixed atoms do not heat the rest.
``npt``  :class:`ase.md.melchionna.MelchionnaNPT` (Nose-Hoover + Parrinello-
         Rahman, doi:10.1080/00268979300100411) with a diagonal external
         pressure ``pressure_bar`` = (p_x, p_y, p_z); ASE's stress is positive
         in tension, so the external stress is ``(-p_x, -p_y, -p_z, 0, 0, 0)``.
``nve``  :class:`ase.md.verlet.VelocityVerlet` (used to measure energy drift).

Atoms whose per-atom ``fixed`` array is True are held by
:class:`ase.constraints.FixAtoms` (zero momenta, zero forces).

Output (``traj``): extended XYZ, one frame at step 0 and every
``sample_every`` steps, with per-atom ``charges`` (e, the calculator's), every
per-atom array of the input (``region``, ``layer``, ``mol_id``, ``molecule``,
``fixed``, ...), the arrays ``frame_arrays(atoms, calc)`` returns (e.g. ``bias``)
and info ``step``, ``time_ps``, ``energy`` (eV), ``temperature_K`` plus the
calculator's ``e_short``/``e_qeq`` (eV) when it has them, ``ensemble``, and the
constant ``info`` given by the caller. ASE's reader moves ``charges`` and
``energy`` into a single-point calculator; :func:`read_frames` (from
:mod:`lidendrite.io.trajectory`) puts them back.
The final frame with momenta (the next stage's start) goes to ``final``.

Restart: every ``restart_every`` steps the state (positions, momenta, cell,
thermostat/barostat variables, step, trajectory length in bytes) is written
atomically to ``workdir/state.extxyz``. The trajectory is built in
``workdir/traj.partial.extxyz`` and moved to ``traj`` only when the run is
complete, so Snakemake never deletes a half-done run's frames. Rerunning the
same call after a kill resumes from the state (frames written after it are
cut off) and ends with the same number of frames as an uninterrupted run.

``qeq_every`` (ec authors' code: charges re-solved every 3rd step, warm-started):
on other steps the calculator's ``hold_charges`` is set, so forces are taken at
the previous charges. Frames fall on solved steps (``sample_every`` and
``restart_every`` must be multiples of ``qeq_every``).

Example
-------
>>> from lidendrite.dpqeq.calculator import DPQEqCalculator          # doctest: +SKIP
>>> from lidendrite.md.driver import MDSettings, run_md
>>> calc = DPQEqCalculator("results/demo/ec/potential/full_dp.pb")   # doctest: +SKIP
>>> s = MDSettings(ensemble="nvt", n_steps=1000, timestep_fs=1.0, temperature_K=300.0,
...                sample_every=100, restart_every=500)
>>> summary = run_md(atoms, calc, s, traj="out/traj.extxyz", final="out/final.extxyz",
...                  workdir="out/work", info={"mode": "constq"})     # doctest: +SKIP
>>> summary["n_frames"]                                              # doctest: +SKIP
11

Units: fs (input), ps (``time_ps``), K, bar, GPa, eV, Angstrom, e.

Why one module of about 700 lines: run_md, its settings and its restart state belong together: a resumed run must read exactly what it wrote.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms

from lidendrite.errors import InputError
from lidendrite.io.fingerprint import digest, encode_atoms
from lidendrite.io.jsonfile import write_json
from lidendrite.io.trajectory import read_frames

__all__ = ["MDSettings", "MDStop", "run_md", "read_frames", "check_atoms", "mobile_dof"]

log = logging.getLogger(__name__)

ENSEMBLES = ("nvt", "npt", "nve")
# arrays that are state, not per-frame data (kept out of trajectory frames)
_STATE_ARRAYS = ("momenta", "numbers", "positions")
# decimals (Angstrom) of the start positions and cell in a state file's fingerprint, so
# that a write/read round trip of the start structure keeps it
_FP_DECIMALS = 5


class MDStop(RuntimeError):
    """Raised by a ``check`` hook to stop a run (message is one line)."""


class _Overheated(RuntimeError):
    """The kinetic temperature passed ``max_temperature_K`` with ``overheat = "stop"``."""


@dataclass(frozen=True)
class MDSettings:
    """Settings of one MD stage (see the module docstring for the integrators).

    Attributes
    ----------
    ensemble : ``nvt``, ``npt`` or ``nve``.
    n_steps : total steps of the stage (a resumed run counts from its state).
    timestep_fs : MD time step (fs).
    temperature_K : target (and initial Maxwell-Boltzmann) temperature (K).
    tdamp_fs : Nose-Hoover chain damping time of ``nvt`` (fs).
    tchain : thermostats in the chain.
    pressure_bar : (p_x, p_y, p_z) of ``npt`` (bar; ec paper: 1, 1, 100).
    ttime_fs : thermostat time of ``npt`` (fs).
    ptime_fs : barostat time of ``npt`` (fs); pfactor = ptime^2 * bulk modulus.
    bulk_modulus_GPa : estimate of the bulk modulus for the barostat mass (GPa).
    npt_mask : cell lengths (x, y, z) the barostat may change (1) or not (0); no shear.
    sample_every : steps between trajectory frames.
    restart_every : steps between state files.
    log_every : steps between progress lines.
    qeq_every : solve the charges every n-th step (others keep the previous ones).
    seed : Maxwell-Boltzmann velocity seed (only for a start without momenta).
    minimize_steps : FIRE steps of an energy minimisation (positions; fixed atoms held)
        with the run's own potential before a start without momenta; 0: none.
    minimize_fmax : force (eV/Angstrom) at which that minimisation stops.
    max_temperature_K : bound on the kinetic temperature of the mobile atoms (K); None: none.
    overheat : what passing it does: ``error`` (a one-line :class:`InputError`) or ``stop``
        (the run ends at its last restart state before the overheating step: the
        trajectory and the final frame end there, the frames after it stay in the
        workdir's partial trajectory, and the summary's ``stopped`` and
        ``stopped_at_step`` say why and where).
    confine_z : stop if an atom leaves [0, L_z) along z (a slab cell with vacuum).
    """

    ensemble: str = "nvt"
    n_steps: int = 100
    timestep_fs: float = 1.0
    temperature_K: float = 300.0
    tdamp_fs: float = 100.0
    tchain: int = 3
    pressure_bar: Sequence[float] = (1.0, 1.0, 1.0)
    ttime_fs: float = 25.0
    ptime_fs: float = 75.0
    bulk_modulus_GPa: float = 10.0
    npt_mask: Sequence[int] = (1, 1, 1)
    sample_every: int = 10
    restart_every: int = 100
    log_every: int = 10
    qeq_every: int = 1
    seed: int = 1
    minimize_steps: int = 0
    minimize_fmax: float = 0.1
    max_temperature_K: float | None = None
    overheat: str = "error"
    confine_z: bool = False
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.ensemble not in ENSEMBLES:
            raise InputError(f"md ensemble {self.ensemble!r} is not one of {', '.join(ENSEMBLES)}")
        for key in ("n_steps", "sample_every", "restart_every", "log_every", "qeq_every"):
            if int(getattr(self, key)) < 1:
                raise InputError(f"md {key} must be >= 1, got {getattr(self, key)}")
        if self.overheat not in ("error", "stop"):
            raise InputError(f"md overheat {self.overheat!r} is not error or stop")
        if int(self.minimize_steps) < 0 or not self.minimize_fmax > 0:
            raise InputError("md minimize_steps must be >= 0 and minimize_fmax > 0")
        if self.timestep_fs <= 0 or self.temperature_K < 0:
            raise InputError("md timestep_fs must be > 0 and temperature_K >= 0")
        for key in ("sample_every", "restart_every"):
            if int(getattr(self, key)) % int(self.qeq_every):
                raise InputError(
                    f"md {key} ({getattr(self, key)}) must be a multiple of qeq_every "
                    f"({self.qeq_every}) so that frames carry solved charges"
                )
        if len(tuple(self.pressure_bar)) != 3:
            raise InputError(f"md pressure_bar needs 3 values (x, y, z), got {self.pressure_bar}")

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], **overrides) -> MDSettings:
        """Settings from a config mapping; unknown keys are an :class:`InputError`."""
        known = set(cls.__dataclass_fields__) - {"extra"}
        merged = {**dict(cfg), **overrides}
        unknown = sorted(set(merged) - known)
        if unknown:
            raise InputError(f"md settings: unknown key {unknown[0]!r}")
        return cls(**merged)


def mobile_dof(atoms: Atoms) -> int:
    """Degrees of freedom that the thermostat acts on: 3 x (atoms not fixed)."""
    fixed = _fixed_mask(atoms)
    return 3 * int((~fixed).sum())


def check_atoms(atoms: Atoms, *, confine_z: bool, name: str) -> None:
    """Stop (:class:`InputError`, one line) on lost atoms: non-finite positions or
    momenta, or (``confine_z``) an atom outside the cell along z."""
    pos = atoms.positions
    bad = np.flatnonzero(~np.isfinite(pos).all(axis=1))
    if bad.size:
        raise InputError(f"{name}: atom {bad[0]} ({atoms[bad[0]].symbol}) has non-finite position")
    if atoms.has("momenta"):
        badp = np.flatnonzero(~np.isfinite(atoms.get_momenta()).all(axis=1))
        if badp.size:
            raise InputError(f"{name}: atom {badp[0]} has non-finite velocity")
    if confine_z:
        sz = atoms.cell.scaled_positions(pos)[:, 2]
        out = np.flatnonzero((sz < 0.0) | (sz >= 1.0))
        if out.size:
            i = out[0]
            raise InputError(
                f"{name}: atom {i} ({atoms[i].symbol}) left the cell along z "
                f"(z = {pos[i, 2]:.2f} A, L_z = {atoms.cell[2, 2]:.2f} A): lost atom"
            )


def run_md(
    atoms: Atoms,
    calc,
    settings: MDSettings,
    *,
    traj: str | os.PathLike,
    workdir: str | os.PathLike,
    final: str | os.PathLike | None = None,
    info: Mapping[str, Any] | None = None,
    frame_arrays: Callable[[Atoms, Any], Mapping[str, np.ndarray]] | None = None,
    check: Callable[[Atoms, Any, int], None] | None = None,
    name: str = "md",
) -> dict:
    """Run (or resume) one MD stage; return a summary dict.

    Parameters
    ----------
    atoms
        Start structure (extended-XYZ arrays kept). If it has momenta they are
        used as they are; otherwise Maxwell-Boltzmann at ``temperature_K``.
    calc
        ASE calculator; its ``results`` may hold ``charges``, ``e_short``, ``e_qeq``,
        ``qeq_iterations``; if it has ``hold_charges`` it is used for ``qeq_every``.
    settings
        :class:`MDSettings`.
    traj, final
        Output trajectory and final frame (with momenta); written when complete.
    workdir
        State file and partial trajectory (kept after completion for inspection).
    info
        Constant info keys of every frame (e.g. ``round``, ``mode``, ``level_of_theory``).
    frame_arrays
        ``(atoms, calc) -> {name: [n] array}`` added to every frame (e.g. ``bias``).
    check
        ``(atoms, calc, step)`` called after every step; raise :class:`InputError`
        or :class:`MDStop` to stop with a one-line message.
    name
        Used in messages (e.g. ``round 2``).

    Returns
    -------
    dict
        ``n_steps``, ``n_frames``, ``resumed_from_step``, ``wall_s``,
        ``seconds_per_step``, ``qeq_solves``, ``final_temperature_K``, ``settings``.
    """
    from ase import units
    from ase.constraints import FixAtoms
    from ase.md import velocitydistribution as vd

    s = settings
    traj, workdir = Path(traj), Path(workdir)
    final = Path(final) if final is not None else None
    workdir.mkdir(parents=True, exist_ok=True)
    state_path = workdir / "state.extxyz"
    partial = workdir / "traj.partial.extxyz"
    const_info = dict(info or {})

    fingerprint = _fingerprint(atoms, s, const_info, getattr(calc, "fingerprint", None))
    state = _read_state(state_path) if state_path.is_file() else None
    if state is not None and state.info.get("fingerprint") != fingerprint:
        log.warning(
            "%s: %s belongs to another input or settings; starting afresh", name, state_path
        )
        state_path.unlink()
        state = None
    if state is not None:
        a = state
        start = int(a.info["step"])
        _truncate(partial, int(a.info["traj_bytes"]))
        log.info("%s: resuming from step %d (%s)", name, start, state_path)
    else:
        a = atoms.copy()
        start = 0
        if partial.exists():
            partial.unlink()
    if len(a) == 0:
        raise InputError(f"{name}: no atoms")
    fixed = _fixed_mask(a)
    a.set_constraint(FixAtoms(mask=fixed) if fixed.any() else None)
    minimized_path = workdir / "minimized.json"
    if state is None:
        minimized = None
        if minimized_path.exists():
            minimized_path.unlink()
        if not a.has("momenta") or not np.any(a.get_momenta()):
            if s.minimize_steps > 0:
                minimized = _minimize(a, calc, s, name)
                write_json(minimized, minimized_path)
            rng = np.random.default_rng(s.seed)
            # thermalize_momenta is ASE >= 3.29's name for MaxwellBoltzmannDistribution
            thermalize = getattr(vd, "thermalize_momenta", vd.MaxwellBoltzmannDistribution)
            thermalize(a, temperature_K=s.temperature_K, rng=rng)
            vd.Stationary(a)
        mom = a.get_momenta()
        mom[fixed] = 0.0
        a.set_momenta(mom, apply_constraint=False)
    else:
        minimized = json.loads(minimized_path.read_text()) if minimized_path.is_file() else None
    check_atoms(a, confine_z=s.confine_z, name=f"{name} start")
    a.calc = calc

    dyn = _integrator(a, s, fixed, units)
    if state is not None:
        _restore_integrator(dyn, s, state.info)
    dyn.nsteps = start

    counters = {"solves": 0, "t0": time.perf_counter(), "start": start}
    hold = hasattr(calc, "hold_charges")

    def set_hold(step_next: int) -> None:
        if hold:
            calc.hold_charges = bool(step_next % s.qeq_every)

    def observe() -> None:
        step = dyn.nsteps
        if hold and not calc.hold_charges:
            counters["solves"] += 1
        check_atoms(a, confine_z=s.confine_z, name=f"{name} step {step}")
        if s.max_temperature_K is not None and a.get_temperature() > s.max_temperature_K:
            text = (
                f"{name} step {step}: kinetic temperature {a.get_temperature():.0f} K passed "
                f"max_temperature_K {s.max_temperature_K:g} K"
            )
            if s.overheat == "stop":
                raise _Overheated(text)
            last = step - step % s.restart_every
            raise InputError(f"{text}; the run stopped (state of step {last} kept)")
        if check is not None:
            try:
                check(a, calc, step)
            except (InputError, MDStop) as exc:
                raise InputError(f"{name} step {step}: {exc}") from None
        if step % s.sample_every == 0:
            _append_frame(partial, a, calc, step, s, const_info, frame_arrays)
        if step % s.restart_every == 0 and step > start:
            _write_state(state_path, a, dyn, s, step, partial, fingerprint=fingerprint)
        if step % s.log_every == 0:
            el = time.perf_counter() - counters["t0"]
            done = max(step - counters["start"], 1)
            it = getattr(calc, "results", {}).get("qeq_iterations")
            log.info(
                "%s: step %d/%d  t = %.3f ps  T = %.1f K  E = %.4f eV  qeq_iter = %s  %.3f s/step",
                name,
                step,
                s.n_steps,
                step * s.timestep_fs / 1000.0,
                a.get_temperature(),
                a.get_potential_energy(),
                it,
                el / done,
            )
        set_hold(step + 1)

    set_hold(start)
    dyn.attach(observe, interval=1)
    remaining = s.n_steps - start
    stopped, stopped_temperature = None, None
    try:
        if remaining > 0:
            dyn.run(remaining)
        elif start == 0:
            observe()
    except _Overheated as exc:
        stopped = str(exc)
        stopped_temperature = float(a.get_temperature())
        log.warning("%s; the run ends at its last restart state before that", stopped)
    except Exception as exc:  # QEqNotConverged, overlapping atoms, deepmd errors, ...
        text = str(exc).strip()
        if isinstance(exc, InputError) and text.startswith(name):
            raise
        msg = text.splitlines()[0] if text else ""
        raise InputError(f"{name} step {dyn.nsteps + 1}: {type(exc).__name__}: {msg}") from None
    # the run is complete: publish the trajectory and the final frame
    wall = time.perf_counter() - counters["t0"]
    published = partial.read_bytes()
    end_step, stopped_at = s.n_steps, None
    if stopped:
        # a run that overheated ends at its last restart state: the frames after it are the
        # runaway (kept in workdir for inspection), and the next stage starts from that state
        stopped_at = int(dyn.nsteps)
        kept = _read_state(state_path) if state_path.is_file() else None
        if kept is not None:
            end_step = int(kept.info["step"])
            published = published[: int(kept.info["traj_bytes"])]
            a.set_cell(kept.cell)
            a.set_positions(kept.positions, apply_constraint=False)
            a.set_momenta(kept.get_momenta(), apply_constraint=False)
        else:  # before the first restart: only the start frame (after minimisation) counts
            import io

            from ase.io import read

            end_step = start
            published = published[: _first_frame_bytes(published)]
            first = read(io.StringIO(published.decode()), format="extxyz", index=0)
            a.set_positions(first.positions, apply_constraint=False)
            a.set_momenta(first.get_momenta() if first.has("momenta") else np.zeros((len(a), 3)),
                          apply_constraint=False)
    traj.parent.mkdir(parents=True, exist_ok=True)
    tmp = traj.with_name(f".{traj.name}.tmp")
    tmp.write_bytes(published)
    os.replace(tmp, traj)
    n_frames = _count_frames(traj)
    if final is not None:
        _write_state(
            final,
            a,
            dyn,
            s,
            end_step,
            partial,
            with_calc=calc,
            info=const_info,
            frame_arrays=frame_arrays,
        )
    done = max(s.n_steps - start, 1)
    return {
        "n_steps": int(s.n_steps),
        "n_frames": int(n_frames),
        "resumed_from_step": int(start),
        "wall_s": float(wall),
        "seconds_per_step": float(wall / done),
        "qeq_solves": int(counters["solves"]) if hold else None,
        "final_temperature_K": float(a.get_temperature()),
        "minimized": minimized,
        "stopped": stopped,
        "stopped_at_step": stopped_at,
        "stopped_temperature_K": stopped_temperature,
        "n_steps_run": int(end_step),
        "settings": {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(s).items()},
    }


# ----------------------------------------------------------------- helpers


def _minimize(a: Atoms, calc, s: MDSettings, name: str) -> dict:
    """FIRE minimisation of ``a`` (positions; FixAtoms held) with ``calc`` before MD.

    A built or cut structure is not at its potential's minimum: started at once, the
    MD turns that energy into heat (the ec cut superlattice falls 47 meV/atom within
    0.1 ps of NVE with the CHGNet teacher, 300 -> 780 K). Returns the steps taken,
    the energy drop (eV) and the largest remaining force (eV/Angstrom).
    """
    from ase.optimize import FIRE

    a.calc = calc
    e0 = float(a.get_potential_energy())
    opt = FIRE(a, logfile=None)
    opt.run(fmax=s.minimize_fmax, steps=s.minimize_steps)
    e1 = float(a.get_potential_energy())
    fmax = float(np.linalg.norm(a.get_forces(), axis=1).max())
    log.info(
        "%s: minimised %d steps, E %.4f -> %.4f eV (%.1f meV/atom), max force %.3f eV/A",
        name, opt.nsteps, e0, e1, (e1 - e0) / len(a) * 1000.0, fmax,
    )  # fmt: skip
    a.calc = None
    return {
        "steps": int(opt.nsteps),
        "energy_drop_eV": e0 - e1,
        "energy_drop_meV_per_atom": (e0 - e1) / len(a) * 1000.0,
        "max_force_eV_A": fmax,
    }


def _fixed_mask(atoms: Atoms) -> np.ndarray:
    if "fixed" in atoms.arrays:
        return np.asarray(atoms.arrays["fixed"], dtype=bool).copy()
    return np.zeros(len(atoms), dtype=bool)


def _integrator(a: Atoms, s: MDSettings, fixed: np.ndarray, units):
    dt = s.timestep_fs * units.fs
    if s.ensemble == "nvt":
        from ase.md.nose_hoover_chain import NoseHooverChainNVT, NoseHooverChainThermostat

        class FixedAwareNHC(NoseHooverChainNVT):
            """ASE's NHC integrates its own momentum array, to which FixAtoms is not
            applied (``get_forces(md=True)`` leaves constraints to the momenta): fixed
            atoms would gain phantom momenta that the chain counts as kinetic energy.
            Zeroing their forces keeps those momenta at zero."""

            def _get_forces(self):
                forces = super()._get_forces()
                forces[fixed] = 0.0
                return forces

        dyn = FixedAwareNHC(
            a,
            timestep=dt,
            temperature_K=s.temperature_K,
            tdamp=s.tdamp_fs * units.fs,
            tchain=s.tchain,
        )
        n_mobile = int((~fixed).sum())
        if n_mobile < len(a):
            # target 3 k_B T / 2 per mobile atom, not per atom (fixed atoms carry no KE)
            dyn._thermostat = NoseHooverChainThermostat(
                num_atoms_global=n_mobile,
                masses=dyn.masses,
                temperature_K=s.temperature_K,
                tdamp=s.tdamp_fs * units.fs,
                tchain=s.tchain,
            )
        return dyn
    if s.ensemble == "npt":
        from ase.md.melchionna import MelchionnaNPT

        if fixed.any():
            raise InputError(
                "npt: fixed atoms are not supported by the Parrinello-Rahman integrator"
            )
        cell = a.cell.array
        if not np.allclose(cell, np.triu(cell)):
            raise InputError("npt: the cell must be upper triangular (orthorhombic here)")
        p = np.asarray(s.pressure_bar, dtype=float) * units.bar
        stress = np.array([-p[0], -p[1], -p[2], 0.0, 0.0, 0.0])
        pfactor = (s.ptime_fs * units.fs) ** 2 * s.bulk_modulus_GPa * units.GPa
        return MelchionnaNPT(
            a,
            timestep=dt,
            temperature_K=s.temperature_K,
            externalstress=stress,
            ttime=s.ttime_fs * units.fs,
            pfactor=pfactor,
            # diagonal mask: each cell length follows its own pressure, no shear
            mask=np.diag([int(m) for m in s.npt_mask]),
        )
    from ase.md.verlet import VelocityVerlet

    return VelocityVerlet(a, timestep=dt)


def _integrator_state(dyn, s: MDSettings) -> dict:
    if s.ensemble == "nvt":
        th = dyn._thermostat
        return {"nhc_eta": th._eta.tolist(), "nhc_p_eta": th._p_eta.tolist()}
    if s.ensemble == "npt":
        return {
            "npt_eta": np.asarray(dyn.eta).ravel().tolist(),
            "npt_zeta": float(dyn.zeta),
            "npt_zeta_integrated": float(dyn.zeta_integrated),
        }
    return {}


def _restore_integrator(dyn, s: MDSettings, info: Mapping[str, Any]) -> None:
    st = json.loads(info.get("integrator_state", "{}"))
    if s.ensemble == "nvt" and "nhc_eta" in st:
        dyn._thermostat._eta = np.asarray(st["nhc_eta"], dtype=float)
        dyn._thermostat._p_eta = np.asarray(st["nhc_p_eta"], dtype=float)
    elif s.ensemble == "npt" and "npt_eta" in st:
        dyn.eta = np.asarray(st["npt_eta"], dtype=float).reshape(3, 3)
        dyn.zeta = float(st["npt_zeta"])
        dyn.zeta_integrated = float(st["npt_zeta_integrated"])


def _frame(a: Atoms, calc, step: int, s: MDSettings, const_info, frame_arrays) -> Atoms:
    f = Atoms(a.numbers, positions=a.positions, cell=a.cell, pbc=a.pbc)
    for key, val in a.arrays.items():
        if key not in _STATE_ARRAYS and key != "charges":
            f.set_array(key, np.asarray(val).copy())
    res = getattr(calc, "results", {})
    if "charges" in res:
        f.set_array("charges", np.asarray(res["charges"], dtype=float).copy())
    if frame_arrays is not None:
        for key, val in frame_arrays(a, calc).items():
            f.set_array(key, np.asarray(val).copy())
    f.info.update(const_info)
    f.info.update(
        step=int(step),
        time_ps=float(step * s.timestep_fs / 1000.0),
        ensemble=s.ensemble,
        energy=float(a.get_potential_energy()),
        temperature_K=float(a.get_temperature()),
    )
    for key in ("e_short", "e_qeq"):
        if res.get(key) is not None:
            f.info[key] = float(res[key])
    if s.ensemble == "npt":
        f.info["volume_A3"] = float(a.get_volume())
    return f


def _append_frame(partial: Path, a, calc, step, s, const_info, frame_arrays) -> None:
    from ase.io import write

    f = _frame(a, calc, step, s, const_info, frame_arrays)
    with open(partial, "a") as fh:
        write(fh, f, format="extxyz")
        fh.flush()
        os.fsync(fh.fileno())


def _fingerprint(
    atoms: Atoms, s: MDSettings, info: Mapping[str, Any], potential: str | None = None
) -> str:
    """Digest of the start structure (symbols, positions and cell to ``_FP_DECIMALS``
    places), the settings, the frame info and the potential (the calculator's
    ``fingerprint`` attribute, e.g. the model file's hash, when it has one): a state
    file is only resumed by the same run."""
    pot = None if potential is None else str(potential)
    key = digest([encode_atoms(atoms, _FP_DECIMALS), s, dict(info), pot])
    return "fp-" + key[:16]  # prefix: extxyz would read "12e4..." as a number


def _write_state(
    path: Path,
    a,
    dyn,
    s,
    step,
    partial,
    *,
    with_calc=None,
    info=None,
    frame_arrays=None,
    fingerprint: str = "",
) -> None:
    from lidendrite.io.extxyz import write_structure

    if with_calc is not None:
        st = _frame(a, with_calc, step, s, info or {}, frame_arrays)
    else:
        st = Atoms(a.numbers, positions=a.positions, cell=a.cell, pbc=a.pbc)
        for key, val in a.arrays.items():
            if key not in _STATE_ARRAYS:
                st.set_array(key, np.asarray(val).copy())
    st.set_momenta(a.get_momenta(), apply_constraint=False)
    if "region" not in st.arrays:
        st.set_array("region", np.full(len(st), "none", dtype="U16"))
    if "layer" not in st.arrays:
        st.set_array("layer", np.full(len(st), -1, dtype=int))
    st.info.update(
        step=int(step),
        traj_bytes=int(partial.stat().st_size) if partial.exists() else 0,
        integrator_state=json.dumps(_integrator_state(dyn, s)),
        fingerprint=fingerprint,
    )
    write_structure(st, path)


def _read_state(path: Path) -> Atoms:
    from ase.io import read

    try:
        a = read(path, format="extxyz", index=-1)
    except Exception as exc:  # a state is written atomically; this is a foreign file
        raise InputError(f"{path}: unreadable restart state ({type(exc).__name__})") from None
    for key in ("step", "traj_bytes"):
        if key not in a.info:
            raise InputError(f"{path}: restart state has no info key {key!r}")
    a.calc = None
    return a


def _truncate(partial: Path, size: int) -> None:
    if not partial.exists():
        if size:
            raise InputError(f"{partial}: partial trajectory missing, cannot resume")
        return
    if partial.stat().st_size < size:
        raise InputError(f"{partial}: shorter than its restart state records, cannot resume")
    with open(partial, "r+b") as fh:
        fh.truncate(size)


def _first_frame_bytes(data: bytes) -> int:
    """Length in bytes of the first frame of an extended-XYZ text (0 when empty)."""
    if not data:
        return 0
    lines = data.split(b"\n")
    n = int(lines[0].strip())
    return len(b"\n".join(lines[: n + 2])) + 1


def _count_frames(path: Path) -> int:
    if not path.exists():
        return 0
    n = 0
    with open(path) as fh:
        while True:
            line = fh.readline()
            if not line:
                break
            nat = int(line)
            fh.readline()
            for _ in range(nat):
                fh.readline()
            n += 1
    return n
