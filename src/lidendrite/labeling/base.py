"""The labeller interface: one way to put energy, forces and virial on frames.

Every labeller (teacher potential, CP2K, the user's own VASP/ABACUS runs)
returns ASE ``Atoms`` that carry

* ``energy``  -- total (free) energy of the cell, eV, a scalar;
* ``forces``  -- ``[n, 3]``, eV/Angstrom;
* ``virial``  -- ``[3, 3]``, eV, in the dpdata/DeePMD convention
  ``virial = -stress * volume`` (ASE stress sign: positive under tension).

They are stored in a :class:`~ase.calculators.singlepoint.SinglePointCalculator`
(energy, free_energy, forces, stress) and ``atoms.info`` holds ``virial``,
``labeller`` and ``level_of_theory``, so that an extended-XYZ round trip
keeps them all. :func:`write_dpdata` writes labelled
frames as a dpdata ``MultiSystems`` in ``deepmd/npy`` format with a
``labeller.json`` that records who labelled them.
"""

from __future__ import annotations

import abc
import importlib
import inspect
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator

from lidendrite.errors import InputError
from lidendrite.io.jsonfile import write_json

__all__ = [
    "LABELLERS",
    "Labeller",
    "attach_labels",
    "get_labeller",
    "get_labels",
    "write_dpdata",
]

#: labeller name -> "module:class", imported lazily (torch, dpdata are heavy)
LABELLERS: dict[str, str] = {
    "teacher": "lidendrite.labeling.teacher:TeacherLabeller",
    "cp2k": "lidendrite.labeling.cp2k:Cp2kLabeller",
    "vasp": "lidendrite.labeling.external:VaspLabeller",
    "abacus": "lidendrite.labeling.external:AbacusLabeller",
}


def attach_labels(
    atoms: Atoms,
    energy: float,
    forces: np.ndarray,
    virial: np.ndarray | None,
    labeller: str,
    level_of_theory: str,
) -> Atoms:
    """Return a copy of ``atoms`` carrying energy, forces and virial.

    Parameters
    ----------
    atoms
        The frame (positions in Angstrom, a 3D cell where ``virial`` is given).
    energy
        Total energy, eV.
    forces
        ``[n, 3]`` forces, eV/Angstrom.
    virial
        ``[3, 3]`` virial, eV (``-stress * volume``), or None when the
        calculation gave no stress.
    labeller, level_of_theory
        Recorded in ``atoms.info``.
    """
    out = atoms.copy()
    forces = np.asarray(forces, dtype=float).reshape(len(atoms), 3)
    stress = None
    for key in ("virial", "energy", "free_energy", "stress"):  # would clash in extxyz output
        out.info.pop(key, None)
    out.arrays.pop("forces", None)
    if virial is not None:
        virial = np.asarray(virial, dtype=float).reshape(3, 3)
        volume = abs(out.get_volume())
        stress_3x3 = -virial / volume
        stress = stress_3x3[[0, 1, 2, 1, 0, 0], [0, 1, 2, 2, 2, 1]]  # Voigt xx yy zz yz xz xy
        out.info["virial"] = virial
    out.calc = SinglePointCalculator(
        out, energy=float(energy), free_energy=float(energy), forces=forces, stress=stress
    )
    out.info["labeller"] = labeller
    out.info["level_of_theory"] = level_of_theory
    return out


