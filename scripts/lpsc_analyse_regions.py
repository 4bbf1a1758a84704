"""Rule analyse_regions: anode / SEI / electrolyte along z, SEI thickness and products for every frame."""

import json
import sys

from lidendrite.analysis.pipeline import regions_over_time
from lidendrite.io.extxyz import read_structure
from lidendrite.io.jsonfile import write_json


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "w")
    out = regions_over_time(
        smk.input.traj,
        read_structure(smk.input.structure),
        timestep_fs=smk.params.timestep_fs,
        **smk.params.regions,
    )
    out = {"scale": smk.config["scale"], "level_of_theory": smk.params.level_of_theory, **out}
    write_json(out, smk.output.summary)
    print(json.dumps({k: v for k, v in out.items() if k != "frames"}))


main(snakemake)  # noqa: F821 (injected by Snakemake)
