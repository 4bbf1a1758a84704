"""ZBL pair table for DP-ZBL: against LAMMPS's own pair_style zbl, table layout, taper."""

from __future__ import annotations

import numpy as np
import pytest
from _deepmd_settings import paper_settings

from lidendrite.errors import InputError
from lidendrite.training.deepmd_input import build_deepmd_input
from lidendrite.training.zbl import zbl_energy, zbl_table


@pytest.mark.parametrize("z1, z2", [(3, 1), (1, 1), (6, 8)])
def test_zbl_matches_lammps_pair_zbl(tmp_path, z1, z2):
    """Two atoms in a large box: LAMMPS ``pair_style zbl`` (switching at 18-20 A, where the shift it adds is negligible)
    gives the same energy as :func:`zbl_energy` (independent implementation)."""
    from lidendrite.sampling.lammps_env import create_lammps

    lmp = create_lammps(tmp_path / "log.lammps")
    lmp.commands_string(
        "units metal\natom_style atomic\nboundary f f f\nregion box block -30 30 -30 30 -30 30\n"
        "create_box 2 box\nmass * 1.0\n"
        f"pair_style zbl 18.0 20.0\npair_coeff 1 1 {z1} {z1}\npair_coeff 1 2 {z1} {z2}\n"
        f"pair_coeff 2 2 {z2} {z2}\n"
        "create_atoms 1 single 0 0 0\ncreate_atoms 2 single 0.6 0 0\nthermo_style custom pe\n"
    )
    for r in (0.4, 0.6, 1.0, 1.5):
        lmp.command(f"set atom 2 x {r}")
        lmp.command("run 0")
        assert lmp.get_thermo("pe") == pytest.approx(float(zbl_energy(np.array([r]), z1, z2)[0]), rel=1e-6)
    lmp.close()


def test_table_layout_and_taper():
    t = zbl_table(["Li", "C", "H"], r_max=5.0, r_taper=1.5, r_zero=2.5)
    assert t.shape[1] == 1 + 6  # r, then Li-Li Li-C Li-H C-C C-H H-H
    r = t[:, 0]
    assert r[-1] == pytest.approx(5.0)
    li_h = t[:, 3]
    inner = r < 1.5
    assert np.allclose(li_h[inner], zbl_energy(r[inner], 3, 1))
    assert np.all(t[r >= 2.5, 1:] == 0)
    assert np.all(np.diff(li_h) <= 1e-12)  # purely repulsive, monotone


def test_bad_table_and_switch_inputs():
    with pytest.raises(InputError, match="Xx"):
        zbl_table(["Li", "Xx"], r_max=5.0)
    with pytest.raises(InputError, match="sw_rmin"):
        build_deepmd_input(type_map=["Li"], training_systems=["s"], sel=[10], numb_steps=10,
                           zbl={"enabled": True, "table": "t.txt", "smin_alpha": 0.1,
                                "sw_rmin": 0.8, "sw_rmax": 0.5}, **paper_settings())
    with pytest.raises(InputError, match="table"):
        build_deepmd_input(type_map=["Li"], training_systems=["s"], sel=[10], numb_steps=10,
                           zbl={"enabled": True, "smin_alpha": 0.1, "sw_rmin": 0.5, "sw_rmax": 0.7},
                           **paper_settings())


def test_ec_training_job_writes_the_table_and_deepmd_accepts_it(tmp_path):
    from lidendrite.dpqeq.active_learning import training_job
    from lidendrite.training.deepmd_input import check_with_deepmd

    cfg = paper_settings(rcut=4.5, sel=[30, 24, 32, 30, 6, 16], numb_steps=100, embedding_neuron=[4, 8],
                         fitting_neuron=[8, 8],
                         zbl={"enabled": True, "smin_alpha": 0.1, "sw_rmin": 0.5, "sw_rmax": 0.7})
    tm = ["Li", "C", "H", "O", "P", "F"]
    jdata, _, _ = training_job(["sys"], tmp_path, type_map=tm, model_cfg=cfg, seed=1)
    table = np.loadtxt(jdata["model"]["use_srtab"])
    assert table.shape[1] == 1 + 21 and table[-1, 0] >= 4.5
    assert check_with_deepmd(jdata)["model"]["sw_rmax"] == 0.7
    plain, _, _ = training_job(["sys"], tmp_path / "plain", type_map=tm,
                               model_cfg={**cfg, "zbl": {"enabled": False}}, seed=1)
    assert "use_srtab" not in plain["model"]


def test_with_zbl_table_writes_the_table_only_when_enabled(tmp_path):
    """The lpsc DP-GEN and final trainings get the table through with_zbl_table:
    enabled -> a table out past rcut whose path the deepmd input names; off -> no file."""
    from lidendrite.training.zbl import with_zbl_table

    base = paper_settings(rcut=6.0, sel=[4, 4, 4, 4], numb_steps=10,
                          zbl={"enabled": True, "smin_alpha": 0.1, "sw_rmin": 1.0, "sw_rmax": 1.6})
    cfg = with_zbl_table(base, ["Li", "P", "S", "Cl"], tmp_path / "on")
    table = np.loadtxt(cfg["zbl"]["table"])
    assert table[-1, 0] == pytest.approx(7.0) and table.shape[1] == 1 + 4 * 5 // 2
    assert "table" not in base["zbl"]  # the caller's config is not modified
    jdata = build_deepmd_input(type_map=["Li", "P", "S", "Cl"], training_systems=[], for_dpgen=True, **cfg)
    assert jdata["model"]["use_srtab"] == cfg["zbl"]["table"] and jdata["model"]["sw_rmax"] == 1.6
    off = with_zbl_table({"rcut": 6.0, "zbl": {"enabled": False}}, ["Li"], tmp_path / "off")
    assert "table" not in off["zbl"] and not (tmp_path / "off").exists()
