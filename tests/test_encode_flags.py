"""``encode(..., return_flags=True)``: the IEEE flags of every conversion, against the exact oracle.

The definitions are in docs/formats.md, "Flags of encode"; the oracle
(``encode_exact(..., return_flags=True)``) computes them independently from
Fractions.  Codes must be those of ``encode`` without flags.
"""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

from refmodel import Format, encode, get_format, registered_formats
from refmodel.boundaries import boundary_values
from refmodel.codec import random_integers
from refmodel.encodings import Flag, RoundingMode
from refmodel.oracle.codec import OracleValue, encode_exact, is_signalling_nan

from conftest import slow_scale

NV, OF, UF, NX = int(Flag.NV), int(Flag.OF), int(Flag.UF), int(Flag.NX)
NARROW = [f for f in registered_formats() if f.bits <= 8]
MODES = [m.label for m in RoundingMode if m is not RoundingMode.SR]
ids = lambda f: f.name  # noqa: E731

F16_ALL = np.arange(1 << 16, dtype=np.uint16).view(np.float16)


def _bits(dtype, *words):
    """An array of ``dtype`` holding the given bit patterns."""
    dtype = np.dtype(dtype)
    return np.array(words, f"u{dtype.itemsize}").view(dtype)


def _oracle(values, fmt, mode, sat, rand=None, sr_bits=None, **kw):
    """Codes and flags of the oracle for each scalar of ``values`` (rand per element for sr)."""
    out = []
    for i, v in enumerate(values):
        if mode == "sr":
            kw.update(sr_bits=sr_bits, rand=int(rand[i]))
        out.append(encode_exact(v, fmt, mode, saturate=sat, return_flags=True, **kw))
    codes, flags = zip(*out) if out else ((), ())
    return np.array(codes, np.int64), np.array(flags, np.int64)


def _check(x, fmt, mode="rne", sat=False, **kw):
    """encode's codes and flags equal the oracle's, and the codes equal encode without flags."""
    fmt = get_format(fmt)
    codes, flags = encode(x, fmt, rounding=mode, saturate=sat, return_flags=True, **kw)
    assert flags.dtype == np.uint8 and flags.shape == codes.shape == np.shape(x)
    assert_array_equal(codes, encode(x, fmt, rounding=mode, saturate=sat, **kw), err_msg=mode)
    if mode == "sr":
        kw = {"rand": np.broadcast_to(kw["rand"], np.shape(x)).reshape(-1), "sr_bits": kw["sr_bits"]}
    want_codes, want_flags = _oracle(np.asarray(x).reshape(-1), fmt, mode, sat, **kw)
    assert_array_equal(codes.reshape(-1), want_codes, err_msg=f"{fmt.name} {mode} sat={sat} codes")
    assert_array_equal(flags.reshape(-1), want_flags, err_msg=f"{fmt.name} {mode} sat={sat} flags")


def _without_nan_if_none(x, fmt):
    return x if fmt.has_nan else x[~np.isnan(x)]


# ------------------------------------------------------------------------------ hand-checked rows
F32_SNAN, F32_QNAN = _bits(np.float32, 0x7F800001)[0], _bits(np.float32, 0x7FC00000)[0]
MIN_NORMAL_TIE = 0.9375 * 2.0**-6  # 7.5 e4m3fn subnormal quanta: rne delivers 2**-6, unbounded it is 1.875 * 2**-7

