"""Exact arithmetic on narrow codes: products, FMA, MAC and dot products with IEEE flags.

Semantics (spec-notes section 4; docs/arithmetic.md):

* A product of two codes is exact (:func:`mul`); nothing rounds it.
* :func:`fma` computes ``acc + a*b`` with ONE rounding into the accumulator
  format (any IEEE-style format: float32, float16, bfloat16, customs).
* NaN results are the canonical positive quiet NaN; NV only for Inf*0,
  Inf - Inf and a signalling NaN in any operand (a, b or the accumulator;
  :func:`refmodel.codec.signalling_nan`).  An infinite operand gives an
  infinite result without flags (saturation does not apply to it).
* An exact zero sum is +0 (rdn: -0), except that two zero addends of the same
  sign keep it.  Overflow per mode (or +-max when saturating) sets OF and NX.
* UF is tininess after rounding (the result rounded with an unbounded
  exponent range is below min normal) and inexact; under sr, tininess is
  judged on the delivered result.
* :func:`mac` runs a stream of FMAs exactly as the RTL accumulator does, with
  the shared leap-forward LFSR feeding stochastic rounding; :func:`dot` sums
  every product exactly and rounds once.

The sum of the accumulator and the product is formed exactly in a 63-bit
window: both operands are aligned to the larger one's top bit, and any
operand bits below the window (only possible for an operand 37 or more
binades below the other) collapse into a sticky bit, which cannot move a
rounding decision that sits at least 30 bits above it.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import numpy as np

from .codec import check_codes, code_dtype, random_integers, signalling_nan, unpack
from .encodings import CodeClass, Flag, RoundingMode, Specials
from .formats import Format, get_format
from .rounding import EncodeOptions, bit_length, ieee_flags, round_finite, rounding_mode, tiny_after_rounding

__all__ = ["Product", "mul", "fma", "fma_ops", "mac", "MacResult", "dot", "sum_products", "operand_format", "accumulator_format"]

_CHUNK = 1 << 14
_U64 = np.uint64
_NV = int(Flag.NV)
_RDN = RoundingMode.RDN


class Product(NamedTuple):
    """The exact product of two codes, as the hardware's unrounded multiplier output.

    ``value = (-1)**sign * sig * 2**(exp - frac_bits)``.

    Attributes:
        sign: uint8, sign_a XOR sign_b (also for zeros and infinities; 0 for NaN).
        exp: int32, ea + eb, the sum of the unbiased exponents (emin for
            subnormal and zero operands); 0 for Inf and NaN.
        sig: uint64, the product of the integer significands (hidden bits
            included); 0 for zero, Inf and NaN.
        cls: uint8 :class:`CodeClass`: NAN if either operand is NaN or it is
            Inf*0, INF if either is Inf, ZERO if either is zero, SUBNORMAL if
            either operand is subnormal, else NORMAL.
        frac_bits: Ma + Mb, the binary point of ``sig``.
    """

    sign: np.ndarray
    exp: np.ndarray
    sig: np.ndarray
    cls: np.ndarray
    frac_bits: int


def operand_format(fmt: Any) -> Format:
    """A format usable as a multiplier operand: any sign/exponent/mantissa format of <= 16 bits."""
    fmt = get_format(fmt)
    if fmt.specials is Specials.SCALE or fmt.bits > 16:
        raise ValueError(
            f"{fmt.name} cannot be a multiplier operand: operands are sign/exponent/mantissa "
            "formats of at most 16 bits (E8M0 scales are applied by refmodel.mx)"
        )
    return fmt


def accumulator_format(fmt: Any) -> Format:
    """A format usable as an accumulator: IEEE-style specials (Inf and NaN), at most 32 bits."""
    fmt = get_format(fmt)
    if fmt.specials is not Specials.IEEE or fmt.bits > 32:
        raise ValueError(
            f"{fmt.name} cannot be an accumulator: accumulators need Inf and NaN "
            "(specials='ieee', e.g. float32, float16, bfloat16, Format.custom(5, 7))"
        )
    return fmt


# ------------------------------------------------------------------------------ mul
def _product(a: np.ndarray, b: np.ndarray, fa: Format, fb: Format):
    ua, ub = unpack(a, fa), unpack(b, fb)
    neg = ua.neg ^ ub.neg
    sig = ua.sig * ub.sig
    exp = ua.exp + ub.exp
    nan = (ua.cls == CodeClass.NAN) | (ub.cls == CodeClass.NAN)
    a_inf, b_inf = ua.cls == CodeClass.INF, ub.cls == CodeClass.INF
    a_zero, b_zero = ua.cls == CodeClass.ZERO, ub.cls == CodeClass.ZERO
    inf_times_zero = (a_inf & b_zero) | (a_zero & b_inf)
    invalid = inf_times_zero | signalling_nan(a, fa) | signalling_nan(b, fb)
    cls = np.full(sig.shape, CodeClass.NORMAL, np.uint8)
    cls[(ua.cls == CodeClass.SUBNORMAL) | (ub.cls == CodeClass.SUBNORMAL)] = CodeClass.SUBNORMAL
    cls[a_zero | b_zero] = CodeClass.ZERO
    cls[a_inf | b_inf] = CodeClass.INF
    cls[nan | inf_times_zero] = CodeClass.NAN
    special = cls >= CodeClass.INF
    sig = np.where(special | (cls == CodeClass.ZERO), _U64(0), sig)
    exp = np.where(special, 0, exp)
    return neg & ~(cls == CodeClass.NAN), sig, exp, cls, invalid


@functools.lru_cache(maxsize=16)
def _product_table(fa: Format, fb: Format) -> tuple[np.ndarray, ...]:
    """:func:`_product` of every code pair of two formats of <= 8 bits, indexed by ``a << fb.bits | b``."""
    pairs = np.arange(1 << (fa.bits + fb.bits), dtype=np.int64)
    neg, sig, exp, cls, invalid = _product(pairs >> fb.bits, pairs & ((1 << fb.bits) - 1), fa, fb)
    return neg, sig.astype(np.uint32), exp.astype(np.int32), cls, invalid


def _product_fields(a: np.ndarray, b: np.ndarray, fa: Format, fb: Format):
    """:func:`_product` of checked codes, through a table when both formats have <= 8 bits."""
    if fa.bits > 8 or fb.bits > 8:
        return _product(a, b, fa, fb)
    idx = (a.astype(np.intp) << fb.bits) | b
    return tuple(np.take(t, idx) for t in _product_table(fa, fb))


def mul(a: Any, b: Any, fmt_a: Any, fmt_b: Any = None) -> Product:
    """Exact product of codes ``a`` (in ``fmt_a``) and ``b`` (in ``fmt_b``, default ``fmt_a``).

    Args:
        a, b: integer code arrays (broadcast together).
        fmt_a, fmt_b: operand formats (sign/exponent/mantissa, <= 16 bits).

    Returns:
        :class:`Product` arrays of the broadcast shape.

    Raises:
        ValueError: codes out of range, shapes that do not broadcast, an
            unsupported format.
    """
    fa = operand_format(fmt_a)
    fb = fa if fmt_b is None else operand_format(fmt_b)
    a, b = _broadcast(("a", check_codes(a, fa)), ("b", check_codes(b, fb)))
    neg, sig, exp, cls, _ = _product_fields(a, b, fa, fb)
    return Product(neg.astype(np.uint8), exp.astype(np.int32), sig, cls, fa.man_bits + fb.man_bits)


def _broadcast(*named: tuple[str, np.ndarray]) -> list[np.ndarray]:
    try:
        return list(np.broadcast_arrays(*(arr for _, arr in named)))
    except ValueError:
        shapes = ", ".join(f"{name} {arr.shape}" for name, arr in named)
        raise ValueError(f"operand shapes do not broadcast: {shapes}") from None


# --------------------------------------------------------------------- exact sums
def _align(sig: np.ndarray, d: np.ndarray) -> np.ndarray:
    """``2 * (sig * 2**d truncated) + sticky``: sig moved by d places, one sticky bit below."""
    left = np.minimum(np.maximum(d, 0), 63).astype(_U64)
    right = np.minimum(np.maximum(-d, 0), 63).astype(_U64)
    moved = (sig << left) >> right
    sticky = (sig & ((_U64(1) << right) - _U64(1))) != 0
    return (moved << _U64(1)) | sticky.astype(_U64)


def _add_exact(n1, s1, l1, n2, s2, l2):
    """``(-1)**n1 * s1 * 2**l1 + (-1)**n2 * s2 * 2**l2`` as ``(neg, sig < 2**63, exp)``.

    Exact when both operands fit a 61-bit window under the larger one's top
    bit; otherwise the far smaller operand's lost bits become a sticky bit.
    An exact zero sum comes back as ``sig == 0`` with ``neg`` False.
    """
    lowest = np.int64(-(1 << 40))
    top1 = np.where(s1 == 0, lowest, l1 + bit_length(s1))
    top2 = np.where(s2 == 0, lowest, l2 + bit_length(s2))
    top = np.maximum(top1, top2)
    window = np.where(top == lowest, 0, top + 1 - 61)  # LSB exponent of the window
    x1 = _align(s1, l1 - window).astype(np.int64)
    x2 = _align(s2, l2 - window).astype(np.int64)
    total = np.where(n1, -x1, x1) + np.where(n2, -x2, x2)
    return total < 0, np.abs(total).astype(_U64), window - 1


# ------------------------------------------------------------------------------ fma
def _fma_block(c, a, b, fa, fb, opts: EncodeOptions, rand):
    p_neg, p_sig, p_exp, p_cls, invalid = _product_fields(a, b, fa, fb)
    return add_rounded(c, p_neg, p_sig, p_exp - fa.man_bits - fb.man_bits, p_cls, invalid, opts, rand)


def add_rounded(c, p_neg, p_sig, p_lsb, p_cls, invalid, opts: EncodeOptions, rand=None):
    """``c + p`` with one rounding into ``opts.fmt``: the accumulator codes ``c`` plus an exact addend.

    ``p = (-1)**p_neg * p_sig * 2**p_lsb`` (``p_sig < 2**62``) of class ``p_cls`` (ZERO, NAN and INF
    with ``p_sig = 0``); ``invalid`` marks an addend that raises NV (Inf * 0, a signalling-NaN operand).
    The rules of :func:`fma` (zero signs, NaN, Inf, flags); returns ``(codes, flags)``.
    """
    fc = opts.fmt
    uc = unpack(c, fc)
    neg, sig, exp = _add_exact(uc.neg, uc.sig, uc.exp - fc.man_bits, p_neg, p_sig, p_lsb)
    rounded = round_finite(neg, sig, exp, opts, rand)
    code = rounded.code
    flags = ieee_flags(rounded, tiny_after_rounding(neg, sig, exp, rounded, opts))

    # exact zero: two zero addends of one sign keep it; anything else is +0 (rdn: -0)
    both_zero = (uc.sig == 0) & (p_sig == 0)
    zero_neg = np.where(both_zero & (uc.neg == p_neg), uc.neg, opts.mode is _RDN)
    code = np.where(sig == 0, np.where(zero_neg, _U64(fc.sign_mask), _U64(0)), code)

    c_nan, c_inf = uc.cls == CodeClass.NAN, uc.cls == CodeClass.INF
    p_nan, p_inf = p_cls == CodeClass.NAN, p_cls == CodeClass.INF
    c_snan = signalling_nan(c, fc)
    clash = p_inf & c_inf & (p_neg != uc.neg)
    nan = c_nan | p_nan | clash
    inf = ~nan & (p_inf | c_inf)
    inf_code = _U64(fc.inf_codes[0]) | np.where(np.where(p_inf, p_neg, uc.neg), _U64(fc.sign_mask), _U64(0))
    code = np.where(nan, _U64(fc.nan_code(False)), np.where(inf, inf_code, code))
    flags = np.where(nan | inf, 0, flags) | ((invalid | clash | c_snan) * _NV).astype(np.uint8)
    return code.astype(code_dtype(fc)), flags.astype(np.uint8)


def _sr_options(fc: Format, rounding: Any, sr_bits: Any, saturate: bool) -> EncodeOptions:
    mode = rounding_mode(rounding)
    return EncodeOptions(fc, mode, saturate, "canonical", sr_bits=sr_bits if mode is RoundingMode.SR else None)


def fma(
    acc: Any,
    a: Any,
    b: Any,
    *,
    fmt_a: Any,
    fmt_b: Any = None,
    acc_fmt: Any = "float32",
    rounding: Any = "rne",
    sr_bits: int | None = None,
    rand: Any = None,
    saturate: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """``acc + a*b`` with one rounding into ``acc_fmt``, elementwise, with IEEE flags.

    Args:
        acc: accumulator codes in ``acc_fmt``.
        a, b: operand codes in ``fmt_a`` and ``fmt_b`` (default ``fmt_a``);
            the three arrays broadcast together.
        acc_fmt: the accumulator format (IEEE-style specials).
        rounding: rne, rtz, rdn, rup, rmm, rto or sr (or the RTL code 0...6).
        sr_bits, rand: for sr, R and the random integers in ``[0, 2**R)``
            (broadcast to the result); away iff ``t + r >= 2**R``.
        saturate: results that overflow by rounding become +-max finite
            (OF and NX still set); infinite operands still give Inf.

    Returns:
        ``(codes, flags)``: result codes in ``acc_fmt``'s code dtype, and
        uint8 flags ``{NV, DZ, OF, UF, NX}`` in bits 4...0 (DZ is always 0).

    Raises:
        ValueError: unsupported formats, codes out of range, shapes that do
            not broadcast, bad sr arguments (sr without rand, rand with
            another mode, a random integer >= 2**sr_bits).
    """
    fa = operand_format(fmt_a)
    fb = fa if fmt_b is None else operand_format(fmt_b)
    fc = accumulator_format(acc_fmt)
    opts = _sr_options(fc, rounding, sr_bits, saturate)
    if opts.mode is not RoundingMode.SR and (rand is not None or sr_bits is not None):
        raise ValueError(f"sr_bits and rand are only used with rounding='sr', not {opts.mode.label!r}")
    c_arr, a_arr, b_arr = _broadcast(
        ("acc", check_codes(acc, fc)), ("a", check_codes(a, fa)), ("b", check_codes(b, fb))
    )
    shape = c_arr.shape
    r = None
    if opts.mode is RoundingMode.SR:
        if rand is None:
            raise ValueError("rounding='sr' needs random integers: pass rand (e.g. refmodel.lfsr.draws)")
        r = random_integers(rand, None, shape, int(opts.sr_bits)).reshape(-1)  # type: ignore[arg-type]
    c_flat, a_flat, b_flat = (np.ascontiguousarray(x).reshape(-1).astype(np.int64) for x in (c_arr, a_arr, b_arr))
    codes = np.empty(c_flat.size, code_dtype(fc))
    flags = np.empty(c_flat.size, np.uint8)
    for start in range(0, c_flat.size, _CHUNK):
        sl = slice(start, start + _CHUNK)
        codes[sl], flags[sl] = _fma_block(c_flat[sl], a_flat[sl], b_flat[sl], fa, fb, opts, None if r is None else r[sl])
    return codes.reshape(shape), flags.reshape(shape)


def fma_ops(acc: Any, a: Any, b: Any, rm: Any, sat: Any, rand: Any = None, *, fmt_a: Any, fmt_b: Any = None,
            acc_fmt: Any = "float32", sr_bits: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`fma` with a rounding mode and a saturation bit per operation, as the RTL's ``rm_i``/``sat_i``.

    Element k is ``fma(acc[k], a[k], b[k], rounding=rm[k], saturate=sat[k])``, with ``rand[k]`` as
    the random integer where ``rm[k]`` is sr (``sr_bits`` then required). One :func:`fma` call per
    (mode, sat) pair present. Every array is 1-D (scalars count as length 1) and all have one
    length; results are int64 codes and flags.

    Raises:
        TypeError: non-integer codes (as :func:`fma`).
        ValueError: as :func:`fma`; arrays of different lengths (``rand`` too, where given or
            needed); an ``rm`` that is not an integer RoundingMode code 0...6 (56.7, 7, "rne");
            a ``sat`` that is not 0/1 or a bool.
    """
    named = {"acc": acc, "a": a, "b": b, "rm": rm, "sat": sat}
    arrays = {name: np.asarray(x).reshape(-1) for name, x in named.items()}
    rm, sat = _op_codes(arrays["rm"]), _op_sats(arrays["sat"])
    if rand is not None or (rm == RoundingMode.SR).any():
        arrays["rand"] = np.asarray(rand).reshape(-1) if rand is not None else np.zeros(0, np.int64)
    lengths = {name: arr.size for name, arr in arrays.items()}
    if len(set(lengths.values())) != 1:
        shown = ", ".join(f"{name} {size}" for name, size in lengths.items())
        raise ValueError(f"fma_ops needs arrays of one length (one element per operation), got {shown}")
    n = lengths["acc"]
    res = np.zeros(n, np.int64)
    flags = np.zeros(n, np.int64)
    for mode in np.unique(rm).tolist():
        for s in np.unique(sat[rm == mode]).tolist():
            sel = np.flatnonzero((rm == mode) & (sat == s))
            sr = {"sr_bits": sr_bits, "rand": arrays["rand"][sel]} if mode == RoundingMode.SR else {}
            res[sel], flags[sel] = fma(arrays["acc"][sel], arrays["a"][sel], arrays["b"][sel], fmt_a=fmt_a,
                                       fmt_b=fmt_b, acc_fmt=acc_fmt, rounding=RoundingMode(mode), saturate=bool(s),
                                       **sr)
    return res, flags


