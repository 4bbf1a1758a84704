"""Frames of the ec ConstP cycle and the geometry every cycle analysis shares.

Trajectories (rule ``run_constp_round``; DESIGN.md): one extended XYZ per
stage, ``constq_nvt/traj.extxyz`` then ``<series>/round{k}/traj.extxyz``, with
per-atom ``charges`` (e), ``region`` (anode/cathode/electrolyte, swapped each
round), ``layer`` (1 = the electrode layer facing the electrolyte) and info
``time_ps``.  Units: Angstrom, e, ps.

The double-interface cell has its vacuum along z between the outer faces of
the two electrodes; :func:`slab_z` wraps z at a point in the vacuum (found
from the electrodes' outermost layers, :func:`vacuum_origin`), so that the
stack (lower electrode | electrolyte | upper electrode) is contiguous.  The electrodes are named by position (``lower``/``upper``); which
one is the anode changes every round and is read from each frame's ``region``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lidendrite.errors import InputError

__all__ = [
    "SIDES",
    "read_trajectory",
    "slab_z",
    "vacuum_origin",
    "CycleGeometry",
    "cycle_geometry",
    "frame_time",
    "li_indices",
    "load_cycle",
    "level_of_theory",
]

SIDES = ("lower", "upper")
ELECTRODE_REGIONS = ("anode", "cathode")


def read_trajectory(path: str | os.PathLike, stride: int = 1) -> list:
    """All frames of an extended-XYZ trajectory (every ``stride``-th, the last always kept).

    Raises :class:`InputError` (one line) for a missing or empty file or a frame
    whose atom count differs from the first.
    """
    from ase.io import read

    path = Path(path)
    if not path.is_file():
        raise InputError(f"trajectory {path} does not exist")
    try:
        frames = read(path, index=":", format="extxyz")
    except Exception as exc:  # ASE raises many types on truncated files
        raise InputError(f"{path}: unreadable extended XYZ ({type(exc).__name__}: {exc})") from None
    if not frames:
        raise InputError(f"{path}: no frames")
    n = len(frames[0])
    for k, a in enumerate(frames):
        if len(a) != n:
            raise InputError(f"{path}: frame {k} has {len(a)} atoms, the first has {n} (lost atoms)")
    keep = list(range(0, len(frames), max(1, int(stride))))
    if keep[-1] != len(frames) - 1:
        keep.append(len(frames) - 1)
    return [frames[k] for k in keep]


def _check_cell(atoms) -> float:
    cell = np.asarray(atoms.cell.array)
    if np.abs(cell[2, :2]).max() > 1e-6 or np.abs(cell[:2, 2]).max() > 1e-6:
        raise InputError("cell: c must be along z and a, b in the xy plane for the slab analyses")
    return float(cell[2, 2])


def slab_z(atoms, origin: float | None = None) -> np.ndarray:
    """z (Angstrom, ``[n]``) wrapped into ``[origin, origin + c)``, so that the stack is contiguous.

    ``origin`` is a z inside the vacuum (:attr:`CycleGeometry.origin`); without it the
    largest empty gap along z is taken as the vacuum (true for a dense electrolyte).
    The cell's c vector must be along z (a, b in the xy plane), as the builders make it.
    """
    length = _check_cell(atoms)
    z = np.mod(atoms.positions[:, 2], length)
    if origin is None:
        zs = np.sort(z)
        gaps = np.diff(np.r_[zs, zs[0] + length])
        k = int(np.argmax(gaps))
        origin = zs[k] + 0.5 * gaps[k]
    return origin + np.mod(z - origin, length)


def _circular_mean(z: np.ndarray, length: float) -> float:
    ang = 2 * np.pi * np.asarray(z) / length
    return float(np.mod(np.angle(np.exp(1j * ang).mean()) * length / (2 * np.pi), length))


def vacuum_origin(atoms, side: np.ndarray, layer: np.ndarray) -> float:
    """A z (Angstrom, in (-c/2, c/2]) in the middle of the vacuum: between the two electrodes'
    outermost layers, on the side away from their layer-1 (electrolyte-facing) planes."""
    length = _check_cell(atoms)
    z = np.mod(atoms.positions[:, 2], length)
    face, out = {}, {}
    for s in SIDES:
        m = side == s
        outer = m & (layer == layer[m].max())
        inner = m & (layer == 1)
        face[s] = _circular_mean(z[outer], length)
        d = face[s] - _circular_mean(z[inner], length)
        out[s] = 1.0 if (d - length * np.round(d / length)) > 0 else -1.0
    arc = np.mod(out["upper"] * (face["lower"] - face["upper"]), length)
    mid = float(np.mod(face["upper"] + out["upper"] * 0.5 * arc, length))
    return mid - length if mid > 0.5 * length else mid  # in (-c/2, c/2]: the stack starts near z = 0


def li_indices(atoms) -> np.ndarray:
    """Indices of the Li atoms."""
    return np.flatnonzero(np.asarray(atoms.get_chemical_symbols()) == "Li")


def frame_time(atoms, default: float = 0.0) -> float:
    """MD time of a frame (ps) from ``info['time_ps']``."""
    return float(atoms.info.get("time_ps", default))


@dataclass
class CycleGeometry:
    """Fixed geometry of a cycle from its reference (first) frame.

    ``side`` is per atom: ``lower``/``upper`` for electrode atoms (``region``
    anode or cathode in the reference frame), ``""`` for the electrolyte.
    ``plane`` is the starting surface plane of each electrode (median z of its
    layer-1 atoms, Angstrom); ``spacing`` the distance between an electrode's
    layer-1 and layer-2 planes (Angstrom; the Li(100) interlayer spacing, a/2);
    ``split_z`` the mid-line between the two planes; ``origin`` a z in the vacuum
    where every frame is wrapped (the outer layers are fixed, so it stays there).
    """

    side: np.ndarray
    layer: np.ndarray
    plane: dict[str, float]
    spacing: float
    split_z: float
    origin: float

    def z(self, atoms) -> np.ndarray:
        """:func:`slab_z` of ``atoms`` wrapped at this cycle's vacuum (the reference frame's)."""
        return slab_z(atoms, self.origin)

    def anode_side(self, atoms) -> str:
        """Which electrode (``lower``/``upper``) carries the ``anode`` label in ``atoms``."""
        reg = np.asarray(atoms.arrays["region"]).astype(str)
        counts = {s: int(np.sum((self.side == s) & (reg == "anode"))) for s in SIDES}
        if counts["lower"] == counts["upper"]:
            raise InputError("frame: cannot tell which electrode is the anode (region labels)")
        return max(counts, key=counts.get)

    def height(self, z: np.ndarray, side: str) -> np.ndarray:
        """Height (Angstrom) above the starting surface plane of electrode ``side``, positive
        into the electrolyte."""
        return (z - self.plane["lower"]) if side == "lower" else (self.plane["upper"] - z)

    def nearest_side(self, z: np.ndarray) -> np.ndarray:
        """``lower``/``upper`` for each z: the electrode on that side of the mid-line."""
        return np.where(np.asarray(z) < self.split_z, "lower", "upper")

    def anchored(self, anchor_layer: int) -> dict[str, np.ndarray]:
        """Boolean masks of each electrode's body: its atoms of layer >= ``anchor_layer``."""
        return {s: (self.side == s) & (self.layer >= anchor_layer) for s in SIDES}


