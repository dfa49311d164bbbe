"""How close a quantised tensor is to the original: the signal-to-quantisation-noise ratio."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._inputs import _as_float32, _check_finite

__all__ = ["sqnr_db"]


def _sqnr_from_sums(signal: float, noise: float) -> float:
    if noise == 0:
        return math.inf
    if signal == 0:
        return -math.inf
    return 10.0 * math.log10(signal / noise)


def sqnr_db(x: Any, xq: Any) -> float:
    """Signal-to-quantisation-noise ratio ``10 * log10(sum x**2 / sum (xq - x)**2)`` in dB.

    Both arrays are taken as float64 (exactly, for float inputs); the sums are
    numpy float64 sums.  An exact ``xq`` gives ``inf``; an all-zero ``x``
    with a nonzero error gives ``-inf``.

    Raises:
        ValueError: shapes differ, empty or non-finite inputs.
        TypeError: non-real inputs.

    >>> round(sqnr_db([1.0, 2.0], [1.0, 2.5]), 4)  # 10 log10(5 / 0.25)
    13.0103
    """
    a = _as_float64_checked(x, "x")
    b = _as_float64_checked(xq, "xq")
    if a.shape != b.shape:
        raise ValueError(f"x and xq differ in shape: {a.shape} vs {b.shape}")
    err = b - a
    return _sqnr_from_sums(float(np.sum(a * a)), float(np.sum(err * err)))


def _as_float64_checked(x: Any, what: str) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype.kind == "V" or (arr.dtype.kind == "f" and arr.dtype.itemsize <= 8):
        arr = _as_float32(arr, what) if arr.dtype.kind == "V" else arr  # ml_dtypes floats widen exactly
    elif arr.dtype.kind not in "iu":
        raise TypeError(f"{what} of dtype {arr.dtype} is not allowed; allowed: real floats or integers")
    arr = arr.astype(np.float64)
    if not arr.size:
        raise ValueError(f"{what} is empty")
    _check_finite(arr, what)
    return arr