HAND = [
    # (input scalar array, format, mode, saturate, code, flags)
    (np.float32(464.0), "float8_e4m3fn", "rne", False, 0x7E, NX),  # the tie rounds down to 448
    (np.float32(480.0), "float8_e4m3fn", "rne", False, 0x7F, OF | NX),  # NaN: e4m3fn has no Inf
    (np.float32(480.0), "float8_e4m3fn", "rne", True, 0x7E, OF | NX),
    (np.float32(480.0), "float8_e4m3fn", "rtz", False, 0x7E, OF | NX),  # 480 is on the unbounded grid
    (np.float32(449.0), "float8_e4m3fn", "rtz", False, 0x7E, NX),  # rounds to 448 itself: no OF
    (np.float32(448.0), "float8_e4m3fn", "rne", False, 0x7E, 0),
    (np.float32(-1e6), "float8_e4m3fn", "rdn", False, 0xFF, OF | NX),
    (np.float32(-1e6), "float8_e4m3fn", "rup", False, 0xFE, OF | NX),
    (np.float32(61440.0), "float8_e5m2", "rne", False, 0x7C, OF | NX),  # tie to even: Inf
    (np.float32(61440.0), "float8_e5m2", "rne", True, 0x7B, OF | NX),
    (np.float32(1e6), "float4_e2m1fn", "rne", False, 0x7, OF | NX),  # no Inf/NaN: always max
    (F32_SNAN, "float8_e5m2", "rne", False, 0x7E, NV),
    (F32_QNAN, "float8_e5m2", "rne", False, 0x7E, 0),
    (_bits(np.float32, 0xFF800001)[0], "float8_e4m3fn", "rtz", True, 0xFF, NV),
    (_bits(np.float16, 0x7C01)[0], "float8_e4m3fn", "rne", False, 0x7F, NV),
    (_bits(np.float16, 0x7E00)[0], "float8_e4m3fn", "rne", False, 0x7F, 0),
    (_bits(np.float64, 0x7FF0000000000001)[0], "float8_e5m2", "rne", False, 0x7E, NV),
    (_bits(np.float64, 0x7FF8000000000000)[0], "float8_e5m2", "rne", False, 0x7E, 0),
    (_bits(ml_dtypes.bfloat16, 0x7F81)[0], "float8_e4m3fnuz", "rne", False, 0x80, NV),
    (_bits(ml_dtypes.float8_e5m2, 0x7D)[0], "float8_e4m3fn", "rne", False, 0x7F, NV),  # e5m2's own sNaN
    (_bits(ml_dtypes.float8_e5m2, 0x7E)[0], "float8_e4m3fn", "rne", False, 0x7F, 0),
    (_bits(np.float32, 0x7F800001)[0], "float8_e8m0fnu", "rne", False, 0xFF, NV),
    (np.float32(2.0**-10), "float8_e4m3fn", "rne", False, 0x00, UF | NX),  # half the min subnormal
    (np.float32(2.0**-9), "float8_e4m3fn", "rne", False, 0x01, 0),  # tiny but exact: no UF
    (np.float32(-(2.0**-12)), "float8_e4m3fn", "rne", False, 0x80, UF | NX),  # -0
    (np.float32(-(2.0**-12)), "float8_e4m3fnuz", "rne", False, 0x00, UF | NX),  # fnuz: +0
    (np.float32(MIN_NORMAL_TIE), "float8_e4m3fn", "rne", False, 0x08, UF | NX),  # min normal delivered, tiny
    (np.float32(MIN_NORMAL_TIE), "float8_e4m3fn", "rtz", False, 0x07, UF | NX),
    (np.float32(0.96875 * 2.0**-6), "float8_e4m3fn", "rne", False, 0x08, NX),  # rounds to 2**-6 unbounded too
    (np.float32(0.96875 * 2.0**-6), "float8_e4m3fn", "rtz", False, 0x07, UF | NX),
    (np.float32(np.inf), "float8_e5m2", "rne", False, 0x7C, 0),
    (np.float32(np.inf), "float8_e5m2", "rne", True, 0x7B, NX),  # saturated: differs from the input
    (np.float32(-np.inf), "float8_e5m2", "rtz", True, 0xFB, NX),
    (np.float32(np.inf), "float8_e4m3fn", "rne", False, 0x7F, NV),  # no Inf: NaN
    (np.float32(-np.inf), "float8_e4m3fn", "rne", True, 0xFE, NV),  # no Inf: max finite, NV too
    (np.float32(np.inf), "float8_e4m3fnuz", "rne", False, 0x80, NV),
    (np.float32(-np.inf), "float4_e2m1fn", "rne", False, 0xF, NV),  # no Inf, no NaN: max finite
    (np.float32(-1.0), "float8_e5m3fnu", "rne", False, 0xFF, NV),
    (np.float32(-(2.0**-30)), "float8_e5m3fnu", "rtz", False, 0xFF, NV),  # negative, even if it would be 0
    (np.float32(-0.0), "float8_e5m3fnu", "rne", False, 0x00, 0),  # -0 is +0: exact
    (np.float32(np.inf), "float8_e5m3fnu", "rne", True, 0xFE, NV),
    (np.float32(-np.inf), "float8_e5m3fnu", "rne", True, 0xFF, NV),
    (np.float32(0.0), "float8_e8m0fnu", "rne", False, 0xFF, NV),  # no zero
    (np.float32(-2.0), "float8_e8m0fnu", "rne", False, 0xFF, NV),
    (np.float32(2.0**-130), "float8_e8m0fnu", "rne", False, 0x00, UF | NX),  # below 2**-127
    (np.float32(0.9 * 2.0**-127), "float8_e8m0fnu", "rup", False, 0x00, UF | NX),  # judged on the value
    (np.float32(3.0), "float8_e8m0fnu", "rne", False, 0x81, NX),  # tie up (ml_dtypes)
    (np.float32(1.5 * 2.0**127), "float8_e8m0fnu", "rne", False, 0xFF, OF | NX),
    (np.float32(1.5 * 2.0**127), "float8_e8m0fnu", "rne", True, 0xFE, OF | NX),
    (np.float32(np.inf), "float8_e8m0fnu", "rne", True, 0xFE, NV),
    (np.float32(-0.0), "float8_e4m3fnuz", "rne", False, 0x00, 0),
    (np.int64(17), "float8_e4m3fn", "rne", False, 0x58, NX),  # tie 16 | 18: even 16
    (np.int64(1000), "float8_e4m3fn", "rne", False, 0x7F, OF | NX),
    (np.int64(-3), "float8_e8m0fnu", "rne", False, 0xFF, NV),
    (np.int64(0), "float8_e8m0fnu", "rne", False, 0xFF, NV),
    (np.int64(-3), "float8_e5m3fnu", "rne", False, 0xFF, NV),
    (np.int64(2**53 + 1), "float32", "rup", False, 0x5A000001, NX),
    (np.uint64(2**64 - 1), "float32", "rtz", False, 0x5F7FFFFF, NX),
    (np.int64(1 << 40), "float32", "rne", False, 0x53800000, 0),
]


