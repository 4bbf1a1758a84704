"""Rule plot_rdf: Fig. 4b, Li-Li RDF of the cluster vs the anode."""

import json
import sys

from lidendrite.io.jsonfile import write_json
from lidendrite.plotting.lpsc_fig4b_rdf import plot_rdf


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "w")
    with open(smk.input.cluster) as fh:
        cluster = json.load(fh)
    out = plot_rdf(smk.input.rdf, cluster, smk.output.png, smk.output.pdf,
                   level_of_theory=cluster["level_of_theory"])
    out = {"scale": smk.config["scale"], "level_of_theory": cluster["level_of_theory"], **out}
    write_json(out, smk.output.summary)
    print(json.dumps(out))


main(snakemake)  # noqa: F821 (injected by Snakemake)
