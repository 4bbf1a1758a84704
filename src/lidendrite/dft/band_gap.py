"""PBE band gap and density of states with CP2K (lpsc Results, Fig. 4d).

The input is the labelling single point of :mod:`lidendrite.labeling.cp2k`
(same basis, pseudopotentials, cutoffs, smearing, k-points) turned into an
``ENERGY`` run that prints the DOS histogram (``DFT/PRINT/DOS``, bin
``dos_delta_ev``).  The gap is the width of the empty window of the DOS
around the Fermi level: 0 for a metal (partly filled states, judged from
CP2K's occupation column), otherwise (lowest empty state) - (highest filled
state), resolved to one bin.  Paper:
Li6PS5Cl 2.15 eV; the amorphous SEI slab 0 eV (VASP, PBE).
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from lidendrite.constants import HARTREE_EV
from lidendrite.errors import InputError
from lidendrite.labeling.cp2k import (
    Cp2kFailed,
    Cp2kSettings,
    find_cp2k,
    kpoint_grid,
    write_cp2k_input,
)
from lidendrite.procs import die_with_parent

__all__ = [
    "BandGapResult",
    "band_gap_settings",
    "band_gap_input",
    "fermi_from_output",
    "read_dos",
    "gap_from_dos",
    "run_band_gap",
]


@dataclass
class BandGapResult:
    """Band gap (eV), Fermi level (eV), k-point grid and DOS file of one CP2K run."""

    band_gap_ev: float
    fermi_ev: float
    kpoints: list[int]
    n_atoms: int
    dos_file: str
    output: str

    def as_dict(self) -> dict:
        return asdict(self)


def band_gap_input(atoms, settings: Cp2kSettings, project: str, dos_delta_ev: float) -> str:
    """CP2K input: the labelling single point as an ENERGY run printing the DOS.

    ``dos_delta_ev``: DOS bin width, eV (config ``lpsc.dft.dos_delta_ev``, its one source).
    """
    text = write_cp2k_input(atoms, settings, project)
    text = text.replace("RUN_TYPE ENERGY_FORCE", "RUN_TYPE ENERGY")
    text = text.replace("  STRESS_TENSOR ANALYTICAL\n", "")
    text = re.sub(r"  &PRINT\n    &FORCES ON\n    &END FORCES\n    &STRESS_TENSOR ON\n    &END STRESS_TENSOR\n  &END PRINT\n", "", text)
    dos = (
        "    &PRINT\n      &DOS\n        NDIGITS 8\n"
        f"        DELTA_E {dos_delta_ev / HARTREE_EV:.8f}\n"
        "      &END DOS\n    &END PRINT\n"
    )
    return text.replace("  &END DFT\n", dos + "  &END DFT\n", 1)


def fermi_from_output(path: str | os.PathLike) -> float | None:
    """Last ``Fermi energy:`` (printed with smearing) of a CP2K output, eV; None if absent."""
    p = Path(path)
    if not p.is_file():
        return None
    found = re.findall(r"Fermi energy:\s*([-+0-9.Ee]+)", p.read_text(errors="replace"))
    return float(found[-1]) * HARTREE_EV if found else None


def read_dos(
    path: str | os.PathLike, fermi_ev: float | None = None, *, with_occupation: bool = False
):
    """Read a CP2K ``.dos`` file: energies (eV), DOS (states per bin, spin summed), E_Fermi (eV).

    The Gamma-point DOS header carries ``E_Fermi``; the k-point DOS of CP2K
    2023.1 does not, so ``fermi_ev`` (e.g. :func:`fermi_from_output`) is used
    when the header has none. ``with_occupation=True`` adds a fourth array:
    the Occupation column (electrons per bin, spin summed).
    """
    text = Path(path).read_text()
    m = re.search(r"E_Fermi(?:\[a\.u\.\])?\s*=\s*([-+0-9.Ee]+)", text)
    if not m and fermi_ev is None:
        raise InputError(f"{path}: no E_Fermi in the DOS header (and no Fermi energy given)")
    rows = np.array([[float(x) for x in ln.split()] for ln in text.splitlines()
                     if ln.strip() and not ln.lstrip().startswith("#")])
    if rows.size == 0:
        raise InputError(f"{path}: DOS file has no data")
    header = [ln for ln in text.splitlines() if ln.lstrip().startswith("#")]
    beta = any("Beta" in ln for ln in header)
    dens = rows[:, 1] + (rows[:, 3] if beta and rows.shape[1] >= 5 else 0.0)
    fermi = float(m.group(1)) * HARTREE_EV if m else float(fermi_ev)
    if with_occupation:
        occ = rows[:, 2] + (rows[:, 4] if beta and rows.shape[1] >= 5 else 0.0)
        return rows[:, 0] * HARTREE_EV, dens, fermi, occ
    return rows[:, 0] * HARTREE_EV, dens, fermi


def gap_from_dos(
    energy: np.ndarray,
    dos: np.ndarray,
    fermi: float,
    tol: float = 1e-8,
    occupation: np.ndarray | None = None,
    partial: float = 0.02,
) -> float:
    """Empty window (eV) of ``dos`` around ``fermi``; 0 when a bin within half a bin of E_F is occupied.

    With ``occupation`` (CP2K's Occupation column, electrons per bin) the
    states are classed by how full they are instead: occupation per state
    relative to a full one (the largest ratio occupation / DOS); any bin
    filled between ``partial`` and ``1 - partial`` is a partly filled band,
    i.e. a metal (gap 0). This matters with k-points: a coarse mesh samples a
    metal's bands at a few energies only, so the DOS histogram itself shows
    an empty window at E_F (2-atom BCC Li, 4x4x4: 2 eV). Otherwise the gap is
    (lowest empty state) - (highest full state), resolved to one bin. Fermi-Dirac
    smearing at 300 K leaves a state 0.1 eV from E_F 2 % filled, so gaps below
    ~0.2 eV read as 0. ``tol`` (the DOS value counted as empty) and ``partial``
    are numerical thresholds of this classification, not physical settings,
    and have no config key.
    """
    de = float(np.median(np.diff(energy))) if energy.size > 1 else 0.0
    if occupation is not None:
        have = dos > tol
        e, ratio = energy[have], np.asarray(occupation)[have] / dos[have]
        frac = ratio / ratio.max() if e.size and ratio.max() > 0 else ratio
        if np.any((frac > partial) & (frac < 1.0 - partial)):
            return 0.0
        full, empty = e[frac >= 0.5], e[frac < 0.5]
        if full.size == 0 or empty.size == 0:
            raise InputError("DOS has no empty or no occupied states (too few empty bands)")
        return float(max(empty.min() - full.max() - de, 0.0))
    filled = dos > tol
    if np.any(filled & (np.abs(energy - fermi) <= de / 2 + 1e-12)):
        return 0.0
    below = energy[filled & (energy < fermi)]
    above = energy[filled & (energy > fermi)]
    if below.size == 0 or above.size == 0:
        raise InputError("DOS has no states on one side of the Fermi level (too few empty bands)")
    return float(max(above.min() - below.max() - de, 0.0))


def run_band_gap(atoms, settings: Cp2kSettings, workdir: str | os.PathLike, *, project: str = "gap",
                 dos_delta_ev: float) -> BandGapResult:
    """Run CP2K on ``atoms`` in ``workdir`` and return its band gap and DOS file.

    Raises
    ------
    Cp2kFailed
        CP2K exited without a DOS file, or timed out.
    """
    wd = Path(workdir)
    wd.mkdir(parents=True, exist_ok=True)
    text = band_gap_input(atoms, settings, project, dos_delta_ev)
    inp, out = wd / f"{project}.inp", wd / f"{project}.out"
    inp.write_text(text)
    env = dict(os.environ, OMP_NUM_THREADS=str(int(settings.threads)))
    try:
        proc = subprocess.run([find_cp2k(settings.executable), "-i", inp.name, "-o", out.name], cwd=wd,
                              env=env, capture_output=True, text=True, timeout=settings.timeout,
                              preexec_fn=die_with_parent)
    except subprocess.TimeoutExpired as exc:
        raise Cp2kFailed(f"CP2K exceeded timeout {settings.timeout} s in {wd}") from exc
    dos_files = sorted(wd.glob(f"{project}*.dos"))
    if not dos_files:
        tail = (out.read_text(errors="replace") if out.is_file() else proc.stderr).strip().splitlines()[-1:] or [""]
        raise Cp2kFailed(f"CP2K wrote no DOS in {wd} (exit {proc.returncode}): {tail[0]}")
    energy, dos, fermi, occ = read_dos(dos_files[-1], fermi_from_output(out), with_occupation=True)
    return BandGapResult(
        band_gap_ev=round(gap_from_dos(energy, dos, fermi, occupation=occ), 4),
        fermi_ev=round(fermi, 4),
        kpoints=kpoint_grid(atoms, settings),
        n_atoms=len(atoms),
        dos_file=str(dos_files[-1]),
        output=str(out),
    )


def band_gap_settings(cp2k: dict, dft: dict, system: str) -> Cp2kSettings:
    """Cp2kSettings from config ``labeling.cp2k`` overridden by ``lpsc.dft`` (k-points of ``system``: bulk/sei)."""
    s = {k: v for k, v in cp2k.items() if k in Cp2kSettings.__dataclass_fields__}
    s.update(basis_set=dft["basis_set"], cutoff=dft["cutoff"], rel_cutoff=dft["rel_cutoff"],
             smearing_temperature=dft["smearing_temperature"], kspacing=None,
             kpoints=list(dft[f"kpoints_{system}"]), timeout=dft["timeout_s"])
    return Cp2kSettings(**s)