def get_labels(atoms: Atoms) -> tuple[float, np.ndarray, np.ndarray | None]:
    """Read ``(energy [eV], forces [n, 3] eV/A, virial [3, 3] eV or None)`` from a frame.

    Looks at the attached calculator first, then at ``info``/``arrays``
    (what an extended-XYZ file gives back).
    """
    calc = atoms.calc
    results = getattr(calc, "results", {}) if calc is not None else {}
    if "energy" in results:
        energy = float(results["energy"])
    elif "energy" in atoms.info:
        energy = float(atoms.info["energy"])
    else:
        raise InputError(f"frame {atoms.get_chemical_formula()} has no energy label")
    if "forces" in results:
        forces = np.asarray(results["forces"], dtype=float)
    elif "forces" in atoms.arrays:
        forces = np.asarray(atoms.arrays["forces"], dtype=float)
    else:
        raise InputError(f"frame {atoms.get_chemical_formula()} has no force labels")
    virial = None
    if "virial" in atoms.info:
        virial = np.asarray(atoms.info["virial"], dtype=float).reshape(3, 3)
    elif results.get("stress") is not None:
        s = np.asarray(results["stress"], dtype=float)
        if s.shape == (6,):
            xx, yy, zz, yz, xz, xy = s
            s = np.array([[xx, xy, xz], [xy, yy, yz], [xz, yz, zz]])
        virial = -s.reshape(3, 3) * abs(atoms.get_volume())
    return energy, forces, virial


def _check_frame(atoms: Atoms, index: int) -> None:
    """Every labeller here needs a 3D periodic cell (stress, plane waves, PBC)."""
    if atoms.cell.rank < 3 or abs(atoms.get_volume()) < 1e-8:
        raise InputError(f"frame {index} ({atoms.get_chemical_formula()}) has no 3D cell")


class Labeller(abc.ABC):
    """Base class: a level of theory that labels frames with E, F and virial.

    Subclasses set :attr:`name`, implement :attr:`level_of_theory` and
    :meth:`calculator`; :meth:`label` evaluates the calculator frame by frame
    and may be overridden (CP2K runs each frame in its own directory).
    """

    #: the labeller's name, as in the ``labeling.labeller`` config key
    name: str = ""

    @property
    @abc.abstractmethod
    def level_of_theory(self) -> str:
        """Plain words: method, code, version, basis, e.g. 'DFT PBE (CP2K 2023.1, ...)'."""

    @abc.abstractmethod
    def calculator(self) -> Any:
        """Return an ASE calculator evaluating this level of theory."""

    def settings(self) -> dict[str, Any]:
        """The settings that define this labeller (recorded in ``labeller.json``)."""
        return {}

    def use_threads(self, threads: int) -> None:
        """Label on ``threads`` cores from now on, in the calling thread.

        Called by a thread that labels beside other work (the test frames
        beside the DPMD that writes them). The default changes nothing: a
        labeller that runs its own processes (CP2K) keeps its configured
        threads.
        """
        del threads  # nothing to set by default

    def label(self, frames: Sequence[Atoms]) -> list[Atoms]:
        """Label ``frames``; return copies with energy, forces and virial attached.

        Parameters
        ----------
        frames
            Structures with a 3D periodic cell.

        Returns
        -------
        list of Atoms
            See :func:`attach_labels` for where the labels are stored.
        """
        calc = self.calculator()
        labelled = []
        for i, atoms in enumerate(frames):
            _check_frame(atoms, i)
            work = atoms.copy()
            work.calc = calc
            energy = work.get_potential_energy()
            forces = work.get_forces()
            stress = work.get_stress(voigt=False)
            virial = -stress * abs(work.get_volume())
            labelled.append(
                attach_labels(atoms, energy, forces, virial, self.name, self.level_of_theory)
            )
        return labelled

    def to_dpdata(
        self, frames: Sequence[Atoms], out_dir: str | Path, type_map: Sequence[str]
    ) -> list[Path]:
        """Label ``frames`` and write them in ``deepmd/npy`` format under ``out_dir``.

        Returns the system directories written (one per composition); see
        :func:`write_dpdata`.
        """
        labelled = self.label(frames)
        return write_dpdata(
            labelled,
            out_dir,
            type_map,
            labeller=self.name,
            level_of_theory=self.level_of_theory,
            settings=self.settings(),
        )


