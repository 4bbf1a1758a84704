"""QEq driver: from an ASE ``Atoms`` to solved charges, energy, forces and stress.

Glues :mod:`~lidendrite.qeq.params`, :mod:`~lidendrite.qeq.geometry`,
:mod:`~lidendrite.qeq.energy` and :mod:`~lidendrite.qeq.solver`. The solve and
the force/stress evaluation run in one JIT-compiled JAX function; array shapes
are kept fixed between calls (padded neighbour lists) so that MD steps do not
recompile.

Why one module of about 400 lines: one class: neighbour lists, the CN bias and the solver calls share the engine's cached state (Verlet list, compiled functions, warm-start charges).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, fields, replace
from functools import partial

import numpy as np

from lidendrite.errors import InputError
from lidendrite.qeq.energy import (
    CoulombConfig,
    _smooth_size,
    constp_bias,
    coulomb_apply,
    coulomb_energy,
    coulomb_prepare,
    enable_x64,
    ewald_kappa,
    ewald_kvectors,
    make_mesh_preconditioner,
    pme_mesh,
)
from lidendrite.qeq.geometry import (
    PairList,
    check_cell,
    check_cutoff,
    check_min_distance,
    check_positions,
    coordination_numbers,
    neighbour_pairs,
    outermost_electrode_layer,
    pad_pairs,
    vacuum_gap_z,
)
from lidendrite.qeq.params import load_parameters, per_atom_parameters
from lidendrite.qeq.settings import QEqSettings
from lidendrite.qeq.solver import QEqNotConverged, projected_pcg

__all__ = ["QEqEngine", "QEqResult", "QEqSettings"]

#: largest |total charge| per atom accepted in ConstQ, e (formal charges stay
#: within +-5 e; 1e20 e is a typo, not a charge the solver should chase)
MAX_CHARGE_PER_ATOM = 5.0


@dataclass
class QEqResult:
    """Outcome of one QEq calculation (eV, Angstrom, e).

    ``energy`` is the minimised functional: E_QEq (eq. S11) in ConstQ and the grand
    energy Omega = E_QEq + sum phi_i Q_i (eq. S16) in ConstP; ``forces`` = -dE/dR of it
    at the solved charges and ``stress`` = (1/V) dE/d(strain) (ASE sign), 3x3.
    """

    charges: np.ndarray
    energy: float
    e_qeq: float
    chi_eq: float
    iterations: int
    residual: float
    solve_seconds: float
    phi: np.ndarray
    forces: np.ndarray | None = None
    stress: np.ndarray | None = None
    method: str = ""
    info: dict = field(default_factory=dict)


def _omega(positions, cell, q, arrays, sigma, chi, J, phi, kvec, cfg):
    """Omega(R, cell, q) = E_QEq + phi.q (eV); pure JAX."""
    import jax.numpy as jnp

    e_coul = coulomb_energy(positions, cell, q, arrays, sigma, kvec, cfg)
    return e_coul + jnp.sum((chi + phi) * q + 0.5 * J * q * q)


@partial(__import__("jax").jit, static_argnames=("cfg", "max_iter", "with_forces", "precond_mesh"))
def _solve_core(
    positions,
    cell,
    arrays,
    sigma,
    chi,
    J,
    phi,
    kvec,
    q_tot,
    tol,
    q_init,
    *,
    cfg,
    max_iter,
    with_forces,
    precond_mesh=None,
):
    import jax
    import jax.numpy as jnp

    geom = coulomb_prepare(positions, cell, *arrays, sigma, kvec, cfg)

    def apply_a(q):
        return coulomb_apply(q, geom, sigma, cfg) + J * q

    if cfg.gaussian:
        diag = J + cfg.coulomb_constant / (math.sqrt(math.pi) * sigma)
    else:
        diag = J
    precond = None
    if precond_mesh is not None:
        precond = make_mesh_preconditioner(positions, cell, diag, precond_mesh, cfg)
    q, chi_eq, it, res = projected_pcg(
        apply_a, chi + phi, q_tot, diag, tol, max_iter, q_init, precond=precond
    )
    q = jax.lax.stop_gradient(q)
    if not with_forces:
        e = 0.5 * jnp.dot(q, apply_a(q)) + jnp.dot(chi + phi, q)
        return q, chi_eq, it, res, e, None, None

    def strained(pos, eps):
        f = jnp.eye(3) + eps
        return _omega(pos @ f, cell @ f, q, arrays, sigma, chi, J, phi, kvec, cfg)

    e, (g_pos, g_eps) = jax.value_and_grad(strained, argnums=(0, 1))(
        positions, jnp.zeros((3, 3), dtype=positions.dtype)
    )
    volume = jnp.abs(jnp.linalg.det(cell))
    stress = 0.5 * (g_eps + g_eps.T) / volume
    return q, chi_eq, it, res, e, -g_pos, stress


class QEqEngine:
    """Reusable QEq solver for a sequence of structures (e.g. an MD trajectory).

    Parameters
    ----------
    settings : QEqSettings
        All settings; keyword arguments override its fields.
    """

    def __init__(self, settings: QEqSettings | None = None, **overrides) -> None:
        enable_x64()
        known = {f.name for f in fields(QEqSettings)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise InputError(
                f"unknown QEq setting {unknown[0]!r} (known: {', '.join(sorted(known))})"
            )
        self.settings = replace(settings or QEqSettings(), **overrides)
        self.params = load_parameters(self.settings.params)
        self._capacity = 0
        self._static_key = None
        self._q_prev = None
        self._verlet = None
        #: neighbour-list builds so far (with ``skin`` > 0, fewer than calls)
        self.list_builds = 0

    # ------------------------------------------------------------------ setup
    def slab_applies(self, positions: np.ndarray, cell: np.ndarray) -> bool:
        """Whether the slab correction (eq. S8) is used for this structure.

        Only with ``slab_correction`` on and an atom-free layer along z at least
        ``slab_min_vacuum`` wide: a bulk cell is fully periodic, and the dipole term
        would make its energy depend on where the atoms were wrapped.
        """
        s = self.settings
        return bool(s.slab_correction) and vacuum_gap_z(positions, cell) >= s.slab_min_vacuum

    def _static(self, symbols: list[str], cell: np.ndarray, name: str, slab: bool):
        """Per-atom parameters, Coulomb config and k vectors; cached per (symbols, cell, slab).

        Under NPT the cell changes every step: the mesh and k-vector set of the
        first cell are kept while the cell stays within 2 % of it (kappa is fixed,
        so only the reciprocal cutoff moves by that much), which avoids a JIT
        recompilation per step.
        """
        s = self.settings
        check_cell(cell, slab_correction=slab, name=name)
        if self._static_key is not None and self._static_key[0] == (tuple(symbols), slab):
            ref = self._static_key[1]
            if np.max(np.abs(cell - ref)) <= 0.02 * np.max(np.abs(ref)):
                return self._static_data
        key = ((tuple(symbols), slab), np.array(cell, dtype=np.float64))
        chi, J, sigma = per_atom_parameters(self.params, symbols)
        n = len(symbols)
        method = s.method
        if method == "auto":
            method = "ewald" if n <= s.ewald_max_atoms else "pme"
        kappa = ewald_kappa(s.rcut, s.ewald_tol)
        cfg = CoulombConfig(
            kappa=kappa,
            method=method,
            mesh=pme_mesh(cell, kappa, s.ewald_tol, s.pme_order) if method == "pme" else None,
            order=s.pme_order,
            gaussian=True,
            slab=slab,
            coulomb_constant=s.coulomb_constant,
        )
        kvec = ewald_kvectors(cell, kappa, s.ewald_tol) if method == "ewald" else None
        precond_mesh = None
        if s.precond_spacing > 0:
            lengths = np.linalg.norm(cell, axis=1)
            precond_mesh = tuple(
                _smooth_size(max(8, math.ceil(x / s.precond_spacing))) for x in lengths
            )
        self._static_key = key
        self._static_data = (chi, J, sigma, cfg, kvec, precond_mesh)
        self._capacity = 0
        self._q_prev = None
        return self._static_data

    def _pairs(self, positions: np.ndarray, cell: np.ndarray, cutoff: float) -> PairList:
        """Pairs within ``cutoff`` (Angstrom) at ``positions``: from a Verlet list kept
        while no atom has moved more than ``skin / 2`` and the cell is unchanged
        (:attr:`QEqSettings.skin`), else from a new list."""
        skin = self.settings.skin
        if skin <= 0:
            self.list_builds += 1
            return neighbour_pairs(positions, cell, cutoff)
        ref = self._verlet
        stale = (
            ref is None
            or ref["positions"].shape != positions.shape
            or not np.array_equal(ref["cell"], cell)
            or ref["cutoff"] != cutoff
            or np.max(np.sum((positions - ref["positions"]) ** 2, axis=1)) > (0.5 * skin) ** 2
        )
        if stale:
            ref = self._verlet = {
                "positions": positions.copy(),
                "cell": cell.copy(),
                "cutoff": cutoff,
                "pairs": neighbour_pairs(positions, cell, cutoff + skin),
            }
            self.list_builds += 1
        full = ref["pairs"]
        d = np.linalg.norm(positions[full.j] - positions[full.i] + full.shift @ cell, axis=1)
        keep = d < cutoff
        return PairList(
            i=full.i[keep],
            j=full.j[keep],
            shift=full.shift[keep],
            mask=np.ones(int(keep.sum()), dtype=bool),
            cutoff=float(cutoff),
            distance=d[keep],
        )

    def bias(self, symbols, positions, cell, pairs, always=None) -> np.ndarray:
        """ConstP bias phi [n] (V) from the CN rule of eq. S17; zeros in ConstQ.

        ``always`` (bool [n]) marks atoms biased whatever their CN under
        ``cn_rule = "authors"`` (:meth:`always_biased`).
        """
        s = self.settings
        if s.mode == "constq":
            return np.zeros(len(symbols))
        is_metal = np.asarray(symbols) == s.metal
        cn = coordination_numbers(positions, cell, pairs, s.cn_cutoff, is_metal)
        if s.split_z is None:
            raise InputError(
                "split_z: ConstP needs the z of the plane between the electrodes "
                "(lidendrite.qeq.bias.electrode_sides places it from the region labels)"
            )
        split = s.split_z
        z = np.asarray(positions)[:, 2]
        low, high = min(0.0, float(z.min())), max(float(cell[2, 2]), float(z.max()))
        if not low < split < high:  # atoms are not wrapped along z: they may lie outside
            raise InputError(
                f"split_z: {split:g} Angstrom lies outside the cell (0 to {cell[2, 2]:g} "
                "Angstrom along z); the plane between the electrodes must cut the cell"
            )
        return constp_bias(
            symbols,
            positions,
            cn,
            phi_lower=s.phi_lower,
            phi_upper=s.phi_upper,
            split_z=split,
            cn_metal=s.cn_metal,
            cn_rule=s.cn_rule,
            metal=s.metal,
            always=always,
        )

    def always_biased(self, atoms, name: str = "structure") -> np.ndarray | None:
        """Atoms biased at every ConstP step: the outermost electrode layers under
        ``cn_rule = "authors"``, else None."""
        s = self.settings
        if s.mode != "constp" or s.cn_rule != "authors":
            return None
        return outermost_electrode_layer(atoms, name)

    # ------------------------------------------------------------------ solve
    def calculate(
        self,
        atoms,
        *,
        with_forces: bool = True,
        name: str = "structure",
        warm_start: bool = False,
        solve: bool = True,
    ) -> QEqResult:
        """Solve the charges of ``atoms`` and (optionally) forces and stress.

        Parameters
        ----------
        atoms : ase.Atoms
            Structure with a 3D cell (Angstrom).
        with_forces : bool
            Also return forces [n, 3] (eV/Angstrom) and stress [3, 3] (eV/Angstrom^3).
        name : str
            Used in error messages (e.g. the input file name).
        warm_start : bool
            Start CG from the previous call's charges (same atoms, e.g. MD).
        solve : bool
            False: keep the previous call's charges (no CG iteration) and return
            energy, forces and stress at those fixed charges; MD that re-solves only
            every n-th step uses it (the ec authors' code solves every 3rd step).
            Ignored (a full solve) when there are no previous charges of this size.

        Raises
        ------
        InputError
            Missing cell, unknown element, overlapping atoms.
        QEqNotConverged
            The solver did not reach ``tol`` within ``max_iter`` iterations.
        """
        import jax.numpy as jnp

        s = self.settings
        symbols = atoms.get_chemical_symbols()
        if len(symbols) == 0:
            raise InputError(f"{name}: no atoms")
        cell = np.asarray(atoms.cell.array, dtype=np.float64)
        positions = np.asarray(atoms.positions, dtype=np.float64)
        # bad input fails here with its own name, not as a solver that "did not converge"
        check_cell(cell, name=name)
        check_positions(positions, cell, name=name)
        key = "cn_cutoff" if s.cn_cutoff > s.rcut else "rcut"
        check_cutoff(len(symbols), cell, getattr(s, key), what=f"{name}: {key}")
        if s.mode == "constq" and abs(s.total_charge) > MAX_CHARGE_PER_ATOM * len(symbols):
            raise InputError(
                f"{name}: total_charge {s.total_charge:g} e is more than "
                f"{MAX_CHARGE_PER_ATOM:g} e per atom ({len(symbols)} atoms)"
            )
        slab = self.slab_applies(positions, cell)
        chi, J, sigma, cfg, kvec, precond_mesh = self._static(symbols, cell, name, slab)
        pairs = self._pairs(positions, cell, max(s.rcut, s.cn_cutoff))
        check_min_distance(positions, cell, pairs, s.min_distance)
        phi = self.bias(symbols, positions, cell, pairs, self.always_biased(atoms, name))
        if len(pairs.i) > self._capacity:
            self._capacity = int(math.ceil(len(pairs.i) * 1.15 / 1024.0) * 1024)
        padded = pad_pairs(pairs, len(symbols), self._capacity)
        arrays = tuple(jnp.asarray(a) for a in (padded.i, padded.j, padded.shift, padded.mask))
        q_tot = 0.0 if s.mode == "constp" else float(s.total_charge)
        have_prev = self._q_prev is not None and self._q_prev.shape[0] == len(symbols)
        hold = (not solve) and have_prev
        q_init = self._q_prev if ((warm_start or hold) and have_prev) else None
        tol = math.inf if hold else s.tol  # inf: CG stops before its first iteration
        t0 = time.perf_counter()
        iterations = 0
        best = None
        mesh_pc = precond_mesh
        for _attempt in range(4):  # restarts: round-off drift, or a failing preconditioner
            out = _solve_core(
                jnp.asarray(positions),
                jnp.asarray(cell),
                arrays,
                jnp.asarray(sigma),
                jnp.asarray(chi),
                jnp.asarray(J),
                jnp.asarray(phi),
                None if kvec is None else jnp.asarray(kvec),
                q_tot,
                tol,
                q_init,
                cfg=cfg,
                max_iter=max(1, s.max_iter - iterations),
                with_forces=with_forces,
                precond_mesh=mesh_pc,
            )
            res = float(out[3])
            iterations += int(out[2])
            improved = best is None or res < best[1]
            if improved:
                best = (out, res)
            if res < tol or iterations >= s.max_iter:
                break
            if mesh_pc is not None:
                # CG stopped short (breakdown: the continuum preconditioner is not
                # positive definite for this structure, or drift): continue with
                # Jacobi from the best charges so far
                mesh_pc = None
            elif not improved:
                break  # no progress with Jacobi either: round-off floor
            q_init = best[0][0]
        out, res = best
        q, chi_eq = out[0], out[1]
        seconds = time.perf_counter() - t0
        if not (res < tol):
            hint = (
                "raise key max_iter / --max-iter"
                if iterations >= s.max_iter
                else "stalled at round-off; loosen key tol / --tol"
            )
            raise QEqNotConverged(
                f"{name}: QEq solve did not converge: residual {res:.3g} V > tol {s.tol:g} V "
                f"after {iterations} iterations ({hint})"
            )
        q = np.asarray(q)
        self._q_prev = jnp.asarray(q)
        energy = float(out[4])
        e_bias = float(np.dot(phi, q))
        return QEqResult(
            charges=q,
            energy=energy,
            e_qeq=energy - e_bias,
            chi_eq=float(chi_eq),
            iterations=iterations,
            residual=res,
            solve_seconds=seconds,
            phi=phi,
            forces=None if out[5] is None else np.asarray(out[5]),
            stress=None if out[6] is None else np.asarray(out[6]),
            method=cfg.method,
            info={
                "mesh": cfg.mesh,
                "kappa": cfg.kappa,
                "n_pairs": pairs.n_pairs,
                "precond_mesh": precond_mesh,
                "slab_correction": cfg.slab,
            },
        )
