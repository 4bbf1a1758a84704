"""Metallic Li cluster away from the electrodes (lpsc Results, Fig. 3).

A cluster is a connected set of Li (edges: Li-Li closer than ``li_li_cutoff``,
Angstrom) whose QEq charges are metal-like (below ``q_metal``, e) and which
is not connected to an electrode: components holding an anode Li of layer >=
``anchor_layer`` (a layer that stays in the metal) or a counter-electrode
(``source``) Li are the electrodes themselves.  The paper's cluster lies
~1 nm above the Li/SEI boundary, inside the SEI, made of Li that came from
the electrolyte.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from scipy.sparse import csr_matrix, issparse
from scipy.sparse.csgraph import connected_components as _csgraph_components

from lidendrite.analysis.geometry import (
    contact_graph,
    height_axis,
    pair_distances,
    unwrapped_positions,
)

__all__ = ["ClusterResult", "find_cluster", "connected_components", "driven_li_fate"]


@dataclass
class ClusterResult:
    """The largest free metallic Li cluster of a frame (``size`` 0 when none)."""

    step: int
    size: int
    atoms: list[int] = field(default_factory=list)
    centroid_height: float | None = None
    distance_from_boundary: float | None = None
    min_distance_to_anode: float | None = None
    location: str = "none"
    origin: dict[str, int] = field(default_factory=dict)
    mean_charge: float | None = None
    n_metal_like_li: int = 0
    driven_li: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        d = asdict(self)
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in d.items()}


def connected_components(adj) -> list[np.ndarray]:
    """Connected components of an undirected graph, each a sorted index array.

    ``adj`` is a boolean adjacency ``[n, n]``, dense or :mod:`scipy.sparse`
    (e.g. from :func:`~lidendrite.analysis.geometry.contact_graph`).  The
    components come in the order of their lowest index.
    """
    graph = adj if issparse(adj) else csr_matrix(np.asarray(adj, bool))
    n = graph.shape[0]
    if n == 0:
        return []
    n_comp, labels = _csgraph_components(graph, directed=False)
    members = np.argsort(labels, kind="stable")
    comps = np.split(members, np.cumsum(np.bincount(labels, minlength=n_comp))[:-1])
    return sorted(comps, key=lambda c: int(c[0]))


def driven_li_fate(
    h: np.ndarray,
    region: np.ndarray,
    is_li: np.ndarray,
    metal_like: np.ndarray,
    cluster: np.ndarray,
    *,
    h_boundary: float,
    h_sei_top: float,
    joined: dict[str, np.ndarray] | None = None,
) -> dict[str, int]:
    """Where the Li that started in the electrolyte (the Li the CV drives) are now.

    Counts of electrolyte-origin Li by height ``h`` (Angstrom above the anode):
    ``anode`` (below the Li/SEI boundary ``h_boundary``), ``sei`` (up to
    ``h_sei_top``) and ``electrolyte`` (above); ``metal_like``: those with a
    metal-like QEq charge, of which ``metal_like_in_sei`` inside the SEI;
    ``in_cluster``: members of the free cluster (index array ``cluster``);
    ``metal_like_joined_<where>``: metal-like ones in a metal-like Li network that
    reaches the anode, the source slab, or neither (``free``), from ``joined`` (bool
    masks of those networks' atoms).
    """
    driven = is_li & (region == "electrolyte")
    in_sei = driven & (h >= h_boundary) & (h <= h_sei_top)
    member = np.zeros(h.size, bool)
    member[np.asarray(cluster, dtype=int)] = True
    return {
        "total": int(driven.sum()),
        "anode": int((driven & (h < h_boundary)).sum()),
        "sei": int(in_sei.sum()),
        "electrolyte": int((driven & (h > h_sei_top)).sum()),
        "metal_like": int((driven & metal_like).sum()),
        "metal_like_in_sei": int((in_sei & metal_like).sum()),
        "in_cluster": int((driven & member).sum()),
        **{
            f"metal_like_joined_{where}": int((driven & metal_like & mask).sum())
            for where, mask in (joined or {}).items()
        },
    }


def find_cluster(
    atoms,
    charges: np.ndarray,
    *,
    h_boundary: float,
    h_sei_top: float,
    li_li_cutoff: float,
    q_metal: float,
    min_size: int,
    anchor_layer: int,
) -> ClusterResult:
    """Find the largest metal-like Li cluster not connected to an electrode.

    Parameters
    ----------
    atoms
        Frame with ``region``, ``layer`` and ``start_positions`` arrays.
    charges
        ``[n]`` QEq charges (e).
    h_boundary, h_sei_top
        Li/SEI boundary and SEI top (Angstrom, from :func:`~lidendrite.analysis.regions.analyse_regions`).
    li_li_cutoff, q_metal, min_size, anchor_layer
        See the module docstring; config ``lpsc.analysis`` (``li_li_cutoff``,
        ``q_metal``, ``min_cluster_size``, ``anchor_layer``), their one source.
    """
    pos = unwrapped_positions(atoms)
    sign, offset = height_axis(atoms)
    h = sign * pos[:, 2] - offset
    sym = np.asarray(atoms.get_chemical_symbols())
    region = np.asarray(atoms.arrays["region"]).astype(str)
    layer = np.asarray(atoms.arrays["layer"]).astype(int)
    is_li = sym == "Li"
    metal_like = is_li & (np.asarray(charges) < q_metal)
    li_metal = np.flatnonzero(metal_like)
    step = int(atoms.info.get("step", 0))

    joined = {w: np.zeros(len(sym), bool) for w in ("anode", "source", "free")}

    def fate(cluster=()):
        return driven_li_fate(
            h,
            region,
            is_li,
            metal_like,
            np.asarray(cluster, dtype=int),
            h_boundary=h_boundary,
            h_sei_top=h_sei_top,
            joined=joined,
        )

    if li_metal.size == 0:
        return ClusterResult(step=step, size=0, driven_li=fate())
    adj = contact_graph(atoms, pos, li_metal, li_li_cutoff)
    anode_anchor = (region == "anode") & (layer >= anchor_layer)
    anchored = anode_anchor | (region == "source")
    components = [li_metal[c] for c in connected_components(adj)]
    for c in components:
        if anode_anchor[c].any():
            joined["anode"][c] = True
        if (region[c] == "source").any():
            joined["source"][c] = True
        if not anchored[c].any():
            joined["free"][c] = True
    free = [c for c in components if not anchored[c].any()]
    free = [c for c in free if c.size >= min_size]
    if not free:
        return ClusterResult(
            step=step, size=0, n_metal_like_li=int(li_metal.size), driven_li=fate()
        )
    best = max(free, key=len)
    hc = float(h[best].mean())
    anode_li = np.flatnonzero((sym == "Li") & (h < h_boundary) & (region != "source"))
    dmin = float(pair_distances(atoms, pos, best, anode_li).min()) if anode_li.size else None
    if hc < h_boundary:
        where = "anode"
    elif hc <= h_sei_top:
        where = "sei"
    else:
        where = "electrolyte"
    origin = {r: int((region[best] == r).sum()) for r in ("anode", "electrolyte", "source")}
    return ClusterResult(
        step=step,
        size=int(best.size),
        atoms=[int(i) for i in best],
        centroid_height=hc,
        distance_from_boundary=hc - h_boundary,
        min_distance_to_anode=dmin,
        location=where,
        origin=origin,
        mean_charge=float(np.asarray(charges)[best].mean()),
        n_metal_like_li=int(li_metal.size),
        driven_li=fate(best),
    )