def _op_codes(rm: np.ndarray) -> np.ndarray:
    """Per-operation rounding-mode codes: integers 0...6, else ValueError naming the first bad one."""
    k, value = _first_bad(rm, lambda x: (x >= 0) & (x <= max(RoundingMode)))
    if k is not None:
        allowed = ", ".join(f"{m.value} ({m.label})" for m in RoundingMode)
        raise ValueError(f"rm[{k}] = {value!r} is not a rounding-mode code; allowed: {allowed}")
    return rm.astype(np.int64)


def _op_sats(sat: np.ndarray) -> np.ndarray:
    """Per-operation saturation bits: bools or the integers 0/1, else ValueError naming the first bad one."""
    k, value = (None, None) if sat.dtype.kind == "b" else _first_bad(sat, lambda x: (x == 0) | (x == 1))
    if k is not None:
        raise ValueError(f"sat[{k}] = {value!r} is not a saturation bit; allowed: 0, 1, False, True")
    return sat.astype(np.int64)


def _first_bad(arr: np.ndarray, ok) -> tuple[int | None, Any]:
    """Index and value of the first element that is not an integer passing ``ok`` (None, None if all pass).

    Arrays of another kind (floats, strings) fail as a whole; their first non-integral element is named.
    """
    if arr.dtype.kind in "iu":
        bad = ~ok(arr)
    elif arr.dtype.kind == "f":
        bad = np.ones(arr.shape, bool) if (arr == np.floor(arr)).all() else arr != np.floor(arr)
    else:
        bad = np.ones(arr.shape, bool)
    if not bad.any():
        return None, None
    k = int(np.argmax(bad))
    return k, arr[k:k + 1].tolist()[0]


