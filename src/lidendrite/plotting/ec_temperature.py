"""Temperature of every ec DP-QEq run against its 300 K thermostat (held or not)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lidendrite.plotting.style import figure, save_figure

__all__ = ["plot_temperatures"]


def plot_temperatures(summary: Mapping[str, Any], png, pdf=None, *, note: str = "") -> None:
    """One line per run (K vs ps), the target and its tolerance band shaded.

    ``summary`` is :func:`lidendrite.analysis.ec_temperature.temperature_summary`'s dict.
    """
    fig, ax = figure(figsize=(10.0, 4.6), constrained_layout=True)
    target, tol = summary["target_K"], summary["tolerance_K"]
    ax.axhspan(
        target - tol, target + tol, color="0.9", zorder=0, label=f"{target:g} $\\pm$ {tol:g} K"
    )
    ax.axhline(target, color="0.4", lw=0.8, ls="--")
    import matplotlib.pyplot as plt

    colours = plt.get_cmap("tab20").colors  # 15+ runs: tab10 would repeat its colours
    for k, (label, run) in enumerate(summary["runs"].items()):
        mark = "" if run["held"] else " (not held)"
        if run.get("stopped"):
            # "<name> step N: kinetic temperature T K passed ..." -> "(stopped: T K at step N)"
            where, what = run["stopped"].split(": ", 1)
            temp = what.split(" passed")[0].removeprefix("kinetic temperature ")
            mark = f" (stopped: {temp} at step {where.split()[-1]})"
        ax.plot(
            run["time_ps"],
            run["temperature_K"],
            marker=".",
            ms=3,
            lw=1.0,
            color=colours[k % len(colours)],
            label=f"{label}: end {run['t_end_K']:.0f} K{mark}",
        )
    ax.set_xlabel("time within the run (ps)")
    ax.set_ylabel("temperature (K)")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    title = (
        f"ec DP-QEq and full-DP runs: {summary['n_held']} of {summary['n_runs']} held "
        f"({summary['criterion']})"
    )
    if note:
        title += f"\n{note}"
    ax.set_title(title, fontsize=9)
    save_figure(fig, png, pdf)
