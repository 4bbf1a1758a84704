# Analysis of the lpsc moving-restraint run (An et al. Results, SI 5): QEq charges,
# anode/SEI/electrolyte regions, the metallic Li cluster and its RDF, the SEI slab
# and CP2K PBE band gaps of bulk Li6PS5Cl and of the SEI slab.

LPSC_ANALYSIS = f"{RESULTS}/lpsc/analysis"
LPSC_DFT = f"{RESULTS}/lpsc/dft"
_AN = config["lpsc"]["analysis"]
REGION_PARAMS = {k: _AN[k] for k in ("li_li_cutoff", "bond_cutoff", "n_metal_neighbours",
                                     "crystal_displacement", "ps_bond", "bin_width")}


rule qeq_charges:
    """QEq charges (Table S2, ConstQ, total 0) on the frames at the paper's times (config fractions)."""
    input:
        traj=rules.run_moving_restraint.output.traj,
        structure=f"{RESULTS}/lpsc/structures/lpsc-sandwich.extxyz",
    output:
        frames=f"{LPSC_ANALYSIS}/charges.extxyz",
        summary=f"{LPSC_ANALYSIS}/charges.json",
    log:
        f"{LOGS}/qeq_charges/lpsc.log",
    benchmark:
        f"{BENCH}/qeq_charges/lpsc.tsv"
    params:
        n_steps=config["lpsc"]["sampling"]["n_steps"],
        timestep_fs=config["lpsc"]["sampling"]["timestep_fs"],
        fractions=_AN["qeq_fractions"],
    threads: config["threads"]
    resources:
        **res("light"),
    conda:
        env_file("qeq")
    script:
        "../scripts/lpsc_qeq_charges.py"


rule analyse_regions:
    """Anode / SEI / electrolyte along z, SEI thickness and products (Li2S/Li3P/LiCl-like) vs time."""
    input:
        traj=rules.run_moving_restraint.output.traj,
        structure=f"{RESULTS}/lpsc/structures/lpsc-sandwich.extxyz",
    output:
        summary=f"{LPSC_ANALYSIS}/regions.json",
    log:
        f"{LOGS}/analyse_regions/lpsc.log",
    benchmark:
        f"{BENCH}/analyse_regions/lpsc.tsv"
    params:
        timestep_fs=config["lpsc"]["sampling"]["timestep_fs"],
        regions=REGION_PARAMS,
        level_of_theory=DP_LEVEL,
    threads: 1
    resources:
        **res("light"),
    conda:
        env_file("analysis")
    script:
        "../scripts/lpsc_analyse_regions.py"


rule find_cluster:
    """Metal-like Li cluster (QEq charge, Li-Li connectivity), its distance from the Li/SEI boundary and RDF."""
    input:
        frames=rules.qeq_charges.output.frames,
    output:
        summary=f"{LPSC_ANALYSIS}/cluster.json",
        rdf=f"{LPSC_ANALYSIS}/rdf.npz",
    log:
        f"{LOGS}/find_cluster/lpsc.log",
    benchmark:
        f"{BENCH}/find_cluster/lpsc.tsv"
    params:
        regions=REGION_PARAMS,
        li_li_cutoff=_AN["li_li_cutoff"],
        q_metal=_AN["q_metal"],
        min_size=_AN["min_cluster_size"],
        anchor_layer=_AN["anchor_layer"],
        r_max=_AN["rdf_r_max"],
        dr=_AN["rdf_dr"],
        level_of_theory=f"{DP_LEVEL}; QEq charges",
    threads: 1
    resources:
        **res("light"),
    conda:
        env_file("analysis")
    script:
        "../scripts/lpsc_find_cluster.py"


rule extract_sei_slab:
    """Cut the SEI between the anode surface and the cluster (no metal-like Li), periodic, relaxed with DP."""
    input:
        frames=rules.qeq_charges.output.frames,
        cluster=rules.find_cluster.output.summary,
        model=rules.run_moving_restraint.input.model,
    output:
        structure=f"{LPSC_ANALYSIS}/sei_slab.extxyz",
        summary=f"{LPSC_ANALYSIS}/sei_slab.json",
    log:
        f"{LOGS}/extract_sei_slab/lpsc.log",
    benchmark:
        f"{BENCH}/extract_sei_slab/lpsc.tsv"
    params:
        width=_AN["slab_width"],
        min_distance=_AN["slab_min_distance"],
        fmax=_AN["slab_relax_fmax"],
        steps=_AN["slab_relax_steps"],
        q_metal=_AN["q_metal"],
        min_width=_AN["slab_min_width"],
        level_of_theory=DP_LEVEL,
    threads: config["threads"]
    resources:
        **res("light"),
    conda:
        env_file("md")
    script:
        "../scripts/lpsc_extract_sei_slab.py"


LPSC_GAP_INPUT = {
    "bulk": f"{RESULTS}/lpsc/structures/lpsc-bulk-relaxed.extxyz",
    "sei": rules.extract_sei_slab.output.structure,
}


rule band_gap:
    """CP2K PBE band gap and DOS of bulk Li6PS5Cl (paper 2.15 eV) or the SEI slab (paper 0 eV)."""
    input:
        structure=lambda wc: LPSC_GAP_INPUT[wc.system],
    output:
        summary=f"{LPSC_DFT}/{{system}}/band_gap.json",
        dos=f"{LPSC_DFT}/{{system}}/dos.dat",
    log:
        f"{LOGS}/band_gap/{{system}}.log",
    benchmark:
        f"{BENCH}/band_gap/{{system}}.tsv"
    wildcard_constraints:
        system="bulk|sei",
    params:
        dft=config["lpsc"]["dft"],
        cp2k=config["labeling"]["cp2k"],
        workdir=lambda wc: f"{LPSC_DFT}/{wc.system}/cp2k",
        comparable=SCALE == "paper",
    threads: config["threads"]
    resources:
        **res("dft"),
    conda:
        env_file("dft")
    script:
        "../scripts/lpsc_band_gap.py"


STUDY_TARGETS["lpsc"] += [
    rules.qeq_charges.output.summary,
    rules.analyse_regions.output.summary,
    rules.find_cluster.output.summary,
    rules.extract_sei_slab.output.summary,
] + expand(f"{LPSC_DFT}/{{system}}/band_gap.json", system=["bulk", "sei"])
