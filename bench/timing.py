"""Shared timing helper for the bench scripts: median wall-clock time of a call."""

from __future__ import annotations

import time
from typing import Callable

import numpy as np


def median_time(fn: Callable[[], object], repeats: int) -> float:
    """Median seconds of ``repeats`` calls of ``fn``, after one untimed warm-up call (caches, tables)."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))
