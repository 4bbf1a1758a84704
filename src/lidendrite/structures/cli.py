"""``lidendrite build KIND``: write one structure of either study as extended XYZ.

Parameters of each kind come from the scale's config (``lpsc.structures.<kind>``
for the lpsc kinds, ``ec.structures`` blocks for the ec kinds) or, with
``--params FILE.yaml``, from a YAML mapping of the builder's keyword arguments.
``--relax`` relaxes the structure with the active labeller's ASE calculator
(bulk cells: positions and cell; slabs: positions and the in-plane cell).
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path
from typing import Any

from lidendrite.errors import InputError, ToolMissingError

__all__ = ["HELP", "KINDS", "add_arguments", "run", "build", "builder_params"]

HELP = "build a structure (li-bcc, lpsc-bulk, lpsc-interface, lpsc-sandwich, ec-...) as extxyz"

#: kind -> (module, function, config study, config block, is a bulk cell)
KINDS: dict[str, tuple[str, str, str, str, bool]] = {
    "li-bcc": ("lidendrite.structures.lpsc", "li_bcc", "lpsc", "li_bcc", True),
    "lpsc-bulk": ("lidendrite.structures.lpsc", "lpsc_bulk", "lpsc", "lpsc_bulk", True),
    "lpsc-interface": (
        "lidendrite.structures.lpsc",
        "lpsc_interface",
        "lpsc",
        "lpsc_interface",
        False,
    ),
    "lpsc-sandwich": (
        "lidendrite.structures.lpsc",
        "lpsc_sandwich",
        "lpsc",
        "lpsc_sandwich",
        False,
    ),
    "ec-electrolyte": ("lidendrite.structures.ec", "ec_electrolyte", "ec", "electrolyte", True),
    "ec-single-interface": (
        "lidendrite.structures.ec",
        "ec_single_interface",
        "ec",
        "single_interface",
        False,
    ),
    "ec-double-interface": (
        "lidendrite.structures.ec",
        "ec_double_interface",
        "ec",
        "double_interface",
        False,
    ),
    "ec-superlattice": ("lidendrite.structures.ec", "ec_superlattice", "ec", "superlattice", False),
    "ec-toy-capacitor": (
        "lidendrite.structures.ec",
        "ec_toy_capacitor",
        "ec",
        "toy_capacitor",
        False,
    ),
}
#: strain components a slab may relax (Voigt xx yy zz yz xz xy): in-plane only
SLAB_CELL_MASK = (1, 1, 0, 0, 0, 1)
#: longest cell vector a built structure may have, Angstrom (the paper-scale
#: sandwich is ~150 A long; 1e9 A is a typo that no later stage can use)
MAX_CELL_LENGTH = 1000.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``lidendrite build`` (no heavy imports)."""
    parser.add_argument("kind", metavar="KIND", help="one of: " + ", ".join(KINDS))
    parser.add_argument(
        "--scale",
        choices=("ci", "demo", "paper"),
        default="demo",
        help="config scale (default demo)",
    )
    parser.add_argument("--out", required=True, type=Path, help="output file (.extxyz)")
    parser.add_argument(
        "--config", type=Path, default=None, help="config file instead of the scale's"
    )
    parser.add_argument(
        "--params",
        type=Path,
        default=None,
        help="YAML mapping of the builder's keyword arguments (instead of the config)",
    )
    parser.add_argument(
        "--gap", type=float, default=None, help="electrode gap in Angstrom (ec-toy-capacitor only)"
    )
    parser.add_argument(
        "--relax", action="store_true", help="relax with the labeller's calculator before writing"
    )
    parser.add_argument(
        "--labeller", default="teacher", help="labeller whose calculator relaxes (default teacher)"
    )
    parser.add_argument(
        "--fmax",
        type=float,
        default=None,
        help="relaxation force threshold, eV/A (default: config)",
    )
    parser.add_argument(
        "--steps", type=int, default=None, help="maximum relaxation steps (default: config)"
    )


