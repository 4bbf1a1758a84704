"""Choose the teacher: SevenNet-0 and CHGNet against CP2K single points.

The teacher stands in for DFT at ci/demo scale, so it is chosen by its
error against CP2K PBE on small configurations of the systems studied:

* ``li_bcc16`` -- perturbed 16-atom BCC Li (anode, source slab);
* ``li2s_12`` -- perturbed antifluorite Li2S, 12 atoms (SEI product,
  lpsc: Li6PS5Cl + 8Li -> 5Li2S + Li3P + LiCl);
* ``li3ps4_cluster`` -- an isolated Li3PS4 unit (the PS4 motif of the
  argyrodite) in a vacuum box;
* ``licl_8`` -- perturbed rock-salt LiCl, 8 atoms (Cl, SEI product);
* ``ec_li`` -- one ethylene-carbonate molecule with a Li atom at its
  carbonyl O, in a vacuum box (study ec).

Energies: the teachers are fitted to VASP PAW total energies, CP2K gives
GTH pseudopotential total energies, so the two differ by a constant per
element. Energy errors are therefore reported per atom *after removing the
mean offset of each system* (same composition), i.e. they measure the
relative energies of the configurations of one composition -- what a
labeller must get right for training. The raw offsets are recorded too.
Forces need no such correction.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms

from lidendrite.io.jsonfile import write_json
from lidendrite.labeling.base import get_labels

__all__ = [
    "SYSTEM_BUILDERS",
    "build_systems",
    "compare_teacher_to_cp2k",
    "error_metrics",
    "pooled_force_rmse",
    "write_comparison",
]


def _li_bcc16(a: float) -> Atoms:
    from ase.build import bulk

    return bulk("Li", "bcc", a=a, cubic=True).repeat(2)


def _li2s_12(a: float) -> Atoms:
    from ase.build import bulk

    return bulk("SLi2", "fluorite", a=a, cubic=True)  # antifluorite: S on fcc, Li tetrahedral


def _licl_8(a: float) -> Atoms:
    from ase.build import bulk

    return bulk("LiCl", "rocksalt", a=a, cubic=True)


def _li3ps4_cluster(box: float, d_ps: float = 2.05, d_lis: float = 2.45) -> Atoms:
    """PS4 tetrahedron with three Li each bridging one S-S edge (an idealised Li3PS4 unit)."""
    tet = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]]) / np.sqrt(3.0)
    s_pos = d_ps * tet
    li_pos = []
    for i, j in [(0, 1), (2, 3), (0, 2)]:
        mid = 0.5 * (s_pos[i] + s_pos[j])
        half = 0.5 * np.linalg.norm(s_pos[i] - s_pos[j])
        dist = np.linalg.norm(mid) + np.sqrt(d_lis**2 - half**2)
        li_pos.append(mid / np.linalg.norm(mid) * dist)
    atoms = Atoms("PS4Li3", positions=np.vstack([[0, 0, 0], s_pos, li_pos]))
    atoms.set_cell([box] * 3)
    atoms.center()
    atoms.pbc = True
    return atoms


def _ec_li(box: float, d_lio: float = 1.9, seed: int = 7) -> Atoms:
    """Ethylene carbonate (RDKit ETKDG + MMFF geometry) with Li on the C=O axis."""
    from rdkit import Chem
    from rdkit.Chem import AllChem

    mol = Chem.AddHs(Chem.MolFromSmiles("O=C1OCCO1"))
    AllChem.EmbedMolecule(mol, randomSeed=seed)
    AllChem.MMFFOptimizeMolecule(mol)
    pos = mol.GetConformer().GetPositions()
    symbols = [a.GetSymbol() for a in mol.GetAtoms()]
    o_carbonyl, c_carbonyl = 0, 1  # SMILES order: O=C first
    axis = pos[o_carbonyl] - pos[c_carbonyl]
    li = pos[o_carbonyl] + d_lio * axis / np.linalg.norm(axis)
    atoms = Atoms(symbols + ["Li"], positions=np.vstack([pos, li]))
    atoms.set_cell([box] * 3)
    atoms.center()
    atoms.pbc = True
    return atoms


#: system name -> (builder, keyword arguments, CP2K k-points)
SYSTEM_BUILDERS: dict[str, tuple[Any, dict[str, float], list[int] | None]] = {
    "li_bcc16": (_li_bcc16, {"a": 3.44}, [2, 2, 2]),
    "li2s_12": (_li2s_12, {"a": 5.72}, [2, 2, 2]),
    "licl_8": (_licl_8, {"a": 5.14}, [2, 2, 2]),
    "li3ps4_cluster": (_li3ps4_cluster, {"box": 10.0}, None),
    "ec_li": (_ec_li, {"box": 10.0}, None),
}


def build_systems(
    names: Sequence[str],
    n_frames: int = 3,
    rattle: float = 0.05,
    strain: float = 0.01,
    seed: int = 2024,
) -> dict[str, list[Atoms]]:
    """Perturbed frames of each named system.

    Parameters
    ----------
    names
        Keys of :data:`SYSTEM_BUILDERS`.
    n_frames
        Frames per system (>= 2: one energy offset per system is removed).
    rattle
        Gaussian displacement of every atom, Angstrom (standard deviation).
    strain
        Uniform random cell strain amplitude for the crystals (fraction).
    seed
        Random seed.
    """
    rng = np.random.default_rng(seed)
    out = {}
    for name in names:
        builder, kwargs, kpts = SYSTEM_BUILDERS[name]
        base = builder(**kwargs)
        frames = []
        for _ in range(n_frames):
            atoms = base.copy()
            if kpts:  # a crystal: random small cell strain, atoms follow
                eps = rng.uniform(-strain, strain, (3, 3))
                eps = 0.5 * (eps + eps.T)
                atoms.set_cell(atoms.cell.array @ (np.eye(3) + eps), scale_atoms=True)
            atoms.positions += rng.normal(0.0, rattle, atoms.positions.shape)
            atoms.info["system"] = name
            frames.append(atoms)
        out[name] = frames
    return out


def error_metrics(
    reference: Sequence[Atoms], predicted: Sequence[Atoms], systems: Sequence[str]
) -> dict[str, Any]:
    """Energy and force errors of ``predicted`` against ``reference``.

    Energy RMSE (meV/atom) after removing, per system, the mean of
    ``(E_pred - E_ref) / N``; force RMSE (meV/Angstrom) over all components.
    """
    systems = list(systems)
    e_ref = np.array([get_labels(a)[0] / len(a) for a in reference])
    e_pred = np.array([get_labels(a)[0] / len(a) for a in predicted])
    diff = e_pred - e_ref
    offsets, centred = {}, np.zeros_like(diff)
    for name in dict.fromkeys(systems):
        mask = np.array([s == name for s in systems])
        offsets[name] = float(diff[mask].mean())
        centred[mask] = diff[mask] - diff[mask].mean()
    per_system = {}
    f_all = []
    for name in dict.fromkeys(systems):
        idx = [i for i, s in enumerate(systems) if s == name]
        df = np.concatenate(
            [(get_labels(predicted[i])[1] - get_labels(reference[i])[1]).ravel() for i in idx]
        )
        f_ref = np.concatenate([get_labels(reference[i])[1].ravel() for i in idx])
        f_all.append(df)
        per_system[name] = {
            "reference_force_rms_meV_per_A": 1e3 * float(np.sqrt(np.mean(f_ref**2))),
            "energy_rmse_meV_per_atom": 1e3 * float(np.sqrt(np.mean(centred[idx] ** 2))),
            "force_rmse_meV_per_A": 1e3 * float(np.sqrt(np.mean(df**2))),
            "force_max_abs_error_meV_per_A": 1e3 * float(np.abs(df).max()),
            "energy_offset_eV_per_atom": offsets[name],
        }
    f_all = np.concatenate(f_all)
    return {
        "energy_rmse_meV_per_atom": 1e3 * float(np.sqrt(np.mean(centred**2))),
        "force_rmse_meV_per_A": 1e3 * float(np.sqrt(np.mean(f_all**2))),
        "per_system": per_system,
    }


def compare_teacher_to_cp2k(
    frames: Sequence[Atoms],
    models: Sequence[str] = ("sevennet-0", "chgnet"),
    cp2k_settings: dict[str, Any] | None = None,
    kpoints: dict[str, list[int] | None] | None = None,
    workdir: str | Path | None = None,
) -> dict[str, Any]:
    """Label ``frames`` with CP2K and with each teacher; return the errors.

    Parameters
    ----------
    frames
        Frames with ``info["system"]`` naming their system (for the offsets).
    models
        Teacher models (``sevennet-0``, ``chgnet``).
    cp2k_settings
        :class:`~lidendrite.labeling.cp2k.Cp2kSettings` fields for every frame.
    kpoints
        Per-system k-point grid overriding ``cp2k_settings['kpoints']``.
    workdir
        Where the CP2K runs go (resumable); None: a temporary directory.

    Returns
    -------
    dict
        ``cp2k`` (level of theory, settings, seconds per frame), and per
        model its level of theory, seconds, and :func:`error_metrics`;
        ``best`` is the model with the lowest force RMSE.
    """
    from lidendrite.labeling.cp2k import Cp2kLabeller
    from lidendrite.labeling.teacher import TeacherLabeller

    systems = [a.info.get("system", a.get_chemical_formula()) for a in frames]
    settings = dict(cp2k_settings or {})
    root = Path(workdir) if workdir else None
    reference, timings, level = [], [], ""
    for i, atoms in enumerate(frames):
        s = dict(settings)
        if kpoints and systems[i] in kpoints:
            s["kpoints"] = kpoints[systems[i]]
        lab = Cp2kLabeller(workdir=str(root / f"{i:03d}_{systems[i]}") if root else None, **s)
        (frame,) = lab.label([atoms])
        timings.append(frame.info["cp2k_seconds"])  # CP2K's own total time (also when reused)
        reference.append(frame)
        level = re.sub(
            r", k-(points|spacing) [^,]*", "", lab.level_of_theory
        )  # k-points per system
    result: dict[str, Any] = {
        "note": (
            "energy RMSE after removing each system's mean per-atom offset "
            "(teacher = VASP PAW references, CP2K = GTH references); forces uncorrected"
        ),
        "systems": {n: systems.count(n) for n in dict.fromkeys(systems)},
        "n_atoms": {n: len(frames[systems.index(n)]) for n in dict.fromkeys(systems)},
        "cp2k": {
            "level_of_theory": level,
            "settings": settings,
            "kpoints": kpoints or {},
            "seconds_per_frame": [round(t, 1) for t in timings],
            "seconds_total": round(sum(timings), 1),
        },
        "teachers": {},
    }
    for model in models:
        teacher = TeacherLabeller(model=model)
        t0 = time.perf_counter()
        predicted = teacher.label(frames)
        wall = time.perf_counter() - t0
        result["teachers"][model] = {
            "level_of_theory": teacher.level_of_theory,
            "seconds_total_incl_load": round(wall, 2),
            **error_metrics(reference, predicted, systems),
        }
    result["best"] = min(
        result["teachers"], key=lambda m: result["teachers"][m]["force_rmse_meV_per_A"]
    )
    return result


def pooled_force_rmse(result: dict[str, Any], model: str, systems: Sequence[str]) -> float:
    """Force RMSE (meV/A) of ``model`` pooled over ``systems`` (weighted by force components)."""
    num = den = 0.0
    for name in systems:
        n = result["systems"][name] * result["n_atoms"][name] * 3
        num += n * result["teachers"][model]["per_system"][name]["force_rmse_meV_per_A"] ** 2
        den += n
    return float(np.sqrt(num / den))


def write_comparison(result: dict[str, Any], json_path: str | Path) -> Path:
    """Write ``result`` as JSON and a short Markdown summary beside it (``.md``)."""
    json_path = Path(json_path)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    write_json(result, json_path)
    lines = [
        "# Teacher potentials against CP2K PBE single points",
        "",
        f"Reference: {result['cp2k']['level_of_theory']}.",
        f"Frames: {result['systems']} (atoms per frame {result['n_atoms']}).",
        "",
        f"Energies: {result['note']}.",
        "",
        "| model | energy RMSE (meV/atom) | force RMSE (meV/A) |",
        "|---|---|---|",
    ]
    for model, r in result["teachers"].items():
        lines.append(
            f"| {model} | {r['energy_rmse_meV_per_atom']:.1f} | {r['force_rmse_meV_per_A']:.0f} |"
        )
    lines += ["", "Per system (energy RMSE meV/atom / force RMSE meV/A):", ""]
    lines.append("| system | CP2K force RMS (meV/A) | " + " | ".join(result["teachers"]) + " |")
    lines.append("|---|---|" + "---|" * len(result["teachers"]))
    for name in result["systems"]:
        cells = [
            f"{r['per_system'][name]['energy_rmse_meV_per_atom']:.1f} / "
            f"{r['per_system'][name]['force_rmse_meV_per_A']:.0f}"
            for r in result["teachers"].values()
        ]
        ref = next(iter(result["teachers"].values()))["per_system"][name]
        lines.append(
            f"| {name} | {ref['reference_force_rms_meV_per_A']:.0f} | " + " | ".join(cells) + " |"
        )
    lines += ["", f"Lowest force RMSE: **{result['best']}**.", ""]
    if result.get("conclusion"):
        lines += [result["conclusion"], ""]
    lines += [f"- {note}" for note in result.get("notes", [])]
    md = json_path.with_suffix(".md")
    md.write_text("\n".join(lines) + "\n")
    return md
