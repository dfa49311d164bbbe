"""refmodel.mx (fast, vectorised MX) against refmodel.oracle.mx (plain, exact, block by block).

Every comparison is bit-exact on codes: E8M0 scale codes and element codes
from ``quantize``, float32 codes and flags from ``dot`` / ``matmul``. The
values from ``dequantize`` are compared as exact values (sign of zero, Inf,
NaN and the exact magnitude; no tolerance). The reference never sees the fast
module's intermediate results: it gets the same input tensor and quantises it
block by block from the spec rules (spec-notes section 5, OCP MX v1.0
sections 6.3 and 6.4).
"""

from __future__ import annotations

import inspect
import math
from fractions import Fraction as F

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from refmodel import mx
from refmodel.oracle.mx import (
    ELEMENTS,
    SCALE_RULES,
    dequantize_block,
    dot_vectors_flags,
    element_bits,
    element_format,
    element_max,
    quantize_block,
)
from refmodel.oracle.codec import OracleValue, exact_value_of_float

MX_NAMES = tuple(ELEMENTS)  # the six OCP MX types (nvfp4 is not an OCP MX type)
FP32_MAX = float(np.finfo(np.float32).max)


# ---------------------------------------------------------------- the reference
def ref_quantize(x, mx_type, axis=-1, block=32, rule="ocp"):
    """Scales and elements of ``x`` (any shape) by quantize_block, block by block.

    A last block shorter than ``block`` is padded with +0.0 values (what
    ``pad=True`` asks for); returns arrays shaped as MxArray.scales / .elements.
    """
    x = np.asarray(x)
    axis %= x.ndim
    moved = np.moveaxis(x, axis, -1)
    length = moved.shape[-1]
    nb = -(-length // block)
    scales = np.zeros(moved.shape[:-1] + (nb,), np.uint8)
    elems = np.zeros(moved.shape[:-1] + (nb * block,), np.uint8)
    for idx in np.ndindex(moved.shape[:-1]):
        row = moved[idx]
        for j in range(nb):
            vals = [row[i] for i in range(j * block, min((j + 1) * block, length))]
            vals += [0.0] * (block - len(vals))
            s, codes = quantize_block(vals, mx_type, rule)
            scales[idx + (j,)] = s
            elems[idx + (slice(j * block, (j + 1) * block),)] = codes
    return np.moveaxis(scales, -1, axis), np.moveaxis(elems, -1, axis)


def ref_blocks(m: mx.MxArray):
    """The blocks of an MxArray blocked along its last axis: one list of (scale, codes) per row."""
    assert m.axis == len(m.shape) - 1
    rows = []
    for idx in np.ndindex(m.scales.shape[:-1]):
        sc, el = m.scales[idx], m.elements[idx]
        rows.append([(int(sc[j]), [int(c) for c in el[j * m.block:(j + 1) * m.block]])
                     for j in range(sc.shape[0])])
    return rows


def exact_values(arr) -> list[OracleValue]:
    """Exact values of a float array, flattened (C order)."""
    return [exact_value_of_float(v) for v in np.asarray(arr).reshape(-1)]


def ref_dequantize(m: mx.MxArray) -> list[OracleValue]:
    """Exact values of every element of m (padding dropped), in C order of m.shape."""
    moved_s = np.moveaxis(m.scales, m.axis, -1)
    moved_e = np.moveaxis(m.elements, m.axis, -1)
    out = np.empty(moved_e.shape, dtype=object)
    for idx in np.ndindex(moved_s.shape[:-1]):
        for j in range(moved_s.shape[-1]):
            sl = slice(j * m.block, (j + 1) * m.block)
            vals = dequantize_block(int(moved_s[idx + (j,)]), [int(c) for c in moved_e[idx + (sl,)]],
                                    m.mx_type)
            for i, v in enumerate(vals):
                out[idx + (j * m.block + i,)] = v
    out = np.moveaxis(out, -1, m.axis)
    out = np.take(out, np.arange(m.shape[m.axis]), axis=m.axis)
    return list(out.reshape(-1))


def same_value(got: OracleValue, want: OracleValue) -> bool:
    """Exact equality; NaN equals NaN of either sign (the sign of a NaN float is not a contract)."""
    if want.kind == "nan":
        return got.kind == "nan"
    return got == want


def check_against_reference(x, mx_type, rule="ocp", axis=-1, block=32, pad=False):
    m = mx.quantize(x, mx_type, axis=axis, block=block, scale_rule=rule, pad=pad)
    want_s, want_e = ref_quantize(x, mx_type, axis, block, rule)
    np.testing.assert_array_equal(m.scales, want_s)
    np.testing.assert_array_equal(m.elements, want_e)
    assert m.scales.dtype == np.uint8 and m.elements.dtype == np.uint8
    assert m.shape == np.shape(x)
    assert m.axis == axis % np.ndim(x) and m.block == block
    assert m.mx_type == mx_type and m.scale_rule == rule
    return m


# --------------------------------------------------------------------- tensors
def _blocks(rng, kind: str, nb: int = 12, block: int = 32) -> np.ndarray:
    """A float32 (nb, block) tensor of the named kind; one block per row."""
    shape = (nb, block)
    g = rng.standard_normal(shape).astype(np.float32)
    if kind == "gaussian":
        return g
    if kind == "outliers":
        g[np.arange(nb), rng.integers(0, block, nb)] *= np.float32(1e4)
        g[: nb // 2, : block // 4] *= np.float32(1e-4)
        return g
    if kind == "nan_inf":
        specials = np.array([np.nan, -np.nan, np.inf, -np.inf], np.float32)
        for r in range(0, nb, 2):  # every other block holds one or two specials
            for _ in range(1 + r % 2):
                g[r, rng.integers(block)] = specials[rng.integers(4)]
        return g
    if kind == "zeros":
        g[0] = 0.0
        g[1] = -0.0
        g[2] = np.where(rng.integers(0, 2, block) == 1, np.float32(-0.0), np.float32(0.0))
        g[3, :-1] = 0.0
        g[3, -1] = np.float32(2.0**-149)
        return g
    if kind == "pow2":  # values at powers of two and just below them
        k = rng.integers(-30, 30, shape)
        p = np.ldexp(np.float32(1), k).astype(np.float32)
        below = np.nextafter(p, np.float32(0))
        sign = np.where(rng.integers(0, 2, shape) == 1, np.float32(-1), np.float32(1))
        return (np.where(rng.integers(0, 2, shape) == 1, p, below) * sign).astype(np.float32)
    if kind == "subnormal":  # float32 subnormal inputs, alone and beside normals
        bits = rng.integers(0, 2**32, shape, dtype=np.uint64).astype(np.uint32) & np.uint32(0x807FFFFF)
        s = bits.view(np.float32)
        s[nb // 2:, 0] = np.float32(2.0**-120)
        s[-1, 1] = np.float32(2.0**-126)
        return s
    if kind == "huge_tiny":  # clamping of s at both ends
        e = np.array([-149, -145, -140, -135, -130, -127, -120, 100, 110, 120, 125, 126], np.int64)
        e = np.resize(e, nb)
        out = (g * np.ldexp(1.0, e)[:, None]).astype(np.float32)
        out[-1, 0] = np.float32(FP32_MAX)
        out[-2, 0] = -np.float32(FP32_MAX)
        return out
    if kind == "ties":  # small integers times powers of two: element midpoints and MXINT8 ties
        ints = rng.integers(-255, 256, shape).astype(np.float64)
        return (ints * np.ldexp(1.0, rng.integers(-12, 6, (nb, 1)))).astype(np.float32)
    if kind == "bits":  # arbitrary float32 bit patterns, NaN and Inf included
        return rng.integers(0, 2**32, shape, dtype=np.uint64).astype(np.uint32).view(np.float32)
    raise ValueError(kind)


KINDS = ("gaussian", "outliers", "nan_inf", "zeros", "pow2", "subnormal", "huge_tiny", "ties", "bits")


# ------------------------------------------------------------------- the table
def test_mx_types_match_the_spec_table():
    for name, (elem, emax) in ELEMENTS.items():
        t = mx.MX_TYPES[name]
        assert t.name == name
        assert (None if t.element is None else t.element.name) == elem
        assert t.emax == emax
        assert t.elem_bits == element_bits(name)
        assert t.block == 32
        assert F(t.max_normal) == element_max(name)


def test_fast_path_does_not_import_the_oracles():
    src = inspect.getsource(mx)
    assert "oracle" not in src.replace("refmodel.oracle.mx", "")


# --------------------------------------------------------- quantize: codes equal
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("rule", SCALE_RULES)
@pytest.mark.parametrize("mx_type", MX_NAMES)
def test_quantize_matches_reference(mx_type, rule, kind):
    rng = np.random.default_rng(sum(map(ord, mx_type + rule + kind)))
    x = _blocks(rng, kind)
    check_against_reference(x, mx_type, rule)
    check_against_reference(x.reshape(-1), mx_type, rule)  # 1-D: the same blocks


@pytest.mark.parametrize("rule", SCALE_RULES)
@pytest.mark.parametrize("mx_type", MX_NAMES)
def test_quantize_spec_examples(mx_type, rule):
    x = np.zeros(32, np.float32)
    x[:3] = [960.0, 957.0, -0.3]
    check_against_reference(x, mx_type, rule)
    m = mx.quantize(np.array([960.0, 957.0] + [0.0] * 30, np.float32), "mxfp8_e4m3")
    assert int(m.scales[0]) == 128 and m.elements[:2].tolist() == [0x7E, 0x7E]
    # just below powers of two: float32 log2 would round 7.9999995 up to 3.0
    for k in range(-126, 128):
        y = np.full(32, np.nextafter(np.float32(2.0**k), np.float32(0)), np.float32)
        y[1:] *= np.float32(0.5)
        check_against_reference(y, mx_type, rule)


@pytest.mark.parametrize("rule", SCALE_RULES)
@pytest.mark.parametrize("mx_type", MX_NAMES)
def test_quantize_other_input_dtypes(mx_type, rule):
    rng = np.random.default_rng(7)
    g = rng.standard_normal((6, 32))
    # float64: more bits than float32 (one rounding from the exact float64 value), huge / tiny
    # values beyond float32's range (2**200 clamps s to 127; 2**-1074 to -127)
    x64 = g.copy()
    x64[1] *= 2.0**200
    x64[2] *= 2.0**-1040
    x64[3, 0] = 5e-324
    x64[4, 5] = 1.0 + 2.0**-40  # just above a tie for every element type
    x64[5] = np.ldexp(np.round(g[5] * 64) + 0.5, -6)  # float64 ties for MXINT8
    check_against_reference(x64, mx_type, rule)
    # float16 and bfloat16 widen exactly
    check_against_reference(g.astype(np.float16), mx_type, rule)
    check_against_reference(g.astype(ml_dtypes.bfloat16), mx_type, rule)
    h = g.astype(np.float16)
    h[0, 3] = np.float16(np.inf)
    h[1, :] = np.float16(6e-8)  # float16 subnormals
    check_against_reference(h, mx_type, rule)


@pytest.mark.parametrize("mx_type", MX_NAMES)
@given(x=hnp.arrays(np.float32, (2, 16), elements=st.floats(width=32)))
def test_quantize_matches_reference_hypothesis(mx_type, x):
    for rule in SCALE_RULES:
        check_against_reference(x, mx_type, rule, block=16)


# -------------------------------------------------------------- axes and blocks
@pytest.mark.parametrize("mx_type", MX_NAMES)
def test_axis_handling(mx_type):
    rng = np.random.default_rng(11)
    x = (rng.standard_normal((64, 48)) * np.ldexp(1.0, rng.integers(-20, 20, (64, 48)))).astype(np.float32)
    x[5, 7] = np.nan
    for axis in (0, 1, -1, -2):
        m = check_against_reference(x, mx_type, "ocp", axis=axis, block=16)
        nb_shape = (4, 48) if axis % 2 == 0 else (64, 3)
        assert m.scales.shape == nb_shape and m.elements.shape == x.shape
    # axis 0 equals axis 1 of the transpose, transposed
    a0 = mx.quantize(x, mx_type, axis=0)
    a1 = mx.quantize(np.ascontiguousarray(x.T), mx_type, axis=1)
    np.testing.assert_array_equal(a0.scales, a1.scales.T)
    np.testing.assert_array_equal(a0.elements, a1.elements.T)
    # 3-D, middle axis, other block sizes
    y = rng.standard_normal((3, 48, 2)).astype(np.float32)
    for block in (1, 8, 16, 48):
        check_against_reference(y, mx_type, "ocp", axis=1, block=block)
        check_against_reference(y, mx_type, "ceil", axis=1, block=block)


@pytest.mark.parametrize("mx_type", MX_NAMES)
def test_padding(mx_type):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 40)).astype(np.float32)
    x[1, 32:] = -0.0
    m = check_against_reference(x, mx_type, "ocp", pad=True)
    assert m.elements.shape == (3, 64) and m.scales.shape == (3, 2)
    assert m.shape == (3, 40)
    # the padding is +0 codes; the real tail keeps its values / signs
    np.testing.assert_array_equal(m.elements[:, 40:], 0)
    assert mx.dequantize(m).shape == (3, 40)
    # padding along axis 0 with block 7
    check_against_reference(x.T.copy(), mx_type, "ceil", axis=0, block=7, pad=True)
    # a multiple of the block: pad changes nothing
    z = rng.standard_normal(64).astype(np.float32)
    a, b = mx.quantize(z, mx_type, pad=True), mx.quantize(z, mx_type)
    np.testing.assert_array_equal(a.elements, b.elements)
    np.testing.assert_array_equal(a.scales, b.scales)
    with pytest.raises(ValueError, match=r"length 40.*block 32"):
        mx.quantize(x, mx_type)
    with pytest.raises(ValueError, match=r"length 3.*block 2"):
        mx.quantize(x, mx_type, axis=0, block=2)


@pytest.mark.parametrize("mx_type", ("mxfp8_e4m3", "mxfp4_e2m1", "mxint8"))
def test_large_tensors_across_internal_slices(mx_type):
    """Tensors of many blocks (the fast path works in slices of 2**16 values): block by block equal."""
    rng = np.random.default_rng(17)
    nb = 2 * 2048 + 3  # block 32: more than two slices of 2048 blocks
    x = (rng.standard_normal((nb, 32)) * np.ldexp(1.0, rng.integers(-30, 30, (nb, 1)))).astype(np.float32)
    x[[0, 2047, 2048, 4095, 4096], 5] = [np.nan, np.inf, -np.inf, np.nan, np.inf]
    x[2049] = -0.0
    m = mx.quantize(x, mx_type)
    for r in (0, 1, 2046, 2047, 2048, 2049, 2050, 4095, 4096, nb - 1):
        s, codes = quantize_block(list(x[r]), mx_type)
        assert int(m.scales[r, 0]) == s and m.elements[r].tolist() == codes, r
    # every block equals the same block quantised in a differently aligned piece
    for start in range(0, nb, 1000):
        piece = mx.quantize(x[start:start + 1000], mx_type)
        np.testing.assert_array_equal(piece.scales, m.scales[start:start + 1000])
        np.testing.assert_array_equal(piece.elements, m.elements[start:start + 1000])
    # big blocks along axis 0 of a 2-D array (16 blocks of 4096 per slice)
    y = (rng.standard_normal((4096 * 20, 2)) * np.ldexp(1.0, rng.integers(-8, 8, (4096 * 20, 1)))).astype(np.float32)
    y[4096 * 16 + 7, 1] = np.nan
    m = mx.quantize(y, mx_type, axis=0, block=4096)
    assert m.scales.shape == (20, 2)
    for j, c in ((0, 0), (15, 1), (16, 0), (16, 1), (19, 1)):
        s, codes = quantize_block(list(y[4096 * j:4096 * (j + 1), c]), mx_type)
        assert int(m.scales[j, c]) == s and m.elements[4096 * j:4096 * (j + 1), c].tolist() == codes, (j, c)


# ------------------------------------------------------------------ dequantize
@pytest.mark.parametrize("mx_type", MX_NAMES)
def test_dequantize_every_element_code(mx_type):
    """Every element code under fixed scales, through dequantize, equals the reference exactly."""
    n = 1 << element_bits(mx_type)
    codes = np.arange(n, dtype=np.uint8)
    for scale in (0, 1, 50, 117, 127, 128, 140, 200, 253, 254, 0xFF):
        m = mx.MxArray(mx_type, n, 0, (n,), np.array([scale], np.uint8), codes.copy())
        want = ref_dequantize(m)
        got64 = exact_values(mx.dequantize(m, dtype=np.float64))
        assert all(same_value(g, w) for g, w in zip(got64, want)), scale
        fits = all(w.kind != "finite" or w.magnitude <= F(FP32_MAX) for w in want)
        if fits:
            got32 = mx.dequantize(m, dtype=np.float32)
            assert got32.dtype == np.float32
            assert all(same_value(g, w) for g, w in zip(exact_values(got32), want)), scale
        else:  # documented decision: float32 overflow is an error, not Inf
            with pytest.raises(ValueError, match="float64"):
                mx.dequantize(m, dtype=np.float32)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("mx_type", MX_NAMES)
def test_dequantize_matches_reference(mx_type, kind):
    rng = np.random.default_rng(sum(map(ord, mx_type + kind)) + 1)
    x = _blocks(rng, kind, nb=6)
    for rule in SCALE_RULES:
        m = mx.quantize(x, mx_type, scale_rule=rule)
        want = ref_dequantize(m)
        got = exact_values(mx.dequantize(m, dtype=np.float64))
        assert all(same_value(g, w) for g, w in zip(got, want))


# ------------------------------------------------------------------ properties
def _element_quantum(mx_type: str, p: F) -> F:
    fmt = element_format(mx_type)
    if fmt is None:
        return F(1, 64)
    if p == 0:
        return F(2) ** (fmt.emin - fmt.man_bits)
    e = p.numerator.bit_length() - p.denominator.bit_length()
    if p < F(2) ** e:
        e -= 1
    return F(2) ** (max(e, fmt.emin) - fmt.man_bits)


@pytest.mark.parametrize("rule", SCALE_RULES)
@pytest.mark.parametrize("mx_type", MX_NAMES)
@given(x=hnp.arrays(np.float32, (3, 8), elements=st.floats(width=32, allow_nan=False,
                                                            allow_infinity=False)))
def test_spec_properties(mx_type, rule, x):
    m = mx.quantize(x, mx_type, block=8, scale_rule=rule)
    assert (m.scales <= 254).all()  # finite input: never the NaN scale
    deq = mx.dequantize(m, dtype=np.float64)
    mxv = element_max(mx_type)
    lo = F(2) if mx_type == "mxint8" else mxv  # MXINT8 reaches -2 (k = -128)
    for r in range(3):
        scale = F(2) ** (int(m.scales[r, 0]) - 127)  # a power of two by construction of E8M0
        for i in range(8):
            v, d = F(float(x[r, i])), F(float(deq[r, i]))
            p = d / scale
            assert -lo <= p <= mxv  # no element beyond max normal
            if -lo <= v / scale <= mxv:  # not saturated: within half an element quantum
                assert abs(d - v) <= _element_quantum(mx_type, abs(v) / scale) * scale / 2
            else:
                assert p == (mxv if v > 0 else -lo)
            if rule == "ceil" and int(m.scales[r, 0]) < 254:
                assert abs(v) / scale <= mxv  # ceil: nothing saturates below the top clamp


# ------------------------------------------------------------------ dot, matmul
def _random_mx(rng, mx_type, shape, axis=-1):
    """An MxArray with arbitrary codes (NaN / Inf elements, -0, NaN scales included)."""
    axis %= len(shape)
    nb = shape[axis] // 32
    s_shape = shape[:axis] + (nb,) + shape[axis + 1:]
    scales = rng.integers(0, 256, s_shape).astype(np.uint8)
    # mostly central scales, some extremes and NaN
    pick = rng.random(s_shape)
    scales = np.where(pick < 0.7, rng.integers(110, 145, s_shape), scales).astype(np.uint8)
    scales = np.where(pick > 0.97, np.uint8(0xFF), scales).astype(np.uint8)
    elements = rng.integers(0, 1 << element_bits(mx_type), shape).astype(np.uint8)
    return mx.MxArray(mx_type, 32, axis, tuple(shape), scales, elements)


@pytest.mark.parametrize("mx_b", MX_NAMES)
@pytest.mark.parametrize("mx_a", MX_NAMES)
def test_dot_matches_reference(mx_a, mx_b):
    rng = np.random.default_rng(sum(map(ord, mx_a + mx_b)))
    # quantised gaussian tensors (with one NaN block and one zero block)
    xa = rng.standard_normal((6, 96)).astype(np.float32)
    xb = (rng.standard_normal((6, 96)) * 100).astype(np.float32)
    xa[1, 40] = np.inf
    xb[2, :32] = -0.0
    xa[3, 64:] = 0.0
    a, b = mx.quantize(xa, mx_a), mx.quantize(xb, mx_b)
    # arbitrary codes: NaN / Inf elements (E4M3 0x7F, E5M2 0x7C..), NaN scales, extreme scales
    ra, rb = _random_mx(rng, mx_a, (24, 64)), _random_mx(rng, mx_b, (24, 64))
    for pa, pb in ((a, b), (ra, rb)):
        codes, flags = mx.dot(pa, pb)
        assert codes.dtype == np.uint32 and codes.shape == pa.shape[:-1]
        for r, (blocks_a, blocks_b) in enumerate(zip(ref_blocks(pa), ref_blocks(pb))):
            want = dot_vectors_flags(blocks_a, blocks_b, mx_a, mx_b)
            assert (int(codes[r]), int(flags[r])) == want, (r, blocks_a, blocks_b)


def _negate(codes: np.ndarray, mx_type: str) -> np.ndarray:
    """Element codes of the negated values (MXINT8: two's complement, -128 kept as is)."""
    fmt = element_format(mx_type)
    if fmt is None:
        return ((-codes.view(np.int8).astype(np.int16)) & 0xFF).astype(np.uint8)
    return codes ^ np.uint8(fmt.sign_mask)


@pytest.mark.parametrize("mx_type", MX_NAMES)
def test_dot_hand_cases(mx_type):
    """Rows built to hit overflow, underflow to +-0, cancellation, -0, one rounding over blocks."""
    rng = np.random.default_rng(5)
    a = _random_mx(rng, mx_type, (9, 64))
    b = _random_mx(rng, mx_type, (9, 64))
    a.scales[0] = b.scales[0] = 254  # X_A * X_B = 2**254: overflow to Inf for big elements
    a.scales[1] = b.scales[1] = 0  # 2**-254: underflow to a subnormal or +-0
    a.scales[2] = b.scales[2] = [254, 0]  # far apart scales in one row: exact sum, one rounding
    a.scales[3] = [127, 0xFF]  # a NaN scale in the second block
    a.elements[4] = 0  # all +0 on one side
    b.elements[5] = 0
    a.elements[5] = _negate(np.zeros(64, np.uint8), mx_type)  # -0 x +0: every product -0 (MXINT8: +0)
    # cancellation: a = (p, p, ...), b = (q, -q, ...) pairwise; finite codes only
    fin_a = _finite_codes(mx_type)
    p = rng.choice(fin_a, 32)
    q = rng.choice(fin_a, 32)
    a.elements[6] = np.repeat(p, 2)
    b.elements[6, 0::2], b.elements[6, 1::2] = q, _negate(q, mx_type)
    a.scales[6], b.scales[6] = [127, 140], [100, 127]
    # the same with one extra term: the sum is that term alone, exactly
    a.elements[7], b.elements[7] = a.elements[6], b.elements[6]
    a.scales[7], b.scales[7] = a.scales[6], b.scales[6]
    b.elements[7, 63] = a.elements[7, 63]
    codes, flags = mx.dot(a, b)
    for r, (ba, bb) in enumerate(zip(ref_blocks(a), ref_blocks(b))):
        assert (int(codes[r]), int(flags[r])) == dot_vectors_flags(ba, bb, mx_type, mx_type), r
    assert int(codes[6]) == 0  # an exact cancellation is +0


def _finite_codes(mx_type: str) -> np.ndarray:
    """Element codes whose value is finite, and whose negation is too (MXINT8: not -128)."""
    n = 1 << element_bits(mx_type)
    keep = []
    for c in range(n):
        (v,) = dequantize_block(127, [c], mx_type)
        if v.kind == "finite" and not (mx_type == "mxint8" and c == 0x80):
            keep.append(c)
    return np.array(keep, np.uint8)


@pytest.mark.parametrize("mx_type", ("mxfp8_e4m3", "mxfp8_e5m2", "mxfp4_e2m1", "mxint8"))
def test_matmul_matches_reference(mx_type):
    rng = np.random.default_rng(13)
    A = (rng.standard_normal((5, 64)) * np.ldexp(1.0, rng.integers(-10, 10, (5, 1)))).astype(np.float32)
    B = rng.standard_normal((64, 4)).astype(np.float32)
    B[3, 2] = np.nan
    A[4, 33] = -np.inf
    qa, qb = mx.quantize(A, mx_type, axis=1), mx.quantize(B, mx_type, axis=0)
    codes, flags = mx.matmul(qa, qb)
    assert codes.shape == (5, 4) and codes.dtype == np.uint32
    ra = ref_blocks(qa)
    bt = mx.MxArray(mx_type, 32, 1, (4, 64), np.ascontiguousarray(qb.scales.T),
                    np.ascontiguousarray(qb.elements.T))
    rb = ref_blocks(bt)
    for i in range(5):
        for j in range(4):
            assert (int(codes[i, j]), int(flags[i, j])) == dot_vectors_flags(ra[i], rb[j], mx_type, mx_type)
    # and matmul equals dot of the matching rows
    for i in range(5):
        rows = mx.MxArray(mx_type, 32, 1, (4, 64), np.repeat(qa.scales[i:i + 1], 4, 0),
                          np.repeat(qa.elements[i:i + 1], 4, 0))
        d_codes, d_flags = mx.dot(rows, bt)
        np.testing.assert_array_equal(d_codes, codes[i])
        np.testing.assert_array_equal(d_flags, flags[i])


def _lane_against_oracle(ta: str, tb: str, ca: np.ndarray, cb: np.ndarray, sa: int, sb: int) -> np.ndarray:
    """mx.dot of one-element blocks (codes ca, cb; scale codes sa, sb) equals the oracle pair by pair; its flags."""
    n = ca.size
    a = mx.MxArray(ta, 1, 1, (n, 1), np.full((n, 1), sa, np.uint8), ca.astype(np.uint8)[:, None])
    b = mx.MxArray(tb, 1, 1, (n, 1), np.full((n, 1), sb, np.uint8), cb.astype(np.uint8)[:, None])
    codes, flags = mx.dot(a, b)
    want = np.array([dot_vectors_flags([(sa, [int(x)])], [(sb, [int(y)])], ta, tb) for x, y in zip(ca, cb)])
    np.testing.assert_array_equal(codes, want[:, 0].astype(np.uint32), err_msg=f"{ta} x {tb}, scales {sa}, {sb}")
    np.testing.assert_array_equal(flags, want[:, 1].astype(np.uint8), err_msg=f"{ta} x {tb}, scales {sa}, {sb}")
    return flags


@pytest.mark.parametrize("sa, sb", [(127, 127), (0xFF, 3)])
def test_dot_every_e5m2_lane_pair(sa, sb):
    """Every E5M2 x E5M2 code pair in one lane against the oracle: a signalling NaN (0x7D, 0xFD) on
    either side raises NV, also under a NaN scale; nothing else with a NaN does."""
    pairs = np.arange(1 << 16)
    a, b = pairs >> 8, pairs & 0xFF
    flags = _lane_against_oracle("mxfp8_e5m2", "mxfp8_e5m2", a, b, sa, sb)
    snan = np.isin(a, (0x7D, 0xFD)) | np.isin(b, (0x7D, 0xFD))
    assert (flags[snan] == 16).all()


@pytest.mark.parametrize("other", ("mxfp8_e4m3", "mxfp6_e3m2", "mxint8"))
def test_dot_e5m2_specials_against_other_types(other):
    """E5M2 zeros, ones, max, Inf and every NaN against every code of another type, both orders."""
    e5 = np.array([0x00, 0x3C, 0x7B, 0x7C, 0x7D, 0x7E, 0x7F])
    e5 = np.concatenate([e5, e5 | 0x80])
    others = np.arange(1 << element_bits(other))
    ca, cb = np.repeat(e5, others.size), np.tile(others, e5.size)
    for sa, sb in ((127, 127), (0xFF, 127), (200, 3)):
        flags = _lane_against_oracle("mxfp8_e5m2", other, ca, cb, sa, sb)
        assert (flags[np.isin(ca, (0x7D, 0xFD))] == 16).all()
        _lane_against_oracle(other, "mxfp8_e5m2", cb, ca, sb, sa)


def test_matmul_signalling_nan_element():
    """One E5M2 signalling NaN in A poisons its row with NV; one in B its column."""
    rng = np.random.default_rng(3)
    qa = mx.quantize(rng.standard_normal((3, 64)).astype(np.float32), "mxfp8_e5m2", axis=1)
    qb = mx.quantize(rng.standard_normal((64, 2)).astype(np.float32), "mxfp8_e5m2", axis=0)
    qa.elements[1, 40] = 0xFD
    qb.elements[5, 0] = 0x7D
    codes, flags = mx.matmul(qa, qb)
    nv = (flags & 16) != 0
    np.testing.assert_array_equal(nv, [[True, False], [True, True], [True, False]])
    assert (codes[nv] == 0x7FC00000).all()


# ------------------------------------------------------------------- storage
@pytest.mark.parametrize("mx_type", MX_NAMES)
@pytest.mark.parametrize("shape, axis, block", [((64,), 0, 32), ((3, 64), -1, 32), ((64, 3), 0, 32),
                                                 ((2, 5, 7), 1, 5), ((4, 6), 1, 3), ((1,), 0, 1)])
def test_bytes_round_trip(mx_type, shape, axis, block):
    rng = np.random.default_rng(len(shape) * 31 + block)
    x = rng.standard_normal(shape).astype(np.float32)
    m = mx.quantize(x, mx_type, axis=axis, block=block)
    data = m.to_bytes()
    assert isinstance(data, bytes)
    assert len(data) == m.scales.size + math.ceil(m.elements.size * element_bits(mx_type) / 8)
    back = mx.MxArray.from_bytes(data, mx_type, shape, axis=axis, block=block)
    np.testing.assert_array_equal(back.scales, m.scales)
    np.testing.assert_array_equal(back.elements, m.elements)
    assert back.scales.dtype == np.uint8 and back.elements.dtype == np.uint8
    assert (back.shape, back.axis, back.block, back.mx_type) == (m.shape, m.axis, m.block, m.mx_type)
    # every code survives packing: all element codes in one tensor
    n = 1 << element_bits(mx_type)
    allc = mx.MxArray(mx_type, n, 0, (n,), np.array([0x7F], np.uint8), np.arange(n, dtype=np.uint8))
    again = mx.MxArray.from_bytes(allc.to_bytes(), mx_type, (n,), axis=0, block=n)
    np.testing.assert_array_equal(again.elements, allc.elements)
    with pytest.raises(ValueError, match="bytes"):
        mx.MxArray.from_bytes(data + b"\0", mx_type, shape, axis=axis, block=block)


def test_packed_bit_order():
    # docs/mx.md: least significant bits first. FP4: element 0 in the low nibble.
    m = mx.MxArray.from_bytes(bytes([127, 0x21, 0x43]), "mxfp4_e2m1", (4,), block=4)
    assert m.elements.tolist() == [1, 2, 3, 4]
    # FP6: four elements in three bytes: 1 | 2 << 6 | 3 << 12 | 0x3F << 18 = 0xFC3081, little endian
    m = mx.MxArray.from_bytes(bytes([127, 0x81, 0x30, 0xFC]), "mxfp6_e2m3", (4,), block=4)
    assert m.elements.tolist() == [1, 2, 3, 0x3F]
    assert m.to_bytes() == bytes([127, 0x81, 0x30, 0xFC])
    # an odd FP4 count: the last nibble is padding (zero bits)
    m = mx.MxArray(("mxfp4_e2m1"), 3, 0, (3,), np.array([1], np.uint8), np.array([0xF, 0x1, 0x9], np.uint8))
    assert m.to_bytes() == bytes([1, 0x1F, 0x09])


# ---------------------------------------------------------------------- errors
def test_errors():
    x = np.ones((2, 32), np.float32)
    with pytest.raises(ValueError, match=r"mxfp9.*mxfp8_e4m3.*mxfp8_e5m2.*mxfp6_e3m2.*mxfp6_e2m3.*mxfp4_e2m1.*mxint8"):
        mx.quantize(x, "mxfp9")
    with pytest.raises(ValueError, match="axis 2"):
        mx.quantize(x, "mxint8", axis=2)
    with pytest.raises(ValueError, match="axis -3"):
        mx.quantize(x, "mxint8", axis=-3)
    with pytest.raises(ValueError, match=r"block must be in 1\.\.\.65536.*got"):
        mx.quantize(x, "mxint8", block=0)
    with pytest.raises(ValueError, match=r"block must be in 1\.\.\.65536.*got"):
        mx.quantize(x, "mxint8", block=-4)
    with pytest.raises(ValueError, match="scale_rule 'floor'.*ocp, ceil"):
        mx.quantize(x, "mxint8", scale_rule="floor")
    with pytest.raises(ValueError, match="mxfp8_e4m3"):
        mx.MxArray.from_bytes(b"", "fp8", (32,))
    a = mx.quantize(x, "mxint8")
    b = mx.quantize(np.ones((2, 64), np.float32), "mxint8")
    with pytest.raises(ValueError):
        mx.dot(a, b)
    with pytest.raises(ValueError):
        mx.matmul(a, mx.quantize(np.ones((2, 32), np.float32), "mxint8", axis=1))
