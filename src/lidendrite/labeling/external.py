"""Labels from the user's own VASP or ABACUS calculations, read through dpdata.

The pipeline cannot run VASP (licensed) or assume ABACUS; with these
labellers it reads the user's finished calculations instead:

1. Write the frames to be labelled as inputs, one directory per frame::

       labeller = get_labeller("vasp", paths=[])
       labeller.write_inputs(frames, "to_label/")   # to_label/00000/POSCAR, ...

   (``abacus`` writes ``STRU`` files.) Add your own INCAR/KPOINTS/POTCAR (or
   INPUT/KPT and pseudopotentials) -- PBE, 600 eV, EDIFF 1e-6 in the lpsc
   paper -- and run them with your code on your machine.
2. Point the labeller at the results, in the same order as the frames::

       labeller = get_labeller("vasp", paths=["to_label/00000/OUTCAR", ...])
       labelled = labeller.label(frames)   # checks each result is that frame

   ``paths`` may be OUTCAR files or ``vasprun.xml`` (``vasp``) or ABACUS
   job directories holding ``INPUT`` and ``OUT.<suffix>/`` (``abacus``;
   ``mode`` = ``scf``, ``md`` or ``relax`` as run). An OUTCAR of an MD or a
   relaxation gives every ionic step. With ``frames=None`` (or empty)
   :meth:`ExternalLabeller.label` returns all the frames found.

In the config: ``labeling.labeller: vasp`` and ``labeling.vasp.paths`` (or
``abacus``). dpdata does the parsing (``vasp/outcar``, ``vasp/xml``,
``abacus/scf|md|relax``): energies in eV (VASP: the free energy TOTEN,
consistent with the forces), forces in eV/Angstrom and virials in eV when
the run computed the stress (VASP ``ISIF >= 1``).
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms

from lidendrite.errors import InputError
from lidendrite.labeling.base import Labeller, attach_labels, get_labels

__all__ = ["AbacusLabeller", "ExternalLabeller", "VaspLabeller"]


class ExternalLabeller(Labeller):
    """Base of labellers that read finished calculations (see the module docstring).

    Parameters
    ----------
    paths
        Output files/directories, one per frame to label (or per trajectory).
    match_tolerance
        Largest allowed displacement (Angstrom, minimum image) between a
        frame and the structure found in its calculation.
    """

    #: dpdata format used for a path (set by subclasses)
    code: str = ""

    def __init__(self, paths: Sequence[str] | None = None, match_tolerance: float = 1e-3):
        self.paths = [str(p) for p in (paths or [])]
        self.match_tolerance = float(match_tolerance)

    def settings(self) -> dict[str, Any]:
        return {"paths": self.paths, "match_tolerance": self.match_tolerance}

    @property
    def level_of_theory(self) -> str:
        return f"DFT from the user's own {self.code} calculations (settings as in those runs)"

    def calculator(self) -> Any:
        raise InputError(
            f"the {self.name} labeller reads finished {self.code} runs and has no calculator: "
            "write_inputs(), run them, then label() with paths"
        )

    @abc.abstractmethod
    def _fmt(self, path: Path) -> str:
        """dpdata format name of the calculation at ``path`` (e.g. ``vasp/outcar``)."""

    def read(self) -> list[Atoms]:
        """Every labelled frame found in :attr:`paths`, in order."""
        import dpdata

        if not self.paths:
            raise InputError(f"labeller {self.name}: no paths to {self.code} outputs given")
        frames = []
        for p in map(Path, self.paths):
            if not p.exists():
                raise InputError(f"{self.code} output not found: {p}")
            try:
                system = dpdata.LabeledSystem(str(p), fmt=self._fmt(p))
            except Exception as exc:  # dpdata raises bare errors on unreadable files
                raise InputError(f"cannot read {p} as {self._fmt(p)}: {exc}") from exc
            frames += _system_to_atoms(system, self.name, self.level_of_theory, str(p))
        return frames

    def label(self, frames: Sequence[Atoms] | None = None) -> list[Atoms]:
        """Labels for ``frames`` read from :attr:`paths` (all found frames if none given).

        Raises
        ------
        InputError
            Count mismatch, or a result whose structure is not its frame.
        """
        found = self.read()
        if not frames:
            return found
        if len(found) != len(frames):
            raise InputError(
                f"{len(frames)} frames to label but {len(found)} {self.code} results in paths"
            )
        out = []
        for i, (want, got) in enumerate(zip(frames, found, strict=True)):
            if want.get_chemical_symbols() != got.get_chemical_symbols():
                raise InputError(f"frame {i}: {got.info['source']} holds another composition/order")
            d = got.positions - want.positions
            frac = np.linalg.solve(want.cell.array.T, d.T).T
            d = (frac - np.round(frac)) @ want.cell.array
            if np.abs(d).max() > self.match_tolerance:
                raise InputError(
                    f"frame {i}: {got.info['source']} is another structure "
                    f"(max displacement {np.abs(d).max():.3g} A)"
                )
            labelled = attach_labels(want, *get_labels(got), self.name, self.level_of_theory)
            labelled.info["source"] = got.info["source"]
            out.append(labelled)
        return out

    def write_inputs(self, frames: Sequence[Atoms], out_dir: str | Path) -> list[Path]:
        """Write one structure input per frame (``out_dir/NNNNN/POSCAR`` or ``STRU``)."""
        import dpdata

        written = []
        for i, atoms in enumerate(frames):
            d = Path(out_dir) / f"{i:05d}"
            d.mkdir(parents=True, exist_ok=True)
            system = dpdata.System(atoms, fmt="ase/structure")
            target = d / ("POSCAR" if self.code == "VASP" else "STRU")
            system.to("vasp/poscar" if self.code == "VASP" else "abacus/stru", str(target))
            written.append(target)
        return written


def _system_to_atoms(system: Any, name: str, level: str, source: str) -> list[Atoms]:
    has_virial = "virials" in system.data
    out = []
    for k in range(len(system)):
        symbols = [system["atom_names"][t] for t in system["atom_types"]]
        atoms = Atoms(symbols, positions=system["coords"][k], cell=system["cells"][k], pbc=True)
        virial = system["virials"][k] if has_virial else None
        labelled = attach_labels(
            atoms, system["energies"][k], system["forces"][k], virial, name, level
        )
        labelled.info["source"] = source
        out.append(labelled)
    return out


class VaspLabeller(ExternalLabeller):
    """Reads VASP OUTCAR files or ``vasprun.xml`` (dpdata ``vasp/outcar``, ``vasp/xml``)."""

    name = "vasp"
    code = "VASP"

    def _fmt(self, path: Path) -> str:
        return "vasp/xml" if path.suffix == ".xml" else "vasp/outcar"


class AbacusLabeller(ExternalLabeller):
    """Reads ABACUS job directories (dpdata ``abacus/scf``, ``abacus/md``, ``abacus/relax``).

    Parameters
    ----------
    mode
        ``scf`` (default), ``md`` or ``relax``: the ABACUS ``calculation`` run.
    """

    name = "abacus"
    code = "ABACUS"

    def __init__(
        self, paths: Sequence[str] | None = None, match_tolerance: float = 1e-3, mode: str = "scf"
    ):
        if mode not in ("scf", "md", "relax"):
            raise InputError(f"abacus mode must be scf, md or relax, got {mode!r}")
        super().__init__(paths, match_tolerance)
        self.mode = mode

    def settings(self) -> dict[str, Any]:
        return {**super().settings(), "mode": self.mode}

    def _fmt(self, path: Path) -> str:
        return f"abacus/{self.mode}"