@pytest.mark.parametrize("x, fmt, mode, sat, code, flags", HAND, ids=[f"{r[1]}-{r[2]}-{i}" for i, r in enumerate(HAND)])
def test_hand_checked_rows(x, fmt, mode, sat, code, flags):
    got = encode(np.array([x]), fmt, rounding=mode, saturate=sat, return_flags=True)
    assert (hex(got[0].item()), int(got[1].item())) == (hex(code), flags)
    scalar = int(x) if isinstance(x, np.integer) else x
    assert encode_exact(scalar, fmt, mode, saturate=sat, return_flags=True) == (code, flags)


SR_HAND = [
    # (value, sr_bits, rand, code, flags): e4m3fn
    (1.03125, 2, 3, 0x39, NX),  # t = 1 of 4: away iff r = 3
    (1.03125, 2, 2, 0x38, NX),
    (1.125, 2, 3, 0x39, 0),  # exact: no draw changes it
    (2.0**-10, 1, 1, 0x01, UF | NX),  # delivered min subnormal: tiny
    (2.0**-10, 1, 0, 0x00, UF | NX),
    (MIN_NORMAL_TIE, 1, 1, 0x08, NX),  # sr judges the delivered value: min normal, not tiny
    (MIN_NORMAL_TIE, 1, 0, 0x07, UF | NX),
    (470.0, 4, 15, 0x7F, OF | NX),  # overflow after sr as rne: NaN
    (470.0, 4, 0, 0x7E, NX),
]


