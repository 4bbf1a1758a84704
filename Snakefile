# lidendrite: end-to-end replication of two Li-dendrite nucleation studies.
#   lpsc: An et al., Li | Li6PS5Cl | Li  (DP-GEN, LAMMPS + PLUMED, QEq, CP2K)
#   ec:   Hu et al., Li | EC + LiPF6 | Li (DP-QEq under ConstQ and ConstP)
# Scales: config/config.yaml (demo, default), config/ci.yaml, config/paper.yaml.

from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "rules/common.smk"
include: "rules/structures.smk"
include: "rules/ec_validation.smk"
include: "rules/lpsc_potential.smk"
include: "rules/ec_potential.smk"
include: "rules/ec_cycle.smk"
include: "rules/ec_analysis.smk"
include: "rules/lpsc_sampling.smk"
include: "rules/lpsc_analysis.smk"
include: "rules/lpsc_figures.smk"
include: "rules/report.smk"  # last: it collects every stage


rule all:
    """Every target of the configured studies at the configured scale."""
    input:
        all_targets(),
        rules.make_report.output.html,
    default_target: True