# ------------------------------------------------------------------------------ mac
class MacResult(NamedTuple):
    """Every intermediate accumulator of a MAC stream and the sticky flags after each step."""

    acc: np.ndarray  # codes, shape (..., K): acc after operations 0...K-1
    flags: np.ndarray  # uint8, shape (..., K): OR of the flags of operations 0...k


def mac(
    a: Any,
    b: Any,
    *,
    fmt_a: Any,
    fmt_b: Any = None,
    acc_fmt: Any = "float32",
    acc_init: Any = 0,
    rounding: Any = "rne",
    sr_bits: int | None = None,
    lfsr_seed: Any = 1,
    rand: Any = None,
    saturate: bool = False,
) -> MacResult:
    """A stream of FMAs along the last axis, as the RTL accumulator register runs it.

    ``acc_0 = fma(acc_init, a[..., 0], b[..., 0])``, ``acc_k = fma(acc_{k-1}, a[..., k], b[..., k])``;
    leading axes are independent streams (vectorised).  Under sr, operation k
    of a stream uses the low ``sr_bits`` bits of its LFSR word k
    (:func:`refmodel.lfsr.draws`: leap-forward, one 32-step leap per accepted
    operation, word 0 = the seed), unless ``rand`` (shape ``(..., K)``) gives
    the random integers explicitly.

    Args:
        a, b: operand codes, shape ``(..., K)``.
        acc_init: the accumulator after ``clear`` (a code, or codes of the
            leading shape); default +0.
        lfsr_seed: the LFSR seed (non-zero), one for all streams or one per stream.
        rand: explicit random integers instead of the LFSR.
        Other arguments as :func:`fma`.

    Returns:
        :class:`MacResult` with the accumulator after every operation and
        the flags sticky since the clear.

    Raises:
        TypeError: as :func:`fma`, or a seed that is not an integer (2.5, "3", True).
        ValueError: as :func:`fma`, plus a seed outside 1...2**32 - 1 (0 included) or an
            empty stream axis.
    """
    fa = operand_format(fmt_a)
    fb = fa if fmt_b is None else operand_format(fmt_b)
    fc = accumulator_format(acc_fmt)
    opts = _sr_options(fc, rounding, sr_bits, saturate)
    a_arr, b_arr = _broadcast(("a", check_codes(a, fa)), ("b", check_codes(b, fb)))
    if a_arr.ndim == 0 or a_arr.shape[-1] == 0:
        raise ValueError("mac needs operand arrays with a non-empty last (stream) axis")
    lead, steps = a_arr.shape[:-1], a_arr.shape[-1]
    acc = np.broadcast_to(check_codes(acc_init, fc), lead).astype(np.int64)
    seeds = _lfsr_seeds(lfsr_seed, lead)
    if opts.mode is RoundingMode.SR:
        if rand is None:
            rand = _lfsr_rand(seeds, lead, steps, int(opts.sr_bits))  # type: ignore[arg-type]
        rand = random_integers(rand, None, a_arr.shape, int(opts.sr_bits))  # type: ignore[arg-type]
    elif rand is not None or sr_bits is not None:
        raise ValueError(f"sr_bits and rand are only used with rounding='sr', not {opts.mode.label!r}")
    # every operand is checked above: the loop calls the FMA kernel directly, one step per operation
    a_steps = np.moveaxis(a_arr, -1, 0).reshape(steps, -1).astype(np.int64)
    b_steps = np.moveaxis(b_arr, -1, 0).reshape(steps, -1).astype(np.int64)
    r_steps = None if rand is None else np.moveaxis(np.asarray(rand), -1, 0).reshape(steps, -1)
    acc = acc.reshape(-1)
    out = np.empty((steps, acc.size), code_dtype(fc))
    flags = np.empty((steps, acc.size), np.uint8)
    sticky = np.zeros(acc.size, np.uint8)
    for k in range(steps):
        code, f = _fma_block(acc, a_steps[k], b_steps[k], fa, fb, opts, None if r_steps is None else r_steps[k])
        sticky |= f
        out[k], flags[k] = code, sticky
        acc = code.astype(np.int64)
    shape = lead + (steps,)
    return MacResult(np.moveaxis(out.reshape((steps,) + lead), 0, -1).reshape(shape),
                     np.moveaxis(flags.reshape((steps,) + lead), 0, -1).reshape(shape))


