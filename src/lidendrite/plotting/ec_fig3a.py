"""Fig. 3a of the ec paper: the toy capacitor's Li charges (side view) under ConstQ
and ConstP at two gaps, with the electrode surface charge densities printed."""

from __future__ import annotations

import numpy as np

from lidendrite.constp.electrodes import frame_charges
from lidendrite.plotting.style import figure, paper_value, save_figure

__all__ = ["plot_fig3a"]


def plot_fig3a(frames: dict[float, object], summary: dict, png, pdf=None, *, note: str = "") -> None:
    """Three panels: ConstQ at the smallest gap, ConstP at each gap (x vs z, colour = Q).

    ``frames`` maps gap (Angstrom) to atoms carrying ``constq_charges`` and
    ``charges`` (ConstP) arrays; ``summary`` is :func:`capacitor_summary`'s dict.
    """
    import matplotlib.colors as mcolors

    gaps = sorted(frames)
    panels = [(gaps[0], "constq_charges", "ConstQ")] + [(g, "charges", "ConstP") for g in gaps]
    qmax = max(np.abs(frame_charges(frames[g], k)).max() for g, k, _ in panels) or 1e-3
    norm = mcolors.TwoSlopeNorm(vmin=-qmax, vcenter=0.0, vmax=qmax)
    zmax = max(frames[g].cell[2, 2] for g in gaps)
    fig, axes = figure(1, len(panels), figsize=(3.2 * len(panels) + 1.2, 5.2), sharey=True,
                       constrained_layout=True)
    ref = {20.0: paper_value("ec", "toy_capacitor_sigma_20"),
           40.0: paper_value("ec", "toy_capacitor_sigma_40")}
    for ax, (gap, key, mode) in zip(axes, panels, strict=True):
        atoms = frames[gap]
        q = frame_charges(atoms, key)
        z = atoms.positions[:, 2]
        order = np.argsort(atoms.positions[:, 1])  # draw back to front along y
        sc = ax.scatter(atoms.positions[order, 0], z[order], c=q[order],
                        cmap="coolwarm", norm=norm, s=28, edgecolors="k", linewidths=0.3)
        reg = np.asarray(atoms.arrays["region"]).astype(str)
        area = np.linalg.norm(np.cross(atoms.cell[0], atoms.cell[1])) / 100.0
        lines = []
        for e in ("anode", "cathode"):
            sig = q[reg == e].sum() / area
            line = f"{e}: $\\sigma$ = {sig:+.3f} e/nm$^2$"
            if mode == "ConstP" and gap in ref:
                line += f" (paper {'+' if sig > 0 else '-'}{ref[gap]:.3f})"
            lines.append(line)
        # the box sits in the outer vacuum above the upper slab, clear of the atoms
        ztext = 0.5 * (z.max() + atoms.cell[2, 2])
        ax.text(0.5, ztext, "\n".join(lines), transform=ax.get_yaxis_transform(), ha="center",
                va="center", fontsize=7.5, bbox=dict(fc="white", ec="0.6", alpha=0.9))
        for e in ("anode", "cathode"):
            ax.text(0.01, z[reg == e].mean(), e, transform=ax.get_yaxis_transform(), rotation=90,
                    ha="left", va="center", fontsize=7, color="0.3")
        ax.set_title(f"{mode}, gap {gap:g} $\\AA$")
        ax.set_xlabel("x ($\\AA$)")
        ax.set_xlim(-1.6, atoms.positions[:, 0].max() + 0.6)
        ax.set_ylim(-2.0, zmax)
    axes[0].set_ylabel("z ($\\AA$)")
    cb = fig.colorbar(sc, ax=list(axes), shrink=0.8)
    cb.set_label("Li charge Q (e)")
    ratio = summary.get("sigma_ratio", {}).get("value")
    sup = (f"Toy capacitor (ec Fig. 3a): phi_anode {summary['phi_anode_V']:+g} V, "
           f"phi_cathode {summary['phi_cathode_V']:+g} V")
    if ratio is not None:
        sup += f"; sigma ratio {ratio:.3f} (paper 2.00)"
    if note:
        sup += f"\n{note}"
    fig.suptitle(sup, fontsize=9)
    save_figure(fig, png, pdf)
