"""Initial and test data of the ec study (ec paper 2.2.3, SI 2.2-2.3).

Initial data
    (1) randomly perturbed BCC Li, and (2) configurations of the bulk
    electrolyte and of the Li | electrolyte interface from MD. The paper ran
    ReaxFF only to diversify these configurations; here the MD is driven by
    the *teacher potential* (a universal PBE-trained potential that, unlike a
    fixed-topology force field, can break and form bonds, i.e. a
    reactive-capable engine), or by the active labeller itself at paper scale.
    Every frame is labelled by the active labeller.
Test set (SI 2.3)
    Frames of an NVT run of the single interface, started from a different
    seed and temperature than anything used in training, labelled by the
    active labeller; none of them enters training.

Frames are returned as ASE ``Atoms`` with labels attached
(:func:`lidendrite.labeling.base.attach_labels`) and ``info['source']``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from ase import Atoms

from lidendrite.errors import InputError

__all__ = [
    "MD_ENGINE",
    "li_bcc",
    "initial_frames",
    "test_frames",
    "label_summary",
    "write_frames",
    "read_frames",
]

#: recorded in the summaries: what drove the MD of the initial and test data
MD_ENGINE = (
    "ASE Nose-Hoover chain NVT driven by the active labeller's calculator (teacher potential "
    "at ci/demo scale: a reactive-capable universal potential standing in for the paper's ReaxFF)"
)


def li_bcc(a: float, repeat: int) -> Atoms:
    """Cubic BCC Li, ``a`` Angstrom, repeated ``repeat`` times along each axis."""
    from ase.build import bulk

    if a <= 0 or repeat < 1:
        raise InputError(f"li_bcc: need a > 0 and repeat >= 1, got {a}, {repeat}")
    return bulk("Li", "bcc", a=a, cubic=True).repeat((repeat, repeat, repeat))


def _strip(atoms: Atoms) -> Atoms:
    """Copy without calculator and without the non-numeric per-atom arrays (extxyz-safe)."""
    a = Atoms(atoms.get_chemical_symbols(), positions=atoms.positions, cell=atoms.cell, pbc=True)
    for key in ("region", "layer", "mol_id"):
        if key in atoms.arrays:
            a.arrays[key] = atoms.arrays[key].copy()
    return a


def _standard_orientation(atoms: Atoms) -> Atoms:
    """Rigidly rotate ``atoms`` so that its cell is lower triangular (ASE standard form)."""
    rcell, rot = atoms.cell.standard_form()
    out = atoms.copy()
    out.set_cell(rcell, scale_atoms=False)
    out.positions = atoms.positions @ rot.T
    return out


def initial_frames(
    structures: Mapping[str, Atoms],
    labeller: Any,
    cfg: Mapping[str, Any],
) -> list[Atoms]:
    """Labelled initial frames: perturbed BCC Li, NVT frames of the other structures and
    optionally perturbed copies of those frames.

    Parameters
    ----------
    structures
        ``{"li-bcc": ..., "ec-electrolyte": ..., "ec-single-interface": ...}``.
    labeller
        A :class:`lidendrite.labeling.base.Labeller`.
    cfg
        Config block ``ec.data.init``: ``n_perturbed``, ``cell_pert_fraction``,
        ``atom_pert_distance`` (Angstrom), ``md_temperature_K``, ``md_steps``,
        ``md_timestep_fs``, ``md_sample_every``, ``md_tdamp_fs``,
        ``md_frame_perturbations`` (perturbed, single-point-labelled copies of
        each NVT frame; 0 = MD frames only, as the paper) and ``seed`` (structure
        ``k`` draws with ``seed + k``).
    """
    from lidendrite.training.init_data import nvt_frames, perturbed_frames

    seed = int(cfg["seed"])

    frames: list[Atoms] = []
    for k, (name, atoms) in enumerate(structures.items()):
        start = _strip(atoms)
        pert = perturbed_frames(
            start,
            max(int(cfg["n_perturbed"]), 1),
            cell_pert_fraction=float(cfg["cell_pert_fraction"]) if name == "li-bcc" else 0.0,
            atom_pert_distance=float(cfg["atom_pert_distance"]),
            seed=seed + k,
        )
        if name == "li-bcc":
            # rotate each strained cell to the standard form (a along x, b in the xy
            # plane): the QEq slab correction subtracted from the labels needs it, and a
            # rigid rotation changes no physics
            new = labeller.label(
                [_standard_orientation(p) for p in pert[: int(cfg["n_perturbed"])]]
            )
        else:
            new = nvt_frames(
                pert[0],
                labeller.calculator(),
                temperature_K=float(cfg["md_temperature_K"]),
                n_steps=int(cfg["md_steps"]),
                timestep_fs=float(cfg["md_timestep_fs"]),
                sample_every=int(cfg["md_sample_every"]),
                tdamp_fs=float(cfg["md_tdamp_fs"]),
                labeller=labeller.name,
                level_of_theory=labeller.level_of_theory,
                seed=seed + k,
            )
        n_copies = int(cfg["md_frame_perturbations"])
        if name != "li-bcc" and n_copies:
            copies = [
                p
                for j, f in enumerate(new)
                for p in perturbed_frames(
                    _strip(f),
                    n_copies,
                    cell_pert_fraction=0.0,
                    atom_pert_distance=float(cfg["atom_pert_distance"]),
                    seed=1000 * (seed + k + 1) + j,
                )
            ]
            new = new + labeller.label(copies)
        for f in new:
            f.info["source"] = name
        frames += new
    if not frames:
        raise InputError("ec.data.init: no frames (n_perturbed and md_steps are both zero?)")
    return frames


def test_frames(atoms: Atoms, labeller: Any, cfg: Mapping[str, Any], *, seed: int) -> list[Atoms]:
    """Test frames (SI 2.3): NVT of ``atoms`` (config ``ec.data.test``), labelled."""
    from lidendrite.training.init_data import nvt_frames

    frames = nvt_frames(
        _strip(atoms),
        labeller.calculator(),
        temperature_K=float(cfg["temperature_K"]),
        n_steps=int(cfg["md_steps"]),
        timestep_fs=float(cfg["md_timestep_fs"]),
        sample_every=int(cfg["md_sample_every"]),
        tdamp_fs=float(cfg["md_tdamp_fs"]),
        labeller=labeller.name,
        level_of_theory=labeller.level_of_theory,
        seed=seed,
    )
    for f in frames:
        f.info["source"] = "test-nvt"
    return frames


def label_summary(frames: list[Atoms]) -> dict[str, Any]:
    """Counts per source and the label ranges, for the stage JSON."""
    from lidendrite.labeling.base import get_labels

    sources: dict[str, int] = {}
    for f in frames:
        sources[f.info.get("source", "?")] = sources.get(f.info.get("source", "?"), 0) + 1
    e = np.array([get_labels(f)[0] / len(f) for f in frames])
    fmax = max(float(np.abs(get_labels(f)[1]).max()) for f in frames)
    return {
        "n_frames": len(frames),
        "frames_per_source": sources,
        "energy_per_atom_range_eV": [float(e.min()), float(e.max())],
        "max_abs_force_eV_per_A": fmax,
    }


def write_frames(frames: list[Atoms], path) -> None:
    """Write labelled frames as extended XYZ, atomically (an empty list gives an empty file)."""
    import os
    from pathlib import Path

    from ase.io import write

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    if frames:
        clean = []
        for f in frames:
            g = f.copy()
            g.calc = f.calc
            clean.append(g)
        write(tmp, clean, format="extxyz")
    else:
        tmp.write_text("")
    os.replace(tmp, path)


def read_frames(path) -> list[Atoms]:
    """Read labelled frames written by :func:`write_frames` (``[]`` for an empty file)."""
    from pathlib import Path

    from ase.io import read

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: labelled frames not found")
    if path.stat().st_size == 0:
        return []
    return read(path, index=":", format="extxyz")
