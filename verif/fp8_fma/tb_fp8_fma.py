"""cocotb testbench for rtl/fp8_fma.v: the scoreboard is refmodel.arith.fma, in batches.

Stimulus: every operand code against a sample of the other operand, the
accumulator's edge codes (zeros, min subnormal and normal, max, Inf, NaNs, 1.0)
and random accumulators, every rounding mode, sat 0 and 1, random sr words.
"""

from __future__ import annotations

import os

import cocotb
import numpy as np
from cocotb.triggers import Timer

from refmodel import arith, encode, get_format
from refmodel.rtlgen import fma_rtl_params
from verif.common.tb import check_params, env_int, mismatch_report


class TB:
    """Parameter self-check and a combinational drive/sample helper."""

    def __init__(self, dut) -> None:
        self.dut = dut
        self.fmt_a = get_format(os.environ["FP8KIT_FMT_A"])
        self.fmt_b = get_format(os.environ["FP8KIT_FMT_B"])
        self.acc = get_format(os.environ["FP8KIT_ACC"])
        self.sr_bits = env_int("FP8KIT_SR_BITS", 16)
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


def stimulus(tb: TB, n: int, rng: np.random.Generator):
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
    rm = rng.integers(0, 7, n)
    sat = rng.integers(0, 2, n)
    rand = rng.integers(0, 1 << tb.sr_bits, n)
    return acc, a, b, rm, rand, sat


@cocotb.test()
async def test_fma_matches_model(dut):
    """res_o and flags_o equal refmodel.arith.fma for every vector."""
    tb = TB(dut)
    n = env_int("FP8KIT_FMA_VECTORS", 4096)
    rng = np.random.default_rng(env_int("FP8KIT_SEED_TB", 1))
    acc, a, b, rm, rand, sat = stimulus(tb, n, rng)
    got_res, got_flags = await tb.apply(acc, a, b, rm, rand, sat)
    lines = []
    for mode in range(7):
        for s in (0, 1):
            sel = np.flatnonzero((rm == mode) & (sat == s))
            kw = {"sr_bits": tb.sr_bits, "rand": rand[sel]} if mode == 5 else {}
            want_res, want_flags = arith.fma(acc[sel], a[sel], b[sel], fmt_a=tb.fmt_a, fmt_b=tb.fmt_b,
                                             acc_fmt=tb.acc, rounding=mode, saturate=bool(s), **kw)
            for j in np.flatnonzero((got_res[sel] != want_res) | (got_flags[sel] != want_flags)):
                k = sel[j]
                lines.append(f"acc=0x{int(acc[k]):X} a=0x{int(a[k]):02X} b=0x{int(b[k]):02X} rm={mode} sat={s} "
                             f"rand=0x{int(rand[k]):X}: expected 0x{int(want_res[j]):X}/{int(want_flags[j]):05b} "
                             f"got 0x{int(got_res[k]):X}/{int(got_flags[k]):05b}")
    assert not lines, mismatch_report("fp8_fma", lines, n)
