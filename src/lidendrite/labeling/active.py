"""The labeller a run uses: config key ``labeller`` with its ``labeling.<name>`` settings."""

from __future__ import annotations

from typing import Any

from lidendrite.labeling.base import Labeller, get_labeller

__all__ = ["active_labeller"]


def active_labeller(config: dict[str, Any]) -> Labeller:
    """Build the labeller named by ``config['labeller']`` with its settings block.

    ``labeling.teacher`` holds the teacher's settings, ``labeling.cp2k`` CP2K's;
    the vasp/abacus labellers read the user's own calculations and take theirs
    from ``labeling.<name>`` too when present.
    """
    name = config["labeller"]
    settings = dict(config.get("labeling", {}).get(name, {}) or {})
    return get_labeller(name, **settings)
