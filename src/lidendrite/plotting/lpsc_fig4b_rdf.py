"""lpsc Fig. 4b: Li-Li RDF of the metal-like cluster vs the anode interior, with the paper's first peaks.

Reads the ``rdf.npz`` of the ``find_cluster`` rule (``r`` Angstrom,
``g_cluster``, ``g_anode``; ``g_cluster`` is NaN when no cluster was found) and
draws the paper's nearest-neighbour peaks (cluster 2.75 A, anode 2.96 A,
``config/paper_values.yaml``) as dashed lines beside this run's peaks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from lidendrite.plotting.style import figure, paper_value, save_figure

__all__ = ["plot_rdf"]


def plot_rdf(rdf: str | Path, cluster: dict, png: str | Path, pdf: str | Path | None = None, *,
             level_of_theory: str) -> dict[str, Any]:
    """Draw g(r) of cluster and anode Li; returns this run's and the paper's first peaks (Angstrom)."""
    d = np.load(rdf)
    r, g_an, g_cl = d["r"], d["g_anode"], d["g_cluster"]
    fig, ax = figure()
    peak_an = cluster.get("anode_nn_peak_angstrom")
    peak_cl = cluster.get("cluster_nn_peak_angstrom")
    ax.plot(r, g_an, color="C0", label=f"anode interior Li (first peak {peak_an:.2f} Å)")
    if np.isfinite(g_cl).any():
        ax.plot(r, g_cl, color="C3", label=f"cluster Li, {cluster.get('cluster_size')} atoms "
                                           f"(first peak {peak_cl:.2f} Å)")
    else:
        ax.text(0.97, 0.6, "no cluster detected in this run:\nno cluster RDF", transform=ax.transAxes,
                ha="right", color="C3", fontsize=10)
    p_cl, p_an = paper_value("lpsc", "cluster_nn_distance"), paper_value("lpsc", "anode_nn_distance")
    ax.axvline(p_an, color="C0", ls="--", lw=1.2, label=f"paper anode peak {p_an} Å")
    ax.axvline(p_cl, color="C3", ls="--", lw=1.2, label=f"paper cluster peak {p_cl} Å")
    ax.set_xlabel("r (Å)")
    ax.set_ylabel("g(r), Li–Li")
    ax.set_xlim(float(r.min()), float(r.max()))
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper right")
    ax.set_title(f"Li–Li RDF, cluster vs anode (paper Fig. 4b)\n{level_of_theory}", fontsize=10)
    save_figure(fig, png, pdf)
    return {"anode_nn_peak_angstrom": peak_an, "cluster_nn_peak_angstrom": peak_cl,
            "paper_anode_nn_angstrom": p_an, "paper_cluster_nn_angstrom": p_cl}
