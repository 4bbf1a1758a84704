"""ConstP electrodes of the ec study (sec. 2.2.3, eq. S17): who is biased, and the side swap.

Hand-made configuration: two BCC Li(100) slabs (regions cathode below, anode above),
one Li adatom on the anode's gap-facing surface (CN_Li-Li = 5 within 3.5 A: not
metallic), one isolated Li+ and one O in the gap (CN 0). The CN rule must bias
exactly the slab atoms, with the anode shift on the anode and the cathode shift on
the cathode, and the solver must use the same selection.
"""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms
from ase.build import bcc100
from ase.neighborlist import neighbor_list

pytest.importorskip("jax")

from lidendrite.constp.capacitor import capacitor_charges  # noqa: E402
from lidendrite.constp.electrodes import (  # noqa: E402
    bias_per_atom,
    bias_settings,
    electrode_sides,
    surface_charge_density,
    swap_electrodes,
)
from lidendrite.errors import InputError  # noqa: E402
from lidendrite.qeq.bias import ElectrodeBias  # noqa: E402
from lidendrite.qeq.engine import QEqEngine  # noqa: E402

A = 3.43


def _hand_made():
    slab = bcc100("Li", size=(3, 3, 4), a=A, orthogonal=True)
    slab.positions[:, 2] -= slab.positions[:, 2].min()
    thick = slab.positions[:, 2].max()
    gap = 14.0
    lower, upper = slab.copy(), slab.copy()
    upper.positions[:, 2] += thick + gap
    z_up = upper.positions[:, 2]
    x0, y0 = upper.positions[np.argmin(z_up), :2]
    extra = Atoms(
        "LiLiO",
        positions=[
            # hollow-site adatom under the upper slab: 4 neighbours at a*sqrt(3)/2 = 2.97 A,
            # 1 at a = 3.43 A (second layer) -> CN 5
            [x0 + A / 2, y0 + A / 2, z_up.min() - A / 2],
            [4.0, 4.0, thick + gap / 2],  # isolated Li+ in the gap
            [1.0, 6.0, thick + gap / 2 + 1.0],
        ],
    )
    atoms = lower + upper + extra
    atoms.set_cell([slab.cell[0, 0], slab.cell[1, 1], 2 * thick + gap + 12.0])
    atoms.pbc = True
    n = len(slab)
    region = ["cathode"] * n + ["anode"] * n + ["anode", "electrolyte", "electrolyte"]
    atoms.set_array("region", np.array(region, dtype="U16"))
    atoms.set_array("layer", np.full(len(atoms), -1))
    return atoms, n


def _cn_li_li(atoms, cutoff):
    i, j = neighbor_list("ij", atoms, cutoff)
    li = np.array(atoms.get_chemical_symbols()) == "Li"
    hit = li[i] & li[j]
    return np.bincount(i[hit], minlength=len(atoms)) * li


def test_bias_applied_exactly_to_cn_rule_atoms():
    atoms, n = _hand_made()
    settings = bias_settings(atoms, -2.0, 6.0)
    phi = bias_per_atom(atoms, params="ec", cn_cutoff=3.5, cn_metal=8, **settings)
    cn = _cn_li_li(atoms, 3.5)  # independent count with ASE's neighbour list
    assert cn[2 * n] == 5 and cn[2 * n + 1] == 0
    expected_biased = cn > 8
    assert np.array_equal(phi != 0, expected_biased)
    assert np.array_equal(np.flatnonzero(phi), np.arange(2 * n))  # the slabs, nothing else
    assert np.all(phi[:n] == 6.0) and np.all(phi[n : 2 * n] == -2.0)  # cathode +6, anode -2
    # the solver applies the very same bias
    res = QEqEngine(params="ec", mode="constp", **settings, tol=1e-7).calculate(
        atoms, with_forces=False
    )
    assert np.array_equal(res.phi, phi)


def test_cutoff_3p3_biases_no_perfect_bcc_atom():
    # Fig. S12 uses 3.3 A: within it a BCC atom has only its 8 nearest neighbours (2.97 A;
    # the next shell is at a = 3.43 A), so the strict rule CN > 8 of eq. S17 selects none
    # of a perfect lattice, bulk or surface; only thermal compression can bias an atom.
    atoms, n = _hand_made()
    phi = bias_per_atom(atoms, params="ec", cn_cutoff=3.3, **bias_settings(atoms, -2.0, 6.0))
    cn = _cn_li_li(atoms, 3.3)
    assert cn.max() == 8
    assert np.array_equal(phi != 0, cn > 8)
    assert np.count_nonzero(phi) == 0


