"""One function per rule of ``rules/ec_cycle.smk``: the stages of the ec MD cycle
(sec. 2.2.2) and the bias study (Fig. S11), from files and config blocks to files.

The science is in :mod:`lidendrite.constp.cycle` and :mod:`lidendrite.md.driver`;
this module reads the config blocks ``ec.constp`` and ``ec.bias`` (the one source of
the electrode potentials and the CN rule), builds the DP-QEq calculator,
and writes each stage's JSON (``level_of_theory`` and ``scale`` in every one).

Why one module of about 600 lines: one function per rule of rules/ec_cycle.smk, with the JSON writers they share.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lidendrite.errors import InputError
from lidendrite.io.jsonfile import write_json
from lidendrite.qeq.bias import ElectrodeBias

__all__ = [
    "enable_jax_cache",
    "level_of_theory",
    "md_settings",
    "dpqeq_factory",
    "run_npt",
    "cut_structure",
    "run_constq_nvt",
    "run_round",
    "run_bias",
    "bias_study_summary",
    "cycle_summary",
]


def enable_jax_cache(path: str | os.PathLike) -> None:
    """Persistent JAX compilation cache in ``path``: every MD rule is a new process,
    and the QEq solve otherwise recompiles (~5-10 s) in each."""
    Path(path).mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(Path(path).resolve()))
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.5")


def level_of_theory(final_models_json: str | os.PathLike) -> str:
    """'DP-QEq (DP_short trained on <labeller>; QEq ec Table S1)' from the model provenance."""
    path = Path(final_models_json)
    try:
        lot = json.loads(path.read_text())["level_of_theory"]
    except (OSError, KeyError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: no level_of_theory in the model provenance ({exc})") from None
    return f"DP-QEq: DP_short trained on {lot}; QEq with the ec Table S1 parameters"


def md_settings(cfg: Mapping[str, Any], ensemble: str, n_steps: int, **extra) -> Any:
    """:class:`~lidendrite.md.driver.MDSettings` of a stage from the ``ec.constp`` block."""
    from lidendrite.md.driver import MDSettings

    keys = (
        "timestep_fs",
        "temperature_K",
        "tdamp_fs",
        "tchain",
        "qeq_every",
        "sample_every",
        "restart_every",
        "log_every",
        "seed",
        "minimize_steps",
        "minimize_fmax",
        "max_temperature_K",
        "overheat",
    )
    kw = {k: cfg[k] for k in keys if k in cfg}
    if ensemble == "npt":
        npt = cfg.get("npt", {})
        kw.update(
            {
                k: npt[k]
                for k in ("pressure_bar", "ttime_fs", "ptime_fs", "bulk_modulus_GPa")
                if k in npt
            }
        )
    kw.update(extra)
    # a stage shorter than the sampling interval still gets its last frame
    n = int(n_steps)
    kw["sample_every"] = _fit(int(kw["sample_every"]), n, int(kw["qeq_every"]))
    kw["restart_every"] = _fit(int(kw["restart_every"]), n, int(kw["qeq_every"]))
    return MDSettings(ensemble=ensemble, n_steps=n, **kw)


def _fit(every: int, n_steps: int, qeq_every: int) -> int:
    if every <= n_steps:
        return every
    return max(qeq_every, (n_steps // qeq_every) * qeq_every) if n_steps >= qeq_every else every


def dpqeq_factory(model: str | os.PathLike, qeq: Mapping[str, Any]):
    """``settings -> DPQEqCalculator`` (ConstQ, or ConstP with the fields of
    :meth:`~lidendrite.qeq.bias.ElectrodeBias.qeq_settings` in ``settings``)."""
    from lidendrite.dpqeq.calculator import DPQEqCalculator

    def make(settings: Mapping[str, Any]):
        return DPQEqCalculator(model, {**dict(qeq), "warm_start": True}, **settings)

    return make



def _base(cfg, lot, scale, structure) -> dict:
    return {"level_of_theory": lot, "scale": scale, "structure": str(structure)}


def _constq_stage(
    structure, model, provenance, cfg, md, stage: str, *, traj, final, workdir, scale
):
    """Run a ConstQ stage (total charge 0) and return its summary dict."""
    from lidendrite.constp.cycle import run_stage
    from lidendrite.structures.extxyz import read_structure

    atoms = read_structure(structure)
    lot = level_of_theory(provenance)
    res = run_stage(
        atoms,
        mode="constq",
        md=md,
        traj=traj,
        final=final,
        workdir=workdir,
        calc_factory=dpqeq_factory(model, cfg["qeq"]),
        info={"round": 0, "level_of_theory": lot, "stage": stage},
        name=stage.replace("_", " "),
    )
    res.update(_base(cfg, lot, scale, structure))
    return res


def run_npt(structure, model, provenance, cfg, *, traj, final, summary, workdir, scale) -> dict:
    """ConstQ NPT of the superlattice (Fig. S1a -> S1b)."""
    from lidendrite.md.driver import read_frames

    md = md_settings(cfg, "npt", cfg["npt"]["n_steps"])
    res = _constq_stage(
        structure, model, provenance, cfg, md, "constq_npt",
        traj=traj, final=final, workdir=workdir, scale=scale,
    )  # fmt: skip
    frames = read_frames(traj)
    res.update(
        cell_start_A=np.diag(frames[0].cell.array).tolist(),
        cell_end_A=np.diag(frames[-1].cell.array).tolist(),
        max_abs_total_charge=_max_total(frames),
    )
    write_json(res, summary)
    return res


def _max_total(frames) -> float:
    from lidendrite.constp.electrodes import frame_charges

    return float(max(abs(frame_charges(f).sum()) for f in frames))


def cut_structure(npt_final, cut_cfg: Mapping[str, Any], *, out, summary, scale) -> dict:
    """Cut the NPT-relaxed superlattice into the double interface (Fig. S1b -> S1c)."""
    from lidendrite.structures.ec import builder_kwargs, cut_double_interface
    from lidendrite.structures.extxyz import read_structure, write_structure

    atoms = read_structure(npt_final)
    kw = builder_kwargs({"cut": dict(cut_cfg)}, "cut", cut_double_interface)
    di = cut_double_interface(atoms, **kw)
    di.info.pop("step", None)
    write_structure(di, out)
    reg = np.asarray(di.arrays["region"]).astype(str)
    res = {
        "scale": scale,
        "level_of_theory": str(atoms.info.get("level_of_theory", "none (geometry only)")),
        "n_atoms": len(di),
        "cell_A": np.diag(di.cell.array).tolist(),
        "n_anode": int((reg == "anode").sum()),
        "n_cathode": int((reg == "cathode").sum()),
        "n_electrolyte": int((reg == "electrolyte").sum()),
        "n_fixed": int(np.asarray(di.arrays["fixed"], bool).sum()),
        "cut": dict(kw),
    }
    write_json(res, summary)
    return res


def run_constq_nvt(
    structure, model, provenance, cfg, *, traj, final, summary, workdir, scale
) -> dict:
    """ConstQ NVT of the double interface (the start of the ConstP rounds)."""
    from lidendrite.constp.cycle import summarise_stage

    md = md_settings(cfg, "nvt", cfg["constq_nvt_steps"], confine_z=True)
    res = _constq_stage(
        structure, model, provenance, cfg, md, "constq_nvt",
        traj=traj, final=final, workdir=workdir, scale=scale,
    )  # fmt: skip
    res["charges"] = summarise_stage(traj)
    write_json(res, summary)
    return res


def run_round(
    previous_final,
    model,
    provenance,
    cfg,
    bias_cfg: Mapping[str, Any],
    *,
    series: str,
    round_k: int,
    traj,
    final,
    summary,
    workdir,
    scale,
) -> dict:
    """ConstP round ``round_k`` of ``series``: round 1 starts from the ConstQ NVT's
    last frame with its labels; later rounds from the previous round's last frame
    with anode and cathode swapped."""
    from lidendrite.constp.cycle import run_stage, summarise_stage
    from lidendrite.constp.electrodes import swap_electrodes
    from lidendrite.structures.extxyz import read_structure

    if series not in cfg["series"]:
        raise InputError(f"config ec.constp.series has no series {series!r}")
    scfg = cfg["series"][series]
    if not 1 <= round_k <= scfg["n_rounds"]:
        raise InputError(f"series {series}: round {round_k} is not in 1..{scfg['n_rounds']}")
    atoms = read_structure(previous_final)
    if round_k > 1:
        atoms = swap_electrodes(atoms)
    lot = level_of_theory(provenance)
    n_steps = scfg.get("round_steps", cfg["round_steps"])
    md = md_settings(cfg, "nvt", n_steps, confine_z=True)
    bias = ElectrodeBias.from_config(bias_cfg, scfg)
    calc = dpqeq_factory(model, cfg["qeq"])
    info = {
        "round": round_k,
        "series": series,
        "level_of_theory": lot,
        "stage": "constp_round",
        **bias.rule(),
    }
    res = run_stage(
        atoms,
        mode="constp",
        md=md,
        traj=traj,
        final=final,
        workdir=workdir,
        calc_factory=calc,
        bias=bias,
        info=info,
        name=f"{series} round {round_k}",
    )
    ch = summarise_stage(traj)
    reg = np.asarray(atoms.arrays["region"]).astype(str)
    z = atoms.positions[:, 2]
    res.update(_base(cfg, lot, scale, previous_final))
    res.update(
        series=series,
        round=round_k,
        phi_anode=bias.phi_anode,
        phi_cathode=bias.phi_cathode,
        **bias.rule(),
        anode_side="lower" if z[reg == "anode"].mean() < z[reg == "cathode"].mean() else "upper",
        duration_ps=ch["duration_ps"],
        surface_charge_density_e_per_nm2={
            "start": {e: ch["start"][f"sigma_{e}"] for e in ("anode", "cathode")},
            "end": {e: ch["end"][f"sigma_{e}"] for e in ("anode", "cathode")},
        },
        normalised_li_charge={
            "start": {e: ch["start"][f"{e}_li_charge"] for e in ("anode", "cathode")},
            "end": {e: ch["end"][f"{e}_li_charge"] for e in ("anode", "cathode")},
        },
        n_biased={
            "start": {e: ch["start"][f"n_biased_{e}"] for e in ("anode", "cathode")},
            "end": {e: ch["end"][f"n_biased_{e}"] for e in ("anode", "cathode")},
        },
        max_abs_total_charge=ch["max_abs_total_charge"],
        charges=ch,
    )
    write_json(res, summary)
    return res


def run_bias(
    structure,
    model,
    provenance,
    cfg,
    bias_cfg: Mapping[str, Any],
    *,
    phi_anode: float,
    phi_cathode: float,
    traj,
    final,
    summary,
    workdir,
    scale,
) -> dict:
    """One ConstP run of the bias study (Fig. S11) from the ConstQ-equilibrated double interface:
    the CN rule of ``bias_cfg`` (``ec.bias``) at the pair's potentials (V)."""
    from lidendrite.constp.cycle import run_stage, summarise_stage
    from lidendrite.structures.extxyz import read_structure

    bcfg = cfg["bias_study"]
    atoms = read_structure(structure)
    lot = level_of_theory(provenance)
    md = md_settings(cfg, "nvt", bcfg["n_steps"], confine_z=True)
    bias = ElectrodeBias.from_config(bias_cfg).with_potentials(phi_anode, phi_cathode)
    calc = dpqeq_factory(model, cfg["qeq"])
    info = {"round": 1, "series": "bias", "level_of_theory": lot, "stage": "bias_study"}
    res = run_stage(
        atoms,
        mode="constp",
        md=md,
        traj=traj,
        final=final,
        workdir=workdir,
        calc_factory=calc,
        bias=bias,
        info=info,
        name=f"bias {phi_anode:+g}/{phi_cathode:+g} V",
    )
    res.update(
        _base(cfg, lot, scale, structure),
        phi_anode=phi_anode,
        phi_cathode=phi_cathode,
        **bias.rule(),
        charges=summarise_stage(traj),
    )
    write_json(res, summary)
    return res


