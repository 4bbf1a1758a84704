"""Fig. S13 of the ec paper: normalised Li-Li bond numbers (bonds per Li) of the same Li in the
deposition region during the first and the last ConstP round."""

from __future__ import annotations

import numpy as np

from lidendrite.plotting.style import figure, save_figure

__all__ = ["plot_bonds"]


def plot_bonds(summary: dict, data: dict, png, pdf=None, *, note: str = "") -> None:
    """Left: mean bonds per tracked Li vs time in each round; right: per-atom bond numbers at
    the end of each round. ``summary``/``data`` from :func:`lidendrite.analysis.ec_bonds.analyse_bonds`."""
    fig, axes = figure(1, 2, figsize=(10.5, 4.3), constrained_layout=True)
    colours = ["tab:blue", "tab:red"]
    if data["rounds"]:
        counts = [r["last_counts"] for r in data["rounds"].values()]
        top = int(max(c.max() for c in counts)) + 1
        bins = np.arange(-0.5, top + 1.0, 1.0)
        for (lab, r), col in zip(data["rounds"].items(), colours, strict=False):
            axes[0].plot(r["time_ps"], r["mean"], color=col, marker="o", ms=3,
                         label=f"{lab}: mean {r['mean'].mean():.2f}")
            axes[1].hist(r["last_counts"], bins=bins, color=col, alpha=0.5, label=f"{lab} end")
        axes[0].legend(fontsize=9)
        axes[1].legend(fontsize=9)
    else:
        for ax in axes:
            ax.text(0.5, 0.5, "no Li in the deposition region", transform=ax.transAxes, ha="center",
                    color="#c0392b")
    axes[0].set_xlabel("time from the round's start (ps)")
    axes[0].set_ylabel(f"Li-Li bonds per Li (< {summary['cutoff_A']:g} Å)")
    axes[0].set_title(f"{summary['n_tracked_li']} tracked Li", fontsize=10)
    axes[1].set_xlabel("Li-Li bonds of one Li")
    axes[1].set_ylabel("number of tracked Li")
    axes[1].set_title("per-atom bond numbers", fontsize=10)
    sup = ("Li-Li bond numbers in the deposition region, same atoms, first vs last round (ec Fig. S13). "
           f"Paper: increase.\nThis run: {summary['paper_effect']}")
    if note:
        sup += f"\n{note}"
    fig.suptitle(sup, fontsize=9)
    save_figure(fig, png, pdf)
