"""lpsc Fig. 3: (a) the frame with the detected metal-like Li cluster highlighted; (b-d) Li coloured by QEq charge.

(a) uses the frame in which :func:`lidendrite.analysis.pipeline.cluster_and_rdf`
first found a cluster (else the last analysed frame, with a note that none was
found).  (b-d) show every Li of the QEq frames (lpsc SI 5: Table S2, ConstQ,
total charge 0) on a blue (0 e, metal) to red (+1 e, Li+) scale, as in the
paper; S, P and Cl are small grey dots for context.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from lidendrite.analysis.regions import analyse_regions
from lidendrite.plotting.lpsc_fig2_sandwich import li_colours, shade_regions
from lidendrite.plotting.sandwich_view import side_view
from lidendrite.plotting.style import figure, save_figure

__all__ = ["plot_cluster_snapshot", "plot_charge_maps"]


def _panel_size(atoms, n: int) -> tuple[float, float]:
    lx, _, lz = atoms.cell.lengths()
    hz = min(lz, float(np.ptp(atoms.positions[:, 2])) + 2)
    return min(n * 0.12 * lx + 2.5, 14.0), min(0.12 * hz + 1.8, 14.0)


def plot_cluster_snapshot(frames, cluster: dict, png: str | Path, pdf: str | Path | None = None, *,
                          region_params: dict, level_of_theory: str) -> dict[str, Any]:
    """Fig. 3a: side view of the cluster frame, cluster atoms enlarged in red; returns what was drawn."""
    found = bool(cluster.get("cluster_found"))
    steps = [int(a.info.get("step", k)) for k, a in enumerate(frames)]
    k = steps.index(int(cluster["cluster_step"])) if found else len(frames) - 1
    atoms = frames[k]
    res, _, h = analyse_regions(atoms, **region_params)
    region = np.asarray(atoms.arrays["region"]).astype(str)
    fig, ax = figure(figsize=_panel_size(atoms, 1))
    shade_regions(ax, h, region, res.h_boundary, res.h_sei_top)
    face = li_colours(atoms)
    sizes = None
    t = float(atoms.info.get("time_ps", 0.0))
    if found:
        idx = np.asarray(cluster["cluster_atoms"], int)
        face[idx] = "#e74c3c"
        sizes = np.array([22.0 if s == "Li" else 40.0 for s in atoms.get_chemical_symbols()])
        sizes[idx] = 90.0
        note = (f"cluster: {cluster['cluster_size']} Li, {cluster['cluster_distance_from_boundary_angstrom']:.1f} Å "
                f"above the Li/SEI boundary ({cluster['cluster_location']});\n"
                f"origin {cluster['cluster_origin']}; paper: ~10 Å, inside the SEI, from the electrolyte")
    else:
        note = "no free metal-like Li cluster detected in this run\n(paper: one ~1 nm above the Li/SEI boundary)"
    side_view(ax, atoms, face=face, sizes=sizes)
    ax.axhline(res.h_boundary, color="k", lw=1, ls="--", zorder=1)
    ax.set_xlim(-1.0, float(atoms.cell.lengths()[0]) + 1.0)
    ax.set_title(f"(a) t = {t:.3g} ps: metal-like Li cluster (paper Fig. 3a)\n{level_of_theory}", fontsize=10)
    ax.text(0.5, -0.12, note, transform=ax.transAxes, ha="center", va="top", fontsize=9,
            color="#c0392b" if not found else "k")
    save_figure(fig, png, pdf)
    return {"cluster_found": found, "frame_step": steps[k], "time_ps": round(t, 4),
            "n_highlighted": int(len(cluster.get("cluster_atoms", []))) if found else 0}


def plot_charge_maps(frames, png: str | Path, pdf: str | Path | None = None, *, level_of_theory: str,
                     q_range: tuple[float, float] = (0.0, 1.0)) -> dict[str, Any]:
    """Fig. 3b-d: Li coloured by QEq charge (blue 0 to red +1 e) in each frame; returns mean charges drawn."""
    import matplotlib as mpl

    n = len(frames)
    w, hgt = _panel_size(frames[0], n)
    # "compressed": the panels keep their equal aspect and the figure shrinks around them
    # (a fixed figure height left a third of it empty above the panels)
    fig, axes = figure(1, n, figsize=(w + 1.0, hgt), sharey=True, squeeze=False, layout="compressed")
    axes = axes[0]
    norm = mpl.colors.Normalize(*q_range)
    cmap = mpl.colormaps["coolwarm"]
    out = {}
    for ax, atoms, tag in zip(axes, frames, "bcdefgh", strict=False):
        sym = np.asarray(atoms.get_chemical_symbols())
        q = np.asarray(atoms.arrays["charges"], float)
        li = sym == "Li"
        face = np.array(["#b3b3b3"] * len(atoms), dtype=object)
        face[li] = [mpl.colors.to_hex(c) for c in cmap(norm(q[li]))]
        sizes = np.where(li, 26.0, 8.0)
        edge = np.where(li, "#333333", "none").astype(object)
        side_view(ax, atoms, face=face, edge=edge, sizes=sizes, lw=0.3)
        t = float(atoms.info.get("time_ps", 0.0))
        ax.set_title(f"({tag}) t = {t:.3g} ps", fontsize=11)
        ax.set_xlim(-1.0, float(atoms.cell.lengths()[0]) + 1.0)
        if ax is not axes[0]:
            ax.set_ylabel("")
        region = np.asarray(atoms.arrays["region"]).astype(str)
        out[f"t_{t:g}_ps"] = {f"mean_li_charge_{r}_e": round(float(q[li & (region == r)].mean()), 4)
                              for r in ("anode", "electrolyte") if (li & (region == r)).any()}
    cb = fig.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=cmap), ax=list(axes), shrink=0.6, pad=0.02)
    cb.set_label("Li QEq charge (e)")
    fig.suptitle(f"Li charges, QEq (lpsc Table S2, ConstQ, total 0) (paper Fig. 3b-d)\n{level_of_theory}",
                 fontsize=10)
    save_figure(fig, png, pdf)
    return out
