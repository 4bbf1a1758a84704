"""``lidendrite label``: label a structure with the active labeller, write extended XYZ.

This is the command DP-GEN's custom ``fp`` step runs in every task folder
(:data:`lidendrite.training.dpgen_params.FP_INPUT` ``input.vasp`` in,
:data:`~lidendrite.training.dpgen_params.FP_OUTPUT` ``labeled.extxyz`` out),
and it works on any structure file ASE reads (POSCAR, extxyz, ...).

Which labeller and with which settings, in order of precedence:

* ``--settings FILE.json``: ``{"labeller": NAME, "settings": {...}}`` (the
  format of a dataset's ``labeller.json``, written by the DP-GEN rule beside
  ``param.json`` so that every fp task uses the run's labeller);
* ``--config FILE`` or ``--scale``: the config's ``labeller`` and
  ``labeling.<name>`` block;
* ``--labeller NAME`` overrides the name (settings then come from the config).

Output: every frame of the input with energy (eV), forces (eV/Angstrom) and
virial (eV, ``-stress * volume``) as written by
:func:`lidendrite.labeling.base.attach_labels`; the file is written to a
temporary name and renamed, so a killed labelling leaves no partial output.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from lidendrite.errors import InputError

__all__ = [
    "HELP",
    "add_arguments",
    "run",
    "read_frames",
    "labeller_from_args",
    "label_file",
    "check_frame",
    "check_labels",
]

HELP = "label a structure with the active labeller (energy, forces, virial) as extxyz"

#: smallest interatomic distance accepted before labelling, Angstrom (Li-Li in
#: BCC Li is 2.96 A, the shortest P-S bond of Li6PS5Cl ~2.05 A; 1.0 A means
#: overlapping atoms, on which every labeller returns nonsense or crashes)
MIN_DISTANCE = 1.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``lidendrite label`` (no heavy imports)."""
    parser.add_argument("--in", dest="inp", required=True, type=Path, help="structure file")
    parser.add_argument("--out", required=True, type=Path, help="output file (.extxyz)")
    parser.add_argument(
        "--settings",
        type=Path,
        default=None,
        help='JSON {"labeller": NAME, "settings": {...}} (e.g. a labeller.json)',
    )
    parser.add_argument(
        "--config", type=Path, default=None, help="config file (labeller + labeling)"
    )
    parser.add_argument(
        "--scale", choices=("ci", "demo", "paper"), default=None, help="config scale"
    )
    parser.add_argument("--labeller", default=None, help="labeller name (overrides the config)")
    parser.add_argument(
        "--study",
        choices=("lpsc", "ec"),
        default=None,
        help="with --config/--scale: the study whose teacher model to use "
        "(labeling.teacher.by_study; default: labeling.teacher.model)",
    )
    parser.add_argument(
        "--format",
        default=None,
        help="ASE format of --in (default: from the name; vasp for *.vasp)",
    )
    parser.add_argument(
        "--min-distance",
        type=float,
        default=MIN_DISTANCE,
        help=f"refuse structures with atoms closer than this, Angstrom (default {MIN_DISTANCE})",
    )
    parser.add_argument(
        "--siblings",
        default=None,
        metavar="GLOB",
        help="also label the folders matching GLOB (relative to --in's folder, e.g. '../task.*') "
        "that hold a file named as --in, have no output yet and are not claimed by another "
        "process, with the labeller already loaded (one start-up per job of DP-GEN fp tasks)",
    )


def read_frames(path: Path, fmt: str | None = None) -> list:
    """Every frame of ``path`` (``*.vasp``, ``POSCAR``, ``CONTCAR`` read as VASP)."""
    import ase.io

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: structure file not found")
    if fmt is None and (path.suffix == ".vasp" or path.name in ("POSCAR", "CONTCAR")):
        fmt = "vasp"
    try:
        frames = ase.io.read(str(path), index=":", format=fmt)
    except Exception as exc:  # ASE raises many types on unreadable input
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{path}: cannot read structure ({msg})") from None
    if not frames:
        raise InputError(f"{path}: no structure in the file")
    return frames


def labeller_from_args(
    settings: Path | None = None,
    config: Path | None = None,
    scale: str | None = None,
    labeller: str | None = None,
    study: str | None = None,
) -> Any:
    """Build the labeller chosen by a settings JSON, a config, or a name.

    From a config, the settings are those the workflow's rules use
    (:func:`lidendrite.config.labeller_settings`, ``study`` picking the teacher
    of ``labeling.teacher.by_study``), not the raw ``labeling.<name>`` block.
    """
    from lidendrite.labeling.base import get_labeller

    if settings is not None:
        settings = Path(settings)
        if not settings.is_file():
            raise InputError(f"{settings}: labeller settings file not found")
        try:
            record = json.loads(settings.read_text())
        except json.JSONDecodeError as exc:
            raise InputError(f"{settings}: not JSON ({exc.msg} at line {exc.lineno})") from None
        if not isinstance(record, dict) or "labeller" not in record:
            raise InputError(f"{settings}: needs a 'labeller' key")
        name = labeller or record["labeller"]
        kw = dict(record.get("settings") or {}) if name == record["labeller"] else {}
        return get_labeller(name, **kw)
    from lidendrite.config import labeller_settings, load_config

    cfg = load_config(scale, config) if (config or scale) else None
    if cfg is None:
        if labeller is None:
            raise InputError("give --settings FILE.json, --config FILE, --scale or --labeller")
        return get_labeller(labeller)
    settings_ = labeller_settings({**cfg, "labeller": labeller or cfg["labeller"]}, study)
    return get_labeller(settings_.pop("name"), **settings_)


