"""ASE calculators: :class:`QEqCalculator` and :class:`ShortPlusQEqCalculator`.

``QEqCalculator`` follows the ``ase.calculators.lj`` contract: it declares
``implemented_properties`` and ``default_parameters`` and its ``calculate()``
calls ``Calculator.calculate`` first. Results: ``energy`` / ``free_energy`` (eV;
E_QEq in ConstQ, the grand energy Omega = E_QEq + sum phi_i Q_i in ConstP, eq.
S16 of the ec paper, whose negative gradient the forces are), ``forces``
(eV/Angstrom), ``stress`` (eV/Angstrom^3, Voigt, ASE sign), ``charges`` (e),
plus ``e_qeq``, ``chi_eq``, ``iterations`` and ``residual``.

``ShortPlusQEqCalculator(short, qeq)`` adds a short-range calculator (the
DP_short model of the ec paper, eq. 1: E_Total = E_Short + E_QEq) to a QEq
calculator and passes the QEq charges through.
"""

from __future__ import annotations

import numpy as np
from ase.calculators.calculator import Calculator, all_changes
from ase.stress import full_3x3_to_voigt_6_stress

__all__ = ["QEqCalculator", "ShortPlusQEqCalculator"]


class QEqCalculator(Calculator):
    """Charge equilibration (ConstQ or ConstP) with Ewald/PME electrostatics in JAX.

    Parameters
    ----------
    **kwargs
        Any field of :class:`~lidendrite.qeq.engine.QEqSettings` (``params``, ``mode``,
        ``total_charge``, ``phi_lower``, ``phi_upper``, ``split_z``, ``cn_cutoff``,
        ``cn_metal``, ``slab_correction``, ``rcut``, ``ewald_tol``, ``method``, ``tol``,
        ``max_iter``, ...), plus ``warm_start`` (bool: start each solve from the last
        charges, useful in MD).

    Attributes
    ----------
    hold_charges : bool
        When True, the next ``calculate()`` keeps the previous charges (no solve) and
        gives energy, forces and stress at those fixed charges. MD drivers set it to
        re-solve only every n-th step (:mod:`lidendrite.md.driver`, ``qeq_every``).

    Raises
    ------
    lidendrite.qeq.solver.QEqNotConverged
        (an ``ase.calculators.calculator.CalculationFailed``) when the solve fails.
    """

    implemented_properties = ["energy", "free_energy", "forces", "stress", "charges"]
    default_parameters: dict = {"warm_start": True}
    nolabel = True

    def __init__(self, **kwargs) -> None:
        Calculator.__init__(self, **kwargs)
        self._engine = None
        self.hold_charges = False

    def set(self, **kwargs):
        changed = Calculator.set(self, **kwargs)
        if changed:
            self._engine = None
        return changed

    def _get_engine(self):
        if self._engine is None:
            from lidendrite.qeq.engine import QEqEngine

            settings = {k: v for k, v in self.parameters.items() if k != "warm_start"}
            self._engine = QEqEngine(**settings)
        return self._engine

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        Calculator.calculate(self, atoms, properties, system_changes)
        engine = self._get_engine()
        warm = bool(self.parameters.get("warm_start", True)) and not (
            {"numbers", "cell", "pbc"} & set(system_changes)
        )
        result = engine.calculate(
            self.atoms, with_forces=True, warm_start=warm, solve=not self.hold_charges
        )
        self.results = {
            "energy": result.energy,
            "free_energy": result.energy,
            "forces": result.forces,
            "stress": full_3x3_to_voigt_6_stress(result.stress),
            "charges": result.charges,
            "e_qeq": result.e_qeq,
            "chi_eq": result.chi_eq,
            "iterations": result.iterations,
            "residual": result.residual,
            "phi": result.phi,
        }


class ShortPlusQEqCalculator(Calculator):
    """Sum of a short-range calculator and a :class:`QEqCalculator` (ec paper, eq. 1).

    Energy, forces and stress are added; ``charges`` come from the QEq part.
    (``ase.calculators.mixing.SumCalculator`` would also add energies and forces
    but drops properties that only one member implements, such as the charges.)

    Parameters
    ----------
    short : ase.calculators.calculator.Calculator
        The short-range model (e.g. DP_short via deepmd's ASE calculator).
    qeq : QEqCalculator
        The long-range charge-equilibration part.
    """

    implemented_properties = ["energy", "free_energy", "forces", "stress", "charges"]
    nolabel = True

    def __init__(self, short: Calculator, qeq: QEqCalculator) -> None:
        Calculator.__init__(self)
        self.short = short
        self.qeq = qeq

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        Calculator.calculate(self, atoms, properties, system_changes)
        want = [p for p in properties if p in ("energy", "forces", "stress")] or ["energy"]
        self.results = {}
        for prop in want:
            parts = [np.asarray(c.get_property(prop, self.atoms)) for c in (self.short, self.qeq)]
            if prop == "stress":
                parts = [full_3x3_to_voigt_6_stress(p) if p.shape == (3, 3) else p for p in parts]
            self.results[prop] = parts[0] + parts[1]
        if "energy" in self.results:
            self.results["free_energy"] = self.results["energy"]
        self.results["charges"] = self.qeq.get_property("charges", self.atoms)
