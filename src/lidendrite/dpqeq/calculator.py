"""``DPQEqCalculator``: the DP-QEq potential of the ec paper as an ASE calculator.

``E_Total = E_Short + E_QEq`` (ec paper, eq. 1): a Deep Potential trained on
the short-range labels (``E_label - E_QEq`` at ConstQ, see
:mod:`lidendrite.dpqeq.short_range`) evaluated by deepmd-kit's TensorFlow
backend from a frozen ``.pb`` graph, plus the charge-equilibration energy of
:class:`lidendrite.qeq.QEqCalculator` with the ec parameter set (Table S1).

In ConstQ the total charge is fixed (zero); in ConstP the Li atoms with a Li-Li
coordination number > ``cn_metal`` within ``cn_cutoff`` are held at
``phi_lower`` (below ``split_z``) or ``phi_upper`` (above), eq. S17, and the
energy is the grand energy ``Omega = E_Short + E_QEq + sum_i phi_i Q_i`` (eq.
S16) whose negative gradient the forces are.

Results (ASE units): ``energy``/``free_energy`` (eV), ``forces`` [n, 3]
(eV/Angstrom), ``stress`` (6,) Voigt (eV/Angstrom^3, ASE sign), ``charges``
[n] (e), and for analysis ``e_short`` and ``e_qeq`` (eV) and ``phi`` [n] (V, the
per-atom bias the solver used; zeros in ConstQ). Setting ``hold_charges = True``
makes the next evaluation keep the previous charges (see
:class:`~lidendrite.qeq.calculator.QEqCalculator`).

Example
-------
>>> calc = DPQEqCalculator("results/demo/ec/potential/dp_short.pb", mode="constp",
...                        phi_lower=-2.0, phi_upper=6.0, split_z=20.0)  # doctest: +SKIP
>>> atoms.calc = calc; atoms.get_forces(); atoms.get_charges()      # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from ase.calculators.calculator import Calculator, all_changes

from lidendrite.errors import InputError
from lidendrite.io.fingerprint import file_digest
from lidendrite.qeq.calculator import QEqCalculator

__all__ = ["DPQEqCalculator", "load_dp_calculator"]


def load_dp_calculator(model: str | Path, type_map: Sequence[str] | None = None) -> Calculator:
    """deepmd-kit's ASE calculator on a frozen TensorFlow ``.pb`` model.

    Parameters
    ----------
    model
        Frozen ``.pb`` graph (``dp --tf freeze``).
    type_map
        Element of each DeePMD type, in the model's order; ``None`` reads it
        from the model. Every element given must be one the model knows.

    Raises
    ------
    InputError
        The file is missing, is not a ``.pb``, deepmd-kit did not pick its
        TensorFlow evaluator, or ``type_map`` names an element the model lacks.
    """
    model = Path(model)
    if model.suffix != ".pb":
        raise InputError(f"{model}: DP_short must be a frozen TensorFlow .pb model")
    if not model.is_file():
        raise InputError(f"{model}: frozen model not found")
    os.environ.setdefault("DP_BACKEND", "tensorflow")
    from deepmd.calculator import DP  # heavy import (TensorFlow)

    calc = DP(str(model))
    backend = type(calc.dp.deep_eval).__module__
    if not backend.startswith("deepmd.tf."):
        raise InputError(f"{model}: deepmd-kit chose the {backend} evaluator, not TensorFlow")
    model_map = list(calc.dp.get_type_map())
    if type_map is not None:
        unknown = [t for t in type_map if t not in model_map]
        if unknown:
            raise InputError(
                f"{model}: element {unknown[0]} is not in the model type_map {model_map}"
            )
    calc.fingerprint = model_fingerprint(model)  # read by the MD driver's restart check
    return calc


def model_fingerprint(model: str | Path) -> str:
    """SHA-256 (first 16 hex digits) of a model file's bytes: which model drove an MD state."""
    return file_digest(model, "model file")[:16]


