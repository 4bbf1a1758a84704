"""Did the ec DP-QEq runs hold their thermostat? Temperature traces and a verdict per run.

Each MD stage of the ec cycle (ConstQ NPT and NVT, every ConstP round, every bias
run) writes frames whose info holds ``time_ps``, ``temperature_K`` (kinetic
temperature of the mobile atoms, K) and ``energy`` (eV; the grand energy in
ConstP). :func:`thermo_series` reads them from a trajectory;
:func:`temperature_summary` judges each run: its end temperature, the mean over
the last ``end_fraction`` of its frames (a single frame of a 200-atom cell
fluctuates by about sqrt(2 / 3N) = 6 % around the mean), must lie within
``tolerance_K`` of the thermostat's ``target_K``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from lidendrite.errors import InputError

__all__ = ["thermo_series", "temperature_summary"]


def thermo_series(traj: str | Path) -> dict[str, list[float]]:
    """``time_ps`` (ps), ``temperature_K`` (K) and ``energy_eV`` (eV) of every frame of ``traj``."""
    from lidendrite.io.trajectory import read_frames

    frames = read_frames(traj)
    out: dict[str, list[float]] = {"time_ps": [], "temperature_K": [], "energy_eV": []}
    for k, f in enumerate(frames):
        for key in ("time_ps", "temperature_K", "energy"):
            if key not in f.info:
                raise InputError(f"{traj}: frame {k} has no info {key!r}")
        out["time_ps"].append(float(f.info["time_ps"]))
        out["temperature_K"].append(float(f.info["temperature_K"]))
        out["energy_eV"].append(float(f.info["energy"]))
    return out


def temperature_summary(
    runs: Mapping[str, str | Path],
    *,
    target_K: float,
    tolerance_K: float,
    end_fraction: float,
) -> dict:
    """Verdict per run from its stage JSON (which holds a ``thermo`` block).

    Parameters
    ----------
    runs
        Label -> stage JSON path (``stage.json``, ``round.json``, ``run.json``).
    target_K, tolerance_K
        Thermostat temperature and the allowed deviation of the end temperature (K).
    end_fraction
        Last fraction of the frames averaged into the end temperature.

    Returns
    -------
    dict
        ``runs``: label -> {time_ps, temperature_K, t_end_K, t_max_K, stopped, held} (a run
        the MD driver stopped for overheating is never held, and its ``t_end_K`` is the
        temperature that stopped it); ``n_runs``,
        ``n_held``, ``all_held``, the criterion, and ``worst_run`` / ``worst_t_end_K``: the
        run whose end temperature lies farthest from the target.
    """
    if not 0 < end_fraction <= 1:
        raise InputError(f"end_fraction must be in (0, 1], got {end_fraction}")
    rows = {}
    for label, path in runs.items():
        data = json.loads(Path(path).read_text())
        if "thermo" not in data:
            raise InputError(f"{path}: no 'thermo' block (temperature trace); rerun the stage")
        th = data["thermo"]
        t = np.asarray(th["temperature_K"], dtype=float)
        n_end = max(1, int(round(len(t) * end_fraction)))
        t_end = float(t[-n_end:].mean())
        stopped = data.get("stopped")  # a run the MD driver ended for overheating
        t_max = float(t.max())
        if stopped:
            # its trace ends at the last restart state before the overheating step: the run
            # ended at the temperature that stopped it
            t_end = _stop_temperature(data, path)
            t_max = max(t_max, t_end)
        rows[label] = {
            "time_ps": th["time_ps"],
            "temperature_K": th["temperature_K"],
            "t_end_K": t_end,
            "t_max_K": t_max,
            "stopped": stopped,
            "held": bool(abs(t_end - target_K) <= tolerance_K) and not stopped,
        }
    n_held = sum(r["held"] for r in rows.values())
    worst = max(rows, key=lambda k: abs(rows[k]["t_end_K"] - target_K)) if rows else None
    return {
        "worst_run": worst,
        "worst_t_end_K": rows[worst]["t_end_K"] if worst else None,
        "criterion": (
            f"mean temperature of the last {end_fraction:g} of the frames within "
            f"{target_K:g} +- {tolerance_K:g} K"
        ),
        "target_K": float(target_K),
        "tolerance_K": float(tolerance_K),
        "n_runs": len(rows),
        "n_held": n_held,
        "all_held": n_held == len(rows),
        "runs": rows,
    }


def _stop_temperature(data: dict, path) -> float:
    """Kinetic temperature (K) at which the MD driver stopped a run (``stopped_temperature_K``,
    or the number in its ``stopped`` text)."""
    import re

    if data.get("stopped_temperature_K") is not None:
        return float(data["stopped_temperature_K"])
    m = re.search(r"kinetic temperature ([0-9.eE+]+) K", str(data["stopped"]))
    if not m:
        raise InputError(f"{path}: stopped run without its stop temperature ({data['stopped']!r})")
    return float(m.group(1))