def _frame_to_system(atoms: Atoms, type_map: Sequence[str], has_virial: bool) -> Any:
    import dpdata

    symbols = atoms.get_chemical_symbols()
    unknown = sorted(set(symbols) - set(type_map))
    if unknown:
        raise InputError(f"element {unknown[0]} is not in type_map {list(type_map)}")
    types = np.array([type_map.index(s) for s in symbols], dtype=int)
    energy, forces, virial = get_labels(atoms)
    data = {
        "atom_names": list(type_map),
        "atom_numbs": [int(np.sum(types == t)) for t in range(len(type_map))],
        "atom_types": types,
        "orig": np.zeros(3),
        "cells": np.asarray(atoms.cell.array, dtype=float).reshape(1, 3, 3),
        "coords": atoms.positions.reshape(1, -1, 3).astype(float),
        "energies": np.array([energy]),
        "forces": forces.reshape(1, -1, 3),
        "nopbc": False,
    }
    if has_virial:
        data["virials"] = virial.reshape(1, 3, 3)
    return dpdata.LabeledSystem(data=data)


def write_dpdata(
    frames: Sequence[Atoms],
    out_dir: str | Path,
    type_map: Sequence[str],
    labeller: str,
    level_of_theory: str,
    settings: dict[str, Any] | None = None,
) -> list[Path]:
    """Write labelled frames as a dpdata ``MultiSystems`` in ``deepmd/npy`` format.

    Frames are grouped by composition; each group becomes
    ``out_dir/<formula>/`` with ``type.raw``, ``type_map.raw`` and
    ``set.000/{coord,box,energy,force,virial}.npy`` (``virial`` only when
    every frame has one). ``out_dir/labeller.json`` records the labeller,
    its level of theory and settings, the type map and the systems.

    Parameters
    ----------
    frames
        Labelled frames (see :func:`attach_labels`).
    out_dir
        Output directory (created).
    type_map
        Element symbols in DeePMD type order; every element of every frame
        must be in it.
    labeller, level_of_theory, settings
        Provenance written to ``labeller.json``.

    Returns
    -------
    list of Path
        The system directories, sorted.
    """
    import dpdata

    if not frames:
        raise InputError(f"no frames to write to {out_dir}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    type_map = list(type_map)
    has_virial = all(get_labels(a)[2] is not None for a in frames)
    multi = dpdata.MultiSystems(type_map=type_map)
    for atoms in frames:
        multi.append(_frame_to_system(atoms, type_map, has_virial))
    multi.to_deepmd_npy(str(out_dir))
    systems = sorted(p for p in out_dir.iterdir() if (p / "type.raw").is_file())
    record = {
        "labeller": labeller,
        "level_of_theory": level_of_theory,
        "settings": settings or {},
        "type_map": type_map,
        "n_frames": len(frames),
        "has_virial": has_virial,
        "units": {"energy": "eV", "force": "eV/Angstrom", "virial": "eV (-stress*volume)"},
        "systems": [p.name for p in systems],
    }
    write_json(record, out_dir / "labeller.json", default=str)
    return systems


def get_labeller(name: str, **settings: Any) -> Labeller:
    """Return the labeller called ``name`` built with ``settings``.

    Parameters
    ----------
    name
        One of ``teacher``, ``cp2k``, ``vasp``, ``abacus``.
    **settings
        Keyword settings of that labeller (see its class).

    Raises
    ------
    InputError
        For an unknown name (one line listing the valid names).
    """
    if name not in LABELLERS:
        raise InputError(f"unknown labeller {name!r}: choose one of {', '.join(LABELLERS)}")
    modname, clsname = LABELLERS[name].split(":")
    cls = getattr(importlib.import_module(modname), clsname)
    accepted = inspect.signature(cls).parameters
    open_ended = any(p.kind is p.VAR_KEYWORD for p in accepted.values())  # class checks itself
    for key in settings:
        if key not in accepted and not open_ended:
            raise InputError(
                f"unknown setting {key!r} for labeller {name!r}: valid are {', '.join(accepted)}"
            )
    return cls(**settings)
