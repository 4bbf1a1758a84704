"""Li-Li bond numbers per Li in the deposition region, first vs last round (ec SI 2.9, Fig. S13).

A Li-Li bond is a pair closer than ``cutoff`` (paper: 3.5 Angstrom, all pairs).
The "normalised bond number" of a set of tracked Li is the mean number of Li
neighbours (any Li) within the cutoff per tracked Li.  The same atoms are
tracked in the first and the last round: those in the deposition region (Li
above the last round's cathode surface layer, within ``depth`` of its starting
plane) at the end of the last round.  Paper: the number grows from the first to the last round
(Li aggregation in the dendrite-nucleation region).

Note: in ideal BCC Li with a = 3.43 Angstrom a 3.5 Angstrom cutoff includes both
the 8 nearest neighbours (2.97 Angstrom) and the 6 second neighbours (3.43
Angstrom): 14 bonds per Li.
"""

from __future__ import annotations

import numpy as np
from tqdm import tqdm

from lidendrite.analysis.ec_frames import CycleGeometry, li_indices
from lidendrite.analysis.geometry import pair_distances
from lidendrite.errors import InputError

__all__ = ["li_li_bonds_per_li", "deposition_atoms", "analyse_bonds"]


def li_li_bonds_per_li(atoms, tracked: np.ndarray, cutoff: float) -> np.ndarray:
    """Number of Li neighbours within ``cutoff`` (Angstrom, minimum image) of each tracked Li."""
    tracked = np.asarray(tracked, int)
    if tracked.size == 0:
        raise InputError("Li-Li bonds: no tracked Li")
    cell = np.asarray(atoms.cell.array)
    widths = abs(np.linalg.det(cell)) / np.linalg.norm(np.cross(cell[[1, 2, 0]], cell[[2, 0, 1]]), axis=1)
    if widths[atoms.pbc].min(initial=np.inf) < 2 * cutoff:
        raise InputError(f"Li-Li bonds: cell width {widths.min():.2f} A < 2 x cutoff {cutoff} A "
                         "(the minimum image would miss neighbours)")
    li = li_indices(atoms)
    pos = np.array(atoms.positions, float)
    d = pair_distances(atoms, pos, tracked, li)
    return ((d < cutoff) & (d > 1e-8)).sum(axis=1)


def deposition_atoms(atoms, geom: CycleGeometry, *, depth: float) -> tuple[np.ndarray, str]:
    """Li higher than half an interlayer spacing and at most ``depth`` (Angstrom) above the
    cathode's starting surface plane in ``atoms`` (the last frame of the last round: the Li
    deposited on that surface), and that cathode's side (``lower``/``upper``)."""
    cathode = "upper" if geom.anode_side(atoms) == "lower" else "lower"
    li = li_indices(atoms)
    z = geom.z(atoms)[li]
    h = geom.height(z, cathode)
    keep = li[(h > 0.5 * geom.spacing) & (h <= depth) & (geom.nearest_side(z) == cathode)]
    return keep, cathode


def analyse_bonds(stages: list, geom: CycleGeometry, *, cutoff: float, depth: float) -> tuple[dict, dict]:
    """Fig. S13: Li-Li bonds per tracked Li in every frame of the first and the last round.

    Returns ``(summary, data)``: the round means (``bonds_per_li_first_round``,
    ``bonds_per_li_last_round``), their change and ``shows_paper_effect`` (an
    increase); ``data`` holds per-frame times (ps from each round's start) and means, and
    the per-atom counts of each round's last frame.
    """
    rounds = [(lab, fr) for lab, fr in stages if lab != "ConstQ"]
    if len(rounds) < 2:
        raise InputError("Li-Li bonds: need at least two ConstP rounds (first vs last)")
    (first_lab, first), (last_lab, last) = rounds[0], rounds[-1]
    tracked, cathode = deposition_atoms(last[-1], geom, depth=depth)
    summary = {"first_round": first_lab, "last_round": last_lab, "cutoff_A": cutoff,
               "deposition_depth_A": depth, "deposition_electrode_side": cathode,
               "n_tracked_li": int(tracked.size), "tracked_atoms": [int(i) for i in tracked]}
    data: dict = {"rounds": {}}
    if tracked.size == 0:
        summary.update(bonds_per_li_first_round=None, bonds_per_li_last_round=None,
                       bonds_per_li_change=None, shows_paper_effect=False,
                       paper_effect=f"NOT reproduced: no Li deposited on the {last_lab} cathode "
                       f"(within {depth:g} A of its surface)")
        return summary, data
    means = {}
    for lab, frames in ((first_lab, first), (last_lab, last)):
        t = np.array([float(a.info.get("time_ps", k)) for k, a in enumerate(frames)])
        per_frame = [li_li_bonds_per_li(a, tracked, cutoff)
                     for a in tqdm(frames, desc=f"Li-Li bonds, {lab}", unit="frame", disable=None)]
        m = np.array([p.mean() for p in per_frame])
        data["rounds"][lab] = {"time_ps": t - t[0], "mean": m, "last_counts": per_frame[-1]}
        means[lab] = float(m.mean())
    change = means[last_lab] - means[first_lab]
    summary.update(
        bonds_per_li_first_round=means[first_lab],
        bonds_per_li_last_round=means[last_lab],
        bonds_per_li_first_round_end=float(data["rounds"][first_lab]["mean"][-1]),
        bonds_per_li_last_round_end=float(data["rounds"][last_lab]["mean"][-1]),
        bonds_per_li_change=change,
        shows_paper_effect=bool(change > 0),
        paper_effect=(f"reproduced: {change:+.2f} bonds per Li from {first_lab} to {last_lab} "
                      "(paper: increase)") if change > 0 else
        (f"NOT reproduced: {change:+.2f} bonds per Li from {first_lab} to {last_lab} (paper: increase)"),
    )
    return summary, data
