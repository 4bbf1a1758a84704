"""Li-Li radial distribution around chosen Li and its nearest-neighbour peak (lpsc Fig. 4b).

g(r) is the Li density in a shell around each centre atom divided by the
reference density ``rho`` (Li per Angstrom^3; the anode's, so that bulk BCC
Li tends to 1 at large r) and averaged over centres.  The paper's first
peaks: 2.75 Angstrom (cluster) vs 2.96 Angstrom (BCC anode).
"""

from __future__ import annotations

import numpy as np

from lidendrite.analysis.geometry import pair_distances, unwrapped_positions
from lidendrite.errors import InputError

__all__ = ["li_li_rdf", "first_peak", "mean_nearest_neighbour"]


def li_li_rdf(frames, centres: list[np.ndarray], *, rho: float, r_max: float = 6.0, dr: float = 0.05):
    """g(r) of Li around ``centres[k]`` (indices in ``frames[k]``), averaged over frames.

    Returns ``(r, g)`` with ``r`` the bin centres (Angstrom).
    """
    edges = np.arange(0.0, r_max + dr / 2, dr)
    hist = np.zeros(edges.size - 1)
    n_c = 0
    for atoms, c in zip(frames, centres, strict=True):
        c = np.asarray(c, int)
        if c.size == 0:
            continue
        pos = unwrapped_positions(atoms)
        li = np.flatnonzero(np.asarray(atoms.get_chemical_symbols()) == "Li")
        d = pair_distances(atoms, pos, c, li)
        d = d[d > 1e-6]
        hist += np.histogram(d, bins=edges)[0]
        n_c += c.size
    if n_c == 0:
        raise InputError("RDF: no centre atoms")
    r = 0.5 * (edges[1:] + edges[:-1])
    shell = 4.0 / 3.0 * np.pi * (edges[1:] ** 3 - edges[:-1] ** 3)
    return r, hist / (n_c * shell * rho)


def first_peak(r: np.ndarray, g: np.ndarray, window: tuple[float, float] = (2.2, 3.4)) -> float:
    """Position (Angstrom) of the maximum of g (3-bin running mean) inside ``window``."""
    gs = np.convolve(g, np.ones(3) / 3, mode="same")
    m = (r >= window[0]) & (r <= window[1])
    if not m.any() or gs[m].max() <= 0:
        return float("nan")
    return float(r[m][np.argmax(gs[m])])


def mean_nearest_neighbour(atoms, centres: np.ndarray) -> float:
    """Mean distance (Angstrom) from each centre Li to its nearest other Li."""
    pos = unwrapped_positions(atoms)
    li = np.flatnonzero(np.asarray(atoms.get_chemical_symbols()) == "Li")
    d = pair_distances(atoms, pos, np.asarray(centres, int), li)
    d[d < 1e-6] = np.inf
    return float(d.min(axis=1).mean())