def _lfsr_rand(seeds: np.ndarray, lead: tuple[int, ...], steps: int, sr_bits: int) -> np.ndarray:
    from .lfsr import draws

    unique = np.unique(seeds)
    if unique.size == 1:
        return np.broadcast_to(draws(int(unique[0]), steps, sr_bits), lead + (steps,))
    out = np.empty(lead + (steps,), np.uint32)
    for idx in np.ndindex(*lead):
        out[idx] = draws(int(seeds[idx]), steps, sr_bits)
    return out


def _lfsr_seeds(seed: Any, lead: tuple[int, ...]) -> np.ndarray:
    """The per-stream seeds (int64, shape ``lead``), each checked by :func:`refmodel.lfsr.check_seed`."""
    from .lfsr import check_seed

    arr = np.asarray(seed, dtype=object)
    for value in set(arr.reshape(-1).tolist()):
        check_seed(value, "lfsr_seed")
    try:
        return np.broadcast_to(arr.astype(np.int64), lead)
    except ValueError:
        raise ValueError(f"lfsr_seed of shape {arr.shape} does not broadcast to the streams' shape {lead}") from None


# ------------------------------------------------------------------------------ dot
def dot(
    a: Any,
    b: Any,
    *,
    fmt_a: Any,
    fmt_b: Any = None,
    acc_fmt: Any = "float32",
    rounding: Any = "rne",
    sr_bits: int | None = None,
    rand: Any = None,
    saturate: bool = False,
    scale_exp: Any = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """``2**scale_exp * sum_k a[..., k] * b[..., k]`` computed exactly, rounded once into ``acc_fmt``.

    The sequential alternative (one rounding per product, as a MAC does) is
    ``mac(a, b, ...).acc[..., -1]``.

    Special values: any NaN, or Inf*0 (NV), or infinite products of both
    signs (NV) give the canonical NaN; otherwise an infinite product gives
    Inf of its sign.  A zero sum is -0 only if every product is -0 (rdn: if
    any is, or if non-zero products cancel exactly), else +0.

    Args:
        a, b: operand codes, shape ``(..., K)``; the sum runs over the last axis.
        scale_exp: the integer exponent of a power of two applied to the exact
            sum before rounding (MX block scales), broadcast to the leading
            shape; any integer, exactly (a huge one gives the overflow or
            underflow it implies, with its flags); floats (also 2.0),
            strings and bools are refused.
        Other arguments as :func:`fma`; ``rand`` has the leading shape.

    Returns:
        ``(codes, flags)`` of the leading shape.

    Raises:
        ValueError: as :func:`fma`, an empty sum axis, or a non-integer ``scale_exp``.
    """
    fa = operand_format(fmt_a)
    fb = fa if fmt_b is None else operand_format(fmt_b)
    fc = accumulator_format(acc_fmt)
    opts = _sr_options(fc, rounding, sr_bits, saturate)
    a_arr, b_arr = _broadcast(("a", check_codes(a, fa)), ("b", check_codes(b, fb)))
    if a_arr.ndim == 0 or a_arr.shape[-1] == 0:
        raise ValueError("dot needs operand arrays with a non-empty last (sum) axis")
    lead = a_arr.shape[:-1]
    r = None
    if opts.mode is RoundingMode.SR:
        if rand is None:
            raise ValueError("rounding='sr' needs random integers: pass rand")
        r = random_integers(rand, None, lead, int(opts.sr_bits)).reshape(-1)  # type: ignore[arg-type]
    elif rand is not None or sr_bits is not None:
        raise ValueError(f"sr_bits and rand are only used with rounding='sr', not {opts.mode.label!r}")
    p_neg, p_sig, p_exp, p_cls, invalid = _product_fields(a_arr, b_arr, fa, fb)
    lsb = p_exp.astype(np.int64) - fa.man_bits - fb.man_bits + _scale_exponents(scale_exp, lead)[..., None]
    code, flags = sum_products(p_neg, p_sig, lsb, p_cls, invalid, opts, r)
    return code.reshape(lead), flags.reshape(lead)


SCALE_EXP_CLAMP = 1 << 40
"""``|scale_exp|`` beyond this is clamped to it in :func:`dot`: with operands of at most 16 bits and
accumulators of at most 32, any nonzero sum scaled by ``2**(+-2**40)`` already overflows, or lies
far below half the smallest subnormal (and below ``2**-33`` of it, which no sr draw can round up),
so the code and the flags are those of the unclamped exponent."""


def _scale_exponents(scale_exp: Any, lead: tuple[int, ...]) -> np.ndarray:
    """``scale_exp`` as int64 of shape ``lead``, every integer accepted exactly (clamped to +-SCALE_EXP_CLAMP).

    Raises:
        ValueError: a non-integer (1.5, 2.0, "3", True, None), named, or a shape that does not broadcast.
    """
    arr = np.asarray(scale_exp)
    if arr.dtype.kind == "u":
        clamped = np.minimum(arr, SCALE_EXP_CLAMP).astype(np.int64)
    elif arr.dtype.kind == "i":
        clamped = np.clip(arr, -SCALE_EXP_CLAMP, SCALE_EXP_CLAMP).astype(np.int64)
    else:
        clamped = _clamped_python_ints(np.asarray(scale_exp, dtype=object))
    try:
        return np.broadcast_to(clamped, lead)
    except ValueError:
        raise ValueError(f"scale_exp of shape {arr.shape} does not broadcast to the leading shape {lead}") from None


def _clamped_python_ints(arr: np.ndarray) -> np.ndarray:
    """An object array of Python ints (any size) clamped to +-SCALE_EXP_CLAMP as int64; ValueError otherwise."""
    for value in arr.reshape(-1).tolist():
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"scale_exp must hold integers (a power of two's exponent), got {value!r}")
    values = [min(max(v, -SCALE_EXP_CLAMP), SCALE_EXP_CLAMP) for v in arr.reshape(-1).tolist()]
    return np.asarray(values, np.int64).reshape(arr.shape)


