"""Fig. S11 of the ec paper: normalised anode and cathode Li charges over time under
several ConstP biases, with the paper's plateau values drawn as dashed lines."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lidendrite.plotting.style import figure, save_figure

__all__ = ["plot_figS11"]


def plot_figS11(study: Mapping[str, Any], png, pdf=None) -> None:
    """Panels (anode, cathode): normalised Li charge (e per Li) vs time (ps), one line
    per (phi_anode, phi_cathode) run, the paper's values as dashed lines; a second row
    with the mean charge of the biased (metallic) electrode Li, titled with the
    measured bias effect (``effect_electrode``) beside the paper's.

    ``study`` is the ``bias_study.json`` dict (:func:`lidendrite.constp.stages.bias_study_summary`).
    """
    electrode = "effect_electrode" in study and all(
        "anode_biased_li_charge" in r for r in study["runs"]
    )
    fig, grid = figure(
        2 if electrode else 1, 2, figsize=(9.0, 7.0 if electrode else 3.8),
        constrained_layout=True, squeeze=False,
    )
    paper = study.get("paper", {})
    colours = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown"]
    markers = ["o", "s", "^", "v", "D", "x"]
    styles = ["-", "--", ":", "-."]
    axes = grid[0]
    if electrode:
        _electrode_row(grid[1], study, colours, markers, styles)
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
        eff = (study.get("effect") or {}).get(side)
        ax.set_title(f"{side} side" + (f": {_effect_text(eff, side)}" if eff else ""), fontsize=9)
    axes[0].legend(fontsize=7, loc="best")
    fig.suptitle(
        f"Fig. S11: normalised Li charge under ConstP bias, {study.get('scale', '')} "
        "scale (dashed: paper)",
        fontsize=9,
    )
    save_figure(fig, png, pdf)


def _paper_effect(study: Mapping[str, Any], side: str) -> float | None:
    """The paper's change of the normalised ``side`` Li charge (ec sec. 3.2, Fig. S11)."""
    vals = study.get("paper", {}).get(f"{side}_li_charge", {})
    keys = ("phi_minus1", "phi_minus2") if side == "anode" else ("phi_plus6", "phi_plus7")
    if all(k in vals and vals[k] is not None for k in keys):
        return vals[keys[1]] - vals[keys[0]]
    return None


def _effect_text(eff: Mapping[str, Any], side: str) -> str:
    return (
        f"{eff['from_phi']:+g} -> {eff['to_phi']:+g} V: {eff['delta']:+.3f} +- "
        f"{eff['stderr']:.3f} e"
    )


def _electrode_row(axes, study, colours, markers, styles) -> None:
    """Mean charge of the biased electrode Li per run, with the effect in the title."""
    for ax, side in zip(axes, ("anode", "cathode"), strict=True):
        for k, run in enumerate(study["runs"]):
            q = [v if v is not None else float("nan") for v in run[f"{side}_biased_li_charge"]]
            ax.plot(
                run["time_ps"],
                q,
                ls=styles[k % len(styles)],
                marker=markers[k % len(markers)],
                ms=4,
                mfc="none",
                color=colours[k % len(colours)],
            )
        eff = study["effect_electrode"].get(side)
        paper = _paper_effect(study, side)
        title = f"biased {side} Li"
        if eff:
            title += f": {_effect_text(eff, side)}"
        if paper is not None:
            title += f" (paper {paper:+.2f})"
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("time (ps)")
        ax.set_ylabel("mean charge of biased Li (e)")
