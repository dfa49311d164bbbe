"""Generic cocotb bench for a described fma DUT (``verif.byo``): scoreboard refmodel.arith.fma.

Settings (environment): ``FP8KIT_BYO_SPEC``, the DUT's TOML; ``FP8KIT_MODES``, fp8kit rounding-mode
codes to run (default: every mode the DUT supports); ``FP8KIT_FMA_VECTORS``, random vectors on top
of the directed ones; ``FP8KIT_SEED_TB``, the stimulus seed.

The stimulus is the fma benches' (``fp8kit.vectors.fma.bench_cases``: directed cases, then random
ones). Every input goes through the port map: the rounding mode as the DUT's code from ``[rounding]``, ``sat`` only if a sat port is
mapped (else the model runs with ``saturate=False``), the random word only if a rand port is mapped
(its width is the model's ``sr_bits``). The DUT's flag bits are mapped back through ``[flags]``;
flags it does not provide are masked out of the comparison.

Timing and the port checks are the shared harness's (``verif.byo.harness``): latency 0 samples 1 ns
after the inputs change; latency L >= 1 clocks one operation per cycle, with idle cycles and the
valid_out timing checked where the ports exist.
"""

from __future__ import annotations

import os

import cocotb
import numpy as np

from refmodel import arith, get_format
from refmodel.encodings import RoundingMode
from verif import coverage
from verif.byo import load_dut
from verif.byo.harness import Harness
from fp8kit.vectors.fma import bench_cases
from verif.common.tb import env_int, env_modes, mismatch_report, write_report

_INPUTS = ("a", "b", "acc", "rm", "sat", "rand")


class ByoTB(Harness):
    """The harness of an fma description: operand, accumulator and result widths from its formats."""

    def __init__(self, dut) -> None:
        spec = load_dut(os.environ["FP8KIT_BYO_SPEC"])
        self.fmt_a, self.fmt_b, self.acc = get_format(spec.fmt_a), get_format(spec.fmt_b), get_format(spec.acc)
        self.modes = env_modes(spec.modes)
        unsupported = [RoundingMode(int(m)).label for m in self.modes if RoundingMode(int(m)) not in spec.rounding]
        assert not unsupported, f"FP8KIT_MODES asks for {unsupported}, not in [rounding] of {spec.path}"
        super().__init__(dut, spec, _INPUTS, {"a": self.fmt_a.bits, "b": self.fmt_b.bits, "acc": self.acc.bits,
                                              "result": self.acc.bits, "sat": 1})
        self.sr_bits = self.width("rand") if "rand" in self.port else 16


@cocotb.test()
async def test_byo_fma_matches_model(dut):
    """Every directed and random operation: result and provided flags equal refmodel.arith.fma."""
    tb = ByoTB(dut)
    spec = tb.spec
    rng = np.random.default_rng(env_int("FP8KIT_SEED_TB", 1))
    acc, a, b, rm, rand, sat = bench_cases(tb.fmt_a, tb.fmt_b, tb.acc, tb.modes, tb.sr_bits,
                                           env_int("FP8KIT_FMA_VECTORS", 300), rng)
    if "sat" not in tb.port:
        sat[:] = 0
    to_dut = np.zeros(len(RoundingMode), np.int64)
    for mode, code in spec.rounding.items():
        to_dut[int(mode)] = code
    rm_dut = to_dut[rm]
    got_res, raw_flags, timing = await tb.run({"a": a, "b": b, "acc": acc, "rm": rm_dut, "sat": sat, "rand": rand},
                                              acc.size)

    want_res, want_flags = arith.fma_ops(acc, a, b, rm, sat, rand, fmt_a=tb.fmt_a, fmt_b=tb.fmt_b, acc_fmt=tb.acc,
                                         sr_bits=tb.sr_bits)
    got_flags = tb.to_fp8kit_flags(raw_flags)
    bad = tb.mismatched(want_res, want_flags, got_res, got_flags)

    def describe(k: int) -> str:
        """One mismatch, inputs by the DUT's port names."""
        ports = spec.ports
        text = (f"{ports['acc']}=0x{int(acc[k]):X} {ports['a']}=0x{int(a[k]):02X} {ports['b']}=0x{int(b[k]):02X} "
                f"rm={RoundingMode(int(rm[k])).label}")
        text += f" ({ports['rm']}={int(rm_dut[k])})" if "rm" in ports else ""
        text += f" {ports['sat']}={int(sat[k])}" if "sat" in ports else ""
        text += f" {ports['rand']}=0x{int(rand[k]):X}" if "rand" in ports else ""
        return f"{text}: {tb.outcome(k, want_res, want_flags, got_res, got_flags)}"

    lines = timing[:10] + [describe(k) for k in bad[:50]]

    bins = tb.provided_bins(coverage.defined("fma", fmt_a=tb.fmt_a, fmt_b=tb.fmt_b, acc=tb.acc,
                                             modes=tb.modes.tolist()))
    hits = coverage.sample_fma(acc, a, b, rm, sat, rand, want_res, want_flags, fmt_a=tb.fmt_a, fmt_b=tb.fmt_b,
                               acc_fmt=tb.acc, sr_bits=tb.sr_bits)
    hits = {x: v for x, v in hits.items() if x in bins}
    notes = tb.notes()
    for note in notes:
        dut._log.info(note)
    write_report(acc.size, bad.size + len(timing), bins, hits, lines, notes)
    assert not bad.size and not timing, mismatch_report(
        f"byo {spec.toplevel}", lines + [f"({bad.size} value and {len(timing)} timing mismatches)"], acc.size)
