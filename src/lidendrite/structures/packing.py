"""Drive packmol: pack rigid molecules into a box, optionally periodic.

Packmol (Martinez, Andrade, Birgin, Martinez, J. Comput. Chem. 30, 2157
(2009), doi:10.1002/jcc.21224) places copies of template molecules so that
atoms of different molecules are at least ``tolerance`` apart and every atom
satisfies its box constraint. Since release 20.15 it accepts ``pbc xmin ymin
zmin xmax ymax zmax``, which measures those distances with the minimum-image
convention; the PyPI wheel ``packmol`` (21.x) ships such a binary, so no
shrinking of the box is needed to avoid overlaps across the boundary.

The binary is looked up in this order: the ``packmol_bin`` argument, the
binary inside the ``packmol`` Python package, ``packmol`` on ``PATH``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from ase import Atoms

from lidendrite.errors import InputError, ToolMissingError
from lidendrite.procs import die_with_parent

__all__ = ["Species", "find_packmol", "packmol_version", "pack"]


@dataclass(frozen=True)
class Species:
    """``number`` rigid copies of ``template`` to pack, called ``name``.

    ``box`` = (xlo, ylo, zlo, xhi, yhi, zhi) in Angstrom: every atom of every
    copy must lie inside it (packmol's ``inside box``).
    """

    name: str
    template: Atoms
    number: int
    box: tuple[float, float, float, float, float, float]


def find_packmol(packmol_bin: str | None = None) -> Path:
    """Path of the packmol executable; :class:`ToolMissingError` if none."""
    if packmol_bin:
        p = Path(packmol_bin)
        if p.is_file():
            return p
        raise ToolMissingError(f"packmol binary {packmol_bin} not found; pip install packmol")
    try:
        from packmol.cli import get_binary_path

        return Path(get_binary_path())
    except (ImportError, FileNotFoundError):
        pass
    found = shutil.which("packmol")
    if found:
        return Path(found)
    raise ToolMissingError("packmol not found; install it with `pip install packmol`")


def packmol_version(packmol_bin: str | None = None) -> str:
    """Version string packmol prints in its banner (e.g. ``21.2.3``)."""
    exe = find_packmol(packmol_bin)
    out = subprocess.run([str(exe)], input="", capture_output=True, text=True, timeout=30)
    m = re.search(r"Version\s+([0-9][0-9.]*)", out.stdout)
    return m.group(1) if m else "unknown"


def pack(
    species: Sequence[Species],
    cell: Sequence[float],
    *,
    tolerance: float,
    seed: int,
    nloop: int,
    precision: float = 0.01,
    timeout_s: float,
    packmol_bin: str | None = None,
    workdir: str | Path | None = None,
) -> Atoms:
    """Pack ``species`` into the orthorhombic periodic ``cell`` with packmol.

    ``tolerance``, ``seed``, ``nloop`` and ``timeout_s`` have no defaults: they
    come from the config's ``ec.structures.common``, their one source.

    Parameters
    ----------
    species
        Molecules to place, in output order.
    cell
        (Lx, Ly, Lz) in Angstrom; periodic in all three directions (packmol
        ``pbc 0 0 0 Lx Ly Lz``).
    tolerance
        Minimum distance between atoms of different molecules, Angstrom.
    seed, nloop
        Packmol random seed and maximum number of GENCAN loops per stage.
    precision
        Packmol's convergence threshold on the largest distance and
        constraint violation (squared-Angstrom penalty units): an atom may
        end up to about ``sqrt(precision)`` A inside ``tolerance`` or outside
        its box. A numerical setting of packmol (its own default), not a
        physical one, with no config key.
    timeout_s
        Wall-clock limit for the packmol run, s.
    workdir
        Where to write the input and output (a temporary folder if None).

    Returns
    -------
    ase.Atoms
        The packed atoms, periodic ``cell``, each molecule made whole with
        the minimum-image convention and its first atom wrapped into the
        cell. Arrays ``mol_id`` (0, 1, ... per molecule) and ``molecule``
        (the species name).

    Raises
    ------
    InputError
        Packmol ends without a packing that meets the tolerance, fails or
        runs out of time (one line naming the molecule counts and box).
    ToolMissingError
        No packmol binary.
    """
    exe = find_packmol(packmol_bin)
    lx, ly, lz = (float(v) for v in cell)
    summary = ", ".join(f"{s.number} {s.name}" for s in species if s.number > 0)
    box_txt = f"{lx:.2f} x {ly:.2f} x {lz:.2f} A box"
    args = dict(
        tolerance=tolerance,
        seed=seed,
        nloop=nloop,
        precision=precision,
        timeout_s=timeout_s,
        exe=exe,
        summary=summary,
        box_txt=box_txt,
    )
    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="packmol_") as tmp:
            return _run(species, (lx, ly, lz), wd=Path(tmp), keep_log=False, **args)
    wd = Path(workdir)
    wd.mkdir(parents=True, exist_ok=True)
    return _run(species, (lx, ly, lz), wd=wd, keep_log=True, **args)


def _run(
    species,
    cell,
    *,
    tolerance,
    seed,
    nloop,
    precision,
    timeout_s,
    exe,
    wd,
    keep_log,
    summary,
    box_txt,
) -> Atoms:
    lx, ly, lz = cell
    lines = [
        f"tolerance {tolerance:.6f}",
        "filetype xyz",
        "output packed.xyz",
        f"seed {int(seed)}",
        f"nloop {int(nloop)}",
        f"precision {precision:.6g}",
        f"pbc 0. 0. 0. {lx:.6f} {ly:.6f} {lz:.6f}",
    ]
    for k, s in enumerate(species):
        if s.number <= 0:
            continue
        fname = f"mol{k}.xyz"
        _write_xyz(wd / fname, s.template, s.name)
        lines += [
            f"structure {fname}",
            f"  number {int(s.number)}",
            "  inside box " + " ".join(f"{v:.6f}" for v in s.box),
            "end structure",
        ]
    (wd / "packmol.inp").write_text("\n".join(lines) + "\n")
    try:
        with open(wd / "packmol.inp") as fin:
            proc = subprocess.run(
                [str(exe)], stdin=fin, capture_output=True, text=True, timeout=timeout_s, cwd=wd,
                preexec_fn=die_with_parent,
            )
    except subprocess.TimeoutExpired:
        raise InputError(
            f"packmol could not place {summary} in {box_txt} within {timeout_s:.0f} s"
        ) from None
    (wd / "packmol.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0 or "Success!" not in proc.stdout:
        why = (
            "no packing met the tolerance"
            if proc.returncode == 173
            else f"exit status {proc.returncode}"
        )
        where = f"; log {wd / 'packmol.log'}" if keep_log else ""
        raise InputError(
            f"packmol could not place {summary} in {box_txt} at tolerance {tolerance} A ({why}{where})"
        )
    symbols, pos = _read_xyz(wd / "packed.xyz")
    atoms = Atoms(symbols, positions=pos, cell=[lx, ly, lz], pbc=True)
    mol_id, names, starts = [], [], []
    n = 0
    for s in species:
        for _ in range(max(s.number, 0)):
            starts.append(n)
            mol_id += [len(starts) - 1] * len(s.template)
            names += [s.name] * len(s.template)
            n += len(s.template)
    if n != len(atoms):
        raise InputError(f"packmol wrote {len(atoms)} atoms, expected {n} ({wd / 'packed.xyz'})")
    atoms.set_array("mol_id", np.array(mol_id, dtype=int))
    atoms.set_array("molecule", np.array(names, dtype="U8"))
    _make_whole(atoms, np.array(mol_id))
    return atoms


def _make_whole(atoms: Atoms, mol_id: np.ndarray) -> None:
    """Unwrap each molecule around its first atom (minimum image), wrap that atom."""
    cell = atoms.cell.lengths()
    pos = atoms.positions
    _, idx = np.unique(mol_id, return_index=True)
    first = idx[mol_id]
    anchor = pos[first] - np.floor(pos[first] / cell) * cell
    d = pos - pos[first]
    d -= np.round(d / cell) * cell
    atoms.positions = anchor + d


def _write_xyz(path: Path, atoms: Atoms, comment: str) -> None:
    rows = [f"{len(atoms)}", comment]
    rows += [
        f"{s} {x:.6f} {y:.6f} {z:.6f}"
        for s, (x, y, z) in zip(atoms.get_chemical_symbols(), atoms.positions, strict=True)
    ]
    path.write_text("\n".join(rows) + "\n")


def _read_xyz(path: Path) -> tuple[list[str], np.ndarray]:
    lines = path.read_text().splitlines()
    n = int(lines[0].split()[0])
    body = [ln.split() for ln in lines[2 : 2 + n]]
    return [b[0] for b in body], np.array([[float(v) for v in b[1:4]] for b in body])
