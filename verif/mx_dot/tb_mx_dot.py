"""cocotb testbench for rtl/mx_dot.v: blocks streamed through the pipeline against refmodel.mx.dot.

The cases are those of the replay vectors (fp8kit.vectors.mx_dot_random_cases: quantised data, raw codes,
edge scales, float32 overflow/underflow scale pairs, cancellations, -0 rows), carry rows and, for
MXFP8 E5M2, directed signalling-NaN rows (NV); the expected result
and flags come from refmodel.mx.dot. Inputs are offered one block per clock with random bubbles;
every valid output is checked in order, with its latency (PIPE cycles) and, for PIPE >= 1, that
res_o/flags_o hold while valid_o is low.
"""

from __future__ import annotations

import os

import cocotb
import numpy as np
from cocotb.clock import Clock

from refmodel import decode, encode
from refmodel.codec import signalling_nan
from refmodel.mx import MxArray, dot, get_mx_type
from fp8kit.rtlspec.params import mx_dot_rtl_params, pack_lanes
from fp8kit.vectors import mx_dot_random_cases
from verif import coverage
from verif.common.tb import check_params, env_int, mismatch_report, reset, stream, write_report


def carry_rows(mx_type: str, k: int) -> np.ndarray:
    """Blocks whose exact sum is 25 one bits (2**(j+25) - 2**j, one power of two per product), scaled so
    that the rne carry out of 24 bits lands on 2**128 (overflow by rounding) and on 2**-126 (not
    tiny after rounding); none when the element format cannot reach 25 consecutive powers of two."""
    t = get_mx_type(mx_type)
    elem = t.element
    if elem is None or k < 25:
        return np.zeros((0, 2 * k + 4), np.int64)

    def code(e: int) -> int:
        c = int(encode(np.array([2.0**e]), elem)[0])
        return c if float(decode(np.array([c]), elem)[0]) == 2.0**e else -1

    run = [j for j in range(-80, 80) if code(-(-j // 2)) >= 0 and code(j // 2) >= 0]
    start = next((j for j in run if all(j + i in run for i in range(25))), None)
    if start is None:
        return np.zeros((0, 2 * k + 4), np.int64)
    a = np.zeros((2, k), np.int64)
    b = np.zeros((2, k), np.int64)
    for i in range(25):
        j = start + i
        a[:, i], b[:, i] = code(-(-j // 2)), code(j // 2)
    msb = start + 24
    scales = []
    for target in (127, -127):  # the leading one at 2**target: 2**(msb + sa + sb - 254)
        total = target + 254 - msb
        sa = min(254, max(0, total))
        scales.append((sa, total - sa))
    s = np.array(scales, np.int64)
    ma = MxArray(t.name, k, 1, (2, k), s[:, :1].astype(np.uint8), a.astype(np.uint8))
    mb = MxArray(t.name, k, 1, (2, k), s[:, 1:].astype(np.uint8), b.astype(np.uint8))
    res, flags = dot(ma, mb)
    return np.concatenate([a, b, s, res.astype(np.int64)[:, None], flags.astype(np.int64)[:, None]], axis=1)


def snan_rows(mx_type: str, k: int) -> np.ndarray:
    """Blocks with signalling-NaN elements (NV whatever else the block holds): each sNaN code in A and in B,
    beside a quiet NaN, an infinite product or a zero, under a NaN scale, in the last lane; none
    for element types without signalling NaNs (every one but MXFP8 E5M2)."""
    t = get_mx_type(mx_type)
    if t.element is None:
        return np.zeros((0, 2 * k + 4), np.int64)
    codes = np.arange(1 << t.elem_bits)
    snans = codes[signalling_nan(codes, t.element)]
    if snans.size == 0:
        return np.zeros((0, 2 * k + 4), np.int64)
    one = int(encode(np.array([1.0]), t.element)[0])
    quiet = int(codes[(decode(codes, t.element) != decode(codes, t.element)) & ~signalling_nan(codes, t.element)][0])
    pinf, ninf = (int(c) for c in encode(np.array([np.inf, -np.inf]), t.element))
    rows = []
    for s in snans:
        for other, lane, scales in ((one, 0, (127, 127)), (quiet, 0, (127, 127)), (pinf, 0, (127, 127)),
                                    (0, 0, (127, 127)), (one, 0, (0xFF, 127)), (one, k - 1, (200, 3))):
            a = np.full(k, one)
            b = np.full(k, one)
            a[lane] = s
            if k > 1:
                a[(lane + 1) % k], b[(lane + 1) % k] = other, ninf if other == pinf else one
            rows += [(a, b, scales), (b.copy(), a.copy(), scales[::-1])]
    a = np.array([r[0] for r in rows])
    b = np.array([r[1] for r in rows])
    sc = np.array([r[2] for r in rows], np.int64)
    n = len(rows)
    res, flags = dot(MxArray(t.name, k, 1, (n, k), sc[:, :1].astype(np.uint8), a.astype(np.uint8)),
                     MxArray(t.name, k, 1, (n, k), sc[:, 1:].astype(np.uint8), b.astype(np.uint8)))
    assert (flags == 16).all(), "every signalling-NaN row raises NV alone"
    return np.concatenate([a, b, sc, res.astype(np.int64)[:, None], flags.astype(np.int64)[:, None]], axis=1)


@cocotb.test()
async def test_blocks_match_model(dut):
    """Every case: res_o and flags_o equal refmodel.mx.dot, PIPE cycles after the block went in."""
    mx_type = os.environ["FP8KIT_MX_TYPE"]
    k = int(dut.K.value)
    pipe = int(dut.PIPE.value)
    check_params(dut, mx_dot_rtl_params(mx_type, k, pipe))
    width = int(dut.ELEM_W.value)
    rows = mx_dot_random_cases(mx_type, k, env_int("FP8KIT_MX_CASES", 400), env_int("FP8KIT_SEED_TB", 1))
    rows = np.concatenate([rows, carry_rows(mx_type, k), snan_rows(mx_type, k)])
    a_words = [pack_lanes(r[:k], width) for r in rows]
    b_words = [pack_lanes(r[k:2 * k], width) for r in rows]
    rng = np.random.default_rng(env_int("FP8KIT_SEED_TB", 1))
    bubble = rng.random(2 * len(rows)) < 0.1

    Clock(dut.clk_i, 10, unit="ns").start()
    await reset(dut, ("valid_i", "a_i", "b_i", "scale_a_i", "scale_b_i"))

    def drive(i):
        dut.a_i.value = a_words[i]
        dut.b_i.value = b_words[i]
        dut.scale_a_i.value = int(rows[i, 2 * k])
        dut.scale_b_i.value = int(rows[i, 2 * k + 1])

    def idle(i):  # a bubble: another block's inputs with valid_i low
        dut.a_i.value = a_words[(i + 1) % len(rows)]
        dut.b_i.value = b_words[(i + 3) % len(rows)]

    latency = max(pipe, 1)
    sent, got, lines = await stream(dut, len(rows), bubble, pipe, drive, idle)

    elem = get_mx_type(mx_type).element
    a, b = rows[:, :k], rows[:, k:2 * k]
    nonzero = (a != 0) & (b != 0) if elem is None else (decode(a, elem) != 0) & (decode(b, elem) != 0)
    exact_zero = ((rows[:, 2 * k + 2] & 0x7FFFFFFF) == 0) & (rows[:, 2 * k + 3] == 0) & nonzero.any(axis=1) & (
        rows[:, 2 * k] != 0xFF) & (rows[:, 2 * k + 1] != 0xFF)
    bins = coverage.defined("mx_dot", fmt_a=elem)
    hits = coverage.sample_mx_dot(rows[:, 2 * k], rows[:, 2 * k + 1], rows[:, 2 * k + 2], rows[:, 2 * k + 3],
                                  exact_zero)
    n_bad = sum(1 for (_, r, f), row in zip(got, rows) if (r, f) != (int(row[2 * k + 2]), int(row[2 * k + 3])))
    examples = [f"case {i}: expected 0x{int(row[2 * k + 2]):08X}/{int(row[2 * k + 3]):05b} got 0x{r:08X}/{f:05b}"
                for i, ((_, r, f), row) in enumerate(zip(got, rows))
                if (r, f) != (int(row[2 * k + 2]), int(row[2 * k + 3]))][:5]
    write_report(len(rows), n_bad + abs(len(rows) - len(got)), bins, hits, examples)
    assert len(got) == len(rows), f"{len(rows)} blocks in, {len(got)} valid outputs"
    for i, ((out_edge, res, flags), row) in enumerate(zip(got, rows)):
        want_res, want_flags = int(row[2 * k + 2]), int(row[2 * k + 3])
        if out_edge - sent[i] != latency:
            lines.append(f"case {i}: result after {out_edge - sent[i]} cycles, expected {latency}")
        if (res, flags) != (want_res, want_flags):
            lines.append(f"case {i}: scale_a=0x{int(row[2 * k]):02X} scale_b=0x{int(row[2 * k + 1]):02X} "
                         f"a={[hex(int(v)) for v in row[:k]]} b={[hex(int(v)) for v in row[k:2 * k]]}: "
                         f"expected 0x{want_res:08X}/{want_flags:05b} got 0x{res:08X}/{flags:05b}")
    assert not lines, mismatch_report(f"mx_dot {mx_type} K={k} PIPE={pipe}", lines, len(rows))
