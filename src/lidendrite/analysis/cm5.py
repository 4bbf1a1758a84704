"""CM5 charges from Hirshfeld charges (ec paper sec. 3.2, Fig. 3b, S9).

Charge Model 5 (Marenich, Jerome, Cramer, Truhlar, JCTC 8, 527 (2012), eqs. 1-4)
corrects Hirshfeld charges pairwise:

    q_k(CM5) = q_k(Hirshfeld) + sum_{k' != k} T_kk' B_kk'
    B_kk'    = exp[-alpha (r_kk' - R_Zk - R_Zk')]          (alpha = 2.474 1/Angstrom)
    T_kk'    = D_{Zk Zk'},  D_Z'Z = -D_ZZ',  D_ZZ' = D_Z - D_Z' unless fitted per pair

R_Z are covalent radii (Angstrom), D in e; all parameters are in
``lidendrite/data/cm5_parameters.yaml`` with their source. Because T is
antisymmetric the correction moves charge between atoms and conserves the
total; same-element pairs (e.g. Li-Li in the metal) get no correction. In a
periodic cell the sum runs over every periodic image within ``cutoff``
(B < 1e-9 beyond 8 Angstrom for every pair here).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
import yaml

from lidendrite.errors import InputError

__all__ = ["CM5Parameters", "cm5_parameters", "cm5_correction", "cm5_charges"]


class CM5Parameters:
    """alpha (1/Angstrom), radius R_Z (Angstrom), D_Z and pairwise D_ZZ' (e)."""

    def __init__(self, alpha: float, radius: dict, d_z: dict, pair_d: dict):
        self.alpha = float(alpha)
        self.radius = {k: float(v) for k, v in radius.items()}
        self.d_z = {k: float(v) for k, v in d_z.items()}
        self.pair_d: dict[tuple[str, str], float] = {}
        for key, value in pair_d.items():
            a, b = key.split("-")
            self.pair_d[(a, b)] = float(value)
            self.pair_d[(b, a)] = -float(value)

    def d(self, za: str, zb: str) -> float:
        """D_{za zb} (e): the charge moved onto an atom of ``za`` per unit B from ``zb``."""
        if (za, zb) in self.pair_d:
            return self.pair_d[(za, zb)]
        return self.d_z[za] - self.d_z[zb]

    def check(self, symbols) -> None:
        missing = sorted(set(symbols) - (set(self.radius) & set(self.d_z)))
        if missing:
            raise InputError(f"no CM5 parameters for element(s) {', '.join(missing)} "
                             "(lidendrite/data/cm5_parameters.yaml covers H-Ar)")


@lru_cache(maxsize=1)
def cm5_parameters() -> CM5Parameters:
    """The published CM5 parameters (Marenich et al. 2012) from the package data file."""
    text = resources.files("lidendrite").joinpath("data/cm5_parameters.yaml").read_text()
    data = yaml.safe_load(text)
    return CM5Parameters(data["alpha"], data["radius"], data["d_z"], data["pair_d"])


def cm5_correction(atoms, cutoff: float, params: CM5Parameters | None = None) -> np.ndarray:
    """Per-atom CM5 correction sum_{k'} T_kk' B_kk' (e) of ``atoms``.

    Parameters
    ----------
    atoms : ase.Atoms
        Positions in Angstrom; periodic images are included along periodic axes.
    cutoff : float
        Pairs farther apart than this (Angstrom) are left out (config
        ``ec.validation.dft.cm5_cutoff``, its one source).
    params : CM5Parameters, optional
        Default: :func:`cm5_parameters`.
    """
    from ase.neighborlist import neighbor_list

    p = params or cm5_parameters()
    symbols = atoms.get_chemical_symbols()
    p.check(symbols)
    if cutoff <= 0:
        raise InputError(f"CM5 cutoff must be positive, got {cutoff}")
    i, j, d = neighbor_list("ijd", atoms, float(cutoff), self_interaction=False)
    sym = np.array(symbols)
    radius = np.array([p.radius[s] for s in symbols])
    b = np.exp(-p.alpha * (d - radius[i] - radius[j]))
    kinds = sorted(set(symbols))
    table = {(a, c): p.d(a, c) for a in kinds for c in kinds}
    t = np.array([table[(a, c)] for a, c in zip(sym[i], sym[j], strict=True)]) if len(i) else []
    corr = np.zeros(len(atoms))
    np.add.at(corr, i, np.asarray(t, dtype=float) * b)
    return corr


def cm5_charges(atoms, hirshfeld, cutoff: float,
                params: CM5Parameters | None = None) -> np.ndarray:
    """CM5 charges (e): ``hirshfeld`` (e, one per atom) plus :func:`cm5_correction`."""
    q = np.asarray(hirshfeld, dtype=float)
    if q.shape != (len(atoms),):
        raise InputError(f"{q.size} Hirshfeld charges for {len(atoms)} atoms")
    return q + cm5_correction(atoms, cutoff, params)
