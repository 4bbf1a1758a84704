"""Temperature verdicts of the ec DP-QEq runs: a run that heats is reported as not held."""

from __future__ import annotations

import json

import numpy as np
import pytest
from ase.build import bulk

from lidendrite.analysis.ec_temperature import temperature_summary, thermo_series
from lidendrite.errors import InputError
from lidendrite.md.driver import MDSettings, run_md
from lidendrite.plotting.ec_temperature import plot_temperatures


def _stage(tmp_path, name, temps):
    path = tmp_path / f"{name}.json"
    t = np.linspace(0, 0.1 * (len(temps) - 1), len(temps))
    path.write_text(
        json.dumps(
            {
                "thermo": {
                    "time_ps": t.tolist(),
                    "temperature_K": temps,
                    "energy_eV": [0.0] * len(temps),
                }
            }
        )
    )
    return path


def test_a_run_that_heats_is_not_held(tmp_path):
    runs = {
        "cool": _stage(tmp_path, "cool", [300, 320, 290, 310, 305, 295, 300, 310]),
        # ends near 1000 K, as the DP-QEq runs did
        "hot": _stage(tmp_path, "hot", [300, 500, 700, 850, 950, 1000, 1050, 1100]),
        # a single cool last frame does not rescue a hot end (the last quarter is averaged)
        "spike": _stage(tmp_path, "spike", [300, 300, 300, 300, 300, 300, 600, 310]),
    }
    res = temperature_summary(runs, target_K=300.0, tolerance_K=50.0, end_fraction=0.25)
    assert res["runs"]["cool"]["held"]
    assert not res["runs"]["hot"]["held"]
    assert res["runs"]["hot"]["t_end_K"] == pytest.approx(1075.0)
    assert not res["runs"]["spike"]["held"]  # (600 + 310) / 2 = 455 K
    assert res["n_held"] == 1 and not res["all_held"]
    assert res["worst_run"] == "hot" and res["worst_t_end_K"] == pytest.approx(1075.0)
    png = tmp_path / "t.png"
    plot_temperatures(res, png)
    assert png.stat().st_size > 10_000


def test_missing_trace_is_a_clear_error(tmp_path):
    path = tmp_path / "old.json"
    path.write_text("{}")
    with pytest.raises(InputError, match="thermo"):
        temperature_summary({"old": path}, target_K=300.0, tolerance_K=50.0, end_fraction=0.25)


def test_thermo_series_reads_the_md_frames(tmp_path):
    from ase.calculators.emt import EMT

    atoms = bulk("Cu", cubic=True).repeat((2, 2, 2))
    s = MDSettings(
        ensemble="nvt",
        n_steps=20,
        timestep_fs=2.0,
        temperature_K=300.0,
        sample_every=5,
        restart_every=10,
        seed=3,
    )
    run_md(
        atoms,
        EMT(),
        s,
        traj=tmp_path / "t.extxyz",
        final=tmp_path / "f.extxyz",
        workdir=tmp_path / "w",
    )
    th = thermo_series(tmp_path / "t.extxyz")
    assert th["time_ps"] == pytest.approx([0.0, 0.01, 0.02, 0.03, 0.04])
    assert all(t > 0 for t in th["temperature_K"][1:])
    assert len(th["energy_eV"]) == 5


def test_a_stopped_run_is_never_held(tmp_path):
    path = _stage(tmp_path, "stopped", [300, 290, 310, 300])
    data = json.loads(path.read_text())
    data["stopped"] = (
        "full_dp nvt step 899: kinetic temperature 5370 K passed max_temperature_K 1000 K"
    )
    path.write_text(json.dumps(data))
    res = temperature_summary(
        {"stopped": path}, target_K=300.0, tolerance_K=50.0, end_fraction=0.25
    )
    assert not res["runs"]["stopped"]["held"] and res["n_held"] == 0
    # its trace ends before the runaway; it ended at the temperature that stopped it
    assert res["runs"]["stopped"]["t_end_K"] == 5370.0 == res["worst_t_end_K"]
    data["stopped_temperature_K"] = 5370.4
    path.write_text(json.dumps(data))
    held = _stage(tmp_path, "held", [300, 305, 295, 300])
    res = temperature_summary(
        {"stopped": path, "held": held}, target_K=300.0, tolerance_K=50.0, end_fraction=0.25
    )
    assert res["worst_run"] == "stopped" and res["worst_t_end_K"] == 5370.4
    assert res["n_held"] == 1 and not res["all_held"]
    plot_temperatures(res, tmp_path / "s.png")
