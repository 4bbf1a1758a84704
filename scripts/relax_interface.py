"""Rule relax_interface: relax the lpsc interface slab with the active labeller (SI 2.1)."""

import json
import sys

from lidendrite.io.extxyz import read_structure, write_structure
from lidendrite.io.jsonfile import write_json
from lidendrite.labeling.active import active_labeller
from lidendrite.structures.cli import SLAB_CELL_MASK
from lidendrite.structures.relax import relax
from lidendrite.structures.summary import structure_summary


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "w")
    atoms = read_structure(smk.input.structure)
    labeller = active_labeller(smk.config, "lpsc")
    print(f"relaxing {len(atoms)} atoms (positions and in-plane cell) to fmax {smk.params.fmax} eV/A "
          f"and in-plane stress {smk.params.stress_tol} GPa, "
          f"at most {smk.params.steps} FIRE steps, with {labeller.level_of_theory}", flush=True)
    relaxed = relax(
        atoms,
        labeller.calculator(),
        fmax=smk.params.fmax,
        steps=smk.params.steps,
        cell=True,
        cell_mask=SLAB_CELL_MASK,
        stress_tol=smk.params.stress_tol,
    )
    write_structure(relaxed, smk.output.structure)
    info = relaxed.info
    summary = structure_summary(
        relaxed,
        kind="lpsc-interface-relaxed",
        scale=smk.config["scale"],
        relax_converged=info["relax_converged"],
        relax_steps=info["relax_steps"],
        relax_fmax_ev_per_angstrom=info["relax_fmax"],
        relax_stress_tol_GPa=smk.params.stress_tol,
        relax_max_stress_GPa=round(info["relax_max_stress_GPa"], 4),
        relax_energy_start_ev=info.get("relax_energy_start"),
        relax_energy_ev=info.get("relax_energy"),
        built_cell_angstrom=[round(float(x), 4) for x in atoms.cell.lengths()],
        labeller=labeller.name,
        level_of_theory=labeller.level_of_theory,
    )
    write_json(summary, smk.output.summary)
    print(json.dumps(summary))


main(snakemake)  # noqa: F821 (injected by Snakemake)
