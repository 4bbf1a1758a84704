"""CV(t) against the moving-restraint centre s0(t) of the lpsc DPMD (lpsc SI 4, issue 5).

Reads the PLUMED COLVAR (:func:`lidendrite.io.colvar.read_colvar`,
columns ``time`` ps, ``cv`` and ``mr.cv_cntr``).  CV = CN(Li-Li) - CN(Li-S) -
CN(Li-P) - CN(Li-Cl) (Table S1 switching functions); the gap between the two
curves is what the restraint force 1/2 kappa (s - s0)^2 acts on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from lidendrite.io.colvar import read_colvar
from lidendrite.plotting.style import figure, paper_value, save_figure

__all__ = ["plot_cv"]


def plot_cv(colvar: str | Path, png: str | Path, pdf: str | Path | None = None, *, kappa_ev: float,
            level_of_theory: str) -> dict[str, Any]:
    """CV and s0 vs time; returns their first and last values and the largest lag |CV - s0|."""
    from lidendrite.errors import InputError

    d = read_colvar(colvar)
    for key in ("time", "cv", "mr.cv_cntr"):
        if key not in d:
            raise InputError(f"{colvar}: COLVAR has no column '{key}'")
    t, cv, s0 = d["time"], d["cv"], d["mr.cv_cntr"]
    fig, ax = figure()
    ax.plot(t, s0, color="k", ls="--", lw=1.5, label="restraint centre s0(t)")
    ax.plot(t, cv, color="C3", lw=1.5, label="CV s(R)")
    ax.set_xlabel("time (ps)")
    ax.set_ylabel("CV (coordination numbers)")
    ax.legend(loc="best")
    ax.set_title(f"Moving restraint, κ = {kappa_ev:g} eV (paper {paper_value('lpsc', 'kappa'):g} eV)\n{level_of_theory}",
                 fontsize=10)
    save_figure(fig, png, pdf)
    lag = np.abs(cv - s0)
    return {"cv_start": round(float(cv[0]), 4), "cv_end": round(float(cv[-1]), 4),
            "s0_start": round(float(s0[0]), 4), "s0_end": round(float(s0[-1]), 4),
            "max_abs_cv_minus_s0": round(float(lag.max()), 4), "t_end_ps": round(float(t[-1]), 4)}
