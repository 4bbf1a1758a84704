# Moving-restraint DPMD of the lpsc sandwich (An et al. Methods 2.2, SI 4):
# LAMMPS with pair_style deepmd + PLUMED MOVINGRESTRAINT on the CN CV, NPT 300 K.

LPSC_SAMPLING = f"{RESULTS}/lpsc/sampling"
DP_LEVEL = f"Deep Potential trained on {config['labeller']} labels"


rule run_moving_restraint:
    """Run (or resume) the moving-restraint MD; trajectory, COLVAR and a JSON of CV/s0 and throughput."""
    input:
        model=rules.train_final_model.output.model,
        structure=f"{RESULTS}/lpsc/structures/lpsc-sandwich.extxyz",
    output:
        traj=f"{LPSC_SAMPLING}/traj.lammpstrj",
        colvar=f"{LPSC_SAMPLING}/COLVAR",
        summary=f"{LPSC_SAMPLING}/moving_restraint.json",
    log:
        f"{LOGS}/run_moving_restraint/lpsc.log",
    benchmark:
        f"{BENCH}/run_moving_restraint/lpsc.tsv"
    params:
        sampling=config["lpsc"]["sampling"],
        type_map=config["lpsc"]["training"]["type_map"],
        workdir=f"{LPSC_SAMPLING}/run",
        labeller=config["labeller"],
        level_of_theory=DP_LEVEL,
    threads: config["threads"]
    resources:
        **res("md"),
    conda:
        env_file("md")
    script:
        "../scripts/lpsc_run_moving_restraint.py"


STUDY_TARGETS["lpsc"] += [rules.run_moving_restraint.output.summary]
