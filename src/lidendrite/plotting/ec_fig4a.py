"""Fig. 4a of the ec paper: Li charge distribution ("# of Q" per z slice) at the start and
end of every ConstP round, with the electrode surface planes and the anode marked."""

from __future__ import annotations

import numpy as np

from lidendrite.plotting.style import figure, save_figure

__all__ = ["plot_fig4a"]


def plot_fig4a(summary: dict, profiles: dict, png, pdf=None, *, note: str = "") -> None:
    """One panel per round: summed Li charge per slice (x, e) vs z (y, Angstrom).

    ``summary``/``profiles`` come from
    :func:`lidendrite.analysis.ec_charge_z.analyse_charge_z`.
    """
    rounds = list(summary["rounds"])
    z = np.asarray(profiles["z_centres_A"])
    fig, axes = figure(1, len(rounds), figsize=(2.9 * len(rounds) + 0.6, 5.4), sharey=True,
                       squeeze=False, constrained_layout=True)
    axes = axes[0]
    planes = summary["surface_planes_z_A"]
    for ax, key in zip(axes, rounds, strict=True):
        label = key.replace("round", "round ")
        r = summary["rounds"][key]
        if label == "round 1" and "ConstQ end" in profiles:
            ax.plot(profiles["ConstQ end"]["sum_q_e"], z, color="0.55", lw=1.2, label="Init. ConstQ")
        ax.plot(profiles[f"{label} start"]["sum_q_e"], z, color="tab:blue", ls="--", label="start")
        ax.plot(profiles[f"{label} end"]["sum_q_e"], z, color="tab:red", label="end")
        anode = r["start"]["anode_side"]
        for side, zp in planes.items():
            role = "anode" if side == anode else "cathode"
            ax.axhline(zp, color="k", lw=0.8, ls=":")
            ax.text(0.03, zp, f"{role} surface", transform=ax.get_yaxis_transform(), ha="left",
                    va="bottom" if side == "lower" else "top", fontsize=8, color="0.25")
        ax.axvline(0.0, color="0.6", lw=0.6)
        shift = r["centroid_shift_toward_anode_A"]
        ok = r["shows_paper_effect"]
        ax.set_title(f"{label}\ncentroid {shift:+.2f} Å to anode" if shift is not None else label,
                     fontsize=10, color="k" if ok else "#c0392b")
        ax.set_xlabel("# of Q per slice (e)")
        ax.legend(loc="center right", fontsize=8)
    axes[0].set_ylabel("z (Å)")
    sup = (f"Li charge distribution along z (ec Fig. 4a); slices of {profiles['bin_width_A']:g} Å. "
           f"Paper: shifts towards the anode each round.\nThis run: {summary['paper_effect']}")
    if note:
        sup += f"\n{note}"
    fig.suptitle(sup, fontsize=9)
    save_figure(fig, png, pdf)
