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

Why one module of about 700 lines: every energy term of eqs. S1-S11 with the Ewald and PME kernels they share, as pure JAX functions compiled together.
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
    "coulomb_energy",
    "coulomb_prepare",
    "enable_x64",
    "ewald_kappa",
    "ewald_kvectors",
    "make_energy_fn",
    "make_mesh_preconditioner",
    "pme_mesh",
    "point_charge_ewald_energy",
]

#: Coulomb constant k_e = e^2 / (4 pi eps0) in eV Angstrom / e^2
from lidendrite.constants import COULOMB_EV_A as COULOMB_CONSTANT


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


def _pair_kernel(r, sigma_i, sigma_j, cfg):
    """Real-space pair kernel (1/Angstrom, without k_e).

    ``erfc(kappa r)/r`` (eq. S3) minus ``erfc(r/(sqrt2 gamma_ij))/r`` (eq. S6) =
    ``(erf(r/(sqrt2 gamma_ij)) - erf(kappa r))/r`` with the Gaussian correction, else
    ``erfc(kappa r)/r``.
    """
    import jax.numpy as jnp
    from jax.scipy.special import erf, erfc

    if cfg.gaussian:
        gamma = jnp.sqrt(sigma_i**2 + sigma_j**2)
        return (erf(r / (jnp.sqrt(2.0) * gamma)) - erf(cfg.kappa * r)) / r
    return erfc(cfg.kappa * r) / r


def _real_space_energy(positions, cell, q, pair_i, pair_j, pair_shift, pair_mask, sigma, cfg):
    """Real-space energy 1/2 sum_p k_e q_i q_j kernel(r_p) (eV) with a hand-written VJP.

    The full neighbour list holds each pair twice, (i, j, S) and (j, i, -S), whose
    displacement gradients are opposite; so dE/dR_i = -2 sum_{p: i_p = i} dE/dd_p is
    one sorted segment sum (no scatter over j), about half the cost of plain
    reverse mode. The kernel derivative itself comes from ``jax.jvp``.
    """
    import jax
    import jax.numpy as jnp

    n = positions.shape[0]
    ke = cfg.coulomb_constant
    shift = pair_shift.astype(positions.dtype)

    def kernel_and_slope(positions, cell):
        d = positions[pair_j] - positions[pair_i] + shift @ cell
        r = jnp.sqrt(jnp.where(pair_mask, jnp.sum(d * d, axis=1), 1.0))
        k, dk = jax.jvp(
            lambda x: _pair_kernel(x, sigma[pair_i], sigma[pair_j], cfg), (r,), (jnp.ones_like(r),)
        )
        return d, r, ke * jnp.where(pair_mask, k, 0.0), ke * jnp.where(pair_mask, dk, 0.0)

    @jax.custom_vjp
    def energy(positions, cell, q):
        _, _, k, _ = kernel_and_slope(positions, cell)
        return 0.5 * jnp.sum(k * q[pair_i] * q[pair_j])

    def fwd(positions, cell, q):
        d, r, k, dk = kernel_and_slope(positions, cell)
        return 0.5 * jnp.sum(k * q[pair_i] * q[pair_j]), (d, r, k, dk, q)

    def bwd(res, g):
        d, r, k, dk, q = res
        qq = q[pair_i] * q[pair_j]
        g_d = (0.5 * g * qq * dk / r)[:, None] * d  # dE/dd_p
        g_pos = -2.0 * jax.ops.segment_sum(g_d, pair_i, n, indices_are_sorted=True)
        g_cell = shift.T @ g_d
        g_q = g * jax.ops.segment_sum(k * q[pair_j], pair_i, n, indices_are_sorted=True)
        return g_pos, g_cell, g_q

    energy.defvjp(fwd, bwd)
    return energy(positions, cell, q)


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

    ke = cfg.coulomb_constant
    kappa = cfg.kappa
    volume = jnp.abs(jnp.linalg.det(cell))
    # real space: erfc(kappa r)/r (eq. S3) minus erfc(r/(sqrt2 gamma))/r (eq. S6)
    d = positions[pair_j] - positions[pair_i] + pair_shift.astype(positions.dtype) @ cell
    r2 = jnp.sum(d * d, axis=1)
    r = jnp.sqrt(jnp.where(pair_mask, r2, 1.0))
    kern = _pair_kernel(r, sigma[pair_i], sigma[pair_j], cfg)
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


def _pme_spread(q, geom, cfg):
    """Charge mesh [K1, K2, K3]: sum_i q_i M_n(u_i - k) (Essmann et al. eq. 4.6)."""
    import jax.numpy as jnp

    K = cfg.mesh
    grid = jnp.zeros(K[0] * K[1] * K[2], dtype=q.dtype)
    grid = grid.at[geom["idx"].ravel()].add((q[:, None] * geom["w"]).ravel())
    return grid.reshape(K)


