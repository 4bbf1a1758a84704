"""Minimum-image distances and contact clusters in any cell (lidendrite.analysis.geometry, .cluster).

The previous hand-written versions (fractional rounding, a dense matrix and a
depth-first search) are kept here as an independent computation: they are
exact for orthorhombic cells, where both must agree; in a sheared cell the
rounding misses a contact that the library-based code finds.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from ase import Atoms

from lidendrite.analysis.cluster import connected_components, find_cluster
from lidendrite.analysis.geometry import (
    contact_graph,
    displacements,
    pair_distances,
    unwrapped_positions,
)
from lidendrite.config import schema_default


def _rounding_distances(cell: np.ndarray, pos: np.ndarray, i, j) -> np.ndarray:
    """Fractional rounding: the exact minimum image of an orthorhombic cell only."""
    d = pos[i][:, None, :] - pos[j][None, :, :]
    ds = d @ np.linalg.inv(cell)
    ds -= np.round(ds)
    return np.linalg.norm(ds @ cell, axis=-1)


def _dfs_components(adj: np.ndarray) -> list[np.ndarray]:
    n = adj.shape[0]
    seen = np.zeros(n, bool)
    comps = []
    for s in range(n):
        if seen[s]:
            continue
        stack, comp = [s], []
        seen[s] = True
        while stack:
            k = stack.pop()
            comp.append(k)
            for j in np.flatnonzero(adj[k] & ~seen):
                seen[j] = True
                stack.append(j)
        comps.append(np.array(sorted(comp)))
    return comps


def _brute_force_distance(cell: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """Shortest |b - a + n.cell| over images n in [-3, 3]^3 (enough for the cells below)."""
    shifts = np.array(list(itertools.product(range(-3, 4), repeat=3))) @ cell
    return float(np.linalg.norm(b - a + shifts, axis=1).min())


def test_orthorhombic_distances_and_components_match_the_rounding_and_dfs():
    rng = np.random.default_rng(7)
    cell = np.diag([11.3, 9.7, 24.0])
    atoms = Atoms(cell=cell, pbc=True)
    # positions also outside the cell (unwrapped frames hold such)
    pos = rng.uniform(-0.3, 1.3, size=(150, 3)) @ cell
    i, j = np.arange(0, 150, 2), np.arange(150)
    # float64 round-off of two different fractional transforms: 1e-9 A is far below any cutoff's meaning
    np.testing.assert_allclose(
        pair_distances(atoms, pos, i, j), _rounding_distances(cell, pos, i, j), atol=1e-9
    )

    idx = np.arange(150)
    dense = _rounding_distances(cell, pos, idx, idx) < 2.0
    np.fill_diagonal(dense, False)
    graph = contact_graph(atoms, pos, idx, 2.0)  # below percolation at this density
    assert (graph.toarray() == dense).all()
    old = _dfs_components(dense)
    assert len(old) > 10 and max(map(len, old)) > 3  # a non-trivial graph
    new = connected_components(graph)
    assert len(new) == len(old) and all((a == b).all() for a, b in zip(new, old, strict=True))
    # the dense input gives the same components
    assert all((a == b).all() for a, b in zip(connected_components(dense), old, strict=True))
    assert connected_components(np.zeros((0, 0), bool)) == []


# a strongly sheared cell: b at 45 degrees to a
SHEARED = np.array([[8.0, 0.0, 0.0], [7.0, 7.0, 0.0], [0.0, 0.0, 30.0]])
# p1 - p0 is (-2.5, 2.5, 0) (3.54 A) minus a lattice vector: fractional rounding of it
# lands on a 6.04 A image, so a 3.6 A contact is missed by the rounding
P0 = np.array([1.0, 1.0, 5.0])
P1 = P0 + np.array([-2.5, 2.5, 0.0]) - (SHEARED[1] - SHEARED[0])


def test_sheared_cell_distance_is_the_true_minimum_image():
    pos = np.array([P0, P1])
    atoms = Atoms(cell=SHEARED, pbc=True)
    true = _brute_force_distance(SHEARED, P0, P1)
    assert true == pytest.approx(np.hypot(2.5, 2.5))
    assert pair_distances(atoms, pos, [0], [1])[0, 0] == pytest.approx(true, abs=1e-9)
    assert _rounding_distances(SHEARED, pos, [0], [1])[0, 0] > 6.0  # the old code's answer
    # a random set against the brute force
    rng = np.random.default_rng(3)
    pos = rng.uniform(0, 1, size=(30, 3)) @ SHEARED
    d = pair_distances(atoms, pos, np.arange(30), np.arange(30))
    ref = np.array([[_brute_force_distance(SHEARED, a, b) for b in pos] for a in pos])
    np.testing.assert_allclose(d, ref, atol=1e-9)


def test_sheared_cell_cluster_across_the_boundary_is_found():
    """A 4-Li metal-like chain, 3.0 A steps along (-1, 1, 0), crossing the sheared boundary."""
    step = 3.0 * np.array([-1.0, 1.0, 0.0]) / np.sqrt(2.0)
    chain = np.array([P0 + k * step for k in range(4)]) + [0.0, 0.0, 12.0]
    # atoms past the second one are stored one lattice vector away (as LAMMPS wraps them)
    chain[2:] -= SHEARED[1] - SHEARED[0]
    anode = np.array([[x, y, z] for x in (1.0, 4.0) for y in (1.0, 4.0) for z in (1.0, 3.0)])
    sulfur = np.array([[2.0, 6.0, 9.0]])
    pos = np.vstack([anode, sulfur, chain])
    atoms = Atoms(["Li"] * len(anode) + ["S"] + ["Li"] * 4, positions=pos, cell=SHEARED, pbc=True)
    region = np.array(["anode"] * len(anode) + ["electrolyte"] * 5, dtype="<U11")
    layer = np.full(len(atoms), -1)
    layer[: len(anode)] = np.where(anode[:, 2] > 2.0, 1, 2)
    atoms.new_array("region", region)
    atoms.new_array("layer", layer)
    atoms.new_array("start_positions", atoms.positions.copy())
    q = np.where(np.asarray(atoms.get_chemical_symbols()) == "Li", 0.0, -1.0)
    # by the rounding every 3.0 A step looks >= 4.2 A long: the chain falls apart
    li = np.arange(len(anode) + 1, len(atoms))
    dense = _rounding_distances(SHEARED, pos, li, li) < 3.2
    np.fill_diagonal(dense, False)
    assert max(len(c) for c in _dfs_components(dense)) < 4
    res = find_cluster(
        atoms,
        q,
        h_boundary=3.0,
        h_sei_top=20.0,
        li_li_cutoff=3.2,
        min_size=4,
        q_metal=schema_default("lpsc.analysis.q_metal"),
        anchor_layer=schema_default("lpsc.analysis.anchor_layer"),
    )
    assert res.size == 4 and res.atoms == [int(k) for k in li]
    assert res.location == "sei" and res.origin["electrolyte"] == 4


def test_sheared_cell_unwrap_is_the_true_minimum_image_displacement():
    atoms = Atoms("Li2", positions=[P1, P0], cell=SHEARED, pbc=True)
    atoms.new_array("start_positions", np.array([P0, P0]))
    atoms.new_array("region", np.array(["anode", "electrolyte"]))
    atoms.new_array("layer", np.array([1, -1]))
    np.testing.assert_allclose(displacements(atoms), [[-2.5, 2.5, 0.0], [0.0, 0.0, 0.0]], atol=1e-9)
    np.testing.assert_allclose(unwrapped_positions(atoms)[0], P0 + [-2.5, 2.5, 0.0], atol=1e-9)
