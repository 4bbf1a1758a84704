# The DP-QEq MD cycle of the ec study (Hu et al. sec. 2.2.2, Fig. 1d, Fig. S1) and the
# bias-magnitude study (sec. 3.2, Fig. S11):
#   superlattice --ConstQ NPT--> cut double interface --ConstQ NVT--> ConstP rounds
#   (anode/cathode swapped each round) per series (main: 3.5 A CN rule; s12: Fig. S12),
#   and short ConstP runs of the ConstQ-equilibrated double interface per bias pair.
# Each stage writes traj.extxyz (frames with charges, bias, region; info time_ps, round,
# mode, phi_anode, phi_cathode, energy, level_of_theory), final.extxyz (last frame with
# velocities: the next stage's start) and a JSON. Restart states live in constp/work/;
# a killed stage resumes from there when rerun.

EC_CP = config["ec"]["constp"]
EC_BIAS = config["ec"]["bias"]
CONSTP = f"{RESULTS}/ec/constp"
CONSTP_WORK = f"{CONSTP}/work"
JAX_CACHE = f"{RESULTS}/.cache/jax"
CP_SERIES = list(EC_CP["series"])


# folder name of each bias pair: (-1, 6) -> phi_minus1_phi_plus6
BIAS_RUNS = {
    "_".join(f"phi_{'minus' if p < 0 else 'plus'}{abs(float(p)):g}" for p in pair): pair
    for pair in EC_CP["bias_study"]["pairs"]
}


wildcard_constraints:
    series="|".join(CP_SERIES),
    round=r"\d+",
    pair="|".join(BIAS_RUNS),


_MODEL = dict(
    model=rules.ec_train_final.output.dp_short,
    provenance=rules.ec_train_final.output.summary,
)


rule run_constq_npt:
    """ConstQ DP-QEq NPT of the superlattice (1 bar in x, y; 100 bar in z; ec Fig. S1a -> S1b)."""
    input:
        structure=structure_path("ec", "ec-superlattice"),
        **_MODEL,
    output:
        traj=f"{CONSTP}/npt/traj.extxyz",
        final=f"{CONSTP}/npt/final.extxyz",
        summary=f"{CONSTP}/npt/stage.json",
    log:
        f"{LOGS}/run_constq_npt/ec.log",
    benchmark:
        f"{BENCH}/run_constq_npt/ec.tsv"
    params:
        cfg=EC_CP,
        workdir=f"{CONSTP_WORK}/npt",
        jax_cache=JAX_CACHE,
    threads: config["threads"]
    resources:
        **res("md"),
    conda:
        env_file("dpqeq")
    script:
        "../scripts/ec_constp_md.py"


rule cut_constp_double_interface:
    """Cut the NPT superlattice in the middle of its Li slab; fix the outer layers (Fig. S1c)."""
    input:
        structure=rules.run_constq_npt.output.final,
    output:
        structure=f"{CONSTP}/double_interface.extxyz",
        summary=f"{CONSTP}/double_interface.json",
    log:
        f"{LOGS}/cut_constp_double_interface/ec.log",
    benchmark:
        f"{BENCH}/cut_constp_double_interface/ec.tsv"
    params:
        cut=config["ec"]["structures"]["cut"],
    threads: 1
    resources:
        **res("light"),
    conda:
        env_file("structures")
    script:
        "../scripts/ec_constp_cut.py"


rule run_constq_nvt:
    """ConstQ DP-QEq NVT of the double interface (the start of the ConstP rounds)."""
    input:
        structure=rules.cut_constp_double_interface.output.structure,
        **_MODEL,
    output:
        traj=f"{CONSTP}/constq_nvt/traj.extxyz",
        final=f"{CONSTP}/constq_nvt/final.extxyz",
        summary=f"{CONSTP}/constq_nvt/stage.json",
    log:
        f"{LOGS}/run_constq_nvt/ec.log",
    benchmark:
        f"{BENCH}/run_constq_nvt/ec.tsv"
    params:
        cfg=EC_CP,
        workdir=f"{CONSTP_WORK}/constq_nvt",
        jax_cache=JAX_CACHE,
    threads: config["threads"]
    resources:
        **res("md"),
    conda:
        env_file("dpqeq")
    script:
        "../scripts/ec_constp_md.py"


rule run_constp_round:
    """One ConstP DP-QEq NVT round (phi_anode / phi_cathode on the CN-selected Li; sides swapped after round 1)."""
    input:
        # round 1 starts from the ConstQ NVT, round k from round k-1 of the same series
        structure=lambda wc: (
            rules.run_constq_nvt.output.final
            if int(wc.round) == 1
            else f"{CONSTP}/{wc.series}/round{int(wc.round) - 1}/final.extxyz"
        ),
        **_MODEL,
    output:
        traj=f"{CONSTP}/{{series}}/round{{round}}/traj.extxyz",
        final=f"{CONSTP}/{{series}}/round{{round}}/final.extxyz",
        summary=f"{CONSTP}/{{series}}/round{{round}}/round.json",
    log:
        f"{LOGS}/run_constp_round/{{series}}_round{{round}}.log",
    benchmark:
        f"{BENCH}/run_constp_round/{{series}}_round{{round}}.tsv"
    params:
        cfg=EC_CP,
        bias=EC_BIAS,
        workdir=f"{CONSTP_WORK}/{{series}}/round{{round}}",
        jax_cache=JAX_CACHE,
    threads: config["threads"]
    resources:
        **res("md"),
    conda:
        env_file("dpqeq")
    script:
        "../scripts/ec_constp_md.py"


