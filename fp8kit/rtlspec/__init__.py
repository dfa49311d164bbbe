"""The RTL contract: what Python knows about each module in ``rtl/``.

- :mod:`fp8kit.rtlspec.params`: each module's parameter set from Formats, and its legality rules.
- :mod:`fp8kit.rtlspec.manifest`: each toplevel's sources and include directories, derived from the
  Verilog; the generated FuseSoC core ``rtl/fp8kit.core``.
- :mod:`fp8kit.rtlspec.defs`: the generated ``rtl/include/fp8kit_defs.vh``.
"""
