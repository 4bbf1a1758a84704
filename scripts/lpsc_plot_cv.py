"""Rule plot_cv: CV(t) against s0(t) of the moving-restraint run."""

import json
import sys

from lidendrite.io.jsonfile import write_json
from lidendrite.plotting.lpsc_cv import plot_cv


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "w")
    with open(smk.input.sampling) as fh:
        sampling = json.load(fh)
    out = plot_cv(smk.input.colvar, smk.output.png, smk.output.pdf, kappa_ev=smk.params.kappa_ev,
                  level_of_theory=sampling["level_of_theory"])
    out = {"scale": smk.config["scale"], "labeller": sampling["labeller"],
           "level_of_theory": sampling["level_of_theory"], "kappa_ev": smk.params.kappa_ev, **out}
    write_json(out, smk.output.summary)
    print(json.dumps(out))


main(snakemake)  # noqa: F821 (injected by Snakemake)
