"""E_short bookkeeping: DP_short + QEq(ConstQ) gives back the stored total labels.

DP_short is replaced here by the exact short-range labels read back from the
dpdata systems written by :func:`write_short_range`; adding the QEq part with
:class:`ShortPlusQEqCalculator` must then reproduce the total labels exactly
(to round-off of the float64 .npy round trip and the QEq solve at tol 1e-10 V).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from _dpqeq_toy import TYPE_MAP, lj_frames
from ase.calculators.singlepoint import SinglePointCalculator

from lidendrite.errors import InputError
from lidendrite.labeling.base import attach_labels, get_labels

QEQ = {"tol": 1e-10, "max_iter": 3000, "rcut": 6.0}


def _labelled(n=3):
    out = []
    for a in lj_frames(n, seed=3):
        w = -a.get_stress(voigt=False) * a.get_volume()
        out.append(
            attach_labels(a, a.get_potential_energy(), a.get_forces(), w, "lj", "test-only LJ")
        )
    return out


def test_short_plus_qeq_reproduces_total_labels(tmp_path):
    import dpdata

    from lidendrite.dpqeq.short_range import qeq_constq_calculator, write_short_range
    from lidendrite.qeq.calculator import ShortPlusQEqCalculator

    frames = _labelled()
    short, systems = write_short_range(
        frames,
        tmp_path / "short",
        TYPE_MAP,
        labeller="lj",
        level_of_theory="test-only LJ",
        qeq_settings=QEQ,
    )
    rec = json.loads((tmp_path / "short" / "labeller.json").read_text())
    assert rec["level_of_theory_total"] == "test-only LJ"
    assert "minus ConstQ QEq" in rec["level_of_theory"]
    (system,) = systems
    stored = dpdata.LabeledSystem(str(system), fmt="deepmd/npy")
    assert stored.get_nframes() == len(frames)
    for k, total in enumerate(frames):
        e_tot, f_tot, w_tot = get_labels(total)
        atoms = total.copy()
        vol = atoms.get_volume()
        w_s = stored["virials"][k]
        stress_s = (-w_s / vol)[[0, 1, 2, 1, 0, 0], [0, 1, 2, 2, 2, 1]]
        dp_short_exact = SinglePointCalculator(
            atoms, energy=float(stored["energies"][k]), forces=stored["forces"][k], stress=stress_s
        )
        atoms.calc = ShortPlusQEqCalculator(dp_short_exact, qeq_constq_calculator(QEQ))
        # E_QEq here is O(1-10) eV; float64 keeps ~1e-12 relative: 1e-8 eV / eV/A is round-off
        assert atoms.get_potential_energy() == pytest.approx(e_tot, abs=1e-8)
        assert np.allclose(atoms.get_forces(), f_tot, atol=1e-8)
        w = -atoms.get_stress(voigt=False) * vol
        assert np.allclose(w, w_tot, atol=1e-7)
        # the QEq part is not trivially zero on this Li | EC + LiPF6 | Li cell
        assert abs(short[k].info["e_qeq"]) > 1e-3


def test_missing_parameter_one_line(tmp_path):
    from lidendrite.dpqeq.short_range import short_range_frames

    frames = _labelled(1)
    frames[0][0].symbol = "Na"
    with pytest.raises(InputError, match="Na") as err:
        short_range_frames(frames, QEQ)
    assert "\n" not in str(err.value)
