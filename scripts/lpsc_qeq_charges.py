"""Rule qeq_charges: QEq charges (lpsc parameters, ConstQ, total 0) on frames at the paper's times."""

import json
import sys

from lidendrite.analysis.pipeline import charges_at_times
from lidendrite.io.extxyz import read_structure
from lidendrite.io.jsonfile import write_json


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "w")
    out = charges_at_times(
        smk.input.traj,
        read_structure(smk.input.structure),
        n_steps=smk.params.n_steps,
        timestep_fs=smk.params.timestep_fs,
        fractions=smk.params.fractions,
        out_extxyz=smk.output.frames,
    )
    out = {
        "scale": smk.config["scale"],
        "level_of_theory": "QEq, lpsc Table S2 parameters, ConstQ (total 0)",
        **out,
    }
    write_json(out, smk.output.summary)
    print(json.dumps(out))


main(snakemake)  # noqa: F821 (injected by Snakemake)
