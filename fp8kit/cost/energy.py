"""Switching-activity energy of a synthesized datapath: its gate-level netlist simulated on random operands.

The netlist comes from :func:`fp8kit.cost.synth.synth`, the simulation from :class:`fp8kit.cost.gatesim.Netlist`;
the simulated results are checked against the golden model (docs/cost-model.md, "Energy").
"""

from __future__ import annotations

import dataclasses

import numpy as np

from fp8kit.cost.gatesim import Netlist
from fp8kit.cost.model import Datapath
from fp8kit.cost.synth import SynthResult
from fp8kit.rtlspec.params import pack_lanes

__all__ = ["CLOCK_UNITS", "OPERAND_DISTRIBUTIONS", "EnergyResult", "simulate_energy"]

CLOCK_UNITS = 1.0
"""Energy units charged per flop per clock cycle for its clock pin (one NAND2-toggle equivalent)."""

OPERAND_DISTRIBUTIONS: tuple[str, ...] = ("gaussian", "uniform")
"""Operand distributions of :func:`simulate_energy`:

- ``gaussian``: independent N(0, 1) values, scaled so that 4 sigma is the
  format's largest finite value (INT8: 127), then rounded rne with saturation;
  MX types quantise blocks of N(0, 1) values with the OCP scale rule.
- ``uniform``: uniformly random codes, NaN and Inf codes excluded (MX: random
  element codes, scales 2**-4...2**4).
"""


@dataclasses.dataclass(frozen=True)
class EnergyResult:
    """Switching-activity energy of one synthesized datapath.

    Attributes:
        units_per_mac: ``(sum over cells of toggles * cell GE + CLOCK_UNITS * flops * cycles)``
            divided by the MACs simulated: NAND2-toggle equivalents per MAC.
        toggle_rate: mean output toggles per cell per cycle.
        macs: MACs simulated (lanes x cycles x K).
        checked: result codes compared with the golden model (all equal, else an error is raised).
    """

    units_per_mac: float
    toggle_rate: float
    macs: int
    checked: int


