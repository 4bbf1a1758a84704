"""Rule plot_charges: Fig. 3a (cluster frame) and 3b-d (Li coloured by QEq charge)."""

import json
import sys

from lidendrite.io.jsonfile import write_json
from lidendrite.io.trajectory import read_charge_frames
from lidendrite.plotting.lpsc_fig3_charges import plot_charge_maps, plot_cluster_snapshot


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "w")
    frames = read_charge_frames(smk.input.frames)
    with open(smk.input.cluster) as fh:
        cluster = json.load(fh)
    lot = smk.params.level_of_theory
    a = plot_cluster_snapshot(frames, cluster, smk.output.cluster_png, smk.output.cluster_pdf,
                              region_params=smk.params.regions, level_of_theory=lot)
    bcd = plot_charge_maps(frames, smk.output.charges_png, smk.output.charges_pdf, level_of_theory=lot)
    out = {"scale": smk.config["scale"], "level_of_theory": lot, "fig3a": a, "fig3bcd": bcd}
    write_json(out, smk.output.summary)
    print(json.dumps(out))


main(snakemake)  # noqa: F821 (injected by Snakemake)
