"""The ConstQ/ConstP MD cycle of the ec study (sec. 2.2.2, Fig. 1d, Fig. S1) and the
bias-magnitude study (sec. 3.2, Fig. S11), on :func:`lidendrite.md.driver.run_md`.

Stages (all DP-QEq, :class:`~lidendrite.dpqeq.calculator.DPQEqCalculator`; 1 fs; 300 K):

1. ConstQ NPT of the superlattice (1 bar along x and y, 100 bar along z;
   Nose-Hoover + Parrinello-Rahman);
2. :func:`~lidendrite.structures.ec.cut_double_interface` of its last frame
   (the outer layers of each electrode fixed);
3. ConstQ NVT of the double interface;
4. ConstP NVT rounds: phi_anode (-2 V) on the metallic Li of the electrode
   labelled ``anode``, phi_cathode (+6 V) on ``cathode``; after each round the
   labels are swapped (:func:`~lidendrite.constp.electrodes.swap_electrodes`)
   and the next round starts from the last frame (positions and velocities).

ConstP bias (eq. 6 / S17): the config's ``ec.bias``
(:class:`~lidendrite.qeq.bias.ElectrodeBias`): metallic Li by the CN rule (the
QEq engine's own selection, so what is reported is what the solver used),
below / above the plane ``split_z`` midway between the two electrodes'
centroids at the start of the round
(:func:`~lidendrite.qeq.bias.electrode_sides`). Which electrode is below is
read from the mean z of each region's atoms. Total charge: zero in both ConstQ
and ConstP (the engine's neutrality constraint, eq. 7).

Normalised Li charge (Fig. S11): on each electrode's side of ``split_z`` the
mean charge of the Li that are not fixed (electrode Li free to react plus the
Li ions on that side) -- our reading of "the region with a dashed frame in
Figure 1d", which the paper does not define further; the mean charge per
*biased* Li is recorded beside it. Units: e, V, Angstrom, ps, e/nm^2.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms

from lidendrite.analysis.ec_temperature import thermo_series
from lidendrite.constp.electrodes import ELECTRODES, frame_charges, surface_charge_density
from lidendrite.errors import InputError
from lidendrite.md.driver import MDSettings, MDStop, read_frames, run_md
from lidendrite.qeq.bias import ElectrodeBias, electrode_sides
from lidendrite.qeq.bias import electrode_regions as _regions

__all__ = [
    "side_masks",
    "frame_stats",
    "run_stage",
    "summarise_stage",
    "bias_key",
]


def side_masks(atoms: Atoms, split_z: float) -> dict[str, np.ndarray]:
    """Boolean masks of the atoms on each electrode's side of ``split_z``: {anode, cathode}."""
    reg = _regions(atoms)
    z = atoms.positions[:, 2]
    below = z < split_z
    lower_is_anode = z[reg == "anode"].mean() < z[reg == "cathode"].mean()
    return {
        "anode": below if lower_is_anode else ~below,
        "cathode": ~below if lower_is_anode else below,
    }


def frame_stats(atoms: Atoms, split_z: float, bias: np.ndarray | None = None) -> dict:
    """Charge statistics of one frame (e, e/nm^2, counts).

    ``li_charge``: mean charge of the non-fixed Li on each side (normalised Li
    charge of Fig. S11); ``biased_li_charge``: mean charge of the biased Li on
    each side (None where none); ``n_biased``; ``sigma``: surface charge
    density of the biased atoms of each electrode region (e/nm^2); ``total_charge``.
    """
    q = frame_charges(atoms)
    if bias is None:
        bias = np.asarray(atoms.arrays.get("bias", np.zeros(len(atoms))), dtype=float)
    li = np.asarray(atoms.get_chemical_symbols()) == "Li"
    fixed = np.asarray(atoms.arrays.get("fixed", np.zeros(len(atoms), bool)), dtype=bool)
    sides = side_masks(atoms, split_z)
    biased = bias != 0
    out: dict[str, Any] = {"li_charge": {}, "biased_li_charge": {}, "n_biased": {}}
    for e, m in sides.items():
        sel = m & li & ~fixed
        out["li_charge"][e] = float(q[sel].mean()) if sel.any() else None
        b = m & biased
        out["biased_li_charge"][e] = float(q[b].mean()) if b.any() else None
        out["n_biased"][e] = int(b.sum())
    out["sigma"] = surface_charge_density(atoms, q, biased_only=biased)
    out["total_charge"] = float(q.sum())
    return out


