"""``lidendrite qeq``: QEq charges (ConstQ or ConstP) of an extended-XYZ structure.

Writes the input structure to ``--out`` with a per-atom ``charges`` array (e)
and, in its info, ``energy`` (eV: E_QEq in ConstQ, Omega = E_QEq + sum phi Q in
ConstP), ``e_qeq`` (eV), ``chi_eq`` (V), ``iterations``, ``residual`` (V),
``solve_seconds`` (s, including JIT compilation), ``qeq_mode`` and
``slab_correction`` (whether eq. S8 was applied: only with vacuum along z).

ASE's extxyz writer stores ``atoms.arrays["charges"]`` as the column ``charge``;
``ase.io.read`` puts it (and ``energy``) back into a SinglePointCalculator, so
read them with ``atoms.get_charges()`` and ``atoms.get_potential_energy()``.
"""

from __future__ import annotations

import argparse

__all__ = ["HELP", "add_arguments", "run"]

HELP = "QEq charges (ConstQ or ConstP bias) of an extended-XYZ structure, JAX Ewald/PME"

_EPILOG = """\
Units: Angstrom, e, eV; potentials in V (phi_i Q_i enters the grand energy in eV).
ConstP (ec paper eq. S17): Li atoms with more than --cn-metal Li neighbours within
--cn-cutoff (--cn-rule authors: at least, plus the outermost electrode layers) get
--phi-lower if z < --split-z, else --phi-upper; a negative phi favours positive
charge (anode). Total charge is 0 in ConstP. The ConstP defaults are the ec study's
bias (config/schema.yaml, ec.bias: phi_anode below, phi_cathode above); without
--split-z the plane lies midway between the centroids of the atoms labelled
region anode and cathode, as in the pipeline.
Cells: any 3D cell, triclinic included. The slab correction (default on) applies
only to a structure with vacuum along z (an atom-free layer at least
--slab-min-vacuum wide); a bulk cell gets fully periodic electrostatics, so its
energy does not depend on how the atoms are wrapped. With the correction the a and
b vectors must lie in the xy plane and z is the surface normal; atoms are not
wrapped along z, so put the vacuum across the cell boundary z = 0 / z = Lz.
Errors (unknown element, overlapping atoms, missing cell, no convergence) print one
line and exit with status 2.
"""

#: numeric options of ``lidendrite qeq``: (flag, type, metavar, help); each one's
#: default is the QEqSettings field of the same name (flag without "--", "-" -> "_"),
#: except the ConstP bias, whose defaults are the config's ec.bias (_BIAS_DEFAULTS)
_CHARGE_OPTIONS: tuple[tuple[str, type, str, str], ...] = (
    ("--total-charge", float, "Q", "total charge in ConstQ, e (default: %(default)s)"),
    (
        "--phi-lower",
        float,
        "V",
        "ConstP bias on metallic Li below --split-z, V (default: %(default)s)",
    ),
    (
        "--phi-upper",
        float,
        "V",
        "ConstP bias on metallic Li above --split-z, V (default: %(default)s)",
    ),
    (
        "--split-z",
        float,
        "Z",
        "z of the plane between the electrodes, Angstrom (default: midway between the "
        "centroids of the atoms labelled anode and cathode (per-atom region))",
    ),
    ("--cn-cutoff", float, "R", "Li-Li coordination cutoff, Angstrom (default: %(default)s)"),
    ("--cn-metal", int, "N", "CN threshold of a metallic Li (default: %(default)s)"),
)
_EWALD_OPTIONS: tuple[tuple[str, type, str, str], ...] = (
    ("--rcut", float, "R", "real-space cutoff, Angstrom (default: %(default)s)"),
    ("--ewald-tol", float, "T", "Ewald/PME error tolerance delta (default: %(default)s)"),
    (
        "--slab-min-vacuum",
        float,
        "D",
        "the slab correction applies only to a structure with an atom-free layer along z at "
        "least this wide, Angstrom (default: %(default)s)",
    ),
)
_SOLVER_OPTIONS: tuple[tuple[str, type, str, str], ...] = (
    ("--tol", float, "V", "solver tolerance on max |chi_i - chi_eq|, V (default: %(default)s)"),
    ("--max-iter", int, "N", "solver iteration limit (default: %(default)s)"),
)


#: ConstP options whose default is the ec study's bias block of config/schema.yaml
_BIAS_DEFAULTS = {
    "phi_lower": "ec.bias.phi_anode",
    "phi_upper": "ec.bias.phi_cathode",
    "cn_cutoff": "ec.bias.cn_cutoff",
    "cn_metal": "ec.bias.cn_metal",
    "cn_rule": "ec.bias.cn_rule",
}


def _default(name: str):
    """Default of option ``name``: the config's ec.bias for the ConstP bias, else QEqSettings."""
    if name in _BIAS_DEFAULTS:
        from lidendrite.config import schema_default

        return schema_default(_BIAS_DEFAULTS[name])
    from lidendrite.qeq.settings import default

    return default(name)


