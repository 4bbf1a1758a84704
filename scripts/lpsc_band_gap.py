"""Rule band_gap: CP2K PBE band gap and DOS of bulk Li6PS5Cl or of the SEI slab."""

import json
import shutil
import sys

from lidendrite.dft.band_gap import band_gap_settings, run_band_gap
from lidendrite.io.extxyz import read_structure
from lidendrite.io.jsonfile import write_json


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "w")
    system = smk.wildcards.system
    settings = band_gap_settings(smk.params.cp2k, smk.params.dft, system)
    atoms = read_structure(smk.input.structure)
    res = run_band_gap(
        atoms, settings, smk.params.workdir, dos_delta_ev=smk.params.dft["dos_delta_ev"]
    )
    shutil.copyfile(res.dos_file, smk.output.dos)
    out = {
        "scale": smk.config["scale"],
        "system": system,
        "labeller": "cp2k",
        "level_of_theory": f"DFT PBE (CP2K, {settings.basis_set}, {settings.cutoff} Ry, k {res.kpoints})",
        "comparable_to_paper": smk.params.comparable,
        **res.as_dict(),
    }
    write_json(out, smk.output.summary)
    print(json.dumps(out))


main(snakemake)  # noqa: F821 (injected by Snakemake)
