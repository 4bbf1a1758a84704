"""A small Li(100) | EC + LiPF6 | Li cell and a tiny DP_short for the DP-QEq tests.

The tiny DP is trained for a few steps on frames labelled by ASE's
Lennard-Jones potential: LJ is used ONLY to give deepmd-kit something smooth
to fit so that the tests get a real frozen TensorFlow model; nothing here
judges the accuracy of the fit (the pipeline labels with the teacher or DFT).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from _deepmd_settings import NO_VIRIAL, paper_settings
from ase import Atoms
from ase.build import bcc100

TYPE_MAP = ["Li", "C", "H", "O", "P", "F"]


def li_ec_cell(seed: int = 0) -> Atoms:
    """Two 3-layer Li(100) slabs (2x2) with one EC and one Li+/PF6- pair between them.

    Cell 6.88 x 6.88 x 28 Angstrom, periodic, no overlaps (min distance > 1 A).
    """
    from lidendrite.config import schema_default
    from lidendrite.structures.molecules import ethylene_carbonate, hexafluorophosphate

    a = 3.44
    lower = bcc100("Li", size=(2, 2, 3), a=a, orthogonal=True)
    lower.positions[:, 2] -= lower.positions[:, 2].min() - 2.0
    upper = lower.copy()
    upper.positions[:, 2] += 18.0
    ec = ethylene_carbonate()
    ec.positions += np.array([1.7, 1.7, 9.0]) - ec.get_center_of_mass()
    pf6 = hexafluorophosphate(r_pf=schema_default("ec.structures.common.r_pf"))
    pf6.positions += np.array([5.0, 5.0, 14.0]) - pf6.get_center_of_mass()
    li = Atoms("Li", positions=[[5.0, 1.7, 12.0]])
    atoms = lower + upper + ec + pf6 + li
    atoms.set_cell([2 * a, 2 * a, 28.0])
    atoms.pbc = True
    atoms.rattle(0.02, seed=seed)
    return atoms


def lj_frames(n: int, seed: int) -> list[Atoms]:
    """Rattled copies of :func:`li_ec_cell` labelled by a soft LJ (test-only labels)."""
    from ase.calculators.lj import LennardJones

    frames = []
    for k in range(n):
        a = li_ec_cell(seed=seed * 100 + k)
        a.rattle(0.05, seed=seed * 1000 + k)
        a.calc = LennardJones(sigma=1.0, epsilon=0.01, rc=4.0, smooth=True)
        a.get_potential_energy()
        frames.append(a)
    return frames


def train_tiny_dp(workdir: Path, seed: int = 1, steps: int = 20) -> Path:
    """Train and freeze a tiny se_e2_a model (type_map Li C H O P F); return the .pb."""
    from lidendrite.labeling.base import attach_labels, write_dpdata
    from lidendrite.training import deepmd_run
    from lidendrite.training.deepmd_input import build_deepmd_input

    workdir = Path(workdir)
    frames = []
    for a in lj_frames(4, seed):
        stress = a.get_stress(voigt=False)
        frames.append(
            attach_labels(
                a,
                a.get_potential_energy(),
                a.get_forces(),
                -stress * a.get_volume(),
                "lj",
                "test-only LJ",
            )
        )
    systems = write_dpdata(
        frames, workdir / "data", TYPE_MAP, labeller="lj", level_of_theory="test-only LJ"
    )
    jdata = build_deepmd_input(
        type_map=TYPE_MAP,
        training_systems=[str(s) for s in systems],
        sel=[30, 10, 10, 10, 10, 10],
        numb_steps=steps,
        seed=seed,
        **paper_settings(
            rcut=4.0,
            rcut_smth=1.0,
            embedding_neuron=(4, 8),
            axis_neuron=4,
            fitting_neuron=(8, 8),
            decay_steps=10,
            stop_lr=1e-4,
            disp_freq=10,
            save_freq=steps,
            **NO_VIRIAL,
        ),
    )
    train_dir = workdir / f"train{seed}"
    deepmd_run.train(jdata, train_dir, threads=1, progress=False, poll_s=0.5)
    return deepmd_run.freeze(train_dir, workdir / f"model{seed}.pb", threads=1)
