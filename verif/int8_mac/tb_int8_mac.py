"""cocotb testbench for rtl/int8_mac.v against refmodel.int8.int8_mac_stream (spec-notes section 4).

Besides its own random streams (gaps and clears mid-stream) and limit pumping, it drives the level-1
streams of the vector files (the short ones of :func:`fp8kit.vectors.int8_mac.level1_streams`).
"""

from __future__ import annotations

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, Timer

from refmodel.int8 import int8_mac_stream
from fp8kit.vectors.int8_mac import level1_streams
from verif import coverage
from verif.common.tb import env_int, mismatch_report, reset, write_report

M32 = 0xFFFFFFFF


def _s32(x: int) -> int:
    return x - (1 << 32) if x & 0x80000000 else x


class TB:
    """Drives int8_mac on falling edges and records (pairs so far, acc_o, ovf_o) checkpoints.

    The scoreboard replays all pairs accepted since the last clear through
    ``int8_mac_stream`` in one batch and compares every checkpoint.
    """

    def __init__(self, dut) -> None:
        self.dut = dut
        self.rng = np.random.default_rng(env_int("FP8KIT_TB_SEED", 1))
        # the C++ (GPI) clock: this bench only drives on falling edges, where it is safe on Icarus
        Clock(dut.clk_i, 10, unit="ns", impl="gpi").start()
        self.segments: list[tuple[bool, list[int], list[int], list[tuple[int, int, int, int]]]] = []
        self._new_segment(False)

    def _new_segment(self, sat: bool) -> None:
        self.a: list[int] = []
        self.b: list[int] = []
        self.checks: list[tuple[int, int, int, int]] = []  # (n_pairs, acc_o, ovf_o, valid_o)
        self.sat = sat
        self.segments.append((sat, self.a, self.b, self.checks))

    async def reset(self) -> None:
        d = self.dut
        await reset(d, ("clear_i", "valid_i", "a_i", "b_i", "sat_i"))
        assert int(d.acc_o.value) == 0 and int(d.ovf_o.value) == 0 and int(d.valid_o.value) == 0

    async def op(self, a: int, b: int, *, valid: bool = True, clear: bool = False, cycles: int = 1) -> None:
        """Hold these inputs for ``cycles`` clocks, then record a checkpoint."""
        d = self.dut
        d.a_i.value = a & 0xFF
        d.b_i.value = b & 0xFF
        d.valid_i.value = int(valid)
        d.clear_i.value = int(clear)
        d.sat_i.value = int(self.sat)
        if clear:
            assert cycles == 1
            self._new_segment(self.sat)
        elif valid:
            self.a.extend([a] * cycles)
            self.b.extend([b] * cycles)
        if cycles == 1:
            await FallingEdge(d.clk_i)
        else:
            # no Python per clock: wait out the bulk in one timer (the clock is 10 ns, edges on 5 ns)
            await Timer(10 * (cycles - 1) + 1, unit="ns")
            await FallingEdge(d.clk_i)
        accepted = int(valid and not clear)
        self.checks.append((len(self.a), _s32(int(d.acc_o.value)), int(d.ovf_o.value),
                            int(d.valid_o.value) - accepted))
        d.valid_i.value = 0
        d.clear_i.value = 0

    async def clear(self, sat: bool) -> None:
        self.sat = sat
        await self.op(0, 0, valid=False, clear=True)

    def score(self, title: str) -> int:
        """Compare every checkpoint; return how many showed ovf_o set (coverage)."""
        lines, total = [], 0
        hits: dict[str, int] = {}
        for sat, a, b, checks in self.segments:
            if a:
                av, bv = np.array(a, np.int64), np.array(b, np.int64)
                res = int8_mac_stream(av, bv, saturate=sat)
                before = np.concatenate([[0], res.acc[:-1].astype(np.int64)])
                exact = before + av * bv
                seg = coverage.sample_int8_mac(av, bv, before, np.full(av.size, int(sat)), exact > 2**31 - 1,
                                               exact < -(2**31))
                hits = coverage.merge([((), hits), ((), seg)])[1]
            for n, acc, ovf, valid_err in checks:
                total += 1
                want_acc = int(res.acc[n - 1]) if n else 0
                want_ovf = int(res.overflow[n - 1]) if n else 0
                if (acc, ovf, valid_err) != (want_acc, want_ovf, 0):
                    last = f"a={a[n - 1]} b={b[n - 1]}" if n else "no pair"
                    lines.append(
                        f"pair {n} ({last}) sat={int(sat)}: expected acc 0x{want_acc & M32:08X} "
                        f"ovf {want_ovf}, got acc 0x{acc & M32:08X} ovf {ovf}"
                        + (" valid_o wrong" if valid_err else "")
                    )
        sats = sorted({int(sat) for sat, *_ in self.segments})
        write_report(total, len(lines), coverage.defined("int8_mac", sats=sats), hits, lines)
        assert not lines, mismatch_report(title, lines, total)
        return sum(ovf for *_, checks in self.segments for _, _, ovf, _ in checks)


