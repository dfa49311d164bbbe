"""Per-tensor amax scaling (Micikevicius et al., "FP8 Formats for Deep Learning", 2022): the current
scale of :func:`tensor_scale` / :func:`quantize_tensor` / :func:`dequantize_tensor`, and the
Transformer-Engine-style :class:`DelayedScaling` that takes the amax of earlier steps."""

from __future__ import annotations

import dataclasses
import math
import numbers
from fractions import Fraction
from typing import Any

import numpy as np

from ..codec import decode, encode
from ..encodings import Specials
from ..formats import Format, get_format
from ._inputs import _as_float32

__all__ = ["DelayedScaling", "ScaledTensor", "dequantize_tensor", "quantize_tensor", "tensor_scale"]

_F32_MAX = float(np.finfo(np.float32).max)
_F32_TINY = math.ldexp(1.0, -149)  # smallest positive float32 (subnormal)
_MARGIN_CLAMP = 4000  # |margin| beyond this clamps the scale either way (float64 amax spans 2**+-1075)


def _check_format(fmt: str | Format) -> Format:
    """A sign/exponent/mantissa format of at most 16 bits whose values float32 holds exactly."""
    fmt = get_format(fmt)
    if fmt.bits > 16:
        raise ValueError(f"scaling supports formats of at most 16 bits; {fmt.name} has {fmt.bits}")
    if fmt.specials is Specials.SCALE:
        raise ValueError(
            f"{fmt.name} is a scale-only format (no sign, no zero); "
            "allowed: formats with a sign bit and a zero"
        )
    if fmt.man_bits > 23 or fmt.emax > 127 or fmt.min_positive < _F32_TINY:
        raise ValueError(
            f"float32 cannot hold every {fmt.name} value exactly (emax {fmt.emax}, "
            f"smallest {fmt.min_positive!r}); allowed: emax <= 127, smallest >= 2**-149"
        )
    return fmt


