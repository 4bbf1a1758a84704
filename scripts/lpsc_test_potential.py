"""Rule test_potential: dp test RMSE of the final DP on the test set (Fig. 1d-e) and the training set (Fig. S1)."""

import json
from pathlib import Path

from lidendrite.io.jsonfile import write_json
from lidendrite.plotting.parity import plot_parity
from lidendrite.plotting.style import paper_value
from lidendrite.training.deepmd_run import test, write_test_summary
from lidendrite.training.potential_test import collect_systems
from lidendrite.workflow import run_rule


def evaluate(smk, systems, json_path, *, which, level_of_theory, labeller):
    workdir = (Path(smk.params.workdir) / which).resolve()  # deepmd_run.test runs dp in workdir
    result = test(smk.input.model, systems, workdir=workdir, threads=smk.threads)
    write_test_summary(
        result,
        json_path,
        level_of_theory=level_of_theory,
        paper_energy_rmse_meV_per_atom=paper_value("lpsc", "dp_test_energy_rmse"),
        paper_force_rmse_meV_per_A=paper_value("lpsc", "dp_test_force_rmse"),
    )
    summary = json.loads(Path(json_path).read_text())
    summary.update(
        scale=smk.config["scale"],
        labeller=labeller,
        data_set=which,
        systems=[str(s) for s in systems],
        model=str(smk.input.model),
    )
    write_json(summary, json_path)
    return summary


def run(smk):
    test_lab = json.loads((Path(smk.input.test_data) / "labeller.json").read_text())
    init_lab = json.loads(
        (Path(smk.input.init_data) / "lpsc-interface" / "labeller.json").read_text()
    )
    s_test = evaluate(
        smk,
        collect_systems(smk.input.test_data),
        smk.output.test_json,
        which="test",
        level_of_theory=test_lab["level_of_theory"],
        labeller=test_lab["labeller"],
    )
    # the frames the final model was trained on: all labelled frames, or the
    # thermal ones where the final training filtered them (final_frame_filter)
    trained_on = json.loads(Path(smk.input.final_summary).read_text()).get("systems")
    s_train = evaluate(
        smk,
        [Path(p) for p in trained_on]
        if trained_on
        else collect_systems(smk.input.init_data, smk.input.dpgen_data),
        smk.output.train_json,
        which="training",
        level_of_theory=init_lab["level_of_theory"],
        labeller=init_lab["labeller"],
    )
    n_atoms = json.loads(Path(smk.input.test_summary).read_text())["n_atoms"]
    plot_parity(
        Path(smk.output.test_json).with_suffix(".npz"),
        smk.output.test_png,
        smk.output.test_pdf,
        title=f"DP vs labels, test set: {s_test['n_frames']} frames of NPT DPMD, "
        f"{n_atoms}-atom Li/Li6PS5Cl interface (paper Fig. 1d-e)",
        level_of_theory=s_test["level_of_theory"],
    )
    plot_parity(
        Path(smk.output.train_json).with_suffix(".npz"),
        smk.output.train_png,
        smk.output.train_pdf,
        title=f"DP vs labels, training set: {s_train['n_frames']} frames "
        "(initial data + DP-GEN candidates; paper Fig. S1)",
        level_of_theory=s_train["level_of_theory"],
    )
    print(json.dumps({"test": s_test, "training": s_train}))


run_rule(snakemake, run, "test_potential")  # noqa: F821 (injected by Snakemake)
