"""Claims on fp task folders (``lidendrite label --siblings``): exclusive, released, stale ones taken over."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest
from ase.build import bulk
from ase.io import read, write

from lidendrite.cli import main
from lidendrite.labeling.task_claims import claimed, lock_path, try_claim, wait_for_output


def test_a_claim_is_exclusive_and_released(tmp_path):
    out = tmp_path / "labeled.extxyz"
    with claimed(out) as first:
        assert first and lock_path(out).is_file()
        assert not try_claim(out)  # this process holds it: a second claim fails
    assert not lock_path(out).exists()
    out.write_text("done")
    assert not try_claim(out)  # nothing left to label
    assert wait_for_output(out)


def test_a_claim_of_a_killed_process_is_taken_over(tmp_path):
    out = tmp_path / "labeled.extxyz"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock_path(out).write_text(f"{socket.gethostname()} {dead.pid}\n")
    assert not wait_for_output(out)  # the holder is gone, no output: label it yourself
    assert try_claim(out)
    assert lock_path(out).read_text().split() == [socket.gethostname(), str(os.getpid())]


def test_a_claim_from_another_host_is_never_judged_stale(tmp_path):
    out = tmp_path / "labeled.extxyz"
    lock_path(out).write_text("some-other-node 1\n")
    assert not try_claim(out)


def _tasks(root, n):
    a = bulk("Li", "bcc", a=3.44, cubic=True).repeat(2)
    dirs = []
    for k in range(n):
        d = root / f"task.000.{k:06d}"
        d.mkdir()
        b = a.copy()
        b.rattle(0.05, seed=k)
        write(d / "input.vasp", b, format="vasp", direct=True)
        dirs.append(d)
    return dirs


@pytest.mark.slow
def test_siblings_are_labelled_by_the_first_call(tmp_path, capsys, monkeypatch):
    """One call labels its own and both sibling tasks; the siblings' calls then load nothing."""
    settings = tmp_path / "labeller.json"
    settings.write_text(json.dumps({"labeller": "teacher", "settings": {"threads": 1}}))
    dirs = _tasks(tmp_path, 3)
    # a sibling claimed by a live process (this one) is left alone
    held = dirs[2] / "labeled.extxyz"
    assert try_claim(held)
    args = ["label", "--settings", str(settings), "--in", "input.vasp", "--out", "labeled.extxyz",
            "--siblings", "../task.*"]
    monkeypatch.chdir(dirs[1])
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert (dirs[0] / "labeled.extxyz").is_file() and (dirs[1] / "labeled.extxyz").is_file()
    assert not held.exists() and printed.count("eV (teacher") == 2
    assert list(tmp_path.rglob("*.lock")) == [lock_path(held)]  # only the held claim is left
    # every frame labelled from its own input, not a neighbour's
    for d in dirs[:2]:
        assert read(d / "labeled.extxyz").positions == pytest.approx(
            read(d / "input.vasp").positions, abs=1e-6)
    # dirs[0]'s own call: its output is there, it returns without labelling
    monkeypatch.chdir(dirs[0])
    lock_path(held).unlink()
    (dirs[2] / "input.vasp").rename(dirs[2] / "input.later")  # nothing else to steal
    assert main(args) == 0
    assert capsys.readouterr().out == ""
