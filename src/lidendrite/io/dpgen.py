"""DP-GEN's own run files: ``record.dpgen`` (finished iteration steps)."""

from __future__ import annotations

from pathlib import Path

from lidendrite.errors import InputError

__all__ = ["read_record"]


def read_record(workdir: str | Path) -> list[tuple[int, int]]:
    """Finished ``(iteration, step)`` pairs of ``workdir/record.dpgen``, in order."""
    path = Path(workdir) / "record.dpgen"
    if not path.is_file():
        raise InputError(f"{path}: no DP-GEN record (dpgen run has not started here)")
    out = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split()
        try:
            out.append((int(parts[0]), int(parts[1])))
        except (ValueError, IndexError):
            raise InputError(f"{path}:{n}: expected '<iteration> <step>', got {line!r}") from None
    return out
