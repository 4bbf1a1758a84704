"""lidendrite.io.jsonfile: atomic JSON writes, numpy values, one-line read errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lidendrite.errors import InputError
from lidendrite.io.jsonfile import read_json, write_json


def test_round_trip_with_numpy_values(tmp_path):
    data = {
        "f64": np.float64(1.25),
        "f32": np.float32(0.5),
        "i64": np.int64(7),
        "flag": np.bool_(True),
        "array": np.arange(6, dtype=float).reshape(2, 3),
        "ints": np.array([1, 2, 3], dtype=np.int32),
        "pair": (1, "a"),
        "path": Path("/tmp/x.json"),
        "nested": {"list": [np.float64(2.0), None, "s"]},
        np.int64(3): "numpy key",
        4: "int key",
    }
    path = write_json(data, tmp_path / "sub" / "out.json")
    assert path == tmp_path / "sub" / "out.json"
    text = path.read_text()
    assert text.endswith("}\n")
    assert "\n  " in text  # indent=2
    assert read_json(path) == {
        "f64": 1.25,
        "f32": 0.5,
        "i64": 7,
        "flag": True,
        "array": [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]],
        "ints": [1, 2, 3],
        "pair": [1, "a"],
        "path": "/tmp/x.json",
        "nested": {"list": [2.0, None, "s"]},
        "3": "numpy key",
        "4": "int key",
    }
    assert [p.name for p in path.parent.iterdir()] == ["out.json"]


def test_indent_and_accepts_str_path(tmp_path):
    path = write_json([1, 2], str(tmp_path / "a.json"), indent=None)
    assert isinstance(path, Path)
    assert path.read_text() == "[1, 2]\n"


class _Opaque:
    def __str__(self) -> str:
        return "opaque!"


def test_unknown_type_raises_unless_default(tmp_path):
    with pytest.raises(TypeError, match="_Opaque"):
        write_json({"x": _Opaque()}, tmp_path / "a.json")
    assert not (tmp_path / "a.json").exists()
    path = write_json({"x": _Opaque(), "y": [_Opaque()]}, tmp_path / "a.json", default=str)
    assert json.loads(path.read_text()) == {"x": "opaque!", "y": ["opaque!"]}


class _Boom:
    pass


def _explode(obj):
    raise TypeError(f"cannot serialise {type(obj).__name__}")


def test_failed_write_leaves_the_old_file_and_no_temp(tmp_path):
    path = tmp_path / "summary.json"
    write_json({"ok": 1}, path)
    before = path.read_bytes()
    # fails in the conversion (unknown type) ...
    with pytest.raises(TypeError):
        write_json({"ok": 2, "bad": [1, _Boom()]}, path)
    # ... in a caller's default ...
    with pytest.raises(TypeError, match="cannot serialise _Boom"):
        write_json({"ok": 3, "bad": _Boom()}, path, default=_explode)
    # ... and in json itself (a key it cannot write)
    with pytest.raises(TypeError):
        write_json({(1, 2): "tuple key"}, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.json"]


def test_failed_rename_removes_the_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "summary.json"
    write_json({"ok": 1}, path)

    def fail(src, dst):
        raise OSError("disk gone")

    monkeypatch.setattr("lidendrite.io.jsonfile.os.replace", fail)
    with pytest.raises(OSError, match="disk gone"):
        write_json({"ok": 2}, path)
    assert read_json(path) == {"ok": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.json"]


def test_read_missing_file_names_it(tmp_path):
    path = tmp_path / "nope.json"
    with pytest.raises(InputError, match="nope.json") as err:
        read_json(path)
    assert "\n" not in str(err.value)


def test_read_malformed_json_names_file_line_and_column(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{\n  "a": 1,\n  "b": \n}\n')
    with pytest.raises(InputError) as err:
        read_json(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}:4:1:")
    assert "not valid JSON" in msg
    assert "\n" not in msg


def test_read_truncated_json(tmp_path):
    """What a writer killed half-way used to leave behind is reported, not half-read."""
    path = tmp_path / "half.json"
    path.write_text('{"a": [1, 2')
    with pytest.raises(InputError, match="half.json:1:"):
        read_json(path)