def bias_study_summary(
    run_jsons: Sequence[str | os.PathLike], cfg, bias_cfg: Mapping[str, Any], *, out, png, pdf, scale
) -> dict:
    """Fig. S11 and ``bias_study.json``: normalised anode / cathode Li charge per bias pair.

    Report keys: ``anode_li_charge.phi_minus1`` from the (-1, +6) V run,
    ``anode_li_charge.phi_minus2`` and ``cathode_li_charge.phi_plus6`` from (-2, +6),
    ``cathode_li_charge.phi_plus7`` from (-2, +7): the anode value of every run at
    the reference cathode bias (``ec.bias.phi_cathode``) and the cathode value of
    every run at the reference anode bias; each the mean over the last
    ``plateau_fraction`` of the frames.
    """
    from lidendrite.constp.cycle import bias_key, plateau_mean
    from lidendrite.plotting.ec_figS11 import plot_figS11

    frac = cfg["bias_study"]["plateau_fraction"]
    runs = []
    for path in run_jsons:
        r = json.loads(Path(path).read_text())
        s = r["charges"]["series"]
        runs.append(
            {
                "phi_anode": r["phi_anode"],
                "phi_cathode": r["phi_cathode"],
                "time_ps": s["time_ps"],
                "anode_li_charge": s["anode_li_charge"],
                "cathode_li_charge": s["cathode_li_charge"],
                "anode_biased_li_charge": s["anode_biased_li_charge"],
                "cathode_biased_li_charge": s["cathode_biased_li_charge"],
                "anode_plateau": plateau_mean(s["anode_li_charge"], frac),
                "cathode_plateau": plateau_mean(s["cathode_li_charge"], frac),
                "max_abs_total_charge": r["charges"]["max_abs_total_charge"],
                "level_of_theory": r["level_of_theory"],
                "stopped": r.get("stopped"),
            }
        )
    ref_a, ref_c = float(bias_cfg["phi_anode"]), float(bias_cfg["phi_cathode"])
    anode = {
        bias_key(r["phi_anode"]): r["anode_plateau"]
        for r in runs
        if np.isclose(r["phi_cathode"], ref_c)
    }
    cathode = {
        bias_key(r["phi_cathode"]): r["cathode_plateau"]
        for r in runs
        if np.isclose(r["phi_anode"], ref_a)
    }
    lots = sorted({r["level_of_theory"] for r in runs})
    res = {
        "scale": scale,
        "level_of_theory": lots[0] if len(lots) == 1 else "; ".join(lots),
        "definition": (
            "normalised Li charge = mean QEq charge of the non-fixed Li on the "
            "electrode's side of the electrolyte mid-line, averaged over the last "
            f"{frac:g} of the frames; biased-Li means are in runs[*]"
        ),
        "anode_li_charge": anode,
        "cathode_li_charge": cathode,
        "trend": {
            "anode_rises_with_more_negative_phi": _trend(anode, "minus", rising=True),
            "cathode_falls_with_more_positive_phi": _trend(cathode, "plus", rising=False),
        },
        "effect": {
            "anode": _bias_effect(runs, "anode", ref_c, frac),
            "cathode": _bias_effect(runs, "cathode", ref_a, frac),
        },
        "effect_electrode": {
            "definition": (
                "the same change for the mean charge of the biased (metallic, CN rule of "
                "eq. S17) Li of each electrode: the electrode's own response to its bias"
            ),
            "anode": _bias_effect(runs, "anode", ref_c, frac, series="anode_biased_li_charge"),
            "cathode": _bias_effect(
                runs, "cathode", ref_a, frac, series="cathode_biased_li_charge"
            ),
        },
        "paper": _paper_bias_values(),
        "runs": runs,
    }
    write_json(res, out)
    plot_figS11(res, png, pdf)
    return res


