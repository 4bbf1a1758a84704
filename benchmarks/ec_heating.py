"""Where does the heat of the ec DP-QEq runs come from? NVE from one start, three potentials.

From the ConstQ-equilibrated double interface (or any ec structure) with one set of
300 K Maxwell-Boltzmann velocities, runs velocity-Verlet NVE (no thermostat; the
fixed outer layers held) with

* ``dpqeq``: DP_short + ConstQ QEq (charges solved every step),
* ``full_dp``: the full Deep Potential trained on the same labels,
* ``teacher``: the labeller itself (CHGNet or SevenNet-0),

and records per step the kinetic temperature and the total energy. Reading:

* total-energy drift (meV/atom/ps): non-conservative forces or a too long time step;
* temperature rise at conserved total energy: the potential energy falls, i.e. the
  structure slides downhill on that potential (relaxation or reaction);
* the teacher's rise from the same start is what the chemistry itself releases;
  a DP-QEq rise far above it is the model's error.

Every ``check_every`` steps of the ``dpqeq`` run the frame is also labelled by the
teacher: force RMSE and energy difference (DP-QEq - teacher, per atom) along the
trajectory show whether the model moves into regions where it is wrong.

Usage::

    .venv/bin/python benchmarks/ec_heating.py --results results/demo --steps 200 \\
        --out benchmarks/results/ec_heating
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
from _provenance import provenance


def _potential(kind: str, results: Path, teacher: str):
    from lidendrite.dpqeq.calculator import DPQEqCalculator, load_dp_calculator
    from lidendrite.labeling.teacher import TeacherLabeller

    pot = results / "ec" / "potential"
    if kind == "dpqeq":
        return DPQEqCalculator(
            pot / "dp_short.pb", {"params": "ec", "tol": 1e-6, "warm_start": True}
        )
    if kind == "full_dp":
        return load_dp_calculator(pot / "full_dp.pb")
    return TeacherLabeller(teacher).calculator()


def run_nve(atoms0, calc, steps, dt_fs, seed, check_every=0, teacher_calc=None):
    from ase import units
    from ase.constraints import FixAtoms
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary
    from ase.md.verlet import VelocityVerlet

    atoms = atoms0.copy()
    fixed = np.asarray(atoms.arrays.get("fixed", np.zeros(len(atoms))), bool)
    atoms.set_constraint(FixAtoms(mask=fixed) if fixed.any() else None)
    MaxwellBoltzmannDistribution(atoms, temperature_K=300.0, rng=np.random.default_rng(seed))
    Stationary(atoms)
    mom = atoms.get_momenta()
    mom[fixed] = 0.0
    atoms.set_momenta(mom)
    atoms.calc = calc
    dyn = VelocityVerlet(atoms, timestep=dt_fs * units.fs)
    n = len(atoms)
    rec = {"step": [], "T_K": [], "etot_eV": [], "epot_eV": []}
    errors = []

    def log():
        rec["step"].append(dyn.nsteps)
        rec["T_K"].append(float(atoms.get_temperature()))
        epot = float(atoms.get_potential_energy())
        rec["epot_eV"].append(epot)
        rec["etot_eV"].append(epot + float(atoms.get_kinetic_energy()))
        if check_every and teacher_calc is not None and dyn.nsteps % check_every == 0:
            probe = atoms.copy()
            probe.set_constraint()
            probe.calc = teacher_calc
            ft = probe.get_forces()
            et = probe.get_potential_energy()
            fm = atoms.get_forces(apply_constraint=False)
            mobile = ~fixed
            errors.append(
                {
                    "step": dyn.nsteps,
                    "force_rmse_eV_A": float(np.sqrt(np.mean((fm[mobile] - ft[mobile]) ** 2))),
                    "energy_eV": epot,
                    "teacher_energy_eV": float(et),
                }
            )

    dyn.attach(log, interval=1)
    t0 = time.perf_counter()
    dyn.run(steps)
    wall = time.perf_counter() - t0
    t_ps = np.asarray(rec["step"]) * dt_fs / 1000.0
    etot = np.asarray(rec["etot_eV"])
    slope = float(np.polyfit(t_ps, etot, 1)[0]) / n * 1000.0 if len(t_ps) > 2 else float("nan")
    if errors:
        e0 = errors[0]["energy_eV"] - errors[0]["teacher_energy_eV"]
        for e in errors:
            e["energy_diff_change_meV_atom"] = (
                (e["energy_eV"] - e["teacher_energy_eV"] - e0) / n * 1000
            )
    return {
        "n_atoms": n,
        "n_mobile": int((~fixed).sum()),
        "steps": steps,
        "timestep_fs": dt_fs,
        "seconds_per_step": wall / steps,
        "T_start_K": rec["T_K"][0],
        "T_end_K": rec["T_K"][-1],
        "T_max_K": float(max(rec["T_K"])),
        "epot_change_meV_atom": (rec["epot_eV"][-1] - rec["epot_eV"][0]) / n * 1000.0,
        "etot_max_abs_change_meV_atom": float(np.max(np.abs(etot - etot[0]))) / n * 1000.0,
        "etot_slope_meV_atom_ps": slope,
        "trace": rec,
        "model_error": errors,
    }


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--results", type=Path, default=Path("results/demo"))
    p.add_argument(
        "--structure",
        type=Path,
        default=None,
        help="start (default: <results>/ec/constp/constq_nvt/final.extxyz, else the cut)",
    )
    p.add_argument("--potentials", nargs="+", default=["dpqeq", "full_dp", "teacher"])
    p.add_argument("--teacher", default="chgnet")
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--timestep-fs", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=5)
    p.add_argument("--check-every", type=int, default=50)
    p.add_argument("--out", type=Path, default=Path("benchmarks/results/ec_heating"))
    p.add_argument("--note", default="")
    args = p.parse_args()

    from ase.io import read

    structure = args.structure or args.results / "ec" / "constp" / "double_interface.extxyz"
    atoms = read(structure)
    atoms.calc = None
    need_teacher = "teacher" in args.potentials or ("dpqeq" in args.potentials and args.check_every)
    teacher_calc = _potential("teacher", args.results, args.teacher) if need_teacher else None
    load0 = os.getloadavg()
    out = {}
    for kind in args.potentials:
        calc = teacher_calc if kind == "teacher" else _potential(kind, args.results, args.teacher)
        out[kind] = run_nve(
            atoms,
            calc,
            args.steps,
            args.timestep_fs,
            args.seed,
            check_every=args.check_every if kind == "dpqeq" else 0,
            teacher_calc=teacher_calc,
        )
        r = out[kind]
        print(
            f"{kind}: T {r['T_start_K']:.0f} -> {r['T_end_K']:.0f} K (max {r['T_max_K']:.0f}), "
            f"Epot {r['epot_change_meV_atom']:+.1f} meV/atom, Etot slope "
            f"{r['etot_slope_meV_atom_ps']:+.2f} meV/atom/ps, {r['seconds_per_step']:.3f} s/step",
            flush=True,
        )
    meta = provenance(
        load0,
        structure=str(structure),
        teacher=args.teacher,
        command="benchmarks/ec_heating.py "
        + " ".join(
            f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if v not in (None, "")
        ),
        note=args.note,
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    Path(f"{args.out}.json").write_text(json.dumps({"meta": meta, "runs": out}, indent=1))
    lines = [
        "# ec: NVE from one start with DP-QEq, the full DP and the teacher",
        "",
        f"{meta['date']}, commit {meta['commit']}, {meta['machine']}; structure `{structure}` "
        f"({out[args.potentials[0]]['n_atoms']} atoms, {out[args.potentials[0]]['n_mobile']} mobile), "
        f"300 K Maxwell-Boltzmann velocities (seed {args.seed}), velocity Verlet {args.timestep_fs} fs, "
        f"{args.steps} steps. Load average before/after: {load0[0]:.1f} / {os.getloadavg()[0]:.1f}. {args.note}",
        "",
        "| potential | T start (K) | T end (K) | T max (K) | E_pot change (meV/atom) | E_tot max drift (meV/atom) | E_tot slope (meV/atom/ps) | s/step |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, r in out.items():
        lines.append(
            f"| {kind} | {r['T_start_K']:.0f} | {r['T_end_K']:.0f} | {r['T_max_K']:.0f} | "
            f"{r['epot_change_meV_atom']:+.1f} | {r['etot_max_abs_change_meV_atom']:.2f} | "
            f"{r['etot_slope_meV_atom_ps']:+.2f} | {r['seconds_per_step']:.3f} |"
        )
    if out.get("dpqeq", {}).get("model_error"):
        lines += [
            "",
            "DP-QEq along its own NVE trajectory against the teacher (mobile atoms):",
            "",
            "| step | force RMSE (eV/A) | change of E_DPQEq - E_teacher since step 0 (meV/atom) |",
            "|---:|---:|---:|",
        ]
        for e in out["dpqeq"]["model_error"]:
            lines.append(
                f"| {e['step']} | {e['force_rmse_eV_A']:.3f} | {e['energy_diff_change_meV_atom']:+.1f} |"
            )
    lines += ["", f"Command: `{meta['command']}`", ""]
    Path(f"{args.out}.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
