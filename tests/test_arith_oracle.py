"""Tests pinning refmodel.oracle.arith (exact products, FMA, dot, MAC) to hand-derived values.

Every expected code below was worked out by hand from spec-notes sections 2 and
4 (the comments show the arithmetic). Notation: ``ulp`` is the quantum of the
accumulator at the value in question; float32 1.0 has ulp 2**-23, float16
1.0 has ulp 2**-10, bfloat16 1.0 has ulp 2**-7. The last part cross-checks
the codes against refmodel.oracle.codec.encode_exact and, for a float16
accumulator (where acc + a*b is exact in float64), against numpy.
"""

from __future__ import annotations

from fractions import Fraction as F

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from refmodel.oracle.arith import (
    DZ,
    NV,
    NX,
    OF,
    UF,
    Product,
    dot_exact,
    fma_exact,
    mac_exact,
    mul_exact,
    round_exact,
)
from refmodel.encodings import Flag
from refmodel.formats import Format, get_format
from refmodel.oracle.codec import OracleValue, decode_exact, encode_exact

MODES = ("rne", "rtz", "rdn", "rup", "rmm", "sr", "rto")

E4M3FN = get_format("float8_e4m3fn")
E5M2 = get_format("float8_e5m2")
E4M3FNUZ = get_format("float8_e4m3fnuz")
E4M3 = get_format("float8_e4m3")
FP4 = get_format("float4_e2m1fn")
FP6_E3M2 = get_format("float6_e3m2fn")
E8M0 = get_format("float8_e8m0fnu")
FP16 = get_format("float16")
BF16 = get_format("bfloat16")
FP32 = get_format("float32")
E5M7 = Format.custom(5, 7)  # bias 15, max (2 - 2**-7) * 2**15 = 65280 = 0xF7F, Inf 0xF80, NaN 0xFC0

ONE32 = 0x3F800000
QNAN32 = 0x7FC00000


def fma(acc, a, b, fa, fb, acc_fmt, rounding="rne", **kw):
    """fma_exact; sr defaults to R = 4, r = 0."""
    if rounding == "sr" and "rand" not in kw:
        kw["sr_bits"], kw["rand"] = 4, 0
    return fma_exact(acc, a, b, fa, fb, acc_fmt, rounding, **kw)


def test_flag_constants_match_encodings():
    assert (NV, DZ, OF, UF, NX) == (16, 8, 4, 2, 1)
    assert (NV, DZ, OF, UF, NX) == tuple(int(f) for f in (Flag.NV, Flag.DZ, Flag.OF, Flag.UF, Flag.NX))


# ======================================================================= mul_exact
MUL_CASES = [
    # (fa, a, fb, b, negative, kind, magnitude, cls)
    (E4M3FN, 0x7E, E4M3FN, 0x7E, False, "finite", F(200704), "normal"),  # 448 * 448
    (E4M3FN, 0xFE, E4M3FN, 0x7E, True, "finite", F(200704), "normal"),  # -448 * 448
    (E4M3FN, 0xFE, E4M3FN, 0xFE, False, "finite", F(200704), "normal"),
    (E4M3FN, 0x01, E4M3FN, 0x01, False, "finite", F(1, 2**18), "subnormal"),  # 2**-9 * 2**-9
    (E4M3FN, 0x81, E4M3FN, 0x01, True, "finite", F(1, 2**18), "subnormal"),
    (E4M3FN, 0x01, E4M3FN, 0x7E, False, "finite", F(7, 8), "subnormal"),  # 2**-9 * 448
    (E4M3FN, 0x08, E4M3FN, 0x08, False, "finite", F(1, 2**12), "normal"),  # min normal 2**-6 squared
    (E4M3FN, 0x7F, E4M3FN, 0x38, False, "nan", F(0), "nan"),  # NaN * 1
    (E4M3FN, 0xFF, E4M3FN, 0xB8, False, "nan", F(0), "nan"),  # -NaN * -1: NaN reports False
    (E4M3FN, 0x7F, E4M3FN, 0x00, False, "nan", F(0), "nan"),
    (E4M3FN, 0x80, E4M3FN, 0x38, True, "finite", F(0), "zero"),  # -0 * 1
    (E4M3FN, 0x80, E4M3FN, 0xB8, False, "finite", F(0), "zero"),  # -0 * -1
    (E4M3FN, 0x00, E4M3FN, 0x01, False, "finite", F(0), "zero"),  # zero wins over subnormal
    (E5M2, 0x7C, E5M2, 0x00, False, "nan", F(0), "nan"),  # Inf * 0
    (E5M2, 0x80, E5M2, 0xFC, False, "nan", F(0), "nan"),  # -0 * -Inf
    (E5M2, 0x7C, E5M2, 0x40, False, "inf", F(0), "inf"),  # Inf * 2
    (E5M2, 0xFC, E5M2, 0x40, True, "inf", F(0), "inf"),
    (E5M2, 0x7C, E5M2, 0xC0, True, "inf", F(0), "inf"),
    (E5M2, 0xFC, E5M2, 0xFC, False, "inf", F(0), "inf"),
    (E5M2, 0x7C, E5M2, 0x01, False, "inf", F(0), "inf"),  # Inf * subnormal
    (E5M2, 0x7D, E5M2, 0x7C, False, "nan", F(0), "nan"),  # NaN * Inf
    (E5M2, 0x7D, E5M2, 0x00, False, "nan", F(0), "nan"),  # NaN * 0: nan, not Inf x 0
    (E5M2, 0x01, E5M2, 0x01, False, "finite", F(1, 2**32), "subnormal"),
    (E5M2, 0x7B, E5M2, 0x7B, False, "finite", F(57344**2), "normal"),
    # mixed formats: e4m3fn 448 x e5m2 57344; e4m3fn 1 x e5m2 -Inf; e4m3fn 0 x e5m2 Inf
    (E4M3FN, 0x7E, E5M2, 0x7B, False, "finite", F(448 * 57344), "normal"),
    (E4M3FN, 0x38, E5M2, 0xFC, True, "inf", F(0), "inf"),
    (E4M3FN, 0x00, E5M2, 0x7C, False, "nan", F(0), "nan"),
    (E4M3FN, 0x01, E5M2, 0x01, False, "finite", F(1, 2**25), "subnormal"),  # 2**-9 * 2**-16
    (E5M2, 0xBD, E4M3FN, 0x39, True, "finite", F(45, 32), "normal"),  # -1.25 * 1.125
    (E4M3FNUZ, 0x80, E4M3FNUZ, 0x40, False, "nan", F(0), "nan"),  # fnuz NaN
    (E4M3FNUZ, 0x00, E4M3FNUZ, 0xC0, True, "finite", F(0), "zero"),  # fnuz +0 * -1: XOR -> True
    (FP4, 0x7, FP4, 0xF, True, "finite", F(36), "normal"),  # 6 * -6
    (FP4, 0x1, FP4, 0x2, False, "finite", F(1, 2), "subnormal"),  # 0.5 * 1
    (FP6_E3M2, 0x1F, FP16, 0x3C00, False, "finite", F(28), "normal"),
    (BF16, 0x0080, BF16, 0xB300, True, "finite", F(1, 2**151), "normal"),  # 2**-126 * -2**-25
]


@pytest.mark.parametrize("fa, a, fb, b, negative, kind, magnitude, cls", MUL_CASES)
def test_mul_exact_hand_checked(fa, a, fb, b, negative, kind, magnitude, cls):
    got = mul_exact(a, b, fa, fb)
    assert isinstance(got, tuple) and len(got) == 4
    assert got == (negative, kind, magnitude, cls)
    assert isinstance(got, Product) and got.cls == cls


def test_mul_exact_fnuz_zero_sign():
    # fnuz has no -0: 0x00 is +0, so +0 * -1 is a "negative" zero product by XOR (sign a XOR sign b).
    assert mul_exact(0x00, 0xC0, E4M3FNUZ, E4M3FNUZ).negative is True


@pytest.mark.parametrize("fa, fb", [(E4M3FN, E4M3FN), (E4M3FN, E5M2), (E5M2, E5M2)])
def test_mul_exact_matches_float64_products(fa, fb):
    """Every pair: an FP8 x FP8 product is exact in float64 (<= 8 significant bits)."""
    xa = np.arange(256, dtype=np.uint8).view(getattr(ml_dtypes, fa.name)).astype(np.float64)
    xb = np.arange(256, dtype=np.uint8).view(getattr(ml_dtypes, fb.name)).astype(np.float64)
    with np.errstate(invalid="ignore"):
        ref = np.multiply.outer(xa, xb)
    for a in range(256):
        for b in range(0, 256, 3):
            got, r = mul_exact(a, b, fa, fb), ref[a, b]
            if np.isnan(r):
                assert got.kind == "nan" and got.negative is False
            elif np.isinf(r):
                assert got.kind == "inf" and got.negative == bool(r < 0)
            else:
                assert got.kind == "finite" and got.magnitude == F(abs(float(r)))
                assert got.negative == bool(np.signbit(xa[a]) != np.signbit(xb[b]))


