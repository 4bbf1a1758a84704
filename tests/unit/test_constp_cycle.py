"""The ec ConstP cycle stages (lidendrite.constp.cycle / stages) on a hand-made double interface.

Calculator: the real QEq engine (ec Table S1, ConstQ/ConstP with the CN rule) plus a
weak Lennard-Jones short-range part standing in for DP_short (only to keep the MD
cheap; nothing here judges the short-range physics). Hand-made cell: two BCC Li(100)
slabs (3 x 3 x 4, a = 3.43 A; the outermost layer of each fixed) facing each other
across a 14 A gap that holds a Li adatom on the upper surface (CN_Li-Li = 5 within
3.5 A: not metallic), an isolated Li+ and an O and an F (labelled electrolyte).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from ase import Atoms
from ase.build import bcc100
from ase.calculators.lj import LennardJones
from ase.neighborlist import neighbor_list

pytest.importorskip("jax")

from lidendrite.constp.cycle import (  # noqa: E402
    bias_key,
    frame_stats,
    run_stage,
    summarise_stage,
)
from lidendrite.constp.electrodes import frame_charges, swap_electrodes  # noqa: E402
from lidendrite.constp.stages import bias_study_summary, md_settings  # noqa: E402
from lidendrite.errors import InputError  # noqa: E402
from lidendrite.md.driver import read_frames  # noqa: E402
from lidendrite.qeq.bias import ElectrodeBias  # noqa: E402
from lidendrite.qeq.calculator import QEqCalculator, ShortPlusQEqCalculator  # noqa: E402

A = 3.43
REPO = Path(__file__).resolve().parents[2]
CFG = {  # ec.constp-like block, tiny
    "timestep_fs": 0.5,
    "temperature_K": 300.0,
    "tdamp_fs": 10.0,
    "tchain": 3,
    "qeq_every": 1,
    "sample_every": 2,
    "restart_every": 2,
    "log_every": 100,
    "seed": 3,
}


def _cell(n_layers_upper: int = 4):
    lower = bcc100("Li", size=(3, 3, 4), a=A, orthogonal=True)
    lower.positions[:, 2] += 2.0 - lower.positions[:, 2].min()
    upper = bcc100("Li", size=(3, 3, n_layers_upper), a=A, orthogonal=True)
    gap = 14.0
    upper.positions[:, 2] += lower.positions[:, 2].max() + gap - upper.positions[:, 2].min()
    zu = upper.positions[:, 2]
    x0, y0 = upper.positions[np.argmin(zu), :2]
    zmid = 0.5 * (lower.positions[:, 2].max() + zu.min())
    extra = Atoms(
        "LiLiOF",
        positions=[
            [x0 + A / 2, y0 + A / 2, zu.min() - A / 2],  # hollow-site adatom: CN 4 + 1 = 5
            [4.0, 4.0, zmid],
            [1.0, 6.0, zmid + 1.5],
            [7.0, 2.0, zmid - 1.5],
        ],
    )
    atoms = lower + upper + extra
    atoms.set_cell([lower.cell[0, 0], lower.cell[1, 1], zu.max() + 12.0])
    atoms.pbc = True
    nl, nu = len(lower), len(upper)
    region = ["cathode"] * nl + ["anode"] * nu + ["anode"] + ["electrolyte"] * 3
    atoms.set_array("region", np.array(region, dtype="U16"))
    z = atoms.positions[:, 2]
    fixed = np.zeros(len(atoms), bool)
    fixed[:nl] = z[:nl] < lower.positions[:, 2].min() + 0.5  # outermost layers
    fixed[nl : nl + nu] = z[nl : nl + nu] > zu.max() - 0.5
    atoms.set_array("fixed", fixed)
    atoms.set_array("layer", np.full(len(atoms), -1))
    return atoms, nl, nu


class _ShortQEq(ShortPlusQEqCalculator):
    """LJ + QEq that passes the solver's per-atom bias and honours hold_charges."""

    def calculate(self, *args, **kwargs):
        super().calculate(*args, **kwargs)
        self.results["phi"] = np.asarray(self.qeq.results["phi"])

    @property
    def hold_charges(self):
        return self.qeq.hold_charges

    @hold_charges.setter
    def hold_charges(self, value):
        self.qeq.hold_charges = value


def _factory(**qeq):
    def make(settings):
        q = QEqCalculator(params="ec", **{"tol": 1e-8, **qeq}, **settings)
        return _ShortQEq(LennardJones(sigma=2.0, epsilon=0.005, rc=5.0, smooth=True), q)

    return make


def _run(atoms, tmp, name, mode, n_steps=4, phi_anode=None, phi_cathode=None, cn_cutoff=3.5,
         cn_metal=8, cn_rule="paper", **kw):
    md = md_settings(CFG, "nvt", n_steps, confine_z=True)
    if phi_anode is not None:
        kw["bias"] = ElectrodeBias(phi_anode, phi_cathode, cn_cutoff, cn_metal, cn_rule)
    out = tmp / name
    res = run_stage(
        atoms,
        mode=mode,
        md=md,
        traj=out / "traj.extxyz",
        final=out / "final.extxyz",
        workdir=out / "work",
        calc_factory=kw.pop("factory", _factory()),
        name=name,
        **kw,
    )
    return res, read_frames(out / "traj.extxyz"), out


