"""Stage-level functions of the lpsc analysis rules (one call per rule script).

Each returns the dict written as the rule's JSON; arrays go to the files the
rule declares.  Distances in Angstrom, times in ps, charges in e.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from lidendrite.analysis.charges import li_charge_summary, qeq_charges
from lidendrite.analysis.cluster import find_cluster
from lidendrite.analysis.frames import pick_frames
from lidendrite.analysis.rdf import first_peak, li_li_rdf, mean_nearest_neighbour
from lidendrite.analysis.regions import analyse_regions
from lidendrite.errors import InputError, OverlapError
from lidendrite.io.lammps_dump import frame_steps, read_frames

__all__ = ["sampling_summary", "charges_at_times", "regions_over_time", "cluster_and_rdf", "REGION_KEYS"]

REGION_KEYS = ("li_li_cutoff", "bond_cutoff", "n_metal_neighbours", "crystal_displacement", "ps_bond", "bin_width")


def sampling_summary(result, timestep_fs: float, natoms: int) -> dict[str, Any]:
    """Headline numbers of a moving-restraint run: CV/s0 start and end, ns/day, PLUMED share, restraint period, omega*dt."""
    steps_run = result.final_step - (result.resumed_from_step or 0)
    ns = steps_run * timestep_fs * 1e-6
    return {
        "n_atoms": natoms,
        "n_steps": result.n_steps,
        "final_step": result.final_step,
        "finished": result.finished,
        "resumed_from_step": result.resumed_from_step,
        "cv_start": round(result.cv_first, 4),
        "cv_end": round(result.cv_last, 4),
        "s0_start": round(result.s0_start, 4),
        "s0_end": round(result.s0_end, 4),
        "wall_time_s": round(result.wall_time_s, 2),
        "throughput_ns_per_day": round(ns / result.wall_time_s * 86400, 4) if result.wall_time_s else None,
        "plumed_share": round(result.plumed_time_s / result.wall_time_s, 4) if result.wall_time_s else None,
        "restraint_period_fs": round(result.restraint_period_fs, 4),
        "omega_dt": round(result.omega_dt, 4),
        "max_omega_dt": result.max_omega_dt,
        "lammps_version": result.lammps_version,
        "plumed_version": result.plumed_version,
    }


def charges_at_times(traj, start, *, n_steps: int, timestep_fs: float, fractions, out_extxyz, **qeq) -> dict:
    """QEq charges (ConstQ, total 0) on the frames nearest to ``fractions`` of the run; write them as extxyz.

    A frame whose atoms overlap (closer than the QEq engine's ``min_distance``:
    the DP model let the MD collapse there) is skipped and listed under
    ``skipped_frames`` with the reason. If every asked-for frame is skipped, the
    latest earlier frame without overlaps is used instead and the JSON says so
    (``fallback``); if there is none, the one-line error stands.
    """
    from ase.io import write

    steps = frame_steps(traj)
    picks = pick_frames(steps, n_steps, list(fractions))
    frames, rows, skipped = [], [], []

    def charge(k):
        atoms = read_frames(traj, start, index=k)
        try:
            q = qeq_charges(atoms, **qeq)
        except OverlapError as exc:
            skipped.append({"step": int(steps[k]), "reason": f"{exc} (the MD collapsed: model failure)"})
            return None
        if not np.all(np.isfinite(q)):
            raise InputError(f"{traj}: QEq charges are not finite at step {atoms.info['step']}")
        atoms.info["time_ps"] = atoms.info["step"] * timestep_fs * 1e-3
        return atoms

    for k in tqdm(picks, desc="QEq charges", unit="frame", disable=None):
        atoms = charge(k)
        if atoms is not None:
            frames.append(atoms)
    fallback = None
    if not frames:
        for k in range(min(picks) - 1, -1, -1):
            atoms = charge(k)
            if atoms is not None:
                frames.append(atoms)
                fallback = (
                    f"every frame at the asked times had overlapping atoms; the latest earlier frame "
                    f"without overlaps (step {atoms.info['step']}) is analysed instead"
                )
                break
    if not frames:
        raise InputError(f"{traj}: atoms overlap in every frame: {skipped[0]['reason']}")
    for atoms in frames:
        rows.append({"step": atoms.info["step"], "time_ps": round(atoms.info["time_ps"], 4), **li_charge_summary(atoms)})
    tmp = Path(str(out_extxyz) + ".tmp.extxyz")
    write(tmp, frames, format="extxyz")
    os.replace(tmp, out_extxyz)
    out: dict[str, Any] = {"frames": rows}
    if skipped:
        out["skipped_frames"] = skipped
    if fallback:
        out["fallback"] = fallback
    return out


def regions_over_time(traj, start, *, timestep_fs: float, **params) -> dict:
    """SEI thickness, boundary and products for every frame of ``traj``."""
    rows = []
    frames = read_frames(traj, start)
    for atoms in tqdm(frames, desc="SEI regions", unit="frame", disable=None):
        res, _, _ = analyse_regions(atoms, **params)
        rows.append({"time_ps": round(res.step * timestep_fs * 1e-3, 4), **res.as_dict()})
    return {"frames": rows, "sei_thickness_final_angstrom": rows[-1]["sei_thickness"],
            "sei_thickness_initial_angstrom": rows[0]["sei_thickness"]}


def cluster_and_rdf(charge_frames, *, region_params: dict, li_li_cutoff: float, q_metal: float, min_size: int,
                    anchor_layer: int, r_max: float, dr: float) -> tuple[dict, dict[str, np.ndarray]]:
    """Cluster search on the QEq frames and the Li-Li RDF of cluster vs anode interior.

    Returns the JSON dict and the RDF arrays (``r``, ``g_cluster``, ``g_anode``).
    """
    per_frame, best = [], None
    for atoms in tqdm(charge_frames, desc="Li clusters", unit="frame", disable=None):
        reg, _, h = analyse_regions(atoms, **region_params)
        cl = find_cluster(atoms, atoms.arrays["charges"], h_boundary=reg.h_boundary, h_sei_top=reg.h_sei_top,
                          li_li_cutoff=li_li_cutoff, q_metal=q_metal, min_size=min_size, anchor_layer=anchor_layer)
        d = cl.as_dict()
        d.update(time_ps=round(float(atoms.info.get("time_ps", 0.0)), 4), h_boundary=round(reg.h_boundary, 4),
                 h_sei_top=round(reg.h_sei_top, 4))
        per_frame.append(d)
        if cl.size and best is None:
            best = (atoms, cl)
    last = charge_frames[-1]
    sym = np.asarray(last.get_chemical_symbols())
    region = np.asarray(last.arrays["region"]).astype(str)
    layer = np.asarray(last.arrays["layer"]).astype(int)
    n_layers = int(layer[region == "anode"].max())
    interior = np.flatnonzero((sym == "Li") & (region == "anode") & (layer >= 3) & (layer <= max(3, n_layers - 2)))
    area = np.linalg.norm(np.cross(last.cell[0], last.cell[1]))
    z = last.arrays["start_positions"][region == "anode", 2]
    rho = (region == "anode").sum() / (area * (z.max() - z.min() + 1.7))
    r, g_anode = li_li_rdf([last], [interior], rho=rho, r_max=r_max, dr=dr)
    out: dict[str, Any] = {
        "frames": per_frame,
        "anode_nn_peak_angstrom": round(first_peak(r, g_anode), 3),
        "anode_mean_nn_angstrom": round(mean_nearest_neighbour(last, interior), 3),
        "rdf_reference_density_per_A3": round(float(rho), 5),
    }
    arrays = {"r": r, "g_anode": g_anode, "g_cluster": np.full_like(r, np.nan)}
    if best is None:
        out.update(cluster_found=False, cluster_size=0, cluster_distance_from_boundary_angstrom=None,
                   cluster_nn_peak_angstrom=None, cluster_mean_nn_angstrom=None, cluster_origin={},
                   cluster_location="none", cluster_time_ps=None,
                   seen="no free metal-like Li cluster (QEq charge below q_metal, not connected to an electrode) "
                        "in any analysed frame")
    else:
        atoms, cl = best
        _, g_cl = li_li_rdf([atoms], [np.array(cl.atoms)], rho=rho, r_max=r_max, dr=dr)
        arrays["g_cluster"] = g_cl
        out.update(cluster_found=True, cluster_size=cl.size, cluster_time_ps=round(float(atoms.info.get("time_ps", 0)), 4),
                   cluster_step=cl.step,
                   cluster_distance_from_boundary_angstrom=round(cl.distance_from_boundary, 3),
                   cluster_min_distance_to_anode_angstrom=cl.min_distance_to_anode and round(cl.min_distance_to_anode, 3),
                   cluster_location=cl.location, cluster_origin=cl.origin, cluster_atoms=cl.atoms,
                   cluster_mean_charge_e=round(cl.mean_charge, 4),
                   cluster_nn_peak_angstrom=round(first_peak(r, g_cl), 3),
                   cluster_mean_nn_angstrom=round(mean_nearest_neighbour(atoms, np.array(cl.atoms)), 3),
                   seen=f"a {cl.size}-atom metal-like Li cluster at {cl.distance_from_boundary:.1f} A from the Li/SEI "
                        f"boundary ({cl.location}), atoms from {cl.origin}")
    return out, arrays
