"""CP2K labeller: PBE single points with GTH pseudopotentials and MOLOPT basis sets.

Each frame is one ``RUN_TYPE ENERGY_FORCE`` calculation (Quickstep, GPW):
PBE (Perdew, Burke, Ernzerhof, PRL 77, 3865 (1996)), GTH pseudopotentials
(Goedecker, Teter, Hutter, PRB 54, 1703 (1996)), ``DZVP-MOLOPT-SR-GTH``
basis (VandeVondele and Hutter, JCP 127, 114105 (2007)), plane-wave cutoff
``cutoff``/``rel_cutoff``, diagonalisation with Broyden mixing, optional
Fermi-Dirac smearing with added MOs for metals, Monkhorst-Pack k-points or
Gamma, optional Grimme D3 (zero or BJ damping; the ec paper uses D3BJ),
charge and multiplicity, analytical stress.

The output is parsed by :func:`parse_cp2k_output` with cp2kdata's block
parsers (checked against CP2K 2023.1): the last ``ENERGY| Total FORCE_EVAL``
line (Hartree; with smearing this is the Mermin free energy, the one
consistent with the forces), the ``ATOMIC FORCES in [a.u.]`` table
(Hartree/Bohr) and the ``STRESS| Analytical stress tensor [GPa]`` block. CP2K prints the stress as a pressure tensor
(positive when the cell wants to expand; checked here against dE/dV of BCC
Li), so the dpdata virial is ``+stress_cp2k * volume`` and the ASE stress
is ``-stress_cp2k``.

Calculations run in ``workdir/frame_NNNNN/`` with ``OMP_NUM_THREADS=threads``,
as ``mpi_ranks`` MPI ranks through ``mpi_launcher`` when ``mpi_ranks > 1``
(an MPI build, ``cp2k.psmp``); a frame whose input is unchanged and whose output is complete is
not recomputed, so an interrupted labelling resumes.

Why one module of about 700 lines: the CP2K input writer and the output reader of one single point share the settings and the unit conversions.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms, units
from ase.calculators.calculator import Calculator, all_changes

from lidendrite.errors import InputError, LidendriteError, ToolMissingError
from lidendrite.labeling.base import Labeller, _check_frame, attach_labels
from lidendrite.procs import die_with_parent

__all__ = [
    "Cp2kCalculator",
    "Cp2kFailed",
    "Cp2kLabeller",
    "Cp2kResult",
    "Cp2kSettings",
    "ScfNotConverged",
    "check_cp2k",
    "execute_cp2k",
    "find_cp2k",
    "kpoint_grid",
    "parse_cp2k_output",
    "run_cp2k",
    "write_cp2k_input",
]

#: binaries tried in order when no ``executable`` is given
CP2K_BINARIES = ("cp2k.psmp", "cp2k.ssmp", "cp2k", "cp2k.popt", "cp2k.sopt")
CP2K_INSTALL = "apt-get install cp2k cp2k-data (as root)"
CP2K_FIX = f"cp2k not found: run {CP2K_INSTALL}"
GPA_TO_EV_A3 = units.GPa  # 1 GPa in eV/Angstrom^3


class Cp2kFailed(LidendriteError, RuntimeError):
    """A CP2K run ended without the results (message names the output file)."""


class ScfNotConverged(Cp2kFailed):
    """The SCF did not reach ``eps_scf`` within ``max_scf`` steps."""


@dataclass
class Cp2kSettings:
    """Everything that defines a CP2K single point (all from config).

    Attributes
    ----------
    xc : str
        Exchange-correlation functional (``XC_FUNCTIONAL``), PBE in both papers.
    basis_set, basis_file : str
        Basis name per element and the file that holds it (in ``data_dir``).
    potential, potential_file : str
        GTH pseudopotential name (alias without ``-qN``) and its file.
    data_dir : str or None
        CP2K data directory; None: ``$CP2K_DATA_DIR`` or ``/usr/share/cp2k`` (Debian).
    cutoff, rel_cutoff : float
        Plane-wave cutoff of the finest grid and of the Gaussian mapping, Ry.
    eps_scf : float
        SCF convergence on the density matrix/energy, Hartree.
    max_scf : int
        Maximum SCF iterations.
    eps_default : float
        Quickstep integral screening threshold.
    smearing_temperature : float
        Fermi-Dirac electronic temperature, K; 0 turns smearing off.
    added_mos_fraction : float
        Extra (empty) orbitals as a fraction of the occupied ones when smearing.
    mixing_alpha : float
        Broyden density-mixing parameter.
    kpoints : list of int or None
        Monkhorst-Pack grid ``[nx, ny, nz]``; None or ``[1, 1, 1]``: Gamma only.
    kspacing : float or None
        If set (1/Angstrom, 2*pi included, as VASP's KSPACING), the grid is
        ``n_i = max(1, ceil(2*pi*|b_i| / kspacing))`` per cell (overrides ``kpoints``),
        so that one setting suits cells of every size.
    d3 : bool
        Add Grimme's D3 dispersion (``d3_damping``: ``bj`` or ``zero``).
    charge, multiplicity : int
        Total charge (e) and spin multiplicity; multiplicity > 1 selects UKS.
    threads : int
        OpenMP threads of each CP2K process (MPI rank).
    mpi_ranks : int
        MPI ranks of one single point; > 1 starts CP2K as ``mpi_launcher``
        (``{ranks}`` replaced) followed by the binary, which must be an MPI
        build (``.psmp``/``.popt``). Cores used: ``mpi_ranks * threads``.
    mpi_launcher : str
        MPI launcher command line, e.g. ``mpirun -np {ranks}`` or ``srun -n {ranks}``.
    executable : str or None
        CP2K binary; None: the first of ``cp2k.psmp, cp2k.ssmp, cp2k, ...`` on PATH.
    timeout : float or None
        Wall-clock limit of one single point, s.
    """

    xc: str = "PBE"
    basis_set: str = "DZVP-MOLOPT-SR-GTH"
    basis_file: str = "BASIS_MOLOPT"
    potential: str = "GTH-PBE"
    potential_file: str = "GTH_POTENTIALS"
    data_dir: str | None = None
    cutoff: float = 400.0
    rel_cutoff: float = 50.0
    eps_scf: float = 1e-6
    max_scf: int = 100
    eps_default: float = 1e-12
    smearing_temperature: float = 500.0
    added_mos_fraction: float = 0.3
    mixing_alpha: float = 0.3
    kpoints: list[int] | None = None
    kspacing: float | None = None
    d3: bool = False
    d3_damping: str = "bj"
    charge: int = 0
    multiplicity: int = 1
    threads: int = 1
    mpi_ranks: int = 1
    mpi_launcher: str = "mpirun -np {ranks}"
    executable: str | None = None
    timeout: float | None = None

    def resolved_data_dir(self) -> Path:
        """The CP2K data directory that holds the basis and potential files."""
        return Path(self.data_dir or os.environ.get("CP2K_DATA_DIR") or "/usr/share/cp2k")


@dataclass
class Cp2kResult:
    """Parsed CP2K single point: energy eV, forces ``[n, 3]`` eV/A, virial ``[3, 3]`` eV.

    ``seconds`` is CP2K's own total time (timing report), None if absent.
    """

    energy: float
    forces: np.ndarray
    virial: np.ndarray | None
    version: str
    scf_steps: int | None
    seconds: float | None = None


# --------------------------------------------------------------------------- input


def _library(path: Path, kind: str) -> dict[str, set[str]]:
    """Element -> names (and aliases) defined in a CP2K basis or potential file."""
    if not path.is_file():
        raise InputError(f"CP2K {kind} file not found: {path} (install cp2k-data or set data_dir)")
    table: dict[str, set[str]] = {}
    header = re.compile(r"^\s*([A-Z][a-z]?)\s+([A-Za-z][\w\-\(\)\.\+]*)(\s+.*)?$")
    for line in path.read_text(errors="replace").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = header.match(line)
        if m:
            names = [m.group(2)] + (m.group(3) or "").split()
            table.setdefault(m.group(1), set()).update(n for n in names if not n[0].isdigit())
    return table


def _valence(potential_file: Path, element: str, potential: str) -> int:
    """Valence electrons of ``element`` from the ``-qN`` name of its GTH potential."""
    for line in potential_file.read_text(errors="replace").splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == element and potential in parts[1:]:
            for name in parts[1:]:
                m = re.search(r"-q(\d+)$", name)
                if m:
                    return int(m.group(1))
    raise InputError(f"no pseudopotential {potential} for element {element} in {potential_file}")


def _check_library(symbols: Sequence[str], s: Cp2kSettings) -> dict[str, int]:
    """Fail early, naming the element, when a basis or potential is missing."""
    data = s.resolved_data_dir()
    basis = _library(data / s.basis_file, "basis set")
    pots = _library(data / s.potential_file, "pseudopotential")
    valence = {}
    for el in sorted(set(symbols)):
        if s.basis_set not in basis.get(el, set()):
            raise InputError(
                f"no basis set {s.basis_set} for element {el} in {data / s.basis_file}"
            )
        if s.potential not in pots.get(el, set()):
            raise InputError(
                f"no pseudopotential {s.potential} for element {el} in {data / s.potential_file}"
            )
        valence[el] = _valence(data / s.potential_file, el, s.potential)
    return valence


def kpoint_grid(atoms: Atoms, settings: Cp2kSettings) -> list[int]:
    """Monkhorst-Pack grid of ``atoms``: from ``kspacing`` if set, else ``kpoints`` (Gamma: 1 1 1)."""
    if settings.kspacing:
        recip = np.linalg.norm(atoms.cell.reciprocal(), axis=1)  # 1/A, without 2*pi
        return [max(1, math.ceil(2 * math.pi * b / settings.kspacing)) for b in recip]
    if not settings.kpoints:
        return [1, 1, 1]
    if len(settings.kpoints) != 3 or any(int(k) < 1 for k in settings.kpoints):
        raise InputError(f"kpoints must be three positive integers, got {settings.kpoints}")
    return [int(k) for k in settings.kpoints]


def write_cp2k_input(
    atoms: Atoms,
    settings: Cp2kSettings,
    project: str = "label",
    *,
    run_type: str = "ENERGY_FORCE",
    dft_extra: Sequence[str] = (),
    dft_print: Sequence[str] = (),
) -> str:
    """Return the text of a CP2K ``ENERGY_FORCE`` (or ``ENERGY``) input for ``atoms``.

    Parameters
    ----------
    atoms
        Frame with a 3D cell (Angstrom); periodic in x, y and z.
    settings
        See :class:`Cp2kSettings`.
    project
        CP2K project name (file prefix).
    run_type
        ``ENERGY_FORCE`` (labelling: forces and analytical stress printed) or
        ``ENERGY`` (a single point for properties only: no stress, no force print).
    dft_extra
        Further ``&DFT`` keywords, one line each (e.g. ``SURFACE_DIPOLE_CORRECTION T``).
    dft_print
        Lines of a ``&DFT/&PRINT`` section (e.g. a ``&HIRSHFELD`` block).

    Raises
    ------
    InputError
        Missing basis/potential for an element, impossible charge/multiplicity.
    """
    s = settings
    symbols = atoms.get_chemical_symbols()
    valence = _check_library(symbols, s)
    n_electrons = sum(valence[el] for el in symbols) - int(s.charge)
    if n_electrons <= 0:
        raise InputError(f"charge {s.charge} leaves {n_electrons} electrons")
    smear = s.smearing_temperature and s.smearing_temperature > 0
    uks = s.multiplicity > 1 or (n_electrons % 2 == 1 and not smear)
    if (n_electrons + s.multiplicity - 1) % 2 == 1 and s.multiplicity > 1:
        raise InputError(f"multiplicity {s.multiplicity} impossible with {n_electrons} electrons")
    if run_type not in ("ENERGY_FORCE", "ENERGY"):
        raise InputError(f"run_type must be ENERGY_FORCE or ENERGY, got {run_type!r}")
    forces = run_type == "ENERGY_FORCE"
    data = s.resolved_data_dir()
    lines = [
        "&GLOBAL",
        f"  PROJECT {project}",
        f"  RUN_TYPE {run_type}",
        "  PRINT_LEVEL MEDIUM",
        "&END GLOBAL",
        "&FORCE_EVAL",
        "  METHOD QS",
        *(["  STRESS_TENSOR ANALYTICAL"] if forces else []),
        "  &DFT",
        f"    BASIS_SET_FILE_NAME {data / s.basis_file}",
        f"    POTENTIAL_FILE_NAME {data / s.potential_file}",
        f"    CHARGE {int(s.charge)}",
        f"    MULTIPLICITY {int(s.multiplicity)}",
    ]
    if uks:
        lines.append("    UKS")
    lines += [f"    {line}" for line in dft_extra]
    lines += [
        "    &MGRID",
        f"      CUTOFF {s.cutoff}",
        f"      REL_CUTOFF {s.rel_cutoff}",
        "    &END MGRID",
        "    &QS",
        f"      EPS_DEFAULT {s.eps_default:.1e}",
        "    &END QS",
        "    &SCF",
        f"      EPS_SCF {s.eps_scf:.1e}",
        f"      MAX_SCF {int(s.max_scf)}",
        "      SCF_GUESS ATOMIC",
    ]
    if smear:
        n_occ = math.ceil(n_electrons / 2)
        lines += [
            f"      ADDED_MOS {max(1, math.ceil(s.added_mos_fraction * n_occ))}",
            "      &SMEAR ON",
            "        METHOD FERMI_DIRAC",
            f"        ELECTRONIC_TEMPERATURE [K] {s.smearing_temperature}",
            "      &END SMEAR",
        ]
    lines += [
        "      &DIAGONALIZATION",
        "        ALGORITHM STANDARD",
        "      &END DIAGONALIZATION",
        "      &MIXING",
        "        METHOD BROYDEN_MIXING",
        f"        ALPHA {s.mixing_alpha}",
        "      &END MIXING",
        "    &END SCF",
    ]
    kpts = kpoint_grid(atoms, s)
    if any(k > 1 for k in kpts):
        lines += [
            "    &KPOINTS",
            "      SCHEME MONKHORST-PACK " + " ".join(map(str, kpts)),
            "    &END KPOINTS",
        ]
    lines += ["    &XC", f"      &XC_FUNCTIONAL {s.xc}", "      &END XC_FUNCTIONAL"]
    if s.d3:
        damping = {"bj": "DFTD3(BJ)", "zero": "DFTD3"}.get(s.d3_damping)
        if damping is None:
            raise InputError(f"d3_damping must be 'bj' or 'zero', got {s.d3_damping!r}")
        lines += [
            "      &VDW_POTENTIAL",
            "        POTENTIAL_TYPE PAIR_POTENTIAL",
            "        &PAIR_POTENTIAL",
            f"          TYPE {damping}",
            f"          PARAMETER_FILE_NAME {data / 'dftd3.dat'}",
            f"          REFERENCE_FUNCTIONAL {s.xc}",
            "        &END PAIR_POTENTIAL",
            "      &END VDW_POTENTIAL",
        ]
    lines.append("    &END XC")
    if dft_print:
        lines += ["    &PRINT", *(f"      {line}" for line in dft_print), "    &END PRINT"]
    lines += ["  &END DFT", "  &SUBSYS", "    &CELL"]
    for name, vec in zip("ABC", atoms.cell.array, strict=True):
        lines.append(f"      {name} " + " ".join(f"{x:.10f}" for x in vec))
    lines += ["      PERIODIC XYZ", "    &END CELL", "    &COORD"]
    for sym, pos in zip(symbols, atoms.positions, strict=True):
        lines.append(f"      {sym} " + " ".join(f"{x:.10f}" for x in pos))
    lines.append("    &END COORD")
    for el in sorted(set(symbols)):
        lines += [
            f"    &KIND {el}",
            f"      BASIS_SET {s.basis_set}",
            f"      POTENTIAL {s.potential}",
            "    &END KIND",
        ]
    lines.append("  &END SUBSYS")
    if forces:
        lines += [
            "  &PRINT",
            "    &FORCES ON",
            "    &END FORCES",
            "    &STRESS_TENSOR ON",
            "    &END STRESS_TENSOR",
            "  &END PRINT",
        ]
    lines.append("&END FORCE_EVAL")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- run + parse


def find_cp2k(executable: str | None = None) -> str:
    """Path of the CP2K binary (``executable`` or the first of :data:`CP2K_BINARIES`)."""
    for name in [executable] if executable else CP2K_BINARIES:
        path = shutil.which(name)
        if path:
            return path
    raise ToolMissingError(CP2K_FIX if not executable else f"{executable} not found: {CP2K_FIX}")


#: CP2K binaries built with MPI (``p``: parallel, ``smp``/``opt``: with/without OpenMP)
CP2K_MPI_SUFFIXES = (".psmp", ".popt")


def check_mpi_settings(settings: Cp2kSettings) -> None:
    """One-line :class:`InputError` for MPI settings that cannot start CP2K.

    Checked before any frame is labelled: ``mpi_ranks`` an integer >= 1, and
    for more than one rank a launcher with ``{ranks}`` whose program is on PATH.
    """
    ranks = settings.mpi_ranks
    if int(ranks) != ranks or ranks < 1:
        raise InputError(f"labeling.cp2k.mpi_ranks: need an integer >= 1, got {ranks}")
    if ranks == 1:
        return
    words = settings.mpi_launcher.split()
    if not words or "{ranks}" not in settings.mpi_launcher:
        raise InputError(
            f"labeling.cp2k.mpi_launcher: {settings.mpi_launcher!r} must contain {{ranks}} "
            "(e.g. 'mpirun -np {ranks}')"
        )
    if not shutil.which(words[0]):
        raise ToolMissingError(
            f"labeling.cp2k.mpi_launcher: {words[0]} not found for {ranks} MPI ranks; "
            "install an MPI (apt-get install openmpi-bin) or set labeling.cp2k.mpi_ranks: 1"
        )


def cp2k_command(settings: Cp2kSettings) -> list[str]:
    """CP2K's command line without its arguments: ``[launcher..., binary]`` or ``[binary]``.

    Raises :class:`InputError` (one line) when ``mpi_ranks > 1`` and the binary
    is not an MPI build: an OpenMP-only CP2K would run the same single point
    ``mpi_ranks`` times side by side.
    """
    import shlex

    check_mpi_settings(settings)
    exe = find_cp2k(settings.executable)
    if settings.mpi_ranks == 1:
        return [exe]
    if not Path(exe).resolve().name.endswith(CP2K_MPI_SUFFIXES):
        raise InputError(
            f"labeling.cp2k.mpi_ranks: {settings.mpi_ranks} ranks need an MPI build of CP2K "
            f"(cp2k.psmp), found {exe}"
        )
    return [*shlex.split(settings.mpi_launcher.format(ranks=int(settings.mpi_ranks))), exe]


def parse_cp2k_output(text: str, n_atoms: int, source: str = "cp2k output") -> Cp2kResult:
    """Parse energy, forces and stress of a CP2K 2023 ``ENERGY_FORCE`` run.

    The energy, force and stress blocks are read by cp2kdata's block parsers
    (https://github.com/robinzyb/cp2kdata); the last block of each counts.
    The version string, the SCF step count and CP2K's own run time, which
    cp2kdata does not read from a text, are matched here.

    Parameters
    ----------
    text
        The whole output file.
    n_atoms
        Atoms in the frame (rows of the force table).
    source
        File name used in error messages.

    Returns
    -------
    Cp2kResult
        Energy eV (Hartree * 27.211...), forces eV/A ``[n_atoms, 3]``
        (Hartree/Bohr), and in ``virial`` CP2K's stress tensor ``[3, 3]`` in
        GPa, a pressure (None when no stress was printed); :func:`run_cp2k`
        turns it into the virial, eV, by ``* GPa * volume``.

    Raises
    ------
    ScfNotConverged, Cp2kFailed
    """
    from cp2kdata.block_parser.energies import parse_energies_list
    from cp2kdata.block_parser.forces import parse_atomic_forces_list
    from cp2kdata.block_parser.stress import parse_stress_tensor_list

    if re.search(r"SCF run NOT converged", text):
        raise ScfNotConverged(
            f"CP2K SCF not converged ({source}): raise max_scf or smearing_temperature, "
            "or lower mixing_alpha"
        )
    try:
        energies = parse_energies_list(text)  # Hartree, [n_evals]
        forces = parse_atomic_forces_list(text)  # Hartree/Bohr, [n_evals, n_atoms, 3]
        stress = parse_stress_tensor_list(text)  # GPa, [n_evals, 3, 3]
    except Exception as exc:  # any failure inside the library: an unreadable output
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise Cp2kFailed(f"unreadable CP2K output {source}: {first}") from exc
    if energies is None:
        raise Cp2kFailed(f"no total energy in {source}: CP2K stopped early, see that file")
    if forces is None:
        raise Cp2kFailed(f"no ATOMIC FORCES block in {source}")
    if len(forces[-1]) != n_atoms:
        raise Cp2kFailed(f"{len(forces[-1])} force rows for {n_atoms} atoms in {source}")
    if stress is None and "STRESS| Analytical stress tensor [GPa]" in text:
        raise Cp2kFailed(f"incomplete STRESS block in {source}: CP2K stopped early")
    m = re.search(r"CP2K\|\s+version string:\s+(.+)", text)
    version = m.group(1).strip() if m else "CP2K (unknown version)"
    scf = re.findall(r"SCF run converged in\s+(\d+) steps", text)
    timing = re.findall(r"^ CP2K\s+1\s+\S+\s+\S+\s+\S+\s+\S+\s+(\S+)\s*$", text, re.M)
    return Cp2kResult(
        energy=float(energies[-1]) * units.Hartree,
        forces=np.asarray(forces[-1], dtype=float) * units.Hartree / units.Bohr,
        virial=None if stress is None else np.asarray(stress[-1], dtype=float),
        version=version,
        scf_steps=int(scf[-1]) if scf else None,
        seconds=float(timing[-1]) if timing else None,
    )


def execute_cp2k(
    text: str, settings: Cp2kSettings, workdir: str | Path, project: str = "label"
) -> Path:
    """Run the CP2K input ``text`` as ``workdir/<project>.inp``; return the output path.

    Reuses ``workdir/<project>.out`` when the input there is identical and the
    output complete (resume after an interruption). ``OMP_NUM_THREADS`` is
    ``settings.threads``; ``settings.timeout`` (s) limits the run.

    Raises
    ------
    Cp2kFailed
        Timeout, or CP2K exited without writing an output.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    inp, out = workdir / f"{project}.inp", workdir / f"{project}.out"
    reuse = (
        inp.is_file()
        and inp.read_text() == text
        and out.is_file()
        and "PROGRAM ENDED" in out.read_text(errors="replace")
    )
    if not reuse:
        command = cp2k_command(settings)
        inp.write_text(text)
        # CP2K appends to an existing -o file: a stale run's lines (e.g. its "SCF run NOT
        # converged") would otherwise be parsed with the new run's
        out.unlink(missing_ok=True)
        env = dict(os.environ, OMP_NUM_THREADS=str(int(settings.threads)))
        try:
            proc = subprocess.run(
                [*command, "-i", inp.name, "-o", out.name],
                cwd=workdir,
                env=env,
                capture_output=True,
                text=True,
                timeout=settings.timeout,
                preexec_fn=die_with_parent,
            )
        except subprocess.TimeoutExpired as exc:
            raise Cp2kFailed(f"CP2K exceeded timeout {settings.timeout} s in {workdir}") from exc
        if proc.returncode != 0 and not out.is_file():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or [""]
            raise Cp2kFailed(f"CP2K exited {proc.returncode} in {workdir}: {tail[0]}")
    return out


def run_cp2k(
    atoms: Atoms, settings: Cp2kSettings, workdir: str | Path, project: str = "label"
) -> Cp2kResult:
    """Run one CP2K single point of ``atoms`` in ``workdir``; return the parsed result.

    Reuses ``workdir/<project>.out`` when the input there is identical and
    the output complete (resume after an interruption).
    """
    _check_frame(atoms, 0)
    out = execute_cp2k(write_cp2k_input(atoms, settings, project), settings, workdir, project)
    result = parse_cp2k_output(out.read_text(errors="replace"), len(atoms), str(out))
    if result.virial is not None:
        # CP2K prints the pressure tensor; virial = -stress_ASE * V = +P * V
        result.virial = result.virial * GPA_TO_EV_A3 * abs(atoms.get_volume())
    return result


class Cp2kCalculator(Calculator):
    """ASE calculator that runs one CP2K single point per new geometry.

    Parameters
    ----------
    settings
        :class:`Cp2kSettings`.
    directory
        Where the runs go (one ``calc_NNNNN`` subdirectory per evaluation);
        None: a fresh temporary directory.
    """

    implemented_properties = ["energy", "free_energy", "forces", "stress"]

    def __init__(self, settings: Cp2kSettings | None = None, directory: str | None = None):
        super().__init__()
        self.settings = settings or Cp2kSettings()
        self.rundir = Path(directory or tempfile.mkdtemp(prefix="lidendrite_cp2k_"))
        self.count = 0
        self.version: str | None = None

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        Calculator.calculate(self, atoms, properties, system_changes)
        res = run_cp2k(self.atoms, self.settings, self.rundir / f"calc_{self.count:05d}")
        self.count += 1
        self.version = res.version
        self.results = {"energy": res.energy, "free_energy": res.energy, "forces": res.forces}
        if res.virial is not None:
            stress = -res.virial / abs(self.atoms.get_volume())
            self.results["stress"] = stress[[0, 1, 2, 1, 0, 0], [0, 1, 2, 2, 2, 1]]


class Cp2kLabeller(Labeller):
    """Labels frames with CP2K PBE single points (paper scale).

    Parameters
    ----------
    workdir
        Directory for the per-frame runs (``frame_NNNNN``); None: a temporary one.
    **settings
        Fields of :class:`Cp2kSettings` (cutoff, rel_cutoff, kpoints, ...).
    """

    name = "cp2k"

    def __init__(self, workdir: str | None = None, **settings: Any):
        valid = set(Cp2kSettings.__dataclass_fields__)
        for key in settings:
            if key not in valid:
                raise InputError(
                    f"unknown CP2K setting {key!r}: valid are {', '.join(sorted(valid))}"
                )
        self.cp2k = Cp2kSettings(**settings)
        check_mpi_settings(self.cp2k)
        self.workdir = Path(workdir) if workdir else None
        self._version: str | None = None

    def settings(self) -> dict[str, Any]:
        return asdict(self.cp2k)

    @property
    def level_of_theory(self) -> str:
        s = self.cp2k
        version = self._version or _cp2k_version(s.executable)
        parts = [
            f"DFT {s.xc}{'-D3' + ('(BJ)' if s.d3_damping == 'bj' else '') if s.d3 else ''}",
            f"({version}, {s.potential} pseudopotentials, {s.basis_set}",
            f"cutoff {s.cutoff:g}/{s.rel_cutoff:g} Ry",
            f"k-spacing {s.kspacing:g}/A"
            if s.kspacing
            else f"k-points {'x'.join(map(str, s.kpoints)) if s.kpoints else 'Gamma'}",
            f"Fermi-Dirac {s.smearing_temperature:g} K)"
            if s.smearing_temperature
            else "no smearing)",
        ]
        return parts[0] + " " + ", ".join(parts[1:])

    def calculator(self) -> Cp2kCalculator:
        return Cp2kCalculator(self.cp2k, str(self.workdir) if self.workdir else None)

    def label(self, frames: Sequence[Atoms]) -> list[Atoms]:
        """Run one CP2K single point per frame in ``workdir/frame_NNNNN``."""
        root = self.workdir or Path(tempfile.mkdtemp(prefix="lidendrite_cp2k_"))
        labelled = []
        for i, atoms in enumerate(frames):
            _check_frame(atoms, i)
            res = run_cp2k(atoms, self.cp2k, root / f"frame_{i:05d}")
            self._version = res.version
            atoms = atoms.copy()
            atoms.info["cp2k_seconds"] = res.seconds
            atoms.info["cp2k_scf_steps"] = res.scf_steps
            labelled.append(
                attach_labels(
                    atoms, res.energy, res.forces, res.virial, self.name, self.level_of_theory
                )
            )
        return labelled


def _cp2k_version(executable: str | None = None) -> str:
    """``CP2K version 2023.1`` from ``cp2k --version`` (or 'CP2K (not found)')."""
    try:
        exe = find_cp2k(executable)
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60).stdout
    except (ToolMissingError, OSError, subprocess.TimeoutExpired):
        return "CP2K (not found)"
    m = re.search(r"CP2K version\s+(\S+)", out)
    return f"CP2K version {m.group(1)}" if m else "CP2K (unknown version)"


def check_cp2k(workdir: str | Path | None = None, threads: int = 1, timeout: float = 120.0) -> str:
    """Doctor check: a tiny CP2K single point (2-atom BCC Li cell, low cutoff).

    Returns
    -------
    str
        One line: CP2K version, binary, energy (eV) and wall time.

    Raises
    ------
    ToolMissingError
        No CP2K binary or data files, or the run failed (with the fix).
    """
    import time

    exe = find_cp2k()
    settings = Cp2kSettings(
        cutoff=150.0, rel_cutoff=30.0, eps_scf=1e-5, threads=threads, timeout=timeout
    )
    atoms = Atoms("Li2", scaled_positions=[[0, 0, 0], [0.5, 0.5, 0.5]], cell=[3.44] * 3, pbc=True)
    work = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="lidendrite_doctor_cp2k_"))
    (work / "doctor.out").unlink(missing_ok=True)  # always a fresh run, never a reused output
    t0 = time.perf_counter()
    try:
        res = run_cp2k(atoms, settings, work, project="doctor")
    except InputError as exc:  # basis/potential files absent: cp2k-data missing
        raise ToolMissingError(f"{exc}: run {CP2K_INSTALL}") from exc
    except Cp2kFailed as exc:
        raise ToolMissingError(
            f"CP2K single point failed ({exc}): reinstall with {CP2K_INSTALL}"
        ) from exc
    wall = time.perf_counter() - t0
    return (
        f"{res.version} ({exe}): 2-atom Li cell, {settings.cutoff:g} Ry check grid, "
        f"E = {res.energy:.4f} eV in {wall:.1f} s"
    )
