"""The rule-script wrapper: output to the rule's log, a one-line error for bad input."""

from __future__ import annotations

import sys
from types import SimpleNamespace

import pytest

from lidendrite.errors import InputError
from lidendrite.workflow import run_rule


@pytest.fixture
def restore_streams():
    out, err = sys.stdout, sys.stderr
    yield
    sys.stdout, sys.stderr = out, err


def test_output_goes_to_the_log(tmp_path, restore_streams):
    smk = SimpleNamespace(log=[str(tmp_path / "rule.log")])
    run_rule(smk, lambda s: print("thermo line"), "demo_rule")
    sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    assert (tmp_path / "rule.log").read_text() == "thermo line\n"


def test_bad_input_exits_with_one_line_naming_the_rule(tmp_path, restore_streams, capfd):
    smk = SimpleNamespace(log=[str(tmp_path / "rule.log")])

    def run(_):
        raise InputError("structure.extxyz: atom 7 has no 'region'")

    with pytest.raises(SystemExit) as stop:
        run_rule(smk, run, "demo_rule")
    sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    assert stop.value.code == 1
    assert (tmp_path / "rule.log").read_text() == "error: structure.extxyz: atom 7 has no 'region'\n"
    err = capfd.readouterr().err
    assert err.strip() == "demo_rule: error: structure.extxyz: atom 7 has no 'region'"