rule ec_constp_cycle:
    """cycle.json: stage lengths (ps) and the per-round charge summary of every series."""
    input:
        npt=rules.run_constq_npt.output.summary,
        cut=rules.cut_constp_double_interface.output.summary,
        nvt=rules.run_constq_nvt.output.summary,
        rounds=[
            f"{CONSTP}/{s}/round{k}/round.json"
            for s in CP_SERIES
            for k in range(1, EC_CP["series"][s]["n_rounds"] + 1)
        ],
    output:
        summary=f"{CONSTP}/cycle.json",
    log:
        f"{LOGS}/ec_constp_cycle/ec.log",
    benchmark:
        f"{BENCH}/ec_constp_cycle/ec.tsv"
    params:
        cfg=EC_CP,
        series=CP_SERIES,
    threads: 1
    resources:
        **res("light"),
    conda:
        env_file("analysis")
    script:
        "../scripts/ec_constp_cycle.py"


rule run_constp_bias:
    """One ConstP run of the bias study at a (phi_anode, phi_cathode) pair (ec Fig. S11)."""
    input:
        structure=rules.run_constq_nvt.output.final,
        **_MODEL,
    output:
        traj=f"{CONSTP}/bias/{{pair}}/traj.extxyz",
        final=f"{CONSTP}/bias/{{pair}}/final.extxyz",
        summary=f"{CONSTP}/bias/{{pair}}/run.json",
    log:
        f"{LOGS}/run_constp_bias/{{pair}}.log",
    benchmark:
        f"{BENCH}/run_constp_bias/{{pair}}.tsv"
    params:
        cfg=EC_CP,
        bias=EC_BIAS,
        workdir=f"{CONSTP_WORK}/bias/{{pair}}",
        jax_cache=JAX_CACHE,
        phi_anode=lambda wc: float(BIAS_RUNS[wc.pair][0]),
        phi_cathode=lambda wc: float(BIAS_RUNS[wc.pair][1]),
    threads: config["threads"]
    resources:
        **res("md"),
    conda:
        env_file("dpqeq")
    script:
        "../scripts/ec_constp_md.py"


rule ec_bias_study:
    """Normalised anode/cathode Li charge per bias pair (bias_study.json) and Fig. S11."""
    input:
        runs=expand(f"{CONSTP}/bias/{{pair}}/run.json", pair=list(BIAS_RUNS)),
    output:
        summary=f"{CONSTP}/bias_study.json",
        png=report(f"{RESULTS}/ec/figures/figS11_bias_charges.png",
                   caption="../report/captions/ec_figS11.rst", category="ec"),
        pdf=f"{RESULTS}/ec/figures/figS11_bias_charges.pdf",
    log:
        f"{LOGS}/ec_bias_study/ec.log",
    benchmark:
        f"{BENCH}/ec_bias_study/ec.tsv"
    params:
        cfg=EC_CP,
        bias=EC_BIAS,
    threads: 1
    resources:
        **res("light"),
    conda:
        env_file("analysis")
    script:
        "../scripts/ec_bias_study.py"


STUDY_TARGETS["ec"] += [rules.ec_constp_cycle.output.summary, rules.ec_bias_study.output.summary]


_T_RUNS = {
    "ConstQ NPT": rules.run_constq_npt.output.summary,
    "ConstQ NVT": rules.run_constq_nvt.output.summary,
    **{
        f"{s} round {k}": f"{CONSTP}/{s}/round{k}/round.json"
        for s in CP_SERIES
        for k in range(1, EC_CP["series"][s]["n_rounds"] + 1)
    },
    **{f"bias {p}": f"{CONSTP}/bias/{p}/run.json" for p in BIAS_RUNS},
    # the compare MD of ec_analysis.smk (Fig. 2b-c)
    **{f"compare {e}": f"{RESULTS}/ec/compare_md/{e}/run.json" for e in ("dpqeq", "full_dp")},
}


rule plot_ec_temperatures:
    """temperatures.json and figure: did every ConstQ/ConstP DP-QEq run hold its thermostat?"""
    input:
        runs=list(_T_RUNS.values()),
    output:
        summary=f"{CONSTP}/temperatures.json",
        png=report(f"{RESULTS}/ec/figures/ec_temperatures.png",
                   caption="../report/captions/ec_temperatures.rst", category="ec"),
        pdf=f"{RESULTS}/ec/figures/ec_temperatures.pdf",
    log:
        f"{LOGS}/plot_ec_temperatures/ec.log",
    benchmark:
        f"{BENCH}/plot_ec_temperatures/ec.tsv"
    params:
        cfg=EC_CP,
        labels=list(_T_RUNS),
    threads: 1
    resources:
        **res("light"),
    conda:
        env_file("analysis")
    script:
        "../scripts/ec_temperatures.py"


STUDY_TARGETS["ec"] += [rules.plot_ec_temperatures.output.summary]
