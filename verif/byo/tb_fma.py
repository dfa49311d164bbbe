"""Generic cocotb bench for a described fma DUT (``verif.byo``): scoreboard refmodel.arith.fma.

Settings (environment): ``FP8KIT_BYO_SPEC``, the DUT's TOML; ``FP8KIT_MODES``, fp8kit rounding-mode
codes to run (default: every mode the DUT supports); ``FP8KIT_FMA_VECTORS``, random vectors on top
of the directed ones; ``FP8KIT_SEED_TB``, the stimulus seed.

The stimulus is the fma benches' (``fp8kit.vectors.fma.bench_cases``: directed cases, then random ones). Every input goes through the
port map: the rounding mode as the DUT's code from ``[rounding]``, ``sat`` only if a sat port is
mapped (else the model runs with ``saturate=False``), the random word only if a rand port is mapped
(its width is the model's ``sr_bits``). The DUT's flag bits are mapped back through ``[flags]``;
flags it does not provide are masked out of the comparison.

Timing: latency 0 sets the inputs, waits 1 ns and samples. Latency L >= 1 runs a 10 ns clock,
holds the reset role (``rst`` high or ``rst_n`` low) for 3 cycles, then presents one operation per
clock. With a ``valid_in`` port about one cycle in eight is idle (valid low, inputs random junk);
with a ``valid_out`` port every output must come with valid high exactly L cycles after its
operation and valid must be low in every other cycle (each violation is a mismatch); without one,
the outputs are sampled L cycles after each operation.
"""

from __future__ import annotations

import os
from collections import deque

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, Timer

from refmodel import arith, get_format
from refmodel.encodings import Flag, RoundingMode
from verif import coverage
from verif.byo import load_dut
from fp8kit.vectors.fma import bench_cases
from verif.common.tb import env_int, env_modes, mismatch_report, write_report

_INPUTS = ("a", "b", "acc", "rm", "sat", "rand")
_IDLE = 8  # with a valid_in port, about one cycle in _IDLE is idle


