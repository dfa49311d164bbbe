"""Helpers shared by the cocotb testbenches (imported inside simulations only)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from refmodel.encodings import RoundingMode
from refmodel.formats import Format, get_format

__all__ = ["ALL_MODES", "check_params", "env_format", "env_int", "env_modes", "mismatch_report", "reset",
           "stream", "write_report"]

ALL_MODES = tuple(int(m) for m in RoundingMode)
"""Every rounding-mode code (RoundingMode rne=0 ... rto=6): the default of :func:`env_modes`."""


def env_int(name: str, default: int) -> int:
    """An integer setting sent by the pytest entry point through ``extra_env``."""
    return int(os.environ.get(name, str(default)), 0)


def env_format(name: str) -> Format:
    """The refmodel Format named by the setting ``name`` (``FP8KIT_FMT_A``, ``FP8KIT_ACC``, ...).

    Raises:
        AssertionError: the setting is missing (the bench was started without its format).
        ValueError: an unknown format name (the message lists the valid ones).
    """
    assert name in os.environ, f"{name} is not set: the pytest entry point sends the format through extra_env"
    return get_format(os.environ[name])


def env_modes(default: Iterable[int] = ALL_MODES) -> np.ndarray:
    """The rounding-mode codes in ``FP8KIT_MODES`` (comma-separated), else ``default``, as an int array."""
    text = os.environ.get("FP8KIT_MODES", ",".join(str(int(m)) for m in default))
    return np.array([int(m) for m in text.split(",")])


async def reset(dut, inputs: Iterable[str], *, cycles: int = 2) -> None:
    """Drive ``inputs`` (port names) to 0 and hold ``rst_ni`` low for ``cycles`` falling edges of ``clk_i``.

    The benches drive on falling edges; the reset is released just after the last one.
    """
    from cocotb.triggers import FallingEdge

    for name in inputs:
        getattr(dut, name).value = 0
    dut.rst_ni.value = 0
    for _ in range(cycles):
        await FallingEdge(dut.clk_i)
    dut.rst_ni.value = 1


def check_params(dut, expected: Mapping[str, int]) -> None:
    """Fail unless the DUT was built with exactly these parameter values (time-0 self-check).

    The simulator shows an ``integer`` parameter as its 32-bit pattern; a negative expected value
    (``fp8_dpa``'s ``ZERO_EXP``) is compared as one.

    Raises:
        AssertionError: naming every parameter whose value differs.
    """
    bad = []
    for name, want in expected.items():
        got = int(getattr(dut, name).value)
        if got != int(want) and got != int(want) % (1 << 32):
            bad.append(f"{name}: DUT {got}, expected {want}")
    assert not bad, "DUT built with the wrong parameters: " + "; ".join(bad)


def mismatch_report(title: str, lines: Sequence[str], total: int, limit: int = 20) -> str:
    """One message: a count, then up to ``limit`` one-line mismatch descriptions."""
    shown = "\n".join(lines[:limit])
    more = f"\n... and {len(lines) - limit} more" if len(lines) > limit else ""
    return f"{title}: {len(lines)} mismatches in {total} vectors\n{shown}{more}"


def write_report(vectors: int, mismatches: int, bins: Iterable[str] = (), hits: Mapping[str, int] | None = None,
                 examples: Sequence[str] = (), notes: Sequence[str] = ()) -> None:
    """Add this test's counts to the run's report file (``FP8KIT_REPORT``, set by ``run_sim``).

    Several cocotb tests of one run add up: vectors and mismatches are summed, coverage bins
    united and hits summed; the first five mismatch ``examples`` are kept; ``notes`` (what the
    comparison left out, say) are kept once each, in order. Call it before asserting, so a failing test is still counted.
    Without ``FP8KIT_REPORT`` (a bench run by hand) nothing is written.
    """
    path = os.environ.get("FP8KIT_REPORT")
    if not path:
        return
    p = Path(path)
    data = json.loads(p.read_text()) if p.exists() else {"vectors": 0, "mismatches": 0, "bins": [], "hits": {}}
    data["vectors"] += int(vectors)
    data["mismatches"] += int(mismatches)
    data["bins"] = sorted(set(data["bins"]) | set(bins))
    data["examples"] = (data.get("examples", []) + list(examples))[:5]
    data["notes"] = list(dict.fromkeys(data.get("notes", []) + list(notes)))
    for k, v in (hits or {}).items():
        data["hits"][k] = data["hits"].get(k, 0) + int(v)
    p.write_text(json.dumps(data, indent=1, sort_keys=True))


async def stream(dut, count: int, bubble: Sequence[bool], pipe: int, drive, idle):
    """Offer ``count`` inputs to a ``valid_i``/``valid_o`` pipeline of ``pipe`` stages, one per falling
    edge of ``clk_i``, and collect every valid ``res_o``/``flags_o`` until the last result is due.

    At edge e (counted from 1) ``bubble[e]`` skips an offer: ``idle(i)`` then drives the bus (another
    input, with ``valid_i`` low, which must not reach the outputs) while input ``i`` waits; otherwise
    ``drive(i)`` sets input i and ``valid_i`` goes high.

    Returns:
        ``(sent, got, lines)``: the edge each input went in, ``(edge, res, flags)`` per valid output,
        and a line for every edge where, with ``pipe >= 1``, the outputs changed while ``valid_o`` was low.
    """
    from cocotb.triggers import FallingEdge

    sent, got, lines = [], [], []
    nxt, edge, last = 0, 0, None
    latency = max(pipe, 1)
    while nxt < count or edge <= (sent[-1] if sent else 0) + latency:
        await FallingEdge(dut.clk_i)
        edge += 1
        res, flags = int(dut.res_o.value), int(dut.flags_o.value)
        if int(dut.valid_o.value):
            got.append((edge, res, flags))
            last = (res, flags)
        elif pipe >= 1 and last is not None and (res, flags) != last:
            lines.append(f"edge {edge}: outputs changed while valid_o was low: {last} -> {(res, flags)}")
        if nxt < count and not bubble[edge]:
            drive(nxt)
            dut.valid_i.value = 1
            sent.append(edge)
            nxt += 1
        else:
            dut.valid_i.value = 0
            idle(nxt)
    return sent, got, lines
