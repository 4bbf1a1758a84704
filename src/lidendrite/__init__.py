"""lidendrite: replication pipeline for two Li-dendrite nucleation studies.

Study ``lpsc``: An et al., Li | Li6PS5Cl | Li, DP + PLUMED moving restraint.
Study ``ec``:   Hu et al., Li | EC + LiPF6 | Li, DP-QEq under constant potential.

Importing the package sets the environment of :mod:`lidendrite.devices` for
this process and every child it starts, before any framework is imported:
TensorFlow and JAX share one GPU, and idle OpenMP threads sleep instead of
spinning (a laptop's cores are shared with other programs).
"""

from lidendrite.devices import share_cores, share_gpu_memory

share_gpu_memory()
share_cores()

__version__ = "0.1.0"
__all__ = ["__version__"]
