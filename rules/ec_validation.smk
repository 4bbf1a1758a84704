# Validation of QEq / ConstP in the ec study (Hu et al. sec. 3.2): the toy
# capacitor of Fig. 3a, and QEq charges against DFT Hirshfeld / CM5 (Fig. 3b, S9).

EC_VAL = config["ec"]["validation"]
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
        phi_anode=EC_VAL["phi_anode"],
        phi_cathode=EC_VAL["phi_cathode"],
        qeq=EC_VAL["qeq"],
    threads: 1
    resources:
        **res("light"),
    conda:
        f"{ENVS}/analysis.yaml"
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
        phi_anode=EC_VAL["phi_anode"],
        phi_cathode=EC_VAL["phi_cathode"],
    threads: 1
    resources:
        **res("light"),
    conda:
        f"{ENVS}/analysis.yaml"
    script:
        "../scripts/ec_toy_capacitor.py"


STUDY_TARGETS["ec"] += [rules.ec_toy_capacitor.output.summary]
