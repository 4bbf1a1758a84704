"""lidendrite: replication pipeline for two Li-dendrite nucleation studies.

Study ``lpsc``: An et al., Li | Li6PS5Cl | Li, DP + PLUMED moving restraint.
Study ``ec``:   Hu et al., Li | EC + LiPF6 | Li, DP-QEq under constant potential.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
