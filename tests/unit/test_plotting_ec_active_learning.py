"""ec concurrent-learning plot: counts per iteration, and the recorded reason a run stopped."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np

from lidendrite.plotting import ec_active_learning as plot_module


def _record():
    def exploration(devi, stopped=None):
        return {"structure": "ec-single-interface", "mode": "constq", "temperature_K": 300.0,
                "max_devi_f": devi, "stopped_early": stopped}

    return {
        "trust_f": [0.2, 0.8],
        "converged": False,
        "iterations": [
            {"iteration": 0, "accurate": 0, "candidate": 1, "failed": 2, "n_labelled": 3,
             "explorations": [exploration([0.5, 1.5, 3.0],
                                          {"step": 74, "reason": "kinetic temperature 1051 K > 1000 K"})]},
            {"iteration": 1, "accurate": 2, "candidate": 1, "failed": 0, "n_labelled": 1,
             "explorations": [exploration([0.1, 0.15, 0.3])]},
        ],
    }


def test_counts_and_stop_reason_in_legend(tmp_path, monkeypatch):
    legends = []
    real_save = plot_module.save_figure

    def spy(fig, png, pdf=None):
        for ax in fig.axes:
            leg = ax.get_legend()
            if leg is not None:
                legends.extend(t.get_text() for t in leg.get_texts())
        real_save(fig, png, pdf)

    monkeypatch.setattr(plot_module, "save_figure", spy)
    counts = plot_module.plot_ec_active_learning(_record(), tmp_path / "al.png", level_of_theory="test")
    np.testing.assert_array_equal(counts, [[0, 1, 2], [2, 1, 0]])
    assert (tmp_path / "al.png").stat().st_size > 0
    stopped = [t for t in legends if "stopped" in t]
    assert len(stopped) == 1 and "step 74" in stopped[0]
    assert "kinetic temperature 1051 K > 1000 K" in stopped[0]
    assert "overlap" not in " ".join(legends)
