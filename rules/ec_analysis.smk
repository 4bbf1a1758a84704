# Analyses and figures of the ec ConstP cycle (Hu et al. sec. 3.2-3.3): Li charge along z
# (Fig. 4a), charge states with dendrite-nucleation and dead-Li regions (Fig. 5, S12),
# species with ReacNetGenerator (Fig. S10b, Fig. 6) and Li-Li bond numbers (Fig. S13).
# Inputs are the trajectories of rules/ec_cycle.smk (include that file first).

EC_AN = config["ec"]["analysis"]
EC_AN_DIR = f"{RESULTS}/ec/analysis"
EC_FIG = f"{RESULTS}/ec/figures"


# trajectories of the ConstP rounds of each series, in order
EC_ROUND_TRAJS = {
    series: [f"{CONSTP}/{series}/round{k}/traj.extxyz" for k in range(1, cfg["n_rounds"] + 1)]
    for series, cfg in config["ec"]["constp"]["series"].items()
}


_CYCLE = dict(
    constq=rules.run_constq_nvt.output.traj,
    cycle=rules.ec_constp_cycle.output.summary,
)


rule ec_charge_z:
    """Li charge distribution along z at the start and end of every ConstP round (Fig. 4a)."""
    input:
        rounds=EC_ROUND_TRAJS["main"],
        **_CYCLE,
    output:
        summary=f"{EC_AN_DIR}/charge_z.json",
        png=report(f"{EC_FIG}/fig4a_charge_z.png", caption="../report/captions/ec_fig4a.rst", category="ec"),
        pdf=f"{EC_FIG}/fig4a_charge_z.pdf",
    log:
        f"{LOGS}/ec_charge_z/main.log",
    benchmark:
        f"{BENCH}/ec_charge_z/main.tsv"
    params:
        series="main",
        bin_width=EC_AN["z_bin_width"],
    threads: 1
    resources:
        **res("light"),
    conda:
        env_file("analysis")
    script:
        "../scripts/ec_charge_z.py"


rule ec_dead_li:
    """Dendrite-nucleation protrusions and dead-Li clusters of both series (Fig. 5, Fig. S12)."""
    input:
        main=EC_ROUND_TRAJS["main"],
        s12=EC_ROUND_TRAJS["s12"],
        **_CYCLE,
    output:
        summary=f"{EC_AN_DIR}/dead_li.json",
        png=report(f"{EC_FIG}/fig5_charge_states.png", caption="../report/captions/ec_fig5.rst", category="ec"),
        pdf=f"{EC_FIG}/fig5_charge_states.pdf",
        png_s12=report(f"{EC_FIG}/figS12_charge_states_3p3.png", caption="../report/captions/ec_figS12.rst",
                       category="ec"),
        pdf_s12=f"{EC_FIG}/figS12_charge_states_3p3.pdf",
    log:
        f"{LOGS}/ec_dead_li/all.log",
    benchmark:
        f"{BENCH}/ec_dead_li/all.tsv"
    params:
        q_metal=EC_AN["q_metal"],
        li_li_cutoff=EC_AN["li_li_cutoff"],
        anchor_layer=EC_AN["anchor_layer"],
        min_dead_size=EC_AN["min_dead_size"],
        protrusion_min_height=EC_AN["protrusion_min_height"],
    threads: 1
    resources:
        **res("light"),
    conda:
        env_file("analysis")
    script:
        "../scripts/ec_dead_li.py"


rule ec_species:
    """Species over the cycle with ReacNetGenerator (Fig. S10b) and products along z (Fig. 6)."""
    input:
        rounds=EC_ROUND_TRAJS["main"],
        **_CYCLE,
    output:
        summary=f"{EC_AN_DIR}/species.json",
        raw=f"{EC_AN_DIR}/species_reacnetgenerator.txt",
        png_time=report(f"{EC_FIG}/figS10b_species.png", caption="../report/captions/ec_figS10b.rst",
                        category="ec"),
        pdf_time=f"{EC_FIG}/figS10b_species.pdf",
        png_z=report(f"{EC_FIG}/fig6_species_z.png", caption="../report/captions/ec_fig6.rst", category="ec"),
        pdf_z=f"{EC_FIG}/fig6_species_z.pdf",
    log:
        f"{LOGS}/ec_species/main.log",
    benchmark:
        f"{BENCH}/ec_species/main.tsv"
    params:
        series="main",
        bin_width=EC_AN["z_bin_width"],
        hmm=EC_AN["species_hmm"],
        frame_stride=EC_AN["species_frame_stride"],
    threads: 1
    resources:
        **res("light"),
    conda:
        env_file("analysis")
    script:
        "../scripts/ec_species.py"


