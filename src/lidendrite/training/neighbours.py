"""Neighbour counts of training data against a descriptor's ``sel`` (Angstrom).

The ``se_e2_a`` descriptor keeps at most ``sel[t]`` neighbours of type ``t``
inside ``rcut`` around each atom; deepmd-kit drops the farthest ones beyond
that, so a ``sel`` smaller than the data's neighbour count silently changes
the model. ``dp train`` checks this with its own neighbour statistics, but
the pipeline starts it with ``--skip-neighbor-stat`` (see
:func:`lidendrite.training.deepmd_run.train`: on deepmd-kit 3.2 that
statistics session leaves threads that take a third of a core for the rest
of the training). This module does the same check with ASE's neighbour list
on a few frames of each system, in well under a second. Counts are kept per
system for the life of the process, keyed by the system's files and their
modification times: the models of one active-learning iteration, and the
iterations after it, train on the same unchanged systems (0.8 s for the nine
systems of the demo's last ec iteration, per model).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lidendrite.errors import InputError

__all__ = ["max_neighbours", "sel_warnings", "check_sel"]


def _system_frames(system: Path, n_frames: int) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Element of each atom, and ``n_frames`` evenly spaced coordinates and boxes of a deepmd/npy system."""
    types = np.loadtxt(system / "type.raw", dtype=int, ndmin=1)
    names = (system / "type_map.raw").read_text().split()
    sets = sorted(system.glob("set.*"))
    if not sets:
        raise InputError(f"{system}: no set.* folder; not a deepmd/npy system")
    coords = np.concatenate([np.load(s / "coord.npy") for s in sets])
    boxes = np.concatenate([np.load(s / "box.npy") for s in sets])
    pick = np.unique(np.linspace(0, len(coords) - 1, min(n_frames, len(coords))).round().astype(int))
    return [names[t] for t in types], coords[pick].reshape(len(pick), -1, 3), boxes[pick].reshape(-1, 3, 3)


def _files_state(system: Path) -> tuple[tuple[str, int], ...]:
    """Name and modification time (ns) of the files the counts are read from."""
    files = [system / "type.raw", system / "type_map.raw"]
    for s in sorted(system.glob("set.*")):
        files += [s / "coord.npy", s / "box.npy"]
    return tuple((str(f), f.stat().st_mtime_ns) for f in files if f.is_file())


_COUNTS: dict[tuple[Any, ...], np.ndarray] = {}


def max_neighbours(
    system: str | Path, type_map: Sequence[str], rcut: float, n_frames: int = 3
) -> np.ndarray:
    """Largest number of neighbours of each type (``type_map`` order) within ``rcut`` of any atom.

    Counts over ``n_frames`` frames spread evenly through the system (first,
    middle, last, ...); periodic in all three directions as deepmd-kit's
    environment matrix.
    """
    system = Path(system)
    key = (_files_state(system), tuple(type_map), float(rcut), int(n_frames))
    if key not in _COUNTS:
        _COUNTS[key] = _count(system, type_map, float(rcut), n_frames)
    return _COUNTS[key].copy()


def _count(system: Path, type_map: Sequence[str], rcut: float, n_frames: int) -> np.ndarray:
    from ase import Atoms
    from ase.neighborlist import neighbor_list

    symbols, coords, boxes = _system_frames(system, n_frames)
    unknown = sorted(set(symbols) - set(type_map))
    if unknown:
        raise InputError(f"{system}: element(s) {unknown} not in type_map {list(type_map)}")
    index = np.array([list(type_map).index(s) for s in symbols])
    best = np.zeros(len(type_map), dtype=int)
    for xyz, box in zip(coords, boxes, strict=True):
        atoms = Atoms(symbols, positions=xyz, cell=box, pbc=True)
        i, j = neighbor_list("ij", atoms, rcut)
        counts = np.zeros((len(atoms), len(type_map)), dtype=int)
        np.add.at(counts, (i, index[j]), 1)
        best = np.maximum(best, counts.max(axis=0))
    return best


def sel_warnings(
    systems: Sequence[str | Path],
    type_map: Sequence[str],
    rcut: float,
    sel: Sequence[int],
    n_frames: int = 3,
) -> list[str]:
    """One warning line per system and element whose neighbour count within ``rcut`` exceeds ``sel``.

    Empty when every count fits; these are the cases where deepmd-kit's own
    statistics would warn.
    """
    warnings = []
    for path in systems:
        counts = max_neighbours(path, type_map, float(rcut), n_frames=n_frames)
        for t, (n, cap) in enumerate(zip(counts, sel, strict=True)):
            if n > cap:
                warnings.append(
                    f"sel: {type_map[t]} has up to {n} neighbours within {rcut} A in {path}, "
                    f"sel keeps {cap}; raise model.sel (the farthest are dropped)"
                )
    return warnings


def check_sel(jdata: Mapping[str, Any], workdir: str | Path = ".", n_frames: int = 3) -> list[str]:
    """:func:`sel_warnings` for the training systems of a deepmd-kit input.

    Relative system paths are taken from ``workdir``. An input without an
    ``se_e2_a``-style ``sel`` list gives no warnings.
    """
    model = jdata.get("model", {})
    desc = model.get("descriptor", {})
    sel, rcut = desc.get("sel"), desc.get("rcut")
    type_map = model.get("type_map")
    if not isinstance(sel, list) or rcut is None or not type_map:
        return []
    systems = jdata.get("training", {}).get("training_data", {}).get("systems", [])
    paths = [Path(s) if Path(s).is_absolute() else Path(workdir) / s for s in systems]
    return sel_warnings(paths, type_map, float(rcut), sel, n_frames=n_frames)
