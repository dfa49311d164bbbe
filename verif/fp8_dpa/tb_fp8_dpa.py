"""cocotb testbench for rtl/fp8_dpa.v: fused-dot steps streamed through the pipeline against refmodel.gemm.

The unit's configuration (``FP8KIT_DPA``: a :class:`fp8kit.vectors.dpa.DpaConfig` as JSON) gives the
datapath, the element formats and the accumulator.  The cases are the directed rows of
:func:`fp8kit.vectors.dpa.dpa_structured` and ``FP8KIT_DPA_CASES`` seeded random rows, each with the
expected result and flags of one step of the model.  Inputs are offered one step per clock with random
bubbles; every valid output is checked in order, with its latency (PIPE cycles) and, for PIPE >= 1,
that res_o/flags_o hold while valid_o is low.
"""

from __future__ import annotations

import os

import cocotb
import numpy as np
from cocotb.clock import Clock

from fp8kit.rtlspec.params import pack_lanes
from fp8kit.vectors.dpa import DpaConfig, dpa_random_cases, dpa_structured
from verif import coverage
from verif.common.tb import check_params, env_int, mismatch_report, reset, stream, write_report


@cocotb.test()
async def test_steps_match_model(dut):
    """Every case: res_o and flags_o equal one step of refmodel's FusedDot, PIPE cycles after the inputs."""
    cfg = DpaConfig.from_json(os.environ["FP8KIT_DPA"])
    pipe = int(dut.PIPE.value)
    check_params(dut, cfg.rtl_params(pipe))
    lanes = cfg.lanes
    wa, wb = cfg.element("a").bits, cfg.element("b").bits
    rows = np.concatenate([dpa_structured(cfg),
                           dpa_random_cases(cfg, env_int("FP8KIT_DPA_CASES", 400), env_int("FP8KIT_SEED_TB", 1))])
    a_words = [pack_lanes(r[:lanes], wa) for r in rows]
    b_words = [pack_lanes(r[lanes:2 * lanes], wb) for r in rows]
    rng = np.random.default_rng(env_int("FP8KIT_SEED_TB", 1))
    bubble = rng.random(2 * len(rows) + 8) < 0.1

    Clock(dut.clk_i, 10, unit="ns").start()
    await reset(dut, ("valid_i", "a_i", "b_i", "scale_a_i", "scale_b_i", "c_i"))

    col = 2 * lanes

    def drive(i):
        dut.a_i.value = a_words[i]
        dut.b_i.value = b_words[i]
        dut.scale_a_i.value = int(rows[i, col])
        dut.scale_b_i.value = int(rows[i, col + 1])
        dut.c_i.value = int(rows[i, col + 2])

    def idle(i):  # a bubble: another step's inputs with valid_i low
        dut.a_i.value = a_words[(i + 1) % len(rows)]
        dut.b_i.value = b_words[(i + 3) % len(rows)]

    latency = max(pipe, 1)
    sent, got, lines = await stream(dut, len(rows), bubble, pipe, drive, idle)

    bins = coverage.defined("dpa", config=cfg)
    hits = coverage.sample_dpa(rows, cfg)
    want = [(int(r[col + 3]), int(r[col + 4])) for r in rows]
    bad = [i for i, ((_, r, f), w) in enumerate(zip(got, want)) if (r, f) != w]
    examples = [f"case {i}: expected 0x{want[i][0]:X}/{want[i][1]:05b} got 0x{got[i][1]:X}/{got[i][2]:05b}"
                for i in bad[:5]]
    write_report(len(rows), len(bad) + abs(len(rows) - len(got)), bins, hits, examples)
    assert len(got) == len(rows), f"{len(rows)} steps in, {len(got)} valid outputs"
    for i, ((out_edge, res, flags), row) in enumerate(zip(got, rows)):
        if out_edge - sent[i] != latency:
            lines.append(f"case {i}: result after {out_edge - sent[i]} cycles, expected {latency}")
        if (res, flags) != want[i]:
            lines.append(f"case {i}: a={[hex(int(v)) for v in row[:lanes]]} b={[hex(int(v)) for v in row[lanes:col]]} "
                         f"scales=0x{int(row[col]):02X}/0x{int(row[col + 1]):02X} c=0x{int(row[col + 2]):X}: "
                         f"expected 0x{want[i][0]:X}/{want[i][1]:05b} got 0x{res:X}/{flags:05b}")
    assert not lines, mismatch_report(f"fp8_dpa {cfg.to_json()} PIPE={pipe}", lines, len(rows))