def label_file(
    inp: Path,
    out: Path,
    labeller: Any,
    *,
    fmt: str | None = None,
    min_distance: float = MIN_DISTANCE,
) -> list:
    """Label every frame of ``inp`` with ``labeller`` and write them to ``out`` (extxyz).

    Raises :class:`InputError` naming the frame and the two atoms when atoms
    overlap (closer than ``min_distance`` Angstrom).
    """
    import ase.io

    from lidendrite.structures.checks import check_min_distance

    out = Path(out)
    if out.is_dir():
        raise InputError(f"--out {out}: is a directory; give the output file name")
    frames = read_frames(inp, fmt)
    for k, atoms in enumerate(frames):
        check_frame(atoms, f"{inp} frame {k}")
        check_min_distance(atoms, min_distance, what=f"{inp} frame {k}")
    labelled = labeller.label(frames)
    for k, atoms in enumerate(labelled):  # nothing is written unless every frame is labelled
        check_labels(atoms, f"{inp} frame {k}", getattr(labeller, "name", "labeller"))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp{os.getpid()}")
    ase.io.write(str(tmp), labelled, format="extxyz")
    os.replace(tmp, out)
    return labelled


def check_frame(atoms: Any, what: str) -> None:
    """Raise :class:`InputError` for a frame no labeller can use: a NaN/infinite
    position (naming the atom) or a periodic cell of zero volume."""
    import numpy as np

    pos = np.asarray(atoms.positions, dtype=float)
    bad = np.flatnonzero(~np.all(np.isfinite(pos), axis=1))
    if bad.size:
        i = int(bad[0])
        raise InputError(
            f"{what}: atom {i} ({atoms.get_chemical_symbols()[i]}) has a NaN or infinite "
            f"position {pos[i].tolist()} ({bad.size} such atom(s))"
        )
    if any(atoms.pbc):
        cell = np.asarray(atoms.cell.array, dtype=float)
        if not np.all(np.isfinite(cell)):
            raise InputError(f"{what}: cell (Lattice) holds NaN or infinite entries")
        if all(atoms.pbc) and abs(np.linalg.det(cell)) < 1e-6:
            raise InputError(
                f"{what}: periodic cell (Lattice) has zero volume (its vectors are linearly "
                "dependent or one is zero)"
            )


def check_labels(atoms: Any, what: str, name: str) -> None:
    """Raise :class:`InputError` unless ``atoms`` carries a finite energy and finite
    forces of the right shape (a labeller that returned nothing usable)."""
    import numpy as np

    calc = getattr(atoms, "calc", None)
    results = getattr(calc, "results", {}) if calc is not None else {}
    energy = results.get("energy")
    forces = results.get("forces")
    if energy is None or not np.isfinite(energy):
        raise InputError(
            f"{what}: labeller {name} gave no finite energy ({energy}); nothing written"
        )
    if forces is None or np.shape(forces) != (len(atoms), 3) or not np.all(np.isfinite(forces)):
        raise InputError(f"{what}: labeller {name} gave no finite forces; nothing written")


def _print_frames(frames: list, name: str) -> None:
    for atoms in frames:
        e = atoms.get_potential_energy()
        print(f"{atoms.get_chemical_formula()}: {e:.6f} eV ({name})", flush=True)


def run(args: argparse.Namespace) -> int:
    """Label ``--in`` and write ``--out``; print one line per frame."""
    if args.siblings is not None:
        return _run_with_siblings(args)
    labeller = labeller_from_args(args.settings, args.config, args.scale, args.labeller, args.study)
    frames = label_file(
        args.inp, args.out, labeller, fmt=args.format, min_distance=args.min_distance
    )
    _print_frames(frames, labeller.name)
    return 0


def _run_with_siblings(args: argparse.Namespace) -> int:
    """Label ``--in`` and every unclaimed sibling task (:mod:`~lidendrite.labeling.task_claims`).

    The own task comes first and its errors stop the command as without
    ``--siblings``. A sibling that fails is left to its own call, which then
    reports the error under its own task. The command returns only when its own
    output exists: if another process holds the claim, it waits for it, and if
    that process ends without the output, it labels the task itself.
    """
    from lidendrite.labeling.task_claims import claimed, wait_for_output

    base = args.inp.parent
    if args.out.parent != base:
        raise InputError(f"--siblings: --out {args.out} must sit beside --in {args.inp}")
    own = (args.inp, args.out)
    tasks = [own] + [
        (d / args.inp.name, d / args.out.name)
        for d in sorted(base.glob(args.siblings))
        if d.is_dir() and d.resolve() != base.resolve() and (d / args.inp.name).is_file()
    ]
    labeller = None

    def label(inp: Path, out: Path) -> None:
        frames = label_file(inp, out, labeller, fmt=args.format, min_distance=args.min_distance)
        _print_frames(frames, f"{labeller.name}, {inp}")

    def load() -> Any:
        # outside the per-task error handling: a labeller that cannot be built is
        # no sibling's fault and stops the command (it is not retried per task)
        return labeller or labeller_from_args(
            args.settings, args.config, args.scale, args.labeller, args.study
        )

    for inp, out in tasks:
        with claimed(out) as mine:
            if not mine:
                continue
            labeller = load()
            try:
                label(inp, out)
            except Exception as exc:
                if (inp, out) == own:
                    raise
                print(f"{inp}: left to its own task ({type(exc).__name__})", flush=True)
    while not wait_for_output(args.out):
        with claimed(args.out) as mine:
            if mine:
                labeller = load()
                label(*own)
    return 0
