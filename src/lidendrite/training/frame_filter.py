"""Drop labelled frames that no MD at the explored temperatures would visit.

DP-GEN labels the candidates of every exploration, and an early, briefly
trained model can drive its LAMMPS run into a blow-up before the force model
deviation passes ``trust_hi``: atoms pressed together, forces of tens of
eV/Angstrom, energies far above anything thermal. The demo's final training
(``lpsc.training.final_numb_steps > 0``) spends a small network on few frames,
and fitting those frames bent it away from the 300 K interface it is tested
on (measured in ``benchmarks/results/demo_times.md``). This module keeps a
frame only when its labels look like a thermal configuration:

* the largest atomic force (norm) is at most ``max_force`` (eV/Angstrom), and
* its energy per atom lies at most ``max_energy_above_min`` (eV/atom) above the
  lowest labelled frame of the same composition (over all systems given).

The thermal potential energy of a harmonic solid is ``3/2 k_B T`` per atom:
0.13 eV/atom at the 1000 K top of the lpsc exploration (SI 2.2), so a bound of
0.2 eV/atom keeps every frame such a run visits, with margin.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lidendrite.errors import InputError

__all__ = ["thermal_frames", "filter_systems"]


def thermal_frames(
    energies_per_atom: np.ndarray,
    max_atom_forces: np.ndarray,
    reference_energy: float,
    *,
    max_force: float,
    max_energy_above_min: float,
) -> np.ndarray:
    """Boolean mask of the frames to keep.

    Parameters
    ----------
    energies_per_atom
        ``[n_frames]`` label energies, eV/atom.
    max_atom_forces
        ``[n_frames]`` largest atomic force norm of each frame, eV/Angstrom.
    reference_energy
        Lowest energy per atom of this composition, eV/atom.
    max_force, max_energy_above_min
        Bounds, eV/Angstrom and eV/atom (see the module docstring).
    """
    if max_force <= 0 or max_energy_above_min <= 0:
        raise InputError(
            f"frame filter: max_force and max_energy_above_min must be > 0, "
            f"got {max_force}, {max_energy_above_min}"
        )
    e = np.asarray(energies_per_atom, dtype=float)
    f = np.asarray(max_atom_forces, dtype=float)
    return (f <= max_force) & (e - float(reference_energy) <= max_energy_above_min)


def filter_systems(
    systems: Sequence[str | Path],
    out_dir: str | Path,
    *,
    max_force: float,
    max_energy_above_min: float,
) -> tuple[list[Path], dict[str, Any]]:
    """Copy the thermal frames of each deepmd/npy system below ``out_dir``.

    Returns the kept systems (``out_dir/<k:03d>_<formula>``; a system with no
    frame left is omitted) and a report: frames in and kept per system, the
    bounds and the reference energy of each composition.
    """
    import dpdata

    loaded = []
    ref: dict[str, float] = {}
    for path in systems:
        d = dpdata.LabeledSystem(str(path), fmt="deepmd/npy")
        if len(d) == 0:
            continue
        n = d.get_natoms()
        e = np.asarray(d["energies"], dtype=float) / n
        loaded.append((Path(path), d, e))
        ref[d.formula] = min(ref.get(d.formula, np.inf), float(e.min()))
    if not loaded:
        raise InputError("frame filter: no labelled frame in the given systems")
    out_dir = Path(out_dir)
    kept_systems: list[Path] = []
    per_system = []
    for k, (path, d, e) in enumerate(loaded):
        fmax = np.linalg.norm(np.asarray(d["forces"], dtype=float), axis=2).max(axis=1)
        keep = thermal_frames(
            e, fmax, ref[d.formula], max_force=max_force, max_energy_above_min=max_energy_above_min
        )
        per_system.append({"system": str(path), "n_frames": len(d), "n_kept": int(keep.sum())})
        if keep.any():
            target = out_dir / f"{k:03d}_{d.formula}"
            d.sub_system(np.flatnonzero(keep)).to("deepmd/npy", str(target))
            kept_systems.append(target)
    report = {
        "max_force_eV_per_A": float(max_force),
        "max_energy_above_min_eV_per_atom": float(max_energy_above_min),
        "reference_energy_eV_per_atom": ref,
        "n_frames": sum(s["n_frames"] for s in per_system),
        "n_kept": sum(s["n_kept"] for s in per_system),
        "systems": per_system,
    }
    return kept_systems, report