def sum_products(neg, sig, lsb, cls, invalid, opts: EncodeOptions, rand=None) -> tuple[np.ndarray, np.ndarray]:
    """Round ``sum_k (-1)**neg * sig * 2**lsb`` over the last axis once into ``opts.fmt``, with flags.

    The exact-sum core of :func:`dot` and of MX dot products: ``cls`` (a
    :class:`CodeClass` per product) and ``invalid`` (Inf*0 or a signalling-NaN operand, per product) carry
    the special values; rules as :func:`dot`.  Returns flat ``(codes, flags)``
    of the leading shape's size.
    """
    fc = opts.fmt
    k = sig.shape[-1]
    neg2, sig2, cls2 = neg.reshape(-1, k), sig.reshape(-1, k), cls.reshape(-1, k)
    lsb2 = np.broadcast_to(lsb, sig.shape).reshape(-1, k)
    live = sig2 != 0
    lsb_min = np.where(live, lsb2, np.iinfo(np.int64).max).min(axis=1, initial=np.iinfo(np.int64).max)
    lsb_min = np.where(live.any(axis=1), lsb_min, 0)  # per row: rows scaled far apart stay cheap
    s_neg, s_sig, s_exp = _exact_sums(neg2, sig2, np.where(live, lsb2 - lsb_min[:, None], 0))
    s_exp = s_exp + lsb_min
    rounded = round_finite(s_neg, s_sig, s_exp, opts, rand)
    code = rounded.code
    flags = ieee_flags(rounded, tiny_after_rounding(s_neg, s_sig, s_exp, rounded, opts))

    zero = cls2 == CodeClass.ZERO
    all_neg_zero = (zero & neg2).all(axis=1)
    any_neg_zero = (zero & neg2).any(axis=1)
    rdn = opts.mode is _RDN
    zero_neg = all_neg_zero | (rdn & (any_neg_zero | ~zero.all(axis=1)))
    code = np.where(s_sig == 0, np.where(zero_neg, _U64(fc.sign_mask), _U64(0)), code)

    inf = cls2 == CodeClass.INF
    pos_inf, neg_inf = (inf & ~neg2).any(axis=1), (inf & neg2).any(axis=1)
    inv = invalid.reshape(-1, k).any(axis=1) | (pos_inf & neg_inf)
    nan = (cls2 == CodeClass.NAN).any(axis=1) | (pos_inf & neg_inf)
    any_inf = ~nan & (pos_inf | neg_inf)
    inf_code = _U64(fc.inf_codes[0]) | np.where(neg_inf, _U64(fc.sign_mask), _U64(0))
    code = np.where(nan, _U64(fc.nan_code(False)), np.where(any_inf, inf_code, code))
    flags = np.where(nan | any_inf, 0, flags) | (inv * _NV)
    return code.astype(code_dtype(fc)), flags.astype(np.uint8)