def _pme_potential(grid, geom, cfg):
    """Reciprocal-space potential on the mesh, d E_recip / d grid (eV/e)."""
    import jax.numpy as jnp

    K = cfg.mesh
    return jnp.fft.irfftn(geom["green"] * jnp.fft.rfftn(grid), s=K) * (K[0] * K[1] * K[2])


def coulomb_apply(q, geom, sigma, cfg, reciprocal: bool = True, real: bool = True):
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
    reciprocal, real : bool
        Include the reciprocal-space / real-space pair terms (False: leave them out).
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
    if real:
        out = out + jax.ops.segment_sum(
            geom["kern"] * q[geom["pair_j"]], geom["pair_i"], n, indices_are_sorted=True
        )
    if reciprocal and cfg.method == "ewald":
        c = geom["cos"].T @ q
        s = geom["sin"].T @ q
        out = out + 2.0 * (geom["cos"] @ (geom["coef"] * c) + geom["sin"] @ (geom["coef"] * s))
    elif reciprocal:
        pot = _pme_potential(_pme_spread(q, geom, cfg), geom, cfg)
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


def coulomb_energy(positions, cell, q, pair_arrays, sigma, kvec, cfg):
    """Coulomb energy (eV) ``q.H(R).q / 2`` for differentiation with respect to R and cell.

    Same value as ``0.5 * q @ coulomb_apply(q, coulomb_prepare(...))``. The real-space
    pair sum has a hand-written VJP (:func:`_real_space_energy`). For PME the
    reciprocal part is written so that reverse-mode differentiation skips the FFT:
    with the mesh potential phi = d E_rec / d grid held fixed, d E_rec / dR =
    (d grid / dR) . phi, and the cell enters only through the influence function
    (fractional coordinates do not change under a homogeneous strain). The gradient is
    exact; it only costs about half as much.

    Parameters
    ----------
    positions : array [n, 3]
        Cartesian positions (Angstrom).
    cell : array [3, 3]
        Cell vectors as rows (Angstrom).
    q : array [n]
        Charges (e), treated as constants.
    pair_arrays : tuple
        (pair_i, pair_j, pair_shift, pair_mask) of the neighbour list.
    sigma : array [n]
        Gaussian widths (Angstrom).
    kvec : array [nk, 3] or None
        Ewald k vectors (``method="ewald"``).
    cfg : CoulombConfig
        Static settings.
    """
    import jax
    import jax.numpy as jnp

    geom = coulomb_prepare(positions, cell, *pair_arrays, sigma, kvec, cfg)
    e = _real_space_energy(positions, cell, q, *pair_arrays, sigma, cfg)
    if cfg.method == "ewald":
        return e + 0.5 * jnp.dot(q, coulomb_apply(q, geom, sigma, cfg, real=False))
    e = e + 0.5 * jnp.dot(q, coulomb_apply(q, geom, sigma, cfg, reciprocal=False, real=False))
    K = cfg.mesh
    grid = _pme_spread(q, geom, cfg)
    f = jax.lax.stop_gradient(jnp.fft.rfftn(grid))
    pot = jax.lax.stop_gradient(jnp.fft.irfftn(geom["green"] * f, s=K) * (K[0] * K[1] * K[2]))
    e_pos = jnp.sum(grid * pot)  # value 2 E_rec; gradient through the spline weights
    w3 = np.full(K[2] // 2 + 1, 2.0)
    w3[0] = 1.0
    if K[2] % 2 == 0:
        w3[-1] = 1.0
    e_cell = 0.5 * jnp.sum(w3 * geom["green"] * (f.real**2 + f.imag**2))  # value E_rec
    return e + e_pos + e_cell - 2.0 * jax.lax.stop_gradient(e_cell)


def make_mesh_preconditioner(positions, cell, diag, mesh, cfg, order: int = 4):
    """Continuum (mesh) preconditioner for the QEq operator, SPD, pure JAX.

    For charges varying slowly in space, ``A q ~ D q + phi[n q]``: on-site hardness
    plus the potential of a smooth charge density. With a uniform atom density n
    the inverse is ``u(k) = r(k) / (D + 4 pi k_e n / k^2)``, i.e.
    ``M^-1 = D^-1/2 (I - W^T S W / (n h^3)) D^-1/2`` with the low-pass filter
    ``S(k) = 4 pi k_e n / (D k^2 + 4 pi k_e n)`` applied on a coarse mesh (cell
    volume h^3; W: order-4 B-spline spreading). It removes the long-wavelength
    Coulomb modes that make plain CG slow down as the cell grows.

    Parameters
    ----------
    positions : array [n, 3]
        Positions (Angstrom).
    cell : array [3, 3]
        Cell (Angstrom).
    diag : array [n]
        Local hardness D_i (eV/e^2), e.g. J_i + k_e/(sqrt(pi) sigma_i).
    mesh : tuple of int
        Coarse mesh (K1, K2, K3).
    cfg : CoulombConfig
        For the Coulomb constant.
    order : int
        B-spline order of the spreading (2 = cloud-in-cell).

    Returns
    -------
    callable
        ``r [n] -> M^-1 r [n]``.
    """
    import jax.numpy as jnp

    n_atoms = positions.shape[0]
    K = np.asarray(mesh)
    s = positions @ jnp.linalg.inv(cell)
    u = (s - jnp.floor(s)) * K
    base = jnp.floor(u)
    w1 = bspline_values(u - base, order)
    idx1 = (base.astype(jnp.int32)[:, :, None] - jnp.arange(order)[None, None, :]) % K[
        None, :, None
    ]
    w = (w1[:, 0, :, None, None] * w1[:, 1, None, :, None] * w1[:, 2, None, None, :]).reshape(
        n_atoms, -1
    )
    idx = (
        idx1[:, 0, :, None, None] * (K[1] * K[2])
        + idx1[:, 1, None, :, None] * K[2]
        + idx1[:, 2, None, None, :]
    ).reshape(n_atoms, -1)
    ktot = int(np.prod(K))
    volume = jnp.abs(jnp.linalg.det(cell))
    occupancy = jnp.zeros(ktot, dtype=positions.dtype).at[idx.ravel()].add(w.ravel())
    # atoms per mesh cell where atoms are (occupancy-weighted mean): n h^3
    nh3 = jnp.sum(occupancy**2) / jnp.sum(occupancy)
    density = nh3 * ktot / volume  # atoms / Angstrom^3 in the occupied region
    dbar = jnp.mean(diag)
    recip = jnp.linalg.inv(cell).T
    m = [
        np.fft.fftfreq(K[0], 1.0 / K[0]),
        np.fft.fftfreq(K[1], 1.0 / K[1]),
        np.arange(K[2] // 2 + 1),
    ]
    mg = jnp.asarray(np.stack(np.meshgrid(*m, indexing="ij"), axis=-1), dtype=positions.dtype)
    k2 = (2.0 * jnp.pi) ** 2 * jnp.sum((mg @ recip) ** 2, axis=-1)
    coul = 4.0 * jnp.pi * cfg.coulomb_constant * density
    # k = 0 left out: the uniform mode is the constraint direction, handled by the
    # projection, and keeping it would make M^-1 indefinite on the full space
    filt = jnp.where(k2 > 0, coul / (dbar * k2 + coul), 0.0) / nh3
    inv_sqrt_d = 1.0 / jnp.sqrt(diag)

    def apply(r):
        y = inv_sqrt_d * r
        grid = jnp.zeros(ktot, dtype=r.dtype).at[idx.ravel()].add((y[:, None] * w).ravel())
        smooth = jnp.fft.irfftn(filt * jnp.fft.rfftn(grid.reshape(mesh)), s=tuple(mesh))
        y = y - jnp.sum(smooth.ravel()[idx] * w, axis=1)
        return inv_sqrt_d * y

    return apply


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
        e_coul = coulomb_energy(positions, cell, q, tuple(arrays.values()), sigma, kvec, cfg)
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
    cn_rule: str,
    metal: str = "Li",
    always: np.ndarray | None = None,
) -> np.ndarray:
    """Per-atom bias phi_i (V) of eq. S17 (ec paper).

    phi_i = ``phi_lower`` for metallic ``metal`` atoms with z < ``split_z`` (Angstrom),
    ``phi_upper`` for those with z >= ``split_z``, and 0 for every other atom. Metallic
    is CN_Li-Li > ``cn_metal`` with ``cn_rule = "paper"`` (eq. 6: "more than 8") and
    CN_Li-Li >= ``cn_metal`` with ``"authors"`` (the authors' public code), where the
    atoms marked in ``always`` (bool [n]; the outermost electrode layers) are metallic
    whatever their CN. The bias enters the grand energy as ``phi_i Q_i`` (eV), so a
    negative phi favours positive charge (oxidation, the anode of the ec paper).
    """
    sym = np.asarray(symbols)
    cn = np.asarray(cn)
    if cn_rule == "paper":
        metallic = (sym == metal) & (cn > cn_metal)
    elif cn_rule == "authors":
        metallic = (sym == metal) & (cn >= cn_metal)
        if always is not None:
            metallic |= (sym == metal) & np.asarray(always, dtype=bool)
    else:
        raise ValueError(f"cn_rule {cn_rule!r} is not paper or authors")
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
