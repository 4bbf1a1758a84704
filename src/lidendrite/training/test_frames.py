"""Test frames of the lpsc potential, labelled while the NPT DPMD that makes them runs.

The lpsc paper tests its DP on 100 frames drawn at random from a 200 ps NPT
DPMD of the 185-atom interface, labelled by PBE (Results, first paragraph).
Which frames are drawn is known before the run: ``n_frames`` of the
``n_steps // dump_every`` dumped frames, drawn with ``seed``
(:func:`lidendrite.training.potential_test.draw_indices`, the same draw as
:func:`~lidendrite.training.potential_test.pick_frames` after the run). So a
second thread can label each drawn frame as soon as LAMMPS has written it,
on the cores the DPMD leaves free, and the labelling ends a few seconds after
the MD instead of starting then. The frames, their order and their labels
are those of labelling after the run; only the wall time changes.

Both codes release the GIL while they compute (LAMMPS through ctypes, the
teacher in torch), so a Python thread is enough.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from lidendrite.errors import InputError
from lidendrite.labeling.base import Labeller
from lidendrite.training.potential_test import as_frame, draw_indices, npt_dpmd

__all__ = ["label_test_frames"]


def label_test_frames(
    atoms: Any,
    model_pb: str | Path,
    workdir: str | Path,
    type_map: Sequence[str],
    labeller: Labeller,
    *,
    n_frames: int,
    label_threads: int | None = None,
    **md: Any,
) -> tuple[list[Any], list[int], dict[str, Any]]:
    """Run :func:`~lidendrite.training.potential_test.npt_dpmd` and label ``n_frames`` of its frames.

    Parameters
    ----------
    atoms, model_pb, workdir, type_map
        As for ``npt_dpmd``.
    labeller
        The active labeller (teacher potential or DFT).
    n_frames
        Frames drawn at random (seed ``md['seed']``, as the initial velocities).
    label_threads
        Cores for the labelling thread while the MD runs (``None`` or 0:
        label after the run, on the process's own settings).
    **md
        Keyword arguments of ``npt_dpmd`` (``n_steps`` and ``dump_every`` are
        needed to know the frames in advance).

    Returns
    -------
    labelled : list of ase.Atoms
        The drawn frames with energy (eV), forces (eV/Angstrom) and virial (eV) attached.
    indices : list of int
        Their indices among the dumped frames (frame ``i`` is step ``(i + 1) * dump_every``).
    summary : dict
        ``npt_dpmd``'s summary plus ``labelled_during_md``.
    """
    n_steps, dump_every = int(md["n_steps"]), int(md["dump_every"])
    if dump_every <= 0:
        raise InputError(f"dump_every: need > 0, got {dump_every}")
    indices = draw_indices(n_steps // dump_every, n_frames, seed=md["seed"])
    if not label_threads:
        frames, summary = npt_dpmd(atoms, model_pb, workdir, type_map, **md)
        labelled = labeller.label([frames[i] for i in indices])
        return labelled, indices, {**summary, "labelled_during_md": False}

    import io

    from ase.io import read

    wanted = set(indices)
    futures: dict[int, Future] = {}
    dump_state = {"offset": 0, "n_read": 0}  # bytes of the dump parsed so far, frames in them

    with ThreadPoolExecutor(
        max_workers=1, initializer=labeller.use_threads, initargs=(int(label_threads),)
    ) as pool:

        def hand_over(step: int, dump: Path) -> None:
            for fut in futures.values():  # a failed label stops the MD at once
                if fut.done() and fut.exception() is not None:
                    raise fut.exception()
            # only the frames written since the last chunk are parsed (complete: LAMMPS flushes)
            with open(dump) as fh:
                fh.seek(dump_state["offset"])
                text = fh.read()
                dump_state["offset"] = fh.tell()
            new = read(io.StringIO(text), index=":", format="lammps-dump-text") if text else []
            for k, frame in enumerate(new, start=dump_state["n_read"]):
                if k - 1 in wanted:  # dump frame 0 is step 0, which is not drawn
                    futures[k - 1] = pool.submit(labeller.label, [as_frame(frame, atoms)])
            dump_state["n_read"] += len(new)

        try:
            # the last chunk ends at n_steps, so every drawn frame is handed over inside the run
            _, summary = npt_dpmd(atoms, model_pb, workdir, type_map, on_chunk=hand_over, **md)
        except BaseException:
            for fut in futures.values():
                fut.cancel()
            raise
        labelled = [futures[i].result()[0] for i in indices]
    return (
        labelled,
        indices,
        {**summary, "labelled_during_md": True, "label_threads": int(label_threads)},
    )
