"""The DP-GEN launcher: dpdispatcher's job-status check interval, seeded draws, per-iteration settings."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lidendrite.errors import InputError
from lidendrite.training import dpgen_launch


def test_check_interval_becomes_the_default(monkeypatch):
    from dpdispatcher.submission import Submission

    seen = []

    def recorder(self, *, dry_run=False, check_interval=30, **kwargs):
        seen.append(check_interval)

    monkeypatch.setattr(Submission, "run_submission", recorder)
    dpgen_launch.set_check_interval(2)
    Submission.run_submission(object())
    Submission.run_submission(object(), check_interval=7)  # a caller's own value wins
    assert seen == [2.0, 7]


def test_pinned_dpdispatcher_has_the_keyword():
    """The launcher refuses a dpdispatcher without ``check_interval``; the pinned one has it."""
    import inspect

    from dpdispatcher.submission import Submission

    params = inspect.signature(Submission.run_submission).parameters
    assert params["check_interval"].default == 30


def test_bad_interval_is_one_line_error():
    with pytest.raises(InputError, match="check_interval"):
        dpgen_launch.set_check_interval(0)


def test_launcher_hands_over_to_dpgen():
    """The remaining arguments reach DP-GEN's own command line."""
    proc = subprocess.run(
        [sys.executable, "-m", "lidendrite.training.dpgen_launch", "--check-interval", "2", "run", "-h"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "PARAM" in proc.stdout and "MACHINE" in proc.stdout


def test_stop_before_last_training_exits_only_after_the_last_exploration(monkeypatch):
    """Iterations with an exploration left train as before; the closing one exits 0."""
    import dpgen.generator.run as dpgen_run

    trained = []
    monkeypatch.setattr(dpgen_run, "make_train", lambda ii, jdata, mdata: trained.append(ii))
    dpgen_launch.stop_before_last_training()
    jdata = {"model_devi_jobs": [{}, {}, {}]}
    for ii in range(3):
        dpgen_run.make_train(ii, jdata, {})
    assert trained == [0, 1, 2]
    with pytest.raises(SystemExit) as stop:
        dpgen_run.make_train(3, jdata, {})
    assert stop.value.code == 0 and trained == [0, 1, 2]


def test_dpgen_loop_calls_the_module_make_train():
    """The wrapper works because DP-GEN's loop looks make_train up in its module."""
    import inspect

    import dpgen.generator.run as dpgen_run

    assert "make_train(ii, jdata, mdata)" in inspect.getsource(dpgen_run.run_iter)


def _dpgen_like_draws():
    """What DP-GEN 0.14 draws: model seeds, a LAMMPS velocity seed, a candidate shuffle, a numpy normal."""
    import random

    import numpy as np

    seeds = [random.randrange(sys.maxsize) % (2**32) for _ in range(4)]
    velocity = random.randrange(2**16 - 1) + 1
    candidates = list(range(50))
    random.shuffle(candidates)
    return seeds, velocity, candidates[:20], float(np.random.normal())


def test_seed_makes_dpgen_draws_repeat():
    dpgen_launch.seed_draws(2024)
    first = _dpgen_like_draws()
    dpgen_launch.seed_draws(2024)
    assert _dpgen_like_draws() == first
    dpgen_launch.seed_draws(2025)
    assert _dpgen_like_draws() != first
    with pytest.raises(InputError, match="seed"):
        dpgen_launch.seed_draws(-1)


def test_dpgen_draws_from_the_global_generators():
    """The seed works because DP-GEN draws model seeds and picks candidates from the
    module-level ``random`` (it never builds a generator of its own there)."""
    import inspect

    import dpgen.generator.run as dpgen_run

    src = inspect.getsource(dpgen_run)
    assert "random.randrange(sys.maxsize)" in inspect.getsource(dpgen_run.make_train_dp)
    assert "random.shuffle(fp_candidate)" in src
    assert "random.Random(" not in src


def test_iteration_training_steps_change_only_their_iteration(monkeypatch):
    """A band's train_numb_steps reaches DP-GEN's make_train for its iteration only;
    DP-GEN's own parameters are not modified in place."""
    import dpgen.generator.run as dpgen_run

    seen = {}

    def fake(ii, jdata, mdata):
        seen[ii] = (jdata["training_reuse_numb_steps"], jdata["default_training_param"]["training"]["numb_steps"])

    monkeypatch.setattr(dpgen_run, "make_train", fake)
    dpgen_launch.set_iteration_training_steps({"0": 900, "2": 4000})
    jdata = {"training_reuse_iter": 1, "training_reuse_numb_steps": 400,
             "default_training_param": {"training": {"numb_steps": 1500}}}
    for ii in range(4):
        dpgen_run.make_train(ii, jdata, {})
    assert seen == {0: (400, 900), 1: (400, 1500), 2: (4000, 1500), 3: (400, 1500)}
    assert jdata["training_reuse_numb_steps"] == 400  # the caller's dict is untouched


def test_iteration_fp_task_max_changes_only_its_iteration(monkeypatch):
    """A band's fp_task_max reaches DP-GEN's make_fp for its iteration only;
    the caller's parameters keep their value."""
    import dpgen.generator.run as dpgen_run

    seen = {}

    def fake(ii, jdata, mdata):
        seen[ii] = jdata["fp_task_max"]

    monkeypatch.setattr(dpgen_run, "make_fp", fake)
    dpgen_launch.set_iteration_fp_task_max({"2": 40})
    jdata = {"fp_task_max": 20}
    for ii in range(4):
        dpgen_run.make_fp(ii, jdata, {})
    assert seen == {0: 20, 1: 20, 2: 40, 3: 20}
    assert jdata["fp_task_max"] == 20
