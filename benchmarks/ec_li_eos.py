"""Bulk BCC Li under the ec DP-QEq models and their teacher, and what it does to the superlattice.

The Li electrode's interior is bulk BCC Li, and the paper's ConstQ NPT (sec. 2.2.2) is run
so that it "remains a BCC structure". This script sets each given ec training (a results
directory of the ec stage) beside the teacher on three things:

1. the equation of state of bulk BCC Li (2x2x2 cubic cells): energy per atom and pressure
   against the lattice constant, the lattice constant of lowest energy, and the pressure
   at the teacher's;
2. the pipeline's pre-MD minimisation of the superlattice (``ec.constp.minimize_steps``
   FIRE steps): energy drop and the Li layers along z (counts in 1.5 A bins, the BCC(100)
   layer spacing being 1.7 A);
3. the pipeline's ConstQ NPT stage (``lidendrite.constp.stages.run_npt``): the end
   temperature (mean of the last quarter) and the cell.

Usage::

    .venv/bin/python benchmarks/ec_li_eos.py --run "pref_v 0:results/ecchain/demo" \\
        --run "pref_v 0.02-1:results/ecvir/demo" --out benchmarks/results/ec_li_eos
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
from _provenance import provenance

LATTICE_A = (3.25, 3.30, 3.37, 3.43, 3.50, 3.56)


def eos(calc) -> dict:
    """Energy per atom (eV) and pressure (GPa) of 2x2x2 cubic BCC Li for each lattice constant."""
    from ase.build import bulk
    from ase.units import GPa

    e, p = [], []
    for a0 in LATTICE_A:
        cell = bulk("Li", "bcc", a=a0, cubic=True).repeat((2, 2, 2))
        cell.calc = calc
        e.append(float(cell.get_potential_energy()) / len(cell))
        p.append(float(-np.mean(cell.get_stress()[:3]) / GPa))
    fit = np.polyfit(LATTICE_A, e, 2)
    a_min = float(-fit[1] / (2 * fit[0])) if fit[0] > 0 else None  # no minimum: concave fit
    if a_min is not None and not LATTICE_A[0] <= a_min <= LATTICE_A[-1]:
        a_min = None  # the energy falls (or rises) across the whole scan
    return {"a_A": list(LATTICE_A), "energy_eV_per_atom": e, "pressure_GPa": p, "a_min_A": a_min}


def li_layers(atoms) -> list[int]:
    """Li counts in 1.5 A bins along z from -2 A to the cell height + 2 A."""
    li = np.array(atoms.get_chemical_symbols()) == "Li"
    edges = np.arange(-2.0, atoms.cell[2, 2] + 2.0 + 1e-9, 1.5)
    return np.histogram(atoms.positions[li, 2] % atoms.cell[2, 2], bins=edges)[0].tolist()


def superlattice(structure: Path, model: Path, provenance_json: Path, cfg: dict) -> dict:
    """Minimisation and ConstQ NPT of the superlattice, as the pipeline runs them."""
    from ase.optimize import FIRE

    from lidendrite.constp import stages
    from lidendrite.structures.extxyz import read_structure

    atoms = read_structure(structure)
    atoms.calc = stages.dpqeq_factory(model, cfg["qeq"])({})
    e0 = float(atoms.get_potential_energy())
    FIRE(atoms, logfile=None).run(fmax=cfg["minimize_fmax"], steps=cfg["minimize_steps"])
    drop = (float(atoms.get_potential_energy()) - e0) / len(atoms) * 1000.0
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        res = stages.run_npt(
            structure,
            model,
            provenance_json,
            copy.deepcopy(cfg),
            traj=t / "traj.extxyz",
            final=t / "final.extxyz",
            summary=t / "stage.json",
            workdir=t / "work",
            scale="demo",
        )
        final = read_structure(t / "final.extxyz")
    trace = res["thermo"]["temperature_K"]
    return {
        "start_li_layers": li_layers(read_structure(structure)),
        "minimised_energy_change_meV_per_atom": drop,
        "minimised_li_layers": li_layers(atoms),
        "npt_steps": cfg["npt"]["n_steps"],
        "npt_t_end_K": float(np.mean(trace[-max(1, len(trace) // 4) :])),
        "npt_t_max_K": float(max(trace)),
        "npt_cell_start_A": res["cell_start_A"],
        "npt_cell_end_A": res["cell_end_A"],
        "npt_li_layers": li_layers(final),
    }


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--run", action="append", required=True, help="LABEL:RESULTS_DIR (e.g. results/demo)"
    )
    p.add_argument("--teacher", default="chgnet")
    p.add_argument("--out", type=Path, required=True)
    a = p.parse_args()
    load0 = os.getloadavg()

    from lidendrite.config import load_config
    from lidendrite.constp.stages import dpqeq_factory
    from lidendrite.labeling.teacher import TeacherLabeller

    cfg = load_config("demo")["ec"]["constp"]
    out = {"teacher": a.teacher, "runs": {}}
    out["teacher_eos"] = eos(TeacherLabeller(a.teacher, threads=os.cpu_count()).calculator())
    print("teacher", out["teacher_eos"]["a_min_A"], flush=True)
    structure = None
    for spec in a.run:
        label, root = spec.split(":", 1)
        ec = Path(root) / "ec"
        model = ec / "potential" / "dp_short.pb"
        structure = structure or ec / "structures" / "ec-superlattice.extxyz"
        row = {
            "results": root,
            "model": str(model),
            "eos": eos(dpqeq_factory(model, cfg["qeq"])({})),
        }
        row.update(superlattice(structure, model, ec / "potential" / "final_models.json", cfg))
        out["runs"][label] = row
        print(label, {k: v for k, v in row.items() if "layers" not in k and k != "eos"}, flush=True)
    out["structure"] = str(structure)
    out["provenance"] = provenance(load0, command="python " + " ".join(sys.argv))
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.with_suffix(".json").write_text(json.dumps(out, indent=1) + "\n")
    plot(out, a.out.with_suffix(".png"))
    a.out.with_suffix(".md").write_text(table(out))


def _p_at(e: dict, a0: float) -> float:
    return float(np.interp(a0, e["a_A"], e["pressure_GPa"]))


def table(out: dict) -> str:
    pv = out["provenance"]
    t = out["teacher_eos"]
    a_t = t["a_min_A"]
    lines = [
        "# Bulk BCC Li under the ec DP-QEq models, and the superlattice's minimisation and NPT",
        "",
        f"{pv['date']}, commit {pv['commit']}, {pv['machine']}; `{pv['command']}`.",
        "",
        f"Teacher {out['teacher']}: lowest energy at a = {a_t:.3f} A, pressure there "
        f"{_p_at(t, a_t):+.2f} GPa. Superlattice `{out['structure']}`.",
        "",
        "| model | a of lowest energy (A) | E(a_teacher) - teacher (meV/atom) | pressure at a_teacher (GPa) "
        "| minimisation (meV/atom) | NPT end T (K) | NPT max T (K) | NPT cell x, y, z (A) |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    e_t = float(np.interp(a_t, t["a_A"], t["energy_eV_per_atom"]))
    for label, r in out["runs"].items():
        e = r["eos"]
        a_min = (
            f"none in {LATTICE_A[0]}-{LATTICE_A[-1]}"
            if e["a_min_A"] is None
            else f"{e['a_min_A']:.3f}"
        )
        de = (float(np.interp(a_t, e["a_A"], e["energy_eV_per_atom"])) - e_t) * 1000.0
        cell = ", ".join(f"{x:.2f}" for x in r["npt_cell_end_A"])
        lines.append(
            f"| {label} | {a_min} | {de:+.0f} | {_p_at(e, a_t):+.2f} | "
            f"{r['minimised_energy_change_meV_per_atom']:+.0f} | {r['npt_t_end_K']:.0f} | "
            f"{r['npt_t_max_K']:.0f} | {cell} |"
        )
    lines += ["", "Li per 1.5 A bin along z (start; after the minimisation; after the NPT):", ""]
    first = next(iter(out["runs"].values()))
    lines.append(f"- start: {first['start_li_layers']}")
    for label, r in out["runs"].items():
        lines.append(f"- {label}: {r['minimised_li_layers']}; {r['npt_li_layers']}")
    return "\n".join(lines) + "\n"


def plot(out: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_e, ax_p) = plt.subplots(1, 2, figsize=(9, 3.6), constrained_layout=True)
    series = {f"teacher ({out['teacher']})": out["teacher_eos"]}
    series.update({f"DP-QEq, {k}": r["eos"] for k, r in out["runs"].items()})
    for label, e in series.items():
        ax_e.plot(
            e["a_A"],
            np.asarray(e["energy_eV_per_atom"]) - min(e["energy_eV_per_atom"]),
            "o-",
            label=label,
        )
        ax_p.plot(e["a_A"], e["pressure_GPa"], "o-", label=label)
    a_t = out["teacher_eos"]["a_min_A"]
    for ax in (ax_e, ax_p):
        ax.axvline(a_t, color="0.6", ls=":", lw=1)
        ax.set_xlabel("BCC Li lattice constant a (Angstrom)")
    ax_p.axhline(0.0, color="0.6", lw=0.8)
    ax_e.set_ylabel("E - min E (eV/atom)")
    ax_p.set_ylabel("pressure (GPa)")
    ax_e.legend(fontsize=7)
    ax_e.set_title("bulk BCC Li, 16 atoms", fontsize=9)
    ax_p.set_title("dotted: teacher's lowest-energy a", fontsize=9)
    fig.savefig(path, dpi=130)
    plt.close(fig)


if __name__ == "__main__":
    main()
