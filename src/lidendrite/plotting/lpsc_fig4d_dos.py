"""lpsc Fig. 4d: PBE density of states of bulk Li6PS5Cl and of the SEI slab, energies relative to E_F.

Reads the CP2K DOS histograms copied by the ``band_gap`` rule
(:func:`lidendrite.dft.band_gap.read_dos`) and the gaps of their JSONs; the
paper's gaps (2.15 eV bulk, 0 eV SEI, ``config/paper_values.yaml``) are
written beside this run's.  Each DOS is smoothed by a Gaussian of
``sigma_ev`` for the eye only (the gap comes from the raw histogram) and
normalised per atom.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from lidendrite.dft.band_gap import read_dos
from lidendrite.plotting.style import figure, paper_value, save_figure

__all__ = ["plot_dos"]

PAPER_KEYS = {"bulk": ("band_gap_lpsc", "bulk Li6PS5Cl"), "sei": ("band_gap_sei", "SEI slab")}


def _smooth(e: np.ndarray, g: np.ndarray, sigma: float) -> np.ndarray:
    de = float(np.median(np.diff(e)))
    half = int(np.ceil(4 * sigma / de))
    k = np.exp(-0.5 * (np.arange(-half, half + 1) * de / sigma) ** 2)
    return np.convolve(g, k / k.sum(), mode="same")


def plot_dos(systems: dict[str, tuple[str | Path, dict]], png: str | Path, pdf: str | Path | None = None, *,
             window_ev: tuple[float, float] = (-6.0, 4.0), sigma_ev: float = 0.1) -> dict[str, Any]:
    """Stacked DOS panels; ``systems`` maps ``bulk``/``sei`` to (DOS file, band-gap JSON dict)."""
    fig, axes = figure(len(systems), 1, figsize=(6.4, 2.6 * len(systems) + 1.0), sharex=True, squeeze=False)
    out = {}
    for ax, (name, (dos_file, summary)) in zip(axes[:, 0], systems.items(), strict=True):
        e, g, ef = read_dos(dos_file, summary.get("fermi_ev"))  # k-point DOS files have no E_Fermi
        key, label = PAPER_KEYS[name]
        paper = paper_value("lpsc", key)
        gap = float(summary["band_gap_ev"])
        x = e - ef
        y = _smooth(e, g, sigma_ev) / max(int(summary["n_atoms"]), 1)
        m = (x >= window_ev[0]) & (x <= window_ev[1])
        ax.fill_between(x[m], y[m], color="C0" if name == "bulk" else "C3", alpha=0.35, lw=0)
        ax.plot(x[m], y[m], color="C0" if name == "bulk" else "C3", lw=1.2)
        ax.axvline(0.0, color="k", ls="--", lw=1)
        ax.text(0.02, 0.93, f"{label} ({summary['n_atoms']} atoms, k {summary['kpoints']})\n"
                            f"gap this run {gap:.2f} eV, paper {paper:g} eV",
                transform=ax.transAxes, va="top", fontsize=10)
        ax.set_ylabel("DOS (states/eV/atom)")
        ax.set_ylim(bottom=0)
        out[name] = {"band_gap_ev": gap, "paper_band_gap_ev": paper, "fermi_ev": summary["fermi_ev"]}
    axes[-1, 0].set_xlabel("E − E_F (eV)")
    lot = next(iter(systems.values()))[1]["level_of_theory"]
    comparable = all(s.get("comparable_to_paper", False) for _, s in systems.values())
    note = "" if comparable else "\n(small basis/k-points at this scale: not comparable to the paper's gaps)"
    axes[0, 0].set_title(f"PBE DOS, bulk Li6PS5Cl vs SEI slab (paper Fig. 4d)\n{lot}{note}", fontsize=9)
    save_figure(fig, png, pdf)
    return out
