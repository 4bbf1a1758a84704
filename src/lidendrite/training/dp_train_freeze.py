"""``dp --tf train`` and then ``dp --tf freeze`` in one Python process.

``python -m lidendrite.training.dp_train_freeze OUT.pb [dp train arguments ...]``

runs deepmd-kit's own command-line entry point (``deepmd.main.main``) twice,
in the current directory: first ``train`` with the given arguments, then
``freeze -c . -o OUT.pb`` on the checkpoint that training wrote. Between the
two the TensorFlow default graph is reset, so the freeze reads the checkpoint
into an empty graph exactly as a separate ``dp freeze`` process would.

Why: a ``dp`` process spends 5-6 s importing TensorFlow and deepmd-kit before
it does anything (measured on the 2-core demo machine), and a short training
of the ec active learning (2000 steps, about 45 s) paid that twice, once for
the training and once for the freeze. The graph written is the same as
``dp freeze``'s (same entry point, same checkpoint; checked in
tests/unit/test_training_deepmd_run.py).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Train with ``argv[1:]`` (``dp train`` arguments), then freeze to ``argv[0]``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) < 2 or not argv[0].endswith(".pb"):
        print("usage: python -m lidendrite.training.dp_train_freeze OUT.pb INPUT.json [dp train options]",
              file=sys.stderr)
        return 2
    out_pb, train_args = argv[0], argv[1:]
    from deepmd.main import main as dp_main

    dp_main(["--tf", "train", *train_args])
    from deepmd.tf.env import tf

    tf.reset_default_graph()
    print(f"freezing the checkpoint to {out_pb}", flush=True)
    dp_main(["--tf", "freeze", "-c", ".", "-o", out_pb])
    return 0


if __name__ == "__main__":
    sys.exit(main())
