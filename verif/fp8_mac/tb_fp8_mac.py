"""cocotb testbench for rtl/fp8_mac.v against refmodel.arith.mac (stream by stream, step by step).

The stimulus is :mod:`fp8kit.vectors.mac`'s: its random bench streams, and the level-1 streams the
vector generator writes. A third test streams a NaN multiplicand into finite steps: NaN from then on, the sticky NV only
for a signalling one.
"""

from __future__ import annotations

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

from refmodel import arith, decode, lfsr
from refmodel.encodings import Flag
from fp8kit.rtlspec.params import mac_rtl_params
from fp8kit.vectors.mac import bench_streams, level1_streams
from verif import coverage
from verif.common.tb import check_params, env_format, env_int, env_modes, mismatch_report, reset, write_report


class TB:
    """Clock, reset, parameter self-check and a stream driver for fp8_mac."""

    def __init__(self, dut) -> None:
        self.dut = dut
        self.fmt_a, self.fmt_b = env_format("FP8KIT_FMT_A"), env_format("FP8KIT_FMT_B")
        self.acc = env_format("FP8KIT_ACC")
        self.sr_bits = env_int("FP8KIT_SR_BITS", 16)
        self.seed = env_int("FP8KIT_LFSR_SEED", 1)
        check_params(dut, mac_rtl_params(self.fmt_a, self.fmt_b, self.acc, self.sr_bits, self.seed))
        Clock(dut.clk_i, 10, unit="ns").start()

    async def reset(self) -> None:
        d = self.dut
        await reset(d, ("valid_i", "clear_i", "a_i", "b_i", "rm_i", "sat_i"))
        assert int(d.acc_o.value) == 0 and int(d.flags_o.value) == 0, "reset must give acc +0 and no flags"

    async def stream(self, a: np.ndarray, b: np.ndarray, rm: int, sat: int) -> tuple[np.ndarray, np.ndarray]:
        """Clear, then accept one pair per clock, with an idle clock (valid_i low: acc_o, flags_o and
        the LFSR hold) before every seventh pair; return acc_o and flags_o after each operation."""
        d = self.dut
        d.clear_i.value = 1
        await FallingEdge(d.clk_i)
        d.clear_i.value = 0
        d.rm_i.value = rm
        d.sat_i.value = sat
        acc = np.empty(a.size, np.uint64)
        flags = np.empty(a.size, np.uint8)
        for k in range(a.size):
            if k % 7 == 3:
                d.valid_i.value = 0
                await FallingEdge(d.clk_i)
                assert (int(d.acc_o.value), int(d.flags_o.value)) == (int(acc[k - 1]), int(flags[k - 1])), \
                    f"acc_o/flags_o changed on an idle clock before step {k}"
            d.a_i.value = int(a[k])
            d.b_i.value = int(b[k])
            d.valid_i.value = 1
            await FallingEdge(d.clk_i)
            acc[k] = int(d.acc_o.value)
            flags[k] = int(d.flags_o.value)
        d.valid_i.value = 0
        return acc, flags


def _rand(tb: TB, steps: int) -> np.ndarray:
    """The sr words of operations 0...steps-1 after a clear: the low SR_BITS of LFSR words 0, 1, ..."""
    return lfsr.words(tb.seed, steps).astype(np.int64) & ((1 << tb.sr_bits) - 1)


def _score(tb: TB, a: np.ndarray, b: np.ndarray, got_acc: np.ndarray, got_flags: np.ndarray, rm: int, sat: int,
           hits: dict[str, int], lines: list[str], tag: str = "") -> int:
    """Compare streams (rows of ``a``, ``b``, each after a clear) with ``mac()`` in one batch: acc_o and
    flags_o after every step. Adds the steps' coverage hits to ``hits`` and mismatch lines to ``lines``
    (five in all); returns the number of mismatching steps."""
    n, steps = a.shape
    kw = {"sr_bits": tb.sr_bits, "lfsr_seed": tb.seed} if rm == 5 else {}
    want = arith.mac(a, b, fmt_a=tb.fmt_a, fmt_b=tb.fmt_b, acc_fmt=tb.acc, rounding=rm, saturate=bool(sat), **kw)
    before = np.concatenate([np.zeros((n, 1), np.int64), want.acc[:, :-1].astype(np.int64)], axis=1)
    # a step's own flags: the sticky flags minus those set before it, plus NX whenever it was inexact
    sr = {"sr_bits": tb.sr_bits, "rand": np.broadcast_to(_rand(tb, steps), (n, steps))} if rm == 5 else {}
    _, step_flags = arith.fma(before, a, b, fmt_a=tb.fmt_a, fmt_b=tb.fmt_b, acc_fmt=tb.acc, rounding=rm,
                              saturate=bool(sat), **sr)
    for k, v in coverage.sample_mac(before.ravel(), a.ravel(), b.ravel(), np.full(a.size, rm), want.acc.ravel(),
                                    step_flags.ravel(), fmt_a=tb.fmt_a, fmt_b=tb.fmt_b, acc_fmt=tb.acc).items():
        hits[k] = hits.get(k, 0) + v
    bad = np.argwhere((got_acc != want.acc) | (got_flags != want.flags))
    for i, k in bad[:max(0, 5 - len(lines))]:
        lines.append(f"{tag}rm={rm} sat={sat} stream {i} step {k}: a=0x{int(a[i, k]):02X} b=0x{int(b[i, k]):02X} "
                     f"expected 0x{int(want.acc[i, k]):X}/{int(want.flags[i, k]):05b} "
                     f"got 0x{int(got_acc[i, k]):X}/{int(got_flags[i, k]):05b}")
    return len(bad)


