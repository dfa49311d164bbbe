"""Tests pinning refmodel.oracle.mx (exact MX block reference) to hand-derived values.

Every expected code below was worked out by hand from spec-notes section 5 and
the OCP MX v1.0 spec sections 6.3 / 6.4; the comments show the arithmetic.
Reminders: the scale code is ``s + 127``; E4M3 (bias 7) codes are
``S.EEEE.MMM`` with max 448 = 0x7E, 1.0 = 0x38; E5M2 (bias 15) 1.0 = 0x3C, max
57344 = 0x7B; E3M2 (bias 3) 1.0 = 0x0C, max 28 = 0x1F; E2M3 (bias 1) 1.0 =
0x08, max 7.5 = 0x1F; E2M1 (bias 1) 1.0 = 0x2, max 6 = 0x7; MXINT8 ``k``
means ``k / 64``. The last part cross-checks random blocks against an
independent route through ml_dtypes.
"""

from __future__ import annotations

import math
from fractions import Fraction as F

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from refmodel.formats import get_format
from refmodel.oracle.mx import (
    ELEMENTS,
    SCALE_RULES,
    dequantize_block,
    dot_blocks,
    dot_blocks_flags,
    dot_vectors,
    dot_vectors_flags,
    element_bits,
    element_format,
    element_max,
    quantize_block,
    scale_exponent,
)
from refmodel.oracle.codec import OracleValue, encode_exact

MX_TYPES = tuple(ELEMENTS)
FP32 = get_format("float32")
QNAN32 = 0x7FC00000
PINF32, NINF32 = 0x7F800000, 0xFF800000
NV, OF, UF, NX = 16, 4, 2, 1


def f32(x) -> float:
    """The float32 nearest x, as a Python float (exact)."""
    return float(np.float32(x))


def code32(x) -> int:
    return int(np.float32(x).view(np.uint32))


# ------------------------------------------------------------------ the tables
def test_elements_table():
    assert ELEMENTS == {
        "mxfp8_e4m3": ("float8_e4m3fn", 8),
        "mxfp8_e5m2": ("float8_e5m2", 15),
        "mxfp6_e3m2": ("float6_e3m2fn", 4),
        "mxfp6_e2m3": ("float6_e2m3fn", 2),
        "mxfp4_e2m1": ("float4_e2m1fn", 2),
        "mxint8": (None, 0),
    }
    assert SCALE_RULES == ("ocp", "ceil")


@pytest.mark.parametrize(
    "mx_type, bits, mx",
    [
        ("mxfp8_e4m3", 8, F(448)),
        ("mxfp8_e5m2", 8, F(57344)),
        ("mxfp6_e3m2", 6, F(28)),
        ("mxfp6_e2m3", 6, F(15, 2)),
        ("mxfp4_e2m1", 4, F(6)),
        ("mxint8", 8, F(127, 64)),
    ],
)
def test_element_bits_and_max(mx_type, bits, mx):
    assert element_bits(mx_type) == bits
    assert element_max(mx_type) == mx


@pytest.mark.parametrize("mx_type", [m for m in MX_TYPES if m != "mxint8"])
def test_emax_elem_is_the_exponent_of_max_normal(mx_type):
    # spec section 5: emax_elem = exponent of the largest normal element
    assert ELEMENTS[mx_type][1] == element_format(mx_type).emax
    assert math.floor(math.log2(element_max(mx_type))) == ELEMENTS[mx_type][1]


# ------------------------------------------------------- the scale (floor rule)
def test_spec_notes_example_960():
    # amax 960 = 1.875 * 2**9: s = 9 - 8 = 1 (code 128). 960/2 = 480 > 448 and
    # 957/2 = 478.5 > 464 (the tie point above 448) both clamp to 448 (0x7E):
    # 957 comes back as 896 (microxcaling issue #4).
    scale, codes = quantize_block([960.0, 957.0, 896.0, 1.0], "mxfp8_e4m3")
    assert scale == 128
    assert codes == [0x7E, 0x7E, 0x7E, 0x30]  # 1/2 = 2**-1: field 6 -> 0x30
    values = dequantize_block(scale, codes, "mxfp8_e4m3")
    assert [v.magnitude for v in values] == [896, 896, 896, 1]


