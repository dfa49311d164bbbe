"""Generic cocotb bench for a described dot-product unit (``verif.byo``, op ``dpa``): one fused-dot step of
refmodel's FusedDot per operation.

Settings (environment): ``FP8KIT_BYO_SPEC``, the DUT's TOML; ``FP8KIT_MODES``, fp8kit rounding-mode
codes to run (default: every mode the DUT supports), each with its own unit (the ``[dpa]`` table's step
rounded in that mode); ``FP8KIT_DPA_CASES``, random steps on top of the directed rows;
``FP8KIT_SEED_TB``, the stimulus seed.

The stimulus is fp8_dpa's (``fp8kit.vectors.dpa``: :func:`dpa_structured`, then
:func:`dpa_random_cases`), the expected result and flags of each row from ``refmodel.gemm``. Every
input goes through the port map: the lanes packed onto the ``a``/``b`` buses (lane k in bits
``[k*W +: W]``) or one port per lane, the E8M0 scales on ``scale_a``/``scale_b`` (block-scaled
units), the accumulator on ``acc``, the rounding mode as the DUT's code from ``[rounding]``. The DUT's
flag bits are mapped back through ``[flags]``; flags it does not provide are masked out of the
comparison and of the flag coverage. Timing and the time-0 port checks are ``verif.byo.harness``'s.
"""

from __future__ import annotations

import os

import cocotb
import numpy as np

from fp8kit.rtlspec.params import pack_lanes
from fp8kit.vectors.dpa import dpa_random_cases, dpa_structured
from refmodel.encodings import RoundingMode
from verif import coverage
from verif.byo import load_dut
from verif.byo.harness import Harness
from verif.common.tb import env_int, env_modes, mismatch_report, write_report

_INPUTS = ("a", "b", "scale_a", "scale_b", "acc", "rm")


@cocotb.test()
async def test_byo_dpa_matches_model(dut):
    """Every directed and random step: result and provided flags equal one step of refmodel's FusedDot."""
    spec = load_dut(os.environ["FP8KIT_BYO_SPEC"])
    modes = [RoundingMode(int(m)) for m in env_modes(spec.modes)]
    unsupported = [m.label for m in modes if m not in spec.rounding]
    assert not unsupported, f"FP8KIT_MODES asks for {unsupported}, not in [rounding] of {spec.path}"
    unit = spec.unit
    lanes, fa, fb, fc = unit.lanes, unit.element("a"), unit.element("b"), unit.acc
    per_lane = {r: w for r, w in (("a", fa.bits), ("b", fb.bits)) if isinstance(spec.ports[r], tuple)}
    tb = Harness(dut, spec, _INPUTS, {"a": per_lane.get("a", lanes * fa.bits), "b": per_lane.get("b", lanes * fb.bits),
                                      "scale_a": 8, "scale_b": 8, "acc": fc.bits, "result": fc.bits})

    units = [spec.dpa_unit(m) for m in modes]
    seed, count = env_int("FP8KIT_SEED_TB", 1), env_int("FP8KIT_DPA_CASES", 400)
    blocks = [np.concatenate([dpa_structured(u), dpa_random_cases(u, count, seed + j)]) for j, u in enumerate(units)]
    rows = np.concatenate(blocks)
    mode = np.concatenate([np.full(len(b), int(m)) for b, m in zip(blocks, modes)])
    col = 2 * lanes
    sa, sb, c, want_res, want_flags = (rows[:, col + i] for i in range(5))
    rm_dut = np.array([spec.rounding[RoundingMode(int(m))] for m in mode], np.int64)
    ops = {"a": [pack_lanes(r[:lanes], fa.bits) for r in rows], "b": [pack_lanes(r[lanes:col], fb.bits) for r in rows],
           "scale_a": sa, "scale_b": sb, "acc": c, "rm": rm_dut}
    got_res, raw_flags, timing = await tb.run(ops, len(rows))

    got_flags = tb.to_fp8kit_flags(raw_flags)
    bad = tb.mismatched(want_res, want_flags, got_res, got_flags)
    ports = spec.ports

    def name(role: str) -> str:
        return role if isinstance(ports[role], tuple) else ports[role]

    def describe(k: int) -> str:
        """One mismatch: the lanes as element codes (lane 0 first), the other inputs by the DUT's port names."""
        row = rows[k]
        text = (f"{name('a')}=[{' '.join(f'{int(x):02X}' for x in row[:lanes])}] "
                f"{name('b')}=[{' '.join(f'{int(x):02X}' for x in row[lanes:col])}]")
        if unit.scaled:
            text += f" {ports['scale_a']}=0x{int(sa[k]):02X} {ports['scale_b']}=0x{int(sb[k]):02X}"
        text += f" {ports['acc']}=0x{int(c[k]):X} rm={RoundingMode(int(mode[k])).label}"
        text += f" ({ports['rm']}={int(rm_dut[k])})" if "rm" in ports else ""
        return f"{text}: {tb.outcome(k, want_res, want_flags, got_res, got_flags)}"

    lines = timing[:10] + [describe(k) for k in bad[:50]]
    bins, hits = set(), {}
    for u, block in zip(units, blocks):
        defined = tb.provided_bins(coverage.defined("dpa", config=u))
        bins |= defined
        for key, value in coverage.sample_dpa(block, u).items():
            if key in defined:
                hits[key] = hits.get(key, 0) + value
    notes = tb.notes()
    for note in notes:
        dut._log.info(note)
    write_report(len(rows), bad.size + len(timing), bins, hits, lines, notes)
    assert not bad.size and not timing, mismatch_report(
        f"byo {spec.toplevel}", lines + [f"({bad.size} value and {len(timing)} timing mismatches)"], len(rows))
