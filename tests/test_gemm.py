"""refmodel.gemm (the fast paths) against refmodel.oracle.gemm (the definition), output by output.

Exhaustive where the space is small (every FP4 x FP4 pair in every lane of a fused dot, every alignment
distance around F), random GEMMs of every preset, hypothesis shapes and codes, and the boundary cases of
docs/gemm.md; FmaChain also against arith.mac, which it must equal bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refmodel import arith, mx
from refmodel.codec import classify, decode, encode
from refmodel.datapath import Exact, FmaChain, FusedDot, Promote, TwoStageDot
from refmodel.encodings import CodeClass, Flag
from refmodel.formats import Format, get_format
from refmodel.gemm import matmul, matmul_mx
from refmodel.oracle.gemm import matmul_exact, matmul_mx_exact
from refmodel.presets import E8M13, PRESETS, get_preset

F32 = get_format("float32")
PLAIN = [p for p in PRESETS.values() if not p.mx]
MX = [p for p in PRESETS.values() if p.mx]


def _same(fast, slow) -> None:
    (fc, ff), (sc, sf) = fast, slow
    bad = np.argwhere((np.asarray(fc, np.int64) != np.asarray(sc, np.int64)) | (np.asarray(ff) != np.asarray(sf)))
    assert bad.size == 0, [(tuple(i), hex(int(fc[tuple(i)])), int(ff[tuple(i)]), hex(int(sc[tuple(i)])),
                            int(sf[tuple(i)])) for i in bad[:5]]


def _codes(rng, fmt, shape, specials=0.0, zeros=0.2) -> np.ndarray:
    """Random codes of ``fmt``: finite ones, a share of zeros, a share ``specials`` of Inf/NaN codes."""
    fmt = get_format(fmt)
    if fmt.bits > 16:
        x = (rng.standard_normal(shape) * 2.0 ** rng.integers(-20, 20, shape)).astype(np.float32)
        codes = x.view(np.uint32).astype(np.int64)
    else:
        all_codes = np.arange(fmt.code_count)
        cls = classify(all_codes, fmt)
        codes = rng.choice(all_codes[cls < CodeClass.INF], shape)
        odd = all_codes[cls >= CodeClass.INF]
        if specials and odd.size:
            pick = rng.random(shape) < specials
            codes[pick] = rng.choice(odd, int(pick.sum()))
    codes[rng.random(shape) < zeros] = 0
    return codes


def _fast_and_slow(a, b, c, fmt_a, fmt_b, acc, dp, **kw):
    fast = matmul(a, b, c, fmt_a=fmt_a, fmt_b=fmt_b, acc_fmt=acc, datapath=dp, **kw)
    slow = matmul_exact(a, b, c, fmt_a=fmt_a, fmt_b=fmt_b, acc_fmt=acc, datapath=dp, **kw)
    return fast, slow


# ----------------------------------------------------------------------------- presets, random GEMMs
@pytest.mark.parametrize("preset", PLAIN, ids=lambda p: p.name)
@pytest.mark.parametrize("seed", [0, 1])
def test_every_plain_preset_matches_the_oracle(preset, seed):
    rng = np.random.default_rng(seed)
    lanes = getattr(getattr(preset.datapath, "inner", preset.datapath), "lanes")
    k = 3 * lanes + 5 if not isinstance(preset.datapath, Promote) else preset.datapath.every + lanes + 3
    for fa in preset.operands:
        fb = preset.operands[-1]
        a, b = _codes(rng, fa, (3, k), 0.02), _codes(rng, fb, (k, 4), 0.02)
        c = _codes(rng, preset.acc_fmt, (3, 4), 0.05)
        _same(*_fast_and_slow(a, b, c, fa, fb, preset.acc_fmt, preset.datapath))


def _mx_operands(rng, name: str, m: int, k: int, n: int, spread: int = 4):
    t = mx.get_mx_type(name)
    xa = rng.standard_normal((m, k)) * 2.0 ** rng.integers(-spread, spread + 1, (m, 1))
    xb = rng.standard_normal((k, n)) * 2.0 ** rng.integers(-spread, spread + 1, (1, n))
    a = mx.quantize(xa.astype(np.float32), name, axis=1)
    b = mx.quantize(xb.astype(np.float32), name, axis=0)
    return a, b, t


@pytest.mark.parametrize("preset", MX, ids=lambda p: p.name)
@pytest.mark.parametrize("seed", [0, 1])
def test_every_mx_preset_matches_the_oracle(preset, seed):
    rng = np.random.default_rng(seed)
    for name in preset.operands:
        t = mx.get_mx_type(name)
        a, b, _ = _mx_operands(rng, name, 3, 4 * t.block, 2)
        c = _codes(rng, F32, (3, 2))
        for dp in (preset.datapath, Exact()):
            _same(matmul_mx(a, b, c, datapath=dp), matmul_mx_exact(a, b, c, datapath=dp))


def test_mx_scales_far_apart_and_nan_scales():
    rng = np.random.default_rng(5)
    a, b, _ = _mx_operands(rng, "mxfp8_e5m2", 4, 96, 3, spread=40)
    a.scales[0, 1] = 0xFF  # a NaN block scale
    a.scales[1, 2] = 0  # 2**-127
    b.scales[0, 0] = 254
    for dp in (Exact(), Exact("rtz"), PRESETS["blackwell-mxfp8"].datapath):
        _same(matmul_mx(a, b, datapath=dp), matmul_mx_exact(a, b, datapath=dp))


def test_mxint8_exact_matches_the_oracle_and_mx_matmul():
    rng = np.random.default_rng(6)
    a, b, _ = _mx_operands(rng, "mxint8", 3, 64, 4)
    fast = matmul_mx(a, b, datapath=Exact())
    _same(fast, matmul_mx_exact(a, b, datapath=Exact()))
    _same(fast, mx.matmul(a, b))


# ----------------------------------------------------------------------------- exact
@pytest.mark.parametrize("fmt,acc", [("float8_e4m3fn", "float32"), ("float8_e5m2", "float32"),
                                     ("float8_e5m2", "float16"), ("float6_e3m2fn", "bfloat16"),
                                     ("float4_e2m1fn", "float32"), ("float8_e4m3fnuz", Format.custom(5, 7)),
                                     ("float16", "float32"), ("bfloat16", "float32")])
@pytest.mark.parametrize("mode", ["rne", "rtz", "rdn", "rup", "rmm", "rto"])
def test_exact_matches_the_oracle(fmt, acc, mode):
    rng = np.random.default_rng(abs(hash((fmt, mode))) % 2**32)
    for k, with_c in ((1, True), (7, False), (40, True)):
        a, b = _codes(rng, fmt, (3, k), 0.03), _codes(rng, fmt, (k, 3), 0.03)
        c = _codes(rng, acc, (3, 3), 0.05) if with_c else None
        _same(*_fast_and_slow(a, b, c, fmt, fmt, acc, Exact(mode)))


def test_exact_sr_draws_one_lfsr_word_per_output():
    rng = np.random.default_rng(3)
    a, b = _codes(rng, "float8_e5m2", (3, 9)), _codes(rng, "float8_e5m2", (9, 4))
    dp = Exact("sr", sr_bits=8)
    _same(*_fast_and_slow(a, b, None, "float8_e5m2", "float8_e5m2", "float16", dp, lfsr_seed=77))
    rand = rng.integers(0, 256, (3, 4))
    _same(*_fast_and_slow(a, b, None, "float8_e5m2", "float8_e5m2", "float16", dp, rand=rand))


def test_exact_wide_products_need_several_bands_and_runs():
    """bfloat16 products span hundreds of binades: many bands, limbs, C joining as bands of its own."""
    rng = np.random.default_rng(4)
    a, b = _codes(rng, "bfloat16", (2, 300)), _codes(rng, "bfloat16", (300, 3))
    c = _codes(rng, "float32", (2, 3))
    for mode in ("rne", "rdn"):
        _same(*_fast_and_slow(a, b, c, "bfloat16", "bfloat16", "float32", Exact(mode)))


def test_exact_cancellation_and_signed_zeros():
    e4 = "float8_e4m3fn"
    x = encode(np.array([1.5, -1.5, 0.0, -0.0], np.float32), e4)
    a = np.array([[x[0], x[1]], [x[2], x[3]], [x[3], x[3]]])
    b = np.array([[x[0], x[2]], [x[0], x[3]]])
    for c in (None, np.full((3, 2), 0x80000000)):
        for mode in ("rne", "rdn"):
            fast = matmul(a, b, c, fmt_a=e4, datapath=Exact(mode))
            _same(fast, matmul_exact(a, b, c, fmt_a=e4, datapath=Exact(mode)))
    codes, _ = matmul(a, b, None, fmt_a=e4, datapath=Exact())
    assert codes[0, 0] == 0  # 1.5*1.5 - 1.5*1.5: +0
    assert codes[2, 1] == 0  # (-0)(-0) + (-0)(-0) = +0 + +0


def test_exact_float32_tininess_after_rounding():
    """float32 rne without C (the conversion route): 2**-126 - 2**-150 rounds up to the min normal but is
    tiny with an unbounded exponent (UF NX); 2**-126 - 2**-152 is not tiny (NX); 2**-140 * (1 + 2**-7)**2
    is a subnormal that loses bits (UF NX)."""
    bf = "bfloat16"
    for (va, vb), want in ((([2.0**-63, -(2.0**-75)], [2.0**-63, 2.0**-75]), (0x00800000, Flag.UF | Flag.NX)),
                           (([2.0**-63, -(2.0**-76)], [2.0**-63, 2.0**-76]), (0x00800000, Flag.NX)),
                           (([2.0**-70 * (1 + 2**-7)], [2.0**-70 * (1 + 2**-7)]), (None, Flag.UF | Flag.NX))):
        a, b = encode(np.array([va], np.float32), bf), encode(np.array(vb, np.float32)[:, None], bf)
        fast = matmul(a, b, fmt_a=bf, datapath=Exact())
        _same(fast, matmul_exact(a, b, fmt_a=bf, datapath=Exact()))
        assert int(fast[1][0, 0]) == int(want[1]) and want[0] in (None, int(fast[0][0, 0]))


# ----------------------------------------------------------------------------- fma chain
@pytest.mark.parametrize("mode", ["rne", "rtz", "sr"])
def test_fma_chain_is_arith_mac(mode):
    rng = np.random.default_rng(7)
    a, b = _codes(rng, "float8_e4m3fn", (3, 20), 0.02), _codes(rng, "float8_e5m2", (20, 2), 0.02)
    c = _codes(rng, "float16", (3, 2))
    sr = {"sr_bits": 6} if mode == "sr" else {}
    dp = FmaChain(mode, **sr)
    codes, flags = matmul(a, b, c, fmt_a="float8_e4m3fn", fmt_b="float8_e5m2", acc_fmt="float16", datapath=dp,
                          lfsr_seed=9)
    for i in range(3):
        for j in range(2):
            ref = arith.mac(a[i], b[:, j], fmt_a="float8_e4m3fn", fmt_b="float8_e5m2", acc_fmt="float16",
                            acc_init=c[i, j], rounding=mode, lfsr_seed=9, **sr)
            assert (codes[i, j], flags[i, j]) == (ref.acc[-1], ref.flags[-1])
    _same((codes, flags), matmul_exact(a, b, c, fmt_a="float8_e4m3fn", fmt_b="float8_e5m2", acc_fmt="float16",
                                       datapath=dp, lfsr_seed=9))


_FORMATS = ["float8_e4m3fn", "float8_e5m2", "float6_e2m3fn", "float4_e2m1fn", "float8_e4m3b11fnuz"]
_ACCS = ["float32", "float16", "bfloat16", Format.custom(5, 7), Format.custom(4, 3)]


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 3), st.integers(1, 40), st.integers(1, 3), st.sampled_from(_FORMATS + ["float16", "bfloat16"]),
       st.sampled_from(_FORMATS), st.sampled_from(_ACCS), st.sampled_from(["rne", "rtz", "rdn", "rup", "rmm", "rto", "sr"]),
       st.booleans(), st.integers(1, 32), st.integers(0, 2**32 - 1))
def test_hypothesis_fma_chain(m, k, n, fa, fb, acc, mode, saturate, sr_bits, seed):
    """The compiled FMA chain against the oracle (mac_exact per output), narrow accumulators that overflow
    and underflow included, saturating or not, sr with 1 to 32 random bits."""
    rng = np.random.default_rng(seed)
    a, b = _codes(rng, fa, (m, k), 0.03), _codes(rng, fb, (k, n), 0.03)
    c = _codes(rng, acc, (m, n), 0.05)
    dp = FmaChain(mode, sr_bits=sr_bits if mode == "sr" else None, saturate=saturate)
    _same(*_fast_and_slow(a, b, c, fa, fb, acc, dp, lfsr_seed=seed % (2**32 - 1) + 1))


def test_fma_chain_tininess_after_rounding_below_the_min_normal():
    """2**-14 - 2**-25 rounds (rne, float16) up to the min normal but is tiny with an unbounded exponent
    (UF NX); 2**-14 - 2**-26 is not (NX)."""
    e5 = "float8_e5m2"
    for low, want in ((2.0**-12, Flag.UF | Flag.NX), (2.0**-13, Flag.NX)):
        a = encode(np.array([[2.0**-7, -low]], np.float32), e5)
        b = encode(np.array([[2.0**-7], [2.0**-13]], np.float32), e5)
        fast = matmul(a, b, fmt_a=e5, acc_fmt="float16", datapath=FmaChain())
        _same(fast, matmul_exact(a, b, fmt_a=e5, acc_fmt="float16", datapath=FmaChain()))
        assert (int(fast[0][0, 0]), int(fast[1][0, 0])) == (0x0400, int(want))


# ----------------------------------------------------------------------------- fused dot: exhaustive
@pytest.mark.parametrize("frac_bits,rounding", [(3, "rtz"), (6, "rne"), (8, "rdn")])
def test_every_fp4_pair_in_every_lane(frac_bits, rounding):
    """A 4-lane fused dot of E2M1: at each lane, every code pair against a fixed background."""
    e2 = "float4_e2m1fn"
    dp = FusedDot(4, frac_bits, get_format("float16"), rounding, None, 1, "canonical")
    c = np.full((16, 16), 0x3C00)  # 1.0 in float16
    for a, b in _fp4_lane_tiles():
        _same(*_fast_and_slow(a, b, c, e2, e2, "float16", dp))


def _fp4_lane_tiles():
    """(A, B) of a 4-lane E2M1 dot: at one lane every code of A against every code of B (16 x 16 outputs),
    the other lanes a fixed background of A (6, 0.5, -0.5 or 1, -6, 0.5) times B's 1.0."""
    codes = np.arange(16)
    for background in ((7, 1, 0x9), (0x2, 0xF, 0x1)):
        for lane in range(4):
            a = np.zeros((16, 4), np.int64)
            b = np.full((4, 16), 0x2, np.int64)
            a[:, lane] = codes
            b[lane, :] = codes
            for pos, val in zip([i for i in range(4) if i != lane], background):
                a[:, pos] = val
            yield a, b


