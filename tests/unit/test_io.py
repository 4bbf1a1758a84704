"""Readers of run files in lidendrite.io: what each puts back, and the errors on bad files."""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms
from ase.io import write

from lidendrite.errors import InputError
from lidendrite.io.colvar import read_colvar
from lidendrite.io.lammps_dump import frame_steps, read_frames
from lidendrite.io.trajectory import read_charge_frames

DUMP_FRAME = """ITEM: TIMESTEP
{step}
ITEM: NUMBER OF ATOMS
2
ITEM: BOX BOUNDS pp pp pp
0.0 10.0
0.0 10.0
0.0 10.0
ITEM: ATOMS id type element x y z
1 1 Li {x} 0.0 0.0
2 2 S 2.0 2.0 2.0
"""


def _start() -> Atoms:
    start = Atoms("LiS", positions=[[0.0, 0.0, 0.0], [2.0, 2.0, 2.0]], cell=[10, 10, 10], pbc=True)
    start.new_array("region", np.array(["anode", "electrolyte"]))
    start.new_array("layer", np.array([1, -1]))
    return start


def test_read_colvar_columns_by_field(tmp_path):
    path = tmp_path / "COLVAR"
    path.write_text("#! FIELDS time cv mr.cv_cntr\n#! SET min_cv 0\n0.0 1.5 1.0\n0.1 1.25 1.1\n")
    col = read_colvar(path)
    assert list(col) == ["time", "cv", "mr.cv_cntr"]
    np.testing.assert_array_equal(col["cv"], [1.5, 1.25])


def test_read_colvar_needs_the_fields_header(tmp_path):
    path = tmp_path / "COLVAR"
    path.write_text("0.0 1.5\n")
    with pytest.raises(InputError, match="FIELDS"):
        read_colvar(path)


def test_read_charge_frames_puts_charges_back(tmp_path):
    frames = []
    for shift in (0.0, 0.5):
        a = _start()
        a.positions[0, 0] += shift
        a.new_array("charges", np.array([0.25 + shift, -0.25 - shift]))
        frames.append(a)
    path = tmp_path / "charges.extxyz"
    write(path, frames, format="extxyz")
    back = read_charge_frames(path)
    assert len(back) == 2
    for a, b in zip(frames, back, strict=True):
        np.testing.assert_allclose(b.arrays["charges"], a.arrays["charges"])
        assert b.calc is None
        assert list(b.arrays["region"]) == ["anode", "electrolyte"]


def test_read_charge_frames_refuses_frames_without_charges(tmp_path):
    path = tmp_path / "plain.extxyz"
    write(path, _start(), format="extxyz")
    with pytest.raises(InputError, match="without QEq charges"):
        read_charge_frames(path)


def test_lammps_dump_frames_carry_the_start_arrays(tmp_path):
    dump = tmp_path / "traj.dump"
    dump.write_text(DUMP_FRAME.format(step=0, x=0.0) + DUMP_FRAME.format(step=500, x=0.5))
    start = _start()
    assert frame_steps(dump) == [0, 500]
    frames = read_frames(dump, start)
    assert [f.info["step"] for f in frames] == [0, 500]
    last = read_frames(dump, start, index=-1)
    assert last.info["step"] == 500
    np.testing.assert_allclose(last.positions[0], [0.5, 0.0, 0.0])
    assert list(last.arrays["region"]) == ["anode", "electrolyte"]
    np.testing.assert_array_equal(last.arrays["start_positions"], start.positions)


def test_lammps_dump_must_match_the_start(tmp_path):
    dump = tmp_path / "traj.dump"
    dump.write_text(DUMP_FRAME.format(step=0, x=0.0))
    other = Atoms("LiCl", positions=[[0, 0, 0], [2, 2, 2]], cell=[10, 10, 10])
    other.new_array("region", np.array(["anode", "electrolyte"]))
    other.new_array("layer", np.array([1, -1]))
    with pytest.raises(InputError, match="does not match"):
        read_frames(dump, other)
    with pytest.raises(InputError, match="does not exist"):
        read_frames(tmp_path / "missing.dump", other)