def test_amax_just_below_a_power_of_two():
    # float32 0.99999994 = 1 - 2**-24: floor(log2) = -1, not 0. E4M3: s = -1 - 8 = -9
    # (code 118); 0.99999994 * 512 = 511.99997 rounds to 512 > 448: saturates to 0x7E.
    x = f32(0.99999994)
    assert x == 1 - 2.0**-24
    assert scale_exponent(x, "mxfp8_e4m3") == -9
    # The trap: a float32 log2 rounds to the integer just below most powers of two,
    # e.g. log2(7.9999995) = 2.99999991... -> 3.0 in float32, floor 3 instead of 2.
    y = f32(7.9999995)
    assert y == 8 - 2.0**-21
    assert float(np.log2(np.float32(y))) == 3.0
    assert scale_exponent(y, "mxfp8_e4m3") == 2 - 8
    assert quantize_block([y], "mxfp8_e4m3") == (121, [0x7E])  # y * 64 = 511.99997 -> saturates
    assert quantize_block([x], "mxfp8_e4m3") == (118, [0x7E])
    # E5M2: s = -1 - 15 = -16 (code 111); x * 2**16 = 65535.996 -> 65536 > 61440
    # (the tie above 57344): saturates to 0x7B.
    assert quantize_block([x], "mxfp8_e5m2") == (111, [0x7B])
    # E2M1: s = -3 (code 124); x * 8 = 7.9999995 -> 8 > 6: saturates to 0x7.
    assert quantize_block([x], "mxfp4_e2m1") == (124, [0x7])
    # MXINT8: s = -1 (code 126); x * 2 * 64 = 127.99999 -> 128: clamps to 127.
    assert quantize_block([x], "mxint8") == (126, [127])
    # at the power of two itself: s = 0 - 8 = -8, 1 * 256 = 256 = 0x78
    assert quantize_block([1.0], "mxfp8_e4m3") == (119, [0x78])


@pytest.mark.parametrize("mx_type", MX_TYPES)
def test_amax_at_and_below_every_power_of_two(mx_type):
    emax = ELEMENTS[mx_type][1]
    for k in range(-126, 128):
        p = 2.0**k
        below = float(np.nextafter(np.float32(p), np.float32(0)))
        assert scale_exponent(p, mx_type) == min(max(k - emax, -127), 127)
        assert scale_exponent(below, mx_type) == min(max(k - 1 - emax, -127), 127)


def test_negative_amax_uses_the_magnitude():
    # amax is max |V|: -960 decides the scale; 100/2 = 50 = 1.5625 * 2**5 -> 0x62... exact
    scale, codes = quantize_block([-960.0, 100.0], "mxfp8_e4m3")
    assert scale == 128
    # -480 -> -448 = 0xFE; 50 = 1.5625 * 32: field 5 + 7 = 12, mantissa 0.5625*8 = 4.5 -> tie
    # between 4 and 5 -> even 4: 48 = 0x64
    assert codes == [0xFE, 0x64]


def test_scale_clamped_below():
    # amax 2**-140: s = -140 - 8 = -148 -> clamped to -127 (code 0). 2**-140 / 2**-127
    # = 2**-13 is below half the E4M3 min subnormal 2**-9: +0.
    assert quantize_block([2.0**-140], "mxfp8_e4m3") == (0, [0x00])
    assert quantize_block([-(2.0**-140)], "mxfp8_e4m3") == (0, [0x80])  # sign kept
    # E5M2: s = -155 -> -127; 2**-13 is an E5M2 normal: field -13 + 15 = 2 -> 0x08
    assert quantize_block([2.0**-140], "mxfp8_e5m2") == (0, [0x08])
    # float32 min subnormal 2**-149: 2**-22 -> E5M2 rounds to 0, MXINT8 to 0
    assert quantize_block([2.0**-149], "mxfp8_e5m2") == (0, [0x00])
    assert quantize_block([2.0**-149], "mxint8") == (0, [0x00])
    # 2**-134 with MXINT8: s = -134 -> -127; 2**-7 * 64 = 0.5 -> tie to even 0
    assert quantize_block([2.0**-134], "mxint8") == (0, [0])
    # 3 * 2**-135: 3 * 2**-8 * 64 = 0.75 -> 1
    assert quantize_block([3 * 2.0**-135], "mxint8") == (0, [1])


def test_scale_clamped_above():
    # amax 2**200 (float64): s = 200 - 8 = 192 -> clamped to 127 (code 254, not the
    # NaN code); 2**200 / 2**127 = 2**73 saturates to 448; 2**130 / 2**127 = 8 -> 0x50
    assert quantize_block([2.0**200, -(2.0**200), 2.0**130], "mxfp8_e4m3") == (254, [0x7E, 0xFE, 0x50])
    assert quantize_block([2.0**200], "mxint8") == (254, [127])
    assert quantize_block([-(2.0**200)], "mxint8") == (254, [0x80])  # -2 is representable
    assert quantize_block([2.0**200], "mxfp4_e2m1", "ceil") == (254, [0x7])
    # float32 max (2 - 2**-23) * 2**127: E4M3 s = 127 - 8 = 119 (code 246); (2 - 2**-23) * 2**8
    # = 511.99997 -> saturates
    fmax = float(np.finfo(np.float32).max)
    assert quantize_block([fmax], "mxfp8_e4m3") == (246, [0x7E])
    # E5M2: s = 127 - 15 = 112 (code 239)
    assert quantize_block([fmax], "mxfp8_e5m2") == (239, [0x7B])


