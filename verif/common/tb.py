"""Helpers shared by the cocotb testbenches (imported inside simulations only)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

__all__ = ["check_params", "env_int", "mismatch_report", "write_report"]


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
