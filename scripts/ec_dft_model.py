"""Rule ec_dft_model: the interface model of the QEq-vs-DFT charge comparison (ec Fig. 3b, S9)."""

import json
import sys

from lidendrite.io.jsonfile import write_json
from lidendrite.structures.cli import build
from lidendrite.structures.extxyz import write_structure
from lidendrite.structures.summary import structure_summary


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "w")
    dft = smk.params.dft
    kind = dft["model_kind"]
    params = dict(smk.params.builder)
    for key in ("n_cells", "n_layers", "n_atoms_target"):
        if dft[f"model_{key}"] is not None:
            params[key] = dft[f"model_{key}"]
    atoms = build(kind, params)
    write_structure(atoms, smk.output.structure)
    summary = structure_summary(atoms, kind=kind, scale=smk.config["scale"],
                                level_of_theory="none: built from parameters (unrelaxed)")
    summary["builder_params"] = {k: v for k, v in params.items() if k != "packmol_bin"}
    write_json(summary, smk.output.summary)
    print(json.dumps(summary))


main(snakemake)  # noqa: F821 (injected by Snakemake)
