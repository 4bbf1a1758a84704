"""DP-QEq against full DP along ConstQ MD of the single interface (ec sec. 3.1, Fig. 2b-c).

Fig. 2b: Li-O, Li-F and C-O radial distribution functions from a DP-QEq and a
full-DP ConstQ NVT trajectory of the same start (paper: 500 ps each; the curves
nearly coincide). Fig. 2c: the energies of the DP-QEq trajectory's frames from
DP-QEq itself, from the full DP and from the labeller (paper: DFT). The models
are trained on different targets (DP_short on labels minus E_QEq), so every
series is compared after removing its mean over the frames: what is compared
is the energy landscape along the trajectory, in meV/atom.

The two runs: :mod:`lidendrite.constp.compare_md`; this module reads their frames.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from lidendrite.errors import InputError

__all__ = ["rdf_comparison", "energy_comparison", "fig2_verdict"]

def rdf_comparison(frames_a, frames_b, pairs: Sequence[Sequence[str]], *, r_max: float, dr: float) -> dict:
    """g(r) of each element pair in two trajectories and how far apart they are.

    Returns ``{"A-B": {"r", "g_a", "g_b", "peak_a_A", "peak_b_A", "abs_diff_fraction"}}``;
    the peak is the position of the largest g below ``r_max`` and
    ``abs_diff_fraction`` = sum |g_a - g_b| dr / sum g_a dr (0 = identical).
    """
    from lidendrite.analysis.rdf import pair_rdf

    out = {}
    for a, b in pairs:
        r, ga = pair_rdf(frames_a, a, b, r_max=r_max, dr=dr)
        _, gb = pair_rdf(frames_b, a, b, r_max=r_max, dr=dr)
        norm = float(np.sum(ga) * dr)
        diff = float(np.sum(np.abs(ga - gb)) * dr)
        out[f"{a}-{b}"] = {
            "r": r, "g_a": ga, "g_b": gb,
            "peak_a_A": float(r[np.argmax(ga)]) if ga.max() > 0 else None,
            "peak_b_A": float(r[np.argmax(gb)]) if gb.max() > 0 else None,
            "abs_diff_fraction": diff / norm if norm > 0 else None,
        }
    return out


def energy_comparison(energies: Mapping[str, np.ndarray], n_atoms: int, reference: str = "dpqeq") -> dict:
    """Energies of the same frames by several methods, each minus its mean (meV/atom).

    Returns ``centred_meV_per_atom`` per method and, for every other method,
    ``rmse_vs_<reference>_meV_per_atom`` of the centred series and their Pearson
    correlation (``None`` when a series is constant).
    """
    if reference not in energies:
        raise InputError(f"energy comparison: no {reference!r} energies")
    e = {k: np.asarray(v, float) for k, v in energies.items()}
    n = {len(v) for v in e.values()}
    if len(n) != 1:
        raise InputError(f"energy comparison: series of different lengths {sorted(n)}")
    centred = {k: 1e3 * (v - v.mean()) / n_atoms for k, v in e.items()}
    out: dict[str, Any] = {"centred_meV_per_atom": centred, "n_frames": n.pop()}
    ref = centred[reference]
    for k, v in centred.items():
        if k == reference:
            continue
        out[f"rmse_vs_{reference}_meV_per_atom_{k}"] = float(np.sqrt(np.mean((v - ref) ** 2)))
        ok = v.std() > 0 and ref.std() > 0
        out[f"correlation_vs_{reference}_{k}"] = float(np.corrcoef(v, ref)[0, 1]) if ok else None
    return out


def fig2_verdict(rdfs: dict, comparison: dict, *, rdf_match_fraction: float, paper_energy_rmse: float) -> dict:
    """Whether the run shows Fig. 2b-c: every pair's ``abs_diff_fraction`` <= ``rdf_match_fraction``,
    and the centred energies of the full DP and of the labeller within ``paper_energy_rmse``
    (meV/atom; the paper's DP-QEq test RMSE) of DP-QEq's."""
    worst = max((v["abs_diff_fraction"] or 0.0) for v in rdfs.values())
    rmse = {k.rsplit("_meV_per_atom_", 1)[1]: v for k, v in comparison.items() if k.startswith("rmse_vs_")}
    rdf_ok = worst <= rdf_match_fraction
    e_ok = {k: v <= paper_energy_rmse for k, v in rmse.items()}
    parts = [f"RDFs differ by at most {100 * worst:.0f} % ({'within' if rdf_ok else 'NOT within'} "
             f"{100 * rdf_match_fraction:.0f} %)"]
    parts += [f"{k} energies {v:.2f} meV/atom from DP-QEq ({'within' if e_ok[k] else 'NOT within'} the paper's "
              f"{paper_energy_rmse:g})" for k, v in rmse.items()]
    ok = rdf_ok and all(e_ok.values())
    return {"rdf_max_abs_diff_fraction": worst, "rdf_match": rdf_ok, "energy_match": e_ok,
            "shows_paper_effect": ok,
            "paper_effect": ("reproduced: " if ok else "NOT reproduced: ") + "; ".join(parts)}