class ByoTB:
    """The port map of one DUT description, with its width checks and the drive/sample loop."""

    def __init__(self, dut) -> None:
        self.dut = dut
        self.spec = spec = load_dut(os.environ["FP8KIT_BYO_SPEC"])
        self.fmt_a, self.fmt_b, self.acc = get_format(spec.fmt_a), get_format(spec.fmt_b), get_format(spec.acc)
        self.modes = env_modes(spec.modes)
        unsupported = [RoundingMode(int(m)).label for m in self.modes if RoundingMode(int(m)) not in spec.rounding]
        assert not unsupported, f"FP8KIT_MODES asks for {unsupported}, not in [rounding] of {spec.path}"
        self.port = {role: self._handle(role, name) for role, name in spec.ports.items()}
        self.sr_bits = len(self.port["rand"]) if "rand" in self.port else 16
        self._check_widths()
        self.flag_mask = sum(int(f) for f in spec.flags)

    def _handle(self, role: str, name: str):
        try:
            return getattr(self.dut, name)
        except AttributeError:
            where = f"[ports] {role}" if role else "[tie]"
            raise AssertionError(f"{self.spec.toplevel} has no port {name!r} ({where} of {self.spec.path})") from None

    def _check_widths(self) -> None:
        """Fail at time 0 unless every mapped port has the width its role needs."""
        spec, bad = self.spec, []
        exact = {"a": self.fmt_a.bits, "b": self.fmt_b.bits, "acc": self.acc.bits, "result": self.acc.bits,
                 **{r: 1 for r in ("clk", "rst", "rst_n", "valid_in", "valid_out", "sat")}}
        least = {"rm": max(max(spec.rounding.values()).bit_length(), 1),
                 "flags": max(spec.flags.values(), default=0) + 1}
        for role, h in self.port.items():
            width = len(h)
            if role in exact and width != exact[role]:
                bad.append(f"{role} = {spec.ports[role]!r} is {width} bits, expected {exact[role]}")
            if role in least and width < least[role]:
                bad.append(f"{role} = {spec.ports[role]!r} is {width} bits, needs >= {least[role]}")
        assert not bad, f"{spec.toplevel}: port widths do not match {spec.path}: " + "; ".join(bad)

    def _drive(self, ops: dict[str, np.ndarray], k: int) -> None:
        for role in _INPUTS:
            if role in self.port:
                self.port[role].value = int(ops[role][k])

    def _read(self, role: str) -> int:
        """The port's value, or -1 if it has X/Z bits (never equal to an expected value)."""
        v = self.port[role].value
        return int(v) if v.is_resolvable else -1

    async def run(self, ops: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Apply every operation; return the DUT's result codes, its raw flags words (-1: never sampled
        or X/Z) and the timing violations."""
        n = ops["a"].size
        res, flags = np.full(n, -1, np.int64), np.full(n, -1, np.int64)
        for name, value in self.spec.ties.items():
            self._handle("", name).value = value
        if self.spec.latency == 0:
            for k in range(n):
                self._drive(ops, k)
                await Timer(1, unit="ns")
                res[k] = self._read("result")
                if "flags" in self.port:
                    flags[k] = self._read("flags")
            return res, flags, []
        return res, flags, await self._clocked(ops, res, flags)

    async def _clocked(self, ops, res: np.ndarray, flags: np.ndarray) -> list[str]:
        p, lat, n = self.port, self.spec.latency, ops["a"].size
        Clock(p["clk"], 10, unit="ns").start()
        rng = np.random.default_rng(env_int("FP8KIT_SEED_TB", 1) + 1)
        self._drive({r: np.zeros(1, np.int64) for r in _INPUTS}, 0)
        if "valid_in" in p:
            p["valid_in"].value = 0
        reset = [(r, v) for r, v in (("rst", 1), ("rst_n", 0)) if r in p]
        for role, active in reset:
            p[role].value = active
        for _ in range(3):
            await FallingEdge(p["clk"])
        for role, active in reset:
            p[role].value = 1 - active
        issued: deque[tuple[int, int]] = deque()  # (cycle, operation) in flight
        errors: list[str] = []
        k = cycle = 0
        while k < n or issued:
            # outputs of the edge just past: the operation presented lat cycles ago is due
            due = issued.popleft()[1] if issued and issued[0][0] == cycle - lat else None
            if "valid_out" in p:
                valid = self._read("valid_out") == 1
                if valid and due is None:
                    errors.append(f"cycle {cycle}: {self.spec.ports['valid_out']} high, but no operation was "
                                  f"presented {lat} cycles before")
                elif due is not None and not valid:
                    errors.append(f"cycle {cycle}: {self.spec.ports['valid_out']} low, but operation {due} was "
                                  f"presented {lat} cycles before")
                    due = None
            if due is not None:
                res[due] = self._read("result")
                if "flags" in p:
                    flags[due] = self._read("flags")
            if k < n and ("valid_in" not in p or rng.integers(_IDLE)):
                self._drive(ops, k)
                if "valid_in" in p:
                    p["valid_in"].value = 1
                issued.append((cycle, k))
                k += 1
            elif "valid_in" in p:
                p["valid_in"].value = 0
                self._drive({r: rng.integers(0, 1 << len(p[r]), 1) for r in _INPUTS if r in p}, 0)
            await FallingEdge(p["clk"])
            cycle += 1
        return errors

    def dut_flags_to_fp8kit(self, raw: np.ndarray) -> np.ndarray:
        """Map the DUT's flags words onto fp8kit's ``Flag`` layout (-1 stays -1)."""
        out = np.zeros(raw.size, np.int64)
        for flag, bit in self.spec.flags.items():
            out |= np.where((raw >> bit) & 1, int(flag), 0)
        return np.where(raw < 0, -1, out)


def _flag_names(value: int) -> str:
    return "|".join(f.name for f in Flag if value & int(f)) or "-"


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
    got_res, raw_flags, timing = await tb.run({"a": a, "b": b, "acc": acc, "rm": rm_dut, "sat": sat, "rand": rand})

    want_res, want_flags = arith.fma_ops(acc, a, b, rm, sat, rand, fmt_a=tb.fmt_a, fmt_b=tb.fmt_b, acc_fmt=tb.acc,
                                         sr_bits=tb.sr_bits)
    got_flags = tb.dut_flags_to_fp8kit(raw_flags) if "flags" in tb.port else np.zeros(acc.size, np.int64)
    mask = tb.flag_mask
    bad = np.flatnonzero((got_res != want_res) | ((got_flags & mask) != (want_flags & mask)) | (got_flags < 0))

    def describe(k: int) -> str:
        """One mismatch, inputs by the DUT's port names."""
        ports = spec.ports
        text = (f"{ports['acc']}=0x{int(acc[k]):X} {ports['a']}=0x{int(a[k]):02X} {ports['b']}=0x{int(b[k]):02X} "
                f"rm={RoundingMode(int(rm[k])).label}")
        text += f" ({ports['rm']}={int(rm_dut[k])})" if "rm" in ports else ""
        text += f" {ports['sat']}={int(sat[k])}" if "sat" in ports else ""
        text += f" {ports['rand']}=0x{int(rand[k]):X}" if "rand" in ports else ""
        got = ("X/Z or never sampled" if got_res[k] < 0 or got_flags[k] < 0
               else f"0x{int(got_res[k]):X} {_flag_names(int(got_flags[k]))}")
        return f"{text}: expected 0x{int(want_res[k]):X} {_flag_names(int(want_flags[k]) & mask)}, got {got}"

    lines = timing[:10] + [describe(k) for k in bad[:50]]

    missing = {f.name for f in spec.missing_flags}
    bins = {x for x in coverage.defined("fma", fmt_a=tb.fmt_a, fmt_b=tb.fmt_b, acc=tb.acc, modes=tb.modes.tolist())
            if not (x.startswith("flags:") and x.rsplit(",", 1)[1] in missing)}
    hits = coverage.sample_fma(acc, a, b, rm, sat, rand, want_res, want_flags, fmt_a=tb.fmt_a, fmt_b=tb.fmt_b,
                               acc_fmt=tb.acc, sr_bits=tb.sr_bits)
    hits = {x: v for x, v in hits.items() if x in bins}
    notes = [(f"{spec.toplevel} provides no {' '.join(f.name for f in spec.missing_flags)} flag: masked out of the "
             "comparison and of the flag coverage")] if missing else []
    for note in notes:
        dut._log.info(note)
    write_report(acc.size, bad.size + len(timing), bins, hits, lines, notes)
    assert not bad.size and not timing, mismatch_report(
        f"byo {spec.toplevel}", lines + [f"({bad.size} value and {len(timing)} timing mismatches)"], acc.size)
