"""Rule ec_toy_capacitor: surface charge densities over gaps (JSON) and Fig. 3a."""

import json
import sys

from lidendrite.analysis.ec_capacitor import capacitor_summary
from lidendrite.io.jsonfile import write_json
from lidendrite.plotting.ec_fig3a import plot_fig3a
from lidendrite.structures.extxyz import read_structure


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "w")
    by_gap, frames = {}, {}
    for path, js in zip(smk.input.charges, smk.input.summaries, strict=True):
        with open(js) as fh:
            res = json.load(fh)
        by_gap[res["gap_A"]] = res
        frames[res["gap_A"]] = read_structure(path)
    summary = capacitor_summary(by_gap, phi_anode=smk.params.bias["phi_anode"],
                                phi_cathode=smk.params.bias["phi_cathode"])
    lot = next(iter(by_gap.values()))["level_of_theory"]
    summary.update(scale=smk.config["scale"], labeller="none", level_of_theory=lot)
    write_json(summary, smk.output.summary)
    plot_fig3a(frames, summary, smk.output.png, smk.output.pdf, note=lot)
    print(json.dumps(summary))


main(snakemake)  # noqa: F821 (injected by Snakemake)