# ----------------------------------------------------------- specials in input
@pytest.mark.parametrize("mx_type", MX_TYPES)
@pytest.mark.parametrize("special", [math.nan, -math.nan, math.inf, -math.inf])
def test_nan_or_inf_block(mx_type, special):
    values = [1.0] * 31 + [special]
    assert quantize_block(values, mx_type) == (0xFF, [0] * 32)
    assert quantize_block(values, mx_type, "ceil") == (0xFF, [0] * 32)
    values = [special] + [0.0] * 3
    assert quantize_block(values, mx_type) == (0xFF, [0] * 4)
    out = dequantize_block(0xFF, [0] * 4, mx_type)
    assert [v.kind for v in out] == ["nan"] * 4


@pytest.mark.parametrize(
    "mx_type, neg_zero", [
        ("mxfp8_e4m3", 0x80), ("mxfp8_e5m2", 0x80), ("mxfp6_e3m2", 0x20),
        ("mxfp6_e2m3", 0x20), ("mxfp4_e2m1", 0x8), ("mxint8", 0x00),
    ],
)
@pytest.mark.parametrize("rule", SCALE_RULES)
def test_all_zero_block(mx_type, neg_zero, rule):
    # scale 2**-127 (code 0); zeros keep their sign (MXINT8 has no -0)
    assert quantize_block([0.0, -0.0, 0.0], mx_type, rule) == (0, [0, neg_zero, 0])
    assert quantize_block([np.float32(-0.0)] * 32, mx_type, rule) == (0, [neg_zero] * 32)


def test_zero_and_tiny_values_keep_their_sign():
    # -1/32 in a block with amax 448 (s = 0): E4M3 -2**-5 = -0x10... exact; -2**-11 rounds to -0
    scale, codes = quantize_block([448.0, -(2.0**-5), -(2.0**-11), -0.0], "mxfp8_e4m3")
    assert scale == 127
    assert codes == [0x7E, 0x90, 0x80, 0x80]  # 2**-5: field 2 -> 0x10; 2**-11 < 2**-10: -0


def test_float32_subnormals_are_kept():
    # a block of float32 subnormals: amax = 3 * 2**-149, floor(log2) = -148;
    # E4M3: s = -156 -> -127; 3 * 2**-149 * 2**127 = 3 * 2**-22 -> 0. E5M2 likewise -> 0.
    sub = 3 * 2.0**-149
    assert quantize_block([sub, -sub], "mxfp8_e4m3") == (0, [0x00, 0x80])
    # a subnormal next to a normal value close to 2**-127: amax 2**-120 (E4M3 s = -128 -> -127)
    # 2**-120 * 2**127 = 128 = field 14 -> 0x70; 2**-130 * 2**127 = 2**-3 = 0x20;
    # 2**-126.5... -> take 2**-128 (float32 subnormal) -> 2**-1 = 0x30
    assert quantize_block([2.0**-120, 2.0**-130, 2.0**-128], "mxfp8_e4m3") == (0, [0x70, 0x20, 0x30])


# ------------------------------------------------------------ element rounding
def test_fp8_rounding_ties_to_even():
    # s = 0 with amax 448 (E4M3). 1 + 1/16 is a tie between 1 (0x38) and 1.125 (0x39): even 0x38;
    # 1 + 3/16 between 1.125 and 1.25: even 1.25 = 0x3A; 465 with amax 465: s = 0, 465 -> 448.
    scale, codes = quantize_block([448.0, 1.0625, 1.1875, -1.1875], "mxfp8_e4m3")
    assert scale == 127
    assert codes == [0x7E, 0x38, 0x3A, 0xBA]
    # E5M2 with amax 57344 (s = 0): 1 + 1/8 is a tie between 1 (0x3C) and 1.25 (0x3D): 0x3C
    assert quantize_block([57344.0, 1.125, 1.375], "mxfp8_e5m2") == (127, [0x7B, 0x3C, 0x3E])


