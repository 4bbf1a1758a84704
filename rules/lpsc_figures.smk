# Figures of the lpsc sampling and analysis (An et al. Figs. 2-4, CV(t)/s0(t), SEI thickness):
# one rule per figure family, PNG + PDF, gathered by `snakemake --report`.

LPSC_FIG = f"{RESULTS}/lpsc/figures"
LPSC_CAP = "../report/captions"


rule plot_cv:
    """CV(t) against the moving-restraint centre s0(t) from the PLUMED COLVAR."""
    input:
        colvar=rules.run_moving_restraint.output.colvar,
        sampling=rules.run_moving_restraint.output.summary,
    output:
        png=report(f"{LPSC_FIG}/cv_s0.png", caption=f"{LPSC_CAP}/lpsc_cv_s0.rst", category="lpsc"),
        pdf=f"{LPSC_FIG}/cv_s0.pdf",
        summary=f"{LPSC_FIG}/cv_s0.json",
    log:
        f"{LOGS}/plot_cv/lpsc.log",
    benchmark:
        f"{BENCH}/plot_cv/lpsc.tsv"
    params:
        kappa_ev=config["lpsc"]["sampling"]["kappa_ev"],
    threads: 1
    resources:
        **res("light"),
    conda:
        env_file("analysis")
    script:
        "../scripts/lpsc_plot_cv.py"


rule plot_sandwich:
    """Fig. 2a-b: sandwich at t = 0 and at the last frame, regions and new Li-S/P/Cl bonds of anode Li."""
    input:
        traj=rules.run_moving_restraint.output.traj,
        structure=rules.run_moving_restraint.input.structure,
        sampling=rules.run_moving_restraint.output.summary,
    output:
        png=report(f"{LPSC_FIG}/fig2_sandwich.png", caption=f"{LPSC_CAP}/lpsc_fig2_sandwich.rst", category="lpsc"),
        pdf=f"{LPSC_FIG}/fig2_sandwich.pdf",
        summary=f"{LPSC_FIG}/fig2_sandwich.json",
    log:
        f"{LOGS}/plot_sandwich/lpsc.log",
    benchmark:
        f"{BENCH}/plot_sandwich/lpsc.tsv"
    params:
        timestep_fs=config["lpsc"]["sampling"]["timestep_fs"],
        regions=REGION_PARAMS,
    threads: 1
    resources:
        **res("light"),
    conda:
        env_file("analysis")
    script:
        "../scripts/lpsc_plot_sandwich.py"


rule plot_charges:
    """Fig. 3a (frame with the detected cluster highlighted) and 3b-d (Li coloured by QEq charge)."""
    input:
        frames=rules.qeq_charges.output.frames,
        cluster=rules.find_cluster.output.summary,
    output:
        cluster_png=report(f"{LPSC_FIG}/fig3a_cluster.png", caption=f"{LPSC_CAP}/lpsc_fig3a_cluster.rst",
                           category="lpsc"),
        cluster_pdf=f"{LPSC_FIG}/fig3a_cluster.pdf",
        charges_png=report(f"{LPSC_FIG}/fig3bcd_charges.png", caption=f"{LPSC_CAP}/lpsc_fig3bcd_charges.rst",
                           category="lpsc"),
        charges_pdf=f"{LPSC_FIG}/fig3bcd_charges.pdf",
        summary=f"{LPSC_FIG}/fig3.json",
    log:
        f"{LOGS}/plot_charges/lpsc.log",
    benchmark:
        f"{BENCH}/plot_charges/lpsc.tsv"
    params:
        regions=REGION_PARAMS,
        level_of_theory=f"{DP_LEVEL}; QEq charges",
    threads: 1
    resources:
        **res("light"),
    conda:
        env_file("analysis")
    script:
        "../scripts/lpsc_plot_charges.py"


rule plot_rdf:
    """Fig. 4b: Li-Li RDF of the cluster vs anode Li with the paper's 2.75 / 2.96 A peaks."""
    input:
        rdf=rules.find_cluster.output.rdf,
        cluster=rules.find_cluster.output.summary,
    output:
        png=report(f"{LPSC_FIG}/fig4b_rdf.png", caption=f"{LPSC_CAP}/lpsc_fig4b_rdf.rst", category="lpsc"),
        pdf=f"{LPSC_FIG}/fig4b_rdf.pdf",
        summary=f"{LPSC_FIG}/fig4b_rdf.json",
    log:
        f"{LOGS}/plot_rdf/lpsc.log",
    benchmark:
        f"{BENCH}/plot_rdf/lpsc.tsv"
    threads: 1
    resources:
        **res("light"),
    conda:
        env_file("analysis")
    script:
        "../scripts/lpsc_plot_rdf.py"


rule plot_dos:
    """Fig. 4d: PBE DOS of bulk Li6PS5Cl vs the SEI slab with this run's and the paper's gaps."""
    input:
        bulk_dos=f"{LPSC_DFT}/bulk/dos.dat",
        bulk=f"{LPSC_DFT}/bulk/band_gap.json",
        sei_dos=f"{LPSC_DFT}/sei/dos.dat",
        sei=f"{LPSC_DFT}/sei/band_gap.json",
    output:
        png=report(f"{LPSC_FIG}/fig4d_dos.png", caption=f"{LPSC_CAP}/lpsc_fig4d_dos.rst", category="lpsc"),
        pdf=f"{LPSC_FIG}/fig4d_dos.pdf",
        summary=f"{LPSC_FIG}/fig4d_dos.json",
    log:
        f"{LOGS}/plot_dos/lpsc.log",
    benchmark:
        f"{BENCH}/plot_dos/lpsc.tsv"
    threads: 1
    resources:
        **res("light"),
    conda:
        env_file("analysis")
    script:
        "../scripts/lpsc_plot_dos.py"


rule plot_sei_thickness:
    """SEI thickness and SEI products vs time of the moving-restraint run."""
    input:
        regions=rules.analyse_regions.output.summary,
    output:
        png=report(f"{LPSC_FIG}/sei_thickness.png", caption=f"{LPSC_CAP}/lpsc_sei_thickness.rst", category="lpsc"),
        pdf=f"{LPSC_FIG}/sei_thickness.pdf",
        summary=f"{LPSC_FIG}/sei_thickness.json",
    log:
        f"{LOGS}/plot_sei_thickness/lpsc.log",
    benchmark:
        f"{BENCH}/plot_sei_thickness/lpsc.tsv"
    threads: 1
    resources:
        **res("light"),
    conda:
        env_file("analysis")
    script:
        "../scripts/lpsc_plot_sei_thickness.py"


STUDY_TARGETS["lpsc"] += [
    rules.plot_cv.output.png,
    rules.plot_sandwich.output.png,
    rules.plot_charges.output.cluster_png,
    rules.plot_charges.output.charges_png,
    rules.plot_rdf.output.png,
    rules.plot_dos.output.png,
    rules.plot_sei_thickness.output.png,
]
