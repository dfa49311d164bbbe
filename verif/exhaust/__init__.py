"""Exhaustive sweeps (``fp8kit exhaust``): model-side proofs in :mod:`.model`, RTL sweeps through a
Verilator C++ harness in :mod:`.rtl`, the chunked, sharded, resumable driver in :mod:`.sweep`."""