def test_fp6_fp4_rounding():
    # E2M1 with amax 6 (s = 0): grid 0, .5, 1, 1.5, 2, 3, 4, 6.
    # 2.5 ties 2 (0x4) / 3 (0x5) -> even 0x4; 5 ties 4 (0x6) / 6 (0x7) -> 0x6; 0.25 ties 0 / 0.5 -> 0;
    # 0.75 ties 0.5 (0x1) / 1 (0x2) -> 0x2
    assert quantize_block([6.0, 2.5, 5.0, 0.25, 0.75, -3.5], "mxfp4_e2m1") == (
        127, [0x7, 0x4, 0x6, 0x0, 0x2, 0xE])  # -3.5 ties 3 / 4 -> 4 = 0x6 | sign 0x8
    # E2M3 with amax 7.5 (s = 0): 7.75 would be beyond max but amax decides s = 0: -> 7.5 = 0x1F
    assert quantize_block([7.75, 1.0625], "mxfp6_e2m3") == (127, [0x1F, 0x08])  # 1.0625 ties -> 1
    # E3M2 with amax 28 (s = 0): 30 is the tie above 28 -> saturate; 0.0625 = min subnormal 0x01
    assert quantize_block([30.0, 0.0625, 0.03125], "mxfp6_e3m2") == (127, [0x1F, 0x01, 0x00])


def test_mxint8_ties_and_clamping():
    # amax 1.9921875 = 127/64: floor(log2) = 0, s = 0 (code 127); 127/64 -> k = 127
    assert quantize_block([1.9921875], "mxint8") == (127, [127])
    # amax 2.0: s = 1 (code 128); 2/2 = 1 -> k = 64; with 1.9921875 / 2 = 127/128 -> 63.5
    # -> tie to even 64
    assert quantize_block([2.0, 1.9921875], "mxint8") == (128, [64, 64])
    # 1.99999 with amax 1.99999 (s = 0): 127.99936 -> 128 -> clamps to 127;
    # -1.99999 -> -128 is kept (two's complement 0x80)
    assert quantize_block([1.99999, -1.99999], "mxint8") == (127, [127, 0x80])
    # ties: 1/128 = 0.5 quantum -> 0; 3/128 -> 2 (even); 5/128 -> 2; -3/128 -> -2 = 0xFE
    assert quantize_block([1.0, 1 / 128, 3 / 128, 5 / 128, -3 / 128], "mxint8") == (
        127, [64, 0, 2, 2, 0xFE])
    # -2**k: amax 4 -> s = 2, -4/4 = -1 -> -64 = 0xC0; 7 / 4 = 1.75 -> 112
    assert quantize_block([-4.0, 7.0], "mxint8") == (129, [0xC0, 112])


# ------------------------------------------------------------------- ceil rule
def test_ceil_rule_hand_values():
    # 960 / 448 = 2.14: s = 2 (code 129); 960/4 = 240 = 0x77; 957/4 = 239.25 -> 240
    assert quantize_block([960.0, 957.0], "mxfp8_e4m3", "ceil") == (129, [0x77, 0x77])
    # amax exactly 448: s = 0 (448 / 2**0 <= 448), element 0x7E
    assert quantize_block([448.0], "mxfp8_e4m3", "ceil") == (127, [0x7E])
    # amax 449: s = 1, 224.5 -> 224 = 0x76 (224 = 1.75 * 128, mantissa 6)
    assert quantize_block([449.0], "mxfp8_e4m3", "ceil") == (128, [0x76])
    # E2M1: amax 6.5 -> 6.5/6 -> s = 1, 3.25 -> 3 = 0x5; MXINT8: amax 127/64 -> s = 0
    assert quantize_block([6.5], "mxfp4_e2m1", "ceil") == (128, [0x5])
    assert quantize_block([127 / 64], "mxint8", "ceil") == (127, [127])
    # 1.9921876 > 127/64 by a little -> s = 1
    assert quantize_block([1.9921876], "mxint8", "ceil") == (128, [64])
    # ceil vs floor for a block whose max is just below a power of two: no saturation
    x = f32(0.99999994)
    assert quantize_block([x], "mxfp8_e4m3", "ceil") == (119, [0x78])  # s = -8: 255.99998 -> 256


@pytest.mark.parametrize("mx_type", MX_TYPES)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=32), min_size=1, max_size=32))
def test_ceil_rule_never_saturates(mx_type, values):
    scale, codes = quantize_block(values, mx_type, "ceil")
    amax = max(abs(F(v)) for v in values)
    if amax == 0:
        assert scale == 0
        return
    s = scale - 127
    mx = element_max(mx_type)
    if s == 127:  # clamped at the top: elements may still saturate
        assert amax / F(2) ** 126 > mx
        return
    assert amax / F(2) ** s <= mx
    if s > -127:
        assert amax / F(2) ** (s - 1) > mx  # smallest such s
    for v, p in zip(values, dequantize_block(scale, codes, mx_type)):
        # rne into the element grid: within half a quantum of the exact value, never clamped
        q = _element_quantum(mx_type, F(v) / F(2) ** s) * F(2) ** s
        assert abs(F(v) - (-p.magnitude if p.negative else p.magnitude)) <= q / 2


