"""The labeller a run uses: config key ``labeller`` with its ``labeling.<name>`` settings."""

from __future__ import annotations

from typing import Any

from lidendrite.config import labeller_settings
from lidendrite.labeling.base import Labeller, get_labeller

__all__ = ["active_labeller"]


def active_labeller(config: dict[str, Any], study: str | None = None) -> Labeller:
    """Build the labeller named by ``config['labeller']`` for ``study``.

    ``labeling.teacher`` holds the teacher's settings (its ``by_study`` block
    picks the teacher per study, see
    :func:`lidendrite.config.labeller_settings`), ``labeling.cp2k`` CP2K's;
    the vasp/abacus labellers read the user's own calculations and take theirs
    from ``labeling.<name>`` too when present.
    """
    settings = labeller_settings(config, study)
    return get_labeller(settings.pop("name"), **settings)
