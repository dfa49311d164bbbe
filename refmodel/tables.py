"""Fast paths of the codec: lookup tables built from the general path, and chunked kernels.

Every table here is computed at first use by :func:`refmodel.rounding.encode_float64`
(the exact general path) and is exact by construction:

* a 16-bit input (float16, bfloat16) indexes a table of all 65,536 inputs;
* a float32/float64 input indexes a table by sign, exponent, the leading
  mantissa bits that can decide the rounding and one sticky bit for the rest;
* stochastic rounding of float32 input cuts t (the discarded fraction
  truncated to R bits) out of the significand with two shifts looked up by
  exponent, decides away iff ``t + r >= 2**R``, and looks the code up by the
  truncated bits and that decision;
* decoding is a table of every code's value; uint8 codes decode two at a time.

Kernels work in chunks of CHUNK elements with preallocated buffers, so that
no temporary leaves the L2 cache.
"""

from __future__ import annotations

import dataclasses
import functools

import ml_dtypes
import numpy as np

from .encodings import RoundingMode, Specials
from .formats import Format, get_format
from .rounding import EncodeOptions, code_dtype, encode_float64

CHUNK = 1 << 14
TABLE_MIN_SIZE = 2048  # smaller inputs take the general path: a table build would not pay off
TABLE_MAX_BITS = 22  # largest encode table: 2**22 entries
FLOAT64 = Format("float64", 11, 52, 1023)
SRC_FORMATS = {
    np.dtype(np.float16): get_format("float16"),
    np.dtype(ml_dtypes.bfloat16): get_format("bfloat16"),
    np.dtype(np.float32): get_format("float32"),
    np.dtype(np.float64): FLOAT64,
}
UINT = {8: np.uint8, 16: np.uint16, 32: np.uint32, 64: np.uint64}


# ------------------------------------------------------------------------ table paths
@functools.lru_cache(maxsize=64)
def table16(src: np.dtype, opts: EncodeOptions) -> np.ndarray:
    """Codes of all 65,536 float16 or bfloat16 inputs."""
    with np.errstate(invalid="ignore"):  # signalling NaN patterns
        vals = np.arange(1 << 16, dtype=np.uint16).view(src).astype(np.float64)
    if not opts.fmt.has_nan:
        vals = np.where(np.isnan(vals), 0.0, vals)  # NaN inputs are refused before lookup
    return encode_float64(vals, opts, None).astype(code_dtype(opts.fmt))


def sticky_keep(src: Format, fmt: Format) -> int | None:
    """Leading mantissa bits of ``src`` a sticky table must keep for ``fmt``, or None.

    Bits at and above the round position of every input must be kept: M + 1 for
    inputs in a normal target binade, more when the target reaches below the
    source's subnormal range.  None when no table of at most 2**22 entries fits.
    """
    keep = fmt.man_bits + 1 + max(0, src.emin - fmt.emin)
    if keep >= src.man_bits:
        return None
    index_bits = src.bits - (src.man_bits - keep) + 1
    return keep if index_bits <= TABLE_MAX_BITS else None


@functools.lru_cache(maxsize=64)
def sticky_table(src_dtype: np.dtype, keep: int, opts: EncodeOptions) -> np.ndarray:
    """Codes indexed by ``(bits >> S) * 2 + (bits & (2**S - 1) != 0)``, ``S = Msrc - keep``."""
    src = SRC_FORMATS[src_dtype]
    shift = src.man_bits - keep
    n = 1 << (src.bits - shift + 1)
    j = np.arange(n, dtype=np.uint64)
    pattern = ((j >> np.uint64(1)) << np.uint64(shift)) | (j & np.uint64(1))
    with np.errstate(invalid="ignore"):  # signalling NaN patterns
        vals = pattern.astype(UINT[src.bits]).view(src_dtype).astype(np.float64)
    if not opts.fmt.has_nan:
        vals = np.where(np.isnan(vals), 0.0, vals)
    return encode_float64(vals, opts, None).astype(code_dtype(opts.fmt))


def encode_sticky(flat: np.ndarray, table: np.ndarray, keep: int, out: np.ndarray) -> None:
    """out = table[(u >> S) * 2 + sticky(u)], chunk by chunk, with preallocated buffers."""
    src = SRC_FORMATS[flat.dtype]
    utype = UINT[src.bits]
    u_all = flat.view(utype)
    shift = utype(src.man_bits - keep)
    low = utype((1 << int(shift)) - 1)
    a_buf = np.empty(CHUNK, utype)
    b_buf = np.empty(CHUNK, utype)
    for start in range(0, u_all.size, CHUNK):
        u = u_all[start : start + CHUNK]
        a, b = a_buf[: u.size], b_buf[: u.size]
        np.bitwise_and(u, low, out=a)
        np.add(a, low, out=a)  # bit S set iff any low bit was set
        np.right_shift(a, shift, out=a)
        np.right_shift(u, shift, out=b)
        np.add(a, b, out=a)
        np.add(a, b, out=a)
        # a < 2**23: a uint64 index is read as int64 (numpy 2.0 refuses to cast uint64 to intp)
        np.take(table, a.view(np.int64) if utype is np.uint64 else a, out=out[start : start + u.size], mode="clip")