def _bias_effect(
    runs, side: str, ref_other: float, frac: float, series: str | None = None
) -> dict | None:
    """Change of the normalised ``side`` Li charge (e) from the smallest to the largest
    |phi| of that side among the runs at the reference bias of the other side.

    ``series`` is the per-frame charge series of each run (default
    ``<side>_li_charge``). ``delta`` = plateau(largest |phi|) - plateau(smallest
    |phi|); ``stderr`` combines the two plateau means' standard errors from 4 block
    averages (frames of one run are correlated, so a per-frame error would be too
    small); ``significant``: |delta| > 2 stderr and neither run stopped for
    overheating (``stopped`` lists those that did); ``instant_delta``: the same change
    on the first frame of each run (the response of the unrelaxed structure, before
    any dynamics). None with fewer than two such runs.
    """
    from lidendrite.constp.cycle import plateau_mean

    other = "cathode" if side == "anode" else "anode"
    sel = [r for r in runs if np.isclose(r[f"phi_{other}"], ref_other)]
    if len(sel) < 2:
        return None
    sel.sort(key=lambda r: abs(r[f"phi_{side}"]))
    lo, hi = sel[0], sel[-1]

    series = series or f"{side}_li_charge"

    def mean_err(r):
        q = [v for v in r[series] if v is not None]
        tail = np.asarray(q[len(q) - max(1, int(round(len(q) * frac))) :], dtype=float)
        blocks = [b.mean() for b in np.array_split(tail, 4) if b.size]
        err = (
            float(np.std(blocks, ddof=1) / np.sqrt(len(blocks)))
            if len(blocks) > 1
            else float("nan")
        )
        return plateau_mean(r[series], frac), err

    (m_lo, e_lo), (m_hi, e_hi) = mean_err(lo), mean_err(hi)
    if m_lo is None or m_hi is None:
        return None
    delta = m_hi - m_lo
    stderr = float(np.hypot(e_lo, e_hi))
    first_lo, first_hi = lo[series][0], hi[series][0]
    instant = None if first_lo is None or first_hi is None else float(first_hi - first_lo)
    stopped = [r["stopped"] for r in (lo, hi) if r.get("stopped")]
    return {
        "series": series,
        "from_phi": lo[f"phi_{side}"],
        "to_phi": hi[f"phi_{side}"],
        "delta": float(delta),
        "stderr": stderr,
        "significant": bool(abs(delta) > 2 * stderr) and not stopped,
        "stopped": stopped,
        "instant_delta": instant,
    }


