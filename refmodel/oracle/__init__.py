"""The exact oracles: slow, obviously-correct integer and ``fractions.Fraction`` models that every
fast path of the golden model is tested against.

- :mod:`refmodel.oracle.codec`: exact decode and encode of every format and rounding mode.
- :mod:`refmodel.oracle.arith`: exact products, FMA, MAC and dot products, rounded once.
- :mod:`refmodel.oracle.mx`: OCP MX scales, quantisation and the block dot product.
- :mod:`refmodel.oracle.gemm`: the GEMM datapaths (exact, FMA chain, fused dot, promote), one output
  at a time.

``from refmodel.oracle import decode_exact`` (the codec oracle, this package's name before 0.2) keeps working.
"""

from .codec import OracleValue, decode_exact, encode_exact, exact_value_of_float, is_signalling_nan

__all__ = ["OracleValue", "decode_exact", "encode_exact", "exact_value_of_float", "is_signalling_nan"]
