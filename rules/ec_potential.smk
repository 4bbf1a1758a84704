# ec part 1 (Hu et al. 2.2.3, 3.1, SI 2.2-2.4): initial data labelled by the active
# labeller, short-range labels (label minus ConstQ QEq), concurrent learning of
# DP_short driven by DP-QEq MD, final DP_short and a full DP on the same frames,
# and their test against labelled NVT frames (Fig. 2a) beside the paper's RMSEs.
#
# The active-learning work folder results/<scale>/ec/potential/active_learning/ is
# not an output (its record.json is rewritten after each iteration).

EC_POT = f"{RESULTS}/ec/potential"
EC_DATA = f"{RESULTS}/ec/data"
EC_TR = config["ec"]["training"]


rule ec_init_data:
    """Initial data: perturbed BCC Li and labeller-driven NVT frames of electrolyte and interface, labelled."""
    input:
        electrolyte=structure_path("ec", "ec-electrolyte"),
        interface=structure_path("ec", "ec-single-interface"),
    output:
        frames=f"{EC_DATA}/init/frames.extxyz",
        full=directory(f"{EC_DATA}/init/full"),
        summary=f"{EC_DATA}/init/init_data.json",
    log:
        f"{LOGS}/ec_init_data/ec.log",
    benchmark:
        f"{BENCH}/ec_init_data/ec.tsv"
    params:
        labeller=labeller_param("ec"),
        init=config["ec"]["data"]["init"],
        type_map=EC_TR["type_map"],
    threads: config["threads"]
    resources:
        **res("md"),
    conda:
        env_file("dpqeq")
    script:
        "../scripts/ec_init_data.py"


rule ec_short_range_labels:
    """Short-range labels of the initial data: E, F, virial minus ConstQ QEq (ec Table S1)."""
    input:
        frames=rules.ec_init_data.output.frames,
        summary=rules.ec_init_data.output.summary,
    output:
        short=directory(f"{EC_DATA}/init/short"),
        summary=f"{EC_DATA}/init/short_range.json",
    log:
        f"{LOGS}/ec_short_range_labels/ec.log",
    benchmark:
        f"{BENCH}/ec_short_range_labels/ec.tsv"
    params:
        qeq=config["ec"]["dpqeq"]["qeq"],
        type_map=EC_TR["type_map"],
    threads: 1
    resources:
        **res("light"),
    conda:
        env_file("dpqeq")
    script:
        "../scripts/ec_short_range.py"


rule ec_test_data:
    """Test set (SI 2.3): labelled NVT frames of the single interface, never used in training."""
    input:
        interface=structure_path("ec", "ec-single-interface"),
    output:
        frames=f"{EC_DATA}/test/frames.extxyz",
        full=directory(f"{EC_DATA}/test/full"),
        summary=f"{EC_DATA}/test/test_data.json",
    log:
        f"{LOGS}/ec_test_data/ec.log",
    benchmark:
        f"{BENCH}/ec_test_data/ec.tsv"
    params:
        labeller=labeller_param("ec"),
        test=config["ec"]["data"]["test"],
        type_map=EC_TR["type_map"],
    threads: config["threads"]
    resources:
        **res("md"),
    conda:
        env_file("dpqeq")
    script:
        "../scripts/ec_test_data.py"


rule ec_active_learning:
    """Concurrent learning of DP_short: DP-QEq MD (ConstQ single, ConstP double interface), model deviation, labelling."""
    input:
        short=rules.ec_short_range_labels.output.short,
        single=structure_path("ec", "ec-single-interface"),
        double=structure_path("ec", "ec-double-interface"),
    output:
        record=f"{EC_POT}/active_learning.json",
        frames=f"{EC_DATA}/active_learning/frames.extxyz",
        plot=report(f"{EC_POT}/active_learning.png", caption="../report/captions/ec_active_learning.rst", category="ec"),
        plot_pdf=f"{EC_POT}/active_learning.pdf",
    log:
        f"{LOGS}/ec_active_learning/ec.log",
    benchmark:
        f"{BENCH}/ec_active_learning/ec.tsv"
    params:
        labeller=labeller_param("ec"),
        workdir=f"{EC_POT}/al_work",
        type_map=EC_TR["type_map"],
        training=EC_TR,
        al=config["ec"]["active_learning"],
        dpqeq=config["ec"]["dpqeq"],
        bias=config["ec"]["bias"],
    threads: config["threads"]
    resources:
        **res("train"),
    conda:
        env_file("dpqeq")
    script:
        "../scripts/ec_active_learning.py"


rule ec_train_final:
    """Final DP_short on all short-range data and a full DP on the same frames (dp --tf train/freeze)."""
    input:
        init_frames=rules.ec_init_data.output.frames,
        al_frames=rules.ec_active_learning.output.frames,
        record=rules.ec_active_learning.output.record,
    output:
        dp_short=f"{EC_POT}/dp_short.pb",
        full_dp=f"{EC_POT}/full_dp.pb",
        summary=f"{EC_POT}/final_models.json",
    log:
        f"{LOGS}/ec_train_final/ec.log",
    benchmark:
        f"{BENCH}/ec_train_final/ec.tsv"
    params:
        workdir=f"{EC_POT}/final_work",
        type_map=EC_TR["type_map"],
        training=EC_TR,
    threads: config["threads"]
    resources:
        **res("train"),
    conda:
        env_file("dpqeq")
    script:
        "../scripts/ec_train_final.py"


rule ec_test_potential:
    """Test RMSEs of full DP and DP-QEq against the labels (ec Fig. 2a) and their parity plot."""
    input:
        dp_short=rules.ec_train_final.output.dp_short,
        full_dp=rules.ec_train_final.output.full_dp,
        frames=rules.ec_test_data.output.frames,
        full=rules.ec_test_data.output.full,
    output:
        summary=f"{EC_POT}/test/test_rmse.json",
        full_npz=f"{EC_POT}/test/full_dp.npz",
        dpqeq_npz=f"{EC_POT}/test/dpqeq.npz",
        plot=report(f"{EC_POT}/test/parity.png", caption="../report/captions/ec_parity.rst", category="ec"),
        plot_pdf=f"{EC_POT}/test/parity.pdf",
    log:
        f"{LOGS}/ec_test_potential/ec.log",
    benchmark:
        f"{BENCH}/ec_test_potential/ec.tsv"
    params:
        qeq=config["ec"]["dpqeq"]["qeq"],
    threads: config["threads"]
    resources:
        **res("light"),
    conda:
        env_file("dpqeq")
    script:
        "../scripts/ec_test_potential.py"


STUDY_TARGETS["ec"] += [
    rules.ec_test_potential.output.summary,
    rules.ec_active_learning.output.record,
    rules.ec_train_final.output.dp_short,
]