@cocotb.test()
@cocotb.parametrize(sat=[False, True])
async def test_random_streams(dut, sat):
    """Random pairs with random gaps and clears in the middle, checked every clock."""
    tb = TB(dut)
    await tb.reset()
    await tb.clear(sat)
    n = env_int("FP8KIT_INT8_RANDOM", 3000)
    a = tb.rng.integers(-128, 128, n)
    b = tb.rng.integers(-128, 128, n)
    valid = tb.rng.random(n) < 0.8
    clear = tb.rng.random(n) < 0.01
    for k in range(n):
        if clear[k]:
            await tb.clear(sat)
        else:
            await tb.op(int(a[k]), int(b[k]), valid=bool(valid[k]))
    tb.score(f"int8_mac random sat={int(sat)}")


@cocotb.test()
@cocotb.parametrize(sat=[False, True])
async def test_overflow_boundaries(dut, sat):
    """Pump the accumulator to both int32 limits with extreme products, then cross them at random."""
    tb = TB(dut)
    await tb.reset()
    for sign in (1, -1):
        await tb.clear(sat)
        b = -128 if sign > 0 else 127
        # 131,071 * 16384 = 2^31 - 16384; -128 * 127 * 132,104 just above -2^31
        bulk = 131_071 if sign > 0 else 132_104
        await tb.op(-128, b, cycles=bulk)
        # extreme products around the limit, both signs, every clock
        for _ in range(400):
            x = int(tb.rng.choice([-128, 127, -127, 1, 0, -1]))
            y = int(tb.rng.choice([-128, 127, -127, 64, -64]))
            await tb.op(x, y)
        # clear at once after an overflow: the sticky flag and acc must go
        await tb.op(-128, -128)
        await tb.clear(sat)
        await tb.op(3, -5)
    # clear_i and valid_i together: clear wins, the pair is dropped
    await tb.op(100, 100)
    await tb.op(7, 7, clear=True)
    await tb.op(1, 1)
    n_ovf = tb.score(f"int8_mac overflow sat={int(sat)}")
    assert n_ovf > 100, f"the boundary stream overflowed at only {n_ovf} checkpoints"


@cocotb.test()
async def test_level1_streams(dut):
    """The vector files' short level-1 streams: every edge pair alone after a clear, wrapping and
    saturating (the long ones, all pairs and the limits crossed, are the replay's; the limits are
    also pumped by ``test_overflow_boundaries``)."""
    tb = TB(dut)
    await tb.reset()
    rows, ids, sats = level1_streams(long=False)
    for k, (a, b, rep) in enumerate(rows.tolist()):
        if k == 0 or ids[k] != ids[k - 1]:
            await tb.clear(bool(sats[ids[k]]))
        await tb.op(a, b, cycles=rep)
    tb.score("int8_mac level-1 streams")
