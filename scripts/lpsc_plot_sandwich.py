"""Rule plot_sandwich: Fig. 2a-b, the sandwich at t = 0 and at the last frame."""

import json
import sys

from lidendrite.io.extxyz import read_structure
from lidendrite.io.jsonfile import write_json
from lidendrite.io.lammps_dump import read_frames
from lidendrite.plotting.lpsc_fig2_sandwich import plot_sandwich


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "w")
    with open(smk.input.sampling) as fh:
        sampling = json.load(fh)
    start = read_structure(smk.input.structure)
    frames = [read_frames(smk.input.traj, start, index=0), read_frames(smk.input.traj, start, index=-1)]
    times = [a.info["step"] * smk.params.timestep_fs * 1e-3 for a in frames]
    out = plot_sandwich(frames, smk.output.png, smk.output.pdf, times_ps=times, region_params=smk.params.regions,
                        level_of_theory=sampling["level_of_theory"])
    out = {"scale": smk.config["scale"], "labeller": sampling["labeller"],
           "level_of_theory": sampling["level_of_theory"], "panels": out}
    write_json(out, smk.output.summary)
    print(json.dumps(out))


main(snakemake)  # noqa: F821 (injected by Snakemake)
