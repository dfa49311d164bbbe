"""Stochastic rounding: bit-exact for given random words, exact probabilities, unbiased."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

from refmodel import Format, decode, encode, get_format
from refmodel.boundaries import boundary_values
from refmodel.oracle.codec import encode_exact

SR_FORMATS = [get_format(n) for n in ("float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float6_e2m3fn",
                                      "float4_e2m1fn", "float8_e8m0fnu", "bfloat16", "float16")]
SR_FORMATS.append(Format.custom(5, 7))
ids = lambda f: f.name  # noqa: E731


@pytest.mark.parametrize("fmt", SR_FORMATS, ids=ids)
@pytest.mark.parametrize("sr_bits", [1, 4, 13, 32])
def test_sr_matches_oracle_for_given_random_words(fmt, sr_bits):
    x = boundary_values(fmt, include_specials=fmt.has_nan)
    if fmt.bits > 8:
        x = x[:: max(1, x.size // 3000)]
    rng = np.random.default_rng(sr_bits)
    for draw in range(2):
        r = rng.integers(0, 1 << sr_bits, x.size, dtype=np.uint64)
        if draw:  # the extreme words
            r[::2] = 0
            r[1::2] = (1 << sr_bits) - 1
        want = [encode_exact(float(v), fmt, "sr", sr_bits=sr_bits, rand=int(k)) for v, k in zip(x, r)]
        assert_array_equal(encode(x, fmt, rounding="sr", sr_bits=sr_bits, rand=r), want)
        with np.errstate(over="ignore"):
            x32 = x.astype(np.float32)
        same = x32.astype(np.float64) == x
        assert_array_equal(
            encode(x32[same], fmt, rounding="sr", sr_bits=sr_bits, rand=r[same]), np.array(want)[same]
        )


@given(
    fmt=st.sampled_from(SR_FORMATS),
    value=st.floats(allow_nan=False, allow_infinity=False, width=32),
    sr_bits=st.integers(1, 32),
    data=st.data(),
)
def test_hypothesis_sr_matches_oracle(fmt, value, sr_bits, data):
    if fmt.name == "float8_e8m0fnu" and value <= 0:
        value = abs(value) + 1.0
    r = data.draw(st.integers(0, (1 << sr_bits) - 1))
    for size in (4, 4096):  # the general path and the float32 fast path
        x = np.full(size, value, np.float32)
        got = encode(x, fmt, rounding="sr", sr_bits=sr_bits, rand=np.full(size, r, np.uint64))
        assert got.tolist() == [encode_exact(float(value), fmt, "sr", sr_bits=sr_bits, rand=r)] * size


@pytest.mark.parametrize("fmt_name", ["float8_e4m3fn", "float8_e5m2", "float4_e2m1fn"])
@pytest.mark.parametrize("sr_bits", [1, 2, 3, 5, 8])
def test_probability_of_rounding_away_is_exactly_t_over_2r(fmt_name, sr_bits):
    """For every t in [0, 2**R): exactly t of the 2**R random words round away.

    Misaligned random bits (oneDNN #2903, 'almost always rounds down') fail this
    for every t, not just on average.
    """
    fmt = get_format(fmt_name)
    n = 1 << sr_bits
    lo_code = 0x31 if fmt.bits == 8 else 0x2  # a normal value with room above it
    lo, hi = decode(np.array([lo_code, lo_code + 1]), fmt, np.float64)
    quantum = hi - lo
    for t in range(n):
        for extra in (0.0, 0.5):  # bits below the R-bit window must not matter
            v = lo + quantum * (t + extra) / n
            codes = encode(np.full(n, v), fmt, rounding="sr", sr_bits=sr_bits, rand=np.arange(n))
            assert set(codes.tolist()) <= {lo_code, lo_code + 1}
            assert int((codes == lo_code + 1).sum()) == t, (t, extra)
            # and the away words are exactly the top t ones: t + r >= 2**R
            assert_array_equal(codes == lo_code + 1, np.arange(n) >= n - t)


@pytest.mark.parametrize("fmt_name", ["float8_e4m3fn", "float8_e5m2", "bfloat16"])
def test_representable_values_never_change_under_sr(fmt_name):
    fmt = get_format(fmt_name)
    codes = np.arange(fmt.code_count)
    values = decode(codes, fmt, np.float64)
    finite = np.isfinite(values)
    codes, values = codes[finite], values[finite]
    if fmt.bits > 8:
        codes, values = codes[::61], values[::61]
    for sr_bits in (1, 8):
        for r in range(1 << sr_bits):
            got = encode(values, fmt, rounding="sr", sr_bits=sr_bits, rand=np.full(values.size, r))
            assert_array_equal(got, codes)


@pytest.mark.parametrize("fmt_name", ["float8_e4m3fn", "float8_e5m2", "bfloat16"])
@pytest.mark.parametrize("sr_bits", [4, 16])
def test_sr_mean_is_unbiased_within_the_variance(fmt_name, sr_bits):
    """mean(sr(v)) over n draws = v - bias, |bias| < 2**-R quantum, within 5 sigma."""
    fmt = get_format(fmt_name)
    rng = np.random.default_rng(11)
    n = 400_000
    for v in (1.0 + 0.3 * fmt.eps, 3.3, -0.7123, 17.01, fmt.min_normal * 0.37):
        lo = decode(encode(np.float64(v), fmt, rounding="rtz"), fmt, np.float64).item()
        hi = decode(encode(np.float64(v), fmt, rounding="rup" if v > 0 else "rdn"), fmt, np.float64).item()
        quantum = abs(hi - lo)
        frac = abs(v - lo) / quantum
        p = np.floor(frac * 2**sr_bits) / 2**sr_bits  # exact P(away)
        codes = encode(np.full(n, v), fmt, rounding="sr", sr_bits=sr_bits, rng=rng)
        vals = decode(codes, fmt, np.float64)
        assert set(np.unique(vals).tolist()) <= {lo, hi}
        mean = vals.mean()
        sigma = quantum * np.sqrt(max(p * (1 - p), 1e-12) / n)
        assert abs(mean - (lo + np.sign(v) * p * quantum)) <= 5 * sigma + 1e-15
        assert abs(mean - v) <= 5 * sigma + quantum * 2.0**-sr_bits
