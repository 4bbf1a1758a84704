"""Rule ec_dead_li: dendrite-nucleation protrusions and dead Li in both ConstP series, Fig. 5 and S12."""

import json
import sys

import yaml

from lidendrite.analysis.ec_dead_li import analyse_series
from lidendrite.analysis.ec_frames import level_of_theory, load_cycle
from lidendrite.config import CONFIG_DIR
from lidendrite.io.jsonfile import write_json
from lidendrite.plotting.ec_fig5 import plot_charge_states

HEADLINE = ("dead_li_distance_angstrom", "dead_li_centroid_to_tip_angstrom", "dead_li_gap_to_electrode_angstrom",
            "dead_li_size_atoms", "dendrite_size_atoms", "dendrite_height_angstrom", "dendrite_electrode",
            "shows_paper_effect", "paper_effect", "headline_frame")


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "w")
    p = smk.params
    ref = yaml.safe_load((CONFIG_DIR / "paper_values.yaml").read_text())["ec"]["dead_li_distance"]
    kw = dict(q_metal=p.q_metal, li_li_cutoff=p.li_li_cutoff, anchor_layer=p.anchor_layer,
              min_dead_size=p.min_dead_size, protrusion_min_height=p.protrusion_min_height,
              paper_distance=ref["value"], paper_tolerance=ref["tolerance"])
    out = {"scale": smk.config["scale"], "params": {k: v for k, v in kw.items() if not k.startswith("paper")},
           "paper_dead_li_distance_angstrom": ref["value"]}
    jobs = (("main", smk.input.main, smk.output.png, smk.output.pdf, "ec Fig. 5 (CN cutoff 3.5 Å)"),
            ("s12", smk.input.s12, smk.output.png_s12, smk.output.pdf_s12, "ec Fig. S12 (CN cutoff 3.3 Å)"))
    for series, rounds, png, pdf, title in jobs:
        cycle = load_cycle(smk.input.constq, list(rounds))
        summary, regions = analyse_series(cycle["stages"], cycle["geometry"], **kw)
        lot = level_of_theory(cycle["stages"][-1][1], smk.input.cycle)
        out.setdefault("level_of_theory", lot)
        out[series] = summary
        plot_charge_states(cycle["stages"], regions, summary, png, pdf, geom=cycle["geometry"], title=title,
                           note=f"{smk.config['scale']} scale; level of theory: {lot}")
    out.update({k: out["main"][k] for k in HEADLINE})
    write_json(out, smk.output.summary)
    print(json.dumps({k: out[k] for k in HEADLINE}))


main(snakemake)  # noqa: F821 (injected by Snakemake)
