"""The ec ConstP bias as one setting (lidendrite.qeq.bias): the config block, the split plane."""

from __future__ import annotations

import numpy as np
import pytest

from lidendrite.config import load_config, schema_default
from lidendrite.constp.electrodes import swap_electrodes
from lidendrite.errors import InputError
from lidendrite.qeq.bias import ElectrodeBias, electrode_sides
from lidendrite.structures.ec import builder_kwargs, ec_toy_capacitor


@pytest.fixture(scope="module")
def cfg():
    return load_config("ci")


@pytest.fixture(scope="module")
def capacitor(cfg):
    s = cfg["ec"]["structures"]
    return ec_toy_capacitor(gap=20.0, **builder_kwargs(s, "toy_capacitor", ec_toy_capacitor))


def test_one_block_sets_every_consumer(cfg):
    bias = ElectrodeBias.from_config(cfg["ec"]["bias"])
    assert bias.phi_anode == schema_default("ec.bias.phi_anode")
    assert bias.rule() == {"cn_cutoff": schema_default("ec.bias.cn_cutoff"),
                           "cn_metal": schema_default("ec.bias.cn_metal"),
                           "cn_rule": schema_default("ec.bias.cn_rule")}
    # no other ec block carries a potential or a CN rule of its own
    for block in ("validation", "dpqeq", "constp"):
        assert not {"phi_anode", "phi_cathode", "phi_lower", "phi_upper", "cn_rule"} & set(cfg["ec"][block])
    assert not {"cn_cutoff", "cn_metal", "cn_rule"} & set(cfg["ec"]["constp"]["bias_study"])


def test_a_series_overrides_only_the_cn_rule(cfg):
    s12 = cfg["ec"]["constp"]["series"]["s12"]
    bias = ElectrodeBias.from_config(cfg["ec"]["bias"], s12)
    assert (bias.cn_cutoff, bias.cn_metal, bias.cn_rule) == (s12["cn_cutoff"], s12["cn_metal"], s12["cn_rule"])
    assert bias.phi_anode == cfg["ec"]["bias"]["phi_anode"]
    main = ElectrodeBias.from_config(cfg["ec"]["bias"], cfg["ec"]["constp"]["series"]["main"])
    assert main == ElectrodeBias.from_config(cfg["ec"]["bias"])


def test_split_plane_lies_in_the_middle_of_the_gap_of_two_equal_slabs(capacitor):
    lower, upper, split = electrode_sides(capacitor)
    reg = capacitor.arrays["region"].astype(str)
    z = capacitor.positions[:, 2]
    assert (reg == lower).sum() == (reg == upper).sum()
    # two equal slabs: the midpoint of the centroids is the middle of the gap
    assert split == pytest.approx(0.5 * (z[reg == lower].max() + z[reg == upper].min()), abs=1e-9)
    # moving every atom along z moves the plane with them
    moved = capacitor.copy()
    moved.positions[:, 2] += 1.25
    assert electrode_sides(moved)[2] == pytest.approx(split + 1.25)


def test_a_li_that_left_its_electrode_barely_moves_the_plane(capacitor):
    """In MD an electrode Li can cross into the other electrode's half and keep its label: the
    plane moves by its displacement over the electrode's atom count, and no error is raised."""
    lower, upper, split = electrode_sides(capacitor)
    reg = capacitor.arrays["region"].astype(str)
    atoms = capacitor.copy()
    k = int(np.flatnonzero(reg == lower)[0])
    dz = (split + 3.0) - atoms.positions[k, 2]
    atoms.positions[k, 2] += dz  # now on the far side of the plane
    assert electrode_sides(atoms)[2] == pytest.approx(split + 0.5 * dz / (reg == lower).sum())


def test_swapping_the_labels_swaps_the_potentials_not_the_plane(capacitor):
    bias = ElectrodeBias(-2.0, 6.0, 3.5, 8, "authors")
    a = bias.sides(capacitor)
    b = bias.sides(swap_electrodes(capacitor))
    assert (a["phi_lower"], a["phi_upper"]) == (b["phi_upper"], b["phi_lower"])
    assert a["split_z"] == b["split_z"]
    assert bias.with_potentials(-1.0, 7.0).sides(capacitor)["split_z"] == a["split_z"]


@pytest.mark.parametrize(
    "block, message",
    [
        ({"cn_rule": "loose"}, "ec.bias.cn_rule: 'loose' is not paper or authors"),
        ({"phi_anode": float("nan")}, "ec.bias.phi_anode: nan is not a finite number"),
        ({"cn_cutoff": 0.0}, "ec.bias.cn_cutoff: 0.0 must be > 0"),
    ],
)
def test_bad_bias_is_a_one_line_error(cfg, block, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(")):
        ElectrodeBias.from_config({**cfg["ec"]["bias"], **block})


def test_electrodes_at_one_height_have_no_plane(capacitor):
    atoms = capacitor.copy()
    atoms.positions[:, 2] = atoms.cell[2, 2] / 2
    with pytest.raises(InputError, match="same mean z"):
        electrode_sides(atoms)
