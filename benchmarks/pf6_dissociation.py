"""Pull one F off PF6-: is the P-F bond bound in each level of theory the ec study uses?

Two rigid scans (one F moved along its P-F direction, every other atom held):

1. ``lipf6``: a LiPF6 ion pair in a 10 A vacuum box (as in teacher_vs_cp2k) (Li facing three F), the F
   opposite the Li pulled from 1.62 to 3.62 A. CP2K PBE (DZVP-MOLOPT-SR-GTH,
   400/50 Ry, Gamma) against both teachers. CP2K runs without D3: the
   teachers are plain PBE(+U) fits (MPtrj), so like is compared with like.
2. ``pf6_on_li``: PF6 2 A above a 3x3, 3-layer BCC Li(100) slab, the F over a
   hollow site pulled 0.8 A towards the surface: CP2K against both teachers.
3. ``interface``: each PF6- of a built ec double interface (the demo's
   ``constp/double_interface.extxyz``), its F nearest to P pulled by 1.6 A:
   both teachers, the demo DP-QEq (ConstQ) and the full DP of that run.

Run (about 10 min on 2 cores, CP2K most of it)::

    .venv/bin/python benchmarks/pf6_dissociation.py --ec-results results/demo/ec \
        --workdir /tmp/pf6_dissociation

Writes ``benchmarks/results/pf6_dissociation.{json,md,png}``. Energies are
relative to the first point of each scan (eV).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
from _provenance import provenance
from ase import Atoms
from ase.io import read

from lidendrite.labeling.cp2k import Cp2kCalculator, Cp2kSettings
from lidendrite.labeling.teacher import TeacherLabeller

TEACHERS = ("chgnet", "sevennet-0")
CP2K = dict(cutoff=400.0, rel_cutoff=50.0, eps_scf=1e-6, eps_default=1e-10,
            smearing_temperature=500.0, d3=False, threads=2, timeout=900)
R_PF = 1.62  # P-F bond of PF6- (PBE), Angstrom: start of the vacuum scan
STEPS = np.arange(0.0, 2.01, 0.4)  # stretch of the vacuum scan, Angstrom
STEPS_IFACE = np.arange(0.0, 1.61, 0.2)  # stretch of the interface scan, Angstrom
STEPS_SLAB = np.arange(0.0, 0.81, 0.2)  # F towards the Li(100) hollow site, Angstrom
LI_A = 3.44  # BCC Li lattice constant (PBE), Angstrom


def lipf6() -> tuple[Atoms, int, int]:
    """LiPF6 ion pair in a 10 A box; returns (atoms, index of P, index of the pulled F)."""
    octa = np.array([[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]], float)
    pos = [[0.0, 0.0, 0.0], *(R_PF * octa)]
    li = -np.ones(3) / np.sqrt(3) * 3.0  # faces the F at -x, -y, -z
    atoms = Atoms("PF6Li", positions=[*pos, li], cell=[10.0] * 3, pbc=True)
    atoms.center()
    return atoms, 0, 1  # F 1 sits at +x, opposite the Li


def pf6_on_li() -> tuple[Atoms, int, int]:
    """PF6 above a 3x3, 3-layer BCC Li(100) slab, one F over a hollow site 2.0 A above the
    top layer; returns (atoms, index of P, index of that F). 12 A of vacuum."""
    from ase.build import bcc100

    slab = bcc100("Li", size=(3, 3, 3), a=LI_A, vacuum=6.0)
    top = slab.positions[:, 2].max()
    hollow = (slab.positions[0, :2] + np.array([LI_A / 2, LI_A / 2]))  # between four top atoms
    octa = np.array([[0, 0, -1], [0, 0, 1], [1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0]], float)
    p = np.array([*hollow, top + 2.0 + R_PF])
    pf6 = Atoms("PF6", positions=[p, *(p + R_PF * octa)])
    atoms = slab + pf6
    atoms.cell[2, 2] = atoms.positions[:, 2].max() + 6.0
    atoms.pbc = True
    return atoms, len(slab), len(slab) + 1


def scan(atoms: Atoms, p: int, f: int, stretch: np.ndarray) -> tuple[np.ndarray, list[Atoms]]:
    """Frames with F ``f`` moved along the P->F direction by ``stretch`` (Angstrom)."""
    v = atoms.get_distance(p, f, mic=True, vector=True)
    r0 = np.linalg.norm(v)
    frames = []
    for dr in stretch:
        a = atoms.copy()
        a.positions[f] = a.positions[p] + v / r0 * (r0 + dr)
        frames.append(a)
    return r0 + stretch, frames


def energies(frames: list[Atoms], calc) -> list[float]:
    """Energies relative to the first frame, eV."""
    e = []
    for a in frames:
        b = a.copy()
        b.calc = calc
        e.append(b.get_potential_energy())
    e = np.array(e, dtype=float)
    return (e - e[0]).round(3).tolist()


def main(ec_results: str, workdir: str, out: str) -> None:
    t0 = time.perf_counter()
    load0 = os.getloadavg()
    teachers = {m: TeacherLabeller(model=m, threads=2).calculator() for m in TEACHERS}
    result: dict = {"cp2k": {**CP2K, "xc": "PBE", "basis": "DZVP-MOLOPT-SR-GTH", "kpoints": "Gamma"}}
    for name, (build, stretch) in {"lipf6": (lipf6, STEPS), "pf6_on_li": (pf6_on_li, STEPS_SLAB)}.items():
        atoms, p, f = build()
        r, frames = scan(atoms, p, f, stretch)
        cp2k = Cp2kCalculator(Cp2kSettings(**CP2K), f"{workdir}/{name}")
        entry = {"r_PF_A": r.round(2).tolist(), "cp2k_pbe": energies(frames, cp2k)}
        for m, calc in teachers.items():
            entry[m] = energies(frames, calc)
        result[name] = entry
        print(name, json.dumps(entry), flush=True)

    from deepmd.calculator import DP

    from lidendrite.config import load_config
    from lidendrite.dpqeq.calculator import DPQEqCalculator

    ec = Path(ec_results)
    qeq = load_config("demo")["ec"]["dpqeq"]["qeq"]
    iface = read(ec / "constp" / "double_interface.extxyz")
    models = {"dpqeq_constq": DPQEqCalculator(ec / "potential" / "dp_short.pb", qeq, mode="constq"),
              "full_dp": DP(model=str(ec / "potential" / "full_dp.pb"))}
    sym = np.array(iface.get_chemical_symbols())
    fl = np.where(sym == "F")[0]
    result["interface"] = {"structure": str(ec / "constp" / "double_interface.extxyz"), "scans": {}}
    for p in np.where(sym == "P")[0]:
        f = int(fl[np.argmin(iface.get_distances(p, fl, mic=True))])
        r, frames = scan(iface, int(p), f, STEPS_IFACE)
        entry = {"r_PF_A": r.round(2).tolist()}
        for m, calc in {**teachers, **models}.items():
            entry[m] = energies(frames, calc)
        result["interface"]["scans"][f"P{p}-F{f}"] = entry
        print(f"P{p}-F{f}", json.dumps(entry), flush=True)
    result["seconds"] = round(time.perf_counter() - t0, 1)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")
    result["provenance"] = provenance(load0, command="python " + " ".join(sys.argv))
    plot(result, Path(out).with_suffix(".png"))
    Path(out).with_suffix(".md").write_text(report(result))
    print(f"wrote {out}.json/.png in {result['seconds']} s")


def report(result: dict) -> str:
    """The results as a Markdown page (energies in eV relative to the first point)."""
    prov = result["provenance"]
    lines = ["# PF6- P-F bond: teachers, CP2K and the demo models", "",
             f"{prov['date']}, commit {prov['commit']}, {prov['machine']}; "
             f"`{prov['command']}`; {result['seconds']} s (CP2K points reused from the work folder "
             "when unchanged).", "",
             "Rigid scans: one F moved along its P-F direction, every other atom held; energies in eV "
             "relative to the first point.", "",
             "## LiPF6 ion pair in vacuum (CP2K PBE, DZVP-MOLOPT-SR-GTH, 400/50 Ry, Gamma, no D3)", ""]
    lines += _table(result["lipf6"])
    lines += ["", "## PF6 on a 3x3x3 BCC Li(100) slab, the F over a hollow site pulled towards the "
              "surface (CP2K as above, Gamma)", ""]
    lines += _table(result["pf6_on_li"])
    for name, s in result["interface"]["scans"].items():
        lines += ["", f"## {name} of the demo ec double interface ({result['interface']['structure']})", ""]
        lines += _table(s)
    return "\n".join(lines) + "\n"


def _table(s: dict) -> list[str]:
    keys = [k for k in s if k != "r_PF_A"]
    rows = ["| P-F (A) | " + " | ".join(keys) + " |", "|---:|" + "---:|" * len(keys)]
    for i, r in enumerate(s["r_PF_A"]):
        rows.append(f"| {r:.2f} | " + " | ".join(f"{s[k][i]:+.2f}" for k in keys) + " |")
    return rows


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scans = {"LiPF6 ion pair (vacuum)": result["lipf6"],
             "PF6 on Li(100), F towards the surface": result["pf6_on_li"], **{
        f"ec double interface, {k}": v for k, v in result["interface"]["scans"].items()}}
    fig, axes = plt.subplots(1, len(scans), figsize=(4.2 * len(scans), 3.6), sharey=True)
    style = {"cp2k_pbe": ("k", "CP2K PBE"), "chgnet": ("C3", "CHGNet (ec teacher)"),
             "sevennet-0": ("C0", "SevenNet-0"), "dpqeq_constq": ("C2", "demo DP-QEq (ConstQ)"),
             "full_dp": ("C1", "demo full DP")}
    for ax, (title, s) in zip(np.atleast_1d(axes), scans.items(), strict=True):
        for key, (c, label) in style.items():
            if key in s:
                ax.plot(s["r_PF_A"], s[key], "o-", color=c, ms=3, label=label)
        ax.axhline(0, color="0.7", lw=0.8)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("P-F distance (Angstrom)")
    np.atleast_1d(axes)[0].set_ylabel("energy relative to the first point (eV)")
    handles = {}
    for ax in np.atleast_1d(axes):
        for h, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, h)
    fig.legend(handles.values(), handles.keys(), loc="lower center", ncol=len(handles), fontsize=8)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    fig.savefig(path, dpi=130)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ec-results", required=True, help="a finished demo run's <results>/demo/ec")
    ap.add_argument("--workdir", default="/tmp/pf6_dissociation")
    ap.add_argument("--out", default="benchmarks/results/pf6_dissociation")
    a = ap.parse_args()
    main(a.ec_results, a.workdir, a.out)
