"""Rule label_test_frames: NPT DPMD of the 185-atom interface, random frames labelled (lpsc Results)."""

import json
import os
import shutil
from pathlib import Path

from lidendrite.io.extxyz import read_structure
from lidendrite.io.jsonfile import write_json
from lidendrite.labeling.active import active_labeller
from lidendrite.labeling.base import write_dpdata
from lidendrite.labeling.cli import MIN_DISTANCE
from lidendrite.structures.checks import check_min_distance, closest_pair
from lidendrite.training.test_frames import label_test_frames
from lidendrite.workflow import run_rule


def run(smk):
    p = dict(smk.params.test)
    n_frames, label_threads = p.pop("n_frames"), p.pop("label_threads")
    atoms = read_structure(smk.input.interface)
    check_min_distance(atoms, MIN_DISTANCE, what=smk.input.interface)
    labeller = active_labeller(smk.config, "lpsc")
    labelled, idx, md = label_test_frames(
        atoms,
        smk.input.model,
        smk.params.workdir,
        smk.params.type_map,
        labeller,
        n_frames=n_frames,
        label_threads=label_threads,
        **p,
    )
    out = Path(smk.output.data)
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    write_dpdata(
        labelled,
        tmp,
        smk.params.type_map,
        labeller=labeller.name,
        level_of_theory=labeller.level_of_theory,
        settings=labeller.settings(),
    )
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)
    summary = {
        "scale": smk.config["scale"],
        "labeller": labeller.name,
        "level_of_theory": labeller.level_of_theory,
        "structure": str(smk.input.interface),
        "n_atoms": len(atoms),
        "npt_dpmd": md,
        "n_frames": len(labelled),
        "frame_steps": [(i + 1) * p["dump_every"] for i in idx],
        # a DPMD driven by a poorly trained model can collapse: shortest distance in the test frames
        "min_distance_angstrom": min(
            (pair[2] for f in labelled if (pair := closest_pair(f, 6.0)) is not None), default=None
        ),
    }
    write_json(summary, smk.output.summary)
    print(json.dumps(summary))


run_rule(snakemake, run, "label_test_frames")  # noqa: F821 (injected by Snakemake)
