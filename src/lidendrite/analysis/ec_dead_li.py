"""Dendrite-nucleation regions and dead Li in a ConstP frame (ec sec. 3.3, Fig. 5, S12).

Metal-like Li are Li with QEq charge below ``q_metal`` (e; Li0 in the paper's
colours).  They and the electrode bodies (electrode Li of layer >=
``anchor_layer``, which are metal by construction) form a graph with an edge
between Li closer than ``li_li_cutoff`` (Angstrom); its connected components
(:func:`lidendrite.analysis.cluster.connected_components`) are

* attached to an electrode when they contain atoms of its body.  Their Li
  higher than ``protrusion_min_height`` above that electrode's starting
  surface plane are the dendrite-nucleation region (inhomogeneous deposition,
  the paper's green circles); connected groups of them are reported as
  protrusions with size, height and tip;
* dead Li when attached to neither electrode and holding at least
  ``min_dead_size`` Li (the paper's light-blue circles).

Distances are minimum-image atom-atom distances (Angstrom): ``gap_to_dendrite``
from a dead cluster to the nearest protrusion atom (the paper: dead Li ~1 nm
from the dendrite), ``gap_to_electrode`` to the nearest electrode-attached
metal-like Li.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from lidendrite.analysis.cluster import connected_components
from lidendrite.analysis.ec_frames import SIDES, CycleGeometry, li_indices
from lidendrite.analysis.geometry import contact_graph, pair_distances
from lidendrite.constp.electrodes import frame_charges
from lidendrite.errors import InputError

__all__ = ["LiRegion", "find_li_regions", "frame_regions_summary", "analyse_series"]


@dataclass
class LiRegion:
    """A protrusion (``kind='protrusion'``) or a dead-Li cluster (``kind='dead_li'``)."""

    kind: str
    side: str
    atoms: list[int]
    size: int
    centroid_A: list[float]
    mean_charge_e: float
    height_A: float  # protrusion: tip height; dead Li: centroid height above ``side``'s plane
    tip_atom: int | None = None
    gap_to_dendrite_A: float | None = None
    centroid_to_tip_A: float | None = None
    gap_to_electrode_A: float | None = None
    role: str = ""  # anode/cathode of this frame
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        d = asdict(self)
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in d.items()}


def _positions(atoms, geom: CycleGeometry) -> np.ndarray:
    pos = np.array(atoms.positions, dtype=float)
    pos[:, 2] = geom.z(atoms)
    return pos


def find_li_regions(
    atoms,
    geom: CycleGeometry,
    *,
    q_metal: float,
    li_li_cutoff: float,
    anchor_layer: int,
    min_dead_size: int,
    protrusion_min_height: float,
    charges: np.ndarray | None = None,
) -> dict:
    """Protrusions and dead-Li clusters of one frame.

    Returns a dict with ``protrusions`` and ``dead_li`` (lists of :class:`LiRegion`,
    largest first), ``n_metal_like_li``, ``attached`` (atoms of each electrode's
    attached component(s), by side) and ``bridging`` (True when one metal-like
    component touches both electrodes: a short circuit).
    """
    q = frame_charges(atoms) if charges is None else np.asarray(charges, float)
    li = li_indices(atoms)
    anchored = geom.anchored(anchor_layer)
    body = anchored["lower"] | anchored["upper"]
    metal_like = li[q[li] < q_metal]
    nodes = np.union1d(metal_like, np.flatnonzero(body))
    pos = _positions(atoms, geom)
    z = pos[:, 2]
    adj = contact_graph(atoms, pos, nodes, li_li_cutoff)
    comps = [nodes[c] for c in connected_components(adj)]
    anode = geom.anode_side(atoms)
    role = {s: ("anode" if s == anode else "cathode") for s in SIDES}

    attached = {s: np.zeros(0, int) for s in SIDES}
    dead: list[np.ndarray] = []
    bridging = False
    for comp in comps:
        sides = [s for s in SIDES if anchored[s][comp].any()]
        if len(sides) == 2:
            bridging = True
        for s in sides:
            attached[s] = np.union1d(attached[s], comp)
        if not sides and comp.size >= min_dead_size:
            dead.append(comp)

    protrusions: list[LiRegion] = []
    for s in SIDES:
        comp = attached[s]
        h = geom.height(z[comp], s)
        high = comp[(h > protrusion_min_height) & ~body[comp] & (geom.nearest_side(z[comp]) == s)]
        if high.size == 0:
            continue
        sub = contact_graph(atoms, pos, high, li_li_cutoff)
        for c in connected_components(sub):
            at = high[c]
            hh = geom.height(z[at], s)
            protrusions.append(LiRegion(
                kind="protrusion", side=s, role=role[s], atoms=[int(i) for i in at], size=int(at.size),
                centroid_A=[float(v) for v in pos[at].mean(axis=0)], mean_charge_e=float(q[at].mean()),
                height_A=float(hh.max()), tip_atom=int(at[np.argmax(hh)]),
            ))
    protrusions.sort(key=lambda r: (-r.size, -r.height_A))

    electrode_metal = np.union1d(attached["lower"], attached["upper"])
    electrode_metal = electrode_metal[q[electrode_metal] < q_metal] if electrode_metal.size else electrode_metal
    prot_atoms = np.array(sorted({i for p in protrusions for i in p.atoms}), dtype=int)
    dead_regions: list[LiRegion] = []
    for comp in dead:
        cen = pos[comp].mean(axis=0)
        s = str(geom.nearest_side(np.array([cen[2]]))[0])
        reg = LiRegion(
            kind="dead_li", side=s, role=role[s], atoms=[int(i) for i in comp], size=int(comp.size),
            centroid_A=[float(v) for v in cen], mean_charge_e=float(q[comp].mean()),
            height_A=float(geom.height(np.array([cen[2]]), s)[0]),
        )
        if electrode_metal.size:
            reg.gap_to_electrode_A = float(pair_distances(atoms, pos, comp, electrode_metal).min())
        if prot_atoms.size:
            reg.gap_to_dendrite_A = float(pair_distances(atoms, pos, comp, prot_atoms).min())
            tips = np.array([p.tip_atom for p in protrusions])
            cpos = np.vstack([pos, cen[None, :]])
            reg.centroid_to_tip_A = float(
                pair_distances(atoms, cpos, np.array([len(pos)]), tips).min())
        dead_regions.append(reg)
    dead_regions.sort(key=lambda r: -r.size)
    return {
        "protrusions": protrusions,
        "dead_li": dead_regions,
        "n_metal_like_li": int(metal_like.size),
        "attached": attached,
        "bridging": bridging,
        "anode_side": anode,
    }


def frame_regions_summary(res: dict) -> dict:
    """JSON-ready summary of :func:`find_li_regions`' result (atom lists kept)."""
    prot, dead = res["protrusions"], res["dead_li"]
    out = {
        "anode_side": res["anode_side"],
        "n_metal_like_li": res["n_metal_like_li"],
        "bridging_short_circuit": bool(res["bridging"]),
        "n_protrusions": len(prot),
        "n_dead_li_clusters": len(dead),
        "largest_protrusion_size": prot[0].size if prot else 0,
        "largest_dead_li_size": dead[0].size if dead else 0,
        "dead_li_distance_angstrom": dead[0].gap_to_dendrite_A if dead else None,
        "protrusions": [p.as_dict() for p in prot],
        "dead_li": [d.as_dict() for d in dead],
    }
    return out


