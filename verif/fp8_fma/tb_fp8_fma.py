"""cocotb testbench for rtl/fp8_fma.v: the scoreboard is refmodel.arith.fma, in batches.

Stimulus, for the rounding modes in FP8KIT_MODES (default all seven):
directed cases (every operand-class triple, overflow and underflow edges, results at max finite,
min normal and min subnormal, cancellations of every depth, every alignment distance), then
FP8KIT_FMA_VECTORS random ones: every operand code against a sample of the other operand, the
accumulator's edge codes (zeros, min subnormal and normal, max, Inf, NaNs, 1.0) and random
accumulators, sat 0 and 1, random sr words. Coverage (verif.coverage, op fma) goes to the report.
A second test checks the NaN rule directly: a signalling NaN in a, b or acc gives the canonical
quiet NaN with NV, a quiet NaN operand with a non-signalling accumulator gives it without NV.
"""

from __future__ import annotations

import os

import cocotb
import numpy as np
from cocotb.triggers import Timer

from refmodel import arith, decode, encode, get_format
from refmodel.encodings import Flag
from refmodel.codec import classify
from fp8kit.rtlspec.params import fma_rtl_params
from verif import coverage
from verif.common.tb import check_params, env_int, mismatch_report, write_report


class TB:
    """Parameter self-check and a combinational drive/sample helper."""

    def __init__(self, dut) -> None:
        self.dut = dut
        self.fmt_a = get_format(os.environ["FP8KIT_FMT_A"])
        self.fmt_b = get_format(os.environ["FP8KIT_FMT_B"])
        self.acc = get_format(os.environ["FP8KIT_ACC"])
        self.sr_bits = env_int("FP8KIT_SR_BITS", 16)
        self.modes = np.array([int(m) for m in os.environ.get("FP8KIT_MODES", "0,1,2,3,4,5,6").split(",")])
        check_params(dut, fma_rtl_params(self.fmt_a, self.fmt_b, self.acc, self.sr_bits))

    async def apply(self, acc, a, b, rm, rand, sat) -> tuple[np.ndarray, np.ndarray]:
        d = self.dut
        res = np.empty(acc.size, np.uint64)
        flags = np.empty(acc.size, np.uint8)
        for k in range(acc.size):
            d.acc_i.value = int(acc[k])
            d.a_i.value = int(a[k])
            d.b_i.value = int(b[k])
            d.rm_i.value = int(rm[k])
            d.rand_i.value = int(rand[k])
            d.sat_i.value = int(sat[k])
            await Timer(1, unit="ns")
            res[k] = int(d.res_o.value)
            flags[k] = int(d.flags_o.value)
        return res, flags


def _class_codes(fmt, rng: np.random.Generator, cls: int, n: int) -> np.ndarray:
    """``n`` random codes of class ``cls`` (both signs); for wide formats from a list of edge codes."""
    if fmt.bits <= 16:
        pool = np.flatnonzero(classify(np.arange(fmt.code_count), fmt) == cls)
    else:
        m = fmt.man_bits
        pool = {0: [0], 1: [1, (1 << m) - 1, 1 << (m - 1)], 2: [1 << m, fmt.max_code, fmt.bias << m],
                3: [fmt.inf_codes[0]], 4: [fmt.nan_code(False), fmt.inf_codes[0] | 1]}[cls]
        pool = np.array(pool + [p | fmt.sign_mask for p in pool], np.int64)
    return rng.choice(pool, n)


def nan_cases(tb: TB, rng: np.random.Generator, n: int):
    """(acc, a, b, rm, rand, sat, want_nv): ``n`` cases per operand with a signalling NaN in it (the
    others random), and ``n`` per operand with a quiet NaN in it, the other operand anything but a
    signalling NaN and acc finite, infinite or a quiet NaN."""
    fmts = (tb.fmt_a, tb.fmt_b, tb.acc)
    fc = tb.acc
    acc_ok = np.array([0, 1, 1 << fc.man_bits, fc.max_code, fc.inf_codes[0], fc.nan_code(False)], np.int64)
    not_snan = [np.setdiff1d(np.arange(f.code_count), coverage.nan_codes(f, True)) for f in fmts[:2]] + [acc_ok]
    parts = []
    for which, fmt in enumerate(fmts):
        for signalling in (True, False):
            pool = coverage.nan_codes(fmt, signalling)
            if pool.size and (signalling or which < 2):
                cols = [rng.choice(c, n) for c in not_snan]
                if signalling:
                    cols[:2] = [rng.integers(0, f.code_count, n) for f in fmts[:2]]
                cols[which] = rng.choice(pool, n)
                parts.append(cols + [np.full(n, signalling)])
    a, b, acc, nv = (np.concatenate(x) for x in zip(*parts))
    m = a.size
    return (acc.astype(np.int64), a.astype(np.int64), b.astype(np.int64), rng.choice(tb.modes, m),
            rng.integers(0, 1 << tb.sr_bits, m), rng.integers(0, 2, m), nv)


