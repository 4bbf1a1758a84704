"""The ec paper's toy capacitor (sec. 3.2, Fig. 3a): the electrode surface charge
densities over gaps from the solved charges (:mod:`lidendrite.constp.capacitor`) and the
ideal parallel plate.

Paper: ConstQ gives all charges zero; ConstP with -2 V (anode) / +6 V (cathode)
gives +-0.212 e/nm^2 at a 20 Angstrom gap and +-0.106 at 40 (ratio 2). A parallel
plate with the same potential drop, sigma = eps0 * 8 V / d, gives 0.221 and 0.110.
"""

from __future__ import annotations

from lidendrite.constants import EPS0_E_PER_V_NM

__all__ = ["capacitor_summary", "parallel_plate_sigma", "EPS0_E_PER_V_NM"]


def parallel_plate_sigma(delta_phi: float, gap: float) -> float:
    """|sigma| (e/nm^2) of an ideal plate capacitor: eps0 * delta_phi (V) / gap (Angstrom)."""
    return EPS0_E_PER_V_NM * abs(delta_phi) / (gap / 10.0)


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
