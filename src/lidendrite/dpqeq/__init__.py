"""DP-QEq of the ec paper (Hu et al.): DP short-range + QEq long-range.

``E_Total = E_Short + E_QEq`` (ec paper, eq. 1). Modules:

``calculator``
    :class:`~lidendrite.dpqeq.calculator.DPQEqCalculator`, the ASE calculator
    (deepmd-kit TF ``.pb`` for DP_short + the JAX QEq engine, ConstQ or ConstP).
``short_range``
    Short-range labels ``E_short = E_label - E_QEq(ConstQ)`` (ec 2.2.3) as dpdata systems.
``active_learning``
    Concurrent learning driven by DP-QEq MD and the model deviation of DP_short.
``initial``
    Initial data (perturbed BCC Li; teacher-driven MD of electrolyte and interfaces).
``evaluate``
    Test-set RMSEs of the full DP and of DP-QEq against the labels (Fig. 2a).
"""

__all__: list[str] = []
