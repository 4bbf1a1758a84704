"""What must be true (2): matrix-free charges equal a dense direct solve.

The dense bordered system of eqs. S14/S19 (ec paper) is built here from the
equations with numpy, independently of ``lidendrite.qeq.energy``: explicit image
sums for the real-space and Gaussian-correction terms (truncated at the same
r_cut), a full-space k sum for the reciprocal term (same k cutoff), the self and
background terms, and the slab term written as its Hessian
-2 pi/V ((z_i - z_j)^2 + L_z^2/6).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from _qeq_structures import li_lpsc_interface, toy_capacitor
from scipy.special import erfc

pytest.importorskip("jax")

from lidendrite.qeq.engine import QEqEngine  # noqa: E402
from lidendrite.qeq.params import load_parameters, per_atom_parameters  # noqa: E402

KE = 14.399645


def dense_hessian(atoms, sigma, J, rcut, tol, slab):
    """A_ij = d2 E_QEq / dQ_i dQ_j (eV/e^2), built from eqs. S3-S8 directly."""
    pos = atoms.positions
    cell = atoms.cell.array
    n = len(atoms)
    vol = abs(np.linalg.det(cell))
    kappa = math.sqrt(-math.log(2 * tol)) / rcut
    gamma = np.sqrt(sigma[:, None] ** 2 + sigma[None, :] ** 2)
    A = np.zeros((n, n))
    nmax = [int(math.ceil(rcut / h)) + 1 for h in 1.0 / np.linalg.norm(np.linalg.inv(cell), axis=0)]
    for a in range(-nmax[0], nmax[0] + 1):
        for b in range(-nmax[1], nmax[1] + 1):
            for c in range(-nmax[2], nmax[2] + 1):
                shift = np.array([a, b, c]) @ cell
                d = pos[None, :, :] + shift - pos[:, None, :]
                r = np.linalg.norm(d, axis=2)
                use = (r < rcut) & (r > 1e-9)
                rs = np.where(use, r, 1.0)
                # eq. S3 (erfc(kappa r)/r) minus eq. S6 (erfc(r/(sqrt2 gamma))/r)
                A += np.where(use, (erfc(kappa * rs) - erfc(rs / (math.sqrt(2) * gamma))) / rs, 0)
    # eq. S4, full k space, same cutoff k_cut = 2 kappa sqrt(-ln tol) as the engine
    kcut = 2 * kappa * math.sqrt(-math.log(tol))
    rec = 2 * np.pi * np.linalg.inv(cell).T
    mm = [int(math.ceil(kcut * np.linalg.norm(v) / (2 * np.pi))) for v in cell]
    grid = np.stack(np.meshgrid(*[np.arange(-m, m + 1) for m in mm], indexing="ij"), -1).reshape(
        -1, 3
    )
    k = grid @ rec
    k2 = (k**2).sum(1)
    keep = (k2 > 0) & (k2 <= kcut**2)
    k, k2 = k[keep], k2[keep]
    ph = pos @ k.T
    coef = 4 * np.pi / vol * np.exp(-k2 / (4 * kappa**2)) / k2
    A += (np.cos(ph) * coef) @ np.cos(ph).T + (np.sin(ph) * coef) @ np.sin(ph).T
    # eq. S5 self term and eq. S6 Gaussian self term (both doubled in the Hessian)
    A += np.diag(-2 * kappa / math.sqrt(math.pi) + 1 / (math.sqrt(math.pi) * sigma))
    # neutralising background -pi Qtot^2 / (2 V kappa^2)
    A += -np.pi / (vol * kappa**2)
    if slab:  # eq. S8
        z = pos[:, 2]
        A += -2 * np.pi / vol * ((z[:, None] - z[None, :]) ** 2 + cell[2, 2] ** 2 / 6)
    return KE * A + np.diag(J)


def dense_solve(A, b, q_tot):
    """Bordered system [[A, 1], [1, 0]] [Q, -chi_eq] = [-b, Q_tot] (eqs. S14, S19)."""
    n = len(b)
    M = np.zeros((n + 1, n + 1))
    M[:n, :n] = A
    M[:n, n] = 1
    M[n, :n] = 1
    x = np.linalg.solve(M, np.concatenate([-b, [q_tot]]))
    return x[:n], -x[n]


CASES = [
    # (structure, mode, total charge, slab correction, method, ewald tol)
    ("interface", "constq", 1.0, True, "ewald", 5e-4),
    ("interface", "constq", 0.0, False, "ewald", 5e-4),
    ("interface", "constp", 0.0, True, "ewald", 5e-4),
    ("capacitor", "constp", 0.0, False, "ewald", 5e-4),
    ("interface", "constp", 0.0, True, "pme", 1e-6),
]


@pytest.mark.parametrize(("structure", "mode", "q_tot", "slab", "method", "etol"), CASES)
def test_matrix_free_equals_dense(structure, mode, q_tot, slab, method, etol):
    if structure == "interface":
        atoms = li_lpsc_interface()
        split = float(atoms.positions[atoms.arrays["region"] == "electrolyte", 2].mean())
    else:
        atoms, split = toy_capacitor(20.0)
    assert len(atoms) <= 500
    rcut = 8.0
    engine = QEqEngine(
        params="lpsc",
        mode=mode,
        total_charge=q_tot,
        slab_correction=slab,
        rcut=rcut,
        ewald_tol=etol,
        method=method,
        tol=1e-7,
        split_z=split,
    )
    res = engine.calculate(atoms, with_forces=False)
    chi, J, sigma = per_atom_parameters(load_parameters("lpsc"), atoms.get_chemical_symbols())
    A = dense_hessian(atoms, sigma, J, rcut, etol, slab)
    q_ref, chi_ref = dense_solve(A, chi + res.phi, q_tot)
    if mode == "constp":
        assert np.count_nonzero(res.phi) > 0  # the bias is really applied
    # 1e-5 e is the bound; the solver stops at 1e-7 V, i.e. |dQ| < 1e-7 V / J_min
    # ~ 1e-8 e per atom, and PME at delta = 1e-6 changes A by ~1e-6 relative
    assert np.max(np.abs(res.charges - q_ref)) < 1e-5
    assert abs(res.charges.sum() - q_tot) < 1e-9
    assert abs(res.chi_eq - chi_ref) < 1e-4


def test_preconditioners_agree():
    # the continuum mesh preconditioner changes the path, not the answer
    atoms = li_lpsc_interface()
    split = float(atoms.positions[atoms.arrays["region"] == "electrolyte", 2].mean())
    kw = dict(params="lpsc", mode="constp", split_z=split, method="pme", tol=1e-8)
    mesh = QEqEngine(**kw).calculate(atoms, with_forces=False)
    jacobi = QEqEngine(precond_spacing=0.0, **kw).calculate(atoms, with_forces=False)
    # both solve to 1e-8 V; charges then agree to ~1e-9 e
    assert np.max(np.abs(mesh.charges - jacobi.charges)) < 1e-7
    print(f"iterations: mesh {mesh.iterations}, Jacobi {jacobi.iterations}")
    assert mesh.iterations <= jacobi.iterations
