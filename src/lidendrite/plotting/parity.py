"""Parity plots of a Deep Potential against its labels (lpsc Fig. 1d-e test set, Fig. S1 training set).

Two panels: energy per atom (DP vs label, eV/atom) and force components (DP vs
label, eV/Angstrom), the line y = x, this run's RMSE, and the paper's RMSE
(5.45 meV/atom, 93.9 meV/Angstrom, ``config/paper_values.yaml``) drawn as the
dashed band y = x +- RMSE_paper. Energies are shifted by the mean label so the
two axes show the spread the RMSE is measured against.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from lidendrite.plotting.style import figure, paper_value, save_figure

__all__ = ["plot_parity"]


def _panel(ax, x, y, *, rmse: float, unit: str, paper: float | None, quantity: str, scale: float):
    """One parity panel; ``x``, ``y`` in eV units, ``rmse``/``paper`` in meV units."""
    lo = float(min(np.min(x), np.min(y)))
    hi = float(max(np.max(x), np.max(y)))
    pad = 0.05 * (hi - lo if hi > lo else 1.0)
    lo, hi = lo - pad, hi + pad
    ax.plot(
        x,
        y,
        "o",
        ms=3 if x.size < 2000 else 1.5,
        alpha=0.6,
        color="C0",
        mec="none",
        label=f"this run: RMSE {rmse:.3g} {unit}",
    )
    line = np.array([lo, hi])
    ax.plot(line, line, "-", color="k", lw=1)
    if paper is not None:
        d = paper / scale
        ax.fill_between(line, line - d, line + d, color="C3", alpha=0.12, lw=0)
        ax.plot(
            line, line + d, "--", color="C3", lw=1, label=f"paper: RMSE {paper:g} {unit} (band)"
        )
        ax.plot(line, line - d, "--", color="C3", lw=1)
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_aspect("equal")
    ax.legend(loc="upper left")
    ax.set_title(quantity)


def plot_parity(
    arrays: str | Path | dict[str, Any],
    png: str | Path,
    pdf: str | Path | None = None,
    *,
    title: str,
    level_of_theory: str,
    study: str = "lpsc",
    show_paper: bool = True,
) -> dict[str, float]:
    """Draw energy and force parity panels from :func:`lidendrite.training.deepmd_run.test` arrays.

    Parameters
    ----------
    arrays
        The ``.npz`` written by ``write_test_summary`` or a dict with
        ``energy_per_atom_label/pred`` (``[n_frames]``, eV/atom) and
        ``force_label/pred`` (``[n_atoms, 3]``, eV/Angstrom).
    png, pdf
        Output files.
    title
        Figure title (e.g. "DP test set: 185-atom Li/Li6PS5Cl interface, NPT DPMD").
    level_of_theory
        What labelled the reference data (printed under the title).
    study, show_paper
        Where to look up ``dp_test_energy_rmse`` / ``dp_test_force_rmse``, and
        whether to draw them.

    Returns
    -------
    dict
        The RMSEs drawn: ``energy_rmse_meV_per_atom``, ``force_rmse_meV_per_A``.
    """
    if not isinstance(arrays, dict):
        with np.load(arrays) as z:
            arrays = {k: z[k] for k in z.files}
    e_lab = np.asarray(arrays["energy_per_atom_label"], float)
    e_pred = np.asarray(arrays["energy_per_atom_pred"], float)
    f_lab = np.asarray(arrays["force_label"], float).ravel()
    f_pred = np.asarray(arrays["force_pred"], float).ravel()
    e_rmse = 1e3 * float(np.sqrt(np.mean((e_pred - e_lab) ** 2)))
    f_rmse = 1e3 * float(np.sqrt(np.mean((f_pred - f_lab) ** 2)))
    shift = float(np.mean(e_lab))
    paper_e = paper_value(study, "dp_test_energy_rmse") if show_paper else None
    paper_f = paper_value(study, "dp_test_force_rmse") if show_paper else None

    fig, (ax_e, ax_f) = figure(1, 2, figsize=(11.5, 5.6))
    _panel(
        ax_e,
        e_lab - shift,
        e_pred - shift,
        rmse=e_rmse,
        unit="meV/atom",
        paper=paper_e,
        quantity=f"energy ({e_lab.size} frames; mean label {shift:.3f} eV/atom)",
        scale=1e3,
    )
    ax_e.set_xlabel("label energy - mean label (eV/atom)")
    ax_e.set_ylabel("DP energy - mean label (eV/atom)")
    _panel(
        ax_f,
        f_lab,
        f_pred,
        rmse=f_rmse,
        unit="meV/Å",
        paper=paper_f,
        quantity=f"force components ({f_lab.size})",
        scale=1e3,
    )
    ax_f.set_xlabel("label force (eV/Å)")
    ax_f.set_ylabel("DP force (eV/Å)")
    if np.abs(f_lab).max() > 50.0:  # no sane structure has 50 eV/A forces: overlapping atoms
        fig.text(
            0.5,
            -0.02,
            "warning: label forces above 50 eV/Å: these frames hold overlapping "
            "atoms (the DPMD collapsed; the model is under-trained)",
            ha="center",
            color="C3",
            fontsize=11,
        )
    fig.suptitle(f"{title}\nlabels: {level_of_theory}", fontsize=11)
    save_figure(fig, png, pdf)
    return {"energy_rmse_meV_per_atom": e_rmse, "force_rmse_meV_per_A": f_rmse}
