"""The two ConstQ NVT runs of ec Fig. 2b: DP-QEq and the full Deep Potential from one start.

Both run :func:`lidendrite.md.driver.run_md` (Nose-Hoover chain NVT, restartable) on
the single interface; :mod:`lidendrite.analysis.ec_md_compare` then compares their
RDFs and energies from the trajectories.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from lidendrite.analysis.ec_temperature import thermo_series
from lidendrite.errors import InputError

__all__ = ["ENGINES", "md_calculator", "run_compare_md"]

#: the two MD engines compared in Fig. 2b
ENGINES = ("dpqeq", "full_dp")


def md_calculator(engine: str, model: str | os.PathLike, qeq: Mapping[str, Any] | None = None):
    """ASE calculator of ``engine``: ``dpqeq`` = DP_short + ConstQ QEq (ec Table S1),
    ``full_dp`` = the full Deep Potential (deepmd-kit, TensorFlow)."""
    from lidendrite.dpqeq.calculator import DPQEqCalculator, load_dp_calculator

    if engine == "dpqeq":
        return DPQEqCalculator(model, dict(qeq or {}), mode="constq")
    if engine == "full_dp":
        return load_dp_calculator(model)
    raise InputError(f"MD engine {engine!r} is not one of {', '.join(ENGINES)}")


def run_compare_md(structure, engine: str, model, *, md: Mapping[str, Any], qeq: Mapping[str, Any] | None,
                   traj, workdir, info: Mapping[str, Any] | None = None) -> dict:
    """ConstQ NVT of ``structure`` (extended XYZ path) with ``engine``; returns run_md's summary.

    ``md`` holds :class:`~lidendrite.md.driver.MDSettings` fields (ensemble NVT is set here).
    """
    from lidendrite.md.driver import MDSettings, run_md
    from lidendrite.structures.extxyz import read_structure

    atoms = read_structure(structure)
    settings = MDSettings.from_config({**dict(md), "ensemble": "nvt"})
    calc = md_calculator(engine, model, qeq)
    res = run_md(atoms, calc, settings, traj=traj, workdir=workdir,
                 info={"engine": engine, "mode": "constq", **dict(info or {})}, name=f"{engine} nvt")
    res["thermo"] = thermo_series(traj)
    return res