# ======================================================================= round_exact
MIN_NORMAL32 = F(1, 2**126)


def test_round_exact_float32_tininess_after_rounding_pinned():
    # v = min_normal * (1 - 2**-25) = 2**-126 - 2**-151, between the midpoint 2**-126 - 2**-150 of
    # the largest subnormal (2**-126 - 2**-149) and min normal, and the min normal.
    v = MIN_NORMAL32 * (1 - F(1, 2**25))
    # Delivered (subnormal quantum 2**-149): v / 2**-149 = 2**23 - 1/4 -> rne 2**23 quanta = 2**-126.
    # Unbounded exponent: v lies in [2**-127, 2**-126), quantum 2**(-127-23) = 2**-150:
    # v / 2**-150 = 2**24 - 1/2, a tie between 2**24 - 1 (odd) and 2**24 (even) -> 2**24 quanta =
    # 2**-126, not below min normal: NOT tiny -> no UF, only NX.
    assert round_exact(False, v, FP32, "rne") == (0x00800000, NX)
    assert round_exact(True, v, FP32, "rne") == (0x80800000, NX)
    # rmm: same ties away -> not tiny; rup: rounds up in both -> not tiny.
    assert round_exact(False, v, FP32, "rmm") == (0x00800000, NX)
    assert round_exact(False, v, FP32, "rup") == (0x00800000, NX)
    # rtz/rdn: unbounded rounding 2**24 - 1 quanta < 2**-126 -> tiny; delivered the largest subnormal.
    assert round_exact(False, v, FP32, "rtz") == (0x007FFFFF, UF | NX)
    assert round_exact(False, v, FP32, "rdn") == (0x007FFFFF, UF | NX)
    assert round_exact(True, v, FP32, "rup") == (0x807FFFFF, UF | NX)
    # The midpoint itself, 2**-126 - 2**-150 = (2**24 - 1) * 2**-150, has 24 significant bits: with an
    # unbounded exponent it is exact and below min normal -> tiny; delivered: 2**23 - 1/2 quanta,
    # a tie, 2**23 - 1 is odd -> 2**23 -> min normal. UF | NX although the result is min normal.
    mid = MIN_NORMAL32 - F(1, 2**150)
    assert round_exact(False, mid, FP32, "rne") == (0x00800000, UF | NX)
    assert round_exact(False, mid, FP32, "rmm") == (0x00800000, UF | NX)
    # Just above the midpoint by less: 2**-126 - 2**-152 -> unbounded 2**24 - 1/4 -> 2**24: not tiny.
    assert round_exact(False, MIN_NORMAL32 - F(1, 2**152), FP32, "rne") == (0x00800000, NX)


def test_round_exact_basics():
    assert round_exact(False, 0, FP32) == (0x00000000, 0)
    assert round_exact(True, 0, FP32, "rup") == (0x80000000, 0)
    assert round_exact(False, 1, FP32) == (ONE32, 0)
    assert round_exact(True, F(1, 2**149), FP32) == (0x80000001, 0)  # exact subnormal: no UF
    assert round_exact(False, F(1, 2**150), FP32, "rne") == (0x00000000, UF | NX)  # tie -> even 0
    assert round_exact(False, F(3, 2**151), FP32, "rne") == (0x00000001, UF | NX)
    assert round_exact(True, F(1, 2**151), FP32, "rdn") == (0x80000001, UF | NX)
    assert round_exact(True, F(1, 2**151), FP32, "rup") == (0x80000000, UF | NX)
    # max float32 = (2 - 2**-23) * 2**127; + half an ulp (2**103) ties to even -> overflow
    max32 = (2 - F(1, 2**23)) * F(2) ** 127
    assert round_exact(False, max32, FP32) == (0x7F7FFFFF, 0)
    assert round_exact(False, max32 + F(2) ** 103, FP32) == (0x7F800000, OF | NX)
    assert round_exact(False, max32 + F(2) ** 103, FP32, "rtz") == (0x7F7FFFFF, NX)
    assert round_exact(False, max32 + F(2) ** 103 - 1, FP32) == (0x7F7FFFFF, NX)
    assert round_exact(True, max32 + F(2) ** 103, FP32, saturate=True) == (0xFF7FFFFF, OF | NX)
    assert round_exact(False, F(2) ** 200, FP32, "rto") == (0x7F7FFFFF, OF | NX)


