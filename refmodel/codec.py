"""The codec's public API: :func:`encode`, :func:`decode` and :func:`classify`.

Inputs are validated here (clear errors naming the bad value and what is
allowed), then routed to a path that is exact for every input: the general
integer path of :mod:`refmodel.rounding`, or a fast path of
:mod:`refmodel.tables` built from it.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import ml_dtypes
import numpy as np

from .encodings import CodeClass, RoundingMode, Specials
from .formats import Format, get_format
from .rounding import (
    EncodeOptions,
    check_bool,
    code_dtype,
    encode_flags,
    encode_float64_flags,
    round_finite,
    rounding_mode,
)
from .tables import (
    CHUNK,
    FLOAT64,
    SRC_FORMATS,
    TABLE_MIN_SIZE,
    decode_pairs,
    decode_table,
    encode_chunks_general,
    encode_sr32,
    encode_sticky,
    sr_table_ok,
    sticky_keep,
    sticky_table,
    table16,
)

__all__ = ["encode", "decode", "classify", "signalling_nan", "unpack", "Unpacked", "code_dtype", "check_codes", "random_integers"]


# ---------------------------------------------------------------------------- input
def as_float_array(x: Any) -> np.ndarray:
    """Return ``x`` as a float16/bfloat16/float32/float64 array holding the exact values."""
    arr = np.asarray(x)
    dt = arr.dtype
    if dt in SRC_FORMATS:
        return arr
    if dt.kind == "c":
        raise TypeError(f"complex input is not allowed (got dtype {dt}); pass real values")
    if dt.kind == "b":
        raise TypeError("boolean input is not allowed; pass numeric values")
    if _is_integer_dtype(dt):
        wide = arr.astype(np.int64) if dt.kind == "V" else arr
        inexact = ~_exact_in_float64(wide)
        if inexact.any():
            idx = np.unravel_index(int(np.argmax(inexact)), wide.shape)
            raise ValueError(f"integer input {int(wide[idx])} at index {tuple(int(i) for i in idx)} is not exact in "
                             "float64 (|v| > 2**53 and not a multiple of the float64 spacing there); "
                             "encode takes such integers exactly")
        return wide.astype(np.float64)
    if dt.kind == "f" and dt.itemsize > 8:
        raise TypeError(f"{dt} input is not supported; pass float64")
    if dt.kind in "fV":
        try:
            ml_dtypes.finfo(dt)
        except ValueError:
            pass
        else:  # every narrower ml_dtypes float widens to float32 exactly
            with np.errstate(invalid="ignore"):  # signalling NaNs stay NaN
                return arr.astype(np.float32)
    raise TypeError(
        f"input of dtype {dt} is not numeric; allowed: float16, bfloat16, float32, "
        "float64, the ml_dtypes float types and integers"
    )


def _is_integer_dtype(dt: np.dtype) -> bool:
    return dt.kind in "iu" or dt.name in ("int2", "int4", "uint2", "uint4")


def _exact_in_float64(wide: np.ndarray) -> np.ndarray:
    """Whether each (u)int64-range integer is exactly a float64 (bool array)."""
    f = wide.astype(np.float64)
    top = 2.0**64 if wide.dtype.kind == "u" else 2.0**63
    fits = f < top  # a float64 of 2**63 (2**64) is beyond the dtype: the integer rounded up to it
    back = np.where(fits, f, 0.0).astype(wide.dtype)
    return fits & (back == wide)


def _integer_fields(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integers (any int/uint dtype) as exact ``(neg, sig < 2**63, exp)`` for :func:`round_finite`.

    Magnitudes of 2**63 and above (int64's minimum, large uint64) keep their lowest bit as a sticky bit
    one place down, 40 or more bits below any rounding position of a <= 32-bit format.
    """
    wide = arr.astype(np.int64) if arr.dtype.kind == "V" else arr
    if wide.dtype.kind == "u":
        neg, mag = np.zeros(wide.shape, bool), wide.astype(np.uint64)
    else:
        wide = wide.astype(np.int64)
        neg, mag = wide < 0, np.abs(wide).astype(np.uint64)  # abs(-2**63) wraps to itself: 2**63 as uint64
    big = (mag >> np.uint64(63)) != 0
    sig = np.where(big, (mag >> np.uint64(1)) | (mag & np.uint64(1)), mag)
    return neg, sig, big.astype(np.int64)


