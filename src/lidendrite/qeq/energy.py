"""QEq energy terms as pure JAX functions (float64; eV, Angstrom, e).

Implements eqs. S1-S11 and S16-S17 of the ec paper (Hu et al., SI 1.1-1.2),
identical to eqs. S2-S9 of the lpsc paper (An et al., SI 5):

* on-site ``sum_i chi_i Q_i + J_i Q_i^2 / 2`` (eq. S1),
* point-charge Ewald sum ``E_real + E_recip + E_self`` (eqs. S2-S5; Ewald 1921),
  the reciprocal part either exact (direct k sum) or by smooth particle-mesh
  Ewald (PME: Essmann et al. 1995, doi:10.1063/1.470117) with B-splines and FFT,
* the Gaussian-charge correction (eqs. S6-S7) with gamma_ij = sqrt(sigma_i^2 + sigma_j^2),
* the slab dipole correction along z (eqs. S8-S10; Ballenegger et al. 2009,
  doi:10.1063/1.3216473),
* the ConstP bias ``sum_i phi_i Q_i`` (eqs. S16-S17), phi in V, Q in e, energy in eV,
* the neutralising-background term ``-pi Q_tot^2 / (2 V kappa^2)`` for charged
  cells (constant at fixed Q_tot; it only shifts chi_eq).

Conventions. The Ewald splitting parameter is ``kappa = sqrt(-ln(2 delta)) / r_cut``
(1/Angstrom) for an error tolerance delta, as in OpenMM and the papers; the
papers' Gaussian width eta of eqs. S3-S5 is ``eta = 1 / (sqrt(2) kappa)``, so
``erfc(r / (sqrt(2) eta)) = erfc(kappa r)``. Every Coulomb term is multiplied by
the Coulomb constant ``k_e = 14.399645 eV Angstrom / e^2``.

The Coulomb energy is a quadratic form in the charges, ``E_C = Q.H(R).Q / 2``. The
geometry-dependent pieces of ``H`` are computed once by :func:`coulomb_prepare`
and applied matrix-free by :func:`coulomb_apply`; the energy used for forces is
``Q.coulomb_apply(Q, coulomb_prepare(R, cell)) / 2``, so the charges solved with
that same operator are exact minimisers of the energy that is differentiated
(Hellmann-Feynman forces).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "COULOMB_CONSTANT",
    "CoulombConfig",
    "bspline_values",
    "constp_bias",
    "coulomb_apply",
    "coulomb_prepare",
    "enable_x64",
    "ewald_kappa",
    "ewald_kvectors",
    "make_energy_fn",
    "pme_mesh",
    "point_charge_ewald_energy",
]

#: Coulomb constant k_e = e^2 / (4 pi eps0) in eV Angstrom / e^2
COULOMB_CONSTANT = 14.399645


def enable_x64() -> None:
    """Switch JAX to float64 (called by every factory of this package)."""
    import jax

    jax.config.update("jax_enable_x64", True)


def ewald_kappa(rcut: float, tol: float) -> float:
    """Ewald splitting parameter kappa = sqrt(-ln(2 tol)) / rcut (1/Angstrom).

    This is the papers' "eta" formula below eq. S3 (OpenMM convention); their
    width in eqs. S3-S5 is 1/(sqrt(2) kappa).
    """
    if not 0 < tol < 0.5:
        raise ValueError("ewald tolerance must be in (0, 0.5)")
    return math.sqrt(-math.log(2.0 * tol)) / rcut


def _smooth_size(n: int) -> int:
    """Smallest integer >= n whose prime factors are 2, 3 and 5 (fast FFT sizes)."""
    while True:
        m = n
        for p in (2, 3, 5):
            while m % p == 0:
                m //= p
        if m == 1:
            return n
        n += 1


def pme_mesh(cell: np.ndarray, kappa: float, tol: float, order: int) -> tuple[int, int, int]:
    """PME mesh size per axis: ``2 kappa d / (3 tol^(1/5))`` nodes (ec SI, below eq. S5).

    ``d`` is the length of the cell vector; the count is rounded up to an FFT-friendly
    size and to at least ``2 * order``.
    """
    lengths = np.linalg.norm(np.asarray(cell, dtype=float), axis=1)
    out = []
    for d in lengths:
        k = math.ceil(2.0 * kappa * d / (3.0 * tol**0.2))
        out.append(_smooth_size(max(k, 2 * order)))
    return tuple(int(k) for k in out)


def ewald_kvectors(cell: np.ndarray, kappa: float, tol: float) -> np.ndarray:
    """Integer reciprocal-lattice vectors m [nk, 3] of one half space with |k| <= k_cut.

    ``k = 2 pi m @ inv(cell).T`` and ``k_cut = 2 kappa sqrt(-ln tol)``, so that the
    dropped terms of eq. S4 are below ``tol`` relative to the first.
    """
    cell = np.asarray(cell, dtype=float)
    recip = 2.0 * np.pi * np.linalg.inv(cell).T
    kcut = 2.0 * kappa * math.sqrt(-math.log(tol))
    nmax = [int(math.ceil(kcut * np.linalg.norm(a) / (2.0 * np.pi))) for a in cell]
    grids = np.meshgrid(*[np.arange(-n, n + 1) for n in nmax], indexing="ij")
    m = np.stack([g.ravel() for g in grids], axis=1)
    half = (
        (m[:, 0] > 0)
        | ((m[:, 0] == 0) & (m[:, 1] > 0))
        | ((m[:, 0] == 0) & (m[:, 1] == 0) & (m[:, 2] > 0))
    )
    m = m[half]
    k2 = np.sum((m @ recip) ** 2, axis=1)
    return m[k2 <= kcut**2].astype(np.int32)


@dataclass(frozen=True)
class CoulombConfig:
    """Static (hashable) settings of the Coulomb operator.

    Attributes
    ----------
    kappa : float
        Ewald splitting parameter (1/Angstrom), see :func:`ewald_kappa`.
    method : str
        ``"ewald"`` (exact k sum, O(N^2)) or ``"pme"`` (smooth PME, O(N log N)).
    mesh : tuple of int or None
        PME mesh (K1, K2, K3); required for ``"pme"``.
    order : int
        PME B-spline order (even, >= 4).
    gaussian : bool
        Add the Gaussian-charge correction (eqs. S6-S7).
    slab : bool
        Add the slab dipole correction along z (eq. S8).
    coulomb_constant : float
        k_e in eV Angstrom / e^2.
    """

    kappa: float
    method: str = "pme"
    mesh: tuple[int, int, int] | None = None
    order: int = 6
    gaussian: bool = True
    slab: bool = True
    coulomb_constant: float = COULOMB_CONSTANT

    def __post_init__(self) -> None:
        if self.method not in ("ewald", "pme"):
            raise ValueError(f"method must be 'ewald' or 'pme', not {self.method!r}")
        if self.method == "pme" and self.mesh is None:
            raise ValueError("PME needs a mesh")
        if self.order < 4 or self.order % 2:
            raise ValueError("PME order must be even and >= 4")


def bspline_values(frac, order: int, xp=None):
    """Cardinal B-spline weights M_n(f + j), j = 0..n-1, for fractional parts f.

    Parameters
    ----------
    frac : array [..., ]
        Fractional offsets f in [0, 1).
    order : int
        Spline order n.
    xp : module, optional
        Array module (``jax.numpy`` by default, ``numpy`` for static tables).

    Returns
    -------
    array [..., n]
        The weights; they sum to 1 (partition of unity). Recursion of Essmann et
        al. (1995), eq. 4.1.
    """
    if xp is None:
        import jax.numpy as xp

    f = frac[..., None]
    j = xp.arange(order, dtype=frac.dtype)
    # M_2(f + j): f for j = 0, 1 - f for j = 1, 0 otherwise
    v = xp.where(j == 0, f, xp.where(j == 1, 1.0 - f, 0.0))
    for k in range(3, order + 1):
        shifted = xp.concatenate([xp.zeros_like(v[..., :1]), v[..., :-1]], axis=-1)
        v = ((f + j) * v + (k - f - j) * shifted) / (k - 1)
    return v


def _pme_bfactor(mesh: tuple[int, int, int], order: int) -> np.ndarray:
    """Euler exponential-spline factor B(m) = prod_a |b_a(m_a)|^2 on the rfft grid."""
    mn = bspline_values(np.zeros(1), order, xp=np)[0]  # M_n(j), j = 0..n-1
    factors = []
    for axis, K in enumerate(mesh):
        m = np.arange(K // 2 + 1) if axis == 2 else np.arange(K)
        k = np.arange(order - 1)
        den = np.abs(np.exp(2j * np.pi * np.outer(m, k) / K) @ mn[1:order]) ** 2
        factors.append(1.0 / den)
    return factors[0][:, None, None] * factors[1][None, :, None] * factors[2][None, None, :]


def coulomb_prepare(positions, cell, pair_i, pair_j, pair_shift, pair_mask, sigma, kvec, cfg):
    """Geometry-dependent pieces of the Coulomb operator H(R) (pure JAX).

    Parameters
    ----------
    positions : array [n, 3]
        Cartesian positions (Angstrom).
    cell : array [3, 3]
        Cell vectors as rows (Angstrom).
    pair_i, pair_j, pair_shift, pair_mask : arrays [p], [p], [p, 3], [p]
        Full neighbour list within r_cut (see :class:`~lidendrite.qeq.geometry.PairList`).
    sigma : array [n]
        Gaussian widths (Angstrom).
    kvec : array [nk, 3] int or None
        Half-space integer k vectors for ``method="ewald"`` (:func:`ewald_kvectors`).
    cfg : CoulombConfig
        Static settings.

    Returns
    -------
    dict
        Arrays consumed by :func:`coulomb_apply`.
    """
    import jax
    import jax.numpy as jnp
    from jax.scipy.special import erf, erfc

    ke = cfg.coulomb_constant
    kappa = cfg.kappa
    volume = jnp.abs(jnp.linalg.det(cell))
    # real space: erfc(kappa r)/r (eq. S3) minus erfc(r/(sqrt2 gamma))/r (eq. S6)
    d = positions[pair_j] - positions[pair_i] + pair_shift.astype(positions.dtype) @ cell
    r2 = jnp.sum(d * d, axis=1)
    r = jnp.sqrt(jnp.where(pair_mask, r2, 1.0))
    if cfg.gaussian:
        gamma = jnp.sqrt(sigma[pair_i] ** 2 + sigma[pair_j] ** 2)
        kern = (erf(r / (jnp.sqrt(2.0) * gamma)) - erf(kappa * r)) / r
    else:
        kern = erfc(kappa * r) / r
    geom = {
        "kern": ke * jnp.where(pair_mask, kern, 0.0),
        "volume": volume,
        "pair_i": pair_i,
        "pair_j": pair_j,
    }
    if cfg.method == "ewald":
        recip = 2.0 * jnp.pi * jnp.linalg.inv(cell).T
        k = kvec.astype(positions.dtype) @ recip
        k2 = jnp.sum(k * k, axis=1)
        geom["coef"] = ke * 4.0 * jnp.pi / volume * jnp.exp(-k2 / (4.0 * kappa**2)) / k2
        phase = positions @ k.T
        geom["cos"] = jnp.cos(phase)
        geom["sin"] = jnp.sin(phase)
    else:
        K = np.asarray(cfg.mesh)
        n = cfg.order
        s = positions @ jnp.linalg.inv(cell)
        u = (s - jnp.floor(s)) * K
        base = jax.lax.stop_gradient(jnp.floor(u))
        w1 = bspline_values(u - base, n)  # [n_atoms, 3, order]
        idx1 = (base.astype(jnp.int32)[:, :, None] - jnp.arange(n)[None, None, :]) % K[
            None, :, None
        ]
        w = w1[:, 0, :, None, None] * w1[:, 1, None, :, None] * w1[:, 2, None, None, :]
        idx = (
            idx1[:, 0, :, None, None] * (K[1] * K[2])
            + idx1[:, 1, None, :, None] * K[2]
            + idx1[:, 2, None, None, :]
        )
        geom["w"] = w.reshape(len(positions), -1)
        geom["idx"] = idx.reshape(len(positions), -1)
        recip = jnp.linalg.inv(cell).T  # without 2 pi
        m = [
            np.fft.fftfreq(K[0], 1.0 / K[0]),
            np.fft.fftfreq(K[1], 1.0 / K[1]),
            np.arange(K[2] // 2 + 1),
        ]
        mg = np.stack(np.meshgrid(*m, indexing="ij"), axis=-1)
        mc = jnp.asarray(mg) @ recip
        m2 = jnp.sum(mc * mc, axis=-1)
        zero = np.all(mg == 0, axis=-1)
        m2s = jnp.where(zero, 1.0, m2)
        green = jnp.exp(-(jnp.pi**2) * m2s / kappa**2) / (jnp.pi * volume * m2s)
        bfac = _pme_bfactor(tuple(int(x) for x in K), n)
        geom["green"] = ke * jnp.where(zero, 0.0, green * bfac)
    if cfg.slab:
        geom["z"] = positions[:, 2]
        geom["lz"] = cell[2, 2]
    return geom


def coulomb_apply(q, geom, sigma, cfg):
    """Matrix-free Coulomb Hessian-vector product ``H(R) @ q`` (eV/e), pure JAX.

    The Coulomb energy (point-charge Ewald + Gaussian correction + slab
    correction + background) is ``q @ coulomb_apply(q, ...) / 2``.

    Parameters
    ----------
    q : array [n]
        Charges (e).
    geom : dict
        Output of :func:`coulomb_prepare`.
    sigma : array [n]
        Gaussian widths (Angstrom), for the self terms of eqs. S5-S6.
    cfg : CoulombConfig
        Static settings.
    """
    import jax
    import jax.numpy as jnp

    ke = cfg.coulomb_constant
    kappa = cfg.kappa
    volume = geom["volume"]
    n = q.shape[0]
    # self terms: -kappa/sqrt(pi) (eq. S5) + 1/(2 sqrt(pi) sigma) (eq. S6), times 2 in H
    selfc = -2.0 * kappa / math.sqrt(math.pi)
    if cfg.gaussian:
        selfc = selfc + 1.0 / (math.sqrt(math.pi) * sigma)
    out = ke * selfc * q
    # real space, full neighbour list sorted by i
    out = out + jax.ops.segment_sum(
        geom["kern"] * q[geom["pair_j"]], geom["pair_i"], n, indices_are_sorted=True
    )
    if cfg.method == "ewald":
        c = geom["cos"].T @ q
        s = geom["sin"].T @ q
        out = out + 2.0 * (geom["cos"] @ (geom["coef"] * c) + geom["sin"] @ (geom["coef"] * s))
    else:
        K = cfg.mesh
        grid = jnp.zeros(K[0] * K[1] * K[2], dtype=q.dtype)
        grid = grid.at[geom["idx"].ravel()].add((q[:, None] * geom["w"]).ravel()).reshape(K)
        pot = jnp.fft.irfftn(geom["green"] * jnp.fft.rfftn(grid), s=K) * (K[0] * K[1] * K[2])
        out = out + jnp.sum(pot.ravel()[geom["idx"]] * geom["w"], axis=1)
    qtot = jnp.sum(q)
    # neutralising background for charged cells
    out = out - ke * jnp.pi / (volume * kappa**2) * qtot
    if cfg.slab:
        z = geom["z"]
        mz = jnp.sum(q * z)
        qz2 = jnp.sum(q * z * z)
        out = out + ke * 2.0 * jnp.pi / volume * (
            2.0 * mz * z - qz2 - qtot * z * z - qtot * geom["lz"] ** 2 / 6.0
        )
    return out


def make_energy_fn(pair_i, pair_j, pair_shift, pair_mask, sigma, chi, J, phi, kvec, cfg):
    """Factory: ``energy_fn(positions, cell, q) -> Omega`` (eV), a pure JAX function.

    ``Omega = E_QEq + sum_i phi_i Q_i`` (eq. S16; with phi = 0 it is E_QEq of eq. S11).
    The static arrays (neighbour list [p], per-atom chi/J/phi/sigma [n], k vectors) are
    closed over; positions [n, 3] and cell [3, 3] are differentiable.
    """
    enable_x64()
    import jax.numpy as jnp

    arrays = {
        "pair_i": jnp.asarray(pair_i),
        "pair_j": jnp.asarray(pair_j),
        "pair_shift": jnp.asarray(pair_shift),
        "pair_mask": jnp.asarray(pair_mask),
    }
    sigma, chi, J, phi = (jnp.asarray(a, dtype=jnp.float64) for a in (sigma, chi, J, phi))
    kvec = None if kvec is None else jnp.asarray(kvec)

    def energy_fn(positions, cell, q):
        geom = coulomb_prepare(positions, cell, *arrays.values(), sigma, kvec, cfg)
        e_coul = 0.5 * jnp.dot(q, coulomb_apply(q, geom, sigma, cfg))
        return e_coul + jnp.sum((chi + phi) * q + 0.5 * J * q * q)

    return energy_fn


def constp_bias(
    symbols,
    positions: np.ndarray,
    cn: np.ndarray,
    *,
    phi_lower: float,
    phi_upper: float,
    split_z: float,
    cn_metal: int,
    metal: str = "Li",
) -> np.ndarray:
    """Per-atom bias phi_i (V) of eq. S17 (ec paper).

    phi_i = ``phi_lower`` for ``metal`` atoms with CN_Li-Li > ``cn_metal`` and
    z < ``split_z`` (Angstrom), ``phi_upper`` for those with z >= ``split_z``, and 0
    for every other atom. The bias enters the grand energy as ``phi_i Q_i`` (eV), so a
    negative phi favours positive charge (oxidation, the anode of the ec paper).
    """
    sym = np.asarray(symbols)
    metallic = (sym == metal) & (np.asarray(cn) > cn_metal)
    lower = np.asarray(positions)[:, 2] < split_z
    return np.where(metallic, np.where(lower, phi_lower, phi_upper), 0.0).astype(np.float64)


def point_charge_ewald_energy(
    positions: np.ndarray,
    cell: np.ndarray,
    charges: np.ndarray,
    *,
    rcut: float,
    tol: float,
    method: str = "ewald",
    order: int = 6,
    coulomb_constant: float = COULOMB_CONSTANT,
) -> float:
    """Plain point-charge Ewald energy (eV) of fixed charges (eqs. S2-S5 only).

    No Gaussian, slab or on-site terms; includes the neutralising background for a
    net charge. Used to validate the Ewald/PME machinery against other codes.
    """
    enable_x64()
    import jax.numpy as jnp

    from lidendrite.qeq.geometry import neighbour_pairs

    positions = np.asarray(positions, dtype=float)
    cell = np.asarray(cell, dtype=float)
    kappa = ewald_kappa(rcut, tol)
    pairs = neighbour_pairs(positions, cell, rcut)
    mesh = pme_mesh(cell, kappa, tol, order) if method == "pme" else None
    kvec = ewald_kvectors(cell, kappa, tol) if method == "ewald" else None
    cfg = CoulombConfig(
        kappa=kappa,
        method=method,
        mesh=mesh,
        order=order,
        gaussian=False,
        slab=False,
        coulomb_constant=coulomb_constant,
    )
    n = len(positions)
    zeros = np.zeros(n)
    fn = make_energy_fn(
        pairs.i, pairs.j, pairs.shift, pairs.mask, np.ones(n), zeros, zeros, zeros, kvec, cfg
    )
    return float(fn(jnp.asarray(positions), jnp.asarray(cell), jnp.asarray(charges, dtype=float)))