def _element_quantum(mx_type: str, p: F) -> F:
    """The element grid spacing at the unscaled element value p."""
    fmt = element_format(mx_type)
    if fmt is None:
        return F(1, 64)
    e = fmt.emin if p == 0 else max(fmt.emin, _exact_floor_log2(abs(p)))
    return F(2) ** (e - fmt.man_bits)


def _exact_floor_log2(v: F) -> int:
    e = v.numerator.bit_length() - v.denominator.bit_length()
    return e - 1 if v < F(2) ** e else e


# ------------------------------------------------------------------ properties
@pytest.mark.parametrize("mx_type", MX_TYPES)
@pytest.mark.parametrize("rule", SCALE_RULES)
@given(values=st.lists(st.floats(allow_nan=False, allow_infinity=False, width=32), min_size=1,
                       max_size=32))
def test_properties(mx_type, rule, values):
    scale, codes = quantize_block(values, mx_type, rule)
    assert 0 <= scale <= 254
    assert len(codes) == len(values)
    assert all(0 <= c < (1 << element_bits(mx_type)) for c in codes)
    out = dequantize_block(scale, codes, mx_type)
    x = F(2) ** (scale - 127)
    mx = element_max(mx_type)
    # the most negative element: -max, or -2 for MXINT8 (two's complement -128 / 64)
    mn = F(2) if mx_type == "mxint8" else mx
    for v, p in zip(values, out):
        assert p.kind == "finite"
        got = -p.magnitude if p.negative else p.magnitude
        assert -mn * x <= got <= mx * x  # no element beyond max normal
        exact = F(v)
        if -mn * x <= exact <= mx * x:  # not saturated: within half a quantum
            q = _element_quantum(mx_type, exact / x) * x
            assert abs(got - exact) <= q / 2
        else:  # saturated to the end of the range
            assert got == (mx * x if exact > 0 else -mn * x)
        if exact != 0 and got != 0:
            assert (got < 0) == (exact < 0)


# ------------------------------------------------------------------ dequantize
def test_dequantize_hand_values():
    # E4M3 0x7E = 448, 0x01 = 2**-9, 0xB8 = -1; scale code 130 -> X = 8
    out = dequantize_block(130, [0x7E, 0x01, 0xB8, 0x80, 0x7F, 0xFF], "mxfp8_e4m3")
    assert out[:4] == [
        OracleValue(False, "finite", F(3584)),
        OracleValue(False, "finite", F(1, 64)),
        OracleValue(True, "finite", F(8)),
        OracleValue(True, "finite", F(0)),
    ]
    assert [v.kind for v in out[4:]] == ["nan", "nan"]
    # E5M2 Inf keeps its sign under a finite scale
    out = dequantize_block(0, [0x7C, 0xFC, 0x7D], "mxfp8_e5m2")
    assert [(v.negative, v.kind) for v in out] == [(False, "inf"), (True, "inf"), (False, "nan")]
    # MXINT8: 0x80 = -128 -> -2; 0x7F = 127/64; 0xFF = -1/64; scale code 0 -> 2**-127
    out = dequantize_block(0, [0x80, 0x7F, 0xFF, 0x00], "mxint8")
    assert [(v.negative, v.magnitude) for v in out] == [
        (True, F(2) ** -126), (False, F(127, 64) * F(2) ** -127), (True, F(2) ** -133), (False, 0)]
    # FP4 0xF = -6, scale code 254 -> 2**127
    out = dequantize_block(254, [0xF, 0x1], "mxfp4_e2m1")
    assert [(v.negative, v.magnitude) for v in out] == [(True, 6 * F(2) ** 127), (False, F(2) ** 126)]


@pytest.mark.parametrize("mx_type", MX_TYPES)
def test_quantize_dequantize_fixed_point(mx_type):
    # every finite element code under a fixed scale quantises back to itself (except -0 MXINT8 n/a)
    fmt = element_format(mx_type)
    n = 1 << element_bits(mx_type)
    for scale in (0, 100, 127, 254):
        for c in range(n):
            (p,) = dequantize_block(scale, [c], mx_type)
            if p.kind != "finite":
                continue
            # force the block scale with the largest element of the same sign
            mx_code = 0x7F if fmt is None else fmt.max_code
            values = [OracleValue(p.negative, "finite", p.magnitude),
                      dequantize_block(scale, [mx_code], mx_type)[0]]
            s_ocp = scale_exponent(max(v.magnitude for v in values), mx_type)
            if s_ocp != scale - 127:
                continue  # max element decides a different scale (it can for MXINT8 / clamps)
            assert quantize_block(values, mx_type) == (scale, [c, mx_code])


