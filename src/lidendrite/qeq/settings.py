"""All settings of a QEq calculation in one frozen dataclass (no heavy imports).

The defaults are the papers' values (ec paper sec. 2.2, SI 1.1; lpsc SI 5) and
mirror the ``qeq`` block of ``config/schema.yaml``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from pathlib import Path

from lidendrite.errors import InputError
from lidendrite.qeq.energy import COULOMB_CONSTANT
from lidendrite.qeq.params import QEqParameters

__all__ = ["QEqSettings", "default"]


@dataclass(frozen=True)
class QEqSettings:
    """Every setting of a QEq calculation (defaults: the papers' values; config ``qeq``).

    Attributes
    ----------
    params : str, Path or QEqParameters
        ``"lpsc"``, ``"ec"`` or a YAML file (:func:`~lidendrite.qeq.params.load_parameters`).
    mode : str
        ``"constq"`` (sum Q = ``total_charge``) or ``"constp"`` (bias of eq. S17, sum Q = 0).
    total_charge : float
        Q_tot for ConstQ (e).
    phi_lower, phi_upper : float
        ConstP bias (V) on metallic Li below / above ``split_z`` (ec: -2 V anode, +6 V cathode).
    split_z : float or None
        z of the plane separating the two electrodes (Angstrom); required in ConstP
        (:func:`lidendrite.qeq.bias.electrode_sides` places it between the electrodes).
    cn_cutoff : float
        Li-Li coordination cutoff (Angstrom), ec paper 3.5.
    cn_metal : int
        CN threshold of a metallic Li (ec paper: 8, BCC).
    cn_rule : str
        ``"paper"``: metallic is CN > ``cn_metal`` (eq. 6, "more than 8");
        ``"authors"``: CN >= ``cn_metal`` and the outermost layer of each electrode
        (per-atom ``region``/``layer``) always biased, as the authors' public code.
    slab_correction : bool
        Dipole correction along z (eq. S8) for structures with vacuum along z.
    slab_min_vacuum : float
        The slab correction applies only where the widest atom-free layer along z
        (:func:`~lidendrite.qeq.geometry.vacuum_gap_z`) is at least this wide
        (Angstrom); a fully periodic bulk cell gets tin-foil Ewald, whose energy does
        not depend on how its atoms are wrapped.
    rcut : float
        Real-space cutoff (Angstrom) of the Ewald and Gaussian-correction sums.
    skin : float
        Verlet skin (Angstrom) of the neighbour list: the list is built to
        ``max(rcut, cn_cutoff) + skin`` and reused, filtered to the cutoff at the
        current positions, until an atom has moved more than ``skin / 2`` or the
        cell changed; the pairs used are then exactly those of a fresh list.
        0: a new list at every call.
    ewald_tol : float
        Ewald error tolerance delta (sets kappa, the k cutoff and the PME mesh).
    method : str
        ``"auto"`` (exact Ewald up to ``ewald_max_atoms`` atoms, PME above), ``"ewald"``, ``"pme"``.
    ewald_max_atoms : int
        Largest N for which ``auto`` uses the exact O(N^2) Ewald sum.
    precond_spacing : float
        Mesh spacing (Angstrom) of the continuum preconditioner
        (:func:`~lidendrite.qeq.energy.make_mesh_preconditioner`); 0 selects Jacobi.
    pme_order : int
        B-spline order of PME (even).
    tol : float
        Solver tolerance on max |chi_i - chi_eq| (eV/e = V).
    max_iter : int
        Solver iteration limit.
    min_distance : float
        Atoms closer than this (Angstrom) are rejected as overlapping.
    metal : str
        Element whose coordination decides the ConstP bias (eq. S17).
    coulomb_constant : float
        k_e (eV Angstrom / e^2).
    """

    params: str | Path | QEqParameters = "lpsc"
    mode: str = "constq"
    total_charge: float = 0.0
    phi_lower: float = -2.0
    phi_upper: float = 6.0
    split_z: float | None = None
    cn_cutoff: float = 3.5
    cn_metal: int = 8
    cn_rule: str = "paper"
    slab_correction: bool = True
    slab_min_vacuum: float = 5.0
    rcut: float = 7.0
    skin: float = 0.0
    ewald_tol: float = 5e-4
    method: str = "auto"
    ewald_max_atoms: int = 300
    pme_order: int = 4
    precond_spacing: float = 4.0
    tol: float = 1e-6
    max_iter: int = 1000
    min_distance: float = 0.5
    metal: str = "Li"
    coulomb_constant: float = COULOMB_CONSTANT

    def __post_init__(self) -> None:
        if self.mode not in ("constq", "constp"):
            raise InputError(f"mode: {self.mode!r} is not constq or constp")
        if self.cn_rule not in ("paper", "authors"):
            raise InputError(f"cn_rule: {self.cn_rule!r} is not paper or authors")
        if self.method not in ("auto", "ewald", "pme"):
            raise InputError(f"method: {self.method!r} is not auto, ewald or pme")
        for key in ("total_charge", "phi_lower", "phi_upper", "split_z", "rcut", "cn_cutoff",
                    "slab_min_vacuum", "tol", "precond_spacing", "min_distance"):
            value = getattr(self, key)
            if value is not None and not math.isfinite(value):
                raise InputError(f"{key}: {value} is not a finite number")
        for key in ("rcut", "tol", "cn_cutoff", "slab_min_vacuum"):
            if not getattr(self, key) > 0:
                raise InputError(f"{key}: must be positive")
        if not (math.isfinite(self.skin) and self.skin >= 0):
            raise InputError(f"skin: {self.skin} must be a finite number >= 0 (Angstrom)")
        if not 0 < self.ewald_tol < 0.5:
            raise InputError("ewald_tol: must be in (0, 0.5)")
        if self.max_iter < 1:
            raise InputError("max_iter: must be >= 1")
        if self.pme_order < 4 or self.pme_order % 2:
            raise InputError("pme_order: must be even and >= 4")


def default(name: str):
    """Default value of the setting ``name``."""
    for f in fields(QEqSettings):
        if f.name == name:
            return f.default
    raise KeyError(name)
