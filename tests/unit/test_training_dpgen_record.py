"""DP-GEN iteration history from a synthetic work folder with dpgen 0.14's file layout.

The layout copies what a real ``dpgen run`` (0.14.0, LAMMPS exploration,
``fp_style: custom``) wrote in this project: ``record.dpgen``,
``iter.N/00.train/graph.M.pb``, ``iter.N/01.model_devi/cur_job.json``,
``iter.N/01.model_devi/task.S.T/model_devi.out`` (deepmd-kit header),
``iter.N/02.fp/{candidate,rest_accurate,rest_failed}.shuffled.S.out``,
``iter.N/02.fp/task.S.T/labeled.extxyz`` and ``iter.N/02.fp/data.S/<formula>/``.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from lidendrite.config import schema_default
from lidendrite.errors import InputError
from lidendrite.io.dpgen import read_record
from lidendrite.training.dpgen_record import iteration_history, write_history

HEADER = (
    "#       step         max_devi_v         min_devi_v         avg_devi_v"
    "         max_devi_f         min_devi_f         avg_devi_f\n"
)


#: convergence threshold of the config (lpsc SI 2.2: 99 %)
ACCURATE = schema_default("lpsc.training.dpgen.param.fp_accurate_threshold")


def _model_devi(path, eps, trj_freq=10):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        fh.write(HEADER)
        for k, e in enumerate(eps):
            fh.write(
                f"{k * trj_freq:12d} {0.1:18.6e} {0.0:18.6e} {0.05:18.6e} {e:18.6e} {e / 3:18.6e} {e / 2:18.6e}\n"
            )


def _classify(task, eps, lo, hi, trj_freq=10):
    """DP-GEN's rule: accurate eps < lo, candidate lo <= eps < hi, failed eps >= hi."""
    out = {"candidate": [], "rest_accurate": [], "rest_failed": []}
    for k, e in enumerate(eps):
        key = "rest_accurate" if e < lo else ("rest_failed" if e >= hi else "candidate")
        out[key].append(f"{task} {k * trj_freq}")
    return out


@pytest.fixture
def work(tmp_path):
    w = tmp_path / "dpgen"
    w.mkdir()
    lines = [f"0 {s}" for s in range(9)] + [f"1 {s}" for s in range(6)]
    (w / "record.dpgen").write_text("\n".join(lines) + "\n")
    (w / "param.json").write_text(json.dumps({"model_devi_f_trust_lo": 0.1, "model_devi_skip": 0}))
    # iteration 0: system 000 bulk [0.15, 0.30], system 001 interface [0.25, 0.50] (high T)
    eps = {
        "000": [0.01, 0.2, 0.2, 0.4, 0.05, 0.16],  # 2 accurate, 3 candidate, 1 failed
        "001": [0.3, 0.1, 0.6, 0.49, 0.24],  # 2 accurate, 2 candidate, 1 failed
    }
    trust = {"000": (0.15, 0.30), "001": (0.25, 0.50)}
    it0 = w / "iter.000000"
    for m in range(4):
        (it0 / "00.train").mkdir(parents=True, exist_ok=True)
        (it0 / "00.train" / f"graph.{m:03d}.pb").write_bytes(b"")
    md = it0 / "01.model_devi"
    md.mkdir(parents=True)
    (md / "cur_job.json").write_text(
        json.dumps(
            {
                "sys_idx": [0, 1],
                "temps": [600.0, 800.0],
                "nsteps": 50,
                "trj_freq": 10,
                "model_devi_f_trust_lo": {"0": 0.15, "1": 0.25},
                "model_devi_f_trust_hi": {"0": 0.30, "1": 0.50},
            }
        )
    )
    fp = it0 / "02.fp"
    fp.mkdir()
    for s, e in eps.items():
        task = f"iter.000000/01.model_devi/task.{s}.000000"
        _model_devi(w / task / "model_devi.out", e)
        for name, rows in _classify(task, e, *trust[s]).items():
            (fp / f"{name}.shuffled.{s}.out").write_text("".join(r + "\n" for r in rows))
    # 4 frames sent to labelling, one of them without output (a failed fp task)
    for k, s in enumerate(["000", "000", "001", "001"]):
        t = fp / f"task.{s}.{k:06d}"
        t.mkdir()
        (t / "input.vasp").write_text("")
        if k != 3:
            (t / "labeled.extxyz").write_text("")
    for s, n in (("000", 2), ("001", 1)):
        d = fp / f"data.{s}" / "Li8" / "set.000"
        d.mkdir(parents=True)
        np.save(d / "energy.npy", np.zeros(n))
        (d.parent / "type.raw").write_text("0\n" * 8)
    # iteration 1 (model deviation finished, no fp yet, no shuffled files):
    # 200 frames, 1 candidate -> 99.5 % accurate with the low-T trust [0.10, 0.25]
    md1 = w / "iter.000001" / "01.model_devi"
    md1.mkdir(parents=True)
    (md1 / "cur_job.json").write_text(
        json.dumps(
            {"sys_idx": [0], "temps": [300.0], "ensemble": "npt-xy", "model_devi_f_trust_hi": 0.25}
        )
    )
    _model_devi(md1 / "task.000.000000" / "model_devi.out", [0.05] * 199 + [0.12])
    return w


