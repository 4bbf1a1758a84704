"""lpsc Fig. 2a-b: the Li | Li6PS5Cl sandwich at the start and at the end of the moving-restraint MD.

Side view (x vs height above the starting anode top, Angstrom).  Background
bands are the regions of :func:`lidendrite.analysis.regions.analyse_regions`
(anode below the Li/SEI boundary, SEI, crystalline electrolyte, counter
electrode); atoms are coloured by element, Li by where they started (anode or
electrolyte), and the new Li-S/P/Cl bonds of anode-born Li (shorter than
``bond_cutoff``) are red lines with the bonded Li outlined in red.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from lidendrite.analysis.geometry import unwrapped_positions
from lidendrite.analysis.regions import analyse_regions, new_li_anion_bonds
from lidendrite.plotting.sandwich_view import ELEMENT_COLOURS, draw_pairs, side_view
from lidendrite.plotting.style import figure, save_figure

__all__ = ["plot_sandwich", "REGION_SHADES", "li_colours"]

REGION_SHADES = {"anode": "#bdc3c7", "SEI": "#f5cba7", "electrolyte": "#aed6f1", "counter electrode": "#e5e7e9"}
LI_BY_ORIGIN = {"anode": "#34495e", "electrolyte": "#5dade2", "source": "#d5d8dc"}


def li_colours(atoms) -> np.ndarray:
    """Face colours ``[n]``: element colours, Li by starting region (anode dark, electrolyte light blue)."""
    sym = np.asarray(atoms.get_chemical_symbols())
    region = np.asarray(atoms.arrays["region"]).astype(str)
    face = np.array([ELEMENT_COLOURS.get(e, "#999999") for e in sym], dtype=object)
    for reg, col in LI_BY_ORIGIN.items():
        face[(sym == "Li") & (region == reg)] = col
    return face


def shade_regions(ax, h, region, h_boundary: float, h_sei_top: float) -> None:
    """Region bands along the height axis (anode, SEI, electrolyte, counter electrode)."""
    lo, hi = float(h.min()) - 1.0, float(h.max()) + 1.0
    src = h[region == "source"]
    # the source slab's lower edge: its lowest tenth, so that single Li that left the slab
    # do not move it; never below the SEI top (the SEI band stays whole)
    h_src = max(h_sei_top, float(np.percentile(src, 10)) - 0.8) if src.size else hi
    bands = [("anode", lo, h_boundary), ("SEI", h_boundary, h_sei_top),
             ("electrolyte", h_sei_top, h_src), ("counter electrode", h_src, hi)]
    for name, a, b in bands:
        if b > a:
            ax.axhspan(a, b, color=REGION_SHADES[name], zorder=0, lw=0)
    ax.set_ylim(lo, hi)


def plot_sandwich(frames, png: str | Path, pdf: str | Path | None = None, *, times_ps, region_params: dict,
                  level_of_theory: str) -> dict[str, Any]:
    """Two side views (start, end) of the sandwich; returns the numbers drawn per panel.

    Parameters
    ----------
    frames
        Two frames read by :func:`lidendrite.io.lammps_dump.read_frames` (start and last).
    times_ps
        Their times (ps), for the panel titles.
    region_params
        Keyword arguments of :func:`~lidendrite.analysis.regions.analyse_regions` (``bond_cutoff`` etc.).
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    lx = float(frames[0].cell.lengths()[0])
    hz = float(np.ptp(unwrapped_positions(frames[0])[:, 2])) + 2
    width = min(2 * 0.12 * lx + 3.2, 13.0)
    fig, axes = figure(1, 2, figsize=(width, min(0.12 * hz + 3.0, 15.0)), sharey=True, layout="constrained")
    out = {}
    for ax, atoms, t, tag in zip(axes, frames, times_ps, "ab", strict=True):
        res, _, h = analyse_regions(atoms, **region_params)
        region = np.asarray(atoms.arrays["region"]).astype(str)
        bonds = new_li_anion_bonds(atoms, unwrapped_positions(atoms), bond_cutoff=region_params["bond_cutoff"])
        edge = np.full(len(atoms), "#333333", dtype=object)
        edge[bonds[:, 0]] = "#c0392b"
        shade_regions(ax, h, region, res.h_boundary, res.h_sei_top)
        side_view(ax, atoms, face=li_colours(atoms), edge=edge, lw=0.5)
        n_drawn = draw_pairs(ax, atoms, bonds)
        ax.set_xlim(-1.0, lx + 1.0)
        ax.set_title(f"({tag}) t = {t:.3g} ps\nSEI {res.sei_thickness:.1f} Å\n{len(bonds)} new Li–S/P/Cl bonds", fontsize=10)
        if tag == "b":
            ax.set_ylabel("")
        out[f"t_{t:g}_ps"] = {"h_boundary_angstrom": round(res.h_boundary, 3),
                              "sei_thickness_angstrom": round(res.sei_thickness, 3),
                              "n_new_li_anion_bonds": int(len(bonds)), "n_bonds_drawn": n_drawn}
    handles = [Patch(color=c, label=n) for n, c in REGION_SHADES.items()]
    handles += [Line2D([], [], marker="o", ls="", color=c, mec="#333", label=f"Li from {n}")
                for n, c in LI_BY_ORIGIN.items() if n != "source"]
    handles += [Line2D([], [], marker="o", ls="", color=ELEMENT_COLOURS[e], mec="#333", label=e)
                for e in ("S", "P", "Cl")]
    handles += [Line2D([], [], color="#c0392b", label="new bond of anode Li")]
    fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=9)
    fig.suptitle(f"Li | Li6PS5Cl sandwich, side view (paper Fig. 2a-b)\n{level_of_theory}", fontsize=11)
    save_figure(fig, png, pdf)
    return out
