"""S2FP8 (Cambier et al., ICLR 2020): an affine map of the log-magnitudes onto E5M2's range, then the cast."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from ..codec import decode, encode
from ..formats import get_format
from ._inputs import _as_float32

__all__ = ["S2FP8_FORMAT", "S2fp8Tensor", "s2fp8_decode", "s2fp8_encode", "s2fp8_statistics"]

S2FP8_FORMAT = get_format("float8_e5m2")
_S2FP8_TARGET_MAX = 15.0  # max log2|y| after the transform (E5M2's emax)


@dataclasses.dataclass(frozen=True)
class S2fp8Tensor:
    """An S2FP8 tensor: E5M2 codes of ``y`` and the per-tensor statistics.

    ``log2|y| = alpha * log2|x| + beta``; the stored values are
    ``codes`` (uint8 ``float8_e5m2``), ``alpha`` (squeeze) and ``beta``
    (shift), as Python floats.
    """

    codes: np.ndarray
    alpha: float
    beta: float


def s2fp8_statistics(x: Any) -> tuple[float, float]:
    """The S2FP8 squeeze and shift ``(alpha, beta)`` of a tensor.

    Over the nonzero finite elements of ``np.float32(x)``, in float64:
    ``mu = mean(log2|x|)``, ``m = max(log2|x|)``; ``alpha = 15 / (m - mu)``
    and ``beta = -alpha * mu`` (Cambier et al., ICLR 2020, section 3), so
    that ``alpha * log2|x| + beta`` has mean 0 and maximum 15.  When
    ``m == mu`` (all magnitudes equal) ``alpha = 1``; with no nonzero finite
    element ``alpha = 1, beta = 0`` (the identity).

    Raises:
        TypeError: non-real input.
    """
    a = np.abs(_as_float32(x, "x")).astype(np.float64).reshape(-1)
    sel = a[(a > 0) & np.isfinite(a)]
    if not sel.size:
        return 1.0, 0.0
    logs = np.log2(sel)
    mu = float(np.mean(logs))
    m = float(np.max(logs))
    alpha = 1.0 if m == mu else _S2FP8_TARGET_MAX / (m - mu)
    return alpha, -alpha * mu


def s2fp8_encode(x: Any) -> S2fp8Tensor:
    """Shifted and squeezed FP8 (S2FP8): map log-magnitudes onto E5M2's range, then cast.

    The rule of Cambier et al., "Shifted and Squeezed 8-bit Floating Point
    format for Low-Precision Training of Deep Neural Networks" (ICLR 2020):
    with ``mu`` and ``m`` the mean and the maximum of ``log2|x|`` over the
    nonzero finite elements, the squeeze ``alpha = 15 / (m - mu)`` and the
    shift ``beta = -alpha * mu`` (:func:`s2fp8_statistics`) give
    ``y = sign(x) * 2**(alpha * log2|x| + beta)``, whose log-magnitudes have
    mean 0 and maximum 15 (E5M2's largest binade), and ``y`` is encoded into
    ``float8_e5m2`` with rne and saturation.  Zeros stay zeros (with their
    sign), +-Inf saturates to +-57344 and NaN stays NaN.

    Exactness: ``x`` is rounded to float32, the statistics and ``y`` are
    computed in float64 (numpy's ``log2`` and ``exp2``), and ``y`` is
    rounded once into E5M2.  ``log2``/``exp2`` come from the platform's libm,
    so a code can differ between platforms only where ``y`` lies within a
    few float64 ulps of an E5M2 rounding boundary.  The paper keeps
    ``alpha`` and ``beta`` in FP32; **decision**: they are kept in float64
    here so that the model adds no error of its own to the statistics.

    Args:
        x: real array-like, any shape.

    Returns:
        :class:`S2fp8Tensor` with uint8 codes of ``x``'s shape.

    Raises:
        TypeError: non-real input.
    """
    x32 = _as_float32(x)
    alpha, beta = s2fp8_statistics(x32)
    x64 = x32.astype(np.float64)
    a = np.abs(x64)
    mask = (a > 0) & np.isfinite(a)
    y = x64.copy()  # zeros, Inf and NaN pass through to the saturating cast
    with np.errstate(all="ignore"):
        y[mask] = np.copysign(np.exp2(alpha * np.log2(a[mask]) + beta), x64[mask])
    return S2fp8Tensor(encode(y, S2FP8_FORMAT, rounding="rne", saturate=True), alpha, beta)


def s2fp8_decode(t: S2fp8Tensor) -> np.ndarray:
    """Undo the S2FP8 transform: ``x = sign(y) * 2**((log2|y| - beta) / alpha)``.

    ``y`` is the exact E5M2 value of each code (as float64); the inverse map
    is computed in float64 (numpy ``log2``/``exp2``) and rounded once to
    float32 (rne; beyond float32's range -> +-Inf).  Zeros keep their sign,
    NaN codes give NaN.

    Raises:
        TypeError: ``t`` is not an S2fp8Tensor, or non-integer codes.
        ValueError: ``alpha`` not finite and positive, ``beta`` not finite, codes out of range.
    """
    if not isinstance(t, S2fp8Tensor):
        raise TypeError(f"expected an S2fp8Tensor, got {type(t).__name__}")
    if not (math.isfinite(t.alpha) and t.alpha > 0) or not math.isfinite(t.beta):
        raise ValueError(f"alpha must be finite and > 0 and beta finite, got alpha={t.alpha!r}, beta={t.beta!r}")
    y = decode(t.codes, S2FP8_FORMAT, np.float64)
    a = np.abs(y)
    mask = (a > 0) & np.isfinite(a)
    out = y.copy()
    with np.errstate(all="ignore"):
        out[mask] = np.copysign(np.exp2((np.log2(a[mask]) - t.beta) / t.alpha), y[mask])
        return out.astype(np.float32)
