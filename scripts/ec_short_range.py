"""Rule ec_short_range_labels: E_short = E_label - E_QEq(ConstQ), forces and virial likewise, as dpdata."""

import json
import sys

import numpy as np

from lidendrite.dpqeq.data import read_frames
from lidendrite.dpqeq.short_range import write_short_range
from lidendrite.io.jsonfile import write_json


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "w")
    frames = read_frames(smk.input.frames)
    rec = json.loads(open(smk.input.summary).read())
    short, systems = write_short_range(
        frames, smk.output.short, smk.params.type_map, labeller=rec["labeller"],
        level_of_theory=rec["level_of_theory"], qeq_settings=smk.params.qeq)
    e_qeq = np.array([f.info["e_qeq"] / len(f) for f in short])
    summary = {"scale": smk.config["scale"], "labeller": rec["labeller"],
               "level_of_theory": rec["level_of_theory"], "n_frames": len(short),
               "systems": [s.name for s in systems],
               "e_qeq_per_atom_eV_range": [float(e_qeq.min()), float(e_qeq.max())]}
    write_json(summary, smk.output.summary)
    print(json.dumps(summary))


main(snakemake)  # noqa: F821 (injected by Snakemake)
