"""Rule make_report: build the replication report from the run's stage JSONs."""

import sys
from pathlib import Path

from lidendrite.report.cli import build_report


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "w")
    build_report(
        smk.config,
        Path(smk.output.html).parent,
        results_dir=smk.params.results_dir,
        paper_values=smk.input.paper_values,
        report_spec=smk.input.spec,
        bench_dir=smk.params.bench_dir,
    )


main(snakemake)  # noqa: F821 (injected by Snakemake)
