"""Short-range labels of DP-QEq: total labels minus the ConstQ QEq part (ec paper 2.2.3).

``E_short = E_label - E_QEq``, ``F_short = F_label - F_QEq`` and
``W_short = W_label - W_QEq`` (virial, eV, ``-stress * volume``), with E_QEq
from :class:`lidendrite.qeq.calculator.QEqCalculator` in ConstQ mode (total
charge 0) with the ec parameter set (Table S1). DP_short is trained on these;
at run time ``E_Total = E_Short + E_QEq`` (eq. 1) is rebuilt by
:class:`lidendrite.dpqeq.calculator.DPQEqCalculator`.

The short-range frames are written as dpdata ``deepmd/npy`` systems with a
``labeller.json`` whose ``level_of_theory`` names the level of theory of the
*total* labels and says that the ConstQ QEq part was subtracted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms

from lidendrite.errors import InputError
from lidendrite.io.jsonfile import write_json

__all__ = ["qeq_constq_calculator", "qeq_parts", "short_range_frames", "write_short_range"]


def qeq_constq_calculator(qeq_settings: Mapping[str, Any] | None = None):
    """A ConstQ :class:`~lidendrite.qeq.calculator.QEqCalculator` with the ec parameters.

    ``qeq_settings`` may hold any other :class:`~lidendrite.qeq.settings.QEqSettings`
    field; ``mode`` is forced to ``constq`` (ec 2.2.3: the short-range labels
    subtract the ConstQ QEq energy).
    """
    from lidendrite.qeq.calculator import QEqCalculator

    settings = {"params": "ec", **dict(qeq_settings or {})}
    settings["mode"] = "constq"
    for key in ("phi_lower", "phi_upper", "split_z"):
        settings.pop(key, None)
    return QEqCalculator(**settings)


def qeq_parts(atoms: Atoms, calc) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """``(E_QEq [eV], F_QEq [n, 3] eV/A, W_QEq [3, 3] eV, Q [n] e)`` of one frame."""
    from ase.stress import voigt_6_to_full_3x3_stress

    work = atoms.copy()
    work.calc = calc
    energy = float(work.get_potential_energy())
    forces = np.asarray(work.get_forces(), dtype=float)
    stress = np.asarray(work.get_stress(), dtype=float)
    virial = -voigt_6_to_full_3x3_stress(stress) * abs(work.get_volume())
    charges = np.asarray(calc.results["charges"], dtype=float)
    return energy, forces, virial, charges


def short_range_frames(
    frames: Sequence[Atoms], qeq_settings: Mapping[str, Any] | None = None
) -> list[Atoms]:
    """Copies of labelled ``frames`` whose labels are the short-range part.

    Each returned frame carries ``E_short``, ``F_short``, ``W_short`` (see
    :func:`lidendrite.labeling.base.attach_labels`), plus ``info['e_label']``,
    ``info['e_qeq']`` (eV) and per-atom ``qeq_charges`` (e) for the record.

    Raises
    ------
    InputError
        A frame without labels, or an element without a QEq parameter (named).
    """
    from lidendrite.labeling.base import attach_labels, get_labels

    if not frames:
        raise InputError("frames: empty; nothing to turn into short-range labels")
    calc = qeq_constq_calculator(qeq_settings)
    out = []
    for k, atoms in enumerate(frames):
        e_lab, f_lab, w_lab = get_labels(atoms)
        if w_lab is None:
            raise InputError(f"frame {k}: no virial label; DP_short needs E, F and virial")
        e_q, f_q, w_q, q = qeq_parts(atoms, calc)
        labeller = str(atoms.info.get("labeller", "unknown"))
        level = str(atoms.info.get("level_of_theory", "unknown"))
        short = attach_labels(
            atoms, e_lab - e_q, f_lab - f_q, w_lab - w_q, labeller, short_level(level)
        )
        short.info["e_label"] = e_lab
        short.info["e_qeq"] = e_q
        short.arrays["qeq_charges"] = q
        out.append(short)
    return out


def short_level(level_of_theory: str) -> str:
    """Plain words for the level of theory of short-range labels."""
    return f"{level_of_theory} minus ConstQ QEq (ec Table S1 parameters): short-range part"


def write_short_range(
    frames: Sequence[Atoms],
    out_dir: str | Path,
    type_map: Sequence[str],
    *,
    labeller: str,
    level_of_theory: str,
    qeq_settings: Mapping[str, Any] | None = None,
) -> tuple[list[Atoms], list[Path]]:
    """Compute short-range labels of ``frames`` and write them as dpdata under ``out_dir``.

    ``labeller.json`` records the labeller and the level of theory of the total
    labels (``level_of_theory_total``), the QEq settings subtracted, and
    ``level_of_theory`` of the stored (short-range) labels.

    Returns the short-range frames and the system folders.
    """
    import json

    from lidendrite.labeling.base import write_dpdata

    short = short_range_frames(frames, qeq_settings)
    settings = {"qeq_subtracted": {"params": "ec", "mode": "constq", **dict(qeq_settings or {})}}
    systems = write_dpdata(
        short,
        out_dir,
        type_map,
        labeller=labeller,
        level_of_theory=short_level(level_of_theory),
        settings=settings,
    )
    rec_path = Path(out_dir) / "labeller.json"
    rec = json.loads(rec_path.read_text())
    rec["level_of_theory_total"] = level_of_theory
    rec["labels"] = "short-range: E_label - E_QEq(ConstQ), F_label - F_QEq, W_label - W_QEq"
    write_json(rec, rec_path, default=str)
    return short, systems
