"""History of the ec concurrent learning (DP-QEq exploration, ec paper 2.2.3).

Left: explored frames per iteration classified by the force model deviation of
the DP_short models (accurate < lo <= candidate < hi <= failed eV/Angstrom with
the record's ``trust_f`` = [lo, hi]; the paper's window is [0.1, 0.2]). Right:
the deviation of every explored frame, one colour per exploration (structure,
ConstQ/ConstP, temperature), with the window drawn and, for a run that stopped
early, the step and the reason recorded by the exploration.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from lidendrite.plotting.style import figure, save_figure

__all__ = ["plot_ec_active_learning"]

_CLASSES = (("accurate", "C2"), ("candidate", "C1"), ("failed", "C3"))


def plot_ec_active_learning(
    record: str | Path | dict[str, Any], png: str | Path, pdf: str | Path | None = None, *,
    level_of_theory: str = "",
) -> np.ndarray:
    """Draw the record of :func:`lidendrite.dpqeq.active_learning.run_active_learning`.

    Returns ``[n_iterations, 3]`` counts (accurate, candidate, failed).
    """
    if not isinstance(record, dict):
        record = json.loads(Path(record).read_text())
    its = record["iterations"]
    lo, hi = record["trust_f"]
    fig, (ax_c, ax_d) = figure(1, 2, figsize=(15.0, 5.2))
    x = np.arange(len(its))
    counts = np.array([[e.get(c, 0) for c, _ in _CLASSES] for e in its], dtype=float).reshape(-1, 3)
    bottom = np.zeros(len(its))
    for k, (cls, color) in enumerate(_CLASSES):
        ax_c.bar(x, counts[:, k], bottom=bottom, color=color, label=cls)
        bottom += counts[:, k]
    for i, e in enumerate(its):
        ax_c.text(i, bottom[i], f"labelled {e.get('n_labelled', 0)}", ha="center", va="bottom")
    ax_c.set_xticks(x, [str(e["iteration"]) for e in its])
    ax_c.set_xlabel("iteration")
    ax_c.set_ylabel("explored frames")
    ax_c.set_ylim(0, max(1.0, bottom.max()) * 1.6)
    ax_c.legend(loc="upper right")
    start = 0
    for i, e in enumerate(its):
        for j, ex in enumerate(e["explorations"]):
            d = np.asarray(ex["max_devi_f"], float)
            idx = start + np.arange(d.size)
            lbl = f"it {i}: {ex['structure'].removeprefix('ec-')} {ex['mode']} {ex['temperature_K']:g} K"
            stop = ex.get("stopped_early")
            if stop:
                lbl += f" (stopped at step {stop['step']}: {stop.get('reason', 'see record')})"
            ax_d.plot(idx, d, "o", ms=4, color=f"C{(4 + j) % 10}", label=lbl)
            start += d.size
    ax_d.axhline(lo, ls="--", color="k", lw=1)
    ax_d.axhline(hi, ls=":", color="k", lw=1)
    ax_d.axhspan(lo, hi, color="C1", alpha=0.12, label=f"labelled window [{lo:g}, {hi:g})")
    ax_d.set_xlabel("explored frame (all iterations)")
    ax_d.set_ylabel("DP_short max force deviation (eV/Å)")
    top = max(1.6 * hi, max((max(ex["max_devi_f"], default=0) for e in its for ex in e["explorations"]), default=0) * 1.1)
    ax_d.set_ylim(0, top)
    ax_d.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, borderaxespad=0.0)
    conv = "converged" if record.get("converged") else "not converged"
    fig.suptitle(f"ec concurrent learning with DP-QEq MD ({conv})\nlabels: {level_of_theory}", fontsize=11)
    save_figure(fig, png, pdf)
    return counts
