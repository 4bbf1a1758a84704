"""Fig. 2b-c of the ec paper: RDFs of DP-QEq vs full-DP ConstQ MD, and the energies of the
DP-QEq trajectory by DP-QEq, full DP and the labeller (each minus its mean)."""

from __future__ import annotations

import textwrap

import numpy as np

from lidendrite.plotting.style import figure, save_figure

__all__ = ["plot_fig2b", "plot_fig2c"]


def _title(head: str, verdict: str, note: str, width: int) -> str:
    """Title lines: the head, then the verdict and the note wrapped to ``width`` characters,
    so a long verdict does not widen the figure past its axes."""
    lines = [head]
    if verdict:
        lines += textwrap.wrap(f"This run: {verdict}", width)
    if note:
        lines += textwrap.wrap(note, width)
    return "\n".join(lines)


def plot_fig2b(rdfs: dict, png, pdf=None, *, note: str = "", verdict: str = "") -> None:
    """One panel per element pair: g(r) of DP-QEq (solid) and full DP (dashed)."""
    fig, axes = figure(1, len(rdfs), figsize=(3.8 * len(rdfs), 3.9), squeeze=False, constrained_layout=True)
    for ax, (pair, d) in zip(axes[0], rdfs.items(), strict=True):
        ax.plot(d["r"], d["g_a"], color="tab:red", label="DP-QEq")
        ax.plot(d["r"], d["g_b"], color="tab:blue", ls="--", label="full DP")
        diff = d["abs_diff_fraction"]
        ax.set_title(f"{pair}" + (f"  (|Δg| {100 * diff:.0f} %)" if diff is not None else ""), fontsize=11)
        ax.set_xlabel("r (Å)")
        ax.set_ylim(bottom=0)
        ax.legend(fontsize=9)
    axes[0][0].set_ylabel("g(r) (per mean cell density)")
    sup = _title("RDFs of ConstQ NVT: DP-QEq vs full DP (ec Fig. 2b; paper: the curves nearly coincide)",
                 verdict, note, width=int(45 * len(rdfs)))
    fig.suptitle(sup, fontsize=9)
    save_figure(fig, png, pdf)


def plot_fig2c(times_ps: np.ndarray, comparison: dict, png, pdf=None, *, labels: dict, note: str = "",
               verdict: str = "") -> None:
    """Centred energies (meV/atom) along the DP-QEq trajectory for each method."""
    fig, ax = figure(figsize=(7.2, 4.4), constrained_layout=True)
    styles = {"dpqeq": ("tab:red", "-", "o"), "full_dp": ("tab:blue", "--", "s"), "labeller": ("k", ":", "^")}
    for k, e in comparison["centred_meV_per_atom"].items():
        col, ls, mk = styles.get(k, ("0.4", "-", "."))
        lab = labels.get(k, k)
        rmse = comparison.get(f"rmse_vs_dpqeq_meV_per_atom_{k}")
        if rmse is not None:
            lab += f" (RMSE vs DP-QEq {rmse:.2f} meV/atom)"
        ax.plot(times_ps, e, color=col, ls=ls, marker=mk, ms=4, label=lab)
    ax.set_xlabel("time (ps)")
    ax.set_ylabel("E - <E> (meV/atom)")
    ax.legend(fontsize=8)
    sup = _title("Energies along the DP-QEq ConstQ trajectory (ec Fig. 2c; paper: DP-QEq, full DP and DFT agree)",
                 verdict, note, width=100)
    ax.set_title(sup, fontsize=9)
    save_figure(fig, png, pdf)