@pytest.mark.parametrize("value, sr_bits, r, code, flags", SR_HAND)
def test_hand_checked_sr_rows(value, sr_bits, r, code, flags):
    x = np.array([value], np.float32)
    got = encode(x, "float8_e4m3fn", rounding="sr", sr_bits=sr_bits, rand=[r], return_flags=True)
    assert (hex(got[0].item()), int(got[1].item())) == (hex(code), flags)
    assert encode_exact(value, "float8_e4m3fn", "sr", sr_bits=sr_bits, rand=r, return_flags=True) == (code, flags)


# ------------------------------------------------------------------------------ API
def test_shapes_dtype_and_default():
    x = np.array([[1.0, 480.0], [2.0**-10, np.inf]], np.float32)
    codes, flags = encode(x, "float8_e4m3fn", return_flags=True)
    assert codes.shape == flags.shape == (2, 2) and flags.dtype == np.uint8
    assert flags.tolist() == [[0, OF | NX], [UF | NX, NV]]
    assert isinstance(encode(x, "float8_e4m3fn"), np.ndarray)  # default: codes only
    c0, f0 = encode(np.float32(480.0), "float8_e4m3fn", return_flags=True)
    assert (c0.shape, f0.shape, int(f0)) == ((), (), OF | NX)
    ce, fe = encode(np.zeros((0, 3), np.float16), "float8_e5m2", return_flags=True)
    assert ce.shape == fe.shape == (0, 3)
    ci, fi = encode(np.array([[1, 17]], np.int32), "float8_e4m3fn", return_flags=True)
    assert ci.shape == fi.shape == (1, 2) and fi.tolist() == [[0, NX]]


@pytest.mark.parametrize("bad", ["yes", 2, None, 0.5])
def test_return_flags_must_be_a_bool(bad):
    with pytest.raises(ValueError, match=rf"return_flags must be a bool.*got {bad!r}"):
        encode(np.ones(2), "float8_e4m3fn", return_flags=bad)


def test_nan_into_a_format_without_nan_is_still_refused():
    with pytest.raises(ValueError, match=r"NaN at index \(1,\) cannot be encoded in float4_e2m1fn"):
        encode(np.array([1.0, np.nan]), "float4_e2m1fn", return_flags=True)


def test_flags_of_large_arrays_keep_the_table_codes():
    """65,536 float16 inputs take the table paths without flags; with flags the codes are the same."""
    for fmt in NARROW:
        x = _without_nan_if_none(F16_ALL, fmt)
        for mode in MODES:
            codes, flags = encode(x, fmt, rounding=mode, return_flags=True)
            assert_array_equal(codes, encode(x, fmt, rounding=mode), err_msg=f"{fmt.name} {mode}")
            nv = (flags & NV) != 0
            assert (flags[nv] == NV).all()  # NV alone
            assert ((flags[~nv] & (OF | UF)) == 0)[(flags[~nv] & NX) == 0].all()  # OF, UF only with NX
            assert not (flags & int(Flag.DZ)).any()


# ------------------------------------------------------------------------------ every float16 input
def _boundary_inputs(fmt: Format, dtype, specials: list[int]) -> np.ndarray:
    """Inputs of ``dtype`` around every rounding boundary of ``fmt`` (refmodel.boundaries: the values,
    midpoints, overflow threshold, half and a quarter of the min subnormal, with their float32 neighbours)
    cast to ``dtype`` with their ``dtype`` neighbours, and the bit patterns ``specials`` (NaNs: no NaN
    if ``fmt`` has none)."""
    inf = np.array(np.inf, dtype)
    with np.errstate(over="ignore"):
        x = boundary_values(fmt).astype(dtype)
        x = np.concatenate([x, np.nextafter(x, inf), np.nextafter(x, -inf), _bits(dtype, *specials)])
    words = np.unique(x.view(f"u{np.dtype(dtype).itemsize}"))
    return _without_nan_if_none(words.view(dtype), fmt)