def run_stage(
    atoms: Atoms,
    *,
    mode: str,
    md: MDSettings,
    traj: str | Path,
    final: str | Path,
    workdir: str | Path,
    calc_factory: Callable[[dict], Any],
    bias: ElectrodeBias | None = None,
    info: Mapping[str, Any] | None = None,
    name: str = "stage",
) -> dict:
    """Run one MD stage of the cycle (ConstQ or ConstP) and return its summary.

    Parameters
    ----------
    atoms
        Start frame (per-atom ``region``, ``layer``, ``fixed``, ...; momenta if any).
    mode
        ``constq`` or ``constp``.
    md
        Integrator settings (:class:`~lidendrite.md.driver.MDSettings`).
    calc_factory
        ``settings -> calculator``; ``settings`` holds ``mode`` and for ConstP
        every field of :meth:`~lidendrite.qeq.bias.ElectrodeBias.qeq_settings`
        (potentials, split plane, CN rule), e.g. a
        :class:`~lidendrite.dpqeq.calculator.DPQEqCalculator`.
    bias
        The ConstP electrode bias (required in ConstP).
    info
        Constant frame info (``round``, ``series``, ``level_of_theory``, ...).

    Raises
    ------
    InputError
        (one line) no biased Li on an electrode, charges not converged, lost
        atoms (non-finite, outside the cell along z, overlapping).
    """
    if mode not in ("constq", "constp"):
        raise InputError(f"{name}: mode {mode!r} is not constq or constp")
    settings: dict[str, Any] = {"mode": mode}
    frame_info = dict(info or {})
    frame_info["mode"] = mode
    split = None
    if mode == "constp":
        if bias is None:
            raise InputError(f"{name}: ConstP needs the electrode bias (ec.bias)")
        settings.update(bias.qeq_settings(atoms, name))
        split = settings["split_z"]
        frame_info.update(phi_anode=float(bias.phi_anode), phi_cathode=float(bias.phi_cathode),
                          split_z=split)
    else:
        frame_info.update(phi_anode=0.0, phi_cathode=0.0)
    calc = calc_factory(settings)

    def bias_of(a, c) -> np.ndarray:
        phi = getattr(c, "results", {}).get("phi")
        if phi is None:
            return np.zeros(len(a))
        return np.asarray(phi, dtype=float)

    def frame_arrays(a, c):
        return {"bias": bias_of(a, c)}

    def check(a, c, step):
        if mode != "constp":
            return
        phi = bias_of(a, c)
        sides = side_masks(a, split)
        for e in ELECTRODES:
            if not np.any(sides[e] & (phi != 0)):
                raise MDStop(
                    f"empty electrode: no Li on the {e} side has CN_Li-Li above the "
                    f"metallic threshold (no biased atom)"
                )

    t0 = time.perf_counter()
    summary = run_md(
        atoms,
        calc,
        md,
        traj=traj,
        final=final,
        workdir=workdir,
        info=frame_info,
        frame_arrays=frame_arrays,
        check=check,
        name=name,
    )
    summary["wall_s_stage"] = time.perf_counter() - t0
    summary["thermo"] = thermo_series(traj)
    summary["mode"] = mode
    summary["split_z"] = split
    return summary


def summarise_stage(traj: str | Path, split_z: float | None = None) -> dict:
    """Per-frame charge statistics of a stage trajectory: time series and start/end values.

    ``split_z`` defaults to each frame's info ``split_z`` (ConstP) or the plane
    between the electrodes of :func:`~lidendrite.qeq.bias.electrode_sides` (ConstQ).
    """
    frames = read_frames(traj)
    series: dict[str, list] = {
        "time_ps": [],
        "anode_li_charge": [],
        "cathode_li_charge": [],
        "anode_biased_li_charge": [],
        "cathode_biased_li_charge": [],
        "sigma_anode": [],
        "sigma_cathode": [],
        "n_biased_anode": [],
        "n_biased_cathode": [],
        "total_charge": [],
    }
    for f in frames:
        z = split_z
        if z is None:
            z = f.info.get("split_z")
        if z is None:
            z = electrode_sides(f)[2]
        st = frame_stats(f, float(z))
        series["time_ps"].append(float(f.info["time_ps"]))
        for e in ELECTRODES:
            series[f"{e}_li_charge"].append(st["li_charge"][e])
            series[f"{e}_biased_li_charge"].append(st["biased_li_charge"][e])
            series[f"sigma_{e}"].append(st["sigma"][e])
            series[f"n_biased_{e}"].append(st["n_biased"][e])
        series["total_charge"].append(st["total_charge"])
    first, last = frames[0].info, frames[-1].info
    return {
        "n_frames": len(frames),
        "duration_ps": float(last["time_ps"]) - float(first["time_ps"]),
        "max_abs_total_charge": float(np.max(np.abs(series["total_charge"]))),
        "start": {k: v[0] for k, v in series.items()},
        "end": {k: v[-1] for k, v in series.items()},
        "series": series,
    }


def plateau_mean(values: Sequence[float | None], last_fraction: float) -> float | None:
    """Mean of the last ``last_fraction`` of ``values`` (None entries skipped)."""
    if not 0 < last_fraction <= 1:
        raise InputError(f"last_fraction must be in (0, 1], got {last_fraction}")
    n = len(values)
    tail = [v for v in values[n - max(1, int(round(n * last_fraction))) :] if v is not None]
    return float(np.mean(tail)) if tail else None


def bias_key(phi: float) -> str:
    """Report key of a bias value: -1 -> ``phi_minus1``, 6 -> ``phi_plus6``, -1.5 -> ``phi_minus1.5``."""
    return f"phi_{'minus' if phi < 0 else 'plus'}{abs(float(phi)):g}"
