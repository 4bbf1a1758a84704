"""Rule cut_constp_double_interface: the double interface cut from the NPT superlattice."""

import json
import sys

from lidendrite.constp.stages import cut_structure


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "w")
    res = cut_structure(smk.input.structure, smk.params.cut, out=smk.output.structure,
                        summary=smk.output.summary, scale=smk.config["scale"])
    print(json.dumps(res))


main(snakemake)  # noqa: F821 (injected by Snakemake)
