"""SEI slab cut from the frame where the Li cluster appears (lpsc Results, Fig. 4a/c).

The SEI between the anode surface and the cluster's lowest atom (or, with no
cluster, between the anode surface and the SEI top), holding no metal-like Li,
is made periodic in all three directions without vacuum (the cell's c = its
thickness); atoms that overlap their periodic images
across the new z faces (closer than ``min_distance``) are dropped, and the
slab is relaxed (positions and cell) with the DP model, as the paper does
before its DFT band-gap calculation.
"""

from __future__ import annotations

import numpy as np

from lidendrite.analysis.geometry import height_axis, unwrapped_positions
from lidendrite.errors import InputError

__all__ = ["cut_periodic_slab", "dp_calculator", "extract_sei_slab", "sei_bounds"]


def cut_periodic_slab(atoms, h_center: float, *, width: float, min_distance: float):
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


def sei_bounds(frame, *, h_boundary: float, h_top: float, q_metal: float) -> tuple[float, float, int]:
    """Heights ``(lo, hi)`` of the SEI between the anode surface and ``h_top``, without metal-like Li.

    Starts from ``[h_boundary, h_top)`` (Li/SEI boundary to the cluster's lowest atom, or
    to the SEI top without a cluster); metal-like Li (QEq charge below ``q_metal``, e)
    in the lower half move ``lo`` just above them (the rough anode surface), those in the
    upper half move ``hi`` just below them. Returns the bounds and the number of
    metal-like Li left inside (0 by construction; recorded as a check); a slab that
    becomes too thin is the caller's error to raise.
    """
    h, metal_like = _heights_metal_like(frame, q_metal)
    lo, hi = float(h_boundary), float(h_top)
    mid = 0.5 * (lo + hi)
    inside = metal_like & (h >= lo) & (h < hi)
    below = h[inside & (h < mid)]
    above = h[inside & (h >= mid)]
    half_gap = 0.5  # Angstrom: the bound sits between a metal-like Li and the SEI above it
    if below.size:
        lo = float(below.max()) + half_gap
    if above.size:
        hi = float(above.min()) - half_gap
    n_left = int((metal_like & (h >= lo) & (h < hi)).sum())
    return lo, hi, n_left


def _heights_metal_like(frame, q_metal: float) -> tuple[np.ndarray, np.ndarray]:
    """Heights [n] (Angstrom above the starting anode) and the metal-like Li mask [n]."""
    sign, offset = height_axis(frame)
    h = sign * unwrapped_positions(frame)[:, 2] - offset
    sym = np.asarray(frame.get_chemical_symbols())
    q = np.asarray(frame.arrays["charges"], dtype=float)
    region = np.asarray(frame.arrays["region"]).astype(str)
    return h, (sym == "Li") & (q < q_metal) & (region != "source")


def extract_sei_slab(charge_frames, cluster: dict, *, width: float, min_distance: float, model: str,
                     fmax: float, steps: int, q_metal: float, min_width: float):
    """Cut the SEI slab between the anode surface and the cluster and relax it with DP.

    As the paper (Fig. 4a): from the frame where the cluster appears, the SEI between
    the Li/SEI boundary and the cluster's lowest atom, with no metal-like Li in it
    (:func:`sei_bounds`); without a cluster, the SEI of the last frame between the
    boundary and the SEI top. At most ``width`` Angstrom thick (the part next to the
    cluster is kept); a thinner one than ``min_width`` is extended upward to it, and the
    summary's ``slab`` and ``n_metal_like_li`` say so.
    Returns ``(slab, summary)``.
    """
    from lidendrite.structures.relax import relax

    frames = {int(a.info.get("step", k)): a for k, a in enumerate(charge_frames)}
    rows = {int(r["step"]): r for r in cluster["frames"]}
    if cluster.get("cluster_found"):
        step = int(cluster["cluster_step"])
        frame = frames[step]
        sign, offset = height_axis(frame)
        hc = sign * unwrapped_positions(frame)[rows[step]["atoms"], 2] - offset
        top, why = float(hc.min()), "between the anode surface and the cluster's lowest atom"
    else:
        step = max(frames)
        frame = frames[step]
        top, why = float(rows[step]["h_sei_top"]), "between the anode surface and the SEI top (no cluster found)"
    lo, hi, n_metal = sei_bounds(frame, h_boundary=rows[step]["h_boundary"], h_top=top, q_metal=q_metal)
    if hi - lo > width:
        lo = hi - width
    if hi - lo < min_width:
        # too thin to be a periodic slab of its own: extend it upward and say so
        why += f"; only {hi - lo:.2f} Angstrom thick, extended to min_width {min_width:g} above it"
        hi = lo + min_width
        h, metal_like = _heights_metal_like(frame, q_metal)
        n_metal = int((metal_like & (h >= lo) & (h < hi)).sum())
    slab = cut_periodic_slab(frame, 0.5 * (lo + hi), width=hi - lo, min_distance=min_distance)
    calc = dp_calculator(model)
    slab.calc = calc
    e0 = float(slab.get_potential_energy())
    relaxed = relax(slab, calc, fmax=fmax, steps=steps, cell=True)
    relaxed.calc = calc
    e1 = float(relaxed.get_potential_energy())
    summary = {
        "source_step": step, "slab": why,
        "h_low_angstrom": round(lo, 3), "h_high_angstrom": round(hi, 3),
        "h_boundary_angstrom": round(float(rows[step]["h_boundary"]), 3),
        "width_angstrom": round(hi - lo, 3), "n_metal_like_li": n_metal, "q_metal": q_metal,
        "n_atoms": len(relaxed), "n_dropped_overlap": int(slab.info["n_dropped_overlap"]),
        "composition": relaxed.get_chemical_formula(),
        "cell_lengths_angstrom": [round(float(x), 3) for x in relaxed.cell.lengths()],
        "energy_before_ev": round(e0, 4), "energy_after_ev": round(e1, 4),
        "max_force_after_ev_per_A": round(float(np.abs(relaxed.get_forces()).max()), 4),
    }
    relaxed.calc = None
    return relaxed, summary