def random_integers(
    rand: Any, rng: np.random.Generator | None, shape: tuple[int, ...], sr_bits: int
) -> np.ndarray:
    """Validate or draw the sr random integers; returns unsigned integers (uint8/16/32) of ``shape``."""
    if rand is None and rng is None:
        raise ValueError("rounding='sr' needs random bits: pass rand (integers) or rng")
    if rand is None:
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        if sr_bits <= 16:  # numpy draws narrow integers from shared 32-bit words: cheapest
            return rng.integers(0, 1 << sr_bits, size=shape, dtype=np.uint8 if sr_bits <= 8 else np.uint16)
        # uniform 64-bit words from the generator, split in two, low R bits kept: uniform in [0, 2**R)
        count = int(np.prod(shape, dtype=np.int64))
        words = rng.bit_generator.random_raw((count + 1) // 2).view(np.uint32)[:count]
        return (words & np.uint32((1 << sr_bits) - 1)).reshape(shape)
    r = np.asarray(rand)
    if r.dtype.kind not in "iu":
        raise TypeError(f"rand must hold integers, got dtype {r.dtype}")
    try:
        r = np.broadcast_to(r, shape)
    except ValueError:
        raise ValueError(f"rand of shape {r.shape} does not broadcast to the input shape {shape}") from None
    if r.size:
        lo, hi = int(r.min()), int(r.max())
        if lo < 0 or hi >= 1 << sr_bits:
            bad = lo if lo < 0 else hi
            raise ValueError(f"random integer {bad} is outside [0, 2**{sr_bits}) for sr_bits={sr_bits}")
    return r if r.dtype.kind == "u" and r.dtype.itemsize <= 4 else r.astype(np.uint32)



def _check_no_nan(arr: np.ndarray, fmt: Format) -> None:
    if fmt.has_nan or not arr.size:
        return
    isnan = np.isnan(arr)
    if isnan.any():
        idx = np.unravel_index(int(np.argmax(isnan)), arr.shape)
        raise ValueError(
            f"NaN at index {tuple(int(i) for i in idx)} cannot be encoded in {fmt.name}, which has no NaN"
        )



def encode(
    x: Any,
    fmt: "str | Format",
    *,
    rounding: "str | int | RoundingMode" = "rne",
    saturate: bool = False,
    sr_bits: int | None = None,
    rand: Any = None,
    rng: np.random.Generator | None = None,
    nan: str = "keep-sign",
    e8m0_rule: str = "even-significand",
    return_flags: bool = False,
) -> "np.ndarray | tuple[np.ndarray, np.ndarray]":
    """Round the exact values of ``x`` into ``fmt`` and return the codes (and the IEEE flags).

    Args:
        x: array-like of float16, bfloat16, float32, float64, any ml_dtypes
            float type, or integers (any int8...int64/uint8...uint64 value,
            rounded exactly, never through float64); any shape.  Each element
            is rounded once from its exact value (never through another type).
        fmt: a :class:`Format` or a name accepted by :func:`get_format`.
        rounding: ``"rne"`` (ties to even), ``"rtz"``, ``"rdn"`` (toward -inf),
            ``"rup"`` (toward +inf), ``"rmm"`` (ties away), ``"rto"`` (round to
            odd) or ``"sr"`` (stochastic), or the RTL code 0...6.
        saturate: overflow and +-Inf give +-max finite (OCP SAT) instead of
            Inf/NaN; NaN stays NaN.
        sr_bits: R, random bits per value for sr (1...32).
        rand: for sr, integers in ``[0, 2**R)`` broadcastable to ``x``: the
            magnitude rounds away from zero iff ``t + r >= 2**R``, where ``t``
            is the discarded fraction truncated to R bits.
        rng: for sr without ``rand``, a numpy Generator to draw them from.
        nan: ``"keep-sign"`` writes the quiet NaN with the input's sign (fnuz
            and scale formats have one NaN); ``"canonical"`` always the
            positive one (:data:`refmodel.rounding.NAN_POLICIES`; ``"ml_dtypes"``
            is an alias of ``"keep-sign"``).
        e8m0_rule: ties of formats with no mantissa bits under rne:
            ``"even-significand"`` (rne's even significand: up in magnitude
            between powers of two), ``"even"`` (even code), or ``"up"`` (every
            inexact value rounds up, CUDA's RCEIL)
            (:data:`refmodel.rounding.E8M0_RULES`; ``"ml_dtypes"`` is an alias
            of ``"even-significand"``).
        return_flags: also return the flags of each conversion.

    Returns:
        Unsigned integer codes (uint8 for <= 8 bits, uint16, uint32) of ``x``'s shape;
        with ``return_flags``, ``(codes, flags)``: flags a uint8 array of the same shape
        holding :class:`~refmodel.encodings.Flag` bits (the same codes as without it):

        - NX: the delivered value differs from the input (rounding, overflow to
          Inf or max finite, saturation of a finite value or of an Inf into a
          format with Inf, underflow to zero, E8M0's 2**-127 for smaller values);
          never for an exact result, a NaN, or an Inf delivered as Inf.  -0
          delivered as +0 (fnuz, unsigned formats) is exact.
        - OF: a finite input whose rounding with an unbounded exponent range
          (in the mode, with the sr draw) exceeds max finite, whatever is delivered
          (Inf, NaN, max finite); always with NX.
        - UF: tiny after rounding and inexact (IEEE 754-2019 section 7.5: the
          value rounded with an unbounded exponent range is below min normal;
          sr: the delivered result is); E8M0 (no zero, no subnormals): the value
          is below 2**-127.
        - NV, alone (no other flag): a signalling NaN input (read from the input's
          own bits: float16, bfloat16, float32, float64 and the ml_dtypes IEEE
          types; quiet bit = mantissa MSB); +-Inf into a format without Inf
          (delivered as NaN, or +-max finite where saturating or where the format
          has no NaN); a negative nonzero value or -Inf into an unsigned format
          (delivered as NaN); zero into E8M0 (NaN).
        - DZ: never.

    Raises:
        TypeError: complex, boolean or non-numeric input, non-integer rand.
        ValueError: unknown format, mode, nan policy or e8m0_rule (the message
            lists the allowed names), bad sr arguments, a random
            integer >= 2**sr_bits, NaN into a format with no NaN.
    """
    fmt = get_format(fmt)
    mode = rounding_mode(rounding)
    opts = EncodeOptions(fmt, mode, saturate, nan, e8m0_rule, sr_bits if mode is RoundingMode.SR else None)
    if mode is not RoundingMode.SR and (rand is not None or rng is not None or sr_bits is not None):
        raise ValueError(f"sr_bits, rand and rng are only used with rounding='sr', not {mode.label!r}")
    raw = np.asarray(x)
    if check_bool(return_flags, "return_flags"):
        return _encode_flags(raw, opts, rand, rng)
    if _is_integer_dtype(raw.dtype):  # exact for every int64/uint64 value, never through float64
        r = random_integers(rand, rng, raw.shape, int(sr_bits)) if mode is RoundingMode.SR else None  # type: ignore[arg-type]
        code = round_finite(*_integer_fields(raw), opts, r).code
        return code.astype(code_dtype(fmt)).reshape(raw.shape)
    arr = as_float_array(raw)
    _check_no_nan(arr, fmt)
    out_dtype = code_dtype(fmt)
    flat = np.ascontiguousarray(arr).reshape(-1)
    out = np.empty(flat.size, out_dtype)

    if mode is RoundingMode.SR:
        r = random_integers(rand, rng, arr.shape, int(sr_bits)).reshape(-1)  # type: ignore[arg-type]
        if flat.dtype.itemsize == 2:
            with np.errstate(invalid="ignore"):
                flat = flat.astype(np.float32)  # exact widening
        if flat.size >= TABLE_MIN_SIZE and flat.dtype == np.float32 and sr_table_ok(fmt):
            encode_sr32(flat, opts, r, out)
        else:
            encode_chunks_general(flat, opts, r, out)
        return out.reshape(arr.shape)

    src = SRC_FORMATS[flat.dtype]
    if flat.size < TABLE_MIN_SIZE:
        encode_chunks_general(flat, opts, None, out)
    elif src.bits == 16:
        np.take(table16(flat.dtype, opts), flat.view(np.uint16), out=out)
    elif (keep := sticky_keep(src, fmt)) is not None:
        encode_sticky(flat, sticky_table(flat.dtype, keep, opts), keep, out)
    else:
        encode_chunks_general(flat, opts, None, out)
    return out.reshape(arr.shape)



def _encode_flags(raw: np.ndarray, opts: EncodeOptions, rand: Any, rng: Any) -> tuple[np.ndarray, np.ndarray]:
    """``encode(..., return_flags=True)``: codes and flags from the general path, in chunks."""
    fmt = opts.fmt
    r = random_integers(rand, rng, raw.shape, int(opts.sr_bits)) if opts.mode is RoundingMode.SR else None  # type: ignore[arg-type]
    if _is_integer_dtype(raw.dtype):
        fields = _integer_fields(raw)
        rounded = round_finite(*fields, opts, r)
        flags = encode_flags(*fields, rounded, opts)
        return rounded.code.astype(code_dtype(fmt)).reshape(raw.shape), flags.reshape(raw.shape)
    snan = _signalling_inputs(raw).reshape(-1)
    arr = as_float_array(raw)
    _check_no_nan(arr, fmt)
    flat = np.ascontiguousarray(arr).reshape(-1)
    r = None if r is None else r.reshape(-1)
    out, flags = np.empty(flat.size, code_dtype(fmt)), np.empty(flat.size, np.uint8)
    for start in range(0, flat.size, 4 * CHUNK):
        sl = slice(start, start + 4 * CHUNK)
        with np.errstate(invalid="ignore"):  # signalling NaNs, already marked
            v = flat[sl].astype(np.float64)
        out[sl], flags[sl] = encode_float64_flags(v, opts, None if r is None else r[sl], snan[sl])
    return out.reshape(arr.shape), flags.reshape(arr.shape)


def _signalling_inputs(raw: np.ndarray) -> np.ndarray:
    """Which elements of a float array are signalling NaNs, from their own bits (bool array)."""
    dt = raw.dtype
    try:
        src = FLOAT64 if dt == np.float64 else get_format(dt.name)
    except ValueError:
        src = None
    if src is None or src.specials is not Specials.IEEE or dt.itemsize * 8 != src.bits:
        return np.zeros(raw.shape, bool)
    return signalling_nan(raw.view(f"u{dt.itemsize}"), src)


# ---------------------------------------------------------------------------- decode
def _dtype_format(dtype: np.dtype) -> Format:
    if dtype == np.float64:
        return FLOAT64
    try:
        return get_format(dtype.name)
    except ValueError:
        raise ValueError(f"cannot decode into dtype {dtype}; use a float dtype") from None


def _check_exact_dtype(fmt: Format, dtype: np.dtype) -> None:
    """Refuse an output dtype that cannot hold every value of ``fmt`` exactly."""
    d = _dtype_format(dtype)
    if fmt.bits > 16 and fmt != get_format("float32"):
        raise ValueError(f"decode supports formats of <= 16 bits and float32, not {fmt.name}")
    fits = (
        fmt.man_bits <= d.man_bits
        and fmt.emax <= d.emax
        and fmt.min_positive >= d.min_positive
        and (d.has_inf or not fmt.has_inf)
        and (d.has_nan or not fmt.has_nan)
    )
    if not fits:
        raise ValueError(
            f"{dtype} cannot hold every {fmt.name} value exactly; use float64 "
            "(or float32 where it fits)"
        )


def check_codes(codes: Any, fmt: Format) -> np.ndarray:
    """``codes`` as an integer array, each checked to be a code of ``fmt``.

    Raises:
        TypeError: non-integer codes.
        ValueError: a code outside ``[0, 2**fmt.bits)``, named.
    """
    arr = np.asarray(codes)
    if arr.dtype.kind not in "iu":
        first = arr.reshape(-1)[:1].tolist()[0] if arr.size else None
        raise TypeError(f"codes must be integers, got {first!r} (dtype {arr.dtype}); allowed: integer codes "
                        f"0...{fmt.code_count - 1} of {fmt.name}")
    if arr.size and (arr.dtype.itemsize * 8 > fmt.bits or arr.dtype.kind == "i"):
        lo, hi = int(arr.min()), int(arr.max())
        if lo < 0 or hi >= fmt.code_count:
            bad = lo if lo < 0 else hi
            raise ValueError(f"code {bad} is out of range for {fmt.name}: allowed 0...{fmt.code_count - 1}")
    return arr


def decode(codes: Any, fmt: "str | Format", dtype: Any = np.float32) -> np.ndarray:
    """Decode codes of ``fmt`` to ``dtype`` exactly.

    Args:
        codes: integer array-like of any shape, each in ``[0, 2**fmt.bits)``.
        fmt: a :class:`Format` or a registered name.
        dtype: output float dtype (float32 default; float64, float16, bfloat16)
            able to hold every value of ``fmt`` exactly.

    Returns:
        Array of ``dtype`` and the shape of ``codes``; NaN codes give a quiet
        NaN with the code's sign, -0 gives -0.0.

    Raises:
        TypeError: non-integer codes.
        ValueError: a code out of range, or a dtype that cannot hold the values.
    """
    fmt = get_format(fmt)
    dtype = np.dtype(dtype)
    _check_exact_dtype(fmt, dtype)
    arr = check_codes(codes, fmt)
    if fmt.bits > 16:  # float32: the codes are the bits
        return arr.astype(np.uint32).view(np.float32).astype(dtype)
    flat = np.ascontiguousarray(arr).reshape(-1)
    if flat.dtype == np.uint8 and dtype.itemsize <= 4 and flat.size >= 2 * CHUNK:
        return decode_pairs(flat, fmt, dtype).reshape(arr.shape)
    out = np.take(decode_table(fmt, dtype), flat)
    return out.reshape(arr.shape)


def classify(codes: Any, fmt: "str | Format") -> np.ndarray:
    """Class of each code as :class:`~refmodel.encodings.CodeClass` values (uint8).

    From the bit fields: zero (magnitude 0; scale formats have none), subnormal
    (exponent field 0, mantissa != 0), Inf and NaN per the special-value
    convention, normal otherwise.

    Raises:
        TypeError: non-integer codes.
        ValueError: a code out of range.
    """
    fmt = get_format(fmt)
    arr = check_codes(codes, fmt).astype(np.uint64)
    mag = arr & np.uint64(fmt.mag_mask)
    e_field = mag >> np.uint64(fmt.man_bits)
    m_field = mag & np.uint64((1 << fmt.man_bits) - 1)
    cls = np.full(arr.shape, CodeClass.NORMAL, np.uint8)
    spec = fmt.specials
    if spec is not Specials.SCALE:
        cls[(e_field == 0) & (m_field != 0)] = CodeClass.SUBNORMAL
        cls[mag == 0] = CodeClass.ZERO
    if spec is Specials.IEEE:
        top = e_field == (1 << fmt.exp_bits) - 1
        cls[top & (m_field == 0)] = CodeClass.INF
        cls[top & (m_field != 0)] = CodeClass.NAN
    elif spec in (Specials.FN, Specials.SCALE):
        cls[mag == fmt.mag_mask] = CodeClass.NAN
    elif spec is Specials.FNUZ:
        cls[arr == fmt.sign_mask] = CodeClass.NAN
    return cls


def signalling_nan(codes: Any, fmt: "str | Format") -> np.ndarray:
    """Whether each code is a signalling NaN (bool array of the codes' shape).

    Only ``ieee`` formats with at least two mantissa bits have them: exponent
    field all ones, mantissa nonzero with its MSB (the quiet bit) clear
    (IEEE 754-2019 section 6.2.1). ``fn``/``fnuz``/``none``/scale formats
    have none (their single NaN code is quiet).

    Raises:
        TypeError: non-integer codes.
        ValueError: a code out of range.
    """
    fmt = get_format(fmt)
    arr = check_codes(codes, fmt).astype(np.uint64)
    if fmt.specials is not Specials.IEEE or fmt.man_bits < 2:
        return np.zeros(arr.shape, bool)
    mag = arr & np.uint64(fmt.mag_mask)
    top = (mag >> np.uint64(fmt.man_bits)) == (1 << fmt.exp_bits) - 1
    m_field = mag & np.uint64((1 << fmt.man_bits) - 1)
    return top & (m_field != 0) & ((m_field >> np.uint64(fmt.man_bits - 1)) == 0)


class Unpacked(NamedTuple):
    """Codes split into integer fields: ``value = (-1)**neg * sig * 2**(exp - M)``.

    ``exp`` is the unbiased exponent (``emin`` for subnormals and zero), ``sig``
    the significand with its hidden bit; Inf and NaN codes get ``sig = 0``
    (their class says what they are).
    """

    neg: np.ndarray  # bool
    sig: np.ndarray  # uint64
    exp: np.ndarray  # int64
    cls: np.ndarray  # uint8 CodeClass


def unpack(codes: Any, fmt: "str | Format") -> Unpacked:
    """Split codes of a sign/exponent/mantissa format into exact integer fields.

    Raises:
        TypeError: non-integer codes.
        ValueError: a code out of range, or a scale (E8M0) format.
    """
    fmt = get_format(fmt)
    if fmt.specials is Specials.SCALE:
        raise ValueError(f"unpack is for sign/exponent/mantissa formats, not the scale format {fmt.name}")
    if fmt.bits <= 16:
        idx = check_codes(codes, fmt).astype(np.intp)
        neg_t, sig_t, exp_t, cls_t = _unpack_tables(fmt)
        return Unpacked(np.take(neg_t, idx), np.take(sig_t, idx), np.take(exp_t, idx), np.take(cls_t, idx))
    return _unpack_fields(check_codes(codes, fmt), fmt)


@functools.lru_cache(maxsize=32)
def _unpack_tables(fmt: Format) -> Unpacked:
    return _unpack_fields(np.arange(fmt.code_count), fmt)


def _unpack_fields(codes: np.ndarray, fmt: Format) -> Unpacked:
    arr = codes.astype(np.uint64)
    cls = classify(arr, fmt)
    mag = arr & np.uint64(fmt.mag_mask)
    e_field = (mag >> np.uint64(fmt.man_bits)).astype(np.int64)
    m_field = mag & np.uint64((1 << fmt.man_bits) - 1)
    sig = np.where(e_field > 0, m_field | np.uint64(1 << fmt.man_bits), m_field)
    sig = np.where(cls >= CodeClass.INF, np.uint64(0), sig)
    neg = (arr & np.uint64(fmt.sign_mask)) != 0
    return Unpacked(neg, sig, np.maximum(e_field, 1) - fmt.bias, cls)
