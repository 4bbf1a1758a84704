"""Hirshfeld charges from a CP2K PBE single point (ec paper sec. 3.2, Fig. 3b, S9).

The input is the labelling single point of :mod:`lidendrite.labeling.cp2k`
(same pseudopotentials, basis, cutoffs, smearing) as an ``ENERGY`` run that
prints the Hirshfeld population analysis (``DFT/PRINT/HIRSHFELD``; Hirshfeld,
Theor. Chim. Acta 44, 129 (1977)). The promolecule is built from the free
neutral atoms (``REFERENCE_CHARGE ATOMIC``) with their own atomic densities
(``SHAPE_FUNCTION DENSITY``), the definition that CM5 was parametrised on
(Marenich et al., JCTC 8, 527 (2012)); CP2K's default single-Gaussian shape is
not used. Net charge = valence charge of the GTH pseudopotential minus the
Hirshfeld population (e), so the charges sum to the cell's total charge.

A charged cell (``CHARGE -1``, the paper's Delta N_e = 1 of SI 2.5) is solved
with CP2K's 3D-periodic Poisson solver, which drops the G = 0 term: the extra
electron is compensated by a uniform background (the paper, with ABACUS,
placed a compensating charge plate in the vacuum; CP2K 2023.1 has no such
plate). ``surface_dipole=True`` adds CP2K's ``SURFACE_DIPOLE_CORRECTION`` along
z (the paper's dipole correction); CP2K 2023.1 aborts with it on the
double-interface model ("needs more vacuum space above the surface"), so the
config leaves it off for that nearly symmetric Li | electrolyte | Li cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lidendrite.errors import InputError
from lidendrite.labeling.cp2k import Cp2kFailed, Cp2kSettings, execute_cp2k, write_cp2k_input

__all__ = [
    "HirshfeldResult",
    "dft_charge_settings",
    "hirshfeld_input",
    "parse_hirshfeld",
    "run_hirshfeld",
]


@dataclass
class HirshfeldResult:
    """Hirshfeld analysis of one CP2K run.

    Attributes
    ----------
    charges : ndarray
        Net atomic charges (e), CP2K's ``Net charge`` column.
    spin : ndarray or None
        Hirshfeld spin moments (e, alpha - beta) of a UKS run; None for RKS.
    total_charge : float
        CP2K's ``Total Charge`` line (e).
    version, scf_steps, seconds, output
        CP2K version string, SCF iterations, CP2K's own run time (s), output path.
    """

    charges: np.ndarray
    spin: np.ndarray | None
    total_charge: float
    version: str
    scf_steps: int | None
    seconds: float | None
    output: str


def hirshfeld_input(
    atoms, settings: Cp2kSettings, project: str = "hirshfeld", *, surface_dipole: bool = False
) -> str:
    """CP2K input: an ``ENERGY`` single point printing Hirshfeld charges.

    ``surface_dipole`` adds ``SURFACE_DIPOLE_CORRECTION`` along z (slabs).
    """
    extra = ["SURFACE_DIPOLE_CORRECTION T", "SURF_DIP_DIR Z"] if surface_dipole else []
    hirshfeld = [
        "&HIRSHFELD ON",
        "  SHAPE_FUNCTION DENSITY",
        "  REFERENCE_CHARGE ATOMIC",
        "  SELF_CONSISTENT F",
        "&END HIRSHFELD",
    ]
    return write_cp2k_input(
        atoms, settings, project, run_type="ENERGY", dft_extra=extra, dft_print=hirshfeld
    )


def parse_hirshfeld(text: str, n_atoms: int, source: str = "cp2k output") -> HirshfeldResult:
    """Parse the last ``Hirshfeld Charges`` table of a CP2K 2023 output.

    RKS rows: ``#Atom Element Kind RefCharge Population NetCharge``; UKS rows
    carry alpha and beta populations and a spin moment before the net charge.

    Raises
    ------
    Cp2kFailed
        No table, or a table with another number of rows than ``n_atoms``.
    """
    start = text.rfind("PROGRAM STARTED AT")  # only the last run of an appended file
    if start > 0:
        text = text[start:]
    if re.search(r"SCF run NOT converged", text):
        raise Cp2kFailed(f"CP2K SCF not converged ({source}): Hirshfeld charges not usable")
    idx = text.rfind("Hirshfeld Charges")
    if idx < 0:
        raise Cp2kFailed(f"no Hirshfeld Charges table in {source}: CP2K stopped early")
    lines = text[idx:].splitlines()
    header = next((ln for ln in lines[:4] if ln.lstrip().startswith("#Atom")), "")
    uks = "Spin moment" in header
    charges, spin, total = [], [], None
    for line in lines[1:]:
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        if parts[0] == "Total" and parts[1] == "Charge":
            total = float(parts[-1])
            break
        if not parts[0].isdigit():
            break
        charges.append(float(parts[-1]))
        if uks:
            spin.append(float(parts[-2]))
    if len(charges) != n_atoms or total is None:
        raise Cp2kFailed(
            f"Hirshfeld table of {source} has {len(charges)} rows for {n_atoms} atoms"
            + ("" if total is not None else " and no Total Charge line")
        )
    m = re.search(r"CP2K\|\s+version string:\s+(.+)", text)
    scf = re.findall(r"SCF run converged in\s+(\d+) steps", text)
    timing = re.findall(r"^ CP2K\s+1\s+\S+\s+\S+\s+\S+\s+\S+\s+(\S+)\s*$", text, re.M)
    return HirshfeldResult(
        charges=np.array(charges),
        spin=np.array(spin) if uks else None,
        total_charge=total,
        version=m.group(1).strip() if m else "CP2K (unknown version)",
        scf_steps=int(scf[-1]) if scf else None,
        seconds=float(timing[-1]) if timing else None,
        output=source,
    )


def run_hirshfeld(
    atoms,
    settings: Cp2kSettings,
    workdir: str | Path,
    *,
    project: str = "hirshfeld",
    surface_dipole: bool = False,
) -> HirshfeldResult:
    """Run CP2K on ``atoms`` in ``workdir`` (reusing a complete identical run) and
    return its Hirshfeld charges.

    Raises
    ------
    Cp2kFailed
        CP2K failed, timed out or did not converge; or the charges do not sum to
        ``settings.charge`` within 0.01 e.
    """
    text = hirshfeld_input(atoms, settings, project, surface_dipole=surface_dipole)
    out = execute_cp2k(text, settings, workdir, project)
    res = parse_hirshfeld(out.read_text(errors="replace"), len(atoms), str(out))
    if abs(res.charges.sum() - settings.charge) > 0.01:
        raise Cp2kFailed(
            f"Hirshfeld charges of {out} sum to {res.charges.sum():.3f} e, "
            f"not the cell charge {settings.charge}"
        )
    return res


def dft_charge_settings(cp2k: dict, dft: dict, *, charge: int, multiplicity: int,
                        threads: int | None = None) -> Cp2kSettings:
    """Cp2kSettings from config ``labeling.cp2k`` overridden by ``ec.validation.dft``.

    ``dft`` sets the basis, cutoffs, SCF threshold and smearing; the k-points
    are Gamma only (the paper used Gamma for its interface cells, ec sec. 2.2.1).
    ``charge`` (e) and ``multiplicity`` are those of the state computed (neutral:
    0 and 1; extra electron: -1 and ``ec.validation.dft.extra_electron_multiplicity``).
    """
    keys = set(Cp2kSettings.__dataclass_fields__)
    s = {k: v for k, v in cp2k.items() if k in keys}
    for key in ("basis_set", "cutoff", "rel_cutoff", "eps_scf", "smearing_temperature"):
        if key not in dft:
            raise InputError(f"config key ec.validation.dft.{key} is missing")
        s[key] = dft[key]
    s.update(kpoints=None, kspacing=None, d3=False, charge=int(charge),
             multiplicity=int(multiplicity), timeout=dft.get("timeout_s"))
    if threads is not None:
        s["threads"] = int(threads)
    return Cp2kSettings(**s)
