"""Parity plot of DP vs labels (lpsc Fig. 1d-e, Fig. S1): RMSEs drawn equal the definition."""

from __future__ import annotations

import numpy as np
import pytest

from lidendrite.plotting.parity import plot_parity
from lidendrite.training.deepmd_run import write_test_summary


def _arrays(rng, n_frames=20, n_atoms=30):
    e_lab = -3.0 + 0.02 * rng.standard_normal(n_frames)
    f_lab = rng.standard_normal((n_frames * n_atoms, 3))
    return {
        # a uniform 5 meV/atom offset: energy RMSE exactly 5 meV/atom
        "energy_per_atom_label": e_lab,
        "energy_per_atom_pred": e_lab + 0.005,
        # +-0.1 eV/A on every component: force RMSE exactly 100 meV/A
        "force_label": f_lab,
        "force_pred": f_lab + 0.1 * np.sign(rng.standard_normal(f_lab.shape)),
    }


def test_rmse_drawn_matches_definition(tmp_path):
    arrays = _arrays(np.random.default_rng(0))
    png, pdf = tmp_path / "p.png", tmp_path / "p.pdf"
    r = plot_parity(arrays, png, pdf, title="test", level_of_theory="synthetic")
    # exact offsets above; 1e-9 relative covers float64 rounding of the mean
    assert r["energy_rmse_meV_per_atom"] == pytest.approx(5.0, rel=1e-9)
    assert r["force_rmse_meV_per_A"] == pytest.approx(100.0, rel=1e-9)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and pdf.stat().st_size > 1000


def test_reads_the_npz_of_write_test_summary(tmp_path):
    """The file the pipeline hands over (write_test_summary) gives the same RMSEs as dp test's."""
    arrays = _arrays(np.random.default_rng(1))
    result = dict(arrays, energy_rmse_meV_per_atom=5.0, force_rmse_meV_per_A=100.0, n_frames=20)
    js = write_test_summary(result, tmp_path / "dp_test.json", level_of_theory="synthetic")
    r = plot_parity(
        js.with_suffix(".npz"), tmp_path / "p.png", title="t", level_of_theory="x", show_paper=False
    )
    assert r["energy_rmse_meV_per_atom"] == pytest.approx(5.0, rel=1e-9)
    assert r["force_rmse_meV_per_A"] == pytest.approx(100.0, rel=1e-9)