rule ec_li_bonds:
    """Li-Li bonds per Li in the deposition region, first vs last round, same atoms (Fig. S13)."""
    input:
        rounds=EC_ROUND_TRAJS["main"],
        **_CYCLE,
    output:
        summary=f"{EC_AN_DIR}/bonds.json",
        png=report(f"{EC_FIG}/figS13_bonds.png", caption="../report/captions/ec_figS13.rst", category="ec"),
        pdf=f"{EC_FIG}/figS13_bonds.pdf",
    log:
        f"{LOGS}/ec_li_bonds/main.log",
    benchmark:
        f"{BENCH}/ec_li_bonds/main.tsv"
    params:
        series="main",
        li_li_cutoff=EC_AN["li_li_cutoff"],
        depth=EC_AN["deposition_depth"],
    threads: 1
    resources:
        **res("light"),
    conda:
        env_file("analysis")
    script:
        "../scripts/ec_li_bonds.py"


EC_CMP = EC_AN["compare_md"]
EC_CMP_MODELS = {"dpqeq": rules.ec_train_final.output.dp_short, "full_dp": rules.ec_train_final.output.full_dp}


rule run_compare_md:
    """ConstQ NVT of the single interface with DP-QEq or the full DP (ec Fig. 2b-c)."""
    input:
        structure=structure_path("ec", EC_CMP["structure"]),
        model=lambda wc: EC_CMP_MODELS[wc.engine],
        provenance=rules.ec_train_final.output.summary,
    output:
        traj=f"{RESULTS}/ec/compare_md/{{engine}}/traj.extxyz",
        summary=f"{RESULTS}/ec/compare_md/{{engine}}/run.json",
    log:
        f"{LOGS}/run_compare_md/{{engine}}.log",
    benchmark:
        f"{BENCH}/run_compare_md/{{engine}}.tsv"
    wildcard_constraints:
        engine="dpqeq|full_dp",
    params:
        md=dict(
            n_steps=EC_CMP["n_steps"],
            sample_every=EC_CMP["sample_every"],
            restart_every=EC_CMP["sample_every"],
            log_every=EC_CMP["sample_every"],
            confine_z=True,
            **{k: config["ec"]["constp"][k] for k in ("timestep_fs", "temperature_K", "tdamp_fs", "tchain", "seed",
                                                           "minimize_steps", "minimize_fmax",
                                                           "max_temperature_K", "overheat")},
        ),
        qeq=config["ec"]["constp"]["qeq"],
        workdir=f"{RESULTS}/ec/compare_md/work/{{engine}}",
    threads: config["threads"]
    resources:
        **res("md"),
    conda:
        env_file("dpqeq")
    script:
        "../scripts/ec_compare_md.py"


rule ec_fig2bc:
    """RDFs of DP-QEq vs full-DP MD (Fig. 2b); DP-QEq frames re-evaluated by full DP and the labeller (Fig. 2c)."""
    input:
        dpqeq=f"{RESULTS}/ec/compare_md/dpqeq/traj.extxyz",
        full_dp=f"{RESULTS}/ec/compare_md/full_dp/traj.extxyz",
        full_dp_model=rules.ec_train_final.output.full_dp,
        provenance=rules.ec_train_final.output.summary,
    output:
        summary=f"{EC_AN_DIR}/md_compare.json",
        png_b=report(f"{EC_FIG}/fig2b_rdf.png", caption="../report/captions/ec_fig2b.rst", category="ec"),
        pdf_b=f"{EC_FIG}/fig2b_rdf.pdf",
        png_c=report(f"{EC_FIG}/fig2c_energies.png", caption="../report/captions/ec_fig2c.rst", category="ec"),
        pdf_c=f"{EC_FIG}/fig2c_energies.pdf",
    log:
        f"{LOGS}/ec_fig2bc/all.log",
    benchmark:
        f"{BENCH}/ec_fig2bc/all.tsv"
    params:
        labeller=labeller_param("ec"),
        pairs=EC_AN["rdf_pairs"],
        r_max=EC_AN["rdf_r_max"],
        dr=EC_AN["rdf_dr"],
        energy_max_frames=EC_AN["energy_max_frames"],
        rdf_match_fraction=EC_AN["rdf_match_fraction"],
    threads: 1
    resources:
        **res("light"),
    conda:
        env_file("dpqeq")
    script:
        "../scripts/ec_fig2bc.py"


STUDY_TARGETS["ec"] += [
    rules.ec_charge_z.output.summary,
    rules.ec_dead_li.output.summary,
    rules.ec_species.output.summary,
    rules.ec_li_bonds.output.summary,
    rules.ec_fig2bc.output.summary,
]
