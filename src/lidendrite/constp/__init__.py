"""Constant-potential (ConstP) tools of the ec study (Hu et al. sec. 2.2.3, 3.2).

* :mod:`~lidendrite.constp.electrodes`: which Li the ConstP bias acts on (the QEq
  engine's own CN rule, eq. S17), the bias settings from the per-atom ``region``
  labels, the swap of the electrodes between rounds, and surface charge densities.
* :mod:`~lidendrite.constp.cycle`: the ASE MD driver of sec. 2.2.2 (ConstQ NPT,
  cut, ConstQ NVT, ConstP rounds with sides swapped), restartable.
"""
