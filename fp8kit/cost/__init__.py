"""Area and energy of the project's datapaths.

- :mod:`fp8kit.cost.model`: the analytic model in NAND2 gate equivalents and its calibration.
- :mod:`fp8kit.cost.table`: the rows of ``fp8kit cost``, the calibration fit, the charts.
- :mod:`fp8kit.cost.synth`: Yosys synthesis and switching-activity energy of the real RTL.
"""