# ========================================================================= fma_exact
# (id, acc_fmt, acc, fa, a, fb, b, rounding, kwargs, code, flags)
FMA_CASES = [
    # ---------------------------------------------------------------- exact: no flags
    ("1+1*1", FP32, ONE32, E4M3FN, 0x38, E4M3FN, 0x38, "rne", {}, 0x40000000, 0),
    ("0+448*448", FP32, 0, E4M3FN, 0x7E, E4M3FN, 0x7E, "rne", {}, 0x48440000, 0),  # 200704 = 1.53125*2**17
    ("1+(-1)*2", FP32, ONE32, E4M3FN, 0xB8, E4M3FN, 0x40, "rtz", {}, 0xBF800000, 0),
    ("exact-sr", FP32, ONE32, E4M3FN, 0x38, E4M3FN, 0x38, "sr", {"sr_bits": 8, "rand": 255}, 0x40000000, 0),
    # ------------------------------------- float32 ties: 1 + 2**-24 (e5m2 2**-12 * 2**-12)
    # 1 + 2**-24 is the midpoint of 1 (even) and 1 + 2**-23 (odd).
    ("tie-rne", FP32, ONE32, E5M2, 0x0C, E5M2, 0x0C, "rne", {}, ONE32, NX),
    ("tie-rtz", FP32, ONE32, E5M2, 0x0C, E5M2, 0x0C, "rtz", {}, ONE32, NX),
    ("tie-rdn", FP32, ONE32, E5M2, 0x0C, E5M2, 0x0C, "rdn", {}, ONE32, NX),
    ("tie-rup", FP32, ONE32, E5M2, 0x0C, E5M2, 0x0C, "rup", {}, 0x3F800001, NX),
    ("tie-rmm", FP32, ONE32, E5M2, 0x0C, E5M2, 0x0C, "rmm", {}, 0x3F800001, NX),
    ("tie-rto", FP32, ONE32, E5M2, 0x0C, E5M2, 0x0C, "rto", {}, 0x3F800001, NX),
    # 1 + 2**-23 + 2**-24 = midpoint of 1 + 2**-23 (odd) and 1 + 2**-22 (even)
    ("tie-odd-rne", FP32, 0x3F800001, E5M2, 0x0C, E5M2, 0x0C, "rne", {}, 0x3F800002, NX),
    ("tie-odd-rmm", FP32, 0x3F800001, E5M2, 0x0C, E5M2, 0x0C, "rmm", {}, 0x3F800002, NX),
    ("tie-odd-rto", FP32, 0x3F800001, E5M2, 0x0C, E5M2, 0x0C, "rto", {}, 0x3F800001, NX),
    ("tie-odd-rtz", FP32, 0x3F800001, E5M2, 0x0C, E5M2, 0x0C, "rtz", {}, 0x3F800001, NX),
    # 1 + 3*2**-25 (e5m2 1.5*2**-12 * 2**-12): 0.75 ulp
    ("3/4ulp-rne", FP32, ONE32, E5M2, 0x0E, E5M2, 0x0C, "rne", {}, 0x3F800001, NX),
    ("3/4ulp-rtz", FP32, ONE32, E5M2, 0x0E, E5M2, 0x0C, "rtz", {}, ONE32, NX),
    ("3/4ulp-rmm", FP32, ONE32, E5M2, 0x0E, E5M2, 0x0C, "rmm", {}, 0x3F800001, NX),
    # -(1 + 2**-24): negative tie
    ("ntie-rne", FP32, 0xBF800000, E5M2, 0x8C, E5M2, 0x0C, "rne", {}, 0xBF800000, NX),
    ("ntie-rdn", FP32, 0xBF800000, E5M2, 0x8C, E5M2, 0x0C, "rdn", {}, 0xBF800001, NX),
    ("ntie-rup", FP32, 0xBF800000, E5M2, 0x8C, E5M2, 0x0C, "rup", {}, 0xBF800000, NX),
    ("ntie-rtz", FP32, 0xBF800000, E5M2, 0x8C, E5M2, 0x0C, "rtz", {}, 0xBF800000, NX),
    ("ntie-rmm", FP32, 0xBF800000, E5M2, 0x8C, E5M2, 0x0C, "rmm", {}, 0xBF800001, NX),
    # 2 - 2**-24: binade [1, 2), quantum 2**-23, 2**24 - 1/2 quanta: tie of 2**24-1 (odd) and 2**24
    ("2-tie-rne", FP32, 0x40000000, E5M2, 0x8C, E5M2, 0x0C, "rne", {}, 0x40000000, NX),
    ("2-tie-rtz", FP32, 0x40000000, E5M2, 0x8C, E5M2, 0x0C, "rtz", {}, 0x3FFFFFFF, NX),
    ("2-tie-rto", FP32, 0x40000000, E5M2, 0x8C, E5M2, 0x0C, "rto", {}, 0x3FFFFFFF, NX),
    # ------------------------------- far-apart exponents: 2**100 (0x71800000) +- 2**-18
    ("far-rne", FP32, 0x71800000, E4M3FN, 0x01, E4M3FN, 0x01, "rne", {}, 0x71800000, NX),
    ("far-rtz", FP32, 0x71800000, E4M3FN, 0x01, E4M3FN, 0x01, "rtz", {}, 0x71800000, NX),
    ("far-rdn", FP32, 0x71800000, E4M3FN, 0x01, E4M3FN, 0x01, "rdn", {}, 0x71800000, NX),
    ("far-rmm", FP32, 0x71800000, E4M3FN, 0x01, E4M3FN, 0x01, "rmm", {}, 0x71800000, NX),
    ("far-rup", FP32, 0x71800000, E4M3FN, 0x01, E4M3FN, 0x01, "rup", {}, 0x71800001, NX),
    ("far-rto", FP32, 0x71800000, E4M3FN, 0x01, E4M3FN, 0x01, "rto", {}, 0x71800001, NX),
    # 2**100 - 2**-18 lies in [2**99, 2**100) (quantum 2**76): below is 2**100 - 2**76 = 0x717FFFFF
    ("far-neg-rne", FP32, 0x71800000, E4M3FN, 0x81, E4M3FN, 0x01, "rne", {}, 0x71800000, NX),
    ("far-neg-rup", FP32, 0x71800000, E4M3FN, 0x81, E4M3FN, 0x01, "rup", {}, 0x71800000, NX),
    ("far-neg-rdn", FP32, 0x71800000, E4M3FN, 0x81, E4M3FN, 0x01, "rdn", {}, 0x717FFFFF, NX),
    ("far-neg-rtz", FP32, 0x71800000, E4M3FN, 0x81, E4M3FN, 0x01, "rtz", {}, 0x717FFFFF, NX),
    ("far-neg-rto", FP32, 0x71800000, E4M3FN, 0x81, E4M3FN, 0x01, "rto", {}, 0x717FFFFF, NX),
    # sr: 2**-18 is 2**-95 ulp: t = floor(2**-95 * 2**32) = 0, never rounds away
    ("far-sr", FP32, 0x71800000, E4M3FN, 0x01, E4M3FN, 0x01, "sr", {"sr_bits": 32, "rand": 2**32 - 1},
     0x71800000, NX),
    # ------------------------- float16 overflow: 65504 (0x7BFF) + 448*448 = 266208 >> 65504
    ("of-rne", FP16, 0x7BFF, E4M3FN, 0x7E, E4M3FN, 0x7E, "rne", {}, 0x7C00, OF | NX),
    ("of-rmm", FP16, 0x7BFF, E4M3FN, 0x7E, E4M3FN, 0x7E, "rmm", {}, 0x7C00, OF | NX),
    ("of-rup", FP16, 0x7BFF, E4M3FN, 0x7E, E4M3FN, 0x7E, "rup", {}, 0x7C00, OF | NX),
    ("of-sr", FP16, 0x7BFF, E4M3FN, 0x7E, E4M3FN, 0x7E, "sr", {}, 0x7C00, OF | NX),
    ("of-rtz", FP16, 0x7BFF, E4M3FN, 0x7E, E4M3FN, 0x7E, "rtz", {}, 0x7BFF, OF | NX),
    ("of-rdn", FP16, 0x7BFF, E4M3FN, 0x7E, E4M3FN, 0x7E, "rdn", {}, 0x7BFF, OF | NX),
    ("of-rto", FP16, 0x7BFF, E4M3FN, 0x7E, E4M3FN, 0x7E, "rto", {}, 0x7BFF, OF | NX),
    ("of-sat", FP16, 0x7BFF, E4M3FN, 0x7E, E4M3FN, 0x7E, "rne", {"saturate": True}, 0x7BFF, OF | NX),
    ("of-sat-rup", FP16, 0x7BFF, E4M3FN, 0x7E, E4M3FN, 0x7E, "rup", {"saturate": True}, 0x7BFF, OF | NX),
    ("of-sat-sr", FP16, 0x7BFF, E4M3FN, 0x7E, E4M3FN, 0x7E, "sr", {"saturate": True}, 0x7BFF, OF | NX),
    # -65504 + (-448)*448
    ("nof-rne", FP16, 0xFBFF, E4M3FN, 0xFE, E4M3FN, 0x7E, "rne", {}, 0xFC00, OF | NX),
    ("nof-rdn", FP16, 0xFBFF, E4M3FN, 0xFE, E4M3FN, 0x7E, "rdn", {}, 0xFC00, OF | NX),
    ("nof-rup", FP16, 0xFBFF, E4M3FN, 0xFE, E4M3FN, 0x7E, "rup", {}, 0xFBFF, OF | NX),
    ("nof-rtz", FP16, 0xFBFF, E4M3FN, 0xFE, E4M3FN, 0x7E, "rtz", {}, 0xFBFF, OF | NX),
    ("nof-sat", FP16, 0xFBFF, E4M3FN, 0xFE, E4M3FN, 0x7E, "rdn", {"saturate": True}, 0xFBFF, OF | NX),
    # 65504 + 16 = 65520: midpoint of 65504 (significand 2047, odd) and 65536 (beyond max)
    ("edge-rne", FP16, 0x7BFF, E4M3FN, 0x48, E4M3FN, 0x48, "rne", {}, 0x7C00, OF | NX),
    ("edge-rmm", FP16, 0x7BFF, E4M3FN, 0x48, E4M3FN, 0x48, "rmm", {}, 0x7C00, OF | NX),
    ("edge-rtz", FP16, 0x7BFF, E4M3FN, 0x48, E4M3FN, 0x48, "rtz", {}, 0x7BFF, NX),  # no overflow
    ("edge-rto", FP16, 0x7BFF, E4M3FN, 0x48, E4M3FN, 0x48, "rto", {}, 0x7BFF, NX),
    ("edge-sat", FP16, 0x7BFF, E4M3FN, 0x48, E4M3FN, 0x48, "rne", {"saturate": True}, 0x7BFF, OF | NX),
    # 65504 + 8 = 65512 < 65520: rne stays, rup overflows
    ("below-edge-rne", FP16, 0x7BFF, E4M3FN, 0x40, E4M3FN, 0x48, "rne", {}, 0x7BFF, NX),
    ("below-edge-rup", FP16, 0x7BFF, E4M3FN, 0x40, E4M3FN, 0x48, "rup", {}, 0x7C00, OF | NX),
    # custom e5m7 accumulator: max 65280 (0xF7F), Inf 0xF80
    ("e5m7-of", E5M7, 0xF7F, E4M3FN, 0x7E, E4M3FN, 0x7E, "rne", {}, 0xF80, OF | NX),
    ("e5m7-of-rtz", E5M7, 0xF7F, E4M3FN, 0x7E, E4M3FN, 0x7E, "rtz", {}, 0xF7F, OF | NX),
    ("e5m7-exact", E5M7, 0x780, E4M3FN, 0x38, E4M3FN, 0x38, "rne", {}, 0x800, 0),  # 1 + 1 = 2
    # ------------------------- float16 underflow (min subnormal 2**-24 = 0x0001, min normal 0x0400)
    # 2**-24 + 2**-26 (e5m2 2**-16 * 2**-10) = 1.25 * 2**-24
    ("uf-rne", FP16, 0x0001, E5M2, 0x01, E5M2, 0x14, "rne", {}, 0x0001, UF | NX),
    ("uf-rtz", FP16, 0x0001, E5M2, 0x01, E5M2, 0x14, "rtz", {}, 0x0001, UF | NX),
    ("uf-rup", FP16, 0x0001, E5M2, 0x01, E5M2, 0x14, "rup", {}, 0x0002, UF | NX),
    # 2**-24 + 2**-24 (2**-16 * 2**-8): exact subnormal, no UF
    ("sub-exact", FP16, 0x0001, E5M2, 0x01, E5M2, 0x1C, "rne", {}, 0x0002, 0),
    # +0 + 2**-26: a quarter of the smallest subnormal
    ("to-zero-rne", FP16, 0x0000, E5M2, 0x01, E5M2, 0x14, "rne", {}, 0x0000, UF | NX),
    ("to-zero-rdn", FP16, 0x0000, E5M2, 0x01, E5M2, 0x14, "rdn", {}, 0x0000, UF | NX),
    ("to-zero-rup", FP16, 0x0000, E5M2, 0x01, E5M2, 0x14, "rup", {}, 0x0001, UF | NX),
    # +0 + (-2**-26): nonzero sum rounding to zero keeps the sum's sign
    ("to-nzero-rne", FP16, 0x0000, E5M2, 0x81, E5M2, 0x14, "rne", {}, 0x8000, UF | NX),
    ("to-nzero-rup", FP16, 0x0000, E5M2, 0x81, E5M2, 0x14, "rup", {}, 0x8000, UF | NX),
    ("to-nzero-rtz", FP16, 0x0000, E5M2, 0x81, E5M2, 0x14, "rtz", {}, 0x8000, UF | NX),
    ("to-nzero-rdn", FP16, 0x0000, E5M2, 0x81, E5M2, 0x14, "rdn", {}, 0x8001, UF | NX),
    # tininess after rounding, float16: 2**-14 - 2**-26 = 2**-14 (1 - 2**-12).
    # delivered: 2**10 - 1/4 subnormal quanta (2**-24); unbounded: 2**11 - 1/2 quanta of 2**-25,
    # a tie between 2047 (odd) and 2048 -> rne/rmm give 2**-14: not tiny.
    ("tiny-rne", FP16, 0x0400, E5M2, 0x81, E5M2, 0x14, "rne", {}, 0x0400, NX),
    ("tiny-rmm", FP16, 0x0400, E5M2, 0x81, E5M2, 0x14, "rmm", {}, 0x0400, NX),
    ("tiny-rup", FP16, 0x0400, E5M2, 0x81, E5M2, 0x14, "rup", {}, 0x0400, NX),
    ("tiny-rtz", FP16, 0x0400, E5M2, 0x81, E5M2, 0x14, "rtz", {}, 0x03FF, UF | NX),
    ("tiny-rdn", FP16, 0x0400, E5M2, 0x81, E5M2, 0x14, "rdn", {}, 0x03FF, UF | NX),
    ("tiny-rto", FP16, 0x0400, E5M2, 0x81, E5M2, 0x14, "rto", {}, 0x03FF, UF | NX),
    # 2**-14 - 2**-25 = 2047 * 2**-25: exact with 11 bits and an unbounded exponent -> tiny;
    # delivered: 2**10 - 1/2 quanta, tie, 1023 odd -> 1024 = min normal. UF | NX.
    ("mid-rne", FP16, 0x0400, E5M2, 0x01, E5M2, 0x98, "rne", {}, 0x0400, UF | NX),
    ("mid-rmm", FP16, 0x0400, E5M2, 0x01, E5M2, 0x98, "rmm", {}, 0x0400, UF | NX),
    ("mid-rup", FP16, 0x0400, E5M2, 0x01, E5M2, 0x98, "rup", {}, 0x0400, UF | NX),
    ("mid-rtz", FP16, 0x0400, E5M2, 0x01, E5M2, 0x98, "rtz", {}, 0x03FF, UF | NX),
    # 2**-14 - 2**-27: unbounded 2**11 - 1/4 -> 2048 quanta: not tiny
    ("above-mid-rne", FP16, 0x0400, E5M2, 0x01, E5M2, 0x90, "rne", {}, 0x0400, NX),
    ("above-mid-rtz", FP16, 0x0400, E5M2, 0x01, E5M2, 0x90, "rtz", {}, 0x03FF, UF | NX),
    # float32 pinned case: 2**-126 + 2**-126 * -2**-25 (bfloat16 operands) = min_normal (1 - 2**-25)
    ("f32-tiny", FP32, 0x00800000, BF16, 0x0080, BF16, 0xB300, "rne", {}, 0x00800000, NX),
    ("f32-tiny-rtz", FP32, 0x00800000, BF16, 0x0080, BF16, 0xB300, "rtz", {}, 0x007FFFFF, UF | NX),
    ("f32-mid", FP32, 0x00800000, BF16, 0x0080, BF16, 0xB380, "rne", {}, 0x00800000, UF | NX),
    # ----------------------------------------- sr underflow: judged on the delivered result
    # +0 + 2**-26: q = 1/4 subnormal quantum, R = 2: t = 1; away iff r = 3
    ("sr-uf-away", FP16, 0x0000, E5M2, 0x01, E5M2, 0x14, "sr", {"sr_bits": 2, "rand": 3}, 0x0001, UF | NX),
    ("sr-uf-zero", FP16, 0x0000, E5M2, 0x01, E5M2, 0x14, "sr", {"sr_bits": 2, "rand": 2}, 0x0000, UF | NX),
    # 2**-14 - 2**-27: frac 7/8, R = 3: t = 7; r >= 1 reaches min normal (no UF), r = 0 does not
    ("sr-up-normal", FP16, 0x0400, E5M2, 0x01, E5M2, 0x90, "sr", {"sr_bits": 3, "rand": 1}, 0x0400, NX),
    ("sr-down-sub", FP16, 0x0400, E5M2, 0x01, E5M2, 0x90, "sr", {"sr_bits": 3, "rand": 0}, 0x03FF, UF | NX),
    # 2**-14 - 2**-25 (tiny for rne): sr delivering min normal raises no UF
    ("sr-mid-up", FP16, 0x0400, E5M2, 0x01, E5M2, 0x98, "sr", {"sr_bits": 1, "rand": 1}, 0x0400, NX),
    ("sr-mid-down", FP16, 0x0400, E5M2, 0x01, E5M2, 0x98, "sr", {"sr_bits": 1, "rand": 0}, 0x03FF, UF | NX),
    # ------------------------------------------------------- cancellation to zero
    ("cancel-rne", FP32, ONE32, E4M3FN, 0xB8, E4M3FN, 0x38, "rne", {}, 0x00000000, 0),
    ("cancel-rtz", FP32, ONE32, E4M3FN, 0xB8, E4M3FN, 0x38, "rtz", {}, 0x00000000, 0),
    ("cancel-rup", FP32, ONE32, E4M3FN, 0xB8, E4M3FN, 0x38, "rup", {}, 0x00000000, 0),
    ("cancel-rmm", FP32, ONE32, E4M3FN, 0xB8, E4M3FN, 0x38, "rmm", {}, 0x00000000, 0),
    ("cancel-rto", FP32, ONE32, E4M3FN, 0xB8, E4M3FN, 0x38, "rto", {}, 0x00000000, 0),
    ("cancel-sr", FP32, ONE32, E4M3FN, 0xB8, E4M3FN, 0x38, "sr", {}, 0x00000000, 0),
    ("cancel-rdn", FP32, ONE32, E4M3FN, 0xB8, E4M3FN, 0x38, "rdn", {}, 0x80000000, 0),
    ("ncancel-rne", FP32, 0xBF800000, E4M3FN, 0x38, E4M3FN, 0x38, "rne", {}, 0x00000000, 0),
    ("ncancel-rdn", FP32, 0xBF800000, E4M3FN, 0x38, E4M3FN, 0x38, "rdn", {}, 0x80000000, 0),
    # -2**-24 + 2**-24 in float16 subnormals
    ("sub-cancel-rne", FP16, 0x8001, E5M2, 0x01, E5M2, 0x1C, "rne", {}, 0x0000, 0),
    ("sub-cancel-rdn", FP16, 0x8001, E5M2, 0x01, E5M2, 0x1C, "rdn", {}, 0x8000, 0),
    # x + (+-0) = x exactly
    ("x+0", FP32, 0x3F800001, E4M3FN, 0x80, E4M3FN, 0x7E, "rne", {}, 0x3F800001, 0),
    ("0+x", FP32, 0x80000000, E4M3FN, 0x81, E4M3FN, 0x01, "rdn", {}, 0xB6800000, 0),  # -2**-18
    # ------------------------------------------------------------ Inf and NaN
    ("inf*0", FP32, ONE32, E5M2, 0x7C, E5M2, 0x00, "rne", {}, QNAN32, NV),
    ("-0*-inf", FP32, ONE32, E5M2, 0x80, E5M2, 0xFC, "rne", {}, QNAN32, NV),
    ("inf*0+qnan", FP32, QNAN32, E5M2, 0x7C, E5M2, 0x00, "rne", {}, QNAN32, NV),
    ("inf*0+snan", FP32, 0x7F800001, E5M2, 0x7C, E5M2, 0x00, "rne", {}, QNAN32, NV),
    ("inf*0-inf", FP32, 0xFF800000, E5M2, 0x7C, E5M2, 0x00, "rne", {}, QNAN32, NV),
    ("inf*0-sat", FP32, ONE32, E5M2, 0x7C, E5M2, 0x80, "rne", {"saturate": True}, QNAN32, NV),
    ("inf-inf", FP32, 0xFF800000, E5M2, 0x7C, E5M2, 0x3C, "rne", {}, QNAN32, NV),
    ("-inf+inf", FP32, 0x7F800000, E5M2, 0xFC, E5M2, 0x3C, "rne", {}, QNAN32, NV),
    ("-inf*-1-inf", FP32, 0xFF800000, E5M2, 0xFC, E5M2, 0xBC, "rdn", {}, QNAN32, NV),
    ("inf+inf", FP32, 0x7F800000, E5M2, 0x7C, E5M2, 0x3C, "rne", {}, 0x7F800000, 0),
    ("-inf-inf", FP32, 0xFF800000, E5M2, 0x7C, E5M2, 0xBC, "rne", {}, 0xFF800000, 0),
    ("inf*2+1", FP32, ONE32, E5M2, 0x7C, E5M2, 0x40, "rne", {}, 0x7F800000, 0),
    ("inf*-2+1", FP32, ONE32, E5M2, 0x7C, E5M2, 0xC0, "rtz", {}, 0xFF800000, 0),
    ("inf*sub", FP16, 0x0000, E5M2, 0x7C, E5M2, 0x01, "rne", {}, 0x7C00, 0),
    ("inf*2-sat", FP32, ONE32, E5M2, 0x7C, E5M2, 0x40, "rne", {"saturate": True}, 0x7F800000, 0),
    ("inf*2-rtz", FP16, 0xFBFF, E5M2, 0x7C, E5M2, 0x40, "rtz", {}, 0x7C00, 0),
    ("-inf+1", FP32, 0xFF800000, E5M2, 0x3C, E5M2, 0x3C, "rne", {}, 0xFF800000, 0),
    ("-inf+1-sat", FP32, 0xFF800000, E5M2, 0x3C, E5M2, 0x3C, "rne", {"saturate": True}, 0xFF800000, 0),
    ("inf+0", FP16, 0x7C00, E4M3FN, 0x80, E4M3FN, 0x38, "rne", {}, 0x7C00, 0),
    # signalling NaN accumulators: NV; quiet NaN accumulators: no flag; always the canonical NaN
    ("snan32", FP32, 0x7F800001, E4M3FN, 0x38, E4M3FN, 0x38, "rne", {}, QNAN32, NV),
    ("snan32-neg", FP32, 0xFFA00000, E4M3FN, 0x38, E4M3FN, 0x38, "rne", {}, QNAN32, NV),
    ("snan32-max", FP32, 0x7FBFFFFF, E4M3FN, 0x38, E4M3FN, 0x38, "rne", {}, QNAN32, NV),
    ("snan32+nan-op", FP32, 0x7F800001, E4M3FN, 0x7F, E4M3FN, 0x38, "rne", {}, QNAN32, NV),
    ("qnan32", FP32, 0x7FC00000, E4M3FN, 0x38, E4M3FN, 0x38, "rne", {}, QNAN32, 0),
    ("qnan32-neg-payload", FP32, 0xFFC00001, E4M3FN, 0x38, E4M3FN, 0x38, "rne", {}, QNAN32, 0),
    ("qnan32-all-ones", FP32, 0x7FFFFFFF, E4M3FN, 0x38, E4M3FN, 0x38, "rne", {}, QNAN32, 0),
    ("qnan32+inf", FP32, 0xFFC00000, E5M2, 0x7C, E5M2, 0x3C, "rne", {}, QNAN32, 0),
    ("snan16", FP16, 0x7C01, E4M3FN, 0x38, E4M3FN, 0x38, "rne", {}, 0x7E00, NV),
    ("qnan16", FP16, 0xFE00, E4M3FN, 0x38, E4M3FN, 0x38, "rne", {}, 0x7E00, 0),
    ("snanbf16", BF16, 0x7F81, E4M3FN, 0x38, E4M3FN, 0x38, "rne", {}, 0x7FC0, NV),
    ("qnanbf16", BF16, 0xFFC0, E4M3FN, 0x38, E4M3FN, 0x38, "rne", {}, 0x7FC0, 0),
    ("qnan-e5m7", E5M7, 0xFC1, E4M3FN, 0x38, E4M3FN, 0x38, "rne", {}, 0xFC0, 0),
    ("snan-e5m7", E5M7, 0xF81, E4M3FN, 0x38, E4M3FN, 0x38, "rne", {}, 0xFC0, NV),
    # signalling NaN operands (e5m2 mantissa 01, float16/bfloat16 quiet bit clear): NV, canonical NaN
    ("snan-a", FP32, ONE32, E5M2, 0x7D, E5M2, 0x3C, "rne", {}, QNAN32, NV),
    ("-snan-b", FP32, ONE32, E5M2, 0x3C, E5M2, 0xFD, "rdn", {}, QNAN32, NV),
    ("snan*inf", FP32, ONE32, E5M2, 0x7D, E5M2, 0x7C, "rne", {}, QNAN32, NV),
    ("snan*0-sat", FP16, 0x3C00, E5M2, 0x00, E5M2, 0x7D, "rtz", {"saturate": True}, 0x7E00, NV),
    ("snan+qnan-acc", FP32, QNAN32, E5M2, 0x7D, E5M2, 0x3C, "rne", {}, QNAN32, NV),
    ("snan16-op", FP32, ONE32, FP16, 0x7C01, FP16, 0x3C00, "rne", {}, QNAN32, NV),
    ("snan16-op-max", FP32, ONE32, FP16, 0x3C00, FP16, 0xFDFF, "rne", {}, QNAN32, NV),
    ("qnan16-op", FP32, ONE32, FP16, 0x7E00, FP16, 0x3C00, "rne", {}, QNAN32, 0),
    ("snanbf16-op", FP16, 0x3C00, BF16, 0x3F80, BF16, 0x7F81, "rne", {}, 0x7E00, NV),
    ("qnanbf16-op", FP16, 0x3C00, BF16, 0x3F80, BF16, 0xFFC0, "rne", {}, 0x7E00, 0),
    # NaN FP8 operands: canonical NaN, no flag
    ("nan-op", FP32, ONE32, E4M3FN, 0x7F, E4M3FN, 0x38, "rne", {}, QNAN32, 0),
    ("-nan-op", FP32, ONE32, E4M3FN, 0x38, E4M3FN, 0xFF, "rdn", {}, QNAN32, 0),
    ("nan*0", FP32, ONE32, E4M3FN, 0xFF, E4M3FN, 0x00, "rne", {}, QNAN32, 0),
    ("nan*inf", FP32, ONE32, E5M2, 0x7E, E5M2, 0x7C, "rne", {}, QNAN32, 0),
    ("nan*1-inf", FP32, 0xFF800000, E5M2, 0x7E, E5M2, 0x3C, "rne", {}, QNAN32, 0),
    ("fnuz-nan", FP16, 0x3C00, E4M3FNUZ, 0x80, E4M3FNUZ, 0x40, "rne", {}, 0x7E00, 0),
    ("nan-op-sat", BF16, 0x3F80, E5M2, 0xFF, E5M2, 0x3C, "rne", {"saturate": True}, 0x7FC0, 0),
]