# ------------------------------------------------------------------------- dot
def test_dot_hand_values():
    e4 = "mxfp8_e4m3"
    # X_A = 2 (code 128), X_B = 1/4 (code 125): 2 * 1/4 * (1*1 + 2*(-0.5) + 448*448) = 100352
    a = [0x38, 0x40, 0x7E]  # 1, 2, 448
    b = [0x38, 0xB0, 0x7E]  # 1, -0.5, 448
    assert dot_blocks(128, a, 125, b, e4, e4) == code32(100352.0)
    # mixed types: E4M3 1.5 (0x3C) * MXINT8 -2 (0x80) with X = 1 each: -3
    assert dot_blocks(127, [0x3C], 127, [0x80], e4, "mxint8") == code32(-3.0)
    # exact cancellation -> +0
    assert dot_blocks(127, [0x38, 0xB8], 127, [0x38, 0x38], e4, e4) == 0
    # all products -0 -> -0 ; mixed +0 / -0 -> +0
    assert dot_blocks(127, [0x80, 0x80], 127, [0x00, 0x00], e4, e4) == 0x80000000
    assert dot_blocks(127, [0x80, 0x00], 127, [0x00, 0x00], e4, e4) == 0
    # MXINT8 zero is +0, and (-1) * (+0) is -0: the only product is -0, so is the result
    assert dot_blocks(127, [0xB8], 127, [0x00], e4, "mxint8") == 0x80000000
    assert dot_blocks(127, [0xB8, 0x38], 127, [0x00, 0x00], e4, "mxint8") == 0


def test_dot_rounds_once():
    e4 = "mxfp8_e4m3"
    # 2**24 + 1 is not a float32: 1 * 2**24 (X_A = 2**24 via code 151, P = 1) + 1 * 1 ...
    # per block one scale, so use two blocks: block 1: 2**24 * 1 * 1, block 2: 1 * 1 * 1.
    # exact 2**24 + 1 -> tie between 2**24 and 2**24 + 2 -> even 2**24
    blocks_a = [(151, [0x38]), (127, [0x38])]
    blocks_b = [(127, [0x38]), (127, [0x38])]
    assert dot_vectors(blocks_a, blocks_b, e4, e4) == code32(2.0**24)
    # 2**24 + 1 + 2**-9 (third block: 2**-9 = E4M3 min subnormal 0x01) is above the tie -> 2**24 + 2
    blocks_a.append((127, [0x01]))
    blocks_b.append((127, [0x38]))
    assert dot_vectors(blocks_a, blocks_b, e4, e4) == code32(2.0**24 + 2)
    # a sequential float32 sum would give 2**24 (+1 lost, then +2**-9 lost)
    assert dot_vectors_flags(blocks_a, blocks_b, e4, e4) == (code32(2.0**24 + 2), NX)


def test_dot_overflow_and_underflow():
    e4 = "mxfp8_e4m3"
    # 2**127 * 2**127 * 448 * 448 overflows float32 -> +Inf with OF | NX
    assert dot_blocks_flags(254, [0x7E], 254, [0x7E], e4, e4) == (PINF32, OF | NX)
    assert dot_blocks_flags(254, [0xFE], 254, [0x7E], e4, e4) == (NINF32, OF | NX)
    # 2**-127 * 2**-127 * 2**-9 * 2**-9 = 2**-272 -> +0 with UF | NX; negative -> -0
    assert dot_blocks_flags(0, [0x01], 0, [0x01], e4, e4) == (0, UF | NX)
    assert dot_blocks_flags(0, [0x81], 0, [0x01], e4, e4) == (0x80000000, UF | NX)
    # 2**-127 * 2**-127 * 448 * 448 = 1.53125 * 2**-237: tiny, rounds to 0
    # 2**-127 * 2**-20 ... exactly representable subnormal: 2**-140 = (code 0) 2**-127 * (code 114)
    # 2**-13 * 1 -> float32 subnormal 2**-140, exact: no flags
    assert dot_blocks_flags(0, [0x38], 114, [0x38], e4, e4) == (1 << 9, 0)


