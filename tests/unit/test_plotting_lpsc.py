"""lpsc figures: the numbers a figure reports equal those of its input data."""

from __future__ import annotations

import numpy as np
import pytest

from lidendrite.plotting.lpsc_cv import plot_cv
from lidendrite.plotting.lpsc_sei_thickness import plot_sei_thickness


def test_cv_figure_reports_its_colvar(tmp_path):
    t = np.linspace(0.0, 0.2, 21)
    s0 = -50.0 + 12.5 * t
    cv = s0 + 0.01 * np.sin(40 * t)
    colvar = tmp_path / "COLVAR"
    colvar.write_text("#! FIELDS time cv mr.cv_cntr\n" + "".join(f"{a} {b} {c}\n" for a, b, c in zip(t, cv, s0, strict=True)))
    out = plot_cv(colvar, tmp_path / "cv.png", tmp_path / "cv.pdf", kappa_ev=4.0, level_of_theory="test")
    assert out["cv_start"] == pytest.approx(cv[0], abs=1e-4)
    assert out["s0_end"] == pytest.approx(s0[-1], abs=1e-4)
    assert out["max_abs_cv_minus_s0"] == pytest.approx(np.abs(cv - s0).max(), abs=1e-4)
    assert (tmp_path / "cv.png").stat().st_size > 5000 and (tmp_path / "cv.pdf").is_file()


def test_sei_thickness_figure(tmp_path):
    frames = [{"time_ps": 0.1 * i, "sei_thickness": 5.0 + i, "n_li2s_like": i, "n_li3p_like": 0,
               "n_licl_like": 1} for i in range(5)]
    out = plot_sei_thickness({"frames": frames, "level_of_theory": "test"}, tmp_path / "s.png")
    assert out == {"sei_thickness_start_angstrom": 5.0, "sei_thickness_end_angstrom": 9.0,
                   "sei_thickness_max_angstrom": 9.0, "n_frames": 5}