def cycle_geometry(ref) -> CycleGeometry:
    """:class:`CycleGeometry` of the reference frame ``ref`` (the cycle's first frame).

    Raises :class:`InputError` when ``region``/``layer`` are missing, an electrode
    is empty or has no layer-1 atoms.
    """
    for key in ("region", "layer"):
        if key not in ref.arrays:
            raise InputError(f"frame has no per-atom array {key!r}")
    reg = np.asarray(ref.arrays["region"]).astype(str)
    layer = np.asarray(ref.arrays["layer"]).astype(int)
    for e in ELECTRODE_REGIONS:
        if not np.any(reg == e):
            raise InputError(f"frame: electrode region {e!r} is empty")
        if not np.any((reg == e) & (layer == 1)):
            raise InputError(f"frame: electrode {e!r} has no layer-1 (surface) atoms")
    # provisional sides from the largest gap, then the vacuum from the outer layers
    z = slab_z(ref)
    mean = {e: z[reg == e].mean() for e in ELECTRODE_REGIONS}
    lower_region = min(ELECTRODE_REGIONS, key=mean.get)
    side = np.full(len(ref), "", dtype="U5")
    for e in ELECTRODE_REGIONS:
        side[reg == e] = "lower" if e == lower_region else "upper"
    origin = vacuum_origin(ref, side, layer)
    z = slab_z(ref, origin)
    mean = {e: z[reg == e].mean() for e in ELECTRODE_REGIONS}
    lower_region = min(ELECTRODE_REGIONS, key=mean.get)
    for e in ELECTRODE_REGIONS:
        side[reg == e] = "lower" if e == lower_region else "upper"
    plane, spacing = {}, []
    for s in SIDES:
        top = (side == s) & (layer == 1)
        if not top.any():
            raise InputError(f"frame: the {s} electrode has no layer-1 (surface) atoms")
        plane[s] = float(np.median(z[top]))
        second = (side == s) & (layer == 2)
        if second.any():
            spacing.append(abs(float(np.median(z[second])) - plane[s]))
    if not plane["lower"] < plane["upper"]:
        raise InputError("frame: the electrode surface planes overlap")
    if not spacing:
        raise InputError("frame: no electrode has a layer-2 plane (cannot measure the interlayer spacing)")
    return CycleGeometry(side=side, layer=layer, plane=plane, spacing=float(np.mean(spacing)),
                         split_z=0.5 * (plane["lower"] + plane["upper"]), origin=origin)


def load_cycle(constq: str | os.PathLike | None, rounds: list, stride: int = 1) -> dict:
    """Frames of a cycle: ``stages`` = [(label, frames)] ("ConstQ" first when given, then
    "round 1".."round n") and the :class:`CycleGeometry` of its first frame.

    Raises :class:`InputError` when the stages differ in atom count or elements.
    """
    stages = []
    if constq is not None:
        stages.append(("ConstQ", read_trajectory(constq, stride)))
    for k, path in enumerate(rounds, start=1):
        stages.append((f"round {k}", read_trajectory(path, stride)))
    if not stages:
        raise InputError("cycle: no trajectories given")
    ref = stages[0][1][0]
    sym = ref.get_chemical_symbols()
    for label, frames in stages:
        if frames[0].get_chemical_symbols() != sym:
            raise InputError(f"cycle: {label} has other atoms than the first stage (lost atoms)")
    return {"stages": stages, "geometry": cycle_geometry(ref)}


def level_of_theory(frames, cycle_json: str | os.PathLike | None = None) -> str:
    """The level of theory of a cycle: ``cycle.json``'s ``level_of_theory``, else the last
    frame's ``info['level_of_theory']``, else 'unknown'."""
    import json

    if cycle_json is not None and Path(cycle_json).is_file():
        lot = json.loads(Path(cycle_json).read_text()).get("level_of_theory")
        if lot:
            return str(lot)
    return str(frames[-1].info.get("level_of_theory", "unknown"))
