"""deepmd-kit training settings for the tests, taken from the config.

:func:`lidendrite.training.deepmd_input.build_deepmd_input` has no defaults for
the network, learning rate, loss and output: the config's
``<study>.training.model`` is their one source, so the tests take them from it
too (``config/paper.yaml``: the lpsc SI 2.2 networks and loss).
"""

from __future__ import annotations

from lidendrite.config import load_config

__all__ = ["PAPER_MODEL", "REQUIRED", "NO_VIRIAL", "paper_settings"]

#: the lpsc model block of config/paper.yaml
PAPER_MODEL = dict(load_config("paper")["lpsc"]["training"]["model"])
#: the settings build_deepmd_input requires besides type_map, systems, sel and numb_steps
REQUIRED = (
    "rcut",
    "rcut_smth",
    "embedding_neuron",
    "axis_neuron",
    "fitting_neuron",
    "start_lr",
    "stop_lr",
    "decay_steps",
    "start_pref_e",
    "limit_pref_e",
    "start_pref_f",
    "limit_pref_f",
    "start_pref_v",
    "limit_pref_v",
    "disp_freq",
    "save_freq",
)
#: energy and force loss only: the toy trainings fit no virial (as they were written)
NO_VIRIAL = {"start_pref_v": 0.0, "limit_pref_v": 0.0}


def paper_settings(**over):
    """The required settings as config/paper.yaml gives them, ``over`` on top."""
    return {**{k: PAPER_MODEL[k] for k in REQUIRED}, **over}
