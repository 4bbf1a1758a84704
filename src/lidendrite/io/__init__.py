"""Readers and writers of the pipeline's run files, in one place.

Engines, analysis and plotting read the files other stages wrote through
these modules rather than through each other. The layers contract in
``pyproject.toml`` keeps this package below every engine.

* :mod:`~lidendrite.io.extxyz`: built structures as extended XYZ with per-atom
  ``region``/``layer`` and provenance.
* :mod:`~lidendrite.io.trajectory`: extended-XYZ frames with per-atom charges
  (trajectories of :func:`lidendrite.md.driver.run_md`, frames of the QEq rule).
* :mod:`~lidendrite.io.lammps_dump`: LAMMPS text dumps of the moving-restraint
  run, with the starting structure's ``region``/``layer`` attached.
* :mod:`~lidendrite.io.colvar`: PLUMED COLVAR files.
* :mod:`~lidendrite.io.deepmd`: deepmd-kit's ``lcurve.out`` and ``model_devi.out``.
* :mod:`~lidendrite.io.dpgen`: DP-GEN's ``record.dpgen``.
* :mod:`~lidendrite.io.jsonfile`: JSON summaries, records and states, written
  atomically (a killed writer leaves no half file) and read with one-line errors.
* :mod:`~lidendrite.io.fingerprint`: the digests that decide whether a long run
  (MD, moving restraint, training, active learning) may resume from its files.

Each module imports only numpy, ASE and :mod:`lidendrite.errors`, so that any
layer may use it.
"""
