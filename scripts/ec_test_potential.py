"""Rule ec_test_potential: test RMSEs of full DP and DP-QEq (ec Fig. 2a) beside the paper's; parity plot."""

import json
import sys
from pathlib import Path

from lidendrite.dpqeq.data import read_frames
from lidendrite.dpqeq.evaluate import test_dpqeq
from lidendrite.io.jsonfile import write_json
from lidendrite.plotting.ec_parity import plot_ec_parity
from lidendrite.plotting.style import paper_value
from lidendrite.training import deepmd_run


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "w")
    rec = json.loads((Path(smk.input.full) / "labeller.json").read_text())
    level = rec["level_of_theory"]
    systems = [Path(smk.input.full) / s for s in rec["systems"]]
    out = Path(smk.output.summary).parent
    full = deepmd_run.test(smk.input.full_dp, systems, workdir=(out / "dp_test").resolve(), threads=smk.threads)
    dpqeq = test_dpqeq(smk.input.dp_short, read_frames(smk.input.frames), smk.params.qeq)
    summary = {"scale": smk.config["scale"], "labeller": rec["labeller"], "level_of_theory": level}
    for name, res, stem, keys in (
        ("full_dp", full, smk.output.full_npz, ("full_dp_test_energy_rmse", "full_dp_test_force_rmse")),
        ("dpqeq", dpqeq, smk.output.dpqeq_npz, ("dpqeq_test_energy_rmse", "dpqeq_test_force_rmse")),
    ):
        deepmd_run.write_test_summary(res, Path(stem).with_suffix(".json"), level_of_theory=level,
                                      paper_energy_rmse_meV_per_atom=paper_value("ec", keys[0]),
                                      paper_force_rmse_meV_per_A=1e3 * paper_value("ec", keys[1]))
        summary[name] = {"energy_rmse_meV_per_atom": res["energy_rmse_meV_per_atom"],
                         "force_rmse_meV_per_A": res["force_rmse_meV_per_A"], "n_frames": res["n_frames"],
                         "paper_energy_rmse_meV_per_atom": paper_value("ec", keys[0]),
                         "paper_force_rmse_meV_per_A": 1e3 * paper_value("ec", keys[1])}
    plot_ec_parity(smk.output.full_npz, smk.output.dpqeq_npz, smk.output.plot, smk.output.plot_pdf,
                   level_of_theory=level)
    write_json(summary, smk.output.summary)
    print(json.dumps(summary))


main(snakemake)  # noqa: F821 (injected by Snakemake)
