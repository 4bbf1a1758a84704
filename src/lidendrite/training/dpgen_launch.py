"""Start ``dpgen`` with dpdispatcher's job-status check interval set, and its draws seeded.

``python -m lidendrite.training.dpgen_launch --check-interval S [--seed N] [--train-steps JSON] [--fp-task-max JSON] run param.json machine.json``

DP-GEN 0.14 runs each train, model_devi and fp step through dpdispatcher's
``Submission.run_submission()`` (dpdispatcher 1.1), which sleeps
``check_interval`` seconds between checks of its jobs' status. DP-GEN never
passes that keyword, and neither ``machine.json`` nor ``param.json`` can set
it, so dpdispatcher's default of 30 s applies: every DP-GEN step lasts at least
one 30 s check after its jobs have ended. At ci scale, where a step's jobs take
10-60 s, that waiting was a quarter of ``run_dpgen``.

With ``--stop-before-last-train`` DP-GEN also ends after the labelling step of
its last exploration instead of training its models once more on those labels
(which DP-GEN does before it finds no further exploration to run). The
pipeline asks for this only when a longer final training on every labelled
frame follows (``lpsc.training.final_numb_steps > 0``), which would otherwise
continue a model trained on the same data moments before: 55 s of the demo's
``run_dpgen``.

With ``--seed N`` DP-GEN's draws are repeatable. DP-GEN 0.14 takes the
seeds of its models (descriptor, fitting net, batch order), the LAMMPS
velocity seeds of its explorations and the shuffle that picks the
candidates it labels from Python's global ``random`` module (and numpy's
global generator), which it never seeds: two runs of the same inputs
differed in every model, exploration and labelled frame. The launcher seeds
both generators once, before DP-GEN starts, so a fresh run draws the same
sequence every time; a run resumed from ``record.dpgen`` draws on from the
seed again, so it repeats a fresh run only where nothing was resumed.

This launcher changes only the default of that one keyword (a call that passes
``check_interval`` itself keeps its value) and then hands the command line to
DP-GEN's own entry point (``dpgen.main.main``) unchanged. It refuses to start
when the installed dpdispatcher has no ``check_interval`` keyword, so an
upgrade that renames it fails loudly instead of silently polling every 30 s.
With ``--train-steps`` and ``--fp-task-max`` (JSON ``{iteration: value}``)
single iterations train longer or label more candidates than ``param.json``
gives every iteration (DP-GEN 0.14 has one value for all of them).

``param.json`` and ``machine.json`` run with a stock ``dpgen run`` as well
(the x-y coupled NPT exploration is a DP-GEN input template,
:func:`lidendrite.training.dpgen_params.npt_xy_template`); without this
launcher the run polls every 30 s, draws unseeded, gives every iteration the
same training length and ``fp_task_max``, and trains once more at its end
(docs/lpsc.md lists these).

Units: seconds.
"""

from __future__ import annotations

import argparse
import functools
import inspect
import sys
from collections.abc import Sequence

from lidendrite.errors import InputError, ToolMissingError

__all__ = [
    "set_check_interval",
    "stop_before_last_training",
    "set_iteration_fp_task_max",
    "set_iteration_training_steps",
    "seed_draws",
    "main",
]


def set_check_interval(seconds: float) -> None:
    """Make ``seconds`` the default ``check_interval`` of dpdispatcher's ``run_submission``."""
    seconds = float(seconds)
    if not seconds > 0:
        raise InputError(f"check_interval: need > 0 s, got {seconds}")
    from dpdispatcher.submission import Submission

    original = Submission.run_submission
    if "check_interval" not in inspect.signature(original).parameters:
        raise ToolMissingError(
            "dpdispatcher's Submission.run_submission has no check_interval keyword; "
            "install the pinned version: pip install dpdispatcher==1.1.0"
        )

    @functools.wraps(original)
    def run_submission(self, *args, **kwargs):
        kwargs.setdefault("check_interval", seconds)
        return original(self, *args, **kwargs)

    Submission.run_submission = run_submission


def stop_before_last_training() -> None:
    """Make DP-GEN exit (status 0) where it would train after its last exploration.

    Wraps ``dpgen.generator.run.make_train``: iteration ``i`` with ``i >=
    len(model_devi_jobs)`` has no exploration left, so its training would only
    produce the final models; the wrapped call exits instead. The record stays
    at the previous iteration's last step, so a resumed run exits there again.
    """
    import dpgen.generator.run as dpgen_run

    original = dpgen_run.make_train

    @functools.wraps(original)
    def make_train(iter_index, jdata, mdata, *args, **kwargs):
        n_jobs = len(jdata.get("model_devi_jobs", []))
        if iter_index >= n_jobs:
            print(
                f"iteration {iter_index}: no exploration left after {n_jobs}; "
                "the final training follows, so DP-GEN stops here",
                flush=True,
            )
            raise SystemExit(0)
        return original(iter_index, jdata, mdata, *args, **kwargs)

    dpgen_run.make_train = make_train


