"""What must be true (5): Li charges across a Li | Li6PS5Cl interface (lpsc Fig. 3).

Li inside the metal carries ~0 charge, Li in the electrolyte is clearly positive,
and the charge rises from the metal into the electrolyte. The lpsc paper's colour
scale runs 0 (anode) to +1 (bulk Li6PS5Cl); with its Table S2 parameters on
this small interface we get about +0.5 in the electrolyte (printed).
"""

from __future__ import annotations

import numpy as np
import pytest
from _qeq_structures import li_lpsc_interface

pytest.importorskip("jax")

from lidendrite.qeq.engine import QEqEngine  # noqa: E402


def test_li_charges_rise_from_metal_to_electrolyte():
    atoms = li_lpsc_interface(n_li=8, n_lpsc=2)
    res = QEqEngine(params="lpsc", mode="constq").calculate(atoms, with_forces=False)
    q = res.charges
    sym = np.array(atoms.get_chemical_symbols())
    region = atoms.arrays["region"]
    layer = atoms.arrays["layer"]
    li = sym == "Li"
    metal_inner = li & (region == "anode") & (layer >= 3)
    contact = li & (region == "anode") & (layer == 1)
    electrolyte = li & (region == "electrolyte")
    print(
        f"Li charge: metal interior {q[metal_inner].mean():+.3f} "
        f"(max |q| {np.abs(q[metal_inner]).max():.3f}), contact layer {q[contact].mean():+.3f}, "
        f"electrolyte {q[electrolyte].mean():+.3f} (min {q[electrolyte].min():+.3f}); "
        f"P {q[sym == 'P'].mean():+.3f} S {q[sym == 'S'].mean():+.3f} Cl {q[sym == 'Cl'].mean():+.3f}"
    )
    assert np.abs(q[metal_inner]).max() < 0.05  # metallic: near 0
    assert q[electrolyte].min() > 0.2  # every electrolyte Li clearly positive (Li+ like)
    assert q[metal_inner].mean() < q[contact].mean() < q[electrolyte].mean()
    assert q[sym == "S"].max() < 0 and q[sym == "Cl"].max() < 0  # anions
    assert abs(q.sum()) < 1e-10
