"""Rule plot_dos: Fig. 4d, PBE DOS of bulk Li6PS5Cl vs the SEI slab."""

import json
import sys

from lidendrite.io.jsonfile import write_json
from lidendrite.plotting.lpsc_fig4d_dos import plot_dos


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "w")
    systems = {}
    for name in ("bulk", "sei"):
        with open(smk.input[name]) as fh:
            systems[name] = (smk.input[f"{name}_dos"], json.load(fh))
    out = plot_dos(systems, smk.output.png, smk.output.pdf)
    bulk = systems["bulk"][1]
    out = {"scale": smk.config["scale"], "labeller": bulk["labeller"], "level_of_theory": bulk["level_of_theory"],
           **out}
    write_json(out, smk.output.summary)
    print(json.dumps(out))


main(snakemake)  # noqa: F821 (injected by Snakemake)
