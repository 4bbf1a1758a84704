"""The ec paper's toy capacitor (sec. 3.2, Fig. 3a): ConstQ and ConstP charges of two
Li(100) slabs across a vacuum gap, and the electrode surface charge densities.

Paper: ConstQ gives all charges zero; ConstP with -2 V (anode) / +6 V (cathode)
gives +-0.212 e/nm^2 at a 20 Angstrom gap and +-0.106 at 40 (ratio 2). A parallel
plate with the same potential drop, sigma = eps0 * 8 V / d, gives 0.221 and 0.110.
"""

from __future__ import annotations

import numpy as np

from lidendrite.constp.electrodes import (
    area_nm2,
    bias_per_atom,
    bias_settings,
    surface_charge_density,
)

__all__ = ["capacitor_charges", "capacitor_summary", "parallel_plate_sigma", "EPS0_E_PER_V_NM"]

# vacuum permittivity in e / (V nm): 8.8541878e-12 F/m / 1.602176634e-19 C * 1e-9 m/nm
EPS0_E_PER_V_NM = 8.8541878128e-12 / 1.602176634e-19 * 1e-9


def parallel_plate_sigma(delta_phi: float, gap: float) -> float:
    """|sigma| (e/nm^2) of an ideal plate capacitor: eps0 * delta_phi (V) / gap (Angstrom)."""
    return EPS0_E_PER_V_NM * abs(delta_phi) / (gap / 10.0)


def capacitor_charges(atoms, *, phi_anode: float, phi_cathode: float, qeq: dict) -> dict:
    """Solve ConstQ and ConstP charges of one toy capacitor.

    Parameters
    ----------
    atoms : ase.Atoms
        Two electrodes with ``region`` = ``anode``/``cathode`` and a ``layer`` array
        (1 = the layer facing the gap), e.g. from ``ec_toy_capacitor``.
    phi_anode, phi_cathode : float
        ConstP electronegativity shifts (V).
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

    qeq = {k: v for k, v in qeq.items() if k not in ("mode", "phi_lower", "phi_upper", "split_z")}
    constq = QEqEngine(**qeq, mode="constq").calculate(atoms, with_forces=False)
    bias = bias_settings(atoms, phi_anode, phi_cathode)
    constp = QEqEngine(**qeq, mode="constp", **bias).calculate(atoms, with_forces=False)
    phi = bias_per_atom(atoms, **qeq, **bias)
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
        **bias,
    }


def capacitor_summary(by_gap: dict[float, dict], *, phi_anode: float, phi_cathode: float) -> dict:
    """Headline numbers over gaps: max |Q| in ConstQ, sigma per electrode, the ratio
    sigma(smallest gap) / sigma(largest gap) and the parallel-plate estimate."""
    gaps = sorted(by_gap)
    out = {
        "phi_anode_V": phi_anode,
        "phi_cathode_V": phi_cathode,
        "gaps_A": gaps,
        "constq_max_abs_charge_e": max(by_gap[g]["constq_max_abs_charge"] for g in gaps),
        "sigma_e_per_nm2": {},
        "parallel_plate_sigma_e_per_nm2": {},
        "n_atoms": {},
        "n_biased": {},
        "max_abs_total_charge_e": max(abs(by_gap[g]["constp_total_charge"]) for g in gaps),
    }
    for g in gaps:
        key = f"{g:g}"
        out["sigma_e_per_nm2"][key] = by_gap[g]["sigma"]
        out["parallel_plate_sigma_e_per_nm2"][key] = parallel_plate_sigma(phi_cathode - phi_anode, g)
        out["n_atoms"][key] = by_gap[g]["n_atoms"]
        out["n_biased"][key] = by_gap[g]["n_biased"]
    if len(gaps) >= 2:
        s0 = by_gap[gaps[0]]["sigma"]["anode"]
        s1 = by_gap[gaps[-1]]["sigma"]["anode"]
        out["sigma_ratio"] = {"gaps_A": [gaps[0], gaps[-1]], "value": float(s0 / s1)}
    return out
