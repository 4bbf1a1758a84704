"""Rule plot_sei_thickness: SEI thickness and products vs time."""

import json
import sys

from lidendrite.io.jsonfile import write_json
from lidendrite.plotting.lpsc_sei_thickness import plot_sei_thickness


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "w")
    with open(smk.input.regions) as fh:
        regions = json.load(fh)
    out = plot_sei_thickness(regions, smk.output.png, smk.output.pdf)
    out = {"scale": smk.config["scale"], "level_of_theory": regions["level_of_theory"], **out}
    write_json(out, smk.output.summary)
    print(json.dumps(out))


main(snakemake)  # noqa: F821 (injected by Snakemake)