@pytest.mark.parametrize(
    "acc_fmt, acc, fa, a, fb, b, rounding, kw, code, flags",
    [pytest.param(*c[1:], id=c[0]) for c in FMA_CASES],
)
def test_fma_exact_hand_checked(acc_fmt, acc, fa, a, fb, b, rounding, kw, code, flags):
    got = fma(acc, a, b, fa, fb, acc_fmt, rounding, **kw)
    assert got == (code, flags), (hex(got[0]), got[1])


ZERO_CODES = {False: 0x00, True: 0x80}  # e4m3fn +0 / -0


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("acc_neg", [False, True])
@pytest.mark.parametrize("prod_neg", [False, True])
@pytest.mark.parametrize("acc_fmt", [FP32, FP16, BF16])
def test_fma_signs_of_zero(mode, acc_neg, prod_neg, acc_fmt):
    """(±0) + (±0): same signs keep the sign; opposite signs give +0, except rdn: -0."""
    acc = acc_fmt.sign_mask if acc_neg else 0
    expected_neg = acc_neg if acc_neg == prod_neg else (mode == "rdn")
    expected = acc_fmt.sign_mask if expected_neg else 0
    # the product's sign is sign_a XOR sign_b: -0 * 1 and +0 * -1 both give -0
    for a, b in ((ZERO_CODES[prod_neg], 0x38), (ZERO_CODES[not prod_neg], 0xB8)):
        assert fma(acc, a, b, E4M3FN, E4M3FN, acc_fmt, mode) == (expected, 0)


