"""What every rule script shares: its log and its one-line error.

A rule script defines ``run(smk)`` and ends with ``run_rule(snakemake, run,
"<rule>")``: everything the science code prints goes to the rule's log, and a
:class:`~lidendrite.errors.LidendriteError` (bad input, missing tool) stops the
job with one line that names the rule, in the log and on the terminal.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from lidendrite.errors import LidendriteError

__all__ = ["run_rule"]


def run_rule(smk: Any, run: Callable[[Any], None], rule: str) -> None:
    """Call ``run(smk)`` with stdout and stderr sent to ``smk.log[0]``.

    Exits with status 1 after writing ``"<rule>: error: <message>"`` to the
    terminal when ``run`` raises a :class:`LidendriteError`; other exceptions
    keep their traceback (in the log).
    """
    log = open(smk.log[0], "w")
    sys.stderr = sys.stdout = log
    try:
        run(smk)
    except LidendriteError as exc:  # one line for the user, the log keeps it too
        print(f"error: {exc}", flush=True)
        sys.__stderr__.write(f"{rule}: error: {exc}\n")
        sys.exit(1)
    finally:
        log.flush()
