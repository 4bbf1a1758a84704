# lpsc part 1 (Methods 2.1, SI 2; Results first paragraph): initial data labelled
# by the active labeller, DP-GEN concurrent learning to a frozen Deep Potential,
# and its test as in the paper (NPT DPMD of the 185-atom interface, random frames
# labelled, dp test RMSE beside 5.45 meV/atom and 93.9 meV/A).
#
# DP-GEN's work folder results/<scale>/lpsc/dpgen/ is deliberately not an output:
# Snakemake deletes the outputs of failed jobs, and record.dpgen there is what a
# re-run resumes from (scripts/lpsc_run_dpgen.py keeps it while the inputs are
# unchanged and moves it to dpgen.stale when they change).

LPSC_POT = f"{RESULTS}/lpsc/potential"
LPSC_DATA = f"{RESULTS}/lpsc/data"
# DP-GEN with the slurm machine profile submits its own train, exploration and
# labelling jobs: it runs on the submitting node, and the cluster must take
# those jobs (a partition for each; checked with sinfo where it exists) before
# any job of this workflow is submitted.
DPGEN_ON_SLURM = config["lpsc"]["training"]["dpgen"]["machine"]["profile"] == "slurm"
if DPGEN_ON_SLURM and "lpsc" in config["studies"]:
    from lidendrite.training.dpgen_params import check_slurm_partition, machine_from_resources

    try:
        _part = config["lpsc"]["training"]["dpgen"]["machine"]["partition"]
        for _task, _p in machine_from_resources(config)["partitions"].items():
            check_slurm_partition(_part or _p, f"lpsc.training.dpgen.machine.partition ({_task} jobs)")
    except InputError as exc:
        sys.exit(f"config error: {exc}")


rule relax_interface:
    """Relax the 185-atom interface (positions, in-plane cell) with the active labeller (SI 2.1)."""
    input:
        structure=expand(rules.build_structure.output.structure, study="lpsc", kind="lpsc-interface")[0],
    output:
        structure=f"{RESULTS}/lpsc/structures/lpsc-interface-relaxed.extxyz",
        summary=f"{RESULTS}/lpsc/structures/lpsc-interface-relaxed.json",
    log:
        f"{LOGS}/relax_interface/lpsc.log",
    benchmark:
        f"{BENCH}/relax_interface/lpsc.tsv"
    params:
        labeller=labeller_param("lpsc"),
        fmax=config["lpsc"]["structures"]["relax_interface"]["fmax"],
        steps=config["lpsc"]["structures"]["relax_interface"]["steps"],
        stress_tol=config["lpsc"]["structures"]["relax_interface"]["stress_tol"],
    threads: config["threads"]
    resources:
        **res("light"),
    conda:
        env_file("labeling")
    script:
        "../scripts/relax_interface.py"


rule label_init_data:
    """Initial data (SI 2.1): perturbed and 300 K NVT frames of Li, Li6PS5Cl and the interface, labelled."""
    input:
        li_bcc=expand(rules.relax_bulk.output.structure, kind="li-bcc")[0],
        lpsc_bulk=expand(rules.relax_bulk.output.structure, kind="lpsc-bulk")[0],
        interface=rules.relax_interface.output.structure,
    output:
        data=directory(f"{LPSC_DATA}/init"),
        summary=f"{LPSC_DATA}/init_data.json",
    log:
        f"{LOGS}/label_init_data/lpsc.log",
    benchmark:
        f"{BENCH}/label_init_data/lpsc.tsv"
    params:
        labeller=labeller_param("lpsc"),
        type_map=config["lpsc"]["training"]["type_map"],
        init_data=config["lpsc"]["training"]["init_data"],
    threads: config["threads"]
    resources:
        **res("light"),
    conda:
        env_file("potential")
    script:
        "../scripts/lpsc_init_data.py"


rule run_dpgen:
    """DP-GEN concurrent learning (SI 2.2), resumed from record.dpgen; freeze, history JSON and plot."""
    localrule: DPGEN_ON_SLURM
    input:
        init_data=rules.label_init_data.output.data,
        init_summary=rules.label_init_data.output.summary,
        li_bcc=rules.label_init_data.input.li_bcc,
        lpsc_bulk=rules.label_init_data.input.lpsc_bulk,
        interface=rules.label_init_data.input.interface,
    output:
        model=f"{LPSC_POT}/dpgen_model.pb",
        history=f"{LPSC_POT}/dpgen_history.json",
        plot=report(f"{LPSC_POT}/dpgen_history.png", caption="../report/captions/lpsc_dpgen_history.rst", category="lpsc"),
        plot_pdf=f"{LPSC_POT}/dpgen_history.pdf",
        data=directory(f"{LPSC_DATA}/dpgen"),
    log:
        f"{LOGS}/run_dpgen/lpsc.log",
    benchmark:
        f"{BENCH}/run_dpgen/lpsc.tsv"
    params:
        labeller=labeller_param("lpsc"),
        final_numb_steps=config["lpsc"]["training"]["final_numb_steps"],
        workdir=f"{RESULTS}/lpsc/dpgen",
        type_map=config["lpsc"]["training"]["type_map"],
        model=config["lpsc"]["training"]["model"],
        dpgen=config["lpsc"]["training"]["dpgen"],
    threads: config["threads"]
    resources:
        **res("train"),
    conda:
        env_file("potential")
    script:
        "../scripts/lpsc_run_dpgen.py"


