"""ConstQ and ConstP QEq charges of the ec paper's toy capacitor (sec. 3.2, Fig. 3a):
two Li(100) slabs across a vacuum gap under the config's ``ec.bias``. The surface
charge densities over gaps are summarised by :mod:`lidendrite.analysis.ec_capacitor`.
"""

from __future__ import annotations

import numpy as np

from lidendrite.constp.electrodes import area_nm2, bias_per_atom, surface_charge_density
from lidendrite.qeq.bias import ElectrodeBias

__all__ = ["capacitor_charges"]


def capacitor_charges(atoms, *, bias: ElectrodeBias, qeq: dict) -> dict:
    """Solve ConstQ and ConstP charges of one toy capacitor.

    Parameters
    ----------
    atoms : ase.Atoms
        Two electrodes with ``region`` = ``anode``/``cathode`` and a ``layer`` array
        (1 = the layer facing the gap), e.g. from ``ec_toy_capacitor``.
    bias : ElectrodeBias
        The ConstP bias (potentials in V and CN rule; the config's ``ec.bias``).
    qeq : dict
        Further :class:`~lidendrite.qeq.settings.QEqSettings` fields (params, tol, ...).

    Returns
    -------
    dict
        ``constq_charges``, ``constp_charges`` (e, per atom), ``phi`` (V, per atom),
        ``sigma`` {anode, cathode} (e/nm^2), ``layer_sigma`` {electrode: {layer: e/nm^2}},
        ``constq_max_abs_charge`` (e), ``n_biased``, ``chi_eq`` (V) and solver info.
    """
    from lidendrite.qeq.engine import QEqEngine

    constp_fields = bias.qeq_settings(atoms)
    qeq = {k: v for k, v in qeq.items() if k not in constp_fields}
    constq = QEqEngine(**qeq, mode="constq").calculate(atoms, with_forces=False)
    constp = QEqEngine(**qeq, **constp_fields).calculate(atoms, with_forces=False)
    phi = bias_per_atom(atoms, **qeq, **constp_fields)
    if not np.allclose(phi, constp.phi):
        raise AssertionError("CN-rule selection differs from the solver's bias")
    sigma = surface_charge_density(atoms, constp.charges)
    reg = np.asarray(atoms.arrays["region"]).astype(str)
    layer = np.asarray(atoms.arrays.get("layer", np.full(len(atoms), -1)))
    area = area_nm2(atoms)
    layer_sigma = {
        e: {int(k): float(constp.charges[(reg == e) & (layer == k)].sum() / area)
            for k in np.unique(layer[reg == e])}
        for e in ("anode", "cathode")
    }
    return {
        "constq_charges": np.asarray(constq.charges),
        "constp_charges": np.asarray(constp.charges),
        "phi": np.asarray(constp.phi),
        "sigma": sigma,
        "layer_sigma": layer_sigma,
        "constq_max_abs_charge": float(np.max(np.abs(constq.charges))),
        "constp_total_charge": float(np.sum(constp.charges)),
        "n_biased": int(np.count_nonzero(constp.phi)),
        "n_atoms": len(atoms),
        "chi_eq": float(constp.chi_eq),
        "iterations": {"constq": constq.iterations, "constp": constp.iterations},
        "residual_V": {"constq": constq.residual, "constp": constp.residual},
        **{k: v for k, v in constp_fields.items() if k != "mode"},
    }