def directed(tb: TB, rng: np.random.Generator):
    """Directed cases for every mode in tb.modes: (acc, a, b, rm, rand, sat) arrays."""
    fa, fb, fc = tb.fmt_a, tb.fmt_b, tb.acc
    acc, a, b = [], [], []
    # every operand-class triple, four representatives each
    for ca in coverage.format_classes(fa):
        for cb in coverage.format_classes(fb):
            for cc in coverage.format_classes(fc):
                a.append(_class_codes(fa, rng, ca, 4))
                b.append(_class_codes(fb, rng, cb, 4))
                acc.append(_class_codes(fc, rng, cc, 4))
    # overflow: max + max * max, both signs; underflow: products of the smallest subnormals
    for sa in (0, fa.sign_mask):
        for sc in (0, fc.sign_mask):
            a.append(np.array([fa.max_code | sa, 1 | sa, 2 | sa, 1 | sa]))
            b.append(np.array([fb.max_code, 1, 3, 1]))
            acc.append(np.array([fc.max_code | sc, 0, 1 | sc, (1 << fc.man_bits) | sc]))
    # results at max finite, min normal, min subnormal (zero product)
    a.append(np.zeros(3, np.int64))
    b.append(np.zeros(3, np.int64))
    acc.append(np.array([fc.max_code, 1 << fc.man_bits, 1]))
    # cancellation of every depth and every alignment: acc = -p * r and acc = +-p * 2**k
    va, vb = decode(np.arange(fa.code_count), fa), decode(np.arange(fb.code_count), fb)
    fin_a = np.flatnonzero(np.isfinite(va) & (va != 0))
    fin_b = np.flatnonzero(np.isfinite(vb) & (vb != 0))
    n = 40
    ra, rb = rng.choice(fin_a, n), rng.choice(fin_b, n)
    p = va[ra].astype(np.float64) * vb[rb].astype(np.float64)
    for r in (1.0, 0.999, 0.99, 0.9, 0.75, 0.6, 0.4, 0.25):
        c = encode(-p * r, fc).astype(np.int64)
        a.append(ra), b.append(rb), acc.append(c)
    exact = encode(-p, fc).astype(np.int64)
    for delta in (1, 2, 5, 100):
        a.append(ra), b.append(rb), acc.append(np.clip(exact + delta, 0, fc.code_count - 1))
    for k in (-60, -30, -12, -3, -1, 1, 3, 12, 30, 60):
        a.append(ra), b.append(rb), acc.append(encode(p * 2.0**k * rng.choice([-1, 1], n), fc).astype(np.int64))
    acc, a, b = (np.concatenate(x).astype(np.int64) for x in (acc, a, b))
    reps = tb.modes.size
    rm = np.repeat(tb.modes, acc.size)
    acc, a, b = np.tile(acc, reps), np.tile(a, reps), np.tile(b, reps)
    sat = rng.integers(0, 2, acc.size)
    rand = rng.integers(0, 1 << tb.sr_bits, acc.size)
    sr = np.flatnonzero(rm == 5)
    if sr.size:  # sr on its boundary: t + r = 2**R (away) and 2**R - 1 (toward), alternately
        edge = _sr_edge(tb, acc[sr], a[sr], b[sr], sat[sr])
        ok = edge < (1 << tb.sr_bits)
        rand[sr[ok]] = edge[ok] - (np.arange(ok.sum()) % 2)
    return acc, a, b, rm, rand, sat


def _sr_edge(tb: TB, acc, a, b, sat) -> np.ndarray:
    """The least r that makes sr round away (2**R - t), found by bisection on refmodel.arith.fma;
    2**R where no r does (an exact result)."""
    def fma(r):
        out = np.empty(acc.size, np.int64)
        for s in (0, 1):
            k = sat == s
            out[k] = arith.fma(acc[k], a[k], b[k], fmt_a=tb.fmt_a, fmt_b=tb.fmt_b, acc_fmt=tb.acc, rounding=5,
                               sr_bits=tb.sr_bits, rand=r[k], saturate=bool(s))[0]
        return out

    toward = fma(np.zeros(acc.size, np.int64))
    lo, hi = np.zeros(acc.size, np.int64), np.full(acc.size, 1 << tb.sr_bits)  # away at hi, not below lo
    while np.any(hi - lo > 0):
        mid = (lo + hi) // 2
        away = fma(np.minimum(mid, (1 << tb.sr_bits) - 1)) != toward
        hi = np.where(away & (hi > lo), mid, hi)
        lo = np.where(~away & (hi > lo), mid + 1, lo)
    return hi


