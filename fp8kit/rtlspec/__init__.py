"""The RTL contract: what Python knows about each module in ``rtl/``.

- :mod:`fp8kit.rtlspec.params`: each module's one producer of its parameter set from Formats
  (``PRODUCERS``), and the model op each module implements (``OPS``).
- :mod:`fp8kit.rtlspec.legality`: each module's legality rules, mirroring its elaboration checks
  (a test holds them equal to what Icarus elaborates).
- :mod:`fp8kit.rtlspec.manifest`: each toplevel's sources and include directories, derived from the
  Verilog; the generated FuseSoC core ``rtl/fp8kit.core``.
- :mod:`fp8kit.rtlspec.defs`: the generated ``rtl/include/fp8kit_defs.vh``.
"""