def test_swapping_sides_swaps_the_sign_of_the_surface_charges():
    atoms, _ = _hand_made()
    atoms = atoms[: len(atoms) - 3]  # the two slabs only
    kw = dict(bias=ElectrodeBias(-2.0, 6.0, 3.5, 8, "paper"), qeq=dict(params="ec", tol=1e-9))
    first = capacitor_charges(atoms, **kw)
    swapped = swap_electrodes(atoms)
    second = capacitor_charges(swapped, **kw)
    # round 1: lower slab is the cathode (negative); after the swap it is the anode (positive)
    lower = atoms.positions[:, 2] < electrode_sides(atoms)[2]
    area = np.linalg.det(atoms.cell.array[:2, :2]) / 100.0
    s1 = first["constp_charges"][lower].sum() / area
    s2 = second["constp_charges"][lower].sum() / area
    assert s1 < 0 < s2
    assert s2 == pytest.approx(-s1, rel=1e-6)  # mirror-symmetric slabs
    # per-electrode densities keep their sign by name: anode positive, cathode negative
    assert second["sigma"]["anode"] == pytest.approx(first["sigma"]["anode"], rel=1e-6)
    assert abs(sum(surface_charge_density(atoms, first["constp_charges"]).values())) < 1e-9
    assert swap_electrodes(swapped).arrays["region"].tolist() == atoms.arrays["region"].tolist()


def test_missing_electrode_is_a_one_line_error():
    atoms, _ = _hand_made()
    atoms.arrays["region"][:] = "electrolyte"
    with pytest.raises(InputError, match="no atom has region 'anode'"):
        bias_settings(atoms, -2.0, 6.0)


def _with_layers(atoms, n):
    """The hand-made cell with ``layer`` counted from the gap (1 = contact layer)."""
    z = atoms.positions[:, 2]
    layer = np.full(len(atoms), -1)
    for sl, from_top in ((slice(0, n), True), (slice(n, 2 * n), False)):
        zs = np.round(z[sl], 2)
        levels = np.unique(zs)[::-1] if from_top else np.unique(zs)
        layer[sl] = [int(np.flatnonzero(levels == v)[0]) + 1 for v in zs]
    atoms.set_array("layer", layer)
    return atoms


def test_authors_rule_is_at_least_cn_metal_plus_the_outermost_layers():
    """The authors' rule: CN >= cn_metal, and each electrode's outermost layer always."""
    atoms, n = _hand_made()
    atoms = _with_layers(atoms, n)
    # 3.3 A: a perfect BCC atom has CN 8 (bulk) or 4 (surface); the paper's rule biases none
    settings = {**bias_settings(atoms, -2.0, 6.0), "params": "ec", "cn_cutoff": 3.3}
    cn = _cn_li_li(atoms, 3.3)
    paper = bias_per_atom(atoms, cn_metal=8, cn_rule="paper", **settings)
    authors = bias_per_atom(atoms, cn_metal=8, cn_rule="authors", **settings)
    assert np.count_nonzero(paper) == 0
    outer = np.zeros(len(atoms), bool)
    lay = atoms.arrays["layer"]
    outer[:n] = lay[:n] == lay[:n].max()
    outer[n : 2 * n] = lay[n : 2 * n] == lay[n : 2 * n].max()
    assert outer.sum() == 2 * 9  # one 3 x 3 layer per electrode
    expected = (cn >= 8) | outer
    assert np.array_equal(authors != 0, expected)
    assert np.all(authors[:n][expected[:n]] == 6.0) and np.all(
        authors[n : 2 * n][expected[n : 2 * n]] == -2.0
    )
    # the adatom (CN 5 at 3.5 A) and the gap atoms stay unbiased under either rule
    assert np.all(authors[2 * n :] == 0)
    # the solver uses the same selection
    res = QEqEngine(mode="constp", cn_metal=8, cn_rule="authors", tol=1e-7, **settings).calculate(
        atoms, with_forces=False
    )
    assert np.array_equal(res.phi, authors)


def test_authors_rule_needs_layers():
    atoms, _ = _hand_made()
    del atoms.arrays["layer"]
    with pytest.raises(InputError, match="'layer'"):
        bias_per_atom(atoms, params="ec", cn_rule="authors", **bias_settings(atoms, -2.0, 6.0))
