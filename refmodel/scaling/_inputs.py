"""Input checks every scaling technique shares: the float32 view of a tensor, finiteness."""

from __future__ import annotations

from typing import Any

import ml_dtypes
import numpy as np

__all__: list[str] = []


def _as_float32(x: Any, what: str = "x") -> np.ndarray:
    """``x`` rounded to float32 (rne; beyond float32's range -> +-Inf), any shape."""
    arr = np.asarray(x)
    dt = arr.dtype
    if dt.kind in "fiu" and not (dt.kind == "f" and dt.itemsize > 8):
        with np.errstate(over="ignore", invalid="ignore"):
            return arr.astype(np.float32)
    if dt.kind == "V":
        try:
            ml_dtypes.finfo(dt)
        except ValueError:
            pass
        else:  # every ml_dtypes float of <= 16 bits widens to float32 exactly
            with np.errstate(invalid="ignore"):
                return arr.astype(np.float32)
    raise TypeError(
        f"{what} of dtype {dt} is not allowed; allowed: float16, bfloat16, float32, float64, "
        "the ml_dtypes float types and integers"
    )


def _check_finite(arr: np.ndarray, what: str) -> None:
    bad = ~np.isfinite(arr)
    if bad.any():
        idx = np.unravel_index(int(np.argmax(bad)), arr.shape)
        raise ValueError(
            f"{what} holds a non-finite value ({float(arr[idx])!r}) at index {tuple(int(i) for i in idx)}; "
            "only finite values are allowed"
        )