def _paper_bias_values() -> dict:
    """The Fig. S11 numbers of config/paper_values.yaml, in this JSON's layout."""
    from lidendrite.plotting.style import paper_value

    return {
        "anode_li_charge": {
            k: paper_value("ec", f"anode_li_charge_{k}") for k in ("phi_minus1", "phi_minus2")
        },
        "cathode_li_charge": {
            k: paper_value("ec", f"cathode_li_charge_{k}") for k in ("phi_plus6", "phi_plus7")
        },
    }


def _trend(values: Mapping[str, float | None], sign: str, rising: bool) -> bool | None:
    """Whether the charge moves the paper's way as |phi| grows (None: fewer than 2 values)."""
    pts = sorted(
        (float(k.removeprefix(f"phi_{sign}")), v) for k, v in values.items() if v is not None
    )
    if len(pts) < 2:
        return None
    d = pts[-1][1] - pts[0][1]
    return bool(d > 0) if rising else bool(d < 0)


def cycle_summary(
    stage_jsons: Mapping[str, str | os.PathLike],
    round_jsons: Mapping[str, Sequence[str | os.PathLike]],
    cfg,
    *,
    out,
    scale,
) -> dict:
    """``cycle.json``: stage lengths (ps) and a per-round summary for each series."""
    stages = {k: json.loads(Path(p).read_text()) for k, p in stage_jsons.items()}
    dt_ps = float(cfg["timestep_fs"]) / 1000.0
    lengths = {
        "npt_constq": cfg["npt"]["n_steps"] * dt_ps,
        "nvt_constq": cfg["constq_nvt_steps"] * dt_ps,
        "constp_round": cfg["round_steps"] * dt_ps,
        "n_rounds": int(cfg["series"][next(iter(cfg["series"]))]["n_rounds"]),
    }
    if "main" in cfg["series"]:
        lengths["n_rounds"] = int(cfg["series"]["main"]["n_rounds"])
    series = {}
    keep = (
        "round",
        "duration_ps",
        "anode_side",
        "surface_charge_density_e_per_nm2",
        "normalised_li_charge",
        "n_biased",
        "max_abs_total_charge",
        "wall_s",
        "seconds_per_step",
        "n_frames",
        "cn_cutoff",
        "cn_metal",
        "cn_rule",
        "resumed_from_step",
    )
    lots = set()
    for name, paths in round_jsons.items():
        rows = []
        for p in paths:
            r = json.loads(Path(p).read_text())
            lots.add(r["level_of_theory"])
            rows.append({k: r.get(k) for k in keep})
        series[name] = rows
    for st in stages.values():
        if "level_of_theory" in st and str(st["level_of_theory"]).startswith("DP-QEq"):
            lots.add(st["level_of_theory"])
    res = {
        "scale": scale,
        "level_of_theory": "; ".join(sorted(lots)),
        "cycle_lengths_ps": lengths,
        "timestep_fs": cfg["timestep_fs"],
        "stages": {
            k: {
                kk: v.get(kk)
                for kk in (
                    "n_steps",
                    "n_frames",
                    "wall_s",
                    "seconds_per_step",
                    "cell_start_A",
                    "cell_end_A",
                    "max_abs_total_charge",
                )
                if kk in v
            }
            for k, v in stages.items()
        },
        "series": series,
    }
    write_json(res, out)
    return res
