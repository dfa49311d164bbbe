"""Tensor scaling for narrow formats: per-tensor amax scaling, S2FP8, and the format/bias search.

Three published techniques, each reduced to exact operations on top of the
bit-exact codec (:func:`refmodel.codec.encode` / :func:`refmodel.codec.decode`):

- **Per-tensor amax scaling** (Micikevicius et al., "FP8 Formats for Deep
  Learning", 2022): multiply the tensor by ``max_finite / amax`` before the
  cast so that its largest magnitude lands on the format's largest value;
  :func:`tensor_scale`, :func:`quantize_tensor`, :func:`dequantize_tensor`
  and the Transformer-Engine-style :class:`DelayedScaling`, which uses the
  amax of *earlier* steps.
- **S2FP8** (Cambier et al., "Shifted and Squeezed 8-bit Floating Point
  format for Low-Precision Training of Deep Neural Networks", ICLR 2020):
  an affine map in the log domain, ``log2|y| = alpha * log2|x| + beta``,
  that centres the tensor's log-magnitudes on 0 and puts their maximum at
  15 before the cast to E5M2; :func:`s2fp8_encode`, :func:`s2fp8_decode`.
- **Format and bias search** (Kuzmin et al., "FP8 Quantization: The Power of
  the Exponent", NeurIPS 2022): for a given tensor, which ExMy split and
  which exponent bias minimise the quantisation MSE; :func:`format_search`
  over the registered narrow formats and IEEE-style E2M5...E5M2 families with
  a searched bias, with the built-in test tensors of :func:`builtin_tensor`.

The scaling arithmetic is float32, as in the training frameworks, and every
float32 operation is a single IEEE-754 operation (numpy's float32 multiply
and divide, rounded to nearest even), so the codes are reproducible
bit for bit.  S2FP8's transform uses ``log2``/``exp2`` and is therefore
exact only up to the platform's libm (see :func:`s2fp8_encode`).
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Any

import ml_dtypes
import numpy as np

from .codec import decode, encode
from .encodings import Specials
from .formats import Format, get_format, registered_formats

__all__ = [
    "BUILTIN_DISTRIBUTIONS",
    "DEFAULT_BIAS_OFFSETS",
    "DEFAULT_FAMILIES",
    "S2FP8_FORMAT",
    "DelayedScaling",
    "S2fp8Tensor",
    "ScaledTensor",
    "SearchRow",
    "builtin_tensor",
    "default_search_formats",
    "dequantize_tensor",
    "format_search",
    "quantize_tensor",
    "s2fp8_decode",
    "s2fp8_encode",
    "s2fp8_statistics",
    "sqnr_db",
    "tensor_scale",
]

_F32_MAX = float(np.finfo(np.float32).max)
_F32_TINY = math.ldexp(1.0, -149)  # smallest positive float32 (subnormal)
_MARGIN_CLAMP = 4000  # |margin| beyond this clamps the scale either way (float64 amax spans 2**+-1075)


# ------------------------------------------------------------------------ helpers
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


# ---------------------------------------------------------------------- amax scaling
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


# ----------------------------------------------------------------------------- S2FP8
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


# ----------------------------------------------------------------- format/bias search
DEFAULT_FAMILIES: tuple[tuple[int, int], ...] = ((2, 5), (3, 4), (4, 3), (5, 2))
"""IEEE-style 8-bit (E, M) families whose bias :func:`format_search` searches by default."""

DEFAULT_BIAS_OFFSETS: tuple[int, ...] = tuple(range(-12, 13))
"""Biases tried per family, as offsets from the IEEE default bias ``2**(E-1) - 1``."""


@dataclasses.dataclass(frozen=True)
class SearchRow:
    """One format's result in :func:`format_search`.

    Attributes:
        format: registered name, or ``"eXmY"`` for a searched IEEE-style family.
        bits: code width.
        bias: the format's bias, or the best one found for a family.
        mse: mean squared error of the rne/saturating round trip, float64.
        sqnr_db: ``10 * log10(sum x**2 / sum err**2)``; inf when the round trip is exact.
        winner: the highest SQNR of the search (exactly one row).
        searched: whether the bias was searched (a family) or fixed (a registered format).
        fmt: the Format evaluated (for a family, the one with the best bias).
    """

    format: str
    bits: int
    bias: int
    mse: float
    sqnr_db: float
    winner: bool
    searched: bool
    fmt: Format


def default_search_formats() -> list[Format | tuple[int, int]]:
    """Every signed registered format of <= 8 bits (not the scales E8M0, UE5M3), then the default families."""
    fixed: list[Format | tuple[int, int]] = [f for f in registered_formats() if f.bits <= 8 and f.signed]
    return fixed + list(DEFAULT_FAMILIES)


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


def _check_finite(arr: np.ndarray, what: str) -> None:
    bad = ~np.isfinite(arr)
    if bad.any():
        idx = np.unravel_index(int(np.argmax(bad)), arr.shape)
        raise ValueError(
            f"{what} holds a non-finite value ({float(arr[idx])!r}) at index {tuple(int(i) for i in idx)}; "
            "only finite values are allowed"
        )


def _noise(x32: np.ndarray, x64: np.ndarray, fmt: Format) -> float:
    """``sum (decode(encode(x, fmt, rne, SAT)) - x)**2`` in float64 (``x64`` is ``x32`` widened)."""
    err = decode(encode(x32, fmt, rounding="rne", saturate=True), fmt, np.float64) - x64
    return float(np.sum(err * err))


def _parse_search_entry(entry: Any) -> Format | tuple[int, int]:
    if isinstance(entry, tuple):
        if len(entry) != 2 or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in entry):
            raise ValueError(f"a searched family is a tuple (E, M) of two integers, got {entry!r}")
        e, m = int(entry[0]), int(entry[1])
        Format.custom(e, m, specials="ieee")  # raises ValueError for impossible shapes
        return (e, m)
    if isinstance(entry, (str, Format)):
        fmt = get_format(entry)
        if fmt.bits > 16 or fmt.specials is Specials.SCALE:
            raise ValueError(
                f"format_search takes signed formats of at most 16 bits, not {fmt.name}; "
                "allowed: e.g. " + ", ".join(f.name for f in registered_formats() if f.bits <= 8
                                             and f.specials is not Specials.SCALE)
            )
        return fmt
    raise TypeError(f"a search entry is a format name, a Format or an (E, M) tuple, got {entry!r}")


def format_search(
    x: Any,
    formats: Sequence[str | Format | tuple[int, int]] | None = None,
    biases: Iterable[int] | None = None,
) -> list[SearchRow]:
    """Which format, and which exponent bias, quantise ``x`` best (Kuzmin et al., NeurIPS 2022).

    Following "FP8 Quantization: The Power of the Exponent", each candidate
    is scored by the MSE of the round trip
    ``decode(encode(np.float32(x), fmt, rounding="rne", saturate=True), fmt)``
    against ``np.float32(x)``, the error computed and summed in float64.
    There is no tensor scale: the exponent bias plays its role, and for an
    IEEE-style family (an ``(E, M)`` tuple) every bias
    ``2**(E-1) - 1 + offset`` for ``offset`` in ``biases`` is tried and the
    one with the smallest MSE is kept (ties: the offset nearest 0, then the
    smaller bias).  A registered format (a name or a :class:`Format`) is
    evaluated at its own bias.  ``sqnr_db = 10 * log10(sum x**2 /
    sum err**2)`` (inf for an exact round trip), and the row with the highest
    SQNR is the winner (ties: fewer bits, then the earlier row).

    The default candidates (:func:`default_search_formats`) are every
    registered format of at most 8 bits except ``float8_e8m0fnu`` (scale only),
    then the families E2M5, E3M4, E4M3 and E5M2 (``Format.custom(E, M,
    bias=b, specials="ieee")``) with the default offsets -12...+12
    (:data:`DEFAULT_BIAS_OFFSETS`): 110 candidates.  Each candidate encodes
    the whole array at once.

    Args:
        x: real array-like (floats or integers), any shape, not empty, all
            finite; rounded to float32 (rne) first.
        formats: candidates in the order of the rows: format names,
            :class:`Format` objects (signed, <= 16 bits) or ``(E, M)`` families.
        biases: bias offsets tried per family (integers).

    Returns:
        One :class:`SearchRow` per entry of ``formats``, in order.

    Raises:
        TypeError: non-real ``x``, a bad entry type or a non-integer offset.
        ValueError: empty or non-finite ``x`` (also after the float32
            rounding), an unknown or unsuitable format, an impossible family
            (IEEE-style needs E >= 2 and M >= 1), no offsets.
    """
    x32 = _as_float32(x).reshape(-1)
    if not x32.size:
        raise ValueError("x is empty; format_search needs at least one value")
    _check_finite(x32, "x (as float32)")
    x64 = x32.astype(np.float64)
    signal = float(np.sum(x64 * x64))
    entries = [_parse_search_entry(e) for e in (default_search_formats() if formats is None else formats)]
    if not entries:
        raise ValueError("formats is empty; pass at least one format or (E, M) family")
    offsets = DEFAULT_BIAS_OFFSETS if biases is None else tuple(biases)
    for o in offsets:
        if isinstance(o, (bool, np.bool_)) or not isinstance(o, numbers.Integral):
            raise TypeError(f"bias offsets must be integers, got {o!r}")
    if not offsets:
        raise ValueError("biases is empty; pass at least one bias offset")
    n = x64.size
    results: list[tuple[str, Format, float, bool]] = []  # name, fmt, noise, searched
    for entry in entries:
        if isinstance(entry, Format):
            results.append((entry.name, entry, _noise(x32, x64, entry), False))
            continue
        e, m = entry
        default = (1 << (e - 1)) - 1
        best: tuple[tuple[float, int, int], Format, float] | None = None
        for o in sorted({int(v) for v in offsets}, key=lambda v: (abs(v), v)):
            fmt = Format.custom(e, m, bias=default + o, specials="ieee")
            noise = _noise(x32, x64, fmt)
            key = (noise, abs(o), default + o)
            if best is None or key < best[0]:
                best = (key, fmt, noise)
        assert best is not None
        results.append((f"e{e}m{m}", best[1], best[2], True))
    sqnrs = [_sqnr_from_sums(signal, noise) for _, _, noise, _ in results]
    win = min(range(len(results)), key=lambda i: (-sqnrs[i], results[i][1].bits, i))
    return [
        SearchRow(name, fmt.bits, fmt.bias, noise / n, sqnrs[i], i == win, searched, fmt)
        for i, (name, fmt, noise, searched) in enumerate(results)
    ]


# ------------------------------------------------------------------ test distributions
BUILTIN_DISTRIBUTIONS: tuple[str, ...] = ("gaussian", "laplace", "student-t")


def builtin_tensor(name: str, n: int = 65536, seed: int = 0) -> np.ndarray:
    """A float32 test tensor of ``n`` values drawn with ``numpy.random.default_rng(seed)``.

    - ``"gaussian"``: standard normal N(0, 1).
    - ``"laplace"``: Laplace with location 0 and scale 1 (standard deviation sqrt 2).
    - ``"student-t"``: Student's t with nu = 3 degrees of freedom, then
      ``max(1, n // 4096)`` outliers (16 for the default n): that many
      positions drawn without replacement are overwritten with
      ``sign * 10**u``, u uniform in [2, 3) and the sign +-1 with equal
      probability, i.e. magnitudes 100...1000 (activation-outlier style).

    The draws are float64, rounded to float32 at the end.

    Raises:
        ValueError: an unknown name (the allowed ones are listed), ``n < 1``, negative seed.
        TypeError: non-integer ``n`` or ``seed``.
    """
    for label, v in (("n", n), ("seed", seed)):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{label} must be an integer, got {v!r}")
    if name not in BUILTIN_DISTRIBUTIONS:
        raise ValueError(f"unknown distribution {name!r}; allowed: {', '.join(BUILTIN_DISTRIBUTIONS)}")
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    rng = np.random.default_rng(int(seed))
    n = int(n)
    if name == "gaussian":
        x = rng.standard_normal(n)
    elif name == "laplace":
        x = rng.laplace(0.0, 1.0, n)
    else:
        x = rng.standard_t(3, n)
        k = max(1, n // 4096)
        idx = rng.choice(n, size=k, replace=False)
        sign = np.where(rng.random(k) < 0.5, -1.0, 1.0)
        x[idx] = sign * 10.0 ** rng.uniform(2.0, 3.0, k)
    return x.astype(np.float32)
