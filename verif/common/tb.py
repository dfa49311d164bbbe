"""Helpers shared by the cocotb testbenches (imported inside simulations only)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

__all__ = ["check_params", "env_int", "mismatch_report"]


def env_int(name: str, default: int) -> int:
    """An integer setting sent by the pytest entry point through ``extra_env``."""
    return int(os.environ.get(name, str(default)), 0)


def check_params(dut, expected: Mapping[str, int]) -> None:
    """Fail unless the DUT was built with exactly these parameter values (time-0 self-check).

    Raises:
        AssertionError: naming every parameter whose value differs.
    """
    bad = []
    for name, want in expected.items():
        got = int(getattr(dut, name).value)
        if got != int(want):
            bad.append(f"{name}: DUT {got}, expected {want}")
    assert not bad, "DUT built with the wrong parameters: " + "; ".join(bad)


def mismatch_report(title: str, lines: Sequence[str], total: int, limit: int = 20) -> str:
    """One message: a count, then up to ``limit`` one-line mismatch descriptions."""
    shown = "\n".join(lines[:limit])
    more = f"\n... and {len(lines) - limit} more" if len(lines) > limit else ""
    return f"{title}: {len(lines)} mismatches in {total} vectors\n{shown}{more}"
