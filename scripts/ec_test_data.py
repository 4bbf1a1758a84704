"""Rule ec_test_data: test frames (SI 2.3) from NVT of the single interface, labelled, never trained on."""

import json
import sys

from lidendrite.dpqeq.data import MD_ENGINE, label_summary, test_frames, write_frames
from lidendrite.io.jsonfile import write_json
from lidendrite.labeling.active import active_labeller
from lidendrite.labeling.base import write_dpdata
from lidendrite.structures.extxyz import read_structure


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "w")
    labeller = active_labeller(smk.config, "ec")
    frames = test_frames(read_structure(smk.input.interface), labeller, smk.params.test,
                         seed=smk.params.test["seed"])
    write_dpdata(frames, smk.output.full, smk.params.type_map, labeller=labeller.name,
                 level_of_theory=labeller.level_of_theory, settings=labeller.settings())
    write_frames(frames, smk.output.frames)
    summary = {"scale": smk.config["scale"], "labeller": labeller.name,
               "level_of_theory": labeller.level_of_theory, "md_engine": MD_ENGINE,
               **label_summary(frames)}
    write_json(summary, smk.output.summary)
    print(json.dumps(summary))


main(snakemake)  # noqa: F821 (injected by Snakemake)
