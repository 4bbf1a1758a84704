"""Radial distributions: Li-Li around chosen Li and its nearest-neighbour peak (lpsc Fig. 4b), and
element pairs of a trajectory (ec Fig. 2b).

g(r) is the Li density in a shell around each centre atom divided by the
reference density ``rho`` (Li per Angstrom^3; the anode's, so that bulk BCC
Li tends to 1 at large r) and averaged over centres.  The paper's first
peaks: 2.75 Angstrom (cluster) vs 2.96 Angstrom (BCC anode).
"""

from __future__ import annotations

import numpy as np

from lidendrite.analysis.geometry import pair_distances, unwrapped_positions
from lidendrite.errors import InputError

__all__ = ["li_li_rdf", "pair_rdf", "first_peak", "mean_nearest_neighbour"]


def _shell_rdf(frames, centres, partners, positions, *, rho: float, r_max: float, dr: float):
    """Shared histogram: partners around centres, per frame, over shells of width ``dr``;
    ``positions(atoms)`` gives the positions used (Angstrom)."""
    edges = np.arange(0.0, r_max + dr / 2, dr)
    hist = np.zeros(edges.size - 1)
    n_c = 0
    for atoms, c, p in zip(frames, centres, partners, strict=True):
        c, p = np.asarray(c, int), np.asarray(p, int)
        if c.size == 0 or p.size == 0:
            continue
        d = pair_distances(atoms, positions(atoms), c, p)
        d = d[d > 1e-6]
        hist += np.histogram(d, bins=edges)[0]
        n_c += c.size
    if n_c == 0:
        raise InputError("RDF: no centre atoms")
    r = 0.5 * (edges[1:] + edges[:-1])
    shell = 4.0 / 3.0 * np.pi * (edges[1:] ** 3 - edges[:-1] ** 3)
    return r, hist / (n_c * shell * rho)


def li_li_rdf(frames, centres: list[np.ndarray], *, rho: float, r_max: float, dr: float):
    """g(r) of Li around ``centres[k]`` (indices in ``frames[k]``), averaged over frames.

    Returns ``(r, g)`` with ``r`` the bin centres (Angstrom). ``r_max`` and the
    bin width ``dr`` (Angstrom) come from the config (``lpsc.analysis.rdf_r_max``,
    ``rdf_dr``).
    """
    li = [np.flatnonzero(np.asarray(a.get_chemical_symbols()) == "Li") for a in frames]
    return _shell_rdf(frames, centres, li, unwrapped_positions, rho=rho, r_max=r_max, dr=dr)


def pair_rdf(frames, a: str, b: str, *, r_max: float, dr: float):
    """g_ab(r): element ``b`` around element ``a`` (ec Fig. 2b: Li-O, Li-F, C-O), averaged over
    frames, minimum-image distances of the positions as they are.

    Normalised by ``b``'s mean number density in the cell (atoms per Angstrom^3), so
    that two trajectories of the same cell compare directly; in a slab with vacuum g
    does not tend to 1. Returns ``(r, g)``, ``r`` the bin centres (Angstrom).
    """
    if not frames:
        raise InputError("RDF: no frames")
    sym = [np.asarray(f.get_chemical_symbols()) for f in frames]
    rho = float(np.mean([np.sum(s == b) / f.get_volume() for s, f in zip(sym, frames, strict=True)]))
    if rho <= 0:
        raise InputError(f"RDF: no {b} atoms")
    return _shell_rdf(frames, [np.flatnonzero(s == a) for s in sym], [np.flatnonzero(s == b) for s in sym],
                      lambda f: f.positions, rho=rho, r_max=r_max, dr=dr)


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
