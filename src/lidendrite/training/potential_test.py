"""Test set of a Deep Potential as in the lpsc paper (Results, first paragraph; Fig. 1d-e).

The trained DP drives an NPT MD of the 185-atom Li/Li6PS5Cl interface (paper:
200 ps; LAMMPS ``pair_style deepmd``, in-process), frames are saved every
``dump_every`` steps, ``n_frames`` of them (paper: 100) are drawn at random,
labelled by the active labeller (paper: VASP PBE single points) and written as
dpdata; ``dp --tf test`` on them gives the RMSEs
(:func:`lidendrite.training.deepmd_run.test`).

The interface is a slab with vacuum along z, so the barostat couples x and y
only (``fix npt ... x P P Pdamp y P P Pdamp couple xy``) and z stays fixed, as
in the moving-restraint MD of :mod:`lidendrite.sampling.moving_restraint`.
Nose-Hoover thermostat and barostat (Shinoda, Shiga, Mikami, Phys. Rev. B 69,
134103 (2004), doi:10.1103/PhysRevB.69.134103; LAMMPS ``fix npt``).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from lidendrite.errors import InputError, LidendriteError
from lidendrite.io.jsonfile import write_json
from lidendrite.training.deepmd_run import thread_variables

__all__ = [
    "DpmdFailedError",
    "npt_dpmd",
    "as_frame",
    "draw_indices",
    "pick_frames",
    "collect_systems",
]

#: what deepmd-kit (in LAMMPS) and LAMMPS read for their thread counts
_THREAD_VARIABLES = tuple(thread_variables(1))


class DpmdFailedError(LidendriteError, RuntimeError):
    """The DPMD run stopped (lost atoms, non-finite energy, a LAMMPS error)."""


@contextmanager
def thread_environment(threads: int | None) -> Iterator[None]:
    """Set the thread variables of :data:`_THREAD_VARIABLES` to ``threads`` (inter-op 1) inside.

    LAMMPS reads ``OMP_NUM_THREADS`` when an instance is created and
    deepmd-kit reads all three when ``pair_style deepmd`` loads its model;
    the previous values come back on exit. ``None`` changes nothing.
    """
    saved = {k: os.environ.get(k) for k in _THREAD_VARIABLES}
    if threads is not None:
        if int(threads) < 1:
            raise InputError(f"threads: need >= 1, got {threads}")
        os.environ.update(thread_variables(int(threads)))
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def npt_dpmd(
    atoms: Any,
    model_pb: str | Path,
    workdir: str | Path,
    type_map: Sequence[str],
    *,
    n_steps: int,
    timestep_fs: float,
    temperature_K: float,
    pressure_bar: float,
    thermostat_damping_fs: float,
    barostat_damping_fs: float,
    dump_every: int,
    thermo_every: int = 100,
    seed: int,
    threads: int | None = None,
    on_chunk: Callable[[int, Path], None] | None = None,
) -> tuple[list[Any], dict[str, Any]]:
    """Run NPT DPMD of ``atoms`` with ``model_pb``; return the dumped frames and a summary.

    Parameters
    ----------
    atoms
        Starting structure (``ase.Atoms``, 3D periodic cell; a slab has vacuum along z).
    model_pb
        Frozen deepmd-kit TensorFlow model.
    workdir
        Folder for ``data.lmp``, ``log.lammps`` and ``traj.lammpstrj``.
    type_map
        Elements in LAMMPS type order (the model's type map).
    n_steps, timestep_fs
        MD length in steps and time step in fs.
    temperature_K, pressure_bar
        Nose-Hoover targets; pressure couples x and y (z fixed).
    thermostat_damping_fs, barostat_damping_fs
        Damping times, fs.
    dump_every, thermo_every
        Steps between saved frames and thermo lines. The MD settings have no
        defaults: they come from the config block ``lpsc.potential_test``;
        ``thermo_every`` is a log interval (and the ``on_chunk`` period), not
        a physical setting, with no config key.
    seed
        Seed of the initial Maxwell-Boltzmann velocities.
    threads
        TensorFlow intra-op and OpenMP threads of this run (``None``: the
        process's own settings); the variables are restored afterwards.
    on_chunk
        Called as ``on_chunk(step, dump_path)`` after every ``thermo_every``
        steps, once the frames up to ``step`` are in the dump file (LAMMPS
        flushes it after each frame); an exception it raises stops the run.

    Returns
    -------
    frames : list of ase.Atoms
        Frames at steps ``dump_every, 2*dump_every, ...`` (the start is dropped),
        chemical symbols from ``type_map``, atoms in the input order.
    summary : dict
        ``n_steps``, ``time_ps``, ``n_frames``, mean ``temperature_K`` and
        ``pressure_bar`` over the thermo lines, final cell lengths (Angstrom),
        ``lammps_version``, ``wall_time_s``.
    """
    from ase.io import read
    from ase.io.lammpsdata import write_lammps_data

    from lidendrite.sampling.lammps_env import create_lammps, lammps_version

    if n_steps <= 0 or dump_every <= 0 or dump_every > n_steps or thermo_every <= 0:
        raise InputError(
            f"npt_dpmd: need n_steps > 0 and 0 < dump_every <= n_steps, got {n_steps}, {dump_every}"
        )
    model_pb = Path(model_pb).resolve()
    if not model_pb.is_file():
        raise InputError(f"{model_pb}: frozen model not found")
    unknown = sorted(set(atoms.get_chemical_symbols()) - set(type_map))
    if unknown:
        raise InputError(f"structure: element {unknown[0]} is not in type_map {list(type_map)}")
    wd = Path(workdir).resolve()
    wd.mkdir(parents=True, exist_ok=True)
    data, dump, log = wd / "data.lmp", wd / "traj.lammpstrj", wd / "log.lammps"
    dump.unlink(missing_ok=True)
    with open(data, "w") as fd:
        write_lammps_data(
            fd, atoms, specorder=list(type_map), masses=True, units="metal", atom_style="atomic"
        )
    dt_ps = timestep_fs * 1e-3
    t_damp, p_damp = thermostat_damping_fs * 1e-3, barostat_damping_fs * 1e-3
    t0 = time.perf_counter()
    with thread_environment(threads):  # read when pair_style deepmd loads the model
        lmp = create_lammps(log, deepmd=True)
        temps, press = [], []
        try:
            cmds = [
                "units metal",
                "atom_style atomic",
                "boundary p p p",
                "atom_modify map array",
                f"read_data {data}",
                f"pair_style deepmd {model_pb}",
                f"pair_coeff * * {' '.join(type_map)}",
                "neighbor 2.0 bin",
                "neigh_modify every 1 delay 0 check yes",
                f"timestep {dt_ps}",
                f"velocity all create {temperature_K} {seed} mom yes rot no dist gaussian",
                f"fix md all npt temp {temperature_K} {temperature_K} {t_damp} "
                f"x {pressure_bar} {pressure_bar} {p_damp} y {pressure_bar} {pressure_bar} {p_damp} "
                "couple xy",
                "thermo_style custom step time temp pe ke etotal press lx ly lz",
                f"thermo {thermo_every}",
                "thermo_modify lost error flush yes norm no",
                f"dump traj all custom {dump_every} {dump} id type element x y z",
                f"dump_modify traj element {' '.join(type_map)} sort id",
            ]
            try:
                lmp.commands_list(cmds)
            except Exception as exc:
                raise InputError(f"LAMMPS setup failed: {_first_line(exc)}") from exc
            step = 0
            while step < n_steps:
                chunk = min(thermo_every, n_steps - step)
                try:
                    lmp.command(f"run {chunk}")
                except Exception as exc:
                    raise DpmdFailedError(
                        f"DPMD stopped after step {step}: {_first_line(exc)}"
                    ) from exc
                step = int(lmp.extract_global("ntimestep"))
                pe = lmp.get_thermo("pe")
                if not math.isfinite(pe) or lmp.get_natoms() != len(atoms):
                    raise DpmdFailedError(
                        f"DPMD broke down at step {step}: energy {pe}, {lmp.get_natoms()} of {len(atoms)} atoms"
                    )
                temps.append(lmp.get_thermo("temp"))
                press.append(lmp.get_thermo("press"))
                if on_chunk is not None:
                    on_chunk(step, dump)
            cell = [lmp.get_thermo(k) for k in ("lx", "ly", "lz")]
            version = lammps_version(lmp)
        finally:
            lmp.close()
    frames = [as_frame(f, atoms) for f in read(str(dump), index=":", format="lammps-dump-text")[1:]]
    summary = {
        "n_steps": int(n_steps),
        "timestep_fs": float(timestep_fs),
        "threads": threads,
        "time_ps": n_steps * dt_ps,
        "n_frames_dumped": len(frames),
        "temperature_K_target": float(temperature_K),
        "temperature_K_mean": float(np.mean(temps)),
        "pressure_bar_target": float(pressure_bar),
        "pressure_bar_mean": float(np.mean(press)),
        "final_cell_angstrom": [round(float(x), 4) for x in cell],
        "lammps_version": version,
        "wall_time_s": time.perf_counter() - t0,
    }
    write_json(summary, wd / "npt_dpmd.json")
    return frames, summary


def as_frame(dumped: Any, atoms: Any) -> Any:
    """A frame read from the dump, with the symbols of ``atoms`` (``sort id``: input order), periodic."""
    dumped.set_chemical_symbols(atoms.get_chemical_symbols())
    dumped.pbc = True
    dumped.calc = None
    return dumped


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def draw_indices(n_total: int, n: int, seed: int) -> list[int]:
    """``n`` distinct indices of ``range(n_total)`` drawn at random (all when fewer), sorted.

    ``seed``: config ``lpsc.potential_test.seed`` (the MD's velocity seed).
    """
    if n <= 0:
        raise InputError(f"n_frames: must be > 0, got {n}")
    if n_total <= 0:
        raise InputError("no frames to pick from (the MD saved none)")
    rng = np.random.default_rng(seed)
    return sorted(int(i) for i in rng.choice(n_total, size=min(n, n_total), replace=False))


def pick_frames(frames: Sequence[Any], n: int, seed: int) -> tuple[list[Any], list[int]]:
    """Draw ``n`` distinct frames at random (all when fewer); return them and their indices (sorted)."""
    idx = draw_indices(len(frames), n, seed)
    return [frames[i] for i in idx], idx


def collect_systems(*roots: str | Path) -> list[Path]:
    """Every dpdata ``deepmd/npy`` system (a folder with ``type.raw``) below ``roots``, sorted."""
    out: list[Path] = []
    for root in roots:
        root = Path(root)
        if not root.is_dir():
            raise InputError(f"{root}: data folder not found")
        out += sorted({p.parent for p in root.rglob("type.raw")})
    if not out:
        raise InputError(f"no deepmd/npy system under {', '.join(os.fspath(r) for r in roots)}")
    return out
