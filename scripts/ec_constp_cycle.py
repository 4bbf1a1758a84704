"""Rule ec_constp_cycle: cycle.json, the stage lengths and a per-round summary per series."""

import json
import sys

from lidendrite.constp.stages import cycle_summary


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "w")
    rounds = {s: [p for p in smk.input.rounds if f"/{s}/round" in p] for s in smk.params.series}
    stage = {"npt": smk.input.npt, "cut": smk.input.cut, "constq_nvt": smk.input.nvt}
    res = cycle_summary(stage, rounds, smk.params.cfg, out=smk.output.summary,
                        scale=smk.config["scale"])
    print(json.dumps(res["cycle_lengths_ps"]))


main(snakemake)  # noqa: F821 (injected by Snakemake)
