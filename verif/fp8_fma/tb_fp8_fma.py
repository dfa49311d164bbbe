"""cocotb testbench for rtl/fp8_fma.v: the scoreboard is refmodel.arith.fma, in batches.

Stimulus (fp8kit.vectors.fma.bench_cases, shared with the BYO bench and beside the vector generator's),
for the rounding modes in FP8KIT_MODES (default all seven): directed cases (every operand-class triple, overflow and underflow edges, results at max finite,
min normal and min subnormal, cancellations of every depth, every alignment distance), then
FP8KIT_FMA_VECTORS random ones: every operand code against a sample of the other operand, the
accumulator's edge codes (zeros, min subnormal and normal, max, Inf, NaNs, 1.0) and random
accumulators, sat 0 and 1, random sr words. Coverage (verif.coverage, op fma) goes to the report.
A second test checks the NaN rule directly: a signalling NaN in a, b or acc gives the canonical
quiet NaN with NV, a quiet NaN operand with a non-signalling accumulator gives it without NV.
"""

from __future__ import annotations

import cocotb
import numpy as np
from cocotb.triggers import Timer

from refmodel import arith
from refmodel.encodings import Flag
from fp8kit.rtlspec.params import fma_rtl_params
from fp8kit.vectors.fma import bench_cases
from verif import coverage
from verif.common.tb import check_params, env_format, env_int, env_modes, mismatch_report, write_report


class TB:
    """Parameter self-check and a combinational drive/sample helper."""

    def __init__(self, dut) -> None:
        self.dut = dut
        self.fmt_a, self.fmt_b = env_format("FP8KIT_FMT_A"), env_format("FP8KIT_FMT_B")
        self.acc = env_format("FP8KIT_ACC")
        self.sr_bits = env_int("FP8KIT_SR_BITS", 16)
        self.modes = env_modes()
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


@cocotb.test()
async def test_fma_matches_model(dut):
    """res_o and flags_o equal refmodel.arith.fma for every vector."""
    tb = TB(dut)
    n = env_int("FP8KIT_FMA_VECTORS", 4096)
    rng = np.random.default_rng(env_int("FP8KIT_SEED_TB", 1))
    acc, a, b, rm, rand, sat = bench_cases(tb.fmt_a, tb.fmt_b, tb.acc, tb.modes, tb.sr_bits, n, rng)
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
