"""Rule build_structure: build one starting structure from the run's config."""

import json
import sys

from lidendrite.io.extxyz import write_structure
from lidendrite.io.jsonfile import write_json
from lidendrite.structures.cli import build
from lidendrite.structures.summary import structure_summary


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "w")
    kind = smk.params.kind if "kind" in smk.params.keys() else smk.wildcards.kind
    gap = float(smk.wildcards.gap) if "gap" in smk.wildcards.keys() else None
    atoms = build(kind, dict(smk.params.builder), gap=gap)
    write_structure(atoms, smk.output.structure)
    summary = structure_summary(atoms, kind=kind, scale=smk.config["scale"],
                                level_of_theory="none: built from parameters (unrelaxed)")
    write_json(summary, smk.output.summary)
    print(json.dumps(summary))


main(snakemake)  # noqa: F821 (injected by Snakemake)
