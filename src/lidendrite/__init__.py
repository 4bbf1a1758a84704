"""lidendrite: replication pipeline for two Li-dendrite nucleation studies.

Study ``lpsc``: An et al., Li | Li6PS5Cl | Li, DP + PLUMED moving restraint.
Study ``ec``:   Hu et al., Li | EC + LiPF6 | Li, DP-QEq under constant potential.

Importing the package sets the GPU memory environment of
:mod:`lidendrite.devices` (TensorFlow and JAX share one GPU) for this process
and every child it starts, before either framework is imported.
"""

from lidendrite.devices import share_gpu_memory

share_gpu_memory()

__version__ = "0.1.0"
__all__ = ["__version__"]
