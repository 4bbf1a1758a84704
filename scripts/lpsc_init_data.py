"""Rule label_init_data: initial DP-GEN data of lpsc SI 2.1, labelled by the active labeller."""

import json
import os
import shutil
from pathlib import Path

from lidendrite.io.extxyz import read_structure
from lidendrite.io.jsonfile import write_json
from lidendrite.labeling.active import active_labeller
from lidendrite.labeling.cli import MIN_DISTANCE
from lidendrite.structures.checks import check_min_distance
from lidendrite.training.init_data import initial_dataset
from lidendrite.workflow import run_rule


def run(smk):
    structures = {}
    for name, path in (
        ("li-bcc", smk.input.li_bcc),
        ("lpsc-bulk", smk.input.lpsc_bulk),
        ("lpsc-interface", smk.input.interface),
    ):
        atoms = read_structure(path)
        check_min_distance(atoms, MIN_DISTANCE, what=str(path))
        structures[name] = atoms
    labeller = active_labeller(smk.config, "lpsc")
    out = Path(smk.output.data)
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    written = initial_dataset(
        structures, labeller, tmp, smk.params.type_map, **smk.params.init_data
    )
    os.replace(tmp, out)
    systems = {
        name: [str(out / p.relative_to(tmp)) for p in paths] for name, paths in written.items()
    }
    n_frames = {
        name: json.loads((out / name / "labeller.json").read_text())["n_frames"] for name in written
    }
    summary = {
        "scale": smk.config["scale"],
        "labeller": labeller.name,
        "level_of_theory": labeller.level_of_theory,
        "n_frames": n_frames,
        "n_frames_total": sum(n_frames.values()),
        "systems": systems,
        "settings": dict(smk.params.init_data),
    }
    write_json(summary, smk.output.summary)
    print(json.dumps(summary))


run_rule(snakemake, run, "label_init_data")  # noqa: F821 (injected by Snakemake)
