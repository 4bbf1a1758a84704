"""Rule ec_init_data: initial data of the ec potentials (perturbed BCC Li; labeller-driven NVT), labelled."""

import json
import sys

from lidendrite.dpqeq.data import MD_ENGINE, initial_frames, label_summary, li_bcc, write_frames
from lidendrite.io.jsonfile import write_json
from lidendrite.labeling.active import active_labeller
from lidendrite.labeling.base import write_dpdata
from lidendrite.structures.extxyz import read_structure


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "w")
    cfg = smk.params.init
    labeller = active_labeller(smk.config, "ec")
    structures = {
        "li-bcc": li_bcc(cfg["li_bcc_a"], cfg["li_bcc_repeat"]),
        "ec-electrolyte": read_structure(smk.input.electrolyte),
        "ec-single-interface": read_structure(smk.input.interface),
    }
    frames = initial_frames(structures, labeller, cfg)
    write_dpdata(frames, smk.output.full, smk.params.type_map, labeller=labeller.name,
                 level_of_theory=labeller.level_of_theory, settings=labeller.settings())
    write_frames(frames, smk.output.frames)
    summary = {"scale": smk.config["scale"], "labeller": labeller.name,
               "level_of_theory": labeller.level_of_theory, "md_engine": MD_ENGINE,
               **label_summary(frames)}
    write_json(summary, smk.output.summary)
    print(json.dumps(summary))


main(snakemake)  # noqa: F821 (injected by Snakemake)
