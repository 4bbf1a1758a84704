# The replication report: this run's numbers beside both papers' (config/paper_values.yaml),
# every figure the pipeline makes in paper order, and provenance (config/report.yaml says where).


rule make_report:
    """Collect every stage JSON, figure and benchmark into results/<scale>/report/."""
    input:
        targets=all_targets(),
        paper_values=REPO / "config" / "paper_values.yaml",
        spec=REPO / "config" / "report.yaml",
    output:
        html=f"{RESULTS}/report/index.html",
        md=f"{RESULTS}/report/report.md",
        data=f"{RESULTS}/report/report.json",
    log:
        f"{LOGS}/make_report/report.log",
    benchmark:
        f"{BENCH}/make_report/report.tsv"
    threads: 1
    resources:
        **res("light"),
    conda:
        env_file("report")
    script:
        "../scripts/make_report.py"
