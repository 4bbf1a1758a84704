"""Toy Li-metal | Li/S/P/Cl structure for the sampling tests (no other builder used).

A BCC Li slab (3 x 3 cells in x and y, 10 (001) layers, layer 1 on top,
facing the electrolyte) under a jittered 3 x 3 x 3 grid of electrolyte
atoms (Li, S, P, Cl), then vacuum; orthorhombic, periodic in x, y, z.
"""

from __future__ import annotations

import numpy as np
from ase import Atoms

from lidendrite.config import schema_default

__all__ = ["toy_interface", "TOY_SPECIES", "SWITCH", "N_ANODE_LAYERS", "CV"]

#: LAMMPS type order used by the tests
TOY_SPECIES = ("Li", "P", "S", "Cl")
#: the CV's switching functions (Table S1) and anode depth, from the config: the CV
#: functions have no defaults, so the tests take the pipeline's values from its one source
SWITCH = {
    k: schema_default(f"lpsc.sampling.{k}")
    for k in ("r0_li_li", "r0_li_s", "r0_li_p", "r0_li_cl", "n", "m")
}
N_ANODE_LAYERS = schema_default("lpsc.sampling.n_anode_layers")
#: keywords of cv_coordination_numpy / cv_gradient_numpy without pre-selected groups
CV = {**SWITCH, "n_anode_layers": N_ANODE_LAYERS}


def toy_interface(
    *,
    a_li: float = 3.44,
    n_cells_xy: int = 3,
    n_layers: int = 10,
    gap: float = 2.4,
    grid_z: float = 2.5,
    vacuum_top: float = 12.0,
    jitter: float = 0.2,
    seed: int = 7,
) -> Atoms:
    """Return the toy interface with ``region`` and ``layer`` arrays (Angstrom)."""
    rng = np.random.default_rng(seed)
    lxy = a_li * n_cells_xy
    half = a_li / 2.0
    pos, sym, region, layer = [], [], [], []
    for k in range(n_layers):  # layer index counted from the top (electrolyte side)
        z = (n_layers - 1 - k) * half
        shift = half if (n_layers - 1 - k) % 2 else 0.0
        for i in range(n_cells_xy):
            for j in range(n_cells_xy):
                pos.append([i * a_li + shift, j * a_li + shift, z])
                sym.append("Li")
                region.append("anode")
                layer.append(k + 1)
    z0 = (n_layers - 1) * half + gap
    species = (
        ["S", "Li", "Li", "Li", "P", "Li", "Li", "Cl", "Li"]
        + ["Li", "S", "Li", "Li", "Cl", "Li", "Li", "S", "Li"]
        + ["Li", "Li", "S", "Li", "Li", "Li", "Cl", "Li", "S"]
    )
    n = 0
    for kz in range(3):
        for i in range(3):
            for j in range(3):
                p = np.array([(i + 0.5) * lxy / 3, (j + 0.5) * lxy / 3, z0 + kz * grid_z])
                pos.append(p + rng.uniform(-jitter, jitter, 3))
                sym.append(species[n])
                region.append("electrolyte")
                layer.append(-1)
                n += 1
    lz = z0 + 2 * grid_z + vacuum_top
    atoms = Atoms(sym, positions=np.array(pos), cell=[lxy, lxy, lz], pbc=True)
    atoms.set_array("region", np.array(region, dtype="U16"))
    atoms.set_array("layer", np.array(layer, dtype=int))
    return atoms
