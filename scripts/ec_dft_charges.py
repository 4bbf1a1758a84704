"""Rule ec_dft_charges: CP2K PBE Hirshfeld and CM5 charges of the interface model, neutral or
with one extra electron (ec Fig. 3b, S9)."""

import json
import sys

from lidendrite.analysis.cm5 import cm5_charges
from lidendrite.dft.hirshfeld import dft_charge_settings, run_hirshfeld
from lidendrite.io.jsonfile import write_json
from lidendrite.structures.extxyz import read_structure, write_structure


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "w")
    dft = smk.params.dft
    extra = smk.wildcards.state == "extra-electron"
    settings = dft_charge_settings(
        smk.params.cp2k, dft, charge=-1 if extra else 0,
        multiplicity=dft["extra_electron_multiplicity"] if extra else 1, threads=smk.threads)
    atoms = read_structure(smk.input.structure)
    res = run_hirshfeld(atoms, settings, smk.params.workdir,
                        surface_dipole=dft["surface_dipole_correction"])
    cm5 = cm5_charges(atoms, res.charges, cutoff=dft["cm5_cutoff"])
    atoms.set_array("hirshfeld_charges", res.charges)
    atoms.set_array("cm5_charges", cm5)
    if res.spin is not None:
        atoms.set_array("hirshfeld_spin", res.spin)
    write_structure(atoms, smk.output.charges)
    spin = "UKS" if settings.multiplicity > 1 else "RKS"
    summary = {
        "scale": smk.config["scale"],
        "state": smk.wildcards.state,
        "labeller": "cp2k",
        "level_of_theory": (
            f"CP2K PBE/{settings.basis_set} ({res.version}, {settings.potential} pseudopotentials, "
            f"{settings.cutoff:g}/{settings.rel_cutoff:g} Ry, Gamma, Fermi-Dirac "
            f"{settings.smearing_temperature:g} K, {spin}); Hirshfeld (free-atom densities), CM5"),
        "charge_e": settings.charge,
        "multiplicity": settings.multiplicity,
        "n_atoms": len(atoms),
        "hirshfeld_total_e": float(res.charges.sum()),
        "cm5_total_e": float(cm5.sum()),
        "spin_total_e": float(res.spin.sum()) if res.spin is not None else None,
        "scf_steps": res.scf_steps,
        "cp2k_seconds": res.seconds,
        "cp2k_output": res.output,
    }
    write_json(summary, smk.output.summary)
    print(json.dumps(summary))


main(snakemake)  # noqa: F821 (injected by Snakemake)