def analyse_series(stages: list, geom: CycleGeometry, *, paper_distance: float | None = None,
                   paper_tolerance: float | None = None, **params) -> tuple[dict, dict]:
    """Regions at the start and end of every ConstP round of one series (Fig. 5 / S12).

    ``params`` are the keywords of :func:`find_li_regions`. Returns ``(summary,
    regions)``: ``summary`` per round (JSON-ready) plus the headline of the last
    round's end (the paper's observation, round 4): ``dead_li_distance_angstrom``
    (gap from the largest dead-Li cluster to the nearest protrusion), sizes and
    ``shows_paper_effect``; ``regions`` maps "round k start/end" to the raw results.
    """
    rounds, regions = {}, {}
    n_dead = n_prot = 0
    for label, frames in stages:
        if label == "ConstQ":
            continue
        entry = {}
        for when, atoms in (("start", frames[0]), ("end", frames[-1])):
            res = find_li_regions(atoms, geom, **params)
            regions[f"{label} {when}"] = res
            s = frame_regions_summary(res)
            s["time_ps"] = float(atoms.info.get("time_ps", 0.0))
            entry[when] = s
            n_dead += bool(res["dead_li"])
            n_prot += bool(res["protrusions"])
        rounds[label.replace(" ", "")] = entry
    if not rounds:
        raise InputError("dead-Li analysis: no ConstP round in the cycle")
    last_key = list(rounds)[-1]
    last = rounds[last_key]["end"]
    dead = last["dead_li"][0] if last["dead_li"] else None
    prot = last["protrusions"][0] if last["protrusions"] else None
    dist = last["dead_li_distance_angstrom"]
    summary = {
        "headline_frame": f"{last_key} end",
        "dead_li_distance_angstrom": dist,
        "dead_li_distance_definition": "minimum Li-Li distance from the largest dead-Li cluster to the "
        "nearest protrusion (dendrite) atom",
        "dead_li_centroid_to_tip_angstrom": dead["centroid_to_tip_A"] if dead else None,
        "dead_li_gap_to_electrode_angstrom": dead["gap_to_electrode_A"] if dead else None,
        "dead_li_size_atoms": dead["size"] if dead else 0,
        "dendrite_size_atoms": prot["size"] if prot else 0,
        "dendrite_height_angstrom": prot["height_A"] if prot else None,
        "dendrite_electrode": prot["role"] if prot else None,
        "n_frames_analysed": 2 * len(rounds),
        "n_frames_with_dead_li": n_dead,
        "n_frames_with_protrusion": n_prot,
        "rounds": rounds,
    }
    found = dead is not None and prot is not None
    within = (found and dist is not None and paper_distance is not None and paper_tolerance is not None
              and abs(dist - paper_distance) <= paper_tolerance)
    summary["shows_paper_effect"] = bool(within)
    if not found:
        missing = [w for w, x in (("dead-Li cluster", dead), ("protrusion", prot)) if x is None]
        summary["paper_effect"] = (f"NOT reproduced: no {' and no '.join(missing)} at the end of {last_key} "
                                   "(paper: a dendrite and a dead-Li cluster ~1 nm from it in round 4)")
    elif within:
        summary["paper_effect"] = (f"reproduced: dead Li {dist:.1f} A from the dendrite "
                                   f"(paper ~{paper_distance:g} A)")
    else:
        summary["paper_effect"] = (f"NOT reproduced: dead Li {dist:.1f} A from the dendrite "
                                   f"(paper ~{paper_distance} +- {paper_tolerance} A)")
    return summary, regions
