# Validation of QEq / ConstP in the ec study (Hu et al. sec. 3.2): the toy
# capacitor of Fig. 3a, and QEq charges against DFT Hirshfeld / CM5 (Fig. 3b, S9).

EC_VAL = config["ec"]["validation"]
EC_BIAS = config["ec"]["bias"]
TOY_GAPS = [f"{g:g}" for g in config["ec"]["structures"]["toy_capacitor_gaps"]]


rule ec_toy_capacitor_qeq:
    """Solve ConstQ and ConstP (anode/cathode bias) charges of one toy capacitor."""
    input:
        structure=rules.build_toy_capacitor.output.structure,
    output:
        charges=f"{RESULTS}/ec/validation/toy-capacitor-gap{{gap}}-charges.extxyz",
        summary=f"{RESULTS}/ec/validation/toy-capacitor-gap{{gap}}-charges.json",
    log:
        f"{LOGS}/ec_toy_capacitor_qeq/gap{{gap}}.log",
    benchmark:
        f"{BENCH}/ec_toy_capacitor_qeq/gap{{gap}}.tsv"
    wildcard_constraints:
        gap=r"\d+(\.\d+)?",
    params:
        bias=EC_BIAS,
        qeq=EC_VAL["qeq"],
    threads: 1
    resources:
        **res("light"),
    conda:
        env_file("analysis")
    script:
        "../scripts/ec_toy_capacitor_qeq.py"


rule ec_toy_capacitor:
    """Surface charge densities at every gap, their ratio, and Fig. 3a."""
    input:
        charges=expand(f"{RESULTS}/ec/validation/toy-capacitor-gap{{gap}}-charges.extxyz", gap=TOY_GAPS),
        summaries=expand(f"{RESULTS}/ec/validation/toy-capacitor-gap{{gap}}-charges.json", gap=TOY_GAPS),
    output:
        summary=f"{RESULTS}/ec/validation/toy_capacitor.json",
        png=report(f"{RESULTS}/ec/figures/fig3a_toy_capacitor.png",
                   caption="../report/captions/ec_fig3a.rst", category="ec"),
        pdf=f"{RESULTS}/ec/figures/fig3a_toy_capacitor.pdf",
    log:
        f"{LOGS}/ec_toy_capacitor/all.log",
    benchmark:
        f"{BENCH}/ec_toy_capacitor/all.tsv"
    params:
        bias=EC_BIAS,
    threads: 1
    resources:
        **res("light"),
    conda:
        env_file("analysis")
    script:
        "../scripts/ec_toy_capacitor.py"


EC_DFT = EC_VAL["dft"]
EC_DFT_STATES = ["neutral", "extra-electron"]


rule ec_dft_model:
    """Build the small Li/[EC+LiPF6] interface model of the DFT charge comparison (Fig. 3b, S9)."""
    output:
        structure=f"{RESULTS}/ec/validation/dft-model.extxyz",
        summary=f"{RESULTS}/ec/validation/dft-model.json",
    log:
        f"{LOGS}/ec_dft_model/model.log",
    benchmark:
        f"{BENCH}/ec_dft_model/model.tsv"
    params:
        dft=EC_DFT,
        builder=builder_params(EC_DFT["model_kind"], config),
    threads: 1
    resources:
        **res("light"),
    conda:
        env_file("structures")
    script:
        "../scripts/ec_dft_model.py"


rule ec_dft_charges:
    """CP2K PBE Hirshfeld charges and CM5 from them, neutral or with one extra electron."""
    input:
        structure=rules.ec_dft_model.output.structure,
    output:
        charges=f"{RESULTS}/ec/validation/dft-charges-{{state}}.extxyz",
        summary=f"{RESULTS}/ec/validation/dft-charges-{{state}}.json",
    log:
        f"{LOGS}/ec_dft_charges/{{state}}.log",
    benchmark:
        f"{BENCH}/ec_dft_charges/{{state}}.tsv"
    wildcard_constraints:
        state="|".join(EC_DFT_STATES),
    params:
        dft=EC_DFT,
        cp2k=config["labeling"]["cp2k"],
        workdir=lambda wc: f"{RESULTS}/ec/validation/cp2k/{wc.state}",
    threads: config["labeling"]["cp2k"]["threads"]
    resources:
        **res("dft"),
    conda:
        env_file("dft")
    script:
        "../scripts/ec_dft_charges.py"


rule ec_qeq_vs_dft:
    """QEq (ConstQ, total charge 0 and -1) against Hirshfeld/CM5: JSON, Fig. 3b/S9a and S9b."""
    input:
        neutral=f"{RESULTS}/ec/validation/dft-charges-neutral.extxyz",
        neutral_summary=f"{RESULTS}/ec/validation/dft-charges-neutral.json",
        extra_electron=f"{RESULTS}/ec/validation/dft-charges-extra-electron.extxyz",
        extra_electron_summary=f"{RESULTS}/ec/validation/dft-charges-extra-electron.json",
    output:
        summary=f"{RESULTS}/ec/validation/qeq_vs_dft.json",
        charges=f"{RESULTS}/ec/validation/qeq-vs-dft-charges.extxyz",
        png=report(f"{RESULTS}/ec/figures/fig3b_qeq_vs_dft.png",
                   caption="../report/captions/ec_fig3b.rst", category="ec"),
        pdf=f"{RESULTS}/ec/figures/fig3b_qeq_vs_dft.pdf",
        s9b_png=report(f"{RESULTS}/ec/figures/figS9b_extra_electron.png",
                       caption="../report/captions/ec_figS9b.rst", category="ec"),
        s9b_pdf=f"{RESULTS}/ec/figures/figS9b_extra_electron.pdf",
    log:
        f"{LOGS}/ec_qeq_vs_dft/all.log",
    benchmark:
        f"{BENCH}/ec_qeq_vs_dft/all.tsv"
    params:
        qeq=EC_VAL["qeq"],
    threads: 1
    resources:
        **res("light"),
    conda:
        env_file("analysis")
    script:
        "../scripts/ec_qeq_vs_dft.py"


STUDY_TARGETS["ec"] += [rules.ec_toy_capacitor.output.summary, rules.ec_qeq_vs_dft.output.summary]
