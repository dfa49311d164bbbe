"""Area and energy of the project's datapaths.

- :mod:`fp8kit.cost.model`: the analytic model in NAND2 gate equivalents and its calibration.
- :mod:`fp8kit.cost.table`: the rows of ``fp8kit cost``, the calibration fit, the charts.
- :mod:`fp8kit.cost.dpa`: the ``fp8_dpa`` rows of ``fp8kit cost --dpa`` over L and F, their GEMM error, the
  Pareto front.
- :mod:`fp8kit.cost.synth`: the Yosys flow that synthesizes the real RTL, and its cache.
- :mod:`fp8kit.cost.priors`: the primitive benches whose synthesis gives the calibration its priors.
- :mod:`fp8kit.cost.gatesim`: a zero-delay, many-lane simulator of a synthesized gate-level netlist.
- :mod:`fp8kit.cost.energy`: switching-activity energy of a datapath from its simulated netlist.
"""