def _operands(dp: Datapath, dist: str, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Operand codes for n operations: ``a``/``b`` (shape (n,) or (n, K)) and MX ``sa``/``sb``."""
    from refmodel.codec import decode, encode

    if dist not in OPERAND_DISTRIBUTIONS:
        raise ValueError(f"unknown operand distribution {dist!r}; allowed: {', '.join(OPERAND_DISTRIBUTIONS)}")
    shape = (n, dp.k) if dp.kind == "mx_dot" else (n,)
    out: dict[str, np.ndarray] = {}
    for name in ("a", "b"):
        if dp.kind == "mx_dot":
            from refmodel.mx import quantize

            if dist == "gaussian":
                m = quantize(rng.standard_normal(shape), str(dp.mx), block=dp.k)
                out[name], out["s" + name] = m.elements.astype(np.int64), m.scales.reshape(n).astype(np.int64)
                continue
            out["s" + name] = rng.integers(127 - 4, 127 + 5, n)
        if dp.fmt is None:  # int8 elements
            codes = (rng.integers(-128, 128, shape) if dist == "uniform" else
                     np.clip(np.rint(rng.standard_normal(shape) * 127 / 4), -127, 127)).astype(np.int64) & 0xFF
        elif dist == "uniform":
            codes = rng.integers(0, dp.fmt.code_count, shape)
            finite = np.isfinite(decode(codes, dp.fmt, np.float64))
            codes = np.where(finite, codes, 0)
        else:
            x = rng.standard_normal(shape) * (dp.fmt.max_finite / 4)
            codes = encode(x, dp.fmt, rounding="rne", saturate=True).astype(np.int64)
        out[name] = codes
    return out


def simulate_energy(dp: Datapath, result: SynthResult, *, dist: str = "gaussian", lanes: int = 64,
                    cycles: int = 128, seed: int = 0) -> EnergyResult:
    """First-order energy per MAC from the switching activity of the synthesized netlist.

    Zero-delay simulation of the mapped gates (no glitches) on ``lanes``
    independent streams of ``cycles`` operations (MACs: clear, then one
    accepted pair per cycle; MX: one block per cycle).  Every output toggle of
    a cell costs that cell's GE (:data:`GATE_GE`), every flop ``CLOCK_UNITS``
    per cycle for its clock.  The simulated results are compared with the
    golden model (``refmodel.arith.mac``, ``refmodel.int8.int8_mac_stream``,
    ``refmodel.mx.dot``), so the figure comes from a netlist known to be right.

    Raises:
        ValueError: unknown distribution, lanes or cycles < 2.
        RuntimeError: the netlist disagrees with the golden model.
    """
    if lanes < 2 or cycles < 2:
        raise ValueError(f"lanes and cycles must be >= 2, got {lanes} and {cycles}")
    rng = np.random.default_rng(seed)
    ops = _operands(dp, dist, lanes * cycles, rng)
    net = Netlist(result.netlist)
    per_cycle = []
    if dp.kind == "mx_dot":
        k = dp.k
        a = ops["a"].reshape(lanes, cycles, k)
        b = ops["b"].reshape(lanes, cycles, k)
        sa, sb = ops["sa"].reshape(lanes, cycles), ops["sb"].reshape(lanes, cycles)
        w = 8 if dp.fmt is None else dp.fmt.bits
        for t in range(cycles):
            per_cycle.append({"a_i": np.array([pack_lanes(a[i, t], w) for i in range(lanes)], object),
                              "b_i": np.array([pack_lanes(b[i, t], w) for i in range(lanes)], object),
                              "scale_a_i": sa[:, t], "scale_b_i": sb[:, t], "valid_i": np.ones(lanes, np.int64)})
        energy, toggles, got = net.run(per_cycle, "res_o", clock_units=CLOCK_UNITS)
        want = _mx_reference(dp, a, b, sa, sb)
    else:
        a = ops["a"].reshape(lanes, cycles)
        b = ops["b"].reshape(lanes, cycles)
        ones, zeros = np.ones(lanes, np.int64), np.zeros(lanes, np.int64)
        for t in range(cycles):
            per_cycle.append({"a_i": a[:, t], "b_i": b[:, t], "valid_i": ones, "clear_i": zeros,
                              "sat_i": zeros, "rst_ni": ones})
        energy, toggles, got = net.run(per_cycle, "acc_o", clock_units=CLOCK_UNITS)
        if dp.kind == "int8_mac":
            from refmodel.int8 import int8_mac_stream

            sa8 = ((a + 128) & 0xFF) - 128
            sb8 = ((b + 128) & 0xFF) - 128
            want = int8_mac_stream(sa8, sb8).acc.astype(np.int64) & 0xFFFFFFFF
        else:
            from refmodel.arith import mac

            kw = {"rounding": "sr", "sr_bits": dp.sr_bits, "lfsr_seed": 1} if dp.sr_bits else {}
            want = mac(a, b, fmt_a=dp.fmt, acc_fmt=dp.acc, **kw).acc.astype(np.int64)
    bad = np.argwhere(got != want)
    if bad.size:
        i, t = bad[0]
        raise RuntimeError(f"gate-level netlist of {dp.label} disagrees with the golden model at lane {i}, "
                           f"cycle {t}: got {int(got[i, t]):#x}, expected {int(want[i, t]):#x}")
    macs = lanes * (cycles - 1) * dp.per
    cells = len(net.outs)
    return EnergyResult(energy / macs, toggles / (cells * lanes * (cycles - 1)), lanes * cycles * dp.per,
                        int(want.size))


def _mx_reference(dp: Datapath, a, b, sa, sb) -> np.ndarray:
    from refmodel.mx import MxArray, dot

    lanes, cycles, k = a.shape

    def arr(el, sc):
        return MxArray(str(dp.mx), k, 2, (lanes, cycles, k), sc.reshape(lanes, cycles, 1).astype(np.uint8),
                       el.astype(np.uint8))

    codes, _ = dot(arr(a, sa), arr(b, sb))
    return codes.astype(np.int64)
