"""Parity plots of the ec potentials on the test set (ec Fig. 2a; Figs. S2-S8 per structure).

Four panels: energy per atom and force components of the full DP (top) and
of DP-QEq (bottom) against the labels, the line y = x, this run's RMSE, and
the paper's test RMSE as a dashed band (full DP 3.0 meV/atom, 0.15 eV/A;
DP-QEq 6.7 meV/atom, 0.19 eV/A; ``config/paper_values.yaml``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from lidendrite.plotting.parity import _panel
from lidendrite.plotting.style import figure, paper_value, save_figure

__all__ = ["plot_ec_parity"]

_PAPER = {
    "full DP": ("full_dp_test_energy_rmse", "full_dp_test_force_rmse"),
    "DP-QEq": ("dpqeq_test_energy_rmse", "dpqeq_test_force_rmse"),
}


def _load(a: str | Path | dict[str, Any]) -> dict[str, Any]:
    if isinstance(a, dict):
        return a
    with np.load(a) as z:
        return {k: z[k] for k in z.files}


def plot_ec_parity(
    full_dp: str | Path | dict[str, Any],
    dpqeq: str | Path | dict[str, Any],
    png: str | Path,
    pdf: str | Path | None = None,
    *,
    level_of_theory: str,
    title: str = "ec test set (NVT frames of the single interface, not used in training)",
) -> dict[str, dict[str, float]]:
    """Draw the 2 x 2 parity figure; return the RMSEs drawn (meV/atom, meV/Angstrom)."""
    fig, axes = figure(2, 2, figsize=(11.5, 11.0))
    drawn = {}
    for row, (name, arrays) in enumerate((("full DP", _load(full_dp)), ("DP-QEq", _load(dpqeq)))):
        e_lab = np.asarray(arrays["energy_per_atom_label"], float)
        e_pred = np.asarray(arrays["energy_per_atom_pred"], float)
        f_lab = np.asarray(arrays["force_label"], float).ravel()
        f_pred = np.asarray(arrays["force_pred"], float).ravel()
        e_rmse = 1e3 * float(np.sqrt(np.mean((e_pred - e_lab) ** 2)))
        f_rmse = 1e3 * float(np.sqrt(np.mean((f_pred - f_lab) ** 2)))
        key_e, key_f = _PAPER[name]
        paper_e = paper_value("ec", key_e)
        paper_f = 1e3 * paper_value("ec", key_f)  # eV/A in paper_values -> meV/A
        shift = float(np.mean(e_lab))
        ax_e, ax_f = axes[row]
        _panel(ax_e, e_lab - shift, e_pred - shift, rmse=e_rmse, unit="meV/atom", paper=paper_e,
               quantity=f"{name}: energy ({e_lab.size} frames)", scale=1e3)
        ax_e.set_xlabel(f"label energy {-shift:+.3f} (eV/atom)")
        ax_e.set_ylabel(f"{name} energy {-shift:+.3f} (eV/atom)")
        _panel(ax_f, f_lab, f_pred, rmse=f_rmse, unit="meV/Å", paper=paper_f,
               quantity=f"{name}: force components ({f_lab.size})", scale=1e3)
        ax_f.set_xlabel("label force (eV/Å)")
        ax_f.set_ylabel(f"{name} force (eV/Å)")
        drawn[name] = {"energy_rmse_meV_per_atom": e_rmse, "force_rmse_meV_per_A": f_rmse}
    fig.suptitle(f"{title}\nlabels: {level_of_theory}", fontsize=11)
    save_figure(fig, png, pdf)
    return drawn