rule train_final_model:
    """The production DP: DP-GEN's last model (paper, ci) or one longer training on all labelled frames (demo)."""
    input:
        dpgen_model=rules.run_dpgen.output.model,
        history=rules.run_dpgen.output.history,
        init_data=rules.label_init_data.output.data,
        dpgen_data=rules.run_dpgen.output.data,
    output:
        model=f"{LPSC_POT}/model.pb",
        summary=f"{LPSC_POT}/final_model.json",
    log:
        f"{LOGS}/train_final_model/lpsc.log",
    benchmark:
        f"{BENCH}/train_final_model/lpsc.tsv"
    params:
        workdir=f"{LPSC_POT}/final_training",
        type_map=config["lpsc"]["training"]["type_map"],
        model=config["lpsc"]["training"]["model"],
        final_numb_steps=config["lpsc"]["training"]["final_numb_steps"],
        final_init_from_dpgen=config["lpsc"]["training"]["final_init_from_dpgen"],
        compress=config["lpsc"]["training"]["compress"],
        final_limit_pref_e=config["lpsc"]["training"]["final_limit_pref_e"],
        frame_filter=config["lpsc"]["training"]["final_frame_filter"],
    threads: config["threads"]
    resources:
        **res("train"),
    conda:
        env_file("potential")
    script:
        "../scripts/lpsc_train_final.py"


rule label_test_frames:
    """NPT DPMD of the 185-atom interface with the final DP; random frames labelled by the active labeller."""
    input:
        model=rules.train_final_model.output.model,
        interface=rules.label_init_data.input.interface,
    output:
        data=directory(f"{LPSC_DATA}/test"),
        summary=f"{LPSC_DATA}/test_frames.json",
    log:
        f"{LOGS}/label_test_frames/lpsc.log",
    benchmark:
        f"{BENCH}/label_test_frames/lpsc.tsv"
    params:
        labeller=labeller_param("lpsc"),
        workdir=f"{LPSC_POT}/npt_dpmd",
        type_map=config["lpsc"]["training"]["type_map"],
        test=config["lpsc"]["potential_test"],
    threads: config["threads"]
    resources:
        **res("md"),
    conda:
        env_file("potential")
    script:
        "../scripts/lpsc_label_test_frames.py"


rule test_potential:
    """dp test RMSE on the test frames (Fig. 1d-e) and the training data (Fig. S1), parity plots."""
    input:
        model=rules.train_final_model.output.model,
        test_data=rules.label_test_frames.output.data,
        test_summary=rules.label_test_frames.output.summary,
        init_data=rules.label_init_data.output.data,
        dpgen_data=rules.run_dpgen.output.data,
        final_summary=rules.train_final_model.output.summary,
    output:
        test_json=f"{LPSC_POT}/dp_test.json",
        test_png=report(f"{LPSC_POT}/parity_test.png", caption="../report/captions/lpsc_parity_test.rst", category="lpsc"),
        test_pdf=f"{LPSC_POT}/parity_test.pdf",
        train_json=f"{LPSC_POT}/dp_test_training.json",
        train_png=report(f"{LPSC_POT}/parity_training.png", caption="../report/captions/lpsc_parity_training.rst", category="lpsc"),
        train_pdf=f"{LPSC_POT}/parity_training.pdf",
    log:
        f"{LOGS}/test_potential/lpsc.log",
    benchmark:
        f"{BENCH}/test_potential/lpsc.tsv"
    params:
        workdir=f"{LPSC_POT}/dp_test_work",
    threads: config["threads"]
    resources:
        **res("train"),
    conda:
        env_file("potential")
    script:
        "../scripts/lpsc_test_potential.py"


STUDY_TARGETS["lpsc"] += [
    rules.test_potential.output.test_json,
    rules.test_potential.output.test_png,
    rules.test_potential.output.train_json,
    rules.test_potential.output.train_png,
    rules.run_dpgen.output.history,
    rules.run_dpgen.output.plot,
    rules.train_final_model.output.summary,
    rules.relax_interface.output.summary,
]
