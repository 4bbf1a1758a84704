"""deepmd-kit input builder: checked against deepmd-kit's own argument checker."""

from __future__ import annotations

import pytest
from _deepmd_settings import paper_settings

from lidendrite.errors import InputError
from lidendrite.training.deepmd_input import build_deepmd_input, check_with_deepmd

# the paper's lpsc networks and loss from config/paper.yaml (the builder has no defaults)
LPSC = dict(
    type_map=["Li", "P", "S", "Cl"], **paper_settings(sel=[90, 20, 60, 20], numb_steps=400_000)
)


def test_paper_networks_pass_deepmd_argcheck():
    """The lpsc SI 2.2 settings form an input deepmd-kit itself accepts unchanged."""
    jdata = build_deepmd_input(training_systems=["data/sys0"], **LPSC)
    norm = check_with_deepmd(jdata)
    d = norm["model"]["descriptor"]
    assert d["type"] == "se_e2_a"
    assert d["neuron"] == [25, 50, 100]
    assert norm["model"]["fitting_net"]["neuron"] == [240, 240, 240]
    assert norm["learning_rate"]["type"] == "exp"
    assert norm["learning_rate"]["start_lr"] == 1e-3
    assert norm["learning_rate"]["stop_lr"] == 5e-8
    assert norm["training"]["training_data"]["systems"] == ["data/sys0"]


def test_decay_steps_capped_at_numb_steps():
    jdata = build_deepmd_input(training_systems=["s"], **{**LPSC, "numb_steps": 100})
    assert jdata["learning_rate"]["decay_steps"] == 100
    check_with_deepmd(jdata)


def test_validation_systems_written():
    jdata = build_deepmd_input(training_systems=["a"], validation_systems=["b"], **LPSC)
    assert jdata["training"]["validation_data"]["systems"] == ["b"]
    check_with_deepmd(jdata)


def test_fast_cpu_options_reach_both_nets():
    """float32 and one-side embedding (the ci/demo choice) land in descriptor and fitting net."""
    jdata = build_deepmd_input(training_systems=["s"], precision="float32", type_one_side=True, **LPSC)
    norm = check_with_deepmd(jdata)
    assert norm["model"]["descriptor"]["precision"] == "float32"
    assert norm["model"]["descriptor"]["type_one_side"] is True
    assert norm["model"]["fitting_net"]["precision"] == "float32"
    default = build_deepmd_input(training_systems=["s"], **LPSC)["model"]
    assert default["descriptor"]["precision"] == default["fitting_net"]["precision"] == "float64"
    assert default["descriptor"]["type_one_side"] is False


@pytest.mark.parametrize(
    "kwargs, needle",
    [
        (dict(training_systems=[], **LPSC), "training_systems"),
        (dict(training_systems=["a"], **{**LPSC, "sel": [90, 20, 60]}), "sel"),
        (dict(training_systems=["a"], **{**LPSC, "type_map": []}), "type_map"),
        (dict(training_systems=["a"], **{**LPSC, "rcut": 0.4, "rcut_smth": 0.5}), "rcut"),
        (dict(training_systems=["a"], **{**LPSC, "stop_lr": 1e-2}), "stop_lr"),
        (dict(training_systems=["a"], **{**LPSC, "fitting_neuron": ()}), "fitting_neuron"),
        (dict(training_systems=["a"], precision="float16", **LPSC), "precision"),
    ],
)
def test_bad_input_one_line_error(kwargs, needle):
    with pytest.raises(InputError) as err:
        build_deepmd_input(**kwargs)
    msg = str(err.value)
    assert needle in msg and "\n" not in msg


def test_dpgen_template_may_have_no_systems():
    jdata = build_deepmd_input(training_systems=[], for_dpgen=True, **LPSC)
    assert jdata["training"]["training_data"]["systems"] == []


def test_deepmd_checker_reports_unknown_key_in_one_line():
    jdata = build_deepmd_input(training_systems=["a"], **LPSC)
    jdata["model"]["descriptor"]["no_such_key"] = 1
    with pytest.raises(InputError) as err:
        check_with_deepmd(jdata)
    assert "\n" not in str(err.value)
