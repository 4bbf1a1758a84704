"""Matrix-free constrained QEq solve: projected preconditioned conjugate gradient.

The charges minimise the quadratic ``Omega(Q) = Q.A.Q / 2 + b.Q`` subject to
``sum_i Q_i = Q_tot`` (eqs. S12-S19 of the ec paper; b = chi + phi). Instead of
the paper's projected gradient + L-BFGS we use conjugate gradients in the
constraint null space with a Jacobi preconditioner projected onto that space
(constraint preconditioning, Gould, Hribar & Nocedal 2001,
doi:10.1137/S1064827598345667). Both need only products ``A @ Q``; CG converges
in at most N steps for this symmetric positive-definite problem and typically
in a few tens.

At the solution ``(A Q + b)_i = chi_eq`` for every atom: the equalised
electronegativity, the Lagrange multiplier of eq. S12. The residual reported is
``max_i |(A Q + b)_i - mean(A Q + b)|`` in eV/e (= V).
"""

from __future__ import annotations

from ase.calculators.calculator import CalculationFailed

from lidendrite.errors import LidendriteError

__all__ = ["QEqNotConverged", "projected_pcg"]


class QEqNotConverged(LidendriteError, CalculationFailed):
    """The charge solve did not reach its tolerance within the iteration limit."""


def projected_pcg(apply_a, b, q_tot, diag, tol, max_iter, q_init=None, precond=None):
    """Solve min Q.A.Q/2 + b.Q s.t. sum(Q) = q_tot by projected preconditioned CG (pure JAX).

    Parameters
    ----------
    apply_a : callable
        ``q [n] -> A @ q [n]`` (eV/e), symmetric positive definite on sum(q) = 0.
    b : array [n]
        Linear coefficients (eV/e): chi_i + phi_i.
    q_tot : float
        Total charge (e).
    diag : array [n]
        Positive approximation of diag(A) (eV/e^2): the Jacobi preconditioner.
    precond : callable or None
        Symmetric positive-definite ``r -> M^-1 r`` replacing Jacobi (e.g.
        :func:`~lidendrite.qeq.energy.make_mesh_preconditioner`).
    tol : float
        Stop when max |projected gradient| < tol (eV/e).
    max_iter : int
        Iteration limit.
    q_init : array [n] or None
        Starting guess (e.g. the previous MD step's charges); shifted uniformly onto
        the constraint. ``None`` starts from the uniform ``q_tot / n``.

    Returns
    -------
    q : array [n]
        Charges (e), summing to ``q_tot`` to round-off.
    chi_eq : array []
        Equalised electronegativity (eV/e).
    iterations : array [] int
        CG iterations done.
    residual : array []
        Final max |(A q + b) - chi_eq| recomputed with a fresh product (eV/e).
    """
    import jax
    import jax.numpy as jnp

    n = b.shape[0]
    if precond is None:
        inv_d = 1.0 / diag

        def precond(r):
            return inv_d * r

    u = precond(jnp.ones(n, dtype=b.dtype))  # M^-1 1
    sum_u = jnp.sum(u)

    def precondition(r):
        """(z, r.z): z = M^-1 r projected onto sum(z) = 0 in the M metric.

        r carries the large constant chi_eq; it is removed (rc = r - mean r) before
        any product, since the projection is blind to it. This keeps
        r.z = rc.z free of cancellation (which otherwise floors the residual
        near 1e-7 V).
        """
        rc = r - jnp.mean(r)
        z = precond(rc)
        z = z - u * (jnp.sum(z) / sum_u)
        return z, jnp.dot(rc, z)

    def proj_norm(r):
        return jnp.max(jnp.abs(r - jnp.mean(r)))

    if q_init is None:
        q0 = jnp.full(n, q_tot / n, dtype=b.dtype)
    else:
        q0 = q_init + (q_tot - jnp.sum(q_init)) / n
    r0 = apply_a(q0) + b
    z0, rz0 = precondition(r0)
    state0 = (q0, r0, z0, -z0, rz0, jnp.asarray(0), proj_norm(r0), rz0 > 0)

    def cond(state):
        _, _, _, _, _, it, res, ok = state
        return (res >= tol) & (it < max_iter) & ok

    def body(state):
        q, r, z, p, rz, it, _, _ = state
        ap = apply_a(p)
        pap = jnp.dot(p, ap)
        ok = pap > 0  # breakdown guard: round-off floor reached
        alpha = jnp.where(ok, rz / jnp.where(ok, pap, 1.0), 0.0)
        q = q + alpha * p
        r = r + alpha * ap
        z, rz_new = precondition(r)
        ok = ok & (rz_new > 0)
        p = -z + jnp.where(ok, rz_new / jnp.where(rz > 0, rz, 1.0), 0.0) * p
        return (q, r, z, p, rz_new, it + 1, proj_norm(r), ok)

    q, _, _, _, _, it, _, _ = jax.lax.while_loop(cond, body, state0)
    q = q + (q_tot - jnp.sum(q)) / n  # remove round-off drift of the constraint
    g = apply_a(q) + b
    chi_eq = jnp.mean(g)
    return q, chi_eq, it, jnp.max(jnp.abs(g - chi_eq))
