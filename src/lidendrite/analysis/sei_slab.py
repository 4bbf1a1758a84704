"""SEI slab cut from the frame where the Li cluster appears (lpsc Results, Fig. 4a/c).

A slab of ``width`` Angstrom along z, centred on the cluster (or on the SEI
when there is no cluster), is made periodic in all three directions without
vacuum (the cell's c = ``width``); atoms that overlap their periodic images
across the new z faces (closer than ``min_distance``) are dropped, and the
slab is relaxed (positions and cell) with the DP model, as the paper does
before its DFT band-gap calculation.
"""

from __future__ import annotations

import numpy as np

from lidendrite.analysis.geometry import height_axis, unwrapped_positions
from lidendrite.errors import InputError

__all__ = ["cut_periodic_slab", "dp_calculator", "extract_sei_slab"]


def cut_periodic_slab(atoms, h_center: float, *, width: float = 10.0, min_distance: float = 1.6):
    """Cut ``[h_center - width/2, h_center + width/2)`` (Angstrom, heights) into a periodic cell.

    Returns an ASE Atoms (orthogonal a, b of the frame; c = width) that keeps
    the ``region`` array (the atoms' starting regions) and records the cut in
    ``info``.

    Raises
    ------
    InputError
        Non-orthogonal lateral cell, or fewer than 2 atoms in the slab.
    """
    from ase import Atoms

    cell = atoms.cell.array
    if abs(cell[0, 2]) > 1e-6 or abs(cell[1, 2]) > 1e-6 or abs(cell[2, 0]) > 1e-6 or abs(cell[2, 1]) > 1e-6:
        raise InputError("SEI slab: the frame's c axis must be along z and a, b in the xy plane")
    pos = unwrapped_positions(atoms)
    sign, offset = height_axis(atoms)
    h = sign * pos[:, 2] - offset
    lo = h_center - width / 2
    region = np.asarray(atoms.arrays["region"]).astype(str)
    sel = np.flatnonzero((h >= lo) & (h < lo + width) & (region != "source"))
    new_pos = pos[sel].copy()
    new_pos[:, 2] = h[sel] - lo
    slab_cell = np.array([cell[0], cell[1], [0.0, 0.0, width]])
    slab = Atoms(np.asarray(atoms.get_chemical_symbols())[sel], positions=new_pos, cell=slab_cell, pbc=True)
    slab.new_array("region", region[sel].astype("<U11"))
    slab.new_array("layer", np.full(len(sel), -1, dtype=int))  # the extxyz interface needs it; no metal layers here
    slab.new_array("source_index", sel.astype(int))
    keep = np.ones(len(slab), bool)
    for i in range(len(slab)):
        if not keep[i]:
            continue
        d = slab.get_distances(i, np.flatnonzero(keep), mic=True)
        close = np.flatnonzero(keep)[(d < min_distance) & (d > 0)]
        keep[close[close > i]] = False
    slab = slab[keep]
    if len(slab) < 2:
        raise InputError(f"SEI slab: only {len(slab)} atoms between heights {lo:.2f} and {lo + width:.2f} Angstrom")
    slab.wrap()
    slab.info.update(h_low=float(lo), width=float(width), n_dropped_overlap=int((~keep).sum()),
                     source_step=int(atoms.info.get("step", 0)))
    return slab


def dp_calculator(model: str):
    """ASE calculator of a frozen Deep Potential (``deepmd.calculator.DP``)."""
    from pathlib import Path

    if not Path(model).is_file():
        raise InputError(f"DP model {model} does not exist")
    from deepmd.calculator import DP

    try:
        return DP(model=str(model))
    except Exception as exc:  # deepmd raises many types for a bad graph
        raise InputError(f"DP model {model} does not load: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from exc


def extract_sei_slab(charge_frames, cluster: dict, *, width: float, min_distance: float, model: str,
                     fmax: float, steps: int):
    """Cut the SEI slab from the frame where the cluster appears (else the last frame) and relax it with DP.

    The slab is centred on the cluster's centroid, or, without a cluster, on
    the middle of the SEI of the last frame.  Returns ``(slab, summary)``.
    """
    from lidendrite.structures.relax import relax

    frames = {int(a.info.get("step", k)): a for k, a in enumerate(charge_frames)}
    rows = {int(r["step"]): r for r in cluster["frames"]}
    if cluster.get("cluster_found"):
        step = int(cluster["cluster_step"])
        center, why = rows[step]["centroid_height"], "cluster centroid"
    else:
        step = max(frames)
        center = 0.5 * (rows[step]["h_boundary"] + rows[step]["h_sei_top"])
        why = "middle of the SEI (no cluster found)"
    slab = cut_periodic_slab(frames[step], center, width=width, min_distance=min_distance)
    e0 = None
    calc = dp_calculator(model)
    slab.calc = calc
    e0 = float(slab.get_potential_energy())
    relaxed = relax(slab, calc, fmax=fmax, steps=steps, cell=True)
    relaxed.calc = calc
    e1 = float(relaxed.get_potential_energy())
    summary = {
        "source_step": step, "center_height_angstrom": round(float(center), 3), "centred_on": why,
        "width_angstrom": width, "n_atoms": len(relaxed), "n_dropped_overlap": int(slab.info["n_dropped_overlap"]),
        "composition": relaxed.get_chemical_formula(),
        "cell_lengths_angstrom": [round(float(x), 3) for x in relaxed.cell.lengths()],
        "energy_before_ev": round(e0, 4), "energy_after_ev": round(e1, 4),
        "max_force_after_ev_per_A": round(float(np.abs(relaxed.get_forces()).max()), 4),
    }
    relaxed.calc = None
    return relaxed, summary
