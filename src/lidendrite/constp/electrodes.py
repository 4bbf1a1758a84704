"""Electrodes under ConstP: bias settings, the CN-rule selection, side swap, charge densities.

Units: Angstrom, V (bias = electronegativity shift phi_i of eq. S17), e, e/nm^2.
The electrodes are named by the per-atom ``region`` array of the structure
builders (``anode`` and ``cathode``; DESIGN.md). The anode carries the negative
shift (ec paper sec. 2.2.3: phi_Li,1 = -2 V), which favours positive charge
(Li oxidation); the cathode the positive one (+6 V).
"""

from __future__ import annotations

import numpy as np

from lidendrite.errors import InputError
from lidendrite.qeq.bias import ELECTRODES, bias_settings, electrode_sides
from lidendrite.qeq.bias import electrode_regions as _regions

__all__ = [
    "ELECTRODES",
    "electrode_sides",
    "bias_settings",
    "bias_per_atom",
    "swap_electrodes",
    "surface_charge_density",
    "area_nm2",
    "frame_charges",
]


def bias_per_atom(atoms, **settings) -> np.ndarray:
    """Per-atom bias phi_i (V) that the QEq engine applies in ConstP (eq. S17).

    This calls the engine's own selection (:meth:`QEqEngine.bias`: metallic Li by
    ``cn_rule`` from CN_Li-Li within ``cn_cutoff``; side from ``split_z``), so what
    is reported is exactly what the solver uses. ``settings`` are
    :class:`~lidendrite.qeq.settings.QEqSettings` fields; ``mode`` is forced to ConstP.
    Non-zero entries mark the biased atoms.
    """
    from lidendrite.qeq.engine import QEqEngine
    from lidendrite.qeq.geometry import neighbour_pairs

    engine = QEqEngine(**{**settings, "mode": "constp"})
    s = engine.settings
    cell = np.asarray(atoms.cell.array, dtype=float)
    pos = np.asarray(atoms.positions, dtype=float)
    pairs = neighbour_pairs(pos, cell, s.cn_cutoff)
    return engine.bias(atoms.get_chemical_symbols(), pos, cell, pairs, engine.always_biased(atoms))


def swap_electrodes(atoms):
    """Copy of ``atoms`` with the ``anode``/``cathode`` labels exchanged (the next round
    of sec. 2.2.3 applies the anode bias to the former cathode and vice versa)."""
    reg = _regions(atoms)
    out = atoms.copy()
    new = reg.copy()
    new[reg == "anode"] = "cathode"
    new[reg == "cathode"] = "anode"
    out.set_array("region", new.astype("U16"))
    out.info["electrodes_swapped"] = not bool(atoms.info.get("electrodes_swapped", False))
    return out


def area_nm2(atoms) -> float:
    """Area (nm^2) of the cell's a-b face."""
    return float(np.linalg.norm(np.cross(atoms.cell[0], atoms.cell[1]))) / 100.0


def surface_charge_density(atoms, charges, *, biased_only: np.ndarray | None = None) -> dict:
    """Net charge per electrode divided by the cell's a-b area, {anode, cathode} in e/nm^2.

    Sums the charges of the atoms labelled with each electrode region; with
    ``biased_only`` (bool mask, e.g. ``bias_per_atom(...) != 0``) only those count,
    which for an interface excludes Li that has left the metal.
    """
    reg = _regions(atoms)
    q = np.asarray(charges, dtype=float)
    if q.shape != (len(atoms),):
        raise InputError(f"charges: shape {q.shape}, expected ({len(atoms)},)")
    keep = np.ones(len(atoms), bool) if biased_only is None else np.asarray(biased_only, bool)
    area = area_nm2(atoms)
    return {e: float(q[(reg == e) & keep].sum() / area) for e in ELECTRODES}


def frame_charges(atoms, key: str = "charges") -> np.ndarray:
    """Per-atom charges (e) of a frame read from extended XYZ.

    ASE's reader moves a ``charges`` array into a single-point calculator; this
    finds it in either place. Raises :class:`InputError` when the frame has none.
    """
    if key in atoms.arrays:
        return np.asarray(atoms.arrays[key], dtype=float)
    calc = getattr(atoms, "calc", None)
    if calc is not None and key in getattr(calc, "results", {}):
        return np.asarray(calc.results[key], dtype=float)
    raise InputError(f"frame has no per-atom {key!r}")
