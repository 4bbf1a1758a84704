"""Li-Li bond numbers (ec SI 2.9, Fig. S13): ideal BCC and the deposition region, against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from ase.build import bulk
from test_ec_dead_li import A, D, add, double_slab

from lidendrite.analysis.ec_bonds import analyse_bonds, deposition_atoms, li_li_bonds_per_li
from lidendrite.analysis.ec_frames import cycle_geometry
from lidendrite.errors import InputError


def brute_bonds(atoms, i: int, cutoff: float) -> int:
    """Independent count: every Li image in the 5 x 5 x 5 block of cells around ``i``."""
    cell = atoms.cell.array
    n = 0
    for j, p in enumerate(atoms.positions):
        if atoms[j].symbol != "Li":
            continue
        for shift in itertools.product(range(-2, 3), repeat=3):
            d = np.linalg.norm(p + np.array(shift) @ cell - atoms.positions[i])
            if 1e-8 < d < cutoff:
                n += 1
    return n


@pytest.mark.parametrize(("cutoff", "expected"), [(3.2, 8), (3.5, 14)])
def test_ideal_bcc(cutoff, expected):
    # a = 3.43 A: 8 nearest neighbours at a sqrt(3)/2 = 2.97 A, 6 second at a = 3.43 A;
    # the paper's 3.5 A cutoff counts both shells (14), a 3.2 A cutoff only the first (8)
    atoms = bulk("Li", "bcc", a=A, cubic=True).repeat((3, 3, 3))
    counts = li_li_bonds_per_li(atoms, np.arange(len(atoms)), cutoff)
    assert np.all(counts == expected)
    assert counts[0] == brute_bonds(atoms, 0, cutoff)


def test_cell_too_small_for_minimum_image_is_refused():
    # 2 x 2 x 2 cells = 6.86 A < 2 x 3.5 A: the +a and -a second neighbours are one minimum
    # image, so the count would be 11, not the true 14 (brute force); the function refuses
    atoms = bulk("Li", "bcc", a=A, cubic=True).repeat((2, 2, 2))
    assert brute_bonds(atoms, 0, 3.5) == 14
    with pytest.raises(InputError, match="minimum image"):
        li_li_bonds_per_li(atoms, [0], 3.5)


def test_deposition_region_and_first_vs_last():
    atoms = double_slab()
    z_top = atoms.positions[atoms.arrays["region"] == "cathode", 2].max()
    # Li deposited on the cathode (lower): 4 hollow-site adatoms at one interlayer spacing
    dep = add(atoms, [[A / 2 + k * A, A / 2, z_top + D] for k in range(4)], 0.0)
    add(atoms, [[A, A, z_top + 12.0]], 0.8)  # a Li+ far above: outside a 10 A deposition region
    geom = cycle_geometry(atoms)
    got, side = deposition_atoms(atoms, geom, depth=10.0)
    assert side == "lower" and sorted(got) == sorted(dep)
    # last round: the adatoms pushed together sideways (denser) -> more bonds than in the first
    last = atoms.copy()
    last.positions[dep, 0] = A / 2 + np.arange(4) * 2.9
    summary, data = analyse_bonds([("round 1", [atoms, atoms]), ("round 2", [last, last])], geom,
                                  cutoff=3.5, depth=10.0)
    expect = {lab: np.mean([brute_bonds(a, i, 3.5) for i in dep]) for lab, a in (("round 1", atoms),
                                                                                   ("round 2", last))}
    assert summary["bonds_per_li_first_round"] == pytest.approx(expect["round 1"])
    assert summary["bonds_per_li_last_round"] == pytest.approx(expect["round 2"])
    assert summary["shows_paper_effect"] == (expect["round 2"] > expect["round 1"])
    assert summary["n_tracked_li"] == 4


def test_needs_two_rounds():
    atoms = double_slab()
    with pytest.raises(InputError, match="two ConstP rounds"):
        analyse_bonds([("round 1", [atoms])], cycle_geometry(atoms), cutoff=3.5, depth=10.0)
