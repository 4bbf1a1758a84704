"""Rule ec_li_bonds: Li-Li bonds per Li in the deposition region, first vs last ConstP round (ec Fig. S13)."""

import json
import sys

from lidendrite.analysis.ec_bonds import analyse_bonds
from lidendrite.analysis.ec_frames import level_of_theory, load_cycle
from lidendrite.io.jsonfile import write_json
from lidendrite.plotting.ec_figS13 import plot_bonds


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "w")
    p = smk.params
    cycle = load_cycle(smk.input.constq, list(smk.input.rounds))
    summary, data = analyse_bonds(cycle["stages"], cycle["geometry"], cutoff=p.li_li_cutoff, depth=p.depth)
    lot = level_of_theory(cycle["stages"][-1][1], smk.input.cycle)
    out = {"scale": smk.config["scale"], "level_of_theory": lot, "series": p.series, **summary}
    write_json(out, smk.output.summary)
    plot_bonds(summary, data, smk.output.png, smk.output.pdf,
               note=f"{smk.config['scale']} scale, series {p.series}; level of theory: {lot}")
    print(json.dumps({k: v for k, v in out.items() if k != "tracked_atoms"}))


main(snakemake)  # noqa: F821 (injected by Snakemake)
