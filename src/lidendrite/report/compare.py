"""Status of one quantity: this run's value against the paper's value and tolerance.

The tolerance comes from ``config/paper_values.yaml``: a number is an absolute
tolerance in the paper's unit, ``{relative: f}`` a fraction of the paper's
value, ``null`` means "no numeric tolerance" (lists of names are then compared
as sets: every name the paper gives must appear in this run). Lists of numbers
are compared element by element, mappings key by key.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = [
    "REPRODUCED",
    "NOT_REPRODUCED",
    "NOT_COMPARABLE_SCALE",
    "NOT_COMPARABLE",
    "NOT_RUN",
    "STATUSES",
    "WITHIN_2X",
    "compare",
    "within",
]

REPRODUCED = "reproduced"
WITHIN_2X = "within 2x"
NOT_REPRODUCED = "not reproduced"
NOT_COMPARABLE_SCALE = "not comparable at this scale"
NOT_COMPARABLE = "not comparable"
NOT_RUN = "not run"
#: every status, in the order the report counts them
STATUSES = (REPRODUCED, WITHIN_2X, NOT_REPRODUCED, NOT_COMPARABLE_SCALE, NOT_COMPARABLE, NOT_RUN)

# Floating-point slack for "tolerance 0" (integer counts stored as floats).
_EPS = 1e-9


def within(run: float, paper: float, tolerance: Any) -> bool:
    """True when ``|run - paper|`` is inside ``tolerance`` (absolute number or ``{relative: f}``)."""
    if isinstance(tolerance, dict):
        if set(tolerance) != {"relative"}:
            raise ValueError(f"tolerance must be a number or {{relative: f}}, got {tolerance!r}")
        limit = float(tolerance["relative"]) * abs(float(paper))
    else:
        limit = float(tolerance)
    return abs(float(run) - float(paper)) <= limit + _EPS * max(1.0, abs(float(paper)))


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _fmt(x: Any) -> str:
    return f"{x:.4g}" if isinstance(x, float) else str(x)


def compare(
    paper: Any,
    run: Any,
    tolerance: Any,
    *,
    scale: str,
    scales: list[str] | None = None,
    error_metric: bool = False,
) -> tuple[str, str]:
    """Return ``(status, detail)`` for one row of the report.

    Parameters
    ----------
    paper, run
        The paper's value and this run's (number, list, mapping or string);
        ``run`` is ``None`` when the stage did not run (status ``not run``).
    tolerance
        As in ``paper_values.yaml``: number (absolute), ``{relative: f}`` or ``None``.
    scale
        This run's scale (``ci``, ``demo``, ``paper``).
    scales
        Scales at which the quantity is comparable (``None``: all). At other
        scales the status is ``not comparable at this scale``.
    error_metric
        The quantity is an error (an RMSE: lower is better): a value below the
        paper's or within ``tolerance`` above it is reproduced, one up to twice
        the paper's is ``within 2x``, a larger one not reproduced.
    """
    if run is None:
        return NOT_RUN, "no value"
    if scales is not None and scale not in scales:
        return NOT_COMPARABLE_SCALE, f"needs the {' or '.join(scales)} scale; this run is {scale}"
    # lists of names (species): set containment, whatever the tolerance
    if isinstance(paper, list) and paper and all(isinstance(p, str) for p in paper):
        got = {str(r) for r in (run if isinstance(run, list) else [run])}
        missing = [p for p in paper if p not in got]
        if missing:
            return NOT_REPRODUCED, "missing: " + ", ".join(missing)
        return REPRODUCED, "all found"
    if isinstance(paper, str):
        ok = str(run).strip().lower() == paper.strip().lower()
        return (REPRODUCED, "same") if ok else (NOT_REPRODUCED, f"{run!r} differs")
    if tolerance is None:
        return NOT_COMPARABLE, "the paper gives no tolerance for it"
    if _is_number(paper):
        if not _is_number(run):
            return NOT_COMPARABLE, f"this run's value is not a number: {run!r}"
        if isinstance(paper, float) and math.isnan(float(run)):
            return NOT_REPRODUCED, "this run gave NaN"
        diff = float(run) - float(paper)
        rel = f" ({diff / paper:+.1%})" if paper else ""
        if error_metric:
            if float(run) <= float(paper) or within(run, paper, tolerance):
                return REPRODUCED, f"diff {diff:+.4g}{rel}"
            if float(run) <= 2.0 * float(paper):
                return WITHIN_2X, f"diff {diff:+.4g}{rel}: above the paper's error, within twice it"
            return NOT_REPRODUCED, f"diff {diff:+.4g}{rel}: more than twice the paper's error"
        status = REPRODUCED if within(run, paper, tolerance) else NOT_REPRODUCED
        return status, f"diff {diff:+.4g}{rel}"
    if isinstance(paper, list):
        if not isinstance(run, list) or len(run) != len(paper):
            return NOT_REPRODUCED, f"expected {len(paper)} values, got {run!r}"
        bad = [i for i, (p, r) in enumerate(zip(paper, run, strict=False)) if not (_is_number(r) and within(r, p, tolerance))]
        if bad:
            return NOT_REPRODUCED, "outside tolerance at " + ", ".join(
                f"[{i}] {_fmt(run[i])} vs {_fmt(paper[i])}" for i in bad
            )
        return REPRODUCED, "every element within tolerance"
    if isinstance(paper, dict):
        if not isinstance(run, dict):
            return NOT_COMPARABLE, f"expected a mapping, got {run!r}"
        runs = {str(k): v for k, v in run.items()}
        missing = [str(k) for k in paper if str(k) not in runs]
        bad = [str(k) for k, p in paper.items() if str(k) in runs and not within(runs[str(k)], p, tolerance)]
        if missing or bad:
            parts = (["missing " + ", ".join(missing)] if missing else []) + (
                ["outside tolerance at " + ", ".join(bad)] if bad else []
            )
            return NOT_REPRODUCED, "; ".join(parts)
        return REPRODUCED, "every entry within tolerance"
    return NOT_COMPARABLE, f"cannot compare a {type(paper).__name__}"
