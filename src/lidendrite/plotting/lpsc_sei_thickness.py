"""SEI thickness and Li/SEI boundary vs time of the lpsc moving-restraint run (lpsc Results, Fig. 2).

Reads the ``regions.json`` of the ``analyse_regions`` rule (one row per
trajectory frame; heights in Angstrom above the starting anode top) and draws
the thickness with the number of SEI products (Li2S-, Li3P-, LiCl-like
anions) on a second axis.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from lidendrite.plotting.style import figure, save_figure

__all__ = ["plot_sei_thickness"]


def plot_sei_thickness(regions: dict, png: str | Path, pdf: str | Path | None = None) -> dict[str, Any]:
    """SEI thickness (Angstrom) and product counts vs time (ps); returns first/last/max thickness."""
    rows = regions["frames"]
    t = np.array([r["time_ps"] for r in rows])
    th = np.array([r["sei_thickness"] for r in rows])
    fig, ax = figure()
    ax.plot(t, th, "o-", color="k", ms=3, label="SEI thickness")
    ax.set_xlabel("time (ps)")
    ax.set_ylabel("SEI thickness (Å)")
    ax2 = ax.twinx()
    for key, lab, c in (("n_li2s_like", "Li2S-like S", "C1"), ("n_li3p_like", "Li3P-like P", "C4"),
                        ("n_licl_like", "LiCl-like Cl", "C2")):
        ax2.plot(t, [r[key] for r in rows], ls=":", color=c, label=lab)
    ax2.set_ylabel("SEI anions (count)")
    ax2.grid(False)
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="upper left")
    ax.set_ylim(bottom=0)
    ax2.set_ylim(bottom=0)
    ax.set_title(f"SEI growth during the moving-restraint MD (paper Fig. 2, no curve in the paper)\n"
                 f"{regions['level_of_theory']}", fontsize=10)
    save_figure(fig, png, pdf)
    return {"sei_thickness_start_angstrom": float(th[0]), "sei_thickness_end_angstrom": float(th[-1]),
            "sei_thickness_max_angstrom": float(th.max()), "n_frames": int(t.size)}
