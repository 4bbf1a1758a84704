"""Neighbour counts of training data against ``sel`` (lidendrite.training.neighbours).

Checked against the analytic shells of BCC Li: with lattice constant a, 8
neighbours at a*sqrt(3)/2 and 6 at a, so 14 within 1.1 a and 8 within 0.95 a,
for every atom and whatever the rattle of a few hundredths of an Angstrom.
"""

from __future__ import annotations

import numpy as np
import pytest

from lidendrite.errors import InputError
from lidendrite.training.neighbours import check_sel, max_neighbours, sel_warnings

A = 3.44  # Angstrom


def bcc_system(path, n_frames=4, rattle=0.02):
    """A deepmd/npy system of a 3x3x3 BCC Li supercell (54 atoms), rattled frames."""
    from ase.build import bulk

    atoms = bulk("Li", "bcc", a=A, cubic=True).repeat((3, 3, 3))
    rng = np.random.default_rng(0)
    coords = [atoms.positions + rng.normal(scale=rattle, size=atoms.positions.shape) for _ in range(n_frames)]
    (path / "set.000").mkdir(parents=True)
    np.save(path / "set.000" / "coord.npy", np.array(coords).reshape(n_frames, -1))
    np.save(path / "set.000" / "box.npy", np.tile(atoms.cell.array.reshape(-1), (n_frames, 1)))
    (path / "type.raw").write_text("0\n" * len(atoms))
    (path / "type_map.raw").write_text("Li\n")
    return path


def test_counts_are_the_bcc_shells(tmp_path):
    s = bcc_system(tmp_path / "li")
    assert max_neighbours(s, ["Li"], 1.1 * A).tolist() == [14]
    assert max_neighbours(s, ["Li"], 0.95 * A).tolist() == [8]
    # an element of the type map absent from the system has no neighbours
    assert max_neighbours(s, ["P", "Li"], 1.1 * A).tolist() == [0, 14]


def test_sel_below_the_count_warns_naming_element_and_system(tmp_path):
    s = bcc_system(tmp_path / "li")
    assert sel_warnings([s], ["Li"], 1.1 * A, [14]) == []
    (line,) = sel_warnings([s], ["Li"], 1.1 * A, [10])
    assert "Li has up to 14 neighbours" in line and str(s) in line and "sel keeps 10" in line
    jdata = {
        "model": {"type_map": ["Li"], "descriptor": {"sel": [10], "rcut": 1.1 * A}},
        "training": {"training_data": {"systems": ["li"]}},
    }
    assert len(check_sel(jdata, tmp_path)) == 1
    jdata["model"]["descriptor"]["sel"] = "auto"  # deepmd-kit's own choice: nothing to check
    assert check_sel(jdata, tmp_path) == []


def test_unknown_element_and_empty_system_are_one_line_errors(tmp_path):
    s = bcc_system(tmp_path / "li")
    with pytest.raises(InputError, match=r"\['Li'\] not in type_map"):
        max_neighbours(s, ["P", "S"], 3.0)
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "type.raw").write_text("0\n")
    (tmp_path / "empty" / "type_map.raw").write_text("Li\n")
    with pytest.raises(InputError, match="no set"):
        max_neighbours(tmp_path / "empty", ["Li"], 3.0)


def test_counts_follow_a_rewritten_system(tmp_path):
    """Counts are reused for an unchanged system, recounted once its files change."""
    import os

    s = bcc_system(tmp_path / "li")
    assert max_neighbours(s, ["Li"], 1.1 * A).tolist() == [14]
    coord = s / "set.000" / "coord.npy"
    squeezed = np.load(coord) * 0.7  # same cell, atoms pulled together: more neighbours within the cutoff
    np.save(coord, squeezed)
    st = coord.stat()
    os.utime(coord, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))  # a distinct mtime on any filesystem
    assert max_neighbours(s, ["Li"], 1.1 * A).tolist()[0] > 14
