"""DP-GEN iteration history: accurate / candidate / failed fractions of the explored frames.

Reads the history JSON of :func:`lidendrite.training.dpgen_record.iteration_history`
(``iterations[i].{accurate,candidate,failed}_fraction``) and draws one stacked
bar per iteration that explored frames, with the convergence threshold (lpsc
SI 2.2: more than 99 % accurate) as a dashed line. The exploration
temperatures of each iteration label its bar.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from lidendrite.plotting.style import figure, save_figure

__all__ = ["plot_dpgen_history"]

_CLASSES = (("accurate", "C2"), ("candidate", "C1"), ("failed", "C3"))


def plot_dpgen_history(
    history: str | Path | dict[str, Any],
    png: str | Path,
    pdf: str | Path | None = None,
    *,
    level_of_theory: str = "",
) -> np.ndarray:
    """Stacked bars of the classified explored frames per DP-GEN iteration.

    Parameters
    ----------
    history
        History dict or its JSON file.
    png, pdf
        Output files.
    level_of_theory
        The labeller of the candidates (printed in the title).

    Returns
    -------
    numpy.ndarray
        ``[n_iterations_drawn, 3]`` percentages (accurate, candidate, failed).
    """
    if not isinstance(history, dict):
        history = json.loads(Path(history).read_text())
    its = [e for e in history["iterations"] if e.get("n_explored")]
    fig, ax = figure(figsize=(max(8.0, 1.3 * len(its) + 5.5), 4.8))
    if not its:
        ax.text(
            0.5,
            0.5,
            "no iteration explored frames yet",
            ha="center",
            va="center",
            transform=ax.transAxes,
        )
    x = np.arange(len(its))
    bottom = np.zeros(len(its))
    drawn = []
    for cls, color in _CLASSES:
        frac = np.array([100.0 * (e.get(f"{cls}_fraction") or 0.0) for e in its])
        drawn.append(frac)
        ax.bar(x, frac, bottom=bottom, color=color, width=0.6, label=cls)
        for xi, b, f in zip(x, bottom, frac, strict=True):
            if f >= 6:
                ax.text(xi, b + f / 2, f"{f:.0f} %", ha="center", va="center", fontsize=9)
        bottom += frac
    thr = 100.0 * float(history.get("accurate_threshold", 0.99))
    ax.axhline(
        thr, ls="--", color="k", lw=1, label=f"converged:\n> {thr:g} % accurate\n(paper SI 2.2)"
    )
    ax.set_xticks(x)
    ax.set_xticklabels(
        [
            f"iter {e['iteration']}\n{'/'.join(f'{t:g}' for t in e.get('temps', []))} K"
            f"{', ' + e['ensemble'] if e.get('ensemble') else ''}\n"
            f"{e['n_explored']} frames"
            for e in its
        ],
        fontsize=9,
    )
    ax.set_xlim(-0.8, max(len(its), 1) - 0.2)
    ax.set_ylim(0, 105)
    ax.set_ylabel("explored frames (%)")
    ax.set_xlabel("DP-GEN iteration (exploration temperatures and ensemble, frames)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9)
    ax.set_title(
        "DP-GEN model-deviation classes"
        + (f"\nlabels: {level_of_theory}" if level_of_theory else ""),
        fontsize=10,
    )
    save_figure(fig, png, pdf)
    return np.array(drawn).T.reshape(len(its), 3)