def stimulus(tb: TB, n: int, rng: np.random.Generator):
    """``n`` random cases (acc, a, b, rm, rand, sat) over tb.modes."""
    fc = tb.acc
    edges = [0, fc.sign_mask, 1, fc.sign_mask | 1, 1 << fc.man_bits, fc.max_code, fc.max_code | fc.sign_mask,
             fc.inf_codes[0], fc.inf_codes[1], fc.nan_code(False), fc.inf_codes[0] | 1]
    edges += encode(np.array([1.0, -1.0, 0.75, 3.0, 2.0**-10, -448.0]), fc).tolist()
    a = np.concatenate([np.arange(tb.fmt_a.code_count), rng.integers(0, tb.fmt_a.code_count, n)])[:n]
    b = rng.integers(0, tb.fmt_b.code_count, n)
    values = rng.standard_normal(n) * np.exp2(rng.uniform(-30, 30, n))
    acc = encode(values, fc).astype(np.int64)
    pick = rng.random(n) < 0.3
    acc[pick] = rng.choice(edges, int(pick.sum()))
    rm = rng.choice(tb.modes, n)
    sat = rng.integers(0, 2, n)
    rand = rng.integers(0, 1 << tb.sr_bits, n)
    return acc, a, b, rm, rand, sat


@cocotb.test()
async def test_fma_matches_model(dut):
    """res_o and flags_o equal refmodel.arith.fma for every vector."""
    tb = TB(dut)
    n = env_int("FP8KIT_FMA_VECTORS", 4096)
    rng = np.random.default_rng(env_int("FP8KIT_SEED_TB", 1))
    cases = [np.concatenate(x) for x in zip(directed(tb, rng), stimulus(tb, n, rng))]
    acc, a, b, rm, rand, sat = cases
    got_res, got_flags = await tb.apply(acc, a, b, rm, rand, sat)
    want_res, want_flags = arith.fma_ops(acc, a, b, rm, sat, rand, fmt_a=tb.fmt_a, fmt_b=tb.fmt_b, acc_fmt=tb.acc,
                                         sr_bits=tb.sr_bits)
    bad = np.flatnonzero((got_res.astype(np.int64) != want_res) | (got_flags.astype(np.int64) != want_flags))
    lines = [f"acc=0x{int(acc[k]):X} a=0x{int(a[k]):02X} b=0x{int(b[k]):02X} rm={int(rm[k])} sat={int(sat[k])} "
             f"rand=0x{int(rand[k]):X}: expected 0x{int(want_res[k]):X}/{int(want_flags[k]):05b} "
             f"got 0x{int(got_res[k]):X}/{int(got_flags[k]):05b}" for k in bad[:50]]
    bins = coverage.defined("fma", fmt_a=tb.fmt_a, fmt_b=tb.fmt_b, acc=tb.acc, modes=tb.modes.tolist())
    hits = coverage.sample_fma(acc, a, b, rm, sat, rand, want_res, want_flags, fmt_a=tb.fmt_a, fmt_b=tb.fmt_b,
                               acc_fmt=tb.acc, sr_bits=tb.sr_bits)
    write_report(acc.size, bad.size, bins, hits, lines)
    assert not bad.size, mismatch_report("fp8_fma", lines + [f"(first {len(lines)} of {bad.size} shown)"], acc.size)


@cocotb.test()
async def test_nan_operands(dut):
    """A signalling NaN in any operand: the canonical quiet NaN and NV; quiet NaN operands: no NV."""
    tb = TB(dut)
    rng = np.random.default_rng(env_int("FP8KIT_SEED_TB", 1) + 1)
    acc, a, b, rm, rand, sat, want_nv = nan_cases(tb, rng, env_int("FP8KIT_NAN_VECTORS", 64))
    got_res, got_flags = await tb.apply(acc, a, b, rm, rand, sat)
    nv = (got_flags.astype(np.int64) & int(Flag.NV)) != 0
    bad = np.flatnonzero((got_res.astype(np.int64) != tb.acc.nan_code(False)) | (nv != want_nv))
    lines = [f"acc=0x{int(acc[k]):X} a=0x{int(a[k]):X} b=0x{int(b[k]):X} rm={int(rm[k])}: expected "
             f"0x{tb.acc.nan_code(False):X} NV={int(want_nv[k])}, got 0x{int(got_res[k]):X}/{int(got_flags[k]):05b}"
             for k in bad[:50]]
    write_report(acc.size, bad.size, examples=lines)
    assert not bad.size, mismatch_report("fp8_fma", lines + [f"(first {len(lines)} of {bad.size} shown)"], acc.size)
