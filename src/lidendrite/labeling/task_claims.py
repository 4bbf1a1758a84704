"""Claims on labelling task folders, so that one process can label its siblings.

DP-GEN's custom ``fp`` step runs the labelling command once per task folder;
dpdispatcher packs ``fp_group_size`` tasks into a job and runs them one after
another. Each call of ``lidendrite label`` then pays the labeller's start-up
(for the teacher: importing torch and loading SevenNet, 8-30 s on the 2-core
demo machine, measured) for a labelling that takes about a second. With
``--siblings`` the first call of a job also labels every sibling task folder
nobody has claimed yet, with the labeller it has already loaded, and the later
calls find their output written and return at once.

A claim is a lock file beside the output (``<output>.lock``), created with
``O_CREAT | O_EXCL`` and holding ``host pid``; it is removed when the labelling
ends, whether it succeeded or not. A claim left by a process on this host that
no longer runs (killed) is stale and may be taken over. Claims from other hosts
are never judged stale: across nodes of a cluster a pid says nothing, and the
slurm profile runs one fp task per job anyway.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["lock_path", "try_claim", "release", "claimed", "wait_for_output"]


def lock_path(output: Path) -> Path:
    """The claim file of ``output``."""
    output = Path(output)
    return output.with_name(output.name + ".lock")


def _holder_is_gone(lock: Path) -> bool:
    """True when ``lock`` was written by a process of this host that has ended."""
    try:
        host, pid = lock.read_text().split()
        pid = int(pid)
    except (OSError, ValueError):
        return False  # being written right now, or not ours to judge
    if host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except PermissionError:  # exists, owned by another user
        pass
    return False


def try_claim(output: Path) -> bool:
    """Claim the labelling of ``output``; False if it is done or held by a live process."""
    output = Path(output)
    if output.exists():
        return False
    lock = lock_path(output)
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            if _holder_is_gone(lock):
                lock.unlink(missing_ok=True)
                continue
            return False
        with os.fdopen(fd, "w") as fh:
            fh.write(f"{socket.gethostname()} {os.getpid()}\n")
        if output.exists():  # finished between the check and the claim
            release(output)
            return False
        return True
    return False


def release(output: Path) -> None:
    """Drop the claim on ``output`` (no error if there is none)."""
    lock_path(output).unlink(missing_ok=True)


@contextmanager
def claimed(output: Path) -> Iterator[bool]:
    """``with claimed(out) as mine:`` - ``mine`` says whether this process labels ``out``."""
    mine = try_claim(output)
    try:
        yield mine
    finally:
        if mine:
            release(output)


def wait_for_output(output: Path, poll_s: float = 0.5) -> bool:
    """Wait while another live process holds the claim on ``output``.

    Returns True when ``output`` exists, False when the claim went away without
    it (the holder failed or was killed): the caller should then label it itself.
    """
    output = Path(output)
    lock = lock_path(output)
    while True:
        if output.exists():
            return True
        if not lock.exists() or _holder_is_gone(lock):
            return output.exists()
        time.sleep(poll_s)