def _add_numeric(
    parser: argparse.ArgumentParser, flag: str, kind: type, metavar: str, help_text: str
) -> None:
    """One numeric option whose default is :func:`_default` of its name."""
    parser.add_argument(
        flag,
        type=kind,
        default=_default(flag[2:].replace("-", "_")),
        metavar=metavar,
        help=help_text,
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``lidendrite qeq`` (cheap: no JAX import)."""
    from lidendrite.qeq.settings import default

    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = _EPILOG
    parser.add_argument("input", metavar="IN.extxyz", help="input structure (extended XYZ)")
    parser.add_argument("--out", required=True, metavar="OUT.extxyz", help="output structure")
    parser.add_argument(
        "--params",
        default=default("params"),
        metavar="lpsc|ec|FILE.yaml",
        help="QEq parameter set: lpsc (Table S2, Li P S Cl), ec (Table S1, Li C H O P F) or "
        "a YAML file (default: %(default)s)",
    )
    parser.add_argument(
        "--mode",
        choices=("constq", "constp"),
        default=default("mode"),
        help="(default: %(default)s)",
    )
    for flag, kind, metavar, help_text in _CHARGE_OPTIONS:
        _add_numeric(parser, flag, kind, metavar, help_text)
    parser.add_argument(
        "--cn-rule",
        choices=("paper", "authors"),
        default=_default("cn_rule"),
        help="metallic Li: paper = CN > --cn-metal (eq. 6); authors = CN >= --cn-metal and "
        "the outermost layer of each electrode (needs per-atom region and layer) always "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--no-slab-correction",
        action="store_true",
        help="drop the z dipole correction (eq. S8): fully periodic (tin-foil) electrostatics",
    )
    for flag, kind, metavar, help_text in _EWALD_OPTIONS:
        _add_numeric(parser, flag, kind, metavar, help_text)
    parser.add_argument(
        "--method",
        choices=("auto", "ewald", "pme"),
        default=default("method"),
        help=f"reciprocal sum: exact Ewald, PME, or auto (Ewald up to {default('ewald_max_atoms')} "
        "atoms; default: %(default)s)",
    )
    for flag, kind, metavar, help_text in _SOLVER_OPTIONS:
        _add_numeric(parser, flag, kind, metavar, help_text)


def run(args: argparse.Namespace) -> int:
    """Read, solve, write; return 0 (errors are raised as LidendriteError)."""
    from pathlib import Path

    from lidendrite.errors import InputError

    path = Path(args.input)
    if not path.exists():
        raise InputError(f"{path}: file not found")
    out_path = Path(args.out)
    if out_path.is_dir():
        raise InputError(f"--out {out_path}: is a directory; give the output file name")
    from ase.io import read, write

    try:
        atoms = read(path, format="extxyz")
    except Exception as exc:  # ase raises many types for malformed files
        raise InputError(f"{path}: cannot read as extended XYZ ({exc})") from None
    from lidendrite.qeq.geometry import check_cell, check_positions

    check_cell(atoms.cell.array, name=str(path))
    check_positions(atoms.positions, atoms.cell.array, name=str(path))

    from lidendrite.qeq.engine import QEqEngine
    from lidendrite.qeq.settings import QEqSettings

    settings = QEqSettings(
        params=args.params,
        mode=args.mode,
        total_charge=args.total_charge,
        phi_lower=args.phi_lower,
        phi_upper=args.phi_upper,
        split_z=args.split_z,
        cn_cutoff=args.cn_cutoff,
        cn_metal=args.cn_metal,
        cn_rule=args.cn_rule,
        slab_correction=not args.no_slab_correction,
        slab_min_vacuum=args.slab_min_vacuum,
        rcut=args.rcut,
        ewald_tol=args.ewald_tol,
        method=args.method,
        tol=args.tol,
        max_iter=args.max_iter,
    )  # validates every number first
    if settings.mode == "constp" and settings.split_z is None:
        if "region" not in atoms.arrays:
            raise InputError(
                f"{path}: ConstP needs --split-z (the structure has no per-atom region "
                "labels anode/cathode to place the plane between the electrodes)"
            )
        from dataclasses import replace

        from lidendrite.qeq.bias import electrode_sides

        settings = replace(settings, split_z=electrode_sides(atoms, str(path))[2])
    result = QEqEngine(settings).calculate(atoms, with_forces=False, name=str(path))
    out = atoms.copy()
    out.calc = None
    out.arrays["charges"] = result.charges
    out.info.update(
        energy=result.energy,
        e_qeq=result.e_qeq,
        chi_eq=result.chi_eq,
        iterations=result.iterations,
        residual=result.residual,
        solve_seconds=result.solve_seconds,
        qeq_mode=args.mode,
        slab_correction=result.info["slab_correction"],
    )
    import os

    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.tmp{os.getpid()}")
    try:  # a temporary name, renamed when complete: never a half-written output
        write(tmp, out, format="extxyz")
        os.replace(tmp, out_path)
    finally:
        tmp.unlink(missing_ok=True)
    print(
        f"qeq: {len(atoms)} atoms, {args.mode}, {result.iterations} iterations, "
        f"residual {result.residual:.2e} V, energy {result.energy:.6f} eV, "
        f"chi_eq {result.chi_eq:.4f} V, slab correction "
        f"{'on' if result.info['slab_correction'] else 'off'} -> {args.out}"
    )
    return 0