def test_record_lines(work):
    rec = read_record(work)
    assert rec[0] == (0, 0) and rec[-1] == (1, 5) and len(rec) == 15


def test_history_counts_and_fractions(work):
    h = iteration_history(work, accurate_threshold=ACCURATE)
    it0, it1 = h["iterations"]
    assert it0["n_models"] == 4 and it0["temps"] == [600.0, 800.0] and "ensemble" not in it0
    assert it1["ensemble"] == "npt-xy"
    assert it0["systems"]["000"] == {
        "accurate": 2,
        "candidate": 3,
        "failed": 1,
        "total": 6,
        "trust_lo": 0.15,
        "trust_hi": 0.30,
    }
    assert it0["systems"]["001"]["trust_hi"] == 0.50
    assert (it0["systems"]["001"]["candidate"], it0["systems"]["001"]["failed"]) == (2, 1)
    assert it0["accurate_fraction"] == pytest.approx(4 / 11)  # exact ratios of counts
    assert it0["candidate_fraction"] == pytest.approx(5 / 11)
    assert it0["failed_fraction"] == pytest.approx(2 / 11)
    assert it0["n_fp_tasks"] == 4 and it0["n_fp_failed"] == 1 and it0["n_labelled"] == 3
    assert it0["source"] == "dpgen" and not it0["converged"]
    # iteration 1: trust_lo from param.json (0.1), trust_hi from the job
    assert it1["source"] == "model_devi"
    assert it1["systems"]["000"]["trust_lo"] == 0.1
    assert it1["accurate_fraction"] == pytest.approx(199 / 200)
    assert it1["converged"] and h["converged"]  # 99.5 % > 99 %
    assert h["last"] == {"iteration": 1, "step": 5, "name": "post_model_devi"}


def test_model_devi_fallback_agrees_with_dpgen_files(work, tmp_path):
    """Our own classification of model_devi.out matches DP-GEN's shuffled lists."""
    ref = iteration_history(work, accurate_threshold=ACCURATE)["iterations"][0]["systems"]
    for f in (work / "iter.000000" / "02.fp").glob("*.shuffled.*.out"):
        f.unlink()
    again = iteration_history(work, accurate_threshold=ACCURATE)["iterations"][0]
    assert again["source"] == "model_devi"
    assert again["systems"] == ref


def test_history_json_round_trip(work, tmp_path):
    h = iteration_history(work, accurate_threshold=ACCURATE)
    back = json.loads(write_history(h, tmp_path / "out" / "history.json").read_text())
    assert back["iterations"][0]["systems"]["000"]["candidate"] == 3


def test_bad_record_one_line_error(work, tmp_path):
    with pytest.raises(InputError, match="record.dpgen"):
        read_record(tmp_path / "nowhere")
    (work / "record.dpgen").write_text("0 0\n0 x\n")
    with pytest.raises(InputError) as err:
        read_record(work)
    assert "record.dpgen:2" in str(err.value) and "\n" not in str(err.value)
    shutil.rmtree(work)