def test_fma_zero_sign_table_explicit():
    # (acc, product) -> rne, rdn (float32)
    table = {
        (0x00000000, 0x00): (0x00000000, 0x00000000),  # +0 + +0
        (0x00000000, 0x80): (0x00000000, 0x80000000),  # +0 + -0
        (0x80000000, 0x00): (0x00000000, 0x80000000),  # -0 + +0
        (0x80000000, 0x80): (0x80000000, 0x80000000),  # -0 + -0
    }
    for (acc, a), (rne, rdn) in table.items():
        assert fma_exact(acc, a, 0x38, E4M3FN, E4M3FN, FP32, "rne") == (rne, 0)
        assert fma_exact(acc, a, 0x38, E4M3FN, E4M3FN, FP32, "rdn") == (rdn, 0)


# ---------------------------------------------------------------- double rounding
def test_fma_single_rounding_beats_float32_intermediate_float16_acc():
    # float16 acc 1 + 2**-10 (0x3C01); a = float16 127/128 (0x3BF0), b = float16 -2**-11 (1 + 2**-7)
    # (0x9008): a*b = -(1 - 2**-14) 2**-11 = -(2**-11 - 2**-25). Exact sum S = 1 + 2**-11 + 2**-25:
    # just above the float16 midpoint 1 + 2**-11 -> one rne rounding gives 1 + 2**-10 (0x3C01).
    # Through float32 (ulp 2**-23): 2**-25 is a quarter ulp -> 1 + 2**-11, exactly the midpoint,
    # which then ties to even -> 1.0 (0x3C00): double rounding.
    assert mul_exact(0x3BF0, 0x9008, FP16, FP16) == (True, "finite", F(1, 2**11) - F(1, 2**25), "normal")
    assert fma_exact(0x3C01, 0x3BF0, 0x9008, FP16, FP16, FP16, "rne") == (0x3C01, NX)
    s64 = np.float64(np.float16(1 + 2**-10)) + np.float64(np.float16(127 / 128)) * np.float64(
        np.float16(-(2**-11) * (1 + 2**-7))
    )
    assert F(float(s64)) == 1 + F(1, 2**11) + F(1, 2**25)  # exact in float64
    double_rounded = np.float64(s64).astype(np.float32).astype(np.float16)
    assert int(np.array([double_rounded]).view(np.uint16)[0]) == 0x3C00  # the wrong answer
    assert int(np.array([np.float16(s64)]).view(np.uint16)[0]) == 0x3C01  # numpy direct: single