# ------------------------------------------------------------------ sr from float32
def sr_table_ok(fmt: Format) -> bool:
    return fmt.man_bits <= 12 and -126 <= fmt.emin <= 127


@functools.lru_cache(maxsize=64)
def sr_table(opts: EncodeOptions) -> np.ndarray:
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
    codes = encode_float64(normal, dataclasses.replace(opts, sr_bits=1), away)
    if fmt.specials is not Specials.SCALE:
        sub = np.abs(trunc) < fmt.min_normal
        rtz = dataclasses.replace(opts, mode=RoundingMode.RTZ, sr_bits=None)
        low = np.abs(decode_table(fmt, np.dtype(np.float64))[encode_float64(trunc[sub], rtz, None)])
        step = low + away[sub].astype(np.float64) * fmt.min_positive
        rne = dataclasses.replace(opts, mode=RoundingMode.RNE, sr_bits=None)
        codes[sub] = encode_float64(np.copysign(step, trunc[sub]), rne, None)
    return codes.astype(code_dtype(fmt))


@functools.lru_cache(maxsize=64)
def sr_shifts(fmt: Format, r_bits: int) -> np.ndarray:
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


def encode_sr32(flat: np.ndarray, opts: EncodeOptions, rand: np.ndarray, out: np.ndarray) -> None:
    """Stochastic rounding of float32 input, chunk by chunk (spec-notes section 2).

    For each input, t (the discarded fraction truncated to R bits) is cut out
    of the float32 significand with two shifts looked up by exponent; the
    magnitude rounds away iff ``t + r >= 2**R``, i.e. ``t > r ^ (2**R - 1)``,
    and a table indexed by the truncated bits and that decision gives the
    code.  float32 subnormal, Inf and NaN inputs take the general path.
    """
    fmt = opts.fmt
    r_bits = int(opts.sr_bits)  # type: ignore[arg-type]
    table = sr_table(opts)
    shifts = sr_shifts(fmt, r_bits)
    k = np.uint32(23 - fmt.man_bits)
    r_mask = np.uint32((1 << r_bits) - 1)
    # float32 subnormals need the general path where their t or i can be non-zero, and for unsigned
    # formats, where a negative subnormal is NaN (the table, indexed by magnitude, would give +0)
    subnormals_slow = (int(shifts[0]) >> 8) < 32 or fmt.emin - fmt.man_bits < -126 or not fmt.signed
    u_all = flat.view(np.uint32)
    r_all = rand  # any unsigned dtype up to 32 bits; widened per chunk below
    e_buf, s_buf, x_buf, i_buf = (np.empty(CHUNK, np.uint32) for _ in range(4))
    away_buf = np.empty(CHUNK, bool)
    for start in range(0, u_all.size, CHUNK):
        u = u_all[start : start + CHUNK]
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
        np.bitwise_xor(r, r_mask, out=x, casting="unsafe")  # r < 2**R: widening only
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
            dst[sel] = encode_float64(v, opts, r[sel].astype(np.uint64))



def encode_chunks_general(
    flat: np.ndarray, opts: EncodeOptions, rand: np.ndarray | None, out: np.ndarray
) -> None:
    step = CHUNK * 4
    for start in range(0, flat.size, step):
        sl = slice(start, start + step)
        with np.errstate(invalid="ignore"):  # signalling NaN inputs
            v = flat[sl].astype(np.float64)
        out[sl] = encode_float64(v, opts, None if rand is None else rand[sl])



@functools.lru_cache(maxsize=64)
def decode_table(fmt: Format, dtype: np.dtype) -> np.ndarray:
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
def pair_table(fmt: Format, dtype: np.dtype) -> np.ndarray:
    """Two decoded values per entry, indexed by two adjacent uint8 codes (little endian)."""
    single = decode_table(fmt, dtype)
    idx = np.arange(1 << 16, dtype=np.int64)
    pairs = np.empty((1 << 16, 2), dtype)
    pairs[:, 0] = single[np.minimum(idx & 0xFF, single.size - 1)]
    pairs[:, 1] = single[np.minimum(idx >> 8, single.size - 1)]
    return pairs.view(UINT[16 * dtype.itemsize]).reshape(-1)


def decode_pairs(flat: np.ndarray, fmt: Format, dtype: np.dtype) -> np.ndarray:
    """Decode two uint8 codes per lookup through a 65,536-entry table of value pairs."""
    table = pair_table(fmt, dtype)
    out = np.empty(flat.size, dtype)
    even = flat.size & ~1
    pairs_in = flat[:even].view(np.uint16)
    pairs_out = out[:even].view(table.dtype)
    for start in range(0, pairs_in.size, CHUNK):
        np.take(table, pairs_in[start : start + CHUNK], out=pairs_out[start : start + CHUNK], mode="clip")
    if even != flat.size:
        out[-1] = decode_table(fmt, dtype)[flat[-1]]
    return out


