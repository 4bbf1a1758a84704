"""One look for every figure: the package style sheet, headless backend, PNG + PDF output,
and the papers' reference values from ``config/paper_values.yaml``."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["figure", "save_figure", "paper_value", "STYLE"]

STYLE = Path(__file__).resolve().parents[1] / "data" / "lidendrite.mplstyle"


def figure(*args: Any, **kwargs: Any):
    """``plt.subplots`` with the Agg backend and the package style applied."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.style.use(STYLE)
    return plt.subplots(*args, **kwargs)


def save_figure(fig, png: str | Path, pdf: str | Path | None = None) -> None:
    """Write ``fig`` as PNG (and PDF when given), creating folders; close it."""
    import matplotlib.pyplot as plt

    for path in (png, pdf):
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            fig.savefig(path)
    plt.close(fig)


@cache
def _paper_values() -> dict[str, Any]:
    import yaml

    from lidendrite.config import CONFIG_DIR

    return yaml.safe_load((CONFIG_DIR / "paper_values.yaml").read_text())


def paper_value(study: str, key: str) -> Any:
    """The paper's value of ``key`` in ``study`` (e.g. ``paper_value('lpsc', 'band_gap_lpsc')``)."""
    entry = _paper_values()[study][key]
    return entry["value"]
