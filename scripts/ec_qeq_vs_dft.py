"""Rule ec_qeq_vs_dft: QEq vs CP2K Hirshfeld/CM5 charges of the interface model, neutral and
with one extra electron (ec Fig. 3b, S9a, S9b): JSON and both figures."""

import json
import sys

from lidendrite.analysis.ec_qeq_vs_dft import (
    atom_groups,
    compare_charges,
    extra_electron_partition,
    qeq_charges,
    verdicts,
)
from lidendrite.io.jsonfile import write_json
from lidendrite.plotting.ec_fig3b import plot_fig3b, plot_figs9b
from lidendrite.structures.extxyz import read_structure, write_structure


def _charges(frame, qeq):
    return {"QEq": qeq, "Hirshfeld": frame.arrays["hirshfeld_charges"],
            "CM5": frame.arrays["cm5_charges"]}


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "w")
    qeq = dict(smk.params.qeq)
    frames, dft = {}, {}
    for state in ("neutral", "extra-electron"):
        frames[state] = read_structure(smk.input[f"{state.replace('-', '_')}"])
        with open(smk.input[f"{state.replace('-', '_')}_summary"]) as fh:
            dft[state] = json.load(fh)
    atoms = frames["neutral"]
    charges = {s: _charges(frames[s], qeq_charges(frames[s], qeq, dft[s]["charge_e"]))
               for s in frames}
    groups = atom_groups(atoms)
    neutral = compare_charges(atoms, charges["neutral"])
    partition = {m: extra_electron_partition(charges["neutral"][m], charges["extra-electron"][m],
                                             groups) for m in charges["neutral"]}
    lot = (f"{dft['neutral']['level_of_theory']}; QEq {qeq['params']} parameter set "
           "(ec Table S1), ConstQ")
    out = {
        "scale": smk.config["scale"],
        "labeller": "cp2k",
        "level_of_theory": lot,
        "level_of_theory_extra_electron": dft["extra-electron"]["level_of_theory"],
        "model": {"n_atoms": len(atoms), "formula": atoms.get_chemical_formula(),
                  "cell_angstrom": [round(float(x), 3) for x in atoms.cell.lengths()],
                  "n_li_electrode": neutral["n_li_electrode"],
                  "n_li_electrolyte": neutral["n_li_electrolyte"]},
        **{f"mean_q_{g}_e": {m: neutral["methods"][m][f"mean_q_{g}_e"] for m in charges["neutral"]}
           for g in ("li_electrode", "li_electrolyte", "li_surface", "li_interior")},
        "qeq_vs_cm5": neutral["qeq_vs_cm5"],
        "qeq_vs_hirshfeld": neutral["qeq_vs_hirshfeld"],
        "neutral": neutral,
        "extra_electron": partition,
        "extra_electron_fraction_on_electrodes": {
            m: p["fraction_on_electrodes"] for m, p in partition.items()},
        "extra_electron_new_negative_electrode_li": {
            m: p["n_electrode_li_newly_negative"] for m, p in partition.items()},
        "extra_electron_note": ("CM5 corrections depend on the geometry only, so at fixed atoms "
                                "the CM5 and Hirshfeld charge changes are identical"),
        "dft_runs": {s: {k: dft[s][k] for k in ("charge_e", "multiplicity", "scf_steps",
                                                "cp2k_seconds", "spin_total_e")} for s in dft},
    }
    out.update(verdicts(out))
    for state, frame in frames.items():
        frame.set_array("qeq_charges", charges[state]["QEq"])
    write_structure(frames["neutral"], smk.output.charges)
    write_json(out, smk.output.summary)
    note = f"{smk.config['scale']} scale: {lot}"
    plot_fig3b(atoms, charges["neutral"], neutral, smk.output.png, smk.output.pdf, note=note)
    plot_figs9b(atoms, charges["neutral"], charges["extra-electron"], partition,
                smk.output.s9b_png, smk.output.s9b_pdf,
                note=f"{smk.config['scale']} scale: {dft['extra-electron']['level_of_theory']}")
    print(json.dumps(out, indent=2))


main(snakemake)  # noqa: F821 (injected by Snakemake)
