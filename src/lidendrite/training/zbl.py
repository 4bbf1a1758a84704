"""ZBL screened-nuclear repulsion as a deepmd-kit pair table (DP-ZBL).

A Deep Potential trained on a few dozen frames has never seen two atoms closer
than about 0.9 Angstrom and may pull them together without limit. deepmd-kit's
DP-ZBL model (``model.use_srtab`` with ``smin_alpha``, ``sw_rmin``, ``sw_rmax``)
blends each atom's energy from the DP to a tabulated pair potential when its
softmin neighbour distance falls below ``sw_rmax``:

    E_i = (1 - w_i) E_i^DP + w_i E_i^pair,   w_i = 1 below sw_rmin, 0 above sw_rmax

so every configuration with all atoms farther apart than ``sw_rmax`` (all the
training data, every chemical bond) keeps the pure DP. The pair term here is
the universal ZBL potential (Ziegler, Biersack, Littmark, *The Stopping and
Range of Ions in Solids*, 1985):

    V(r) = Z_i Z_j e^2 / (4 pi eps0 r) * phi(r / a),  a = 0.8854 a0 / (Z_i^0.23 + Z_j^0.23)
    phi(x) = 0.1818 e^{-3.2x} + 0.5099 e^{-0.9423x} + 0.2802 e^{-0.4029x} + 0.02817 e^{-0.2016x}

tapered smoothly to zero between ``r_taper`` and ``r_zero`` (the table must be
smooth and reach past the descriptor cutoff).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from ase.data import atomic_numbers

from lidendrite.constants import COULOMB_EV_A
from lidendrite.errors import InputError

__all__ = ["zbl_energy", "zbl_table", "write_zbl_table", "with_zbl_table"]

#: 0.8854 Bohr radius, Angstrom (ZBL universal screening length prefactor)
_ZBL_A0 = 0.46850
_PHI_C = (0.18175, 0.50986, 0.28022, 0.02817)
_PHI_D = (3.19980, 0.94229, 0.40290, 0.20162)


def zbl_energy(r: np.ndarray, z1: int, z2: int) -> np.ndarray:
    """ZBL pair energy (eV) of nuclear charges ``z1``, ``z2`` at distances ``r`` (Angstrom, > 0)."""
    r = np.asarray(r, dtype=float)
    if np.any(r <= 0):
        raise InputError("zbl_energy: distances must be positive")
    a = _ZBL_A0 / (z1**0.23 + z2**0.23)
    x = r / a
    phi = sum(c * np.exp(-d * x) for c, d in zip(_PHI_C, _PHI_D, strict=True))
    return COULOMB_EV_A * z1 * z2 / r * phi


def _taper(r: np.ndarray, r_taper: float, r_zero: float) -> np.ndarray:
    """1 below ``r_taper``, 0 above ``r_zero``, C2-smooth quintic in between."""
    t = np.clip((r - r_taper) / (r_zero - r_taper), 0.0, 1.0)
    return 1.0 - t**3 * (10.0 - 15.0 * t + 6.0 * t**2)


def zbl_table(
    type_map: Sequence[str], *, r_max: float, dr: float = 0.005, r_taper: float = 1.5, r_zero: float = 2.5
) -> np.ndarray:
    """deepmd-kit pair table: column 0 = r (Angstrom, from ``dr`` to ``r_max``), then one
    energy column (eV) per type pair in the order 0-0, 0-1, ..., 0-N, 1-1, ..., N-N."""
    if not 0 < r_taper < r_zero <= r_max:
        raise InputError(f"zbl table: need 0 < r_taper < r_zero <= r_max, got {r_taper}, {r_zero}, {r_max}")
    z = []
    for t in type_map:
        if t not in atomic_numbers:
            raise InputError(f"zbl table: {t!r} in type_map is not an element")
        z.append(atomic_numbers[t])
    r = np.arange(dr, r_max + 0.5 * dr, dr)
    cols = [r]
    for i in range(len(z)):
        for j in range(i, len(z)):
            cols.append(zbl_energy(r, z[i], z[j]) * _taper(r, r_taper, r_zero))
    return np.column_stack(cols)


def write_zbl_table(path: str | Path, type_map: Sequence[str], *, r_max: float, **kwargs) -> Path:
    """Write :func:`zbl_table` as text for ``model.use_srtab``; returns the absolute path."""
    path = Path(path).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savetxt(path, zbl_table(type_map, r_max=r_max, **kwargs), fmt="%.10e")
    return path


def with_zbl_table(model_cfg: Mapping[str, Any], type_map: Sequence[str], folder: str | Path) -> dict[str, Any]:
    """A copy of a model config whose enabled ``zbl`` block names a pair table.

    When ``model_cfg["zbl"]["enabled"]``, the ZBL table for ``type_map`` is
    written to ``folder/zbl_table.txt`` (out to the descriptor cutoff + 1
    Angstrom) and its absolute path set as ``zbl["table"]`` for
    :func:`lidendrite.training.deepmd_input.build_deepmd_input`; otherwise the
    copy is returned unchanged.
    """
    cfg = dict(model_cfg)
    zbl = dict(cfg.get("zbl") or {})
    if zbl.get("enabled"):
        r_max = float(cfg["rcut"]) + 1.0
        zbl["table"] = str(write_zbl_table(Path(folder) / "zbl_table.txt", type_map, r_max=r_max))
        cfg["zbl"] = zbl
    return cfg
