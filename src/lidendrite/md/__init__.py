"""Molecular dynamics with ASE calculators (NVT, NPT, NVE), restartable.

* :mod:`~lidendrite.md.driver`: :func:`~lidendrite.md.driver.run_md` integrates
  any ASE calculator (e.g. :class:`~lidendrite.dpqeq.calculator.DPQEqCalculator`)
  with a Nose-Hoover chain (NVT), Nose-Hoover + Parrinello-Rahman (NPT,
  Melchionna's form) or velocity Verlet (NVE), writes an extended-XYZ
  trajectory with per-frame charges, and resumes a killed run from its state
  file.
"""