def test_dot_specials():
    e4, e5 = "mxfp8_e4m3", "mxfp8_e5m2"
    ones = [0x38] * 4
    assert dot_blocks_flags(0xFF, ones, 127, ones, e4, e4) == (QNAN32, 0)
    assert dot_blocks_flags(127, ones, 0xFF, ones, e4, e4) == (QNAN32, 0)
    assert dot_blocks_flags(127, [0x38, 0x7F], 127, ones[:2], e4, e4) == (QNAN32, 0)
    assert dot_blocks_flags(127, [0x38, 0xFF], 127, ones[:2], e4, e4) == (QNAN32, 0)
    assert dot_blocks_flags(127, [0x7E], 127, [0x3C], e5, e5) == (QNAN32, 0)  # E5M2 quiet NaN
    # E5M2 Inf times finite -> Inf, no flags (also with tiny scales)
    assert dot_blocks_flags(0, [0x7C, 0x3C], 0, [0x3C, 0x3C], e5, e5) == (PINF32, 0)
    assert dot_blocks_flags(127, [0x7C], 127, [0xBC], e5, e5) == (NINF32, 0)
    assert dot_blocks_flags(127, [0xFC], 127, [0xFC], e5, e5) == (PINF32, 0)
    # Inf * 0 and +Inf + -Inf -> NaN with NV
    assert dot_blocks_flags(127, [0x7C], 127, [0x00], e5, e5) == (QNAN32, NV)
    assert dot_blocks_flags(127, [0x7C], 127, [0x00], e5, "mxint8") == (QNAN32, NV)
    assert dot_blocks_flags(127, [0x7C, 0xFC], 127, [0x3C, 0x3C], e5, e5) == (QNAN32, NV)
    # under a NaN scale Inf x 0 is still invalid, but the products are NaN, not +-Inf: no Inf - Inf
    assert dot_blocks_flags(0xFF, [0x7C], 127, [0x00], e5, e5) == (QNAN32, NV)
    assert dot_blocks_flags(127, [0x00], 0xFF, [0xFC], e5, "mxfp8_e5m2") == (QNAN32, NV)
    assert dot_blocks_flags(0xFF, [0x7C, 0xFC], 127, [0x3C, 0x3C], e5, e5) == (QNAN32, 0)
    # Inf with a NaN scale elsewhere: NaN
    assert dot_vectors([(127, [0x7C]), (0xFF, [0x3C])], [(127, [0x3C]), (127, [0x3C])], e5, e5) == QNAN32


def test_dot_signalling_nan_elements():
    """An E5M2 signalling NaN element (S.11111.01: 0x7D, 0xFD) on either side raises NV; quiet ones do not."""
    e4, e5 = "mxfp8_e4m3", "mxfp8_e5m2"
    assert dot_blocks_flags(127, [0x7D], 127, [0x3C], e5, e5) == (QNAN32, NV)
    assert dot_blocks_flags(127, [0x3C], 127, [0xFD], e5, e5) == (QNAN32, NV)
    assert dot_blocks_flags(127, [0xFE, 0x7F], 127, [0x3C, 0x3C], e5, e5) == (QNAN32, 0)
    # whatever else the block holds: a quiet NaN, an Inf, a NaN scale, other element types
    assert dot_blocks_flags(127, [0x7E, 0x7D], 127, [0x3C, 0x3C], e5, e5) == (QNAN32, NV)
    assert dot_blocks_flags(127, [0x7C, 0xFD], 127, [0x3C, 0x3C], e5, e5) == (QNAN32, NV)
    assert dot_blocks_flags(0xFF, [0x7D], 127, [0x3C], e5, e5) == (QNAN32, NV)
    assert dot_blocks_flags(127, [0x7F], 127, [0x7D], e4, e5) == (QNAN32, NV)
    assert dot_blocks_flags(127, [0x7D], 127, [0x00], e5, "mxint8") == (QNAN32, NV)
    assert dot_vectors_flags([(127, [0x3C]), (127, [0xFD])], [(127, [0x3C]), (127, [0x00])], e5, e5) == (QNAN32, NV)
    # the only E5M2 signalling NaNs are 0x7D and 0xFD; fn / none / MXINT8 elements have none
    nv = [c for c in range(256) if dot_blocks_flags(127, [c], 127, [0x3C], e5, e5)[1] & NV]
    assert nv == [0x7D, 0xFD]
    for mx_type in ("mxfp8_e4m3", "mxfp6_e3m2", "mxfp6_e2m3", "mxfp4_e2m1", "mxint8"):
        ones = [c for c in range(1 << element_bits(mx_type)) if dequantize_block(127, [c], mx_type)[0].kind != "inf"]
        assert all(dot_blocks_flags(127, [c], 127, [c], mx_type, mx_type)[1] & NV == 0 for c in ones), mx_type


@pytest.mark.parametrize("mx_type", MX_TYPES)
@given(st.data())
def test_dot_matches_exact_dequantized_sum(mx_type, data):
    n = data.draw(st.integers(1, 8))
    bits = element_bits(mx_type)
    codes = st.lists(st.integers(0, (1 << bits) - 1), min_size=n, max_size=n)
    sa, sb = data.draw(st.integers(0, 254)), data.draw(st.integers(0, 254))
    ca, cb = data.draw(codes), data.draw(codes)
    va = dequantize_block(sa, ca, mx_type)
    vb = dequantize_block(sb, cb, mx_type)
    got = dot_blocks(sa, ca, sb, cb, mx_type, mx_type)
    if any(v.kind != "finite" for v in va + vb):
        return  # specials are pinned above
    total = sum(((-1) ** (x.negative != y.negative)) * x.magnitude * y.magnitude for x, y in zip(va, vb))
    if total == 0:
        return
    assert got == encode_exact(F(total), FP32, "rne")