def test_fma_single_rounding_beats_float32_intermediate_bfloat16_acc():
    # bfloat16 acc 1 + 2**-7 (0x3F81); a = float16 255/256 (0x3BF8), b = float16 -2**-8 (1 + 2**-8)
    # (0x9C04): a*b = -(1 - 2**-16) 2**-8 = -(2**-8 - 2**-24). S = 1 + 2**-8 + 2**-24, just above the
    # bfloat16 midpoint 1 + 2**-8 -> 1 + 2**-7 (0x3F81). Through float32: 2**-24 is half an ulp, a
    # tie -> even 1 + 2**-8 = the bfloat16 midpoint -> ties to even 1.0 (0x3F80).
    assert fma_exact(0x3F81, 0x3BF8, 0x9C04, FP16, FP16, BF16, "rne") == (0x3F81, NX)
    s = 1 + F(1, 2**8) + F(1, 2**24)
    via32 = encode_exact(s, FP32)
    assert via32 == 0x3F808000  # 1 + 2**-8
    assert encode_exact(decode_exact(via32, FP32), BF16) == 0x3F80  # double rounded: wrong


# ------------------------------------------------------------------ sr, every r
@pytest.mark.parametrize(
    "a, b, frac16",
    [
        (0x09, 0x0C, 5),  # 1.25 * 2**-13 * 2**-12 = 5 * 2**-27 = 5/16 ulp
        (0x0E, 0x0C, 12),  # 3 * 2**-25 = 12/16 ulp
        (0x0C, 0x0C, 8),  # 2**-24 = 8/16 ulp
        (0x0D, 0x0C, 10),  # 1.25 * 2**-24 = 10/16 ulp
    ],
)
@pytest.mark.parametrize("bits", [1, 2, 3, 4, 5, 6])
def test_fma_sr_round_away_count_equals_t(a, b, frac16, bits):
    """acc 1.0 (float32) + p: the discarded fraction is frac16/16 ulp; t = floor(frac * 2**R) and
    exactly t of the 2**R values of r round away (t + r >= 2**R)."""
    t = (frac16 << bits) // 16
    results = [fma(ONE32, a, b, E5M2, E5M2, FP32, "sr", sr_bits=bits, rand=r) for r in range(2**bits)]
    assert all(flags == NX for _, flags in results)
    away = [r for r, (code, _) in enumerate(results) if code == 0x3F800001]
    assert all(code in (ONE32, 0x3F800001) for code, _ in results)
    assert away == list(range(2**bits - t, 2**bits))


def test_fma_sr_negative_and_binade_carry():
    # -(1 + 5 * 2**-27): the magnitude rounds away (toward -inf) exactly t times
    results = [fma(0xBF800000, 0x89, 0x0C, E5M2, E5M2, FP32, "sr", sr_bits=4, rand=r)[0] for r in range(16)]
    assert results == [0xBF800000] * 11 + [0xBF800001] * 5
    # 2 - 2**-24 = 2**24 - 1/2 quanta of [1, 2): R = 1, t = 1: r = 1 carries into the next binade
    assert fma(0x40000000, 0x8C, 0x0C, E5M2, E5M2, FP32, "sr", sr_bits=1, rand=1) == (0x40000000, NX)
    assert fma(0x40000000, 0x8C, 0x0C, E5M2, E5M2, FP32, "sr", sr_bits=1, rand=0) == (0x3FFFFFFF, NX)


# ========================================================================= dot_exact
def test_dot_single_rounding_vs_sequential_bfloat16():
    # bfloat16 acc 1.0, four products 2**-9 (e4m3fn 2**-9 * 1): each is a quarter ulp (2**-7) and
    # vanishes in sequential rne (1 + 2**-9 -> 1), but exactly they add to 2**-7: 1 + 2**-7 = 0x3F81.
    a, b = [0x01] * 4, [0x38] * 4
    assert dot_exact(0x3F80, a, b, E4M3FN, E4M3FN, BF16, "rne") == (0x3F81, 0)
    codes, flags = mac_exact(a, b, E4M3FN, E4M3FN, BF16, 0x3F80, "rne")
    assert codes == [0x3F80] * 4 and flags == [NX] * 4


def test_dot_single_rounding_vs_sequential_float32():
    # 1 + 2**-24 + 2**-24 = 1 + 2**-23 exactly; sequentially each step is a tie back to 1.0
    a = b = [0x0C, 0x0C]
    assert dot_exact(ONE32, a, b, E5M2, E5M2, FP32) == (0x3F800001, 0)
    assert mac_exact(a, b, E5M2, E5M2, FP32, ONE32) == ([ONE32, ONE32], [NX, NX])
    # 1 + 2**-30 - 1 = 2**-30 (0x30800000) exactly; sequentially 1 + 2**-30 -> 1, then 1 - 1 = +0
    a, b = [0x02, 0xBC], [0x02, 0x3C]  # e5m2 2**-15 * 2**-15, -1 * 1
    assert dot_exact(ONE32, a, b, E5M2, E5M2, FP32) == (0x30800000, 0)
    assert mac_exact(a, b, E5M2, E5M2, FP32, ONE32) == ([ONE32, 0x00000000], [NX, NX])


def test_dot_overflow_cancelled_inside_the_exact_sum():
    # float16: 448*448 - 448*448 + 1*1 = 1 exactly; sequentially the first step overflows to Inf
    # and the Inf accumulator then absorbs every finite product.
    a, b = [0x7E, 0xFE, 0x38], [0x7E, 0x7E, 0x38]
    assert dot_exact(0x0000, a, b, E4M3FN, E4M3FN, FP16) == (0x3C00, 0)
    assert mac_exact(a, b, E4M3FN, E4M3FN, FP16) == ([0x7C00] * 3, [OF | NX] * 3)
    assert dot_exact(0x0000, a[:1], b[:1], E4M3FN, E4M3FN, FP16) == (0x7C00, OF | NX)
    assert dot_exact(0x0000, a[:1], b[:1], E4M3FN, E4M3FN, FP16, saturate=True) == (0x7BFF, OF | NX)


def test_dot_signs():
    # sum -> sign, and rdn/rup of an inexact negative sum: -1 - 2**-24 - 2**-24 - 2**-24 (float32)
    a, b = [0x8C, 0x8C, 0x8C], [0x0C, 0x0C, 0x0C]
    # exact -(1 + 3 * 2**-24): 1.5 ulp -> rne: -(1 + 2**-22) (tie at 1.5 -> even 2), rdn same, rup -(1+2**-23)
    assert dot_exact(0xBF800000, a, b, E5M2, E5M2, FP32, "rne") == (0xBF800002, NX)
    assert dot_exact(0xBF800000, a, b, E5M2, E5M2, FP32, "rdn") == (0xBF800002, NX)
    assert dot_exact(0xBF800000, a, b, E5M2, E5M2, FP32, "rup") == (0xBF800001, NX)
    # +1 acc, products -1, -1: -1
    assert dot_exact(ONE32, [0xB8, 0xB8], [0x38, 0x38], E4M3FN, E4M3FN, FP32) == (0xBF800000, 0)


ZERO_DOT_CASES = [
    # (acc, product zero signs via a codes, rne result, rdn result)  float32, b = 1.0
    (0x80000000, [0x80, 0x80], 0x80000000, 0x80000000),  # all -0
    (0x80000000, [0x80, 0x00], 0x00000000, 0x80000000),  # one +0
    (0x00000000, [0x80, 0x80], 0x00000000, 0x80000000),  # acc +0
    (0x00000000, [0x00, 0x00], 0x00000000, 0x00000000),  # all +0
    (0x80000000, [], 0x80000000, 0x80000000),  # empty: the acc itself
    (0x00000000, [], 0x00000000, 0x00000000),
]


