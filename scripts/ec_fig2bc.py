"""Rule ec_fig2bc: RDFs of DP-QEq vs full-DP MD (ec Fig. 2b) and energies of the DP-QEq frames by
DP-QEq, full DP and the labeller (Fig. 2c)."""

import json
import sys

import numpy as np

from lidendrite.analysis.ec_md_compare import energy_comparison, fig2_verdict, rdf_comparison
from lidendrite.constp.compare_md import md_calculator
from lidendrite.io.jsonfile import write_json
from lidendrite.io.trajectory import read_frames
from lidendrite.labeling.active import active_labeller
from lidendrite.plotting.ec_fig2bc import plot_fig2b, plot_fig2c
from lidendrite.plotting.style import paper_value


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "w")
    p = smk.params
    lot = json.loads(open(smk.input.provenance).read())["level_of_theory"]
    dpqeq, full = read_frames(smk.input.dpqeq), read_frames(smk.input.full_dp)
    rdfs = rdf_comparison(dpqeq, full, p.pairs, r_max=p.r_max, dr=p.dr)
    # Fig. 2c: at most energy_max_frames evenly spaced DP-QEq frames, re-evaluated
    pick = np.unique(np.linspace(0, len(dpqeq) - 1, min(p.energy_max_frames, len(dpqeq))).round().astype(int))
    frames = [dpqeq[i] for i in pick]
    calc = md_calculator("full_dp", smk.input.full_dp_model)
    e_full = []
    for f in frames:
        a = f.copy()
        a.calc = calc
        e_full.append(a.get_potential_energy())
    labeller = active_labeller(smk.config, "ec")
    e_lab = [a.get_potential_energy() for a in labeller.label(frames)]
    energies = {"dpqeq": [f.info["energy"] for f in frames], "full_dp": e_full, "labeller": e_lab}
    comp = energy_comparison(energies, n_atoms=len(frames[0]))
    times = np.array([f.info.get("time_ps", 0.0) for f in frames])
    out = {"scale": smk.config["scale"], "level_of_theory": lot, "labeller": labeller.name,
           "labeller_level_of_theory": labeller.level_of_theory, "n_frames_md": len(dpqeq),
           "rdf": {k: {kk: vv for kk, vv in v.items() if kk not in ("r", "g_a", "g_b")} for k, v in rdfs.items()},
           "energies": {**{k: v for k, v in comp.items() if k != "centred_meV_per_atom"},
                        "time_ps": times, "raw_eV": energies, "centred_meV_per_atom": comp["centred_meV_per_atom"]}}
    out.update(fig2_verdict(rdfs, comp, rdf_match_fraction=p.rdf_match_fraction,
                            paper_energy_rmse=paper_value("ec", "dpqeq_test_energy_rmse")))
    write_json(out, smk.output.summary)
    note = f"{smk.config['scale']} scale, {len(dpqeq)} frames per trajectory; models trained on {lot}"
    plot_fig2b(rdfs, smk.output.png_b, smk.output.pdf_b, note=note, verdict=out["paper_effect"])
    plot_fig2c(times, comp, smk.output.png_c, smk.output.pdf_c, note=note, verdict=out["paper_effect"],
               labels={"dpqeq": "DP-QEq", "full_dp": "full DP", "labeller": f"labeller ({labeller.name})"})
    print(json.dumps({k: v for k, v in out.items() if k != "energies"}, default=str))


main(snakemake)  # noqa: F821 (injected by Snakemake)
