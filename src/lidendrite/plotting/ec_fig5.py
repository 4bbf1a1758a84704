"""Fig. 5 (and S12) of the ec paper: charge states of the Li over the four ConstP rounds.

Side views (x vs z) of the Li only, coloured by QEq charge (blue = Li0, red =
Li+), at the start and end of every round; the detected dendrite-nucleation
region (protrusions) is circled green and dead Li light blue, as in the paper.
"""

from __future__ import annotations

import numpy as np

from lidendrite.analysis.ec_frames import li_indices
from lidendrite.constp.electrodes import frame_charges
from lidendrite.plotting.style import figure, save_figure

__all__ = ["plot_charge_states"]

_RING = {"protrusion": "#2ca02c", "dead_li": "#17becf"}


def _circle(ax, pts: np.ndarray, colour: str) -> None:
    from matplotlib.patches import Ellipse

    c = pts.mean(axis=0)
    r = np.sqrt(((pts - c) ** 2).sum(axis=1)).max() + 1.8
    ax.add_patch(Ellipse(c, 2 * r, 2 * r, fill=False, ec=colour, ls="--", lw=1.6, zorder=5))


def plot_charge_states(stages: list, regions: dict, summary: dict, png, pdf=None, *, geom,
                       title: str, note: str = "", q_range: tuple[float, float] | None = None) -> None:
    """Two panels per round (start, end).

    ``stages`` from :func:`lidendrite.analysis.ec_frames.load_cycle`, ``regions``
    and ``summary`` from :func:`lidendrite.analysis.ec_dead_li.analyse_series`.
    """
    import matplotlib as mpl

    picks = []
    for label, frames in stages:
        if label != "ConstQ":
            picks += [(label, "start", frames[0]), (label, "end", frames[-1])]
    qs = np.concatenate([frame_charges(a)[li_indices(a)] for *_, a in picks])
    lo, hi = q_range if q_range is not None else (0.0, max(float(np.percentile(qs, 99)), 0.1))
    norm = mpl.colors.Normalize(lo, hi)
    lx = float(picks[0][2].cell[0, 0])
    zs = np.concatenate([geom.z(a) for *_, a in picks])
    zlo, zhi = float(zs.min()) - 1.5, float(zs.max()) + 1.5
    panel_w = max(1.2, 1.7 * lx / max(zhi - zlo, 1.0) * 2.6)
    fig, axes = figure(1, len(picks), figsize=(panel_w * len(picks) + 1.4, 6.2), sharey=True,
                       squeeze=False, constrained_layout=True)
    axes = axes[0]
    sc = None
    for ax, (label, when, atoms) in zip(axes, picks, strict=True):
        li = li_indices(atoms)
        z = geom.z(atoms)
        q = frame_charges(atoms)
        order = li[np.argsort(atoms.positions[li, 1])]
        sc = ax.scatter(atoms.positions[order, 0], z[order], c=q[order], cmap="coolwarm", norm=norm,
                        s=26, edgecolors="k", linewidths=0.25, zorder=3)
        res = regions[f"{label} {when}"]
        texts = []
        for kind in ("protrusion", "dead_li"):
            items = res["protrusions"] if kind == "protrusion" else res["dead_li"]
            for reg in items:
                at = np.asarray(reg.atoms, int)
                pts = np.c_[atoms.positions[at, 0], z[at]]
                _circle(ax, pts, _RING[kind])
            if items:
                sizes = ", ".join(str(r.size) for r in items[:3])
                texts.append(f"{'dendrite' if kind == 'protrusion' else 'dead Li'}: {sizes} Li")
        anode = res["anode_side"]
        for side, zp in geom.plane.items():
            ax.axhline(zp, color="0.4", lw=0.7, ls=":", zorder=1)
            role = "anode" if side == anode else "cathode"
            ax.text(0.02, zp + (-0.4 if side == "lower" else 0.4), role, transform=ax.get_yaxis_transform(),
                    fontsize=7, color="0.3", va="top" if side == "lower" else "bottom")
        t = float(atoms.info.get("time_ps", 0.0))
        ax.set_title(f"{label}\n{when}, {t:.3g} ps", fontsize=9)
        ax.set_xlim(-1.0, lx + 1.0)
        ax.set_ylim(zlo, zhi)
        ax.set_xticks([0, round(lx)])
        ax.set_xlabel("x (Å)", fontsize=9)
        ax.grid(False)
        if texts:
            ax.text(0.5, 0.01, "\n".join(texts), transform=ax.transAxes, ha="center", va="bottom", fontsize=7,
                    bbox=dict(fc="white", ec="0.7", alpha=0.85), zorder=6)
    axes[0].set_ylabel("z (Å)")
    cb = fig.colorbar(sc, ax=list(axes), shrink=0.7)
    cb.set_label("Li charge Q (e)")
    dist = summary.get("dead_li_distance_angstrom")
    sup = (f"{title}: Li coloured by QEq charge; green = dendrite-nucleation protrusion, "
           f"light blue = dead Li.\nPaper: dead Li ~1 nm from the dendrite in round 4. This run: "
           f"{summary['paper_effect']}")
    if dist is not None:
        sup += f" (gap {dist:.1f} Å)"
    if note:
        sup += f"\n{note}"
    fig.suptitle(sup, fontsize=9)
    save_figure(fig, png, pdf)
