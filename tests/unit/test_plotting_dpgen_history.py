"""DP-GEN history plot: one bar per explored iteration, classes add up to 100 %."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lidendrite.plotting.dpgen_history import plot_dpgen_history


def _history():
    its = [
        {
            "iteration": 0,
            "temps": [300.0],
            "n_explored": 33,
            "accurate_fraction": 0.5,
            "candidate_fraction": 0.3,
            "failed_fraction": 0.2,
        },
        {
            "iteration": 1,
            "temps": [600.0, 800.0],
            "n_explored": 66,
            "accurate_fraction": 0.995,
            "candidate_fraction": 0.005,
            "failed_fraction": 0.0,
        },
        # trained but not explored yet (the last iteration of a dpgen run)
        {
            "iteration": 2,
            "temps": [],
            "n_explored": 0,
            "accurate_fraction": None,
            "candidate_fraction": None,
            "failed_fraction": None,
        },
    ]
    return {"iterations": its, "accurate_threshold": 0.99}


def test_fractions_drawn(tmp_path):
    h = _history()
    (tmp_path / "h.json").write_text(json.dumps(h))
    drawn = plot_dpgen_history(
        tmp_path / "h.json", tmp_path / "h.png", tmp_path / "h.pdf", level_of_theory="synthetic"
    )
    assert drawn.shape == (2, 3)  # the unexplored iteration has no bar
    np.testing.assert_allclose(drawn.sum(axis=1), 100.0, rtol=1e-12)
    assert drawn[0] == pytest.approx([50.0, 30.0, 20.0])
    assert (tmp_path / "h.png").stat().st_size > 1000


def test_no_explored_iteration_still_draws(tmp_path):
    h = _history()
    h["iterations"] = h["iterations"][2:]
    assert plot_dpgen_history(h, tmp_path / "e.png").shape == (0, 3)
    assert (tmp_path / "e.png").is_file()
