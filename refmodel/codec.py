"""Vectorised encode (any float array to format codes) and decode (codes to floats).

Public entry points: :func:`encode` and :func:`decode`.  Every path is exact:

* the general path (:func:`refmodel.rounding.round_finite`) rounds the exact
  value of each input with integer arithmetic;
* the table paths are built from the general path at first use and are exact
  by construction: a 16-bit input indexes a table of all 65,536 inputs, and a
  float32/float64 input indexes a table by (sign, exponent, the leading
  mantissa bits that can decide the rounding, one sticky bit for the rest);
* stochastic rounding of float32 input into a narrow format adds the aligned
  random word to the discarded bits (spec-notes section 2) before a table.

Work is done in cache-sized chunks so that no temporary leaves the L2 cache.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import ml_dtypes
import numpy as np

from .encodings import CodeClass, RoundingMode, Specials, parse_rounding
from .formats import Format, get_format
from .rounding import EncodeOptions, round_finite

__all__ = ["encode", "decode", "classify", "code_dtype"]

_CHUNK = 1 << 14
_TABLE_MIN_SIZE = 2048  # smaller inputs take the general path: a table build would not pay off
_TABLE_MAX_BITS = 22  # largest encode table: 2**22 entries
_FLOAT64 = Format("float64", 11, 52, 1023)
_SRC_FORMATS = {
    np.dtype(np.float16): get_format("float16"),
    np.dtype(ml_dtypes.bfloat16): get_format("bfloat16"),
    np.dtype(np.float32): get_format("float32"),
    np.dtype(np.float64): _FLOAT64,
}
_UINT = {8: np.uint8, 16: np.uint16, 32: np.uint32, 64: np.uint64}


def code_dtype(fmt: Format) -> type:
    """The unsigned integer dtype holding codes of ``fmt`` (uint8/16/32)."""
    for width in (8, 16, 32):
        if fmt.bits <= width:
            return _UINT[width]
    raise ValueError(f"{fmt.name} has {fmt.bits} bits; codes are limited to 32 bits")


# ---------------------------------------------------------------------------- input
def _as_float_array(x: Any) -> np.ndarray:
    """Return ``x`` as a float16/bfloat16/float32/float64 array holding the exact values."""
    arr = np.asarray(x)
    dt = arr.dtype
    if dt in _SRC_FORMATS:
        return arr
    if dt.kind == "c":
        raise TypeError(f"complex input is not allowed (got dtype {dt}); pass real values")
    if dt.kind == "b":
        raise TypeError("boolean input is not allowed; pass numeric values")
    if dt.kind in "iu" or dt.name in ("int2", "int4", "uint2", "uint4"):
        wide = arr.astype(np.int64) if dt.kind == "V" else arr
        if wide.size and (np.abs(wide.astype(np.float64)) > 2.0**53).any():
            raise ValueError("integer inputs beyond 2**53 are not exact in float64; pass floats")
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


def _rand_array(
    rand: Any, rng: np.random.Generator | None, shape: tuple[int, ...], sr_bits: int
) -> np.ndarray:
    """Validate or draw the sr random integers; returns a uint32/uint64 array of ``shape``."""
    if rand is None and rng is None:
        raise ValueError("rounding='sr' needs random bits: pass rand (integers) or rng")
    if rand is None:
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
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
    return r.astype(np.uint32 if sr_bits <= 32 else np.uint64, copy=False)


# ---------------------------------------------------------------------- general path
def _encode_general(v: np.ndarray, opts: EncodeOptions, rand: np.ndarray | None) -> np.ndarray:
    """Exact encode of a float64 array (any values) to uint64 codes."""
    fmt = opts.fmt
    neg = np.signbit(v)
    nan = np.isnan(v)
    inf = np.isinf(v)
    finite = ~(nan | inf)
    mant, e = np.frexp(np.where(finite, np.abs(v), 0.0))
    sig = (mant * 2.0**53).astype(np.uint64)
    code = round_finite(neg, sig, e.astype(np.int64) - 53, opts, rand)
    if not finite.all():
        if opts.saturate and fmt.specials is not Specials.SCALE:
            inf_code = opts.max_finite_code(neg)
        elif fmt.has_inf:
            inf_code = opts.inf_or_nan(neg)
        elif fmt.specials is Specials.SCALE:
            inf_code = np.where(neg | (not opts.saturate), np.uint64(fmt.nan_code()), np.uint64(fmt.max_code))
        elif not fmt.has_nan:
            inf_code = opts.max_finite_code(neg)
        else:
            inf_code = opts.nan_codes_for(neg)
        code = np.where(inf, inf_code, code)
        if nan.any():
            code = np.where(nan, opts.nan_codes_for(neg), code)
    return code


def _check_no_nan(arr: np.ndarray, fmt: Format) -> None:
    if fmt.has_nan or not arr.size:
        return
    isnan = np.isnan(arr)
    if isnan.any():
        idx = np.unravel_index(int(np.argmax(isnan)), arr.shape)
        raise ValueError(
            f"NaN at index {tuple(int(i) for i in idx)} cannot be encoded in {fmt.name}, which has no NaN"
        )


# ------------------------------------------------------------------------ table paths
@functools.lru_cache(maxsize=64)
def _table16(src: np.dtype, opts: EncodeOptions) -> np.ndarray:
    """Codes of all 65,536 float16 or bfloat16 inputs."""
    with np.errstate(invalid="ignore"):  # signalling NaN patterns
        vals = np.arange(1 << 16, dtype=np.uint16).view(src).astype(np.float64)
    if not opts.fmt.has_nan:
        vals = np.where(np.isnan(vals), 0.0, vals)  # NaN inputs are refused before lookup
    return _encode_general(vals, opts, None).astype(code_dtype(opts.fmt))


def _sticky_keep(src: Format, fmt: Format) -> int | None:
    """Leading mantissa bits of ``src`` a sticky table must keep for ``fmt``, or None.

    Bits at and above the round position of every input must be kept: M + 1 for
    inputs in a normal target binade, more when the target reaches below the
    source's subnormal range.  None when no table of at most 2**22 entries fits.
    """
    keep = fmt.man_bits + 1 + max(0, src.emin - fmt.emin)
    if keep >= src.man_bits:
        return None
    index_bits = src.bits - (src.man_bits - keep) + 1
    return keep if index_bits <= _TABLE_MAX_BITS else None


@functools.lru_cache(maxsize=64)
def _sticky_table(src_dtype: np.dtype, keep: int, opts: EncodeOptions) -> np.ndarray:
    """Codes indexed by ``(bits >> S) * 2 + (bits & (2**S - 1) != 0)``, ``S = Msrc - keep``."""
    src = _SRC_FORMATS[src_dtype]
    shift = src.man_bits - keep
    n = 1 << (src.bits - shift + 1)
    j = np.arange(n, dtype=np.uint64)
    pattern = ((j >> np.uint64(1)) << np.uint64(shift)) | (j & np.uint64(1))
    with np.errstate(invalid="ignore"):  # signalling NaN patterns
        vals = pattern.astype(_UINT[src.bits]).view(src_dtype).astype(np.float64)
    if not opts.fmt.has_nan:
        vals = np.where(np.isnan(vals), 0.0, vals)
    return _encode_general(vals, opts, None).astype(code_dtype(opts.fmt))


def _encode_sticky(flat: np.ndarray, table: np.ndarray, keep: int, out: np.ndarray) -> None:
    """out = table[(u >> S) * 2 + sticky(u)], chunk by chunk, with preallocated buffers."""
    src = _SRC_FORMATS[flat.dtype]
    utype = _UINT[src.bits]
    u_all = flat.view(utype)
    shift = utype(src.man_bits - keep)
    low = utype((1 << int(shift)) - 1)
    a_buf = np.empty(_CHUNK, utype)
    b_buf = np.empty(_CHUNK, utype)
    for start in range(0, u_all.size, _CHUNK):
        u = u_all[start : start + _CHUNK]
        a, b = a_buf[: u.size], b_buf[: u.size]
        np.bitwise_and(u, low, out=a)
        np.add(a, low, out=a)  # bit S set iff any low bit was set
        np.right_shift(a, shift, out=a)
        np.right_shift(u, shift, out=b)
        np.add(a, b, out=a)
        np.add(a, b, out=a)
        np.take(table, a, out=out[start : start + u.size], mode="clip")


# ------------------------------------------------------------------ sr from float32
def _sr_table_ok(fmt: Format) -> bool:
    return fmt.man_bits <= 12 and -126 <= fmt.emin <= 127


@functools.lru_cache(maxsize=64)
def _sr_table(opts: EncodeOptions) -> np.ndarray:
    """Codes indexed by ``(u >> k) * 2 + away``, ``k = 23 - M``, ``u`` the float32 bits.

    ``u >> k`` is the sign, the exponent and the top M mantissa bits: enough
    to know the truncated code in every target binade.  Entry (hi, 1) is the
    next code away from zero (overflow resolved as sr does), entry (hi, 0)
    the truncated one.  Both come from the general path: in a normal target
    binade from the value half a quantum above ``hi << k`` rounded with one
    random bit r = away, in the subnormal range from the truncated value
    plus ``away`` subnormal quanta, rounded exactly.
    """
    fmt = opts.fmt
    k = 23 - fmt.man_bits
    j = np.arange(1 << (33 - k), dtype=np.uint64)
    away = j & np.uint64(1)
    trunc_bits = ((j >> np.uint64(1)) << np.uint64(k)).astype(np.uint32)
    with np.errstate(invalid="ignore"):
        trunc = trunc_bits.view(np.float32).astype(np.float64)
    trunc = np.where(np.isfinite(trunc), trunc, 0.0)  # Inf/NaN inputs never index this table
    half = np.ldexp(1.0, (np.frexp(trunc)[1] - 1) - fmt.man_bits - 1)  # half a quantum of trunc's binade
    normal = np.where(
        np.abs(trunc) >= fmt.min_normal,
        np.copysign(np.abs(trunc) + half, trunc),
        0.0,
    )
    codes = _encode_general(normal, dataclasses.replace(opts, sr_bits=1), away)
    if fmt.specials is not Specials.SCALE:
        sub = np.abs(trunc) < fmt.min_normal
        rtz = dataclasses.replace(opts, mode=RoundingMode.RTZ, sr_bits=None)
        low = np.abs(decode(_encode_general(trunc[sub], rtz, None), fmt, np.float64))
        step = low + away[sub].astype(np.float64) * fmt.min_positive
        rne = dataclasses.replace(opts, mode=RoundingMode.RNE, sr_bits=None)
        codes[sub] = _encode_general(np.copysign(step, trunc[sub]), rne, None)
    return codes.astype(code_dtype(fmt))


@functools.lru_cache(maxsize=64)
def _sr_shifts(fmt: Format, r_bits: int) -> np.ndarray:
    """Per ``u >> 23`` (sign and exponent): the two shifts that cut t out, packed.

    With ``sigL = (u << 8) | 2**31`` (the significand left-aligned) and kk the
    number of significand bits below the quantum of the input's target
    binade, ``t = (sigL << lsh) >> rsh`` with ``lsh = max(24 - kk, 0)`` and
    ``rsh = 32 - R + max(kk - 24, 0)``: the discarded bits left-aligned, then
    their top R bits.  Entry = ``lsh | rsh << 8`` (one lookup for both).
    """
    k = 23 - fmt.man_bits
    e = np.arange(512) & 0xFF
    kk = k + np.maximum(fmt.emin - (e - 127), 0)
    lsh = np.maximum(24 - kk, 0)
    rsh = np.minimum(32 - r_bits + np.maximum(kk - 24, 0), 255)  # >= 32 already gives 0
    return (lsh | (rsh << 8)).astype(np.uint32)


def _encode_sr32(flat: np.ndarray, opts: EncodeOptions, rand: np.ndarray, out: np.ndarray) -> None:
    """Stochastic rounding of float32 input, chunk by chunk (spec-notes section 2).

    For each input, t (the discarded fraction truncated to R bits) is cut out
    of the float32 significand with two shifts looked up by exponent; the
    magnitude rounds away iff ``t + r >= 2**R``, i.e. ``t > r ^ (2**R - 1)``,
    and a table indexed by the truncated bits and that decision gives the
    code.  float32 subnormal, Inf and NaN inputs take the general path.
    """
    fmt = opts.fmt
    r_bits = int(opts.sr_bits)  # type: ignore[arg-type]
    table = _sr_table(opts)
    shifts = _sr_shifts(fmt, r_bits)
    k = np.uint32(23 - fmt.man_bits)
    r_mask = np.uint32((1 << r_bits) - 1)
    # float32 subnormals need the general path only where their t or i can be non-zero
    subnormals_slow = (int(shifts[0]) >> 8) < 32 or fmt.emin - fmt.man_bits < -126
    u_all = flat.view(np.uint32)
    r_all = rand.astype(np.uint32, copy=False)
    e_buf, s_buf, x_buf, i_buf = (np.empty(_CHUNK, np.uint32) for _ in range(4))
    away_buf = np.empty(_CHUNK, bool)
    for start in range(0, u_all.size, _CHUNK):
        u = u_all[start : start + _CHUNK]
        n = u.size
        r = r_all[start : start + n]
        e, sig, x, idx, away = e_buf[:n], s_buf[:n], x_buf[:n], i_buf[:n], away_buf[:n]
        np.right_shift(u, np.uint32(23), out=e)
        np.take(shifts, e, out=x, mode="clip")
        np.left_shift(u, np.uint32(8), out=sig)
        np.bitwise_or(sig, np.uint32(0x80000000), out=sig)
        np.bitwise_and(x, np.uint32(0xFF), out=idx)
        np.left_shift(sig, idx, out=sig)
        np.right_shift(x, np.uint32(8), out=x)
        np.right_shift(sig, x, out=sig)  # t
        np.bitwise_xor(r, r_mask, out=x)
        np.greater(sig, x, out=away)  # t + r >= 2**R
        np.right_shift(u, k, out=idx)
        np.add(idx, idx, out=idx)
        np.add(idx, away, out=idx, casting="unsafe")
        dst = out[start : start + n]
        np.take(table, idx, out=dst, mode="clip")
        # Inf and NaN (exponent field 255), and where they matter float32 subnormals (field 0)
        np.bitwise_and(e, np.uint32(0xFF), out=e)
        if subnormals_slow:
            np.subtract(e, np.uint32(1), out=e)
            np.greater_equal(e, np.uint32(254), out=away)
        else:
            np.equal(e, np.uint32(255), out=away)
        if away.any():
            sel = np.flatnonzero(away)
            sel = sel[(u[sel] & np.uint32(0x7FFFFFFF)) != 0]  # zeros are exact on the fast path
            with np.errstate(invalid="ignore"):
                v = flat[start + sel].astype(np.float64)
            dst[sel] = _encode_general(v, opts, r[sel].astype(np.uint64))


# ------------------------------------------------------------------------------ API
def encode(
    x: Any,
    fmt: "str | Format",
    *,
    rounding: "str | int | RoundingMode" = "rne",
    saturate: bool = False,
    sr_bits: int | None = None,
    rand: Any = None,
    rng: np.random.Generator | None = None,
    nan: str = "ml_dtypes",
    e8m0_rule: str = "ml_dtypes",
) -> np.ndarray:
    """Round the exact values of ``x`` into ``fmt`` and return the codes.

    Args:
        x: array-like of float16, bfloat16, float32, float64, any ml_dtypes
            float type, or integers (|v| <= 2**53); any shape.  Each element is
            rounded once from its exact value (never through another type).
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
        nan: ``"ml_dtypes"`` writes the quiet NaN with the input's sign (fnuz
            and scale formats have one NaN); ``"canonical"`` always the
            positive one.
        e8m0_rule: ties of formats with no mantissa bits under rne:
            ``"ml_dtypes"`` (up in magnitude), ``"even"`` (even code), or
            ``"up"`` (every inexact value rounds up, CUDA's RCEIL).

    Returns:
        Unsigned integer codes (uint8 for <= 8 bits, uint16, uint32) of ``x``'s shape.

    Raises:
        TypeError: complex, boolean or non-numeric input, non-integer rand.
        ValueError: unknown format or mode, bad sr arguments, a random
            integer >= 2**sr_bits, NaN into a format with no NaN.
    """
    fmt = get_format(fmt)
    mode = parse_rounding(rounding)
    opts = EncodeOptions(fmt, mode, bool(saturate), nan, e8m0_rule, sr_bits if mode is RoundingMode.SR else None)
    if mode is not RoundingMode.SR and (rand is not None or rng is not None or sr_bits is not None):
        raise ValueError(f"sr_bits, rand and rng are only used with rounding='sr', not {mode.label!r}")
    arr = _as_float_array(x)
    _check_no_nan(arr, fmt)
    out_dtype = code_dtype(fmt)
    flat = np.ascontiguousarray(arr).reshape(-1)
    out = np.empty(flat.size, out_dtype)

    if mode is RoundingMode.SR:
        r = _rand_array(rand, rng, arr.shape, int(sr_bits)).reshape(-1)  # type: ignore[arg-type]
        if flat.dtype.itemsize == 2:
            with np.errstate(invalid="ignore"):
                flat = flat.astype(np.float32)  # exact widening
        if flat.size >= _TABLE_MIN_SIZE and flat.dtype == np.float32 and _sr_table_ok(fmt):
            _encode_sr32(flat, opts, r, out)
        else:
            _encode_chunks_general(flat, opts, r, out)
        return out.reshape(arr.shape)

    src = _SRC_FORMATS[flat.dtype]
    if flat.size < _TABLE_MIN_SIZE:
        _encode_chunks_general(flat, opts, None, out)
    elif src.bits == 16:
        np.take(_table16(flat.dtype, opts), flat.view(np.uint16), out=out)
    elif (keep := _sticky_keep(src, fmt)) is not None:
        _encode_sticky(flat, _sticky_table(flat.dtype, keep, opts), keep, out)
    else:
        _encode_chunks_general(flat, opts, None, out)
    return out.reshape(arr.shape)


def _encode_chunks_general(
    flat: np.ndarray, opts: EncodeOptions, rand: np.ndarray | None, out: np.ndarray
) -> None:
    step = _CHUNK * 4
    for start in range(0, flat.size, step):
        sl = slice(start, start + step)
        with np.errstate(invalid="ignore"):  # signalling NaN inputs
            v = flat[sl].astype(np.float64)
        out[sl] = _encode_general(v, opts, None if rand is None else rand[sl])


# ---------------------------------------------------------------------------- decode
def _dtype_format(dtype: np.dtype) -> Format:
    if dtype == np.float64:
        return _FLOAT64
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


@functools.lru_cache(maxsize=64)
def _decode_table(fmt: Format, dtype: np.dtype) -> np.ndarray:
    """Values of all ``2**bits`` codes, computed exactly in float64, then cast exactly."""
    codes = np.arange(fmt.code_count, dtype=np.int64)
    neg = (codes & fmt.sign_mask) != 0
    mag = codes & fmt.mag_mask
    e_field = mag >> fmt.man_bits
    m_field = mag & ((1 << fmt.man_bits) - 1)
    if fmt.specials is Specials.SCALE:
        val = np.ldexp(1.0, e_field - fmt.bias)
    else:
        sig = np.where(e_field > 0, m_field + (1 << fmt.man_bits), m_field).astype(np.float64)
        val = np.ldexp(sig, np.maximum(e_field, 1) - fmt.bias - fmt.man_bits)
    if fmt.has_inf:
        val = np.where(np.isin(codes, fmt.inf_codes), np.inf, val)
    if fmt.has_nan:
        val = np.where(np.isin(codes, fmt.nan_codes), np.nan, val)
    val = np.where(neg, -val, val)
    return val.astype(dtype)


@functools.lru_cache(maxsize=16)
def _pair_table(fmt: Format, dtype: np.dtype) -> np.ndarray:
    """Two decoded values per entry, indexed by two adjacent uint8 codes (little endian)."""
    single = _decode_table(fmt, dtype)
    idx = np.arange(1 << 16, dtype=np.int64)
    pairs = np.empty((1 << 16, 2), dtype)
    pairs[:, 0] = single[np.minimum(idx & 0xFF, single.size - 1)]
    pairs[:, 1] = single[np.minimum(idx >> 8, single.size - 1)]
    return pairs.view(_UINT[16 * dtype.itemsize]).reshape(-1)


def _as_codes(codes: Any, fmt: Format) -> np.ndarray:
    arr = np.asarray(codes)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"codes must be integers, got dtype {arr.dtype}")
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
    arr = _as_codes(codes, fmt)
    if fmt.bits > 16:  # float32: the codes are the bits
        return arr.astype(np.uint32).view(np.float32).astype(dtype)
    flat = np.ascontiguousarray(arr).reshape(-1)
    if flat.dtype == np.uint8 and dtype.itemsize <= 4 and flat.size >= 2 * _CHUNK:
        return _decode_pairs(flat, fmt, dtype).reshape(arr.shape)
    out = np.take(_decode_table(fmt, dtype), flat)
    return out.reshape(arr.shape)


def _decode_pairs(flat: np.ndarray, fmt: Format, dtype: np.dtype) -> np.ndarray:
    """Decode two uint8 codes per lookup through a 65,536-entry table of value pairs."""
    table = _pair_table(fmt, dtype)
    out = np.empty(flat.size, dtype)
    even = flat.size & ~1
    pairs_in = flat[:even].view(np.uint16)
    pairs_out = out[:even].view(table.dtype)
    for start in range(0, pairs_in.size, _CHUNK):
        np.take(table, pairs_in[start : start + _CHUNK], out=pairs_out[start : start + _CHUNK], mode="clip")
    if even != flat.size:
        out[-1] = _decode_table(fmt, dtype)[flat[-1]]
    return out


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
    arr = _as_codes(codes, fmt).astype(np.uint64)
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
