"""Side view (x horizontal, height along the anode -> electrolyte axis vertical) of a sandwich frame.

Shared by the lpsc snapshot figures (Fig. 2a-b, 3a-d).  Positions are
unwrapped against the starting structure and heights ``h`` (Angstrom, 0 at the
top of the starting anode) come from :func:`lidendrite.analysis.geometry.height_axis`,
so an atom that crossed the periodic z boundary is drawn where it is, not at
the other end of the cell.  Atoms are drawn far-to-near along y so the nearest
cover the farthest, like a camera looking along +y.
"""

from __future__ import annotations

import numpy as np

from lidendrite.analysis.geometry import height_axis, unwrapped_positions

__all__ = ["heights", "side_view", "ELEMENT_COLOURS", "ELEMENT_SIZES", "draw_pairs"]

#: Jmol-like element colours (Li violet is too close to the region shades: a darker grey-green)
ELEMENT_COLOURS = {"Li": "#7f8c8d", "S": "#f1c40f", "P": "#e67e22", "Cl": "#27ae60"}
#: marker areas (points^2) for a ~30 A wide panel; scaled by the caller for wider cells
ELEMENT_SIZES = {"Li": 22.0, "S": 40.0, "P": 34.0, "Cl": 40.0}


def heights(atoms) -> tuple[np.ndarray, np.ndarray]:
    """Unwrapped ``x`` and height ``h`` (Angstrom, ``[n]`` each) of every atom."""
    pos = unwrapped_positions(atoms)
    sign, offset = height_axis(atoms)
    return pos[:, 0], sign * pos[:, 2] - offset


def side_view(ax, atoms, *, face, edge=None, sizes=None, order=None, lw=0.4, zorder=2):
    """Scatter the atoms of ``atoms`` in the x-h plane.

    Parameters
    ----------
    face
        ``[n]`` matplotlib colours (or values with ``cmap``/``norm`` handled by the caller via ``face``).
    edge
        ``[n]`` edge colours (default dark grey).
    sizes
        ``[n]`` marker areas (default by element).
    order
        Indices to draw (default all), drawn far-to-near in y.
    """
    x, h = heights(atoms)
    sym = np.asarray(atoms.get_chemical_symbols())
    idx = np.arange(len(atoms)) if order is None else np.asarray(order, int)
    y = unwrapped_positions(atoms)[:, 1]
    idx = idx[np.argsort(-y[idx])]
    s = np.array([ELEMENT_SIZES.get(e, 30.0) for e in sym]) if sizes is None else np.asarray(sizes, float)
    face = np.asarray(face, dtype=object)
    edge = np.full(len(atoms), "#333333", dtype=object) if edge is None else np.asarray(edge, dtype=object)
    ax.scatter(x[idx], h[idx], s=s[idx], c=list(face[idx]), edgecolors=list(edge[idx]), linewidths=lw,
               zorder=zorder)
    ax.set_xlabel("x (Å)")
    ax.set_ylabel("height above starting anode top (Å)")
    ax.set_aspect("equal")
    ax.grid(False)
    return x, h


def draw_pairs(ax, atoms, pairs, *, colour="#c0392b", lw=1.2, zorder=3) -> int:
    """Lines between atom pairs ``[k, 2]`` (minimum image in x; pairs split by the x boundary are skipped)."""
    x, h = heights(atoms)
    lx = float(atoms.cell.lengths()[0])
    n = 0
    for i, j in np.asarray(pairs, int).reshape(-1, 2):
        if abs(x[i] - x[j]) > lx / 2:
            continue
        ax.plot([x[i], x[j]], [h[i], h[j]], "-", color=colour, lw=lw, zorder=zorder)
        n += 1
    return n