@pytest.mark.parametrize("acc, a, rne, rdn", ZERO_DOT_CASES)
def test_dot_zero_signs(acc, a, rne, rdn):
    b = [0x38] * len(a)
    for mode in ("rne", "rtz", "rup", "rmm", "rto"):
        assert dot_exact(acc, a, b, E4M3FN, E4M3FN, FP32, mode) == (rne, 0)
    assert dot_exact(acc, a, b, E4M3FN, E4M3FN, FP32, "sr", sr_bits=3, rand=7) == (rne, 0)
    assert dot_exact(acc, a, b, E4M3FN, E4M3FN, FP32, "rdn") == (rdn, 0)


def test_dot_exact_cancellation_of_nonzero_terms():
    # -0 acc, products +1 and -1: an exact cancellation -> +0 (rdn -0), even though the acc is -0
    for acc in (0x00000000, 0x80000000):
        assert dot_exact(acc, [0x38, 0xB8], [0x38, 0x38], E4M3FN, E4M3FN, FP32, "rne") == (0x00000000, 0)
        assert dot_exact(acc, [0x38, 0xB8], [0x38, 0x38], E4M3FN, E4M3FN, FP32, "rdn") == (0x80000000, 0)
    # 448*448 + (-448)*448 + (+0)
    assert dot_exact(0, [0x7E, 0xFE, 0x00], [0x7E, 0x7E, 0x38], E4M3FN, E4M3FN, FP16, "rup") == (0x0000, 0)


def test_dot_empty():
    assert dot_exact(0x3F800001, [], [], E4M3FN, E4M3FN, FP32) == (0x3F800001, 0)
    assert dot_exact(0xFF800000, [], [], E4M3FN, E4M3FN, FP32) == (0xFF800000, 0)
    assert dot_exact(0x7F800001, [], [], E4M3FN, E4M3FN, FP32) == (QNAN32, NV)
    assert dot_exact(0xFFC00000, [], [], E4M3FN, E4M3FN, FP32) == (QNAN32, 0)
    assert dot_exact(0x0001, [], [], E4M3FN, E4M3FN, FP16, "rdn") == (0x0001, 0)  # exact: no UF


DOT_SPECIAL_CASES = [
    # (acc, a codes, b codes (e5m2), code, flags); float32 accumulator
    ("+inf,-inf", ONE32, [0x7C, 0x7C], [0x3C, 0xBC], QNAN32, NV),
    ("+inf,+inf", ONE32, [0x7C, 0xFC], [0x3C, 0xBC], 0x7F800000, 0),
    ("-inf,-inf,-inf-acc", 0xFF800000, [0xFC, 0x7C], [0x3C, 0xBC], 0xFF800000, 0),
    ("+inf,-inf-acc", 0xFF800000, [0x3C, 0x7C], [0x3C, 0x3C], QNAN32, NV),
    ("+inf,finite", ONE32, [0x7B, 0x7C], [0x7B, 0x3C], 0x7F800000, 0),
    ("inf*0", ONE32, [0x3C, 0x7C], [0x3C, 0x00], QNAN32, NV),
    ("inf*0,+inf", ONE32, [0x7C, 0x7C], [0x3C, 0x00], QNAN32, NV),
    ("inf*0+qnan", QNAN32, [0x3C, 0x00], [0x3C, 0xFC], QNAN32, NV),
    ("nan,+inf", ONE32, [0x7E, 0x7C], [0x3C, 0x3C], QNAN32, 0),
    ("nan,nan", 0xFF800000, [0x7E, 0xFF], [0x3C, 0x3C], QNAN32, 0),
    ("snan-a", ONE32, [0x3C, 0x7D], [0x3C, 0x3C], QNAN32, NV),
    ("snan-b", ONE32, [0x3C, 0x3C], [0x3C, 0xFD], QNAN32, NV),
    ("snan*0", ONE32, [0x7D], [0x00], QNAN32, NV),
    ("qnan-acc,+inf", 0x7FC00001, [0x7C], [0x3C], QNAN32, 0),
    ("snan-acc", 0x7F800001, [0x3C, 0x3C], [0x3C, 0x3C], QNAN32, NV),
    # decision: opposite infinities raise NV even when another addend is NaN
    ("nan,+inf,-inf", ONE32, [0x7E, 0x7C, 0xFC], [0x3C, 0x3C, 0x3C], QNAN32, NV),
    ("qnan-acc,+inf,-inf", QNAN32, [0x7C, 0xFC], [0x3C, 0x3C], QNAN32, NV),
]


@pytest.mark.parametrize(
    "acc, a, b, code, flags", [pytest.param(*c[1:], id=c[0]) for c in DOT_SPECIAL_CASES]
)
def test_dot_specials(acc, a, b, code, flags):
    assert dot_exact(acc, a, b, E5M2, E5M2, FP32) == (code, flags)
    assert dot_exact(acc, a, b, E5M2, E5M2, FP32, saturate=True) == (code, flags)


def test_dot_of_one_pair_is_fma():
    rng = np.random.default_rng(7)
    for _ in range(2000):
        acc, a, b = int(rng.integers(0, 2**16)), int(rng.integers(0, 256)), int(rng.integers(0, 256))
        mode = MODES[int(rng.integers(0, len(MODES)))]
        kw = {"sr_bits": 5, "rand": int(rng.integers(0, 32))} if mode == "sr" else {}
        assert dot_exact(acc, [a], [b], E4M3FN, E5M2, BF16, mode, **kw) == fma_exact(
            acc, a, b, E4M3FN, E5M2, BF16, mode, **kw
        )


# ========================================================================= mac_exact
def test_mac_sticky_flags():
    # float16 acc from +0: 1*1 (exact) -> 1; + 2**-12 (e5m2 2**-6 * 2**-6, a quarter ulp) -> 1, NX;
    # + 1*1 -> 2 exact; + 448*448 overflow -> Inf, OF|NX; + 1 -> Inf, no new flag.
    a = [0x3C, 0x24, 0x3C, 0x5F, 0x3C]  # e5m2: 1, 2**-6, 1, 448 (1.75 * 2**8), 1
    b = [0x3C, 0x24, 0x3C, 0x5F, 0x3C]
    codes, flags = mac_exact(a, b, E5M2, E5M2, FP16)
    assert codes == [0x3C00, 0x3C00, 0x4000, 0x7C00, 0x7C00]
    assert flags == [0, NX, NX, OF | NX, OF | NX]
    # sticky across a later NV
    codes, flags = mac_exact([0x24, 0x7C, 0x3C], [0x24, 0x00, 0x3C], E5M2, E5M2, FP16, 0x3C00)
    assert codes == [0x3C00, 0x7E00, 0x7E00]
    assert flags == [NX, NX | NV, NX | NV]


def test_mac_acc_init_and_empty():
    assert mac_exact([], [], E4M3FN, E4M3FN, FP32) == ([], [])
    assert mac_exact([0x38], [0x38], E4M3FN, E4M3FN, FP32, acc_init=ONE32) == ([0x40000000], [0])
    assert mac_exact([0x80], [0x38], E4M3FN, E4M3FN, FP32, 0x80000000, "rne") == ([0x80000000], [0])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("acc_fmt", [FP16, BF16, FP32])
def test_mac_equals_loop_of_fma(mode, acc_fmt):
    rng = np.random.default_rng([MODES.index(mode), acc_fmt.bits])
    n = 60
    a = [int(x) for x in rng.integers(0, 256, n)]
    b = [int(x) for x in rng.integers(0, 256, n)]
    bits = 6
    rands = [int(x) for x in rng.integers(0, 2**bits, n)] if mode == "sr" else None
    codes, flags = mac_exact(a, b, E4M3FN, E5M2, acc_fmt, 0, mode, sr_bits=bits, rands=rands)
    acc, sticky = 0, 0
    for k in range(n):
        kw = {"sr_bits": bits, "rand": rands[k]} if mode == "sr" else {}
        acc, f = fma_exact(acc, a[k], b[k], E4M3FN, E5M2, acc_fmt, mode, **kw)
        sticky |= f
        assert (codes[k], flags[k]) == (acc, sticky)
    assert all(flags[k] & flags[k - 1] == flags[k - 1] for k in range(1, n))


# ============================================================================ errors
def test_errors_formats():
    for bad in (E4M3FN, E4M3FNUZ, FP6_E3M2, E8M0, Format.custom(5, 7, specials="fn")):
        with pytest.raises(ValueError, match="ieee"):
            fma_exact(0, 0x38, 0x38, E4M3FN, E4M3FN, bad)
        with pytest.raises(ValueError, match="ieee"):
            dot_exact(0, [], [], E4M3FN, E4M3FN, bad)
        with pytest.raises(ValueError, match="ieee"):
            mac_exact([], [], E4M3FN, E4M3FN, bad)
        with pytest.raises(ValueError, match="ieee"):
            round_exact(False, 1, bad)
    for bad_op in (E8M0, FP32):
        with pytest.raises(ValueError, match="operand"):
            mul_exact(0x7F, 0x38, bad_op, E4M3FN)
        with pytest.raises(ValueError, match="operand"):
            mul_exact(0x38, 0x7F, E4M3FN, bad_op)
        with pytest.raises(ValueError, match="operand"):
            fma_exact(0, 0x7F, 0x38, bad_op, E4M3FN, FP32)
        with pytest.raises(ValueError, match="operand"):
            mac_exact([], [], E4M3FN, bad_op, FP32)
    # the 8-bit ieee formats are valid accumulators (specials ieee)
    assert fma_exact(0x38, 0x38, 0x38, E4M3FN, E4M3FN, E4M3) == (0x40, 0)


