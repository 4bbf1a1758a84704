"""Rule run_moving_restraint: LAMMPS (pair_style deepmd) + PLUMED moving restraint; resumes a killed run."""

import json
import shutil
import sys
from pathlib import Path

from lidendrite.analysis.pipeline import sampling_summary
from lidendrite.io.extxyz import read_structure
from lidendrite.io.jsonfile import write_json
from lidendrite.sampling.moving_restraint import run_moving_restraint


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "a")
    # the model is loaded by LAMMPS only (a model that does not load stops the setup with one
    # line naming it): deepmd's Python API in the same process registers its own TensorFlow
    # ops, and a compressed model then gives LAMMPS a non-finite pressure at step 0
    kw = dict(smk.params.sampling)
    result = run_moving_restraint(
        smk.input.structure,
        smk.params.workdir,
        pair_style=f"deepmd {Path(smk.input.model).resolve()}",
        pair_coeff="* *",
        type_map=smk.params.type_map,
        deepmd=True,
        **kw,
    )
    for src, dst in ((result.dump, smk.output.traj), (result.colvar, smk.output.colvar)):
        shutil.copyfile(src, dst + ".tmp")
        Path(dst + ".tmp").replace(dst)
    summary = {
        "scale": smk.config["scale"],
        "labeller": smk.params.labeller,
        "level_of_theory": smk.params.level_of_theory,
        **sampling_summary(result, kw["timestep_fs"], len(read_structure(smk.input.structure))),
        "kappa_ev": kw["kappa_ev"],
        "s0_rate": kw["s0_rate"],
    }
    write_json(summary, smk.output.summary)
    print(json.dumps(summary))


main(snakemake)  # noqa: F821 (injected by Snakemake)
