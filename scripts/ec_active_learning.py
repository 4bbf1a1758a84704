"""Rule ec_active_learning: DP_short concurrent learning with DP-QEq exploration; record JSON and plot."""

import json
import sys
from pathlib import Path

from lidendrite.dpqeq.active_learning import run_active_learning
from lidendrite.dpqeq.data import write_frames
from lidendrite.io.jsonfile import write_json
from lidendrite.labeling.active import active_labeller
from lidendrite.plotting.ec_active_learning import plot_ec_active_learning
from lidendrite.structures.extxyz import read_structure


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "w")
    labeller = active_labeller(smk.config, "ec")
    structures = {"ec-single-interface": read_structure(smk.input.single),
                  "ec-double-interface": read_structure(smk.input.double)}
    init = sorted(p for p in Path(smk.input.short).iterdir() if (p / "type.raw").is_file())
    record = run_active_learning(
        init_short_systems=init, structures=structures, labeller=labeller,
        workdir=smk.params.workdir, type_map=smk.params.type_map, training=smk.params.training,
        al_cfg=smk.params.al, dpqeq=smk.params.dpqeq, bias=smk.params.bias,
        threads=smk.threads)
    write_frames(record.pop("added_frames"), smk.output.frames)
    record.update(scale=smk.config["scale"], labeller=labeller.name,
                  level_of_theory=labeller.level_of_theory)
    write_json(record, smk.output.record)
    plot_ec_active_learning(record, smk.output.plot, smk.output.plot_pdf,
                            level_of_theory=labeller.level_of_theory)
    print(json.dumps({k: v for k, v in record.items() if k != "iterations"}))


main(snakemake)  # noqa: F821 (injected by Snakemake)