def test_errors_codes_and_lengths():
    with pytest.raises(ValueError, match="out of range"):
        fma_exact(0, 0x100, 0x38, E4M3FN, E4M3FN, FP32)
    with pytest.raises(ValueError, match="out of range"):
        fma_exact(2**32, 0x38, 0x38, E4M3FN, E4M3FN, FP32)
    with pytest.raises(ValueError, match="out of range"):
        mac_exact([], [], E4M3FN, E4M3FN, FP16, acc_init=2**16)
    with pytest.raises(ValueError, match="length"):
        dot_exact(0, [0x38], [], E4M3FN, E4M3FN, FP32)
    with pytest.raises(ValueError, match="length"):
        mac_exact([0x38, 0x38], [0x38], E4M3FN, E4M3FN, FP32)
    with pytest.raises(ValueError, match=">= 0"):
        round_exact(False, -1, FP32)
    with pytest.raises(ValueError, match="unknown rounding"):
        fma_exact(0, 0x38, 0x38, E4M3FN, E4M3FN, FP32, "nearest")


def test_errors_sr_arguments():
    args = (0, 0x38, 0x38, E4M3FN, E4M3FN, FP32)
    with pytest.raises(ValueError, match="sr_bits"):
        fma_exact(*args, "sr")
    with pytest.raises(ValueError, match="sr_bits"):
        fma_exact(*args, "sr", sr_bits=4)
    with pytest.raises(ValueError, match="sr_bits"):
        fma_exact(*args, "sr", rand=0)
    for bits in (0, 33, -1):
        with pytest.raises(ValueError, match="sr_bits"):
            fma_exact(*args, "sr", sr_bits=bits, rand=0)
    for rand in (-1, 16, 17):
        with pytest.raises(ValueError, match="rand"):
            fma_exact(*args, "sr", sr_bits=4, rand=rand)
    with pytest.raises(ValueError, match="rand"):
        fma_exact(*args, "sr", sr_bits=32, rand=2**32)
    with pytest.raises(TypeError):
        fma_exact(*args, "sr", sr_bits=4, rand=True)
    with pytest.raises(TypeError):
        fma_exact(*args, "sr", sr_bits=4, rand=1.0)
    for mode in ("rne", "rtz", "rdn", "rup", "rmm", "rto"):
        with pytest.raises(ValueError, match="rand"):
            fma_exact(*args, mode, rand=0)
        with pytest.raises(ValueError, match="rand"):
            dot_exact(0, [], [], E4M3FN, E4M3FN, FP32, mode, sr_bits=4, rand=0)
        with pytest.raises(ValueError, match="rands"):
            mac_exact([0x38], [0x38], E4M3FN, E4M3FN, FP32, 0, mode, rands=[0])
    # the arguments are checked even when the result is a NaN
    with pytest.raises(ValueError, match="rand"):
        fma_exact(0x7FC00000, 0x7F, 0x38, E4M3FN, E4M3FN, FP32, "sr", sr_bits=2, rand=4)
    with pytest.raises(ValueError, match="rands"):
        mac_exact([0x38], [0x38], E4M3FN, E4M3FN, FP32, 0, "sr", sr_bits=4)
    with pytest.raises(ValueError, match="rands"):
        mac_exact([0x38], [0x38], E4M3FN, E4M3FN, FP32, 0, "sr", sr_bits=4, rands=[0, 1])
    with pytest.raises(ValueError, match="rand"):
        mac_exact([0x38], [0x38], E4M3FN, E4M3FN, FP32, 0, "sr", sr_bits=4, rands=[16])


# ===================================================================== cross-checks
def _f16_bits(x: np.ndarray) -> np.ndarray:
    return x.astype(np.float16).view(np.uint16).astype(np.int64)


@pytest.mark.parametrize("fa, fb", [(E4M3FN, E4M3FN), (E4M3FN, E5M2), (E5M2, E5M2)])
def test_fma_float16_rne_matches_numpy_float64(fa, fb):
    """float16 acc: |acc| in [2**-24, 2**16), |a*b| in [2**-32, 2**32): acc + a*b spans < 53 bits,
    so float64 computes it exactly and numpy's float64 -> float16 cast is the one rne rounding.
    The flags are derived independently in float64: NX from the round trip, OF from a finite sum
    giving Inf, UF from rounding |sum| * 2**30 to float16 (an unbounded exponent for tiny sums)."""
    rng = np.random.default_rng(2024)
    n = 4000
    acc = rng.integers(0, 2**16, n)
    # bias toward interesting accumulators: subnormals, near min normal, near max
    acc[: n // 4] = rng.integers(0, 0x0800, n // 4) | (rng.integers(0, 2, n // 4) << 15)
    acc[n // 4 : n // 2] = rng.integers(0x7800, 0x7C01, n // 4) | (rng.integers(0, 2, n // 4) << 15)
    a = rng.integers(0, 256, n)
    b = rng.integers(0, 256, n)
    xa = a.astype(np.uint8).view(getattr(ml_dtypes, fa.name)).astype(np.float64)
    xb = b.astype(np.uint8).view(getattr(ml_dtypes, fb.name)).astype(np.float64)
    xacc = acc.astype(np.uint16).view(np.float16).astype(np.float64)
    with np.errstate(all="ignore"):
        s = xacc + xa * xb
        ref = _f16_bits(s)
        back = s.astype(np.float16).astype(np.float64)
        scaled = np.abs(s * 2.0**30).astype(np.float16).astype(np.float64)
    for k in range(n):
        code, flags = fma_exact(int(acc[k]), int(a[k]), int(b[k]), fa, fb, FP16, "rne")
        if np.isnan(s[k]):
            assert code == 0x7E00
            continue
        assert code == int(ref[k]), (hex(int(acc[k])), hex(int(a[k])), hex(int(b[k])))
        if not np.isfinite(s[k]):
            assert flags & (OF | UF | NX) == 0
            continue
        expect = 0
        if back[k] != s[k]:
            expect |= NX
            if np.isinf(back[k]):
                expect |= OF
            elif s[k] != 0 and scaled[k] < 2.0**16:
                expect |= UF
        assert flags == expect, (hex(int(acc[k])), hex(int(a[k])), hex(int(b[k])))


ROUND_FORMATS = [FP32, FP16, BF16, E5M7, E4M3, E5M2, Format.custom(2, 1)]


@st.composite
def exact_values(draw):
    fmt = draw(st.sampled_from(ROUND_FORMATS))
    emin = 1 - fmt.bias
    emax = (1 << fmt.exp_bits) - 2 - fmt.bias
    e = draw(st.integers(emin - fmt.man_bits - 3, emax + 2))
    if draw(st.booleans()):  # on or a quarter / half / three quarters off the grid (ties)
        mag = F(draw(st.integers(1, 2 ** (fmt.man_bits + 3))), 4) * F(2) ** (e - fmt.man_bits)
    else:  # anywhere
        mag = F(draw(st.integers(1, 2**40)), 2**40) * F(2) ** e
    return fmt, draw(st.booleans()), mag


@given(exact_values(), st.sampled_from(MODES), st.booleans(), st.integers(1, 32), st.data())
def test_round_exact_codes_match_encode_exact(value, mode, saturate, bits, data):
    fmt, negative, mag = value
    kw = {"sr_bits": bits, "rand": data.draw(st.integers(0, 2**bits - 1))} if mode == "sr" else {}
    code, flags = round_exact(negative, mag, fmt, mode, saturate=saturate, **kw)
    assert code == encode_exact(OracleValue(negative, "finite", mag), fmt, mode, saturate=saturate, **kw)
    got = decode_exact(code, fmt)
    exact = got.kind == "finite" and got.magnitude == mag and got.negative == negative
    assert bool(flags & NX) == (not exact)
    assert flags & (NV | DZ) == 0
    if flags & (OF | UF):
        assert flags & NX
    assert not (flags & OF and flags & UF)
    if flags & OF:
        assert got.kind == "inf" or got.magnitude == F(2) ** ((1 << fmt.exp_bits) - 2 - fmt.bias) * (
            2 - F(1, 2**fmt.man_bits)
        )
    min_normal = F(2) ** (1 - fmt.bias)
    if flags & NX and not flags & OF:
        # delivered below min normal => tiny in every mode (the unbounded rounding can only be
        # closer to the exact value's binade); a sum at or above min normal is never tiny.
        if got.magnitude < min_normal:
            assert flags & UF
        if mag >= min_normal:
            assert not flags & UF