def _cn(atoms, cutoff):
    i, j = neighbor_list("ij", atoms, cutoff)
    li = np.array(atoms.get_chemical_symbols()) == "Li"
    hit = li[i] & li[j]
    return np.bincount(i[hit], minlength=len(atoms)) * li


def test_charge_neutral_in_every_frame_constq_and_constp(tmp_path):
    atoms, _, _ = _cell()
    _, fq, out = _run(atoms, tmp_path, "constq", "constq")
    start = read_frames(out / "final.extxyz")[-1]
    _, fp, _ = _run(
        start, tmp_path, "round1", "constp", phi_anode=-2.0, phi_cathode=6.0, info={"round": 1}
    )
    assert len(fq) == len(fp) == 3
    for f in fq + fp:
        # both ConstQ and ConstP solve with sum Q = 0 (eq. 7; the engine projects every
        # CG step onto the constraint); extended XYZ stores charges with 8 decimals, so
        # the file's sum is zero within n x 0.5e-8 e
        assert abs(frame_charges(f).sum()) <= len(f) * 0.5e-8
    assert all(f.info["mode"] == "constq" for f in fq)
    assert all(f.info["mode"] == "constp" and f.info["round"] == 1 for f in fp)
    assert np.all(fq[-1].arrays["bias"] == 0)
    assert {"time_ps", "step", "phi_anode", "phi_cathode", "energy", "temperature_K"} <= set(
        fp[-1].info
    )


def test_bias_is_exactly_the_cn_rule_selection(tmp_path):
    atoms, nl, nu = _cell()
    _, frames, _ = _run(atoms, tmp_path, "r", "constp", phi_anode=-2.0, phi_cathode=6.0)
    split = frames[0].info["split_z"]
    for f in frames:
        cn = _cn(f, 3.5)  # independent count (ASE neighbour list)
        metallic = cn > 8  # "more than 8" (eq. 6)
        expect = np.where(metallic, np.where(f.positions[:, 2] < split, 6.0, -2.0), 0.0)
        assert np.array_equal(f.arrays["bias"], expect)
    f0 = frames[0]
    adatom, li_ion = nl + nu, nl + nu + 1
    assert _cn(f0, 3.5)[adatom] == 5 and f0.arrays["bias"][adatom] == 0  # not metallic
    assert f0.arrays["bias"][li_ion] == 0
    assert np.all(f0.arrays["bias"][:nl] == 6.0)  # lower slab = cathode: +6 V
    assert np.all(f0.arrays["bias"][nl : nl + nu] == -2.0)  # upper slab = anode: -2 V


def test_s12_rule_3p3_angstrom(tmp_path):
    """With 3.3 A the (100) surface has CN 4 and the interior exactly 8: cn_metal 7 (CN >= 8)
    biases the interior, the paper's literal CN > 8 nothing (the schema's s12 choice)."""
    atoms, nl, nu = _cell()
    _, frames, _ = _run(
        atoms,
        tmp_path,
        "s12",
        "constp",
        n_steps=2,
        phi_anode=-2.0,
        phi_cathode=6.0,
        cn_cutoff=3.3,
        cn_metal=7,
    )
    f0 = frames[0]
    cn = _cn(f0, 3.3)
    assert np.array_equal(f0.arrays["bias"] != 0, cn >= 8)
    assert 0 < np.count_nonzero(f0.arrays["bias"][:nl]) < nl  # interior only
    with pytest.raises(InputError, match="empty electrode"):
        _run(
            atoms,
            tmp_path,
            "s12_literal",
            "constp",
            n_steps=2,
            phi_anode=-2.0,
            phi_cathode=6.0,
            cn_cutoff=3.3,
            cn_metal=8,
        )


def test_swapping_sides_swaps_the_sign_of_the_surface_charges(tmp_path):
    atoms, nl, nu = _cell()
    _, r1, o1 = _run(atoms, tmp_path, "round1", "constp", phi_anode=-2.0, phi_cathode=6.0)
    start2 = swap_electrodes(read_frames(o1 / "final.extxyz")[-1])
    _, r2, _ = _run(start2, tmp_path, "round2", "constp", phi_anode=-2.0, phi_cathode=6.0)
    s1 = frame_stats(r1[-1], r1[-1].info["split_z"])["sigma"]
    s2 = frame_stats(r2[0], r2[0].info["split_z"])["sigma"]
    # the anode (negative shift: oxidised) is positive, the cathode negative, each round
    assert s1["anode"] > 0 > s1["cathode"] and s2["anode"] > 0 > s2["cathode"]
    # the physical lower slab was the cathode in round 1 and is the anode in round 2
    lower1 = frame_charges(r1[-1])[:nl].sum()
    lower2 = frame_charges(r2[0])[:nl].sum()
    assert lower1 < 0 < lower2
    assert np.all(r2[0].arrays["bias"][:nl][r2[0].arrays["bias"][:nl] != 0] == -2.0)


