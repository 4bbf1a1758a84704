"""Rule ec_charge_z: Li charge distribution along z at the start and end of every ConstP round (ec Fig. 4a)."""

import json
import sys

from lidendrite.analysis.ec_charge_z import analyse_charge_z
from lidendrite.analysis.ec_frames import level_of_theory, load_cycle
from lidendrite.io.jsonfile import write_json
from lidendrite.plotting.ec_fig4a import plot_fig4a


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "w")
    cycle = load_cycle(smk.input.constq, list(smk.input.rounds))
    summary, profiles = analyse_charge_z(cycle["stages"], cycle["geometry"], bin_width=smk.params.bin_width)
    lot = level_of_theory(cycle["stages"][-1][1], smk.input.cycle)
    out = {"scale": smk.config["scale"], "level_of_theory": lot, "series": smk.params.series,
           "bin_width_A": smk.params.bin_width, **summary,
           "profiles": profiles}
    write_json(out, smk.output.summary)
    plot_fig4a(summary, profiles, smk.output.png, smk.output.pdf,
               note=f"{smk.config['scale']} scale, series {smk.params.series}; level of theory: {lot}")
    print(json.dumps({k: v for k, v in out.items() if k not in ("profiles", "rounds")}))


main(snakemake)  # noqa: F821 (injected by Snakemake)