def _real(value: Any, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    return float(value)


def _round_to_float32(q: Fraction) -> float:
    """The positive rational ``q`` rounded once (rne) to float32, clamped to [2**-149, float32 max]."""
    num, den = q.numerator, q.denominator
    k = num.bit_length() - den.bit_length()  # floor(log2 q) is k or k - 1
    if (num << max(-k, 0)) < (den << max(k, 0)):
        k -= 1
    e = max(k - 23, -149)  # exponent of the float32 quantum at q
    a, b = (num, den << e) if e >= 0 else (num << -e, den)
    i, r = divmod(a, b)
    if 2 * r > b or (2 * r == b and i & 1):
        i += 1
    if i == 0:
        return _F32_TINY
    value = math.ldexp(i, e) if e < 200 else math.inf
    return min(value, _F32_MAX)


def _amax(x32: np.ndarray) -> float:
    """``max |x|`` of a float32 array (0.0 when empty; NaN if any element is NaN)."""
    if not x32.size:
        return 0.0
    return float(np.max(np.abs(x32)))


@dataclasses.dataclass(frozen=True)
class ScaledTensor:
    """Codes of ``x * scale`` in ``fmt``; the value they stand for is ``decode(codes) / scale``.

    Attributes:
        codes: unsigned integer codes of ``fmt`` (uint8 or uint16), the shape of the input.
        scale: the float32 scale that multiplied the input (a Python float holding a float32 value).
        fmt: the element format.
    """

    codes: np.ndarray
    scale: float
    fmt: Format


def tensor_scale(amax: float, fmt: str | Format, margin: float = 0) -> float:
    """Per-tensor scale that maps ``amax`` onto the largest finite value of ``fmt``.

    The scale is ``max_finite(fmt) / (amax * 2**margin)`` (Micikevicius et al.,
    "FP8 Formats for Deep Learning", 2022; Transformer Engine's delayed
    scaling uses the same rule with a power-of-two ``margin`` of headroom).
    It is *not* rounded to a power of two, so ``x * scale`` is itself
    rounded to float32 in :func:`quantize_tensor`.

    Exactly: for an integer ``margin`` the exact rational quotient is rounded
    once, to nearest even, to float32; a non-integer ``margin`` uses the
    float64 value of ``2.0**margin`` in that quotient.  A quotient that
    rounds beyond float32's range gives the largest finite float32, one that
    rounds to zero gives the smallest positive float32 (2**-149), so the
    scale is always a finite positive float32.  ``amax`` equal to 0, Inf or
    NaN gives the scale 1.0 (nothing is known about the range).

    Args:
        amax: the largest magnitude of the tensor (>= 0, or Inf/NaN).
        fmt: the element format: a :class:`Format` or a registered name, at
            most 16 bits, not the scale-only E8M0.
        margin: headroom in binades: the scale is divided by ``2**margin``
            (positive margins leave room for growth).

    Returns:
        The scale, a Python float holding a float32 value.

    Raises:
        TypeError: ``amax`` or ``margin`` is not a real number.
        ValueError: negative ``amax``, non-finite ``margin``, a format wider
            than 16 bits, scale-only or beyond float32's range.

    >>> tensor_scale(3.5, "float8_e4m3fn")
    128.0
    """
    fmt = _check_format(fmt)
    amax_f = _real(amax, "amax")
    margin_f = _real(margin, "margin")
    if not math.isfinite(margin_f):
        raise ValueError(f"margin must be finite, got {margin!r}")
    if amax_f < 0:
        raise ValueError(f"amax must be >= 0 (a magnitude), got {amax!r}")
    if amax_f == 0 or not math.isfinite(amax_f):
        return 1.0
    margin_f = min(max(margin_f, -_MARGIN_CLAMP), _MARGIN_CLAMP)
    if margin_f.is_integer():
        m = int(margin_f)
        head = Fraction(2) ** m
    else:
        head = Fraction(2.0**margin_f)
    return _round_to_float32(Fraction(fmt.max_finite) / (Fraction(amax_f) * head))


def quantize_tensor(
    x: Any,
    fmt: str | Format,
    scale: float | None = None,
    *,
    rounding: str = "rne",
    saturate: bool = True,
) -> ScaledTensor:
    """Scale a tensor in float32 and round it once into ``fmt``.

    Exactly: ``codes = encode(np.float32(x) * np.float32(scale), fmt,
    rounding=rounding, saturate=saturate)``, where ``np.float32(x)`` rounds a
    float64 input to nearest even, the product is one IEEE-754 float32
    multiply (rne; beyond float32's range -> +-Inf), and ``encode`` rounds
    that float32 product once into ``fmt``.  With the default
    ``saturate=True`` (OCP SAT) overflow and +-Inf give +-max finite; NaN
    stays NaN.

    Args:
        x: real array-like (float16/bfloat16/float32/float64, ml_dtypes floats
            or integers), any shape.
        fmt: element format (at most 16 bits, not E8M0).
        scale: the multiplier; ``None`` uses ``tensor_scale(amax(x), fmt)``
            with ``amax(x) = max |np.float32(x)|`` (current scaling).  A given
            scale is first rounded to float32 (rne) and must stay finite and
            positive.
        rounding: rounding mode of the cast (``"rne"``, ``"rtz"``, ``"rdn"``,
            ``"rup"``, ``"rmm"``, ``"rto"``; ``"sr"`` needs random bits and is
            not offered here).
        saturate: OCP SAT (default) or NONSAT overflow behaviour.

    Returns:
        A :class:`ScaledTensor` with the codes and the float32 scale used.

    Raises:
        TypeError: non-real input or scale.
        ValueError: a bad format or mode, a scale that is not finite and
            positive in float32, NaN into a format without NaN.
    """
    fmt = _check_format(fmt)
    x32 = _as_float32(x)
    if scale is None:
        s = tensor_scale(_amax(x32), fmt)
    else:
        s_in = _real(scale, "scale")
        with np.errstate(over="ignore"):
            s = float(np.float32(s_in))
        if not (math.isfinite(s) and s > 0):
            raise ValueError(f"scale must be finite and positive in float32, got {scale!r}")
    with np.errstate(over="ignore"):
        product = x32 * np.float32(s)
    return ScaledTensor(encode(product, fmt, rounding=rounding, saturate=saturate), s, fmt)


def dequantize_tensor(t: ScaledTensor) -> np.ndarray:
    """The float32 values a :class:`ScaledTensor` stands for.

    Exactly: ``decode(t.codes, t.fmt, np.float32) / np.float32(t.scale)``:
    the exact element values (float32 holds them) divided by the scale in one
    IEEE-754 float32 division, rounded to nearest even (a quotient beyond
    float32's range gives +-Inf; NaN codes give NaN).

    Raises:
        TypeError: ``t`` is not a ScaledTensor, or its codes are not integers.
        ValueError: codes out of range for the format.
    """
    if not isinstance(t, ScaledTensor):
        raise TypeError(f"expected a ScaledTensor, got {type(t).__name__}")
    values = decode(t.codes, _check_format(t.fmt), np.float32)
    with np.errstate(over="ignore"):
        return values / np.float32(t.scale)


class DelayedScaling:
    """Transformer-Engine-style delayed scaling: the scale comes from the amax of earlier steps.

    The object keeps the amaxes of the last ``history_len`` tensors it
    quantised (a ring buffer).  :attr:`scale` is
    ``tensor_scale(max(history), fmt, margin)``, or 1.0 before the first
    step; :meth:`quantize` quantises with the *current* scale and only then
    records the new tensor's amax, so the scale lags the data by one step.

    **Decision**: non-finite amaxes (a tensor holding Inf or NaN) are
    recorded but skipped when the maximum is taken, so one overflowing step
    does not reset the scale to 1.0 for ``history_len`` steps (Transformer
    Engine keeps the previous scale in that case); with no finite nonzero
    amax in the history the scale is 1.0.

    Args:
        fmt: element format (at most 16 bits, not E8M0).
        history_len: ring length (>= 1).
        margin: headroom in binades, as in :func:`tensor_scale`.

    Raises:
        TypeError: non-integer ``history_len``, non-real ``margin``.
        ValueError: ``history_len < 1``, non-finite ``margin``, a format
            wider than 16 bits (or scale-only, or beyond float32's range).
    """

    def __init__(self, fmt: str | Format, history_len: int = 16, margin: float = 0) -> None:
        self.fmt = _check_format(fmt)
        if isinstance(history_len, (bool, np.bool_)) or not isinstance(history_len, numbers.Integral):
            raise TypeError(f"history_len must be an integer, got {history_len!r}")
        if history_len < 1:
            raise ValueError(f"history_len must be >= 1, got {history_len}")
        margin_f = _real(margin, "margin")
        if not math.isfinite(margin_f):
            raise ValueError(f"margin must be finite, got {margin!r}")
        self.history_len = int(history_len)
        self.margin = margin
        self._ring = np.zeros(self.history_len, np.float32)
        self._steps = 0

    @property
    def steps(self) -> int:
        """Number of amaxes recorded so far."""
        return self._steps

    @property
    def history(self) -> np.ndarray:
        """The recorded amaxes, oldest first (float32, at most ``history_len`` of them)."""
        if self._steps <= self.history_len:
            return self._ring[: self._steps].copy()
        start = self._steps % self.history_len
        return np.concatenate([self._ring[start:], self._ring[:start]])

    @property
    def scale(self) -> float:
        """``tensor_scale(max of the finite recorded amaxes, fmt, margin)``; 1.0 with none."""
        hist = self._ring[: min(self._steps, self.history_len)]
        finite = hist[np.isfinite(hist)]
        if not finite.size:
            return 1.0
        return tensor_scale(float(finite.max()), self.fmt, self.margin)

    def record(self, amax: float) -> None:
        """Append one amax (rounded to float32) to the history, overwriting the oldest when full.

        Raises:
            TypeError: non-real ``amax``.
            ValueError: negative ``amax``.
        """
        a = _real(amax, "amax")
        if a < 0:
            raise ValueError(f"amax must be >= 0 (a magnitude), got {amax!r}")
        with np.errstate(over="ignore"):
            self._ring[self._steps % self.history_len] = np.float32(a)
        self._steps += 1

    def quantize(self, x: Any, *, rounding: str = "rne", saturate: bool = True) -> ScaledTensor:
        """Quantise ``x`` with the current :attr:`scale`, then record ``max |np.float32(x)|``.

        Exactly ``quantize_tensor(x, fmt, self.scale, rounding=..., saturate=...)``
        followed by :meth:`record` of the tensor's amax (NaN if it holds a NaN;
        0 for an empty tensor).
        """
        x32 = _as_float32(x)
        out = quantize_tensor(x32, self.fmt, self.scale, rounding=rounding, saturate=saturate)
        self.record(_amax(x32))
        return out

    def __repr__(self) -> str:
        return (
            f"DelayedScaling({self.fmt.name!r}, history_len={self.history_len}, "
            f"margin={self.margin!r}, steps={self._steps}, scale={self.scale!r})"
        )
