"""The lpsc collective variable: CN(Li-Li) - CN(Li-S) - CN(Li-P) - CN(Li-Cl).

An et al., Methods 2.2, eqs. (1)-(2) and SI 4 / Table S1.  Each coordination
number is

    CN_AB = sum_{i in A} sum_{j in B, j != i} s(r_ij),
    s(r) = (1 - (r/R0)^n) / (1 - (r/R0)^m)

(the rational switching function of PLUMED's COORDINATION with D_0 = 0;
eq. S1 of the paper typesets it as (1 - r/R0)^n / (1 - r/R0)^m, which is a
misprint).  Table S1: R0 = 3.2, 3.0, 4.0, 4.0 Angstrom for Li-Li, Li-S, Li-P,
Li-Cl; n = 6, m = 12.  Distances with the minimum image.

Cut-off: the paper's function has none (every pair counts).  With ``d_max``
the function is PLUMED's ``D_MAX`` form: zero beyond d_max and, with
``stretch`` (PLUMED's default since 2.2), shifted and scaled so that it
reaches zero continuously there,

    s_d(r) = (s(r) - s(d_max)) / (s(0) - s(d_max))  for r <= d_max, 0 beyond

(s(0) = 1); without ``stretch`` s is cut at d_max with a jump of s(d_max).
The numpy functions below compute exactly that form.  PLUMED's neighbour
list (``NLIST NL_CUTOFF NL_STRIDE``) only changes the cost: the list holds
the pairs closer than NL_CUTOFF at its last update, so as long as no pair
moves from beyond NL_CUTOFF to inside d_max within NL_STRIDE steps it sums
the same pairs as the all-pairs loop.

Groups (from the structure's per-atom ``region`` and ``layer`` arrays):

* A (all four CNs): Li of the electrolyte;
* B of Li-Li: Li of the anode layers 1..8 (1 = contact layer) plus the
  electrolyte Li;
* B of Li-S / Li-P / Li-Cl: S / P / Cl of the electrolyte.

Self pairs: A is a subset of B for Li-Li.  A pair (i, i) is never counted;
a pair of two electrolyte Li (i, j) is counted twice, as (i, j) and (j, i),
which is the paper's double sum and exactly what PLUMED's COORDINATION with
GROUPA/GROUPB computes (it skips identical atoms only).  The numpy reference
and the PLUMED input therefore agree term by term.

Why one module of about 700 lines: the CN switching function, its PLUMED input and its independent NumPy check must agree term by term, so they sit side by side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from lidendrite.constants import EV_PER_AMU_A2_IN_S2
from lidendrite.errors import InputError
from lidendrite.sampling.plumed_bridge import ANGSTROM_TO_NM, EV_TO_KJMOL

if TYPE_CHECKING:
    from ase import Atoms

__all__ = [
    "CN_PAIRS",
    "CVGroups",
    "cv_groups",
    "rational_switch",
    "coordination_numpy",
    "cv_coordination_numpy",
    "rational_switch_derivative",
    "coordination_gradient_numpy",
    "cv_gradient_numpy",
    "EV_PER_AMU_A2_IN_S2",
    "restraint_omega",
    "restraint_period_fs",
    "max_stable_kappa_ev",
    "plumed_atom_list",
    "cv_plumed_input",
    "moving_restraint_plumed_input",
]

#: coordination numbers of eq. (2), in order, with their coefficients
CN_PAIRS: tuple[tuple[str, float], ...] = (
    ("li_li", 1.0),
    ("li_s", -1.0),
    ("li_p", -1.0),
    ("li_cl", -1.0),
)


@dataclass(frozen=True)
class CVGroups:
    """0-based atom indices of the CV groups.

    Attributes
    ----------
    li_a
        Group A of every CN: Li of the electrolyte.
    li_b
        Group B of CN(Li-Li): Li of anode layers 1..n_anode_layers plus ``li_a``.
    s, p, cl
        Group B of CN(Li-S), CN(Li-P), CN(Li-Cl): electrolyte S, P, Cl.
    """

    li_a: np.ndarray
    li_b: np.ndarray
    s: np.ndarray
    p: np.ndarray
    cl: np.ndarray

    def group_b(self, pair: str) -> np.ndarray:
        """Return group B of ``pair`` (``li_li``, ``li_s``, ``li_p`` or ``li_cl``)."""
        return {"li_li": self.li_b, "li_s": self.s, "li_p": self.p, "li_cl": self.cl}[pair]


def cv_groups(
    atoms: Atoms,
    *,
    n_anode_layers: int,
    electrolyte_region: str = "electrolyte",
    anode_region: str = "anode",
    name: str = "structure",
) -> CVGroups:
    """Select the CV groups from the ``region`` and ``layer`` arrays.

    Parameters
    ----------
    atoms
        Structure with per-atom arrays ``region`` (str) and ``layer`` (int,
        1 = anode layer in contact with the electrolyte, -1 where none).
    n_anode_layers
        Anode layers counted in group B of CN(Li-Li) (paper: 8).
    electrolyte_region, anode_region
        Region labels of the electrolyte and of the anode.
    name
        Name of the structure (file) used in error messages.

    Raises
    ------
    InputError
        If an array is missing or a group comes out empty (one line naming it).
    """
    for key in ("region", "layer"):
        if key not in atoms.arrays:
            raise InputError(
                f"{name}: per-atom array '{key}' is missing (needed for the CV groups)"
            )
    region = np.asarray(atoms.arrays["region"]).astype(str)
    layer = np.asarray(atoms.arrays["layer"]).astype(int)
    sym = np.asarray(atoms.get_chemical_symbols())
    elec = region == electrolyte_region
    li_a = np.flatnonzero(elec & (sym == "Li"))
    anode_top = (region == anode_region) & (sym == "Li") & (layer >= 1) & (layer <= n_anode_layers)
    li_b = np.flatnonzero(anode_top | (elec & (sym == "Li")))
    groups = CVGroups(
        li_a=li_a,
        li_b=li_b,
        s=np.flatnonzero(elec & (sym == "S")),
        p=np.flatnonzero(elec & (sym == "P")),
        cl=np.flatnonzero(elec & (sym == "Cl")),
    )
    labels = {
        "li_a": f"Li of region '{electrolyte_region}'",
        "li_b": f"Li of region '{anode_region}' layers 1..{n_anode_layers} plus electrolyte Li",
        "s": f"S of region '{electrolyte_region}'",
        "p": f"P of region '{electrolyte_region}'",
        "cl": f"Cl of region '{electrolyte_region}'",
    }
    for key, label in labels.items():
        if getattr(groups, key).size == 0:
            raise InputError(f"{name}: CV group '{key}' ({label}) is empty")
    if not np.any(anode_top):
        raise InputError(
            f"{name}: CV group 'li_b' has no Li of region '{anode_region}' with layer 1..{n_anode_layers}"
        )
    return groups


def _rational(r: np.ndarray, r0: float, n: int, m: int) -> np.ndarray:
    """(1 - (r/r0)^n) / (1 - (r/r0)^m) without cut-off; the limit n/m at r = r0."""
    x = np.asarray(r, dtype=float) / r0
    near = np.abs(x - 1.0) < 1e-8
    xs = np.where(near, 0.5, x)  # any x != 1 here; these entries are replaced by the limit below
    val = (1.0 - xs**n) / (1.0 - xs**m)
    # first-order expansion around x = 1: n/m + n(n-m)/(2m) (x-1)
    lim = n / m + n * (n - m) / (2.0 * m) * (x - 1.0)
    return np.where(near, lim, val)


def _cutoff_scale(
    r0: float, n: int, m: int, d_max: float | None, stretch: bool
) -> tuple[float, float]:
    """(shift, scale) of the D_MAX form: s_d = (s - shift) * scale (PLUMED's stretch)."""
    if d_max is None or not stretch:
        return 0.0, 1.0
    if d_max <= 0:
        raise InputError(f"switching function: d_max must be > 0 Angstrom, got {d_max}")
    s_d = float(_rational(np.array(d_max), r0, n, m))
    return s_d, 1.0 / (1.0 - s_d)


def rational_switch(
    r: np.ndarray,
    r0: float,
    n: int,
    m: int,
    *,
    d_max: float | None = None,
    stretch: bool = True,
) -> np.ndarray:
    """Rational switching function s(r) = (1 - (r/r0)^n) / (1 - (r/r0)^m), optionally cut at d_max.

    Parameters
    ----------
    r
        Distances, Angstrom (any shape).
    r0
        Switching radius R0, Angstrom.
    n, m
        Exponents (Table S1: 6 and 12).
    d_max
        Cut-off, Angstrom (PLUMED ``D_MAX``): s = 0 for r > d_max.  ``None``:
        no cut-off (the paper's function).
    stretch
        With ``d_max``: s_d(r) = (s(r) - s(d_max)) / (1 - s(d_max)), which is
        continuous at d_max (PLUMED's default); ``False``: s cut with a jump
        (PLUMED ``NOSTRETCH``).

    Returns
    -------
    ndarray
        s(r), same shape as ``r``; the removable singularity at r = r0 takes
        its limit n/m.
    """
    val = _rational(r, r0, n, m)
    if d_max is None:
        return val
    shift, scale = _cutoff_scale(r0, n, m, d_max, stretch)
    return np.where(np.asarray(r, dtype=float) > d_max, 0.0, (val - shift) * scale)


def _min_image(d: np.ndarray, cell: np.ndarray, pbc: np.ndarray) -> np.ndarray:
    """Minimum-image displacement vectors ``d`` (``[..., 3]``, Angstrom)."""
    if not np.any(pbc):
        return d
    inv = np.linalg.inv(cell)
    frac = d @ inv
    frac[..., pbc] -= np.round(frac[..., pbc])
    return frac @ cell


def coordination_numpy(
    positions: np.ndarray,
    cell: np.ndarray,
    group_a: np.ndarray,
    group_b: np.ndarray,
    *,
    r0: float,
    n: int,
    m: int,
    d_max: float | None = None,
    stretch: bool = True,
    pbc: tuple[bool, bool, bool] = (True, True, True),
    chunk: int = 256,
) -> float:
    """CN_AB = sum_{i in A} sum_{j in B, j != i} s(|r_ij|), eq. (1) / S1.

    Parameters
    ----------
    positions
        ``[n_atoms, 3]`` positions, Angstrom.
    cell
        ``[3, 3]`` cell row vectors, Angstrom.
    group_a, group_b
        0-based atom indices.
    r0, n, m, d_max, stretch
        Switching-function parameters (:func:`rational_switch`).
    pbc
        Periodic directions (minimum image along them).
    chunk
        Rows of A handled at once: a memory bound of the numpy loop, not a
        physical setting (the result does not depend on it), so it has no
        config key.
    """
    pos = np.asarray(positions, dtype=float)
    cell = np.asarray(cell, dtype=float)
    pbc_arr = np.asarray(pbc, dtype=bool)
    a = np.asarray(group_a, dtype=int)
    b = np.asarray(group_b, dtype=int)
    total = 0.0
    for start in range(0, a.size, chunk):
        ia = a[start : start + chunk]
        d = _min_image(pos[b][None, :, :] - pos[ia][:, None, :], cell, pbc_arr)
        r = np.linalg.norm(d, axis=-1)
        s = rational_switch(r, r0, n, m, d_max=d_max, stretch=stretch)
        s[ia[:, None] == b[None, :]] = 0.0  # self pairs are not counted
        total += float(s.sum())
    return total


def _groups_or_select(atoms: Atoms, groups: CVGroups | None, n_anode_layers: int | None):
    """``groups``, or those of ``atoms`` with ``n_anode_layers`` (no default: the config's)."""
    if groups is not None:
        return groups
    if n_anode_layers is None:
        raise InputError("CV: give groups or n_anode_layers (config lpsc.sampling.n_anode_layers)")
    return cv_groups(atoms, n_anode_layers=n_anode_layers)


def cv_coordination_numpy(
    atoms: Atoms,
    *,
    groups: CVGroups | None = None,
    r0_li_li: float,
    r0_li_s: float,
    r0_li_p: float,
    r0_li_cl: float,
    n: int,
    m: int,
    d_max: float | None = None,
    stretch: bool = True,
    n_anode_layers: int | None = None,
) -> dict[str, float]:
    """Reference (numpy) value of the CV of eq. (2) and its four CNs.

    Parameters
    ----------
    atoms
        Structure with ``region``/``layer`` arrays (used if ``groups`` is None).
    groups
        Pre-selected groups (from :func:`cv_groups`).
    r0_li_li, r0_li_s, r0_li_p, r0_li_cl
        R0 of each CN, Angstrom (Table S1: 3.2, 3.0, 4.0, 4.0).
    n, m
        Switching exponents (Table S1: 6, 12).
    d_max, stretch
        Cut-off of all four switching functions, Angstrom, and its form
        (:func:`rational_switch`); ``d_max=None``: no cut-off.
    n_anode_layers
        Anode layers in group B of CN(Li-Li) (config ``lpsc.sampling.n_anode_layers``,
        paper: 8); needed only when ``groups`` is None.

    Returns
    -------
    dict
        ``li_li``, ``li_s``, ``li_p``, ``li_cl`` and ``cv`` (dimensionless).
    """
    groups = _groups_or_select(atoms, groups, n_anode_layers)
    r0 = {"li_li": r0_li_li, "li_s": r0_li_s, "li_p": r0_li_p, "li_cl": r0_li_cl}
    pos = atoms.get_positions()
    cell = np.asarray(atoms.cell[:], dtype=float)
    out: dict[str, float] = {}
    cv = 0.0
    for pair, coeff in CN_PAIRS:
        out[pair] = coordination_numpy(
            pos,
            cell,
            groups.li_a,
            groups.group_b(pair),
            r0=r0[pair],
            n=n,
            m=m,
            d_max=d_max,
            stretch=stretch,
            pbc=tuple(atoms.pbc),
        )
        cv += coeff * out[pair]
    out["cv"] = cv
    return out


def rational_switch_derivative(
    r: np.ndarray,
    r0: float,
    n: int,
    m: int,
    *,
    d_max: float | None = None,
    stretch: bool = True,
) -> np.ndarray:
    """ds/dr of :func:`rational_switch`, 1/Angstrom (same shape as ``r``).

    ds/dx = (-n x^(n-1) (1 - x^m) + m x^(m-1) (1 - x^n)) / (1 - x^m)^2 with
    x = r/r0; at the removable singularity x = 1 it takes the slope of the
    expansion used by :func:`rational_switch`, n (n - m) / (2 m r0).  With
    ``d_max``: times 1 / (1 - s(d_max)) (``stretch``) and 0 beyond d_max.
    """
    x = np.asarray(r, dtype=float) / r0
    near = np.abs(x - 1.0) < 1e-8
    xs = np.where(near, 0.5, x)
    den = 1.0 - xs**m
    dsdx = (-n * xs ** (n - 1) * den + m * xs ** (m - 1) * (1.0 - xs**n)) / den**2
    lim = n * (n - m) / (2.0 * m)
    val = np.where(near, lim, dsdx) / r0
    if d_max is None:
        return val
    _, scale = _cutoff_scale(r0, n, m, d_max, stretch)
    return np.where(np.asarray(r, dtype=float) > d_max, 0.0, val * scale)


def coordination_gradient_numpy(
    positions: np.ndarray,
    cell: np.ndarray,
    group_a: np.ndarray,
    group_b: np.ndarray,
    *,
    r0: float,
    n: int,
    m: int,
    d_max: float | None = None,
    stretch: bool = True,
    pbc: tuple[bool, bool, bool] = (True, True, True),
    chunk: int = 256,
) -> np.ndarray:
    """Analytic gradient dCN_AB/dr_k of :func:`coordination_numpy`, ``[n_atoms, 3]`` in 1/Angstrom.

    Every pair (i in A, j in B, j != i) with d = r_j - r_i (minimum image)
    adds s'(r) d/r to atom j and subtracts it from atom i; same pairs, same
    minimum image and same cut-off (``d_max``, ``stretch``) as
    :func:`coordination_numpy` (and PLUMED).  Cost O(|A| |B|) in chunks of
    ``chunk`` rows of A: about 1 s for the 4833-atom paper sandwich.
    """
    pos = np.asarray(positions, dtype=float)
    cell = np.asarray(cell, dtype=float)
    pbc_arr = np.asarray(pbc, dtype=bool)
    a = np.asarray(group_a, dtype=int)
    b = np.asarray(group_b, dtype=int)
    grad = np.zeros_like(pos)
    for start in range(0, a.size, chunk):
        ia = a[start : start + chunk]
        d = _min_image(pos[b][None, :, :] - pos[ia][:, None, :], cell, pbc_arr)
        r = np.linalg.norm(d, axis=-1)
        self_pair = ia[:, None] == b[None, :]
        r_safe = np.where(self_pair, 1.0, r)
        coef = rational_switch_derivative(r_safe, r0, n, m, d_max=d_max, stretch=stretch) / r_safe
        coef[self_pair] = 0.0  # self pairs are not counted
        g = coef[..., None] * d  # d s(r_ij) / d r_j
        np.add.at(grad, b, g.sum(axis=0))
        np.add.at(grad, ia, -g.sum(axis=1))
    return grad


def cv_gradient_numpy(
    atoms: Atoms,
    *,
    groups: CVGroups | None = None,
    r0_li_li: float,
    r0_li_s: float,
    r0_li_p: float,
    r0_li_cl: float,
    n: int,
    m: int,
    d_max: float | None = None,
    stretch: bool = True,
    n_anode_layers: int | None = None,
) -> np.ndarray:
    """Analytic gradient ds/dr of the CV of eq. (2), ``[n_atoms, 3]`` in 1/Angstrom.

    Same arguments and conventions as :func:`cv_coordination_numpy`; atoms
    outside every group get exactly zero.  The bias force of the restraint
    is ``-kappa (s - s0) * cv_gradient_numpy(...)``.
    """
    groups = _groups_or_select(atoms, groups, n_anode_layers)
    r0 = {"li_li": r0_li_li, "li_s": r0_li_s, "li_p": r0_li_p, "li_cl": r0_li_cl}
    pos = atoms.get_positions()
    cell = np.asarray(atoms.cell[:], dtype=float)
    grad = np.zeros_like(pos)
    for pair, coeff in CN_PAIRS:
        grad += coeff * coordination_gradient_numpy(
            pos,
            cell,
            groups.li_a,
            groups.group_b(pair),
            r0=r0[pair],
            n=n,
            m=m,
            d_max=d_max,
            stretch=stretch,
            pbc=tuple(atoms.pbc),
        )
    return grad


def restraint_omega(atoms: Atoms, kappa_ev: float, **cv_kwargs) -> float:
    """Angular frequency of the restraint mode, rad/s.

    The bias 1/2 kappa (s - s0)^2 has the Hessian kappa g g^T + kappa (s - s0)
    d2s/dr2 with g = ds/dr; at s = s0 only the rank-1 term is left, and the
    mass-weighted Hessian M^-1/2 kappa g g^T M^-1/2 has one non-zero
    eigenvalue omega^2 = kappa sum_i |g_i|^2 / m_i.  Without the physical
    forces this is the frequency of the collective mode along g; the
    physical stiffness along g only raises it.

    Parameters
    ----------
    atoms
        Structure with ``region``/``layer`` arrays and masses (amu).
    kappa_ev
        Force constant, eV per CV unit squared.
    **cv_kwargs
        Passed to :func:`cv_gradient_numpy` (``groups``, R0s, n, m, d_max,
        stretch, n_anode_layers).
    """
    g = cv_gradient_numpy(atoms, **cv_kwargs)
    s_sum = float(np.sum(np.sum(g**2, axis=1) / atoms.get_masses()))  # 1/(amu A^2)
    return float(np.sqrt(kappa_ev * s_sum * EV_PER_AMU_A2_IN_S2))


def restraint_period_fs(atoms: Atoms, kappa_ev: float, **cv_kwargs) -> float:
    """Period 2 pi / omega of the restraint mode (:func:`restraint_omega`), fs."""
    omega = restraint_omega(atoms, kappa_ev, **cv_kwargs)
    return float("inf") if omega == 0.0 else 2.0 * np.pi / omega * 1e15


def max_stable_kappa_ev(
    atoms: Atoms, timestep_fs: float, max_omega_dt: float, **cv_kwargs
) -> float:
    """Largest kappa (eV) with omega * dt <= ``max_omega_dt`` (omega^2 is linear in kappa)."""
    omega_1 = restraint_omega(atoms, 1.0, **cv_kwargs)
    return (max_omega_dt / (timestep_fs * 1e-15)) ** 2 / omega_1**2


def plumed_atom_list(indices: np.ndarray) -> str:
    """Format 0-based indices as a PLUMED 1-based atom list with ranges (``1-4,7``)."""
    idx = np.unique(np.asarray(indices, dtype=int)) + 1
    if idx.size == 0:
        raise InputError("PLUMED atom list is empty")
    parts: list[str] = []
    start = prev = int(idx[0])
    for i in idx[1:]:
        i = int(i)
        if i == prev + 1:
            prev = i
            continue
        parts.append(f"{start}-{prev}" if prev > start else f"{start}")
        start = prev = i
    parts.append(f"{start}-{prev}" if prev > start else f"{start}")
    return ",".join(parts)


def cv_plumed_input(
    groups: CVGroups,
    *,
    r0_li_li: float,
    r0_li_s: float,
    r0_li_p: float,
    r0_li_cl: float,
    n: int,
    m: int,
    d_max: float | None = None,
    stretch: bool = True,
    nl_cutoff: float | None = None,
    nl_stride: int | None = None,
    length_units: float = ANGSTROM_TO_NM,
) -> str:
    """PLUMED actions defining the CV of eq. (2) with label ``cv``.

    Atom indices are 1-based positions in the structure, i.e. LAMMPS atom IDs
    when the data file keeps the structure's order.  Lengths (R0, d_max,
    nl_cutoff) are converted from Angstrom to nm.  Labels: ``g_li_a``,
    ``g_li_b``, ``g_s``, ``g_p``, ``g_cl`` (groups); ``cn_li_li``,
    ``cn_li_s``, ``cn_li_p``, ``cn_li_cl``; ``cv``.

    Parameters
    ----------
    groups
        CV groups.
    r0_li_li, r0_li_s, r0_li_p, r0_li_cl, n, m
        Switching functions (Table S1), Angstrom.
    d_max, stretch
        Cut-off of all four switching functions (``D_MAX``, Angstrom) and
        ``STRETCH``/``NOSTRETCH`` (:func:`rational_switch`); ``d_max=None``:
        every pair counts (the paper).
    nl_cutoff, nl_stride
        PLUMED neighbour list (``NLIST NL_CUTOFF NL_STRIDE``): pairs within
        ``nl_cutoff`` (Angstrom, > ``d_max``) at every ``nl_stride``-th MD
        step; ``nl_cutoff=None``: no list (``nl_stride`` is then unused).
        Needs ``d_max``: a list without it would cut the CV with a jump at
        every list update.
    length_units
        nm per Angstrom.

    Raises
    ------
    InputError
        A neighbour list without ``d_max``, ``nl_cutoff <= d_max`` or a
        missing/non-positive ``nl_stride`` (one line naming the setting).
    """
    if nl_cutoff is not None:
        key = "lpsc.sampling"
        if nl_stride is None or int(nl_stride) < 1:
            raise InputError(
                f"{key}.nl_cutoff = {nl_cutoff:g} A needs {key}.nl_stride >= 1 (got {nl_stride})"
            )
        if d_max is None:
            raise InputError(
                f"{key}.nl_cutoff = {nl_cutoff:g} A needs {key}.d_max: a neighbour list without a "
                "switching cut-off drops pairs with a jump at every list update"
            )
        if nl_cutoff <= d_max:
            raise InputError(
                f"{key}.nl_cutoff = {nl_cutoff:g} A must exceed {key}.d_max = {d_max:g} A "
                "(the skin covers the motion between list updates)"
            )
    if d_max is not None and d_max <= 0:
        raise InputError(f"lpsc.sampling.d_max must be > 0 Angstrom, got {d_max}")
    cut = ""
    if d_max is not None:
        cut = f" D_MAX={d_max * length_units:.10g} {'STRETCH' if stretch else 'NOSTRETCH'}"
    nlist = ""
    if nl_cutoff is not None:
        nlist = f" NLIST NL_CUTOFF={nl_cutoff * length_units:.10g} NL_STRIDE={int(nl_stride)}"
    r0 = {"li_li": r0_li_li, "li_s": r0_li_s, "li_p": r0_li_p, "li_cl": r0_li_cl}
    gb = {"li_li": "g_li_b", "li_s": "g_s", "li_p": "g_p", "li_cl": "g_cl"}
    lines = [
        f"g_li_a: GROUP ATOMS={plumed_atom_list(groups.li_a)}",
        f"g_li_b: GROUP ATOMS={plumed_atom_list(groups.li_b)}",
        f"g_s: GROUP ATOMS={plumed_atom_list(groups.s)}",
        f"g_p: GROUP ATOMS={plumed_atom_list(groups.p)}",
        f"g_cl: GROUP ATOMS={plumed_atom_list(groups.cl)}",
    ]
    for pair, _ in CN_PAIRS:
        lines.append(
            f"cn_{pair}: COORDINATION GROUPA=g_li_a GROUPB={gb[pair]} "
            f"SWITCH={{RATIONAL R_0={r0[pair] * length_units:.10g} NN={n} MM={m}{cut}}}{nlist}"
        )
    args = ",".join(f"cn_{pair}" for pair, _ in CN_PAIRS)
    coeffs = ",".join(f"{c:g}" for _, c in CN_PAIRS)
    lines.append(f"cv: COMBINE ARG={args} COEFFICIENTS={coeffs} PERIODIC=NO")
    return "\n".join(lines) + "\n"


def moving_restraint_plumed_input(
    groups: CVGroups,
    *,
    s_start: float,
    s_end: float,
    n_steps: int,
    kappa_ev: float,
    step_start: int = 0,
    colvar_file: str = "COLVAR",
    print_stride: int,
    energy_units: float = EV_TO_KJMOL,
    **cv_kwargs: float | bool | None,
) -> str:
    """Full PLUMED input: the CV, the moving restraint and its COLVAR output.

    Bias (Methods 2.2): V = 1/2 kappa (s(R) - s0(t))^2 with s0 moving
    linearly (MOVINGRESTRAINT) from ``s_start`` at MD step ``step_start`` to
    ``s_end`` at step ``step_start + n_steps`` and constant afterwards.

    Parameters
    ----------
    groups
        CV groups.
    s_start, s_end
        s0 at the first and the last step (CV is dimensionless).
    n_steps
        MD steps over which s0 moves (> 0).
    kappa_ev
        Force constant kappa in eV per CV unit squared (config
        ``lpsc.sampling.kappa_ev``; paper: 500 eV);
        written as KAPPA in kJ/mol (times ``energy_units``).
    step_start
        MD step at which s0 = s_start: the origin of the step count, not a
        physical setting (0 for a fresh run), so it has no config key.
    colvar_file
        COLVAR path (columns: time, cv, the four CNs, mr.cv_cntr = s0,
        mr.bias in kJ/mol, mr.work).
    print_stride
        Steps between COLVAR lines (and file flushes); config
        ``lpsc.sampling.colvar_every``.
    energy_units
        kJ/mol per eV.
    **cv_kwargs
        Passed to :func:`cv_plumed_input` (R0s, n, m, d_max, stretch,
        nl_cutoff, nl_stride).
    """
    if n_steps <= 0:
        raise InputError(f"moving restraint: n_steps must be > 0, got {n_steps}")
    if print_stride <= 0:
        raise InputError(f"moving restraint: print_stride must be > 0, got {print_stride}")
    kappa = kappa_ev * energy_units
    text = cv_plumed_input(groups, **cv_kwargs)
    cns = ",".join(f"cn_{pair}" for pair, _ in CN_PAIRS)
    text += (
        f"mr: MOVINGRESTRAINT ARG=cv STEP0={step_start} AT0={s_start:.10f} KAPPA0={kappa:.10g} "
        f"STEP1={step_start + n_steps} AT1={s_end:.10f} KAPPA1={kappa:.10g}\n"
        f"PRINT ARG=cv,{cns},mr.cv_cntr,mr.bias,mr.work STRIDE={print_stride} FILE={colvar_file} FMT=%.10f\n"
        f"FLUSH STRIDE={print_stride}\n"
    )
    return text