@pytest.mark.parametrize("rounding", ["rtz", "rne"])
def test_every_alignment_distance_around_frac_bits(rounding):
    """Products 1 (the maximum) and 2**-d (d = F - 4 ... F + 4) with both signs, one step."""
    frac = 13
    dp = FusedDot(8, frac, E8M13, rounding)
    e5 = "float8_e5m2"
    rows, cols = [], []
    for d in range(frac - 4, frac + 5):
        for sign in (1.0, -1.0):
            for extra in (0.0, 1.75 * 2.0 ** (-d)):
                rows.append([1.0, sign * 2.0 ** (-(d // 2)), extra, 0.0])
                cols.append([1.0, 2.0 ** (-(d - d // 2)), 1.0, 0.0])
    a = encode(np.array(rows, np.float32), e5)
    b = encode(np.array(cols, np.float32).T, e5)
    _same(*_fast_and_slow(a, b, None, e5, e5, "float32", dp))


# ----------------------------------------------------------------------------- fused dot: boundaries
HOPPER = PRESETS["hopper-fp8"].datapath


def _one(values_a, values_b, fmt="float8_e4m3fn", c=None, dp=HOPPER, acc="float32"):
    a = encode(np.array([values_a], np.float32), fmt)
    b = encode(np.array(values_b, np.float32)[:, None], fmt)
    cc = None if c is None else np.array([[c]])
    fast = matmul(a, b, cc, fmt_a=fmt, acc_fmt=acc, datapath=dp)
    _same(fast, matmul_exact(a, b, cc, fmt_a=fmt, acc_fmt=acc, datapath=dp))
    return int(fast[0][0, 0]), int(fast[1][0, 0])


def test_truncation_below_the_largest_exponent():
    assert _one([1.0, 2**-7], [1.0, 2**-7]) == (0x3F800000, int(Flag.NX))  # 2**-14 < 2**-13: dropped
    assert _one([1.0, 2**-6, 2**-6], [1.0, 2**-7, 2**-7]) == (0x3F800800, 0)  # 2 * 2**-13 kept
    assert _one([1.0, 2**-6], [1.0, 2**-6]) == (0x3F800800, 0)  # 1 + 2**-12


def test_all_products_cancelling_give_plus_zero():
    assert _one([1.5, -1.5], [2.0, 2.0]) == (0, 0)
    assert _one([0.0, -0.0], [1.0, 1.0], c=0x80000000) == (0, 0)  # C = -0: +0


def test_carry_out_of_the_top_and_ties():
    code, flags = _one([448.0] * 32, [448.0] * 32)  # 32 * 448**2 = 6,422,528 exactly
    assert decode(np.uint32(code), "float32", np.float64) == 32 * 448.0**2 and flags == 0
    f16 = PRESETS["hopper-fp8-f16"].datapath  # RNE into float16: 2048 + 1 is a tie -> 2048, + 3 -> 2052
    assert _one([32.0, 1.0], [64.0, 1.0], acc="float16", dp=f16) == (0x6800, int(Flag.NX))
    assert _one([32.0, 3.0], [64.0, 1.0], acc="float16", dp=f16) == (0x6802, int(Flag.NX))


def test_nan_and_inf_mixes():
    e5 = "float8_e5m2"
    inf, nan = float("inf"), float("nan")
    assert _one([inf, 1.0], [1.0, 1.0], e5) == (0x7F800000, 0)
    assert _one([inf, -inf], [1.0, 1.0], e5) == (0x7FFFFFFF, int(Flag.NV))
    assert _one([inf, 0.0], [0.0, 1.0], e5) == (0x7FFFFFFF, int(Flag.NV))
    assert _one([nan, 1.0], [1.0, 1.0], e5)[0] == 0x7FFFFFFF
    assert _one([1.0], [1.0], e5, c=0xFF800000) == (0xFF800000, 0)  # C = -Inf stays


def test_overflow_is_inf_in_every_mode():
    dp = FusedDot(2, 13, get_format("float16"), "rtz")
    code, flags = _one([448.0, 448.0], [448.0, 448.0], acc="float16", dp=dp)
    assert code == 0x7C00 and flags == int(Flag.OF | Flag.NX)


def test_zero_exp_changes_the_maximum():
    """bfloat16 products 2**-145 with C = 0: with zero_exp = -126 the zero C sets the maximum (units of
    2**-136 for F = 10) and they vanish; without, 2**-144 is a float32 subnormal."""
    kept = FusedDot(2, 10, F32, "rtz", None)
    dropped = FusedDot(2, 10, F32, "rtz", -126)
    a, b = [2.0**-75, 2.0**-75], [2.0**-70, 2.0**-70]
    assert _one(a, b, "bfloat16", dp=kept) == (1 << 5, 0)  # 2**-144 = 2**5 * 2**-149
    assert _one(a, b, "bfloat16", dp=dropped) == (0, int(Flag.NX))


def test_promotion_every_128_is_closer_than_one_long_chain():
    rng = np.random.default_rng(8)
    a = encode(rng.uniform(0, 1, (2, 512)).astype(np.float32), "float8_e4m3fn")
    b = encode(rng.uniform(0, 1, (512, 2)).astype(np.float32), "float8_e4m3fn")
    exact = decode(matmul(a, b, fmt_a="float8_e4m3fn", datapath=Exact())[0], "float32", np.float64)
    err = {}
    for name in ("hopper-fp8", "hopper-fp8-promote128"):
        fast = matmul(a, b, fmt_a="float8_e4m3fn", datapath=PRESETS[name].datapath)
        _same(fast, matmul_exact(a, b, fmt_a="float8_e4m3fn", datapath=PRESETS[name].datapath))
        err[name] = np.abs(decode(fast[0], "float32", np.float64) / exact - 1).max()
    assert err["hopper-fp8-promote128"] < err["hopper-fp8"]


# ----------------------------------------------------------------------------- two-stage dot (CDNA3)
CDNA3 = PRESETS["cdna3-fp8"].datapath
Z5 = "float8_e5m2fnuz"
F32_ONE = 0x3F800000


def _bits(x: float) -> int:
    return int(np.array([x], np.float32).view(np.uint32)[0])


def test_two_stage_partial_sums_round_down_where_one_sum_truncates():
    """1 - 2**-30: in the other partial sum the small product is rounded down to -2**-24 (1 - 2**-24 after
    RNE); in the same partial sum it is truncated toward zero (1.0).  Both lose bits: NX."""
    nx = int(Flag.NX)
    assert _one([1, 2**-15, 0, 0], [1, -(2**-15), 0, 0], Z5, _bits(0.0), CDNA3) == (0x3F7FFFFF, nx)
    assert _one([1, 0, 2**-15, 0], [1, 0, -(2**-15), 0], Z5, _bits(0.0), CDNA3) == (F32_ONE, nx)
    assert _one([1, 2**-15], [1, 2**-15], Z5, _bits(0.0), CDNA3) == (F32_ONE, nx)  # + 2**-30 rounds down to 1


def test_two_stage_accumulator_alignment_and_drop_rule():
    """C is rounded down to 2**(E - 24) and, under drop_c, replaced by 0 below 2**(E - 25): with the product
    1, C = -2**-25 gives 1 - 2**-24, C = -2**-26 is dropped (1.0); without the drop rule (cdna3-fp16) it is
    rounded down to -2**-24."""
    nx = int(Flag.NX)
    assert _one([1.0], [1.0], Z5, _bits(-(2.0**-25)), CDNA3) == (0x3F7FFFFF, nx)
    assert _one([1.0], [1.0], Z5, _bits(-(2.0**-26)), CDNA3) == (F32_ONE, nx)
    assert _one([1.0], [1.0], Z5, _bits(2.0**-26), CDNA3) == (F32_ONE, nx)
    fp16 = PRESETS["cdna3-fp16"].datapath
    assert _one([1.0], [1.0], "float16", _bits(-(2.0**-26)), fp16) == (0x3F7FFFFF, nx)


def test_two_stage_sum_rounded_down_before_the_output_rounding():
    """C = 1 and products 2**-24 + 2**-32: the sum 1 + 2**-24 + 2**-32 is rounded down to 31 fraction bits,
    1 + 2**-24, a tie that RNE takes to 1.0; rounding the exact sum once would give 1 + 2**-23."""
    assert _one([2**-12, 0, 2**-16], [2**-12, 0, 2**-16], Z5, F32_ONE, CDNA3) == (F32_ONE, int(Flag.NX))
    exact = _one([2**-12, 0, 2**-16], [2**-12, 0, 2**-16], Z5, F32_ONE, Exact())
    assert exact == (0x3F800001, int(Flag.NX))


def test_two_stage_zeros_and_specials():
    nan = 0x7FFFFFFF
    assert _one([0.0, 0.0], [0.0, 0.0], Z5, 0x80000000, CDNA3) == (0, 0)  # -0 + zero products: +0
    assert _one([1.0, -1.0], [1.0, 1.0], Z5, 0x80000000, CDNA3) == (0, 0)  # cancelling: +0
    nan_op = encode(np.array([[1.0, 1.0]], np.float32), Z5)
    nan_op[0, 1] = 0x80  # the fnuz NaN
    b = encode(np.array([[1.0], [1.0]], np.float32), Z5)
    for c in (None, np.array([[0x7F800000]])):
        fast = matmul(nan_op, b, c, fmt_a=Z5, datapath=CDNA3)
        _same(fast, matmul_exact(nan_op, b, c, fmt_a=Z5, datapath=CDNA3))
        assert int(fast[0][0, 0]) == nan
    # an infinite or NaN C decides the output under products far above its exponent too
    for c, want in ((0x7F800000, 0x7F800000), (0xFF800000, 0xFF800000), (0x7FC00000, nan)):
        assert _one([2.0**15], [2.0**15], Z5, c, CDNA3) == (want, 0)


@pytest.mark.parametrize("ways,drop_c", [(2, True), (1, False), (3, True)])
def test_every_fp4_pair_in_every_lane_two_stage(ways, drop_c):
    """A 4-lane two-stage dot of E2M1 with 3 and 4 fraction bits: at each lane, every code pair against a
    fixed background, under accumulators around the drop boundary (both signs, zero, -0)."""
    e2 = "float4_e2m1fn"
    dp = TwoStageDot(4, ways, 3, 4, get_format("float16"), "rne", drop_c, "canonical")
    for c_val in (1.0, -1.0, -0.0, 0.0, 2.0**-3, -(2.0**-3), -(2.0**-4), -(2.0**-5), 24.0, -40.0):
        c = np.full((16, 16), int(np.array([c_val], np.float16).view(np.uint16)[0]))
        for a, b in _fp4_lane_tiles():
            _same(*_fast_and_slow(a, b, c, e2, e2, "float16", dp))


def test_two_stage_every_alignment_distance_around_frac_bits():
    """Products 1 and +-2**-d (d = F - 4 ... F + 4) in the same and in the other partial sum, and C
    +-2**-d, one step of the cdna3-fp8 preset."""
    frac = CDNA3.frac_bits
    rows, cols, cs = [], [], []
    for d in range(frac - 4, frac + 5):
        for sign in (1.0, -1.0):
            for pos in (1, 2):
                row = [1.0, 0.0, 0.0, 0.0]
                col = [1.0, 0.0, 0.0, 0.0]
                row[pos], col[pos] = sign * 2.0 ** -(d // 2), 2.0 ** -(d - d // 2)
                rows.append(row)
                cols.append(col)
                cs.append(_bits(sign * 2.0**-d))
    a = encode(np.array(rows, np.float32), Z5)
    b = encode(np.array(cols, np.float32).T, Z5)
    c = np.tile(np.array(cs), (len(rows), 1))
    _same(*_fast_and_slow(a, b, c, Z5, Z5, "float32", CDNA3))


@settings(max_examples=60)
@given(st.integers(1, 4), st.integers(1, 70), st.integers(1, 3),
       st.sampled_from(_FORMATS + ["float8_e4m3fnuz", "float8_e5m2fnuz", "float16"]),
       st.sampled_from(["float8_e4m3fnuz", "float8_e5m2fnuz", "float8_e5m2"]), st.integers(1, 33), st.integers(1, 4),
       st.integers(2, 26), st.integers(0, 8), st.booleans(), st.sampled_from(["rne", "rtz", "rdn"]),
       st.integers(0, 2**32 - 1))
def test_hypothesis_two_stage_dot(m, k, n, fa, fb, lanes, ways, frac, extra, drop_c, rounding, seed):
    rng = np.random.default_rng(seed)
    dp = TwoStageDot(lanes, ways, frac, frac - 1 + extra, F32, rounding, drop_c)
    a, b = _codes(rng, fa, (m, k), 0.02), _codes(rng, fb, (k, n), 0.02)
    c = _codes(rng, F32, (m, n), 0.02)
    _same(*_fast_and_slow(a, b, c, fa, fb, "float32", dp))


def test_promote_of_a_two_stage_inner():
    rng = np.random.default_rng(13)
    a, b = _codes(rng, "float8_e4m3fnuz", (3, 70), 0.02), _codes(rng, "float8_e4m3fnuz", (70, 2), 0.02)
    c = _codes(rng, F32, (3, 2))
    dp = Promote(CDNA3, 32, "rne")
    _same(*_fast_and_slow(a, b, c, "float8_e4m3fnuz", "float8_e4m3fnuz", "float32", dp))


# ----------------------------------------------------------------------------- hypothesis


@settings(max_examples=60)
@given(st.integers(1, 4), st.integers(1, 70), st.integers(1, 3), st.sampled_from(_FORMATS),
       st.sampled_from(_FORMATS), st.integers(1, 33), st.integers(2, 30), st.sampled_from(["rtz", "rne", "rup"]),
       st.sampled_from([None, -126, -20]), st.integers(0, 2**32 - 1))
def test_hypothesis_fused_dot(m, k, n, fa, fb, lanes, frac, rounding, zero_exp, seed):
    rng = np.random.default_rng(seed)
    dp = FusedDot(lanes, frac, E8M13, rounding, zero_exp)
    a, b = _codes(rng, fa, (m, k), 0.02), _codes(rng, fb, (k, n), 0.02)
    c = _codes(rng, F32, (m, n), 0.02)
    _same(*_fast_and_slow(a, b, c, fa, fb, "float32", dp))


@settings(max_examples=40)
@given(st.integers(1, 3), st.integers(1, 200), st.integers(1, 3), st.sampled_from(_FORMATS + ["bfloat16"]),
       st.sampled_from(["rne", "rtz", "rdn", "rup", "rmm", "rto"]), st.booleans(), st.integers(0, 2**32 - 1))
def test_hypothesis_exact(m, k, n, fmt, rounding, with_c, seed):
    rng = np.random.default_rng(seed)
    a, b = _codes(rng, fmt, (m, k), 0.02), _codes(rng, fmt, (k, n), 0.02)
    c = _codes(rng, F32, (m, n), 0.02) if with_c else None
    _same(*_fast_and_slow(a, b, c, fmt, fmt, "float32", Exact(rounding)))


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("call,match", [
    (lambda: matmul(np.zeros((2, 3), int), np.zeros((4, 2), int), fmt_a="float8_e4m3fn", datapath=Exact()),
     r"A \(M, K\) and B \(K, N\).*\(2, 3\) and \(4, 2\)"),
    (lambda: matmul(np.zeros((2, 3), int), np.zeros((3, 2), int), np.zeros((3, 3), int), fmt_a="float8_e4m3fn",
                    datapath=Exact()), r"C must have the output shape \(2, 2\)"),
    (lambda: matmul(np.zeros((1, 1), int), np.zeros((1, 1), int), fmt_a="float8_e4m3fn", acc_fmt="float16",
                    datapath=HOPPER), "e8m13 does not fit the accumulator float16"),
    (lambda: matmul(np.zeros((1, 1), int), np.zeros((1, 1), int), fmt_a="float8_e4m3fn", datapath="hopper"),
     "datapath must be an Exact, FmaChain, FusedDot, TwoStageDot or Promote, got 'hopper'"),
    (lambda: FusedDot(6, 13, E8M13, group=4), r"lanes \(6\) must be a multiple of group \(4\)"),
    (lambda: FusedDot(32, 13, "float8_e4m3fn"), "step_fmt needs Inf and NaN"),
    (lambda: FusedDot(32, 13, E8M13, "sr"), "fused_dot rounding must be one of"),
    (lambda: TwoStageDot(16, 2, 24, 20, F32), r"sum_bits \(20\) must be at least frac_bits - 1 \(23\)"),
    (lambda: TwoStageDot(16, 0, 24, 31, F32), r"ways must be an integer in 1...64, got 0"),
    (lambda: TwoStageDot(16, 2, 24, 31, "float8_e4m3fn"), "step_fmt needs Inf and NaN"),
    (lambda: TwoStageDot(16, 2, 24, 31, F32, "sr"), "two_stage_dot rounding must be one of"),
    (lambda: TwoStageDot(16, 2, 24, 31, F32, "rne", 1), "drop_c must be True or False, got 1"),
    (lambda: get_preset("nope"), "unknown datapath preset 'nope'; choose one of hopper-fp8"),
])
def test_bad_inputs(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ----------------------------------------------------------------------------- fused dot: underflow, scales
F16_STEP = {"rtz": FusedDot(2, 13, get_format("float16"), "rtz"), "rne": FusedDot(2, 13, get_format("float16"), "rne")}


def test_underflow_is_judged_on_the_delivered_step_result():
    e5 = "float8_e5m2"
    # 2**-16 kept, 2**-30 truncated away: a subnormal, inexact result (UF NX)
    assert _one([2**-8, 2**-15], [2**-8, 2**-15], e5, acc="float16", dp=F16_STEP["rtz"]) == (0x0100, int(Flag.UF | Flag.NX))
    # 2**-26 rounds to zero under rtz: +0, UF NX
    assert _one([2**-13], [2**-13], e5, acc="float16", dp=F16_STEP["rtz"]) == (0, int(Flag.UF | Flag.NX))
    # 2**-14 - 2**-25 rounds (rne, a tie at the subnormal quantum) up to the min normal: not tiny, NX only
    # (tininess with an unbounded exponent would call it tiny)
    assert _one([2**-7, -(2**-12)], [2**-7, 2**-13], e5, acc="float16", dp=F16_STEP["rne"]) == (0x0400, int(Flag.NX))
    # an exact subnormal result: no flags
    assert _one([2**-8], [2**-8], e5, acc="float16", dp=F16_STEP["rne"]) == (0x0100, 0)


def test_grouped_terms_with_subnormal_and_zero_block_scales():
    """NVFP4 with random E4M3 block scales (subnormal, normal, zero) under a narrow grouped step: the group
    exponent is the scales' unbiased exponents (emin for a subnormal scale); K not a multiple of the group."""
    rng = np.random.default_rng(11)
    dp = FusedDot(32, 4, F32, "rtz", None, 16)
    for k in (64, 40):
        a = mx.quantize(rng.standard_normal((3, k)).astype(np.float32), "nvfp4", axis=1, pad=True)
        b = mx.quantize(rng.standard_normal((k, 2)).astype(np.float32), "nvfp4", axis=0, pad=True)
        a.scales[...] = rng.choice([0x00, 0x01, 0x03, 0x07, 0x08, 0x0A, 0x20, 0x31], a.scales.shape)
        b.scales[...] = rng.choice([0x01, 0x05, 0x09, 0x18, 0x38], b.scales.shape)
        c = _codes(rng, F32, (3, 2))
        for d in (dp, Exact(), PRESETS["blackwell-nvfp4"].datapath):
            _same(matmul_mx(a, b, c, datapath=d), matmul_mx_exact(a, b, c, datapath=d))


def test_promote_of_an_exact_inner_and_what_promote_refuses():
    rng = np.random.default_rng(12)
    a, b = _codes(rng, "float8_e5m2", (3, 23), 0.02), _codes(rng, "float8_e5m2", (23, 2), 0.02)
    c = _codes(rng, "float16", (3, 2))
    for dp in (Promote(Exact("rtz"), 5, "rne"), Promote(FusedDot(4, 5, get_format("float16"), "rne"), 7, "rdn")):
        _same(*_fast_and_slow(a, b, c, "float8_e5m2", "float8_e5m2", "float16", dp))
    for inner in (FmaChain(), Exact("sr", sr_bits=8)):
        with pytest.raises(ValueError, match="promote's inner datapath must be exact"):
            Promote(inner, 4)


def test_a_group_without_a_nonzero_product_is_a_zero_term():
    """NVFP4: a first group whose products are all zero (A and B nonzero at alternate positions) under
    scales 448 x 448 does not set the step's maximum; 0.5 * 0.5 under 2**-9 x 2**-9 survives: 2**-20
    (MMA-Sim's gst_fdpa gives the same)."""
    a = mx.quantize(np.zeros((1, 64), np.float32), "nvfp4", axis=1)
    b = mx.quantize(np.zeros((64, 1), np.float32), "nvfp4", axis=0)
    a.elements[...], b.elements[...] = 0, 0
    a.elements[0, 0:16:2], a.elements[0, 32] = 0x2, 0x1
    b.elements[1:16:2, 0], b.elements[32, 0] = 0x2, 0x1
    a.scales[...] = [[0x7E, 0, 0x01, 0]]
    b.scales[...] = [[0x7E], [0], [0x01], [0]]
    dp = PRESETS["blackwell-nvfp4"].datapath
    fast = matmul_mx(a, b, datapath=dp)
    _same(fast, matmul_mx_exact(a, b, datapath=dp))
    assert (int(fast[0][0, 0]), int(fast[1][0, 0])) == (0x35800000, 0)
