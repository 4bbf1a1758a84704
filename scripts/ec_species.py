"""Rule ec_species: species over the cycle with ReacNetGenerator (ec Fig. S10b) and products along z (Fig. 6)."""

import json
import sys

from lidendrite.analysis.ec_frames import level_of_theory, load_cycle
from lidendrite.analysis.ec_species import analyse_species
from lidendrite.io.jsonfile import write_json
from lidendrite.plotting.ec_species import plot_species_time, plot_species_z


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "w")
    p = smk.params
    cycle = load_cycle(smk.input.constq, list(smk.input.rounds), stride=p.frame_stride)
    summary, data = analyse_species(cycle["stages"], cycle["geometry"], bin_width=p.bin_width, hmm=p.hmm,
                                    nproc=smk.threads, keep=smk.output.raw)
    lot = level_of_theory(cycle["stages"][-1][1], smk.input.cycle)
    out = {"scale": smk.config["scale"], "level_of_theory": lot, "series": p.series, **summary,
           "time_ps": data["times_ps"], "counts": data["counts"],
           "stage_of_frame": [data["labels"][k] for k in data["segment"]]}
    write_json(out, smk.output.summary)
    note = f"{smk.config['scale']} scale, series {p.series}; level of theory: {lot}"
    plot_species_time(summary, data, smk.output.png_time, smk.output.pdf_time, note=note)
    plot_species_z(summary, data, smk.output.png_z, smk.output.pdf_z, geom=cycle["geometry"], note=note)
    print(json.dumps({k: v for k, v in out.items() if k not in ("time_ps", "counts", "stage_of_frame")}))


main(snakemake)  # noqa: F821 (injected by Snakemake)
