"""Species figures of the ec cycle: Fig. S10b (molecule numbers over time) and Fig. 6
(inorganic products vs gas molecules in the SEI, snapshots and distribution along z)."""

from __future__ import annotations

import numpy as np

from lidendrite.analysis.ec_species import GASES, INORGANIC
from lidendrite.plotting.style import figure, save_figure

__all__ = ["plot_species_time", "plot_species_z"]

_COLOURS = {"EC": "tab:blue", "PF6": "tab:purple", "Li2CO3": "navy", "Li2O": "tab:cyan", "LiF": "tab:green",
            "C2H4": "goldenrod", "CO2": "tab:orange", "CO": "tab:brown"}
_LABEL = {"EC": "EC", "PF6": "PF$_6$", "Li2CO3": "Li$_2$CO$_3$", "Li2O": "Li$_2$O", "LiF": "LiF",
          "C2H4": "C$_2$H$_4$", "CO2": "CO$_2$", "CO": "CO"}


def _stage_lines(ax, data) -> None:
    t, seg = data["times_ps"], data["segment"]
    for k, lab in enumerate(data["labels"]):
        idx = np.flatnonzero(seg == k)
        if idx.size == 0:
            continue
        if k:
            ax.axvline(t[idx[0]], color="0.5", lw=0.7, ls=":")
        ax.text(t[idx].mean(), 1.0, lab.replace("round ", "R"), transform=ax.get_xaxis_transform(),
                ha="center", va="bottom", fontsize=8, color="0.3")


def plot_species_time(summary: dict, data: dict, png, pdf=None, *, note: str = "") -> None:
    """Fig. S10b (left): molecules of each species per frame over the cycle."""
    fig, axes = figure(1, 2, figsize=(11.5, 4.6), constrained_layout=True)
    t = data["times_ps"]
    for ax, names, title in ((axes[0], ("EC", "PF6"), "electrolyte (consumed?)"),
                             (axes[1], INORGANIC + GASES, "SEI products and gases")):
        for n in names:
            ax.plot(t, data["counts"][n], color=_COLOURS[n], label=_LABEL[n],
                    ls="-" if n in INORGANIC or n in ("EC", "PF6") else "--", marker=".", ms=3)
        _stage_lines(ax, data)
        ax.set_xlabel("time along the cycle (ps)")
        ax.set_ylabel("number of molecules")
        ax.set_title(title, fontsize=10, pad=14)
        ax.legend(fontsize=8, ncol=2)
        ax.set_ylim(bottom=0)
    sup = (f"Species over ConstQ + ConstP rounds (ec Fig. S10b; ReacNetGenerator). "
           f"Consumed: {', '.join(summary['species_consumed']) or 'none'}; "
           f"formed: {', '.join(summary['products_formed']) or 'none'}.\n"
           f"Paper: EC and PF6 consumed; Li2CO3, Li2O, LiF, C2H4, CO2, CO formed. {summary['consumed_effect']}")
    if note:
        sup += f"\n{note}"
    fig.suptitle(sup, fontsize=9)
    save_figure(fig, png, pdf)


def plot_species_z(summary: dict, data: dict, png, pdf=None, *, geom, note: str = "") -> None:
    """Fig. 6: snapshots (Li green, inorganic products blue, gases yellow, as in the paper)
    at the end of the last rounds, and molecules per z slice averaged over those rounds."""
    snaps = data["snapshots"]
    fig, axes = figure(1, len(snaps) + 1, figsize=(3.0 * len(snaps) + 4.4, 6.0), sharey=True,
                       squeeze=False, constrained_layout=True,
                       gridspec_kw={"width_ratios": [1.0] * len(snaps) + [1.5]})
    axes = axes[0]
    for ax, (label, atoms, group) in zip(axes, snaps, strict=False):
        z = geom.z(atoms)
        sym = np.asarray(atoms.get_chemical_symbols())
        x = atoms.positions[:, 0]
        li = sym == "Li"
        rest = ~li & (group == "")
        ax.scatter(x[rest], z[rest], s=5, c="0.75", lw=0, label="other")
        ax.scatter(x[li], z[li], s=14, c="#2ca02c", alpha=0.55, lw=0, label="Li")
        for g, colour, lab in (("inorganic", "#1f4fd1", "inorganic"), ("gas", "#f1c40f", "gas")):
            m = group == g
            ax.scatter(x[m], z[m], s=30, c=colour, edgecolors="k", linewidths=0.3, label=lab, zorder=3)
        for zp in geom.plane.values():
            ax.axhline(zp, color="0.4", lw=0.7, ls=":")
        ax.set_title(f"{label} end", fontsize=10)
        ax.set_xlabel("x (Å)")
        ax.grid(False)
    axes[0].set_ylabel("z (Å)")
    axes[0].legend(loc="upper right", fontsize=7, markerscale=1.0)
    ax = axes[-1]
    edges = data["z_edges"]
    zc = 0.5 * (edges[1:] + edges[:-1])
    inorg = sum(data["z_hist"][n] for n in INORGANIC)
    gas = sum(data["z_hist"][n] for n in GASES)
    ax.plot(inorg, zc, color="#1f4fd1", label="inorganic (Li$_2$CO$_3$, Li$_2$O, LiF)")
    ax.plot(gas, zc, color="#d4a20a", ls="--", label="gas (C$_2$H$_4$, CO$_2$, CO)")
    for side, zp in geom.plane.items():
        ax.axhline(zp, color="0.4", lw=0.7, ls=":")
        ax.text(0.98, zp, f"{side} electrode surface", transform=ax.get_yaxis_transform(), ha="right",
                va="bottom" if side == "lower" else "top", fontsize=7, color="0.3")
    ax.set_xlabel("molecules per slice (per frame)")
    ax.set_title(f"along z, {', '.join(summary['z_distribution_rounds'])}", fontsize=10)
    ax.legend(fontsize=7, loc="center right")
    ax.set_xlim(left=0)
    sup = ("SEI products along z (ec Fig. 6). Paper: inorganic products at the bottom of the SEI, "
           f"gases dispersed.\nThis run: {summary['paper_effect']}")
    if note:
        sup += f"\n{note}"
    fig.suptitle(sup, fontsize=9)
    save_figure(fig, png, pdf)