F16_SPECIALS = [0x0001, 0x8001, 0x03FF, 0x0400, 0x7BFF, 0xFBFF, 0x7C00, 0xFC00, 0x7C01, 0xFC01, 0x7DFF, 0x7E00, 0xFE00,
                0x7FFF, 0x0000, 0x8000]
F32_SPECIALS = [0x7F800001, 0xFF800001, 0x7FBFFFFF, 0x7FC00000, 0xFFC00000, 0x00000001, 0x80000001]


@pytest.mark.parametrize("fmt", NARROW, ids=ids)
def test_float16_boundaries_every_mode(fmt):
    x = _boundary_inputs(fmt, np.float16, F16_SPECIALS)
    for mode in MODES:
        for sat in (False, True):
            _check(x, fmt, mode, sat)


def _exhaustive_cases():
    modes = MODES if slow_scale() == "full" else ["rne", "rup"]
    return [(f, m, s) for f in NARROW for m in modes for s in (False, True)]


@pytest.mark.slow
@pytest.mark.parametrize("fmt, mode, sat", _exhaustive_cases(), ids=lambda v: getattr(v, "name", str(v)))
def test_every_float16_input_against_the_oracle(fmt, mode, sat):
    """All 65,536 float16 bit patterns (sNaN, qNaN, Inf, subnormals) in every mode, both saturations
    (FP8KIT_SLOW=full; bounded: rne and rup)."""
    _check(_without_nan_if_none(F16_ALL, fmt), fmt, mode, sat)


# ------------------------------------------------------------------------------ float32 inputs
@pytest.mark.parametrize("fmt", NARROW, ids=ids)
def test_float32_boundaries_every_mode(fmt):
    x = _boundary_inputs(fmt, np.float32, F32_SPECIALS)
    for mode in MODES:
        _check(x, fmt, mode, mode in ("rne", "rtz", "rup"))
    _check(x, fmt, "rne", False)


@pytest.mark.parametrize("fmt", NARROW, ids=ids)
def test_float32_boundaries_sr_with_rand_words(fmt):
    x = _boundary_inputs(fmt, np.float32, F32_SPECIALS)
    gen = np.random.default_rng(fmt.bits * 1000 + fmt.man_bits)
    for sr_bits in (1, 3, 8):
        rand = gen.integers(0, 1 << sr_bits, x.size)
        for sat in (False, True):
            _check(x, fmt, "sr", sat, sr_bits=sr_bits, rand=rand)


def test_sr_with_rng_gives_the_flags_of_its_draw():
    x = np.linspace(-500.0, 500.0, 5001).astype(np.float32)
    x[::7] *= 2.0**-20  # tiny values too
    for fmt in ("float8_e4m3fn", "float8_e5m2", "float4_e2m1fn"):
        drawn = random_integers(None, np.random.default_rng(5), x.shape, 12)
        got = encode(x, fmt, rounding="sr", sr_bits=12, rng=np.random.default_rng(5), return_flags=True)
        want = encode(x, fmt, rounding="sr", sr_bits=12, rand=drawn, return_flags=True)
        assert_array_equal(got[0], want[0])
        assert_array_equal(got[1], want[1])
        assert_array_equal(got[0], encode(x, fmt, rounding="sr", sr_bits=12, rand=drawn))  # the table path
        _check(x[:600], fmt, "sr", False, sr_bits=12, rand=drawn[:600])


@given(
    fmt=st.sampled_from(NARROW),
    words=st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=8),
    mode=st.sampled_from(MODES + ["sr"]),
    sat=st.booleans(),
    r=st.integers(0, 2**5 - 1),
)
def test_hypothesis_float32_bits(fmt, words, mode, sat, r):
    x = _without_nan_if_none(np.array(words, np.uint32).view(np.float32), fmt)
    kw = {"sr_bits": 5, "rand": r} if mode == "sr" else {}
    _check(x, fmt, mode, sat, **kw)