def test_empty_electrode_and_unconverged_charges_stop_with_one_line(tmp_path):
    atoms, nl, nu = _cell(n_layers_upper=1)  # a monolayer: CN 4, nothing metallic above
    with pytest.raises(InputError) as err:
        _run(atoms, tmp_path, "round 3", "constp", phi_anode=-2.0, phi_cathode=6.0)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("round 3 step 0: empty electrode")
    assert "anode" in msg
    good, _, _ = _cell()
    with pytest.raises(InputError) as err:
        _run(
            good,
            tmp_path,
            "round 2",
            "constp",
            phi_anode=-2.0,
            phi_cathode=6.0,
            factory=_factory(max_iter=1, tol=1e-12),
        )
    msg = str(err.value)
    assert "\n" not in msg and "round 2" in msg and "did not converge" in msg
    no_an = good.copy()
    no_an.arrays["region"][no_an.arrays["region"] == "anode"] = "electrolyte"
    with pytest.raises(InputError, match="no atom has region 'anode'"):
        ElectrodeBias(-2.0, 6.0, 3.5, 8, "paper").sides(no_an)


def test_summaries_and_report_keys(tmp_path):
    atoms, _, _ = _cell()
    runs = []
    for pa, pc in [(-1.0, 6.0), (-2.0, 6.0), (-2.0, 7.0)]:
        _, _, out = _run(
            atoms, tmp_path, f"b{pa}{pc}", "constp", n_steps=2, phi_anode=pa, phi_cathode=pc
        )
        ch = summarise_stage(out / "traj.extxyz")
        js = out / "run.json"
        js.write_text(
            json.dumps(
                {
                    "phi_anode": pa,
                    "phi_cathode": pc,
                    "charges": ch,
                    "level_of_theory": "QEq + LJ (test)",
                }
            )
        )
        runs.append(js)
    cfg = {"bias_study": {"plateau_fraction": 0.5}}
    res = bias_study_summary(
        runs,
        cfg,
        {"phi_anode": -2.0, "phi_cathode": 6.0},
        out=tmp_path / "bias_study.json",
        png=tmp_path / "s11.png",
        pdf=tmp_path / "s11.pdf",
        scale="test",
    )
    assert (tmp_path / "s11.png").stat().st_size > 0
    # every config/report.yaml row that reads bias_study.json finds its key
    report = yaml.safe_load((REPO / "config" / "report.yaml").read_text())
    rows = [
        r
        for r in report["quantities"]["ec"].values()
        if r.get("json") == "ec/constp/bias_study.json"
    ]
    assert len(rows) == 8  # four levels, the two side effects and the two electrode effects
    data = json.loads((tmp_path / "bias_study.json").read_text())
    for r in rows:
        value = data
        for part in r["key"].split("."):
            value = value[part]
        assert isinstance(value, float)
        if "requires_true" in r:
            flag = data
            for part in r["requires_true"].split("."):
                flag = flag[part]
            assert isinstance(flag, bool)
    assert res["level_of_theory"] == "QEq + LJ (test)"
    # a more negative anode shift oxidises the anode Li more (sec. 3.2)
    assert data["anode_li_charge"]["phi_minus2"] > data["anode_li_charge"]["phi_minus1"]
    assert data["effect"]["anode"]["delta"] > 0 and data["effect"]["anode"]["to_phi"] == -2.0
    # the biased anode Li themselves take more positive charge at the stronger bias
    electrode = data["effect_electrode"]["anode"]
    assert electrode["series"] == "anode_biased_li_charge" and electrode["delta"] > 0
    assert electrode["instant_delta"] > 0
    assert bias_key(-1.0) == "phi_minus1" and bias_key(7) == "phi_plus7"
    assert data["effect"]["anode"]["stopped"] == []
    # a run that stopped for overheating makes no effect significant, however large
    first = json.loads(runs[1].read_text())
    runs[1].write_text(json.dumps({**first, "stopped": "bias -2/+6 V step 632: kinetic temperature 9658 K"}))
    hot = bias_study_summary(
        runs,
        cfg,
        {"phi_anode": -2.0, "phi_cathode": 6.0},
        out=tmp_path / "bias_study_hot.json",
        png=tmp_path / "s11_hot.png",
        pdf=tmp_path / "s11_hot.pdf",
        scale="test",
    )
    for block in ("effect", "effect_electrode"):
        for side in ("anode", "cathode"):
            assert hot[block][side]["significant"] is False
            assert hot[block][side]["stopped"] == [
                "bias -2/+6 V step 632: kinetic temperature 9658 K"
            ]


def test_overlapping_atoms_stop_with_one_line(tmp_path):
    atoms, nl, nu = _cell()
    o = nl + nu + 2
    atoms.positions[o + 1] = atoms.positions[o] + [0.3, 0.0, 0.0]  # F 0.3 A from O: lost geometry
    with pytest.raises(InputError) as err:
        _run(atoms, tmp_path, "round 4", "constp", phi_anode=-2.0, phi_cathode=6.0)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("round 4 step") and "overlap" in msg
