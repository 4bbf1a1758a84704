"""Rule relax_bulk: relax a bulk cell with the active labeller; report its lattice constant."""

import json
import math
import sys

from lidendrite.io.extxyz import read_structure, write_structure
from lidendrite.io.jsonfile import write_json
from lidendrite.labeling.active import active_labeller
from lidendrite.structures.relax import relax
from lidendrite.structures.summary import cubic_lattice_constant, structure_summary


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "w")
    atoms = read_structure(smk.input.structure)
    labeller = active_labeller(smk.config, "lpsc")
    relaxed = relax(
        atoms,
        labeller.calculator(),
        fmax=smk.params.fmax,
        steps=smk.params.steps,
        cell=True,
        stress_tol=smk.params.stress_tol,
    )
    write_structure(relaxed, smk.output.structure)
    n_cells = math.prod(smk.params.repeat)
    summary = structure_summary(
        relaxed,
        kind=smk.wildcards.kind,
        scale=smk.config["scale"],
        lattice_constant_angstrom=round(cubic_lattice_constant(relaxed, n_cells), 4),
        cell_angles_deg=[round(float(x), 3) for x in relaxed.cell.angles()],
        relax_energy_ev=relaxed.info.get("relax_energy"),
        relax_converged=relaxed.info["relax_converged"],
        relax_steps=relaxed.info["relax_steps"],
        relax_max_stress_GPa=round(relaxed.info["relax_max_stress_GPa"], 4),
        labeller=labeller.name,
        level_of_theory=labeller.level_of_theory,
    )
    write_json(summary, smk.output.summary)
    print(json.dumps(summary))


main(snakemake)  # noqa: F821 (injected by Snakemake)
