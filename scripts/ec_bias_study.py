"""Rule ec_bias_study: normalised Li charges per bias pair (bias_study.json) and Fig. S11."""

import json
import sys

from lidendrite.constp.stages import bias_study_summary


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "w")
    res = bias_study_summary(smk.input.runs, smk.params.cfg, smk.params.bias, out=smk.output.summary,
                             png=smk.output.png, pdf=smk.output.pdf, scale=smk.config["scale"])
    print(json.dumps({k: v for k, v in res.items() if k != "runs"}))


main(snakemake)  # noqa: F821 (injected by Snakemake)
