"""Labelling of frames with energy, forces and virial by a chosen level of theory.

``get_labeller(name, **settings)`` returns one of ``teacher`` (SevenNet-0 or
CHGNet, weights bundled in their PyPI packages), ``cp2k`` (PBE/GTH/MOLOPT
single points), ``vasp`` or ``abacus`` (the user's own calculations read
through dpdata). Every labelled dataset records its labeller in
``labeller.json``. Heavy packages (torch, dpdata) load only when used.
"""

from lidendrite.labeling.base import LABELLERS, Labeller, get_labeller, write_dpdata

__all__ = ["LABELLERS", "Labeller", "get_labeller", "write_dpdata"]