def set_iteration_training_steps(steps: dict[int, int]) -> None:
    """Give DP-GEN iteration ``i`` a training of ``steps[i]`` steps (other iterations unchanged).

    Wraps ``dpgen.generator.run.make_train`` and hands it a copy of the
    parameters with ``training_reuse_numb_steps`` (an iteration that
    continues the previous models) or ``default_training_param.training.numb_steps``
    (an iteration trained from scratch) set for that call only: DP-GEN 0.14
    has one length for all reuse trainings. Used to train the models that
    explore the last band as long as a production model, so that the path
    they explore, and label, is the one the production model takes.
    """
    import copy

    import dpgen.generator.run as dpgen_run

    steps = {int(k): int(v) for k, v in steps.items()}
    original = dpgen_run.make_train

    @functools.wraps(original)
    def make_train(iter_index, jdata, mdata, *args, **kwargs):
        if iter_index in steps:
            jdata = copy.deepcopy(jdata)
            reuse_from = jdata.get("training_reuse_iter")
            if reuse_from is not None and iter_index >= reuse_from:
                jdata["training_reuse_numb_steps"] = steps[iter_index]
            else:
                jdata["default_training_param"]["training"]["numb_steps"] = steps[iter_index]
            print(f"iteration {iter_index}: training {steps[iter_index]} steps", flush=True)
        return original(iter_index, jdata, mdata, *args, **kwargs)

    dpgen_run.make_train = make_train


def set_iteration_fp_task_max(frames: dict[int, int]) -> None:
    """Let DP-GEN label at most ``frames[i]`` candidates per system in iteration ``i``.

    Wraps ``dpgen.generator.run.make_fp`` and hands it a copy of the
    parameters with ``fp_task_max`` set for that call only (DP-GEN 0.14 has
    one value for every iteration); other iterations keep ``param.json``'s.
    """
    import copy

    import dpgen.generator.run as dpgen_run

    frames = {int(k): int(v) for k, v in frames.items()}
    original = dpgen_run.make_fp

    @functools.wraps(original)
    def make_fp(iter_index, jdata, mdata, *args, **kwargs):
        if iter_index in frames:
            jdata = copy.deepcopy(jdata)
            jdata["fp_task_max"] = frames[iter_index]
            print(f"iteration {iter_index}: at most {frames[iter_index]} labels per system", flush=True)
        return original(iter_index, jdata, mdata, *args, **kwargs)

    dpgen_run.make_fp = make_fp


def seed_draws(seed: int) -> None:
    """Seed the generators DP-GEN draws its seeds and picks from (``random``, ``numpy.random``)."""
    import random

    import numpy as np

    seed = int(seed)
    if seed < 0:
        raise InputError(f"seed: need >= 0, got {seed}")
    random.seed(seed)
    np.random.seed(seed % 2**32)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``--check-interval``, set it, run ``dpgen`` with the remaining arguments."""
    parser = argparse.ArgumentParser(
        prog="python -m lidendrite.training.dpgen_launch",
        description="dpgen with dpdispatcher's job-status check interval set (seconds)",
        add_help=False,  # -h goes to dpgen
    )
    parser.add_argument("--check-interval", type=float, required=True, metavar="S")
    parser.add_argument("--stop-before-last-train", action="store_true")
    parser.add_argument("--seed", type=int, default=None, metavar="N")
    parser.add_argument("--train-steps", default=None, metavar="JSON")
    parser.add_argument("--fp-task-max", default=None, metavar="JSON")
    args, rest = parser.parse_known_args(argv)
    set_check_interval(args.check_interval)
    if args.train_steps:
        import json

        set_iteration_training_steps(json.loads(args.train_steps))
    if args.fp_task_max:
        import json

        set_iteration_fp_task_max(json.loads(args.fp_task_max))
    if args.seed is not None:
        seed_draws(args.seed)
    if args.stop_before_last_train:
        stop_before_last_training()
    from dpgen.main import main as dpgen_main

    sys.argv = ["dpgen", *rest]
    return dpgen_main()


if __name__ == "__main__":
    sys.exit(main())
