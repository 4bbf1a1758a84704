"""Headline numbers of a structure, for the JSON each rule writes beside it."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
from ase import Atoms

from lidendrite.constants import AMU_G

__all__ = ["structure_summary", "cubic_lattice_constant"]


def structure_summary(atoms: Atoms, **extra: Any) -> dict[str, Any]:
    """Counts, composition, cell (Angstrom), density (g/cm^3), regions and closest pair.

    ``extra`` entries are added as they are (e.g. ``kind``, ``level_of_theory``).
    """
    from ase.neighborlist import neighbor_list

    lengths = atoms.cell.lengths()
    volume = float(atoms.get_volume())
    mass_g = float(np.sum(atoms.get_masses())) * AMU_G
    i, j, d = neighbor_list("ijd", atoms, 3.0)
    out: dict[str, Any] = {
        "n_atoms": len(atoms),
        "formula": atoms.get_chemical_formula(),
        "composition": dict(sorted(Counter(atoms.get_chemical_symbols()).items())),
        "cell_angstrom": [round(float(x), 4) for x in lengths],
        "volume_angstrom3": round(volume, 3),
        "density_g_cm3": round(mass_g / (volume * 1e-24), 4),
        "min_distance_angstrom": round(float(d.min()), 4) if len(d) else None,
    }
    if "region" in atoms.arrays:
        out["regions"] = dict(sorted(Counter(atoms.arrays["region"].tolist()).items()))
    if "layer" in atoms.arrays:
        layers = atoms.arrays["layer"]
        out["n_layers_max"] = int(layers.max()) if len(layers) else -1
    for key in ("lattice_mismatch_percent", "builder"):
        if key in atoms.info:
            out[key] = atoms.info[key]
    out.update(extra)
    return out


def cubic_lattice_constant(atoms: Atoms, n_cells: int) -> float:
    """Lattice constant (Angstrom) of a cubic crystal from a cell of ``n_cells`` unit cells.

    a = (V / n_cells)^(1/3); for a cell that relaxed slightly off cubic this
    is the constant of the cube of equal volume.
    """
    return float((atoms.get_volume() / n_cells) ** (1.0 / 3.0))
