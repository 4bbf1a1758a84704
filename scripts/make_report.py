"""Rule make_report: build the replication report from the run's stage JSONs."""

import sys
from pathlib import Path

from lidendrite.report.cli import build_report


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "w")
    report_dir = Path(smk.output.html).parent
    results_dir = report_dir.parent  # results/<scale>/report -> results/<scale>
    build_report(
        smk.config,
        report_dir,
        results_dir=results_dir,
        paper_values=smk.input.paper_values,
        report_spec=smk.input.spec,
        bench_dir=results_dir / "benchmarks",
    )


main(snakemake)  # noqa: F821 (injected by Snakemake)