def _exact_sums(neg: np.ndarray, sig: np.ndarray, shift: np.ndarray):
    """Exact ``sum_k (-1)**neg * sig * 2**shift`` over the last axis, as ``(neg, sig, exp)`` per row.

    Each term (``shift >= 0``) is split into 32-bit limbs, the limbs are
    summed in int64 over the axis (exact for fewer than 2**31 terms), and
    each row's limbs are joined into one Python integer, which is cut to a
    63-bit significand with a sticky bit.
    """
    k = sig.shape[-1]
    if k >= 1 << 31:
        raise ValueError(f"dot sums at most 2**31 - 1 products, not {k}")
    sig2 = sig.reshape(-1, k)
    shift2 = shift.reshape(-1, k)
    sign = np.where(neg.reshape(-1, k), -1, 1)
    top = int(bit_length(sig2).max(initial=0) + shift2.max(initial=0))
    limbs = []
    for j in range(0, max(top, 1) + 32, 32):
        up = np.clip(shift2 - j, 0, 64).astype(_U64)
        down = np.clip(j - shift2, 0, 64).astype(_U64)
        part = ((sig2 << up) >> down) & _U64(0xFFFFFFFF)
        limbs.append((part.astype(np.int64) * sign).sum(axis=1))
    rows = len(limbs[0])
    out_neg = np.zeros(rows, bool)
    out_sig = np.zeros(rows, _U64)
    out_exp = np.zeros(rows, np.int64)
    for r in range(rows):
        total = sum(int(limb[r]) << (32 * j) for j, limb in enumerate(limbs))
        mag = abs(total)
        cut = max(mag.bit_length() - 61, 0)
        sticky = int(mag & ((1 << cut) - 1) != 0)
        out_neg[r] = total < 0
        out_sig[r] = ((mag >> cut) << 1) | sticky
        out_exp[r] = cut - 1
    return out_neg, out_sig, out_exp
