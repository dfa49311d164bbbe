"""Test vectors for the RTL: refmodel's expected outputs as ``$readmemh``-ready hex files.

One function builds the cases of an operation (:func:`generate`), :func:`write` and
:func:`read` move them through a file, and ``verif.replay`` checks the RTL against a file in
a pure-Verilog bench.  Every expected value comes from refmodel (``arith.mul``, ``arith.fma``,
``arith.mac``, ``int8.int8_mac_stream``, ``mx.dot``, ``gemm.matmul`` and ``gemm.matmul_mx``); formats
come from ``get_format``, RTL parameters from ``fp8kit.rtlspec`` and rounding codes from ``RoundingMode``.

The file layout (docs/vectors.md) is described and implemented in :mod:`fp8kit.vectors.io`.

Levels, in the manner of TestFloat: level 1 is every special and boundary combination of the
operation (deterministic: no seed); level 2 is level 1 plus ``count`` seeded random cases.

Modules: :mod:`~fp8kit.vectors.io` (the file: columns, header, checksum, write, read),
:mod:`~fp8kit.vectors.codes` (boundary and random codes shared by the ops), one module per op
holding its stimulus and cases (:mod:`~fp8kit.vectors.mul`, :mod:`~fp8kit.vectors.fma`,
:mod:`~fp8kit.vectors.mac`, :mod:`~fp8kit.vectors.int8_mac`, :mod:`~fp8kit.vectors.mx_dot`,
:mod:`~fp8kit.vectors.dpa` (fp8_dpa steps: a preset's or a fused-dot unit's),
:mod:`~fp8kit.vectors.gemm`: no RTL module, tiles for an accelerator's own simulator), and
:mod:`~fp8kit.vectors.build` (:func:`generate`, the memory limits, the replay bench's parameters).
"""

from __future__ import annotations

from fp8kit.vectors.build import (BYTES_PER_WORD, LEVEL1_BOUND, generate, memory_estimate, parse_roundings,
                                  rtl_params)
from fp8kit.vectors.codes import boundary_codes
from fp8kit.vectors.io import (CHECKSUM, FILE_VERSION, MAGIC, MAX_HEADER_BYTES, MEMORY_LIMIT_GIB, OPS,
                               READ_BYTES_PER_WORD, Column, Vectors, as_signed, read, read_header,
                               regenerate_command, write)
from fp8kit.vectors.mx_dot import mx_dot_random_cases

__all__ = [
    "BYTES_PER_WORD",
    "CHECKSUM",
    "FILE_VERSION",
    "MAGIC",
    "MEMORY_LIMIT_GIB",
    "OPS",
    "Column",
    "Vectors",
    "as_signed",
    "boundary_codes",
    "generate",
    "memory_estimate",
    "mx_dot_random_cases",
    "parse_roundings",
    "read",
    "read_header",
    "regenerate_command",
    "rtl_params",
    "write",
]