async def _run(tb: TB, a: np.ndarray, b: np.ndarray, rm: int, sat: int, hits: dict[str, int], lines: list[str],
               tag: str = "") -> int:
    """Stream every row of ``a``, ``b`` (shape (streams, steps)) through the DUT, then :func:`_score` them."""
    got = [await tb.stream(x, y, rm, sat) for x, y in zip(a, b)]
    return _score(tb, a, b, np.stack([g[0] for g in got]), np.stack([g[1] for g in got]), rm, sat, hits, lines, tag)


@cocotb.test()
async def test_streams_match_model(dut):
    """Random streams (``bench_streams``) in every rounding mode, with and without saturation:
    acc_o and flags_o after each step equal mac()."""
    tb = TB(dut)
    await tb.reset()
    rng = np.random.default_rng(env_int("FP8KIT_SEED_TB", 1))
    steps = env_int("FP8KIT_MAC_STEPS", 200)
    modes = env_modes().tolist()
    lines: list[str] = []
    hits: dict[str, int] = {}
    total = mismatches = 0
    for rm, sat, a, b in bench_streams(tb.fmt_a, tb.fmt_b, modes, steps, rng):
        mismatches += await _run(tb, a[None], b[None], rm, sat, hits, lines)
        total += steps
    write_report(total, mismatches, coverage.defined("mac", modes=modes), hits, lines)
    assert not mismatches, mismatch_report("fp8_mac streams", lines, total)


@cocotb.test()
async def test_level1_streams(dut):
    """The vector generator's level-1 streams (``fp8kit.vectors.mac.level1_streams``: every boundary
    pair and its cancelling partner, growth to overflow, alternation, underflow) in every mode run."""
    tb = TB(dut)
    await tb.reset()
    modes = env_modes().tolist()
    lines: list[str] = []
    hits: dict[str, int] = {}
    total = mismatches = 0
    for rm in modes:
        for sat in (0, 1):
            for a, b in level1_streams(tb.fmt_a, tb.fmt_b):
                mismatches += await _run(tb, a, b, rm, sat, hits, lines, "level-1 ")
                total += a.size
    write_report(total, mismatches, coverage.defined("mac", modes=modes), hits, lines)
    assert not mismatches, mismatch_report("fp8_mac level-1 streams", lines, total)


@cocotb.test()
async def test_nan_operand_sticky_nv(dut):
    """A stream of finite pairs with one NaN multiplicand at step k: acc_o is the canonical quiet NaN
    from step k on, and the sticky NV rises at step k for a signalling NaN, never for a quiet one."""
    tb = TB(dut)
    await tb.reset()
    rng = np.random.default_rng(env_int("FP8KIT_SEED_TB", 1) + 1)
    fmts = (tb.fmt_a, tb.fmt_b)
    finite = [np.flatnonzero(np.isfinite(decode(np.arange(f.code_count), f))) for f in fmts]
    qnan = tb.acc.nan_code(False)
    steps, k = 8, 4
    lines, total = [], 0
    for which, fmt in enumerate(fmts):
        for signalling in (True, False):
            for code in rng.permutation(coverage.nan_codes(fmt, signalling))[:4]:
                ops = [rng.choice(c, steps) for c in finite]
                ops[which][k] = code
                rm = int(rng.integers(0, 7))
                got_acc, got_flags = await tb.stream(ops[0], ops[1], rm, int(rng.integers(0, 2)))
                nv = (got_flags.astype(np.int64) & int(Flag.NV)) != 0
                want_nv = (np.arange(steps) >= k) & signalling
                if not (np.all(got_acc[k:] == qnan) and np.array_equal(nv, want_nv)):
                    lines.append(f"{'ab'[which]}=0x{int(code):X} at step {k} rm={rm}: acc_o "
                                 f"{[hex(int(x)) for x in got_acc]}, NV {nv.astype(int).tolist()}, "
                                 f"expected NaN 0x{qnan:X} from step {k} and NV {want_nv.astype(int).tolist()}")
                total += steps
    write_report(total, len(lines), examples=lines)
    assert not lines, mismatch_report("fp8_mac NaN operands", lines, total)
