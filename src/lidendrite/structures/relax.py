"""Relax a built structure with any ASE calculator (the active labeller's, in the pipeline)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from ase import Atoms

from lidendrite.errors import InputError

__all__ = ["relax"]


def relax(
    atoms: Atoms,
    calculator: Any,
    fmax: float,
    steps: int,
    cell: bool = True,
    cell_mask: Sequence[bool] | None = None,
    stress_tol: float | None = None,
) -> Atoms:
    """Minimise energy (and optionally the cell) with FIRE; return a relaxed copy.

    Parameters
    ----------
    atoms
        Structure to relax; per-atom arrays and ``info`` are kept.
    calculator
        An ASE calculator (e.g. ``get_labeller(name).calculator()``).
    fmax
        Force convergence, eV/Angstrom (the lpsc paper's VASP relaxations
        used 0.01, SI 1). With ``cell`` the stress enters through
        :class:`ase.filters.FrechetCellFilter`, so ``fmax`` also bounds the
        stress scaled by ``volume / exp_cell_factor``; see ``stress_tol``.
    steps
        Maximum number of optimiser steps.
    cell
        Relax the cell as well as positions (bulk: all six components; pass
        ``cell_mask`` for slabs).
    cell_mask
        Six booleans (Voigt xx, yy, zz, yz, xz, xy) of the strain components
        allowed to change; ``(1, 1, 0, 0, 0, 1)`` keeps a slab's z fixed.
    stress_tol
        Largest residual stress, GPa (stress of the whole cell, vacuum
        included), with ``cell``. The filter's ``exp_cell_factor`` is set to
        ``stress_tol * V / fmax`` so that the cell converges when the stress
        (each row of the 3x3 tensor, as a vector) is below ``stress_tol``.
        None keeps ASE's default factor (the number of atoms), which lets a
        stress of ``fmax * N / V`` pass: 5.7 GPa for the 185-atom interface
        at 0.1 eV/Angstrom, i.e. the cell barely moves.

    Returns
    -------
    ase.Atoms
        Relaxed copy with ``info["relax_converged"]``, ``info["relax_steps"]``,
        ``info["relax_fmax"]`` and, where the calculator gives it,
        ``info["relax_energy"]`` and ``info["relax_energy_start"]`` (eV, after
        and before; not ``energy``, which extended XYZ reads back as a
        calculator result) and, for orthorhombic cells after a cell
        relaxation, ``info["cell_lengths"]`` (Angstrom) and
        ``info["relax_max_stress_GPa"]`` (largest residual component of the
        allowed strains).
    """
    from ase.filters import FrechetCellFilter
    from ase.optimize import FIRE
    from ase.units import GPa

    if fmax <= 0 or steps < 0:
        raise InputError(f"relax: fmax must be > 0 and steps >= 0, got {fmax}, {steps}")
    if stress_tol is not None and stress_tol <= 0:
        raise InputError(f"relax: stress_tol must be > 0 GPa, got {stress_tol}")
    out = atoms.copy()
    out.calc = calculator
    target = out
    if cell:
        mask = None if cell_mask is None else [bool(m) for m in cell_mask]
        factor = None
        if stress_tol is not None:
            factor = float(stress_tol) * GPa * abs(out.get_volume()) / float(fmax)
        target = FrechetCellFilter(out, mask=mask, exp_cell_factor=factor)
    opt = FIRE(target, logfile=None)
    energies: list[float] = []
    # observers run at every step, the first one on the starting geometry; the
    # energy is already computed there, so this costs no calculator call
    opt.attach(lambda: energies.append(float(out.get_potential_energy())))
    converged = bool(opt.run(fmax=fmax, steps=int(steps)))
    energy = float(out.get_potential_energy())
    lengths = out.cell.lengths()
    info = dict(atoms.info)
    info.update(
        relax_converged=converged,
        relax_steps=int(opt.nsteps),
        relax_fmax=float(fmax),
        relax_energy=energy,
        relax_energy_start=energies[0] if energies else energy,
    )
    if cell and np.allclose(out.cell.angles(), 90.0, atol=1e-3):
        info["cell_lengths"] = [float(x) for x in lengths]
    if cell:
        voigt = np.abs(out.get_stress(voigt=True)) / GPa
        allowed = np.ones(6, bool) if cell_mask is None else np.asarray(cell_mask, bool)
        info["relax_max_stress_GPa"] = float(voigt[allowed].max()) if allowed.any() else 0.0
    relaxed = out.copy()  # drops the calculator, keeps arrays
    relaxed.info = info
    return relaxed
