"""The ConstP electrode bias of the ec study as one typed setting (ec paper eq. 6 / S17).

One config block, ``ec.bias`` (config/schema.yaml), sets it for every stage
that biases electrodes: the toy-capacitor validation (Fig. 3a), the ConstP
explorations of the active learning, the four-round ConstP cycle and the
bias-magnitude study (Fig. S11). A round series may override the CN rule
(the 3.3 Angstrom test of Fig. S12); nothing else sets a potential.

Which Li is biased: Li with CN_Li-Li > ``cn_metal`` (``cn_rule = "paper"``)
or >= ``cn_metal`` plus the outermost electrode layers (``"authors"``) within
``cn_cutoff`` Angstrom. Which potential: ``phi_anode`` (V) on the electrode
whose atoms carry region ``anode``, ``phi_cathode`` on ``cathode``. The plane
between the two electrodes (``split_z``) is defined once, by
:func:`electrode_sides`: midway between the two electrodes' centroids.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from lidendrite.errors import InputError

__all__ = ["ELECTRODES", "ElectrodeBias", "bias_settings", "electrode_regions", "electrode_sides"]

#: the two electrode labels of the per-atom ``region`` array (DESIGN.md)
ELECTRODES = ("anode", "cathode")

#: the CN-rule fields a round series may override
RULE_FIELDS = ("cn_cutoff", "cn_metal", "cn_rule")


def electrode_regions(atoms, name: str = "structure") -> np.ndarray:
    """Per-atom ``region`` labels (str array); both electrodes must be present."""
    if "region" not in atoms.arrays:
        raise InputError(f"{name}: no per-atom 'region' array (anode/cathode labels)")
    reg = np.asarray(atoms.arrays["region"]).astype(str)
    for e in ELECTRODES:
        if not np.any(reg == e):
            raise InputError(f"{name}: no atom has region '{e}'")
    return reg


def electrode_sides(atoms, name: str = "structure") -> tuple[str, str, float]:
    """(lower electrode, upper electrode, split_z): the region names below / above and the
    z (Angstrom) of the plane between them, midway between the two electrodes' centroids
    (mean z of the atoms labelled ``anode`` and of those labelled ``cathode``).

    Positions are wrapped along z first. The centroids are the robust choice in MD:
    electrode Li that have left their electrode (into the SEI or the electrolyte, or a
    rough surface after NPT) keep their label and move a surface plane taken from the
    outermost atom, but move a centroid little. For two equal slabs the plane is the
    middle of the gap. Raises :class:`InputError` when the centroids coincide.
    """
    reg = electrode_regions(atoms, name)
    z = atoms.get_scaled_positions(wrap=True)[:, 2] * atoms.cell[2, 2]
    means = {e: float(z[reg == e].mean()) for e in ELECTRODES}
    lower, upper = sorted(ELECTRODES, key=means.get)
    if not means[upper] - means[lower] > 0:
        raise InputError(f"{name}: the {lower} and {upper} regions have the same mean z")
    return lower, upper, 0.5 * (means[lower] + means[upper])


def bias_settings(atoms, phi_anode: float, phi_cathode: float, name: str = "structure") -> dict[str, float]:
    """QEq ConstP fields ``phi_lower``, ``phi_upper``, ``split_z`` putting ``phi_anode`` (V)
    on the electrode labelled ``anode`` and ``phi_cathode`` on ``cathode``, wherever they
    are (plane: :func:`electrode_sides`)."""
    lower, upper, split = electrode_sides(atoms, name)
    phi = {"anode": float(phi_anode), "cathode": float(phi_cathode)}
    return {"phi_lower": phi[lower], "phi_upper": phi[upper], "split_z": split}


@dataclass(frozen=True)
class ElectrodeBias:
    """ConstP bias of the two electrodes (ec paper sec. 2.2.2-2.2.3, eq. 6 / S17).

    Attributes
    ----------
    phi_anode, phi_cathode : float
        Electronegativity shift (V) on the metallic Li of the electrode labelled
        ``anode`` / ``cathode`` (paper: -2 V / +6 V).
    cn_cutoff : float
        Li-Li coordination cutoff (Angstrom; paper 3.5).
    cn_metal : int
        CN threshold of a metallic (biased) Li (paper 8).
    cn_rule : str
        ``"paper"`` (CN > cn_metal) or ``"authors"`` (CN >= cn_metal, outermost
        electrode layers always biased).
    """

    phi_anode: float
    phi_cathode: float
    cn_cutoff: float
    cn_metal: int
    cn_rule: str

    def __post_init__(self) -> None:
        if self.cn_rule not in ("paper", "authors"):
            raise InputError(f"ec.bias.cn_rule: {self.cn_rule!r} is not paper or authors")
        for key in ("phi_anode", "phi_cathode", "cn_cutoff"):
            if not np.isfinite(float(getattr(self, key))):
                raise InputError(f"ec.bias.{key}: {getattr(self, key)!r} is not a finite number")
        if not self.cn_cutoff > 0:
            raise InputError(f"ec.bias.cn_cutoff: {self.cn_cutoff!r} must be > 0 Angstrom")

    @classmethod
    def from_config(cls, block: Mapping[str, Any], overrides: Mapping[str, Any] | None = None) -> ElectrodeBias:
        """From the validated ``ec.bias`` block; ``overrides`` (e.g. a ``constp.series``
        entry) replace the CN-rule fields it holds and ignore every other key."""
        names = [f.name for f in fields(cls)]
        missing = [k for k in names if k not in block]
        if missing:
            raise InputError(f"ec.bias: missing {', '.join(missing)}")
        out = cls(
            phi_anode=float(block["phi_anode"]),
            phi_cathode=float(block["phi_cathode"]),
            cn_cutoff=float(block["cn_cutoff"]),
            cn_metal=int(block["cn_metal"]),
            cn_rule=str(block["cn_rule"]),
        )
        if overrides:
            rule = {k: overrides[k] for k in RULE_FIELDS if overrides.get(k) is not None}
            if rule:
                out = replace(out, **rule)
        return out

    def with_potentials(self, phi_anode: float, phi_cathode: float) -> ElectrodeBias:
        """The same CN rule at other electrode potentials (a bias-study pair)."""
        return replace(self, phi_anode=float(phi_anode), phi_cathode=float(phi_cathode))

    def rule(self) -> dict[str, Any]:
        """The CN-rule fields as QEq settings: ``cn_cutoff``, ``cn_metal``, ``cn_rule``."""
        return {"cn_cutoff": float(self.cn_cutoff), "cn_metal": int(self.cn_metal),
                "cn_rule": str(self.cn_rule)}

    def sides(self, atoms, name: str = "structure") -> dict[str, float]:
        """QEq ConstP fields ``phi_lower``, ``phi_upper``, ``split_z`` for ``atoms``:
        ``phi_anode`` on the electrode labelled anode, wherever it lies."""
        return bias_settings(atoms, self.phi_anode, self.phi_cathode, name)

    def qeq_settings(self, atoms, name: str = "structure") -> dict[str, Any]:
        """Every ConstP field of :class:`~lidendrite.qeq.settings.QEqSettings` for ``atoms``
        (mode, potentials, split plane, CN rule)."""
        return {"mode": "constp", **self.sides(atoms, name), **self.rule()}