# ---------------------------------------------- cross-check through ml_dtypes
_ML = {
    "mxfp8_e4m3": ml_dtypes.float8_e4m3fn,
    "mxfp8_e5m2": ml_dtypes.float8_e5m2,
    "mxfp6_e3m2": ml_dtypes.float6_e3m2fn,
    "mxfp6_e2m3": ml_dtypes.float6_e2m3fn,
    "mxfp4_e2m1": ml_dtypes.float4_e2m1fn,
}


def _ml_dtypes_block(values32: np.ndarray, mx_type: str, rule: str):
    """An independent route: scale from frexp (exact), elements via clip + ml_dtypes / np.rint."""
    amax = float(np.max(np.abs(values32.astype(np.float64))))
    if amax == 0:
        s = -127
    else:
        _, e = math.frexp(amax)  # amax = m * 2**e, 0.5 <= m < 1: floor(log2) = e - 1
        mx = float(element_max(mx_type))
        if rule == "ocp":
            s = e - 1 - ELEMENTS[mx_type][1]
        else:
            s = math.ceil(math.log2(amax / mx))  # then fix up exactly
            while amax / 2.0**s > mx:
                s += 1
            while amax / 2.0 ** (s - 1) <= mx:
                s -= 1
        s = min(max(s, -127), 127)
    scaled = values32.astype(np.float64) / 2.0**s  # exact (power of two, float64 range)
    mx = float(element_max(mx_type))
    clipped = np.clip(scaled, -mx, mx)
    if mx_type == "mxint8":
        k = np.rint(scaled * 64)  # numpy rint: ties to even; then clamp to [-128, 127]
        codes = (np.clip(k, -128, 127).astype(np.int64) & 0xFF).tolist()
    else:
        # clip first (rounding a clipped value cannot exceed max); float32 holds it exactly except
        # below float32 subnormals, far under half the element's min subnormal
        codes = clipped.astype(np.float32).astype(_ML[mx_type]).view(np.uint8).tolist()
        codes = [c & ((1 << element_bits(mx_type)) - 1) for c in codes]
    return s + 127, codes


@pytest.mark.parametrize("mx_type", MX_TYPES)
@pytest.mark.parametrize("rule", SCALE_RULES)
def test_random_blocks_against_ml_dtypes(mx_type, rule):
    rng = np.random.default_rng(sum(map(ord, mx_type + rule)))
    for trial in range(60):
        kind = trial % 4
        if kind == 0:
            x = rng.standard_normal(32).astype(np.float32)
        elif kind == 1:
            x = (rng.standard_normal(32) * 2.0 ** rng.integers(-140, 120)).astype(np.float32)
        elif kind == 2:
            x = rng.standard_normal(32).astype(np.float32)
            x[rng.integers(32)] *= np.float32(1000)
        else:  # random bit patterns (finite only)
            x = rng.integers(0, 2**32, 32, dtype=np.uint64).astype(np.uint32).view(np.float32)
            x = np.where(np.isfinite(x), x, np.float32(1.5))
        got = quantize_block([float(v) for v in x], mx_type, rule)
        assert got == _ml_dtypes_block(x, mx_type, rule), (mx_type, rule, x)


# ---------------------------------------------------------------------- errors
def test_errors():
    with pytest.raises(ValueError, match="mxfp8_e4m3.*mxint8"):
        quantize_block([1.0], "mxfp9")
    with pytest.raises(ValueError, match="scale rule 'round'.*ocp, ceil"):
        quantize_block([1.0], "mxint8", "round")
    with pytest.raises(ValueError, match="at least one"):
        quantize_block([], "mxint8")
    with pytest.raises(ValueError, match="out of range"):
        dequantize_block(256, [0], "mxint8")
    with pytest.raises(ValueError, match="MXINT8 element code"):
        dequantize_block(127, [256], "mxint8")
    with pytest.raises(ValueError, match="out of range"):
        dequantize_block(127, [0x40], "mxfp6_e3m2")
    with pytest.raises(ValueError, match="unequal length"):
        dot_blocks(127, [0, 0], 127, [0], "mxint8", "mxint8")
    with pytest.raises(ValueError, match="blocks"):
        dot_vectors([(127, [0])], [], "mxint8", "mxint8")
    with pytest.raises(ValueError, match="positive"):
        scale_exponent(0, "mxint8")
    with pytest.raises(TypeError):
        quantize_block(["1.0"], "mxint8")
