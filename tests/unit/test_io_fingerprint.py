"""lidendrite.io.fingerprint: equal inputs give equal digests, any change that matters changes them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from ase import Atoms

from lidendrite.errors import InputError
from lidendrite.io.fingerprint import atoms_digest, digest, encode_atoms, file_digest


def _atoms() -> Atoms:
    return Atoms("LiS", positions=[[0.1, 0.2, 0.3], [2.0, 2.0, 2.0]], cell=[10, 10, 12], pbc=True)


@dataclass
class _Settings:
    timestep_fs: float
    extra: dict


def test_file_digest_is_sha256_of_bytes_and_sees_one_changed_byte(tmp_path):
    f = tmp_path / "model.pb"
    data = bytes(range(256)) * 5000  # more than one read block
    f.write_bytes(data)
    assert file_digest(f) == hashlib.sha256(data).hexdigest()
    assert file_digest(str(f)) == file_digest(f)
    changed = bytearray(data)
    changed[-1] ^= 1
    f.write_bytes(bytes(changed))
    assert file_digest(f) != hashlib.sha256(data).hexdigest()


def test_missing_file_is_a_one_line_input_error_naming_it(tmp_path):
    missing = tmp_path / "gone.pb"
    with pytest.raises(InputError) as err:
        file_digest(missing, "model file")
    msg = str(err.value)
    assert "\n" not in msg and str(missing) in msg and msg.startswith("model file ")
    with pytest.raises(InputError, match="does not exist"):
        file_digest(tmp_path)  # a folder is not a file either


def test_digest_ignores_key_order_and_sees_every_value():
    a = {"kappa_ev": 2.0, "groups": {"li": [1, 2], "s": [3]}, "n_steps": 100}
    b = {"n_steps": 100, "groups": {"s": [3], "li": [1, 2]}, "kappa_ev": 2.0}
    assert digest(a) == digest(b)
    assert len(digest(a)) == 64 and int(digest(a), 16) >= 0
    assert digest({**a, "kappa_ev": 2.5}) != digest(a)
    assert digest({**a, "groups": {"li": [2, 1], "s": [3]}}) != digest(a)  # list order counts
    assert digest({**a, "extra": None}) != digest(a)


def test_digest_encodes_paths_numpy_dataclasses_and_atoms():
    s = _Settings(timestep_fs=1.0, extra={"path": Path("/data/sys"), "mask": np.array([1, 0, 1])})
    plain = {"timestep_fs": 1.0, "extra": {"path": "/data/sys", "mask": [1, 0, 1]}}
    assert digest(s) == digest(plain)
    assert digest(_Settings(2.0, s.extra)) != digest(s)
    assert digest([np.float32(0.5), np.int64(3), np.bool_(True)]) == digest([0.5, 3, True])
    atoms = _atoms()
    assert digest({"start": atoms}) == digest({"start": encode_atoms(atoms)})
    with pytest.raises(TypeError, match="object"):
        digest({"x": object()})


def test_atoms_digest_rounds_positions_and_cell_to_the_given_decimals():
    a, b = _atoms(), _atoms()
    assert atoms_digest(a, 5) == atoms_digest(b, 5)
    b.positions[0, 0] += 1e-8  # below the rounding
    assert atoms_digest(a, 5) == atoms_digest(b, 5)
    assert atoms_digest(a) != atoms_digest(b)  # no rounding: every bit counts
    b.positions[0, 0] += 1e-3  # beyond it
    assert atoms_digest(a, 5) != atoms_digest(b, 5)
    c = _atoms()
    c.set_cell([10, 10, 12.01])
    assert atoms_digest(a, 5) != atoms_digest(c, 5)
    d = _atoms()
    d.set_chemical_symbols(["Li", "P"])
    assert atoms_digest(a, 5) != atoms_digest(d, 5)
    # extra per-atom arrays and momenta are not part of a structure's digest
    e = _atoms()
    e.set_momenta(np.ones((2, 3)))
    e.set_array("region", np.array(["anode", "sei"]))
    assert atoms_digest(a, 5) == atoms_digest(e, 5)
