"""The replication report: this run's numbers beside both papers', figures, provenance.

``collect`` gathers the stage JSONs, benchmarks and versions into one dict,
``compare`` decides each row's status from the paper's tolerance, ``render``
writes ``index.html`` and ``report.md``, ``browser`` checks the page in
headless Chromium. What to show is data: ``config/report.yaml`` and
``config/paper_values.yaml``.
"""

__all__ = ["browser", "collect", "compare", "render"]
