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

ELECTRODES = ("anode", "cathode")


def _regions(atoms, name: str = "structure") -> np.ndarray:
    if "region" not in atoms.arrays:
        raise InputError(f"{name}: no per-atom 'region' array (anode/cathode labels)")
    reg = np.asarray(atoms.arrays["region"]).astype(str)
    for e in ELECTRODES:
        if not np.any(reg == e):
            raise InputError(f"{name}: no atom has region '{e}'")
    return reg


def electrode_sides(atoms, name: str = "structure") -> tuple[str, str, float]:
    """(lower electrode, upper electrode, split_z): the region names below/above and the
    z (Angstrom) of the plane between them (midway between the facing surface planes).

    Positions are wrapped along z first; the lower electrode is the one with the
    lower mean z.
    """
    reg = _regions(atoms, name)
    z = atoms.get_scaled_positions(wrap=True)[:, 2] * atoms.cell[2, 2]
    means = {e: z[reg == e].mean() for e in ELECTRODES}
    lower, upper = sorted(ELECTRODES, key=means.get)
    top_of_lower = z[reg == lower].max()
    bottom_of_upper = z[reg == upper].min()
    if not top_of_lower < bottom_of_upper:
        raise InputError(f"{name}: the {lower} and {upper} regions overlap along z")
    return lower, upper, 0.5 * (top_of_lower + bottom_of_upper)


def bias_settings(atoms, phi_anode: float, phi_cathode: float, name: str = "structure") -> dict:
    """QEq settings ``phi_lower``, ``phi_upper``, ``split_z`` putting ``phi_anode`` (V) on
    the electrode labelled ``anode`` and ``phi_cathode`` on ``cathode``, wherever they are."""
    lower, _upper, split = electrode_sides(atoms, name)
    phi = {"anode": float(phi_anode), "cathode": float(phi_cathode)}
    return {
        "phi_lower": phi[lower],
        "phi_upper": phi["cathode" if lower == "anode" else "anode"],
        "split_z": float(split),
    }


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