class DPQEqCalculator(Calculator):
    """DP_short (deepmd-kit, TF ``.pb``) + QEq (ConstQ or ConstP) of the ec paper.

    Parameters
    ----------
    model
        Frozen DP_short model (``results/<scale>/ec/potential/dp_short.pb``).
    qeq_settings
        Further fields of :class:`lidendrite.qeq.settings.QEqSettings`
        (``rcut``, ``ewald_tol``, ``tol``, ``max_iter``, ``method``,
        ``slab_correction``, ...) — e.g. the config block ``qeq`` — and
        ``warm_start``. ``params`` defaults to ``"ec"`` (Table S1).
    mode
        ``"constq"`` (total charge fixed at ``total_charge``, default 0) or
        ``"constp"`` (electrode bias of eq. S17).
    phi_lower, phi_upper, split_z, cn_cutoff, cn_metal, cn_rule
        ConstP fields of :class:`~lidendrite.qeq.settings.QEqSettings`: potentials
        (V) of metallic Li below / above ``split_z`` (Angstrom) and the CN rule of a
        metallic Li. The pipeline takes them from the config's ``ec.bias``
        (:meth:`lidendrite.qeq.bias.ElectrodeBias.qeq_settings`); unset fields keep
        the QEqSettings values.
    type_map
        Element of each DeePMD type; None: the model's own (Li, C, H, O, P, F).
    overlap
        Evaluate DP_short on a second thread while QEq solves the charges (both
        release the GIL in TensorFlow / XLA); the results are those of the
        sequential evaluation. False: one after the other.

    Notes
    -----
    Unknown elements raise :class:`~lidendrite.errors.InputError` naming the
    element (missing QEq parameter or not in the model's type map).
    """

    implemented_properties = ["energy", "free_energy", "forces", "stress", "charges"]
    nolabel = True

    def __init__(
        self,
        model: str | Path,
        qeq_settings: Mapping[str, Any] | None = None,
        *,
        mode: str = "constq",
        phi_lower: float | None = None,
        phi_upper: float | None = None,
        split_z: float | None = None,
        cn_cutoff: float | None = None,
        cn_metal: int | None = None,
        cn_rule: str | None = None,
        type_map: Sequence[str] | None = None,
        overlap: bool = True,
        **kwargs: Any,
    ) -> None:
        Calculator.__init__(self, **kwargs)
        self.overlap = bool(overlap)
        self._pool = None
        self.model = Path(model)
        self.type_map = list(type_map) if type_map is not None else None
        settings = {"params": "ec", **dict(qeq_settings or {})}
        settings["mode"] = mode
        given = {"phi_lower": (phi_lower, float), "phi_upper": (phi_upper, float),
                 "split_z": (split_z, float), "cn_cutoff": (cn_cutoff, float),
                 "cn_metal": (cn_metal, int), "cn_rule": (cn_rule, str)}
        settings.update({k: cast(v) for k, (v, cast) in given.items() if v is not None})
        from lidendrite.qeq.settings import QEqSettings

        QEqSettings(**{k: v for k, v in settings.items() if k != "warm_start"})  # validate early
        self.qeq = QEqCalculator(**settings)
        self.short = load_dp_calculator(self.model, self.type_map)
        #: the model and the QEq settings: an MD state is resumed only by the same potential
        self.fingerprint = (
            f"{self.short.fingerprint}:{json.dumps(settings, sort_keys=True, default=str)}"
        )
        if self.type_map is not None:
            self.short.type_dict = {t: i for i, t in enumerate(self.type_map)}

    def _check_elements(self, atoms) -> None:
        known = set(self.short.type_dict)
        for s in atoms.get_chemical_symbols():
            if s not in known:
                raise InputError(
                    f"{self.model}: element {s} is not in the model type_map {sorted(known)}"
                )

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        Calculator.calculate(self, atoms, properties, system_changes)
        self._check_elements(self.atoms)
        work = self.atoms.copy()
        work.calc = None
        qeq = self.qeq
        if self.overlap:
            if self._pool is None:
                from concurrent.futures import ThreadPoolExecutor

                # one long-lived worker: TensorFlow keeps its session on one thread
                self._pool = ThreadPoolExecutor(1, thread_name_prefix="dp_short")
            pending = self._pool.submit(
                self.short.calculate, work.copy(), ["energy", "forces", "virial"], all_changes
            )
            try:
                qeq.calculate(work, ["energy", "forces", "stress", "charges"], system_changes)
            finally:
                pending.result()  # re-raises a DP_short error; never leaves it running
        else:
            self.short.calculate(work, ["energy", "forces", "virial"], all_changes)
            qeq.calculate(work, ["energy", "forces", "stress", "charges"], system_changes)
        short = self.short.results
        q = qeq.results
        e_short = float(short["energy"])
        energy = e_short + float(q["energy"])
        volume = abs(work.get_volume())
        v = np.asarray(short["virial"], dtype=float).reshape(3, 3)
        s_short = -0.5 * (v + v.T) / volume
        s_short_voigt = s_short.flat[[0, 4, 8, 5, 2, 1]]
        self.results = {
            "energy": energy,
            "free_energy": energy,
            "forces": np.asarray(short["forces"], dtype=float).reshape(-1, 3) + q["forces"],
            "stress": s_short_voigt + np.asarray(q["stress"], dtype=float),
            "charges": np.asarray(q["charges"], dtype=float),
            "e_short": e_short,
            "e_qeq": float(q["energy"]),
            "chi_eq": q.get("chi_eq"),
            "qeq_iterations": q.get("iterations"),
            "phi": q.get("phi"),
        }

    @property
    def hold_charges(self) -> bool:
        """Keep the previous QEq charges at the next evaluation (MD ``qeq_every``)."""
        return self.qeq.hold_charges

    @hold_charges.setter
    def hold_charges(self, value: bool) -> None:
        self.qeq.hold_charges = bool(value)
