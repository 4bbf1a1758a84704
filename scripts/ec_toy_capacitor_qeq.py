"""Rule ec_toy_capacitor_qeq: ConstQ and ConstP charges of one toy capacitor (ec Fig. 3a)."""

import json
import sys

from lidendrite.constp.capacitor import capacitor_charges
from lidendrite.io.jsonfile import write_json
from lidendrite.qeq.bias import ElectrodeBias
from lidendrite.structures.extxyz import read_structure, write_structure


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "w")
    atoms = read_structure(smk.input.structure)
    res = capacitor_charges(atoms, bias=ElectrodeBias.from_config(smk.params.bias),
                            qeq=dict(smk.params.qeq))
    atoms.set_array("constq_charges", res["constq_charges"])
    atoms.set_array("charges", res["constp_charges"])
    atoms.set_array("phi", res["phi"])
    write_structure(atoms, smk.output.charges)
    summary = {k: v for k, v in res.items() if k not in ("constq_charges", "constp_charges", "phi")}
    summary.update(gap_A=float(smk.wildcards.gap), scale=smk.config["scale"], labeller="none",
                   level_of_theory=f"QEq, {smk.params.qeq['params']} parameter set (no DFT)")
    write_json(summary, smk.output.summary)
    print(json.dumps(summary))


main(snakemake)  # noqa: F821 (injected by Snakemake)
