"""Rule extract_sei_slab: the SEI between the anode surface and the cluster, periodic without vacuum, relaxed with the DP model."""

import json
import sys

from lidendrite.analysis.sei_slab import extract_sei_slab
from lidendrite.io.extxyz import write_structure
from lidendrite.io.jsonfile import write_json
from lidendrite.io.trajectory import read_charge_frames


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "w")
    p = smk.params
    with open(smk.input.cluster) as fh:
        cluster = json.load(fh)
    slab, summary = extract_sei_slab(
        read_charge_frames(smk.input.frames),
        cluster,
        width=p.width,
        min_distance=p.min_distance,
        model=smk.input.model,
        fmax=p.fmax,
        steps=p.steps,
        q_metal=p.q_metal,
        min_width=p.min_width,
    )
    write_structure(slab, smk.output.structure)
    summary = {"scale": smk.config["scale"], "level_of_theory": p.level_of_theory, **summary}
    write_json(summary, smk.output.summary)
    print(json.dumps(summary))


main(snakemake)  # noqa: F821 (injected by Snakemake)
