"""QEq charges of MD frames (lpsc SI 5: Table S2 parameters, ConstQ, total charge 0).

Uses :class:`lidendrite.qeq.calculator.QEqCalculator`; the charges are stored
as the per-atom array ``charges`` (e).  Mean Li charges per starting region
summarise the picture of lpsc Fig. 3 (anode ~0, electrolyte ~+1).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["qeq_charges", "li_charge_summary"]


def qeq_charges(atoms, **settings: Any) -> np.ndarray:
    """Solve ConstQ QEq on ``atoms`` and store ``atoms.arrays['charges']`` (e); return them.

    ``settings`` are fields of :class:`lidendrite.qeq.settings.QEqSettings`
    (default: ``params='lpsc'``, ``mode='constq'``, ``total_charge=0``).
    """
    from lidendrite.qeq.calculator import QEqCalculator

    kw = {"params": "lpsc", "mode": "constq", "total_charge": 0.0, **settings}
    a = atoms.copy()
    a.calc = QEqCalculator(**kw)
    a.get_potential_energy()
    q = np.asarray(a.calc.results["charges"], dtype=float)
    atoms.new_array("charges", q) if "charges" not in atoms.arrays else atoms.set_array("charges", q)
    return q


def li_charge_summary(atoms) -> dict[str, float | None]:
    """Mean QEq charge (e) of Li by starting region (``anode``, ``electrolyte``, ``source``)."""
    q = atoms.arrays["charges"]
    li = np.asarray(atoms.get_chemical_symbols()) == "Li"
    region = np.asarray(atoms.arrays["region"]).astype(str)
    out: dict[str, float | None] = {}
    for reg in ("anode", "electrolyte", "source"):
        m = li & (region == reg)
        out[f"mean_li_charge_{reg}_e"] = round(float(q[m].mean()), 4) if m.any() else None
    out["total_charge_e"] = round(float(q.sum()), 8)
    return out
