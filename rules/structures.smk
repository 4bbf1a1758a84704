# Starting structures of both studies (lpsc SI 1 and 3; ec sec. 2.2.3 and SI 2.1),
# built from config parameters, plus the bulk relaxations that give the lattice
# constants compared with the papers (lpsc SI 1: 3.42 / 10.25 Angstrom).

LPSC_KINDS = ["li-bcc", "lpsc-bulk", "lpsc-interface", "lpsc-sandwich"]
EC_KINDS = ["ec-electrolyte", "ec-single-interface", "ec-double-interface", "ec-superlattice"]
BULK_BLOCKS = {"li-bcc": "li_bcc", "lpsc-bulk": "lpsc_bulk"}

from lidendrite.structures.cli import builder_params  # noqa: E402 (src is on sys.path: common.smk)


rule build_structure:
    """Build one starting structure (extxyz with region/layer arrays) and its summary JSON."""
    output:
        structure=f"{RESULTS}/{{study}}/structures/{{kind}}.extxyz",
        summary=f"{RESULTS}/{{study}}/structures/{{kind}}.json",
    log:
        f"{LOGS}/build_structure/{{study}}_{{kind}}.log",
    benchmark:
        f"{BENCH}/build_structure/{{study}}_{{kind}}.tsv"
    wildcard_constraints:
        kind="|".join(LPSC_KINDS + EC_KINDS),
    params:
        # the builder's keywords from the config, so that a changed structure key rebuilds
        builder=lambda wc: builder_params(wc.kind, config),
    threads: 1
    resources:
        **res("light"),
    conda:
        env_file("structures")
    script:
        "../scripts/build_structure.py"


rule build_toy_capacitor:
    """Build the ec toy capacitor: two Li(100) slabs `gap` Angstrom apart in vacuum (ec Fig. 3a)."""
    output:
        structure=f"{RESULTS}/ec/structures/ec-toy-capacitor-gap{{gap}}.extxyz",
        summary=f"{RESULTS}/ec/structures/ec-toy-capacitor-gap{{gap}}.json",
    log:
        f"{LOGS}/build_toy_capacitor/gap{{gap}}.log",
    benchmark:
        f"{BENCH}/build_toy_capacitor/gap{{gap}}.tsv"
    wildcard_constraints:
        gap=r"\d+(\.\d+)?",
    params:
        kind="ec-toy-capacitor",
        builder=builder_params("ec-toy-capacitor", config),
    threads: 1
    resources:
        **res("light"),
    conda:
        env_file("structures")
    script:
        "../scripts/build_structure.py"


rule relax_bulk:
    """Relax a bulk cell (positions and cell) with the active labeller; report its lattice constant."""
    input:
        structure=f"{RESULTS}/lpsc/structures/{{kind}}.extxyz",
    output:
        structure=f"{RESULTS}/lpsc/structures/{{kind}}-relaxed.extxyz",
        summary=f"{RESULTS}/lpsc/structures/{{kind}}-relaxed.json",
    log:
        f"{LOGS}/relax_bulk/{{kind}}.log",
    benchmark:
        f"{BENCH}/relax_bulk/{{kind}}.tsv"
    wildcard_constraints:
        kind="|".join(BULK_BLOCKS),
    params:
        labeller=labeller_param("lpsc"),
        fmax=config["lpsc"]["structures"]["relax"]["fmax"],
        steps=config["lpsc"]["structures"]["relax"]["steps"],
        stress_tol=config["lpsc"]["structures"]["relax"]["stress_tol"],
        repeat=lambda wc: config["lpsc"]["structures"][BULK_BLOCKS[wc.kind]]["repeat"],
    threads: config["threads"]
    resources:
        **res("light"),
    conda:
        env_file("labeling")
    script:
        "../scripts/relax_bulk.py"


STUDY_TARGETS["lpsc"] += expand(
    f"{RESULTS}/lpsc/structures/{{kind}}.json", kind=LPSC_KINDS
) + expand(f"{RESULTS}/lpsc/structures/{{kind}}-relaxed.json", kind=BULK_BLOCKS)
STUDY_TARGETS["ec"] += expand(f"{RESULTS}/ec/structures/{{kind}}.json", kind=EC_KINDS)