def builder_params(kind: str, cfg: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments of the builder of ``kind`` from a loaded config mapping."""
    module, func, study, block, _ = _kind(kind)
    if study == "ec":
        ec = _import(module)
        section = cfg.get("ec", {}).get("structures")
        if section is None:
            raise InputError("config key ec.structures is missing; pass --params FILE.yaml")
        return ec.builder_kwargs(section, block, getattr(ec, func))
    for where in (cfg.get(study, {}).get("structures", {}), cfg.get("structures", {})):
        if block in where:
            return dict(where[block])
    raise InputError(f"config key {study}.structures.{block} is missing; pass --params FILE.yaml")


def build(kind: str, params: dict[str, Any], gap: float | None = None):
    """Call the builder of ``kind`` with ``params`` (and ``gap`` for ec-toy-capacitor)."""
    module, func, *_ = _kind(kind)
    if gap is not None and kind != "ec-toy-capacitor":
        raise InputError(f"--gap applies to ec-toy-capacitor only, not {kind}")
    builder = getattr(_import(module), func)
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
    if kind == "ec-toy-capacitor":
        if gap is None and "gap" not in params:
            raise InputError("ec-toy-capacitor needs --gap (Angstrom)")
        if gap is not None:
            params["gap"] = gap
        g = params["gap"]
        if not isinstance(g, (int, float)) or not 0 < g <= MAX_CELL_LENGTH:
            raise InputError(
                f"ec-toy-capacitor: gap {g!r} Angstrom must be a number in (0, {MAX_CELL_LENGTH:g}]"
            )
    import inspect

    accepted = inspect.signature(builder).parameters
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise InputError(f"{kind}: unknown parameter(s) {', '.join(unknown)}")
    try:
        atoms = builder(**params)
    except TypeError as exc:  # a missing keyword argument
        raise InputError(f"{kind}: {exc}") from None
    lengths = atoms.cell.lengths()
    if not all(0 < x <= MAX_CELL_LENGTH for x in lengths):
        raise InputError(
            f"{kind}: built cell lengths {', '.join(f'{x:.4g}' for x in lengths)} Angstrom; "
            f"each must be in (0, {MAX_CELL_LENGTH:g}] (check the size parameters)"
        )
    return atoms


def run(args: argparse.Namespace) -> int:
    """Build, optionally relax, and write the structure; return 0."""
    kind = args.kind
    _kind(kind)
    if args.out.is_dir():
        raise InputError(f"--out {args.out}: is a directory; give the output file name")
    cfg: dict[str, Any] | None = None
    if args.params is not None:
        params = _read_yaml(args.params)
    else:
        from lidendrite.config import load_config

        cfg = load_config(args.scale, path=args.config)
        params = builder_params(kind, cfg)
    atoms = build(kind, params, gap=args.gap)
    if args.relax:
        atoms = _relax(kind, atoms, args, cfg)
    from lidendrite.io.extxyz import write_structure

    write_structure(atoms, args.out)
    mismatch = atoms.info.get("lattice_mismatch_percent")
    extra = f", mismatch {mismatch:.3f} %" if mismatch is not None else ""
    a, b, c = atoms.cell.lengths()
    print(
        f"{kind}: {len(atoms)} atoms {atoms.get_chemical_formula()}, cell {a:.3f} x {b:.3f} x {c:.3f} A{extra} -> {args.out}"
    )
    return 0


# ----------------------------------------------------------------- helpers


def _kind(kind: str) -> tuple[str, str, str, str, bool]:
    if kind not in KINDS:
        raise InputError(f"unknown structure kind {kind!r}; choose one of {', '.join(KINDS)}")
    return KINDS[kind]


def _import(module: str):
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("lidendrite"):
            raise ToolMissingError(
                f"{module} is not available in this checkout (missing {exc.name})"
            ) from None
        raise


def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml

    if not path.is_file():
        raise InputError(f"params file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise InputError(f"{path}: not valid YAML ({problem}{where})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a YAML mapping of keyword arguments")
    return data


def _relax(kind: str, atoms, args: argparse.Namespace, cfg: dict[str, Any] | None):
    from lidendrite.structures.relax import relax

    settings: dict[str, Any] = {}
    if cfg is not None:
        settings = dict(cfg.get("lpsc", {}).get("structures", {}).get("relax", {}))
    fmax = args.fmax if args.fmax is not None else settings.get("fmax")
    steps = args.steps if args.steps is not None else settings.get("steps")
    if fmax is None or steps is None:
        raise InputError(
            "--relax needs --fmax and --steps (or lpsc.structures.relax in the config)"
        )
    try:
        labeling = importlib.import_module("lidendrite.labeling")
        get_labeller = getattr(labeling, "get_labeller", None)
        if get_labeller is None:
            get_labeller = importlib.import_module("lidendrite.labeling.base").get_labeller
    except ModuleNotFoundError as exc:
        raise ToolMissingError(
            f"--relax needs lidendrite.labeling (missing {exc.name}); build without --relax or install the labelling part"
        ) from None
    calculator = get_labeller(args.labeller).calculator()
    bulk = KINDS[kind][4]
    return relax(
        atoms,
        calculator,
        fmax=float(fmax),
        steps=int(steps),
        cell=True,
        cell_mask=None if bulk else SLAB_CELL_MASK,
        stress_tol=settings.get("stress_tol"),
    )
