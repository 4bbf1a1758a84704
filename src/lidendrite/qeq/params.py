"""QEq parameter sets: electronegativity chi, hardness J and Gaussian width sigma.

Built-in sets
-------------
``lpsc``
    Table S2 of the lpsc paper (An et al.): Li, P, S, Cl.
``ec``
    Table S1 of the ec paper (Hu et al.): Li, C, H, O, P, F.

The Gaussian widths sigma_i are the covalent radii of the elements ("sigma_i is
the width of Gaussian charge density taken from the covalent radii", ec SI 1.1,
below eq. S7), here the Cordero et al. (2008, doi:10.1039/b801115j) radii that
``ase.data.covalent_radii`` tabulates.

A YAML file overrides or extends a set::

    base: lpsc            # optional, a built-in set to start from
    elements:
      Li: {chi: -3.0, J: 10.0241, sigma: 1.28}   # eV, eV, Angstrom
      Fe: {chi: 4.0, J: 7.0}                      # sigma defaults to the covalent radius

Units: chi in eV (per e), J in eV (per e^2), sigma in Angstrom.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lidendrite.errors import InputError

__all__ = [
    "BUILTIN_SETS",
    "QEqParameters",
    "covalent_sigma",
    "load_parameters",
    "per_atom_parameters",
]

#: electronegativity chi (eV) and hardness J (eV) of the built-in sets
BUILTIN_SETS: dict[str, dict[str, tuple[float, float]]] = {
    # lpsc paper, SI 5, Table S2
    "lpsc": {
        "Li": (-3.0000, 10.0241),
        "P": (1.8000, 7.0946),
        "S": (6.5745, 9.0000),
        "Cl": (10.0000, 6.0403),
    },
    # ec paper, SI 1.1, Table S1
    "ec": {
        "Li": (-3.0, 10.0241),
        "C": (5.8678, 7.0),
        "H": (5.32, 7.4366),
        "O": (8.5, 8.9989),
        "P": (1.8, 7.0946),
        "F": (9.0, 8.0),
    },
}

_ALLOWED_KEYS = {"chi", "J", "sigma"}


def covalent_sigma(symbol: str) -> float:
    """Gaussian width sigma (Angstrom) of ``symbol``: its covalent radius (ASE table)."""
    from ase.data import atomic_numbers, covalent_radii

    if symbol not in atomic_numbers:
        raise InputError(f"unknown element symbol {symbol!r}")
    return float(covalent_radii[atomic_numbers[symbol]])


@dataclass(frozen=True)
class QEqParameters:
    """Per-element QEq parameters.

    Attributes
    ----------
    name : str
        Name of the set (built-in name or file path).
    chi : dict[str, float]
        Electronegativity chi_i^0 (eV/e), eq. S1 of the ec paper.
    J : dict[str, float]
        Hardness J_i (eV/e^2), eq. S1.
    sigma : dict[str, float]
        Gaussian charge width sigma_i (Angstrom), eqs. S6-S7.
    """

    name: str
    chi: dict[str, float] = field(default_factory=dict)
    J: dict[str, float] = field(default_factory=dict)
    sigma: dict[str, float] = field(default_factory=dict)

    @property
    def elements(self) -> list[str]:
        """Elements the set covers."""
        return list(self.chi)


def _from_builtin(name: str) -> QEqParameters:
    table = BUILTIN_SETS[name]
    return QEqParameters(
        name=name,
        chi={el: v[0] for el, v in table.items()},
        J={el: v[1] for el, v in table.items()},
        sigma={el: covalent_sigma(el) for el in table},
    )


def load_parameters(spec: str | Path | QEqParameters = "lpsc") -> QEqParameters:
    """Return a parameter set from a built-in name, a YAML file, or pass one through.

    Parameters
    ----------
    spec : str, Path or QEqParameters
        ``"lpsc"``, ``"ec"``, or the path of a YAML file (format in the module docstring).

    Raises
    ------
    InputError
        Unknown set name, unreadable file, unknown key or a non-numeric value; the
        message names the file and key.
    """
    if isinstance(spec, QEqParameters):
        return spec
    if isinstance(spec, str) and spec in BUILTIN_SETS:
        return _from_builtin(spec)
    path = Path(spec)
    if path.suffix.lower() not in (".yaml", ".yml") and not path.exists():
        raise InputError(
            f"--params {spec!r}: not a built-in set ({', '.join(BUILTIN_SETS)}) nor a YAML file"
        )
    if not path.exists():
        raise InputError(f"{path}: parameter file not found")
    import yaml

    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, Mapping):
        raise InputError(f"{path}: top level must be a mapping with keys base, elements")
    unknown = set(data) - {"base", "elements"}
    if unknown:
        raise InputError(f"{path}: unknown key {sorted(unknown)[0]!r} (allowed: base, elements)")
    base = data.get("base")
    if base is not None and base not in BUILTIN_SETS:
        raise InputError(f"{path}: key base: {base!r} is not one of {', '.join(BUILTIN_SETS)}")
    out = _from_builtin(base) if base else QEqParameters(name=str(path))
    chi, J, sigma = dict(out.chi), dict(out.J), dict(out.sigma)
    elements = data.get("elements") or {}
    if not isinstance(elements, Mapping):
        raise InputError(f"{path}: key elements must map element symbols to {{chi, J, sigma}}")
    for el, entry in elements.items():
        if not isinstance(entry, Mapping):
            raise InputError(f"{path}: key elements.{el} must be a mapping")
        bad = set(entry) - _ALLOWED_KEYS
        if bad:
            raise InputError(f"{path}: unknown key elements.{el}.{sorted(bad)[0]}")
        for key in ("chi", "J"):
            if key not in entry and el not in chi:
                raise InputError(f"{path}: key elements.{el}.{key} is missing")
        try:
            if "chi" in entry:
                chi[el] = float(entry["chi"])
            if "J" in entry:
                J[el] = float(entry["J"])
            sigma[el] = (
                float(entry["sigma"]) if "sigma" in entry else sigma.get(el, covalent_sigma(el))
            )
        except (TypeError, ValueError):
            raise InputError(f"{path}: key elements.{el}: values must be numbers") from None
        if J[el] <= 0 or sigma[el] <= 0:
            raise InputError(f"{path}: key elements.{el}: J and sigma must be positive")
    return QEqParameters(name=str(path), chi=chi, J=J, sigma=sigma)


def per_atom_parameters(
    params: QEqParameters, symbols: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-atom arrays (chi [n] in eV, J [n] in eV, sigma [n] in Angstrom).

    Raises
    ------
    InputError
        When an atom's element has no parameters; the message names the atom.
    """
    for i, s in enumerate(symbols):
        if s not in params.chi:
            raise InputError(
                f"atom {i} ({s}): no QEq parameters for element {s} in set "
                f"{params.name!r} (it has {', '.join(params.elements)})"
            )
    chi = np.array([params.chi[s] for s in symbols], dtype=np.float64)
    J = np.array([params.J[s] for s in symbols], dtype=np.float64)
    sigma = np.array([params.sigma[s] for s in symbols], dtype=np.float64)
    return chi, J, sigma
