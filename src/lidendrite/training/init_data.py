"""Initial DP-GEN data set (lpsc SI 2.1; ec 2.2.3).

For each relaxed structure (BCC Li, Li6PS5Cl, the Li/Li6PS5Cl interface, ...)
the initial data are

1. randomly perturbed copies (cell strained and atoms displaced), labelled by
   the active labeller, and
2. frames of an NVT run at 300 K started from a perturbed copy and driven by
   the active labeller itself (the paper's AIMD: labeller = DFT at paper
   scale, the teacher potential at ci/demo scale), Nose-Hoover chain
   thermostat (Martyna, Klein, Tuckerman, J. Chem. Phys. 97, 2635 (1992),
   doi:10.1063/1.463940) as in SI 2.1.

Every frame carries the labeller's energy, forces and virial, and the data set
is written as dpdata ``deepmd/npy`` with a ``labeller.json`` recording the
level of theory (:func:`lidendrite.labeling.base.write_dpdata`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms

from lidendrite.errors import InputError

__all__ = ["perturbed_frames", "nvt_frames", "initial_dataset"]


def perturbed_frames(
    atoms: Atoms,
    n_frames: int,
    *,
    cell_pert_fraction: float,
    atom_pert_distance: float,
    seed: int,
) -> list[Atoms]:
    """Random perturbations of ``atoms``.

    The cell is deformed by ``(1 + e)`` with ``e`` a symmetric strain whose
    entries are uniform in ``[-cell_pert_fraction, cell_pert_fraction]``
    (atoms follow affinely); each atom is then displaced along a random
    direction by a distance uniform in ``[0, atom_pert_distance]`` Angstrom.
    Per-atom arrays (``region``, ``layer``) are kept.

    Returns
    -------
    list of Atoms
        ``n_frames`` perturbed copies.
    """
    if n_frames < 0:
        raise InputError(f"n_frames: must be >= 0, got {n_frames}")
    if not 0 <= cell_pert_fraction < 0.5 or atom_pert_distance < 0:
        raise InputError(
            f"perturbation: need 0 <= cell_pert_fraction < 0.5 and atom_pert_distance >= 0, "
            f"got {cell_pert_fraction}, {atom_pert_distance}"
        )
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_frames):
        a = atoms.copy()
        a.calc = None
        e = rng.uniform(-cell_pert_fraction, cell_pert_fraction, size=(3, 3))
        strain = np.eye(3) + 0.5 * (e + e.T)
        a.set_cell(a.cell.array @ strain, scale_atoms=True)
        direction = rng.normal(size=(len(a), 3))
        direction /= np.linalg.norm(direction, axis=1, keepdims=True)
        a.positions += direction * rng.uniform(0, atom_pert_distance, size=(len(a), 1))
        out.append(a)
    return out


def nvt_frames(
    atoms: Atoms,
    calculator: Any,
    *,
    temperature_K: float,
    n_steps: int,
    timestep_fs: float,
    sample_every: int,
    tdamp_fs: float,
    labeller: str,
    level_of_theory: str,
    seed: int,
) -> list[Atoms]:
    """NVT MD driven by ``calculator``; every ``sample_every`` steps a labelled frame.

    Parameters
    ----------
    atoms
        Starting structure (3D periodic).
    calculator
        The active labeller's ASE calculator (its energies, forces and stress
        label the frames).
    temperature_K, tdamp_fs
        Thermostat target and Nose-Hoover chain damping time.
    n_steps, timestep_fs, sample_every
        Length of the run, time step, and steps between saved frames.
    labeller, level_of_theory
        Recorded on each frame.

    Returns
    -------
    list of Atoms
        ``n_steps // sample_every`` frames (the start is not included),
        labels attached with :func:`lidendrite.labeling.base.attach_labels`.
    """
    from ase import units
    from ase.md.nose_hoover_chain import NoseHooverChainNVT
    from ase.md.velocitydistribution import Stationary, thermalize_momenta

    from lidendrite.labeling.base import attach_labels

    if n_steps <= 0 or sample_every <= 0 or sample_every > n_steps:
        raise InputError(f"md: need 0 < sample_every <= n_steps, got {sample_every}, {n_steps}")
    if temperature_K <= 0 or timestep_fs <= 0 or tdamp_fs <= 0:
        raise InputError("md: temperature_K, timestep_fs and tdamp_fs must be positive")
    a = atoms.copy()
    a.calc = calculator
    thermalize_momenta(a, temperature_K, rng=np.random.default_rng(seed))
    Stationary(a)
    dyn = NoseHooverChainNVT(
        a, timestep=timestep_fs * units.fs, temperature_K=temperature_K, tdamp=tdamp_fs * units.fs
    )
    frames: list[Atoms] = []

    def sample() -> None:
        energy = a.get_potential_energy()
        forces = a.get_forces()
        virial = -a.get_stress(voigt=False) * abs(a.get_volume())
        frame = attach_labels(a, energy, forces, virial, labeller, level_of_theory)
        frames.append(frame)
        # progress (thermo line) in the rule's log: teacher MD is slow on CPU
        print(
            f"nvt {a.get_chemical_formula()}: step {dyn.nsteps}/{n_steps}"
            f"  T {a.get_temperature():.0f} K  E {energy:.4f} eV  ({time.monotonic() - t0:.0f} s)",
            flush=True,
        )

    t0 = time.monotonic()
    dyn.attach(sample, interval=sample_every)
    dyn.run(n_steps)
    return frames[1:]  # ASE also calls the observer at step 0


def initial_dataset(
    structures: Mapping[str, Atoms],
    labeller: Any,
    out_dir: str | Path,
    type_map: Sequence[str],
    *,
    n_perturbed: int,
    cell_pert_fraction: float,
    atom_pert_distance: float,
    md_temperature_K: float,
    md_steps: int,
    md_timestep_fs: float,
    md_sample_every: int,
    md_tdamp_fs: float,
    seed: int,
) -> dict[str, list[Path]]:
    """Build the initial data of SI 2.1 for every structure and write it as dpdata.

    Parameters
    ----------
    structures
        Name -> relaxed structure; each name becomes ``out_dir/<name>/``.
    labeller
        A :class:`lidendrite.labeling.base.Labeller` (``label``,
        ``calculator()``, ``name``, ``level_of_theory``, ``settings()``).
    out_dir, type_map
        Output folder and DeePMD type order.
    n_perturbed, cell_pert_fraction, atom_pert_distance
        See :func:`perturbed_frames`.
    md_temperature_K, md_steps, md_timestep_fs, md_sample_every, md_tdamp_fs
        See :func:`nvt_frames` (lpsc SI 2.1: 300 K, 20 ps).
    seed
        Seed of the perturbations and initial velocities.

    Returns
    -------
    dict
        Name -> the ``deepmd/npy`` system folders written.
    """
    from lidendrite.labeling.base import write_dpdata

    if not structures:
        raise InputError("structures: empty; give at least one relaxed structure")
    out_dir = Path(out_dir)
    written: dict[str, list[Path]] = {}
    for k, (name, atoms) in enumerate(structures.items()):
        pert = perturbed_frames(
            atoms,
            max(n_perturbed, 1),
            cell_pert_fraction=cell_pert_fraction,
            atom_pert_distance=atom_pert_distance,
            seed=seed + k,
        )
        frames = labeller.label(pert[:n_perturbed]) if n_perturbed else []
        if md_steps:
            frames += nvt_frames(
                pert[0],
                labeller.calculator(),
                temperature_K=md_temperature_K,
                n_steps=md_steps,
                timestep_fs=md_timestep_fs,
                sample_every=md_sample_every,
                tdamp_fs=md_tdamp_fs,
                labeller=labeller.name,
                level_of_theory=labeller.level_of_theory,
                seed=seed + k,
            )
        written[name] = write_dpdata(
            frames,
            out_dir / name,
            type_map,
            labeller=labeller.name,
            level_of_theory=labeller.level_of_theory,
            settings=labeller.settings(),
        )
    return written
