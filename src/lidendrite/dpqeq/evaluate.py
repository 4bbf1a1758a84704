"""Test-set errors of DP-QEq and of the full DP (ec paper 3.1, Fig. 2a; SI 2.3).

DP-QEq is evaluated frame by frame with
:class:`~lidendrite.dpqeq.calculator.DPQEqCalculator` in ConstQ mode (the
labels are neutral-cell DFT/teacher energies); the full DP with ``dp --tf
test`` (:func:`lidendrite.training.deepmd_run.test`). Both return the arrays
of :func:`~lidendrite.training.deepmd_run.test`: ``energy_per_atom_label/pred``
(eV/atom), ``force_label/pred`` (eV/Angstrom) and the RMSEs in meV/atom and
meV/Angstrom.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms

from lidendrite.errors import InputError

__all__ = ["test_dpqeq"]


def test_dpqeq(
    model: str | Path, frames: Sequence[Atoms], qeq: Mapping[str, Any]
) -> dict[str, Any]:
    """Energies and forces of DP-QEq (ConstQ) on labelled ``frames`` against their labels."""
    from lidendrite.dpqeq.calculator import DPQEqCalculator
    from lidendrite.labeling.base import get_labels

    if not frames:
        raise InputError("test frames: empty")
    calc = DPQEqCalculator(model, qeq, mode="constq")
    e_lab, e_pred, f_lab, f_pred = [], [], [], []
    for atoms in frames:
        e, f, _ = get_labels(atoms)
        a = Atoms(
            atoms.get_chemical_symbols(), positions=atoms.positions, cell=atoms.cell, pbc=True
        )
        a.calc = calc
        e_lab.append(e / len(a))
        e_pred.append(a.get_potential_energy() / len(a))
        f_lab.append(f)
        f_pred.append(a.get_forces())
    out = {
        "energy_per_atom_label": np.array(e_lab),
        "energy_per_atom_pred": np.array(e_pred),
        "force_label": np.concatenate(f_lab),
        "force_pred": np.concatenate(f_pred),
    }
    de = out["energy_per_atom_pred"] - out["energy_per_atom_label"]
    df = out["force_pred"] - out["force_label"]
    out["energy_rmse_meV_per_atom"] = 1e3 * math.sqrt(float(np.mean(de**2)))
    out["force_rmse_meV_per_A"] = 1e3 * math.sqrt(float(np.mean(df**2)))
    out["n_frames"] = int(de.size)
    out["n_force_components"] = int(df.size)
    return out


test_dpqeq.__test__ = False  # type: ignore[attr-defined]
