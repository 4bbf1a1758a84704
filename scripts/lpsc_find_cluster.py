"""Rule find_cluster: metal-like Li cluster (QEq), its distance from the Li/SEI boundary, origin and RDF."""

import json
import sys

import numpy as np

from lidendrite.analysis.pipeline import cluster_and_rdf
from lidendrite.io.jsonfile import write_json
from lidendrite.io.trajectory import read_charge_frames


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "w")
    p = smk.params
    out, arrays = cluster_and_rdf(
        read_charge_frames(smk.input.frames),
        region_params=p.regions,
        li_li_cutoff=p.li_li_cutoff,
        q_metal=p.q_metal,
        min_size=p.min_size,
        anchor_layer=p.anchor_layer,
        r_max=p.r_max,
        dr=p.dr,
    )
    out = {"scale": smk.config["scale"], "level_of_theory": smk.params.level_of_theory, **out}
    np.savez(smk.output.rdf, **arrays)
    write_json(out, smk.output.summary)
    print(json.dumps({k: v for k, v in out.items() if k != "frames"}))


main(snakemake)  # noqa: F821 (injected by Snakemake)
