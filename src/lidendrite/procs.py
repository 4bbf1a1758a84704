"""Child processes that die with the job that started them.

A Snakemake job killed with ``kill -9`` (or by a scheduler) takes its Python
process with it, but a CP2K, ``dp`` or ``dpgen`` child it started would keep
running, in the same folder a rerun then uses. :func:`die_with_parent` is the
``preexec_fn`` of every long-running child: on Linux the kernel sends the child
SIGKILL when the thread that started it exits (``prctl(PR_SET_PDEATHSIG)``);
elsewhere it does nothing.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

__all__ = ["die_with_parent"]

_PR_SET_PDEATHSIG = 1
# resolved in the parent: the child, between fork and exec, only calls prctl
_PRCTL = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None


def die_with_parent() -> None:
    """``preexec_fn``: ask the kernel to SIGKILL this child when its parent dies (Linux)."""
    if _PRCTL is None:
        return
    _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    # the parent may have died between fork and prctl: then we are orphaned already
    if os.getppid() == 1:
        os._exit(1)
