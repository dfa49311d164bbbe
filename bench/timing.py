"""Shared timing helper for the bench scripts: median wall-clock time of a call.

Importing it sets ``OMP_WAIT_POLICY=PASSIVE`` unless the environment sets it, before any numba
kernel runs (refmodel.gemm_kernels: spinning OpenMP threads slow the BLAS call that follows).
"""

from __future__ import annotations

import os
import time
from typing import Callable

import numpy as np

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def median_time(fn: Callable[[], object], repeats: int) -> float:
    """Median seconds of ``repeats`` calls of ``fn``, after one untimed warm-up call (caches, tables)."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))
