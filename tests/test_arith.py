"""The vectorised arithmetic against the exact scalar oracle (refmodel.oracle.arith)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

from refmodel import Format, arith, decode, encode, get_format
from refmodel.oracle import arith as ref
from refmodel.encodings import CodeClass, Flag, RoundingMode
from refmodel.lfsr import draws
from refmodel.rounding import EncodeOptions, round_finite

E4M3, E5M2 = get_format("float8_e4m3fn"), get_format("float8_e5m2")
PAIRS = [(E4M3, E4M3), (E5M2, E5M2), (E4M3, E5M2)]
ACCS = [get_format("float32"), get_format("bfloat16"), get_format("float16"), Format.custom(5, 7)]
MODES = [m.label for m in RoundingMode if m is not RoundingMode.SR]
CLASS = {"zero": CodeClass.ZERO, "subnormal": CodeClass.SUBNORMAL, "normal": CodeClass.NORMAL,
         "inf": CodeClass.INF, "nan": CodeClass.NAN}
pair_ids = [f"{a.name}x{b.name}" for a, b in PAIRS]


def _codes(fmt, values):
    return encode(np.asarray(values, np.float64), fmt).astype(np.int64)


# --------------------------------------------------------------------------- mul
@pytest.mark.parametrize("fa, fb", PAIRS, ids=pair_ids)
def test_mul_exhaustive_against_oracle(fa, fb):
    a, b = np.meshgrid(np.arange(256), np.arange(256), indexing="ij")
    p = arith.mul(a, b, fa, fb)
    for i, j in zip(a.reshape(-1).tolist(), b.reshape(-1).tolist()):
        want = ref.mul_exact(i, j, fa, fb)
        k = i * 256 + j
        cls = int(p.cls.reshape(-1)[k])
        assert cls == CLASS[want.cls], (hex(i), hex(j))
        if want.kind == "finite":
            value = Fraction(int(p.sig.reshape(-1)[k])) * Fraction(2) ** (int(p.exp.reshape(-1)[k]) - p.frac_bits)
            assert value == want.magnitude, (hex(i), hex(j))
        if want.kind != "nan":
            assert bool(p.sign.reshape(-1)[k]) == want.negative, (hex(i), hex(j))


def test_mul_fields_are_the_hardware_view():
    p = arith.mul(_codes(E4M3, [448.0, 2.0**-9, -1.5]), _codes(E4M3, [448.0, 2.0**-9, 2.0]), E4M3)
    assert p.sig.tolist() == [14 * 14, 1 * 1, 12 * 8]  # integer significands, hidden bits included
    assert p.exp.tolist() == [16, -12, 1]  # ea + eb, subnormals at emin = -6
    assert p.frac_bits == 6 and p.sign.tolist() == [0, 0, 1]
    assert p.cls.tolist() == [CodeClass.NORMAL, CodeClass.SUBNORMAL, CodeClass.NORMAL]


# ------------------------------------------------------------------ rounding core
@given(
    neg=st.booleans(),
    sig=st.integers(0, (1 << 63) - 1),
    exp=st.integers(-220, 140),
    fmt=st.sampled_from(ACCS + [E4M3, E5M2]),
    mode=st.sampled_from(MODES + ["sr"]),
    r=st.integers(0, (1 << 32) - 1),
    sr_bits=st.integers(1, 32),
)
def test_round_finite_with_63_bit_significands(neg, sig, exp, fmt, mode, r, sr_bits):
    """The rounding core on significands wider than any float: against exact rounding."""
    if fmt.specials.name != "IEEE":
        fmt = ACCS[0]
    rounding = RoundingMode[mode.upper()]
    r %= 1 << sr_bits
    opts = EncodeOptions(fmt, rounding, False, "canonical", sr_bits=sr_bits if mode == "sr" else None)
    got = round_finite(np.array([neg]), np.array([sig], np.uint64), np.array([exp]), opts,
                       np.array([r], np.uint64) if mode == "sr" else None)
    want_code, want_flags = ref.round_exact(neg, Fraction(sig) * Fraction(2) ** exp, fmt, mode,
                                            sr_bits=sr_bits if mode == "sr" else None, rand=r if mode == "sr" else None)
    if sig:
        assert int(got.code[0]) == want_code
    assert bool(got.inexact[0]) == bool(want_flags & Flag.NX)
    assert bool(got.overflow[0]) == bool(want_flags & Flag.OF)


# --------------------------------------------------------------------------- fma
def _operand_sample(fmt, n, rng):
    """Every code once (specials included), then random codes."""
    return np.concatenate([np.arange(256), rng.integers(0, 256, max(0, n - 256))])


def _acc_sample(fmt, n, rng):
    """Specials, zeros, boundaries (min/max normal and subnormal, 1) and random values of the accumulator."""
    top = (1 << fmt.bits) - 1
    edges = [0, fmt.sign_mask, 1, fmt.sign_mask | 1, 1 << fmt.man_bits, fmt.max_code, fmt.max_code | fmt.sign_mask,
             fmt.inf_codes[0], fmt.inf_codes[1], fmt.nan_code(False), fmt.nan_code(False) - 1 + 2, top]
    edges += encode(np.array([1.0, -1.0, 3.0, 0.75, 100.0, -448.0]), fmt).tolist()
    values = rng.standard_normal(n) * np.exp2(rng.uniform(-20, 20, n))
    return np.concatenate([np.array(edges, np.int64), encode(values, fmt).astype(np.int64)])[:n]


def _check_fma(acc, a, b, fa, fb, fc, mode, saturate=False, rand=None, sr_bits=None):
    got_codes, got_flags = arith.fma(acc, a, b, fmt_a=fa, fmt_b=fb, acc_fmt=fc, rounding=mode,
                                     saturate=saturate, rand=rand, sr_bits=sr_bits)
    for k in range(acc.size):
        want = ref.fma_exact(int(acc[k]), int(a[k]), int(b[k]), fa, fb, fc, mode, saturate=saturate,
                             sr_bits=sr_bits, rand=None if rand is None else int(rand[k]))
        got = (int(got_codes[k]), int(got_flags[k]))
        assert got == want, (f"acc=0x{int(acc[k]):X} a=0x{int(a[k]):02X} b=0x{int(b[k]):02X} {mode} "
                             f"sat={saturate}: got 0x{got[0]:X}/{got[1]:05b} want 0x{want[0]:X}/{want[1]:05b}")


@pytest.mark.parametrize("fa, fb", PAIRS, ids=pair_ids)
@pytest.mark.parametrize("fc", ACCS, ids=lambda f: f.name)
@pytest.mark.parametrize("mode", MODES)
def test_fma_matches_oracle(fa, fb, fc, mode):
    rng = np.random.default_rng(hash((fa.name, fb.name, fc.name, mode)) % 2**32)
    n = 700
    a = _operand_sample(fa, n, rng)
    b = rng.permutation(_operand_sample(fb, n, rng))
    acc = _acc_sample(fc, n, rng)
    _check_fma(acc, a, b, fa, fb, fc, mode, saturate=mode in ("rne", "rup"))


@pytest.mark.parametrize("fc", ACCS, ids=lambda f: f.name)
@pytest.mark.parametrize("sr_bits", [1, 8, 32])
def test_fma_sr_matches_oracle(fc, sr_bits):
    rng = np.random.default_rng(sr_bits)
    n = 600
    a, b, acc = _operand_sample(E4M3, n, rng), rng.integers(0, 256, n), _acc_sample(fc, n, rng)
    rand = rng.integers(0, 1 << sr_bits, n)
    _check_fma(acc, a, b, E4M3, E4M3, fc, "sr", rand=rand, sr_bits=sr_bits)


def test_fma_targeted_cases():
    f32, bf16, f16 = ACCS[:3]
    one = encode(np.float64(1.0), E4M3).item()
    cases = [
        # far-apart exponents: 2**100 + 2**-18, every mode
        (f32, encode(np.float64(2.0**100), f32).item(), 0x01, 0x01),
        # exact cancellation to +0 / -0 (rdn)
        (f32, encode(np.float64(-1.0), f32).item(), one, one),
        # overflow of a narrow accumulator
        (f16, encode(np.float64(65504.0), f16).item(), 0x7E, 0x7E),
        (bf16, encode(np.float64(3e38), bf16).item(), 0x7E, 0x7E),
        # underflow: tiny accumulator plus tiny product
        (f16, 0x0001, 0x01, 0x01),
        (f32, 0x00000001, 0x01, 0x01),
        # signed zeros
        (f32, 0x80000000, 0x80, 0x38),
        (f32, 0x00000000, 0x80, 0x38),
        (f32, 0x80000000, 0x00, 0x38),
        # specials: Inf*0, Inf-Inf, sNaN and qNaN accumulators, NaN operand
        (f32, 0x3F800000, 0x7C, 0x00),
        (f32, 0xFF800000, 0x7C, 0x3C),
        (f32, 0x7F800001, 0x3C, 0x3C),
        (f32, 0x7FC00000, 0x3C, 0x3C),
        (f32, 0x3F800000, 0x7E, 0x3C),
    ]
    for fc, acc, a, b in cases:
        fa = E5M2 if a in (0x7C, 0x7E) else E4M3
        for mode in MODES:
            for sat in (False, True):
                _check_fma(np.array([acc]), np.array([a]), np.array([b]), fa, E4M3 if fa is E4M3 else E5M2, fc,
                           mode, saturate=sat)


def test_one_rounding_where_float64_arithmetic_rounds_twice():
    """Where computing in float64 and rounding again goes wrong, and the model does not.

    FMA, directed mode: 2**60 + 2**-32 in float64 is 2**60 (the sticky bit is
    lost), so rup gives 2**60 instead of the next float32.  Dot, rne: the
    float64 sum of 2**30 + 2**30 + 2**7 + 2**-32 is 2**31 + 2**7, a float32
    midpoint, which ties to even (2**31); the exact sum is above it (2**31 + 2**8).
    """
    f32 = ACCS[0]
    acc = encode(np.float64(2.0**60), f32).astype(np.int64)
    tiny = encode(np.float64(2.0**-16), E5M2).item()
    got, flags = arith.fma(acc, tiny, tiny, fmt_a=E5M2, rounding="rup")
    naive = encode(np.float64(2.0**60) + np.float64(2.0**-32), f32, rounding="rup")
    assert int(got) == int(acc) + 1 != int(naive)
    assert (int(got), int(flags)) == ref.fma_exact(int(acc), tiny, tiny, E5M2, E5M2, f32, "rup")

    codes = lambda v: encode(np.array(v, np.float64), E5M2).astype(np.int64)  # noqa: E731
    a, b = codes([2.0**15, 2.0**15, 2.0**4, 2.0**-16]), codes([2.0**15, 2.0**15, 2.0**3, 2.0**-16])
    once, _ = arith.dot(a, b, fmt_a=E5M2)
    float64_sum = float(np.sum(decode(a, E5M2, np.float64) * decode(b, E5M2, np.float64)))
    assert decode(once, f32, np.float64).item() == 2.0**31 + 2.0**8
    assert decode(encode(np.float64(float64_sum), f32), f32, np.float64).item() == 2.0**31
    assert int(once) == ref.dot_exact(f32.sign_mask, a.tolist(), b.tolist(), E5M2, E5M2, f32)[0]


@given(
    fc=st.sampled_from(ACCS),
    pair=st.sampled_from(PAIRS),
    a=st.integers(0, 255),
    b=st.integers(0, 255),
    acc_bits=st.integers(0, (1 << 32) - 1),
    mode=st.sampled_from(MODES + ["sr"]),
    sat=st.booleans(),
    r=st.integers(0, 0xFFFF),
)
def test_hypothesis_fma(fc, pair, a, b, acc_bits, mode, sat, r):
    acc = acc_bits % (1 << fc.bits)
    kw = {"sr_bits": 16, "rand": np.array([r])} if mode == "sr" else {}
    _check_fma(np.array([acc]), np.array([a]), np.array([b]), pair[0], pair[1], fc, mode, saturate=sat, **kw)


# ----------------------------------------------------------------------- mac, dot
@pytest.mark.parametrize("fc", ACCS[1:], ids=lambda f: f.name)
@pytest.mark.parametrize("mode", ["rne", "rtz", "sr"])
def test_mac_matches_oracle_step_by_step(fc, mode):
    rng = np.random.default_rng(7)
    steps = 300
    a = rng.integers(0, 0x7F, (2, steps))
    b = rng.integers(0, 0xFF, (2, steps))
    b[:, ::50] = 0x7F  # a NaN operand now and then: the stream recovers after clear only
    b[0, 120] = 0x00
    kw = {"sr_bits": 12, "lfsr_seed": 0xACE1} if mode == "sr" else {}
    got = arith.mac(a[:, :100], b[:, :100], fmt_a=E4M3, acc_fmt=fc, rounding=mode, **kw)
    rands = draws(0xACE1, 100, 12).tolist() if mode == "sr" else None
    for s in range(2):
        want_acc, want_flags = ref.mac_exact(a[s, :100].tolist(), b[s, :100].tolist(), E4M3, E4M3, fc, 0, mode,
                                             sr_bits=12 if mode == "sr" else None, rands=rands)
        assert got.acc[s].tolist() == want_acc
        assert got.flags[s].tolist() == want_flags


def test_mac_uses_one_lfsr_word_per_operation():
    a = np.full(64, encode(np.float64(1.0), E4M3).item())
    b = np.full(64, encode(np.float64(2.0**-9), E4M3).item())
    got = arith.mac(a, b, fmt_a=E4M3, acc_fmt="bfloat16", acc_init=encode(np.float64(1.0), "bfloat16").item(),
                    rounding="sr", sr_bits=16, lfsr_seed=1)
    explicit = arith.mac(a, b, fmt_a=E4M3, acc_fmt="bfloat16", acc_init=encode(np.float64(1.0), "bfloat16").item(),
                         rounding="sr", sr_bits=16, rand=draws(1, 64, 16))
    assert_array_equal(got.acc, explicit.acc)
    other = arith.mac(a, b, fmt_a=E4M3, acc_fmt="bfloat16", acc_init=encode(np.float64(1.0), "bfloat16").item(),
                      rounding="sr", sr_bits=16, lfsr_seed=2)
    assert (other.acc != got.acc).any()


@pytest.mark.parametrize("fc", ACCS, ids=lambda f: f.name)
@pytest.mark.parametrize("mode", ["rne", "rdn", "rup", "sr"])
def test_dot_matches_oracle(fc, mode):
    rng = np.random.default_rng(11)
    rows, k = 40, 33
    a = rng.integers(0, 256, (rows, k))
    b = rng.integers(0, 256, (rows, k))
    a[:10] = rng.integers(0, 0x7E, (10, k))  # finite rows, mostly
    b[:10] = rng.integers(0, 0x7E, (10, k))
    a[10, :], b[10, :] = 0x80, 0x38  # all -0 products
    b[11] = a[11] ^ 0x80  # x * -x cancels pairwise... not exactly: squares are all negative
    a[12, :2], b[12, :2] = [0x7E, 0xFE], [0x7E, 0x7E]  # +448^2 - 448^2 cancels exactly
    a[12, 2:], b[12, 2:] = 0, 0
    kw = {}
    rand = None
    if mode == "sr":
        rand = rng.integers(0, 1 << 10, rows)
        kw = {"sr_bits": 10, "rand": rand}
    got_codes, got_flags = arith.dot(a, b, fmt_a=E4M3, acc_fmt=fc, rounding=mode, **kw)
    neg_zero = fc.sign_mask
    for r in range(rows):
        want = ref.dot_exact(neg_zero, a[r].tolist(), b[r].tolist(), E4M3, E4M3, fc, mode,
                             sr_bits=10 if mode == "sr" else None, rand=None if rand is None else int(rand[r]))
        assert (int(got_codes[r]), int(got_flags[r])) == want, r


def test_dot_rounds_once_where_mac_rounds_every_step():
    """Many small products against a large start: the sequential MAC loses them all in bfloat16."""
    big = encode(np.float64(256.0), E4M3).item()
    one = encode(np.float64(1.0), E4M3).item()
    a = np.array([big] + [one] * 512)
    b = np.array([one] + [one] * 512)
    once, _ = arith.dot(a, b, fmt_a=E4M3, acc_fmt="bfloat16")
    seq = arith.mac(a, b, fmt_a=E4M3, acc_fmt="bfloat16").acc[-1]
    assert decode(once, "bfloat16", np.float64).item() == 768.0
    assert decode(seq, "bfloat16", np.float64).item() == 256.0  # 256 + 1 ties to even, 512 times


def test_arith_errors():
    with pytest.raises(ValueError, match="cannot be an accumulator"):
        arith.fma(0, 0, 0, fmt_a=E4M3, acc_fmt="float8_e4m3fn")
    with pytest.raises(ValueError, match="cannot be a multiplier operand"):
        arith.fma(0, 0, 0, fmt_a="float8_e8m0fnu")
    with pytest.raises(ValueError, match="operand shapes do not broadcast: acc \\(2,\\), a \\(3,\\), b \\(\\)"):
        arith.fma(np.zeros(2, np.int64), np.zeros(3, np.int64), 0, fmt_a=E4M3)
    with pytest.raises(ValueError, match="code 256 is out of range for float8_e4m3fn"):
        arith.fma(0, 256, 0, fmt_a=E4M3)
    with pytest.raises(ValueError, match="needs random integers"):
        arith.fma(0, 0, 0, fmt_a=E4M3, rounding="sr", sr_bits=8)
    with pytest.raises(ValueError, match="only used with rounding='sr'"):
        arith.fma(0, 0, 0, fmt_a=E4M3, rand=[1])
    with pytest.raises(ValueError, match=r"random integer 256 is outside \[0, 2\*\*8\)"):
        arith.fma([0], [0], [0], fmt_a=E4M3, rounding="sr", sr_bits=8, rand=[256])
    with pytest.raises(ValueError, match="non-empty last"):
        arith.mac(np.zeros((2, 0), np.int64), np.zeros((2, 0), np.int64), fmt_a=E4M3)
    with pytest.raises(ValueError, match="seed"):
        arith.mac(np.zeros(3, np.int64), np.zeros(3, np.int64), fmt_a=E4M3, rounding="sr", sr_bits=4, lfsr_seed=0)


@pytest.mark.slow
@pytest.mark.parametrize("fc", ACCS, ids=lambda f: f.name)
def test_fma_random_sweep_against_oracle(fc):
    """Random (acc, a, b, mode) quadruples: 20,000 per accumulator bounded, 200,000 with FP8KIT_SLOW=full."""
    import os

    n = 200_000 if os.environ.get("FP8KIT_SLOW") == "full" else 20_000
    rng = np.random.default_rng(fc.bits)
    acc = _acc_sample(fc, n, rng)
    a, b = rng.integers(0, 256, n), rng.integers(0, 256, n)
    for mode in MODES:
        sel = slice(MODES.index(mode), None, len(MODES))
        _check_fma(acc[sel], a[sel], b[sel], E4M3, E5M2, fc, mode, saturate=bool(fc.bits % 2))


def test_fma_ops_is_fma_per_operation():
    rng = np.random.default_rng(5)
    n = 3000
    a, b = rng.integers(0, 256, n), rng.integers(0, 256, n)
    acc = rng.integers(0, 1 << 16, n)
    rm, sat, rand = rng.integers(0, 7, n), rng.integers(0, 2, n), rng.integers(0, 1 << 8, n)
    res, flags = arith.fma_ops(acc, a, b, rm, sat, rand, fmt_a="float8_e4m3fn", fmt_b="float8_e5m2",
                               acc_fmt="bfloat16", sr_bits=8)
    for k in rng.choice(n, 300, replace=False).tolist():
        sr = {"sr_bits": 8, "rand": int(rand[k])} if rm[k] == 5 else {}
        want = arith.fma(int(acc[k]), int(a[k]), int(b[k]), fmt_a="float8_e4m3fn", fmt_b="float8_e5m2",
                         acc_fmt="bfloat16", rounding=int(rm[k]), saturate=bool(sat[k]), **sr)
        assert (int(res[k]), int(flags[k])) == (int(want[0]), int(want[1])), k
    assert set(np.unique(rm).tolist()) == set(range(7)) and (flags != 0).any()


# ------------------------------------------------------------- signalling NaNs
def _e5m2_snan(code: int) -> bool:
    """e5m2 signalling NaNs, written out: exponent 11111, mantissa 01 (0x7D, 0xFD)."""
    return code & 0x7F == 0x7D


@pytest.mark.parametrize("fc, acc", [(ACCS[0], 0x3F800000), (ACCS[2], 0x7C01), (ACCS[1], 0x7FC0)],
                         ids=["f32-one", "f16-snan-acc", "bf16-qnan-acc"])
def test_fma_snan_operands_exhaustive_e5m2(fc, acc):
    """Every e5m2 x e5m2 pair: an sNaN in a or b (or acc) raises NV with the canonical NaN, fast = oracle."""
    a, b = (x.reshape(-1) for x in np.meshgrid(np.arange(256), np.arange(256), indexing="ij"))
    codes, flags = arith.fma(np.full(a.size, acc), a, b, fmt_a=E5M2, acc_fmt=fc)
    snan = np.array([_e5m2_snan(i) or _e5m2_snan(j) for i, j in zip(a.tolist(), b.tolist())])
    assert snan.sum() == 2 * 2 * 256 - 4
    assert (flags[snan] & Flag.NV).all() and (codes[snan] == fc.nan_code(False)).all()
    for k in range(a.size):
        want = ref.fma_exact(acc, int(a[k]), int(b[k]), E5M2, E5M2, fc)
        assert (int(codes[k]), int(flags[k])) == want, (hex(int(a[k])), hex(int(b[k])))


def test_snan_operands_float16_bfloat16():
    """Targeted 16-bit operands: sNaN (quiet bit clear) raises NV in fma, mac and dot; qNaN does not."""
    f16, bf16, f32 = get_format("float16"), get_format("bfloat16"), ACCS[0]
    for fmt, one, snans, qnans in [(f16, 0x3C00, [0x7C01, 0x7DFF, 0xFD00], [0x7E00, 0xFFFF]),
                                   (bf16, 0x3F80, [0x7F81, 0x7FBF, 0xFFA0], [0x7FC0, 0xFFC1])]:
        nans = np.array(snans + qnans)
        want_nv = np.array([Flag.NV] * len(snans) + [0] * len(qnans))
        for a, b in [(nans, np.full(nans.size, one)), (np.full(nans.size, one), nans)]:
            codes, flags = arith.fma(0x3F800000, a, b, fmt_a=fmt)
            assert_array_equal(flags, want_nv)
            assert (codes == f32.nan_code(False)).all()
            for k in range(nans.size):
                assert ref.fma_exact(0x3F800000, int(a[k]), int(b[k]), fmt, fmt, f32) == (int(codes[k]), int(flags[k]))
            dot_codes, dot_flags = arith.dot(np.stack([a, np.full(a.size, one)], 1), np.stack([b, np.full(b.size, one)], 1),
                                             fmt_a=fmt)
            assert_array_equal(dot_flags, want_nv)
            assert (dot_codes == f32.nan_code(False)).all()
        stream = arith.mac(np.array([one, snans[0], one]), np.array([one, one, one]), fmt_a=fmt)
        assert stream.flags.tolist() == [0, Flag.NV, Flag.NV]
        assert stream.acc.tolist() == [0x3F800000, f32.nan_code(False), f32.nan_code(False)]


def test_fn_fnuz_nans_are_quiet():
    """fn/fnuz formats have one NaN code, which is quiet: no NV from it alone."""
    for name, nan in [("float8_e4m3fn", 0x7F), ("float8_e4m3fn", 0xFF), ("float8_e4m3fnuz", 0x80), ("float8_e5m2fnuz", 0x80)]:
        codes, flags = arith.fma(0x3F800000, nan, 0x38 if name == "float8_e4m3fn" else 0x40, fmt_a=name)
        assert (int(codes), int(flags)) == (0x7FC00000, 0), name


# ------------------------------------------------------------------- scale_exp
@given(
    k=st.one_of(st.integers(-400, 400), st.integers(-(2**80), 2**80),
                st.sampled_from([2**50, 2**62, 2**63 - 1, 2**63, 2**70, -(2**63), -(2**40) - 1, 2**40])),
    rows=st.lists(st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255), st.integers(0, 255)),
                  min_size=1, max_size=4),
    fc=st.sampled_from(ACCS),
    mode=st.sampled_from(MODES + ["sr"]),
    sat=st.booleans(),
    r=st.integers(0, 255),
)
@settings(max_examples=150)
def test_dot_scale_exp_every_integer_against_oracle(k, rows, fc, mode, sat, r):
    """Any integer scale_exp (far beyond int64 too) is applied exactly: overflow and underflow with their flags."""
    a = np.array([[x[0], x[1]] for x in rows])
    b = np.array([[x[2], x[3]] for x in rows])
    kw = {"sr_bits": 8, "rand": np.full(len(rows), r)} if mode == "sr" else {}
    codes, flags = arith.dot(a, b, fmt_a=E4M3, fmt_b=E5M2, acc_fmt=fc, rounding=mode, saturate=sat, scale_exp=k, **kw)
    for i in range(len(rows)):
        neutral = 0 if mode == "rdn" else fc.sign_mask  # the zero addend that leaves the zero-sign rules alone
        want = ref.dot_exact(neutral, a[i].tolist(), b[i].tolist(), E4M3, E5M2, fc, mode, saturate=sat,
                             scale_exp=k, **({"sr_bits": 8, "rand": r} if mode == "sr" else {}))
        assert (int(codes[i]), int(flags[i])) == want, (k, rows[i])


def test_dot_scale_exp_huge_values_of_the_issue():
    """2**50...2**62 overflowed silently to the unscaled sum; 2**63 - 1 gave +0; 2**70 raised OverflowError."""
    one = encode(np.float64(1.0), E4M3).astype(np.int64)
    a = np.full((1, 2), one)
    for k in [2**50, 2**62, 2**63 - 1, 2**70]:
        assert arith.dot(a, a, fmt_a=E4M3, scale_exp=k) == (0x7F800000, Flag.OF | Flag.NX)
        assert arith.dot(a, a, fmt_a=E4M3, scale_exp=-k) == (0, Flag.UF | Flag.NX)
    rows = np.tile(a, (3, 1))
    codes, flags = arith.dot(rows, rows, fmt_a=E4M3, scale_exp=np.array([2**62, 1, -(2**62)]))
    assert codes.tolist() == [0x7F800000, 0x40800000, 0] and flags.tolist() == [5, 0, 3]
