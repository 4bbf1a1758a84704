"""QEq / ConstP charge equilibration in JAX (ec paper SI 1.1-1.3, lpsc paper SI 5).

Modules (import them directly; this package imports nothing heavy):

* :mod:`~lidendrite.qeq.params` - parameter sets ``lpsc`` / ``ec`` and YAML overrides
* :mod:`~lidendrite.qeq.settings` - :class:`QEqSettings`, every knob with its default
* :mod:`~lidendrite.qeq.geometry` - cell checks, neighbour lists, Li-Li coordination
* :mod:`~lidendrite.qeq.energy` - pure JAX energy terms (Ewald/PME, Gaussian, slab, bias)
* :mod:`~lidendrite.qeq.solver` - projected preconditioned CG, :class:`QEqNotConverged`
* :mod:`~lidendrite.qeq.engine` - :class:`QEqEngine`: atoms -> charges, energy, forces, stress
* :mod:`~lidendrite.qeq.calculator` - ASE ``QEqCalculator`` and ``ShortPlusQEqCalculator``
* :mod:`~lidendrite.qeq.cli` - ``lidendrite qeq``
"""

__all__: list[str] = []
