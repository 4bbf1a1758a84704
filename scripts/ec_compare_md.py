"""Rule run_compare_md: ConstQ NVT of the single interface with DP-QEq or the full DP (ec Fig. 2b)."""

import json
import logging
import sys

from lidendrite.constp.compare_md import run_compare_md
from lidendrite.io.jsonfile import write_json


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "a")
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(asctime)s %(message)s")
    lot = json.loads(open(smk.input.provenance).read())["level_of_theory"]
    res = run_compare_md(smk.input.structure, smk.wildcards.engine, smk.input.model, md=smk.params.md,
                         qeq=smk.params.qeq, traj=smk.output.traj, workdir=smk.params.workdir,
                         info={"level_of_theory": f"{smk.wildcards.engine} trained on {lot}"})
    res.update(scale=smk.config["scale"], engine=smk.wildcards.engine,
               level_of_theory=f"{smk.wildcards.engine} trained on {lot}")
    write_json(res, smk.output.summary, default=str)
    print(json.dumps(res, default=str))


main(snakemake)  # noqa: F821 (injected by Snakemake)
