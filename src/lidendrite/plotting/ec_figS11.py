"""Fig. S11 of the ec paper: normalised anode and cathode Li charges over time under
several ConstP biases, with the paper's plateau values drawn as dashed lines."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lidendrite.plotting.style import figure, save_figure

__all__ = ["plot_figS11"]


def plot_figS11(study: Mapping[str, Any], png, pdf=None) -> None:
    """Two panels (anode, cathode): normalised Li charge (e per Li) vs time (ps), one
    line per (phi_anode, phi_cathode) run; the paper's values as dashed lines.

    ``study`` is the ``bias_study.json`` dict (:func:`lidendrite.constp.stages.bias_study_summary`).
    """
    fig, axes = figure(1, 2, figsize=(9.0, 3.8), constrained_layout=True)
    paper = study.get("paper", {})
    colours = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown"]
    markers = ["o", "s", "^", "v", "D", "x"]
    styles = ["-", "--", ":", "-."]
    for ax, side in zip(axes, ("anode", "cathode"), strict=True):
        for k, run in enumerate(study["runs"]):
            t = run["time_ps"]
            q = [v if v is not None else float("nan") for v in run[f"{side}_li_charge"]]
            label = f"$\\phi_1$ = {run['phi_anode']:+g} V, $\\phi_2$ = {run['phi_cathode']:+g} V"
            # distinct markers and dashes: runs that share a bias overlap on one side
            ax.plot(
                t,
                q,
                ls=styles[k % len(styles)],
                marker=markers[k % len(markers)],
                ms=5,
                mfc="none",
                color=colours[k % len(colours)],
                label=label,
            )
        for key, val in paper.get(f"{side}_li_charge", {}).items():
            phi = key.removeprefix("phi_").replace("minus", "-").replace("plus", "+")
            ax.axhline(val, ls="--", lw=1.0, color="0.35")
            ax.annotate(
                f"paper {phi} V: {val:.2f}",
                (1.0, val),
                xycoords=("axes fraction", "data"),
                xytext=(-4, 3),
                textcoords="offset points",
                ha="right",
                va="bottom",
                fontsize=7,
                color="0.3",
            )
        ax.set_xlabel("time (ps)")
        ax.set_ylabel("normalised Li charge Q (e per Li)")
        ax.set_title(f"{side} side")
    axes[0].legend(fontsize=7, loc="best")
    fig.suptitle(
        f"Fig. S11: normalised Li charge under ConstP bias, {study.get('scale', '')} "
        "scale (dashed: paper)",
        fontsize=9,
    )
    save_figure(fig, png, pdf)