@given(
    fmt=st.sampled_from(NARROW + [Format.custom(5, 7), Format.custom(4, 0, specials="fn")]),
    value=st.floats(allow_nan=False, width=64),
    mode=st.sampled_from(MODES),
    sat=st.booleans(),
)
def test_hypothesis_float64(fmt, value, mode, sat):
    _check(np.array([value]), fmt, mode, sat)


# ------------------------------------------------------------------------------ integer inputs
INT_TARGETS = NARROW + [f for f in registered_formats() if f.bits >= 16]


@given(
    values=st.lists(st.integers(-(2**63), 2**63 - 1), min_size=1, max_size=6),
    fmt=st.sampled_from(INT_TARGETS),
    mode=st.sampled_from(MODES + ["sr"]),
    sat=st.booleans(),
    r=st.integers(0, 2**12 - 1),
)
def test_hypothesis_int64(values, fmt, mode, sat, r):
    kw = {"sr_bits": 12, "rand": r} if mode == "sr" else {}
    codes, flags = encode(np.array(values, np.int64), fmt, rounding=mode, saturate=sat, return_flags=True, **kw)
    for v, c, f in zip(values, codes.tolist(), flags.tolist()):
        assert (c, f) == encode_exact(v, fmt, mode, saturate=sat, return_flags=True, **kw), v


@pytest.mark.parametrize("fmt", INT_TARGETS, ids=ids)
def test_small_integers_every_mode(fmt):
    x = np.arange(-600, 601, dtype=np.int16)
    for mode in MODES:
        for sat in (False, True):
            codes, flags = encode(x, fmt, rounding=mode, saturate=sat, return_flags=True)
            want = [encode_exact(int(v), fmt, mode, saturate=sat, return_flags=True) for v in x]
            assert [(int(c), int(f)) for c, f in zip(codes, flags)] == want, (mode, sat)


# ------------------------------------------------------------------------------ formats without mantissa bits
@pytest.mark.parametrize("rule", ["ml_dtypes", "even", "up"])
def test_mantissa_free_formats_tininess_in_every_tie_rule(rule):
    """E4M0 (fn): the tie 1.5 * 2**(emin - 1) is tiny under "even" (its exponent field, 0, is even)."""
    fmt = Format.custom(4, 0, specials="fn")
    x = boundary_values(fmt)
    _check(x, fmt, "rne", False, e8m0_rule=rule)
    _check(boundary_values(Format.custom(4, 0, specials="scale")), Format.custom(4, 0, specials="scale"), "rne",
           True, e8m0_rule=rule)
    tie = np.array([1.5 * 2.0 ** (fmt.emin - 1)])
    want = {"ml_dtypes": NX, "even": UF | NX, "up": NX}[rule]
    assert encode(tie, fmt, e8m0_rule=rule, return_flags=True)[1].tolist() == [want]


# ------------------------------------------------------------------------------ the oracle's sNaN reading
def test_oracle_reads_signalling_nans_from_the_scalars_bits():
    assert is_signalling_nan(_bits(np.float16, 0x7D00)[0]) and not is_signalling_nan(_bits(np.float16, 0x7E00)[0])
    assert is_signalling_nan(_bits(np.float64, 0xFFF0000000000001)[0])
    assert is_signalling_nan(_bits(ml_dtypes.float8_e5m2, 0xFD)[0])
    assert not is_signalling_nan(_bits(ml_dtypes.float8_e4m3fn, 0x7F)[0])  # fn: one quiet NaN
    assert not is_signalling_nan(np.float32(np.inf)) and not is_signalling_nan(1.0) and not is_signalling_nan(3)
    assert not is_signalling_nan(float("nan"))
    # an OracleValue NaN carries no bits: quiet
    assert encode_exact(OracleValue(False, "nan", 0), "float8_e5m2", return_flags=True) == (0x7E, 0)
