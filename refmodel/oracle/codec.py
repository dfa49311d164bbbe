"""Exact scalar reference ("oracle") for decoding and encoding narrow floats.

This module is the slow, obviously-correct definition of the numeric
semantics in ``spec-notes.md`` sections 1 and 2. It works one value at a time
with Python integers and :class:`fractions.Fraction` only: no float arithmetic
on values and no numpy in the rounding logic (numpy is used only to recognise
numpy / ml_dtypes scalar inputs). It is written from the spec text alone, so
that the fast vectorised paths can be checked against it; those paths must
never import it.

Decoding (``decode_exact``): a code ``s | e | m`` (sign, exponent field,
mantissa field of widths 1/0, E, M) has the value
``(-1)**s * 2**(e - bias) * (1 + m / 2**M)`` when ``e > 0`` and
``(-1)**s * 2**(1 - bias) * (m / 2**M)`` when ``e == 0``, except for the
special codes of the format's convention (``ieee``: exponent all ones is Inf
when m == 0 else NaN; ``fn``: the all-ones magnitude is NaN; ``fnuz``: the code
``100...0`` is the only NaN; ``none``: no specials) and for ``scale`` formats
(unsigned, M == 0), where every code is ``2**(e - bias)`` and the all-ones code
is NaN.

Encoding (``encode_exact``): the exact input value is rounded ONCE onto the
grid of the format with gradual underflow, i.e. with the quantum
``2**(max(floor(log2|v|), emin) - M)`` where ``emin = 1 - bias``, and the
rounded magnitude is then checked for overflow (see :func:`encode_exact`).
"""

from __future__ import annotations

import functools
import math
import numbers
import operator
import struct
from fractions import Fraction
from typing import NamedTuple

import numpy as np

from ..encodings import Flag, RoundingMode, Specials, parse_rounding
from ..formats import Format, get_format
from ..rounding import policy_name  # the policy names and their aliases, not the rounding itself

__all__ = ["OracleValue", "decode_exact", "encode_exact", "exact_value_of_float", "is_signalling_nan"]

_KINDS = ("finite", "inf", "nan")


class OracleValue(NamedTuple):
    """An exact extended-real value with a sign.

    Attributes:
        negative: the sign; True for -0, -Inf and a NaN whose sign bit is set.
        kind: ``"finite"``, ``"inf"`` or ``"nan"``.
        magnitude: ``|value|`` for finite values (``Fraction(0)`` for zeros);
            ``Fraction(0)`` for Inf and NaN.
    """

    negative: bool
    kind: str
    magnitude: Fraction


# ------------------------------------------------------------------ small helpers
def _pow2(k: int) -> Fraction:
    """``2**k`` as an exact Fraction, for any integer k (also negative)."""
    return Fraction(1 << k) if k >= 0 else Fraction(1, 1 << -k)


def _floor_log2(v: Fraction) -> int:
    """``floor(log2(v))`` for a Fraction ``v > 0``, computed exactly.

    With p = numerator, q = denominator, ``p/q`` lies in
    ``(2**(len(p) - len(q) - 1), 2**(len(p) - len(q) + 1))``, so the answer is
    ``len(p) - len(q)`` or one less.
    """
    assert v > 0
    e = v.numerator.bit_length() - v.denominator.bit_length()
    if v < _pow2(e):
        e -= 1
    assert _pow2(e) <= v < _pow2(e + 1)
    return e


def _floor(v: Fraction) -> int:
    """``floor(v)`` of a Fraction (Python's ``//`` floors)."""
    return v.numerator // v.denominator


def _exp_all_ones(fmt: Format) -> int:
    return (1 << fmt.exp_bits) - 1


def _emin(fmt: Format) -> int:
    """Unbiased exponent of the lowest normal binade: ``1 - bias`` (scale formats:
    ``-bias``, the exponent of code 0, as they have no subnormals)."""
    return -fmt.bias if fmt.specials is Specials.SCALE else 1 - fmt.bias


def _max_magnitude_code(fmt: Format) -> int:
    """Magnitude code of the largest finite value, from the specials convention."""
    mag_mask = (1 << (fmt.exp_bits + fmt.man_bits)) - 1
    if fmt.specials is Specials.IEEE:
        return (_exp_all_ones(fmt) << fmt.man_bits) - 1  # just below the Inf code
    if fmt.specials in (Specials.FN, Specials.SCALE):
        return mag_mask - 1  # the all-ones magnitude is NaN
    return mag_mask  # fnuz (NaN is the negative-zero code) and none


@functools.lru_cache(maxsize=256)
def _max_finite(fmt: Format) -> Fraction:
    """The largest finite magnitude, exactly."""
    return decode_exact(_max_magnitude_code(fmt), fmt).magnitude


def _sign_bit(fmt: Format, negative: bool) -> int:
    return fmt.sign_mask if negative else 0


def _nan_result(fmt: Format, negative: bool, nan: str) -> int:
    """The code written for a NaN result.

    ``nan="keep-sign"`` keeps the sign where the format can (ieee: sign | exponent
    all ones | mantissa MSB; fn: sign | all-ones magnitude); fnuz has the single
    NaN ``100...0`` and scale the all-ones code. ``nan="canonical"`` always gives
    the positive one.

    Raises:
        ValueError: the format has no NaN (specials ``none``).
    """
    if nan == "canonical":
        negative = False
    s = fmt.specials
    if s is Specials.NONE:
        raise ValueError(f"NaN cannot be encoded in {fmt.name}, which has no NaN")
    if s is Specials.IEEE:
        mag = (_exp_all_ones(fmt) << fmt.man_bits) | (1 << (fmt.man_bits - 1))
        return _sign_bit(fmt, negative) | mag
    if s is Specials.FN:
        return _sign_bit(fmt, negative) | ((1 << (fmt.exp_bits + fmt.man_bits)) - 1)
    if s is Specials.FNUZ:
        return fmt.sign_mask
    return (1 << fmt.exp_bits) - 1  # scale: all ones


def _signed_zero(fmt: Format, negative: bool) -> int:
    """+0 or -0; formats without -0 (fnuz) give +0."""
    if negative and fmt.signed and fmt.specials is not Specials.FNUZ:
        return fmt.sign_mask
    return 0


def _magnitude_code(mag: Fraction, fmt: Format) -> int:
    """The magnitude code (no sign) of a magnitude on the format's grid.

    ``mag`` must be 0 or ``n * 2**(max(floor(log2 mag), emin) - M)`` for an
    integer n; no range check is done against the top of the format (callers
    check overflow first; the ``even`` e8m0 rule only reads the parity).
    """
    if mag == 0:
        return 0
    e = _floor_log2(mag)
    emin = _emin(fmt)
    m_bits = fmt.man_bits
    if e < emin:  # subnormal: exponent field 0, value = m * 2**(emin - M)
        m = mag / _pow2(emin - m_bits)
        assert m.denominator == 1 and 0 < m < (1 << m_bits)
        return int(m)
    field = e + fmt.bias
    m = mag / _pow2(e - m_bits) - (1 << m_bits)
    assert m.denominator == 1 and 0 <= m < (1 << m_bits), "magnitude not on the grid"
    return (field << m_bits) | int(m)


# -------------------------------------------------------------------------- decode
def exact_value_of_float(x) -> OracleValue:
    """The exact value of a binary floating-point scalar.

    Accepted: a Python float, a numpy float16/float32/float64 scalar, or an
    ml_dtypes scalar (bfloat16, float8_*, float6_*, float4_*, float8_e8m0fnu).
    All of these widen exactly to float64, whose value is read with
    ``float.as_integer_ratio()`` (integer arithmetic). The sign is kept for
    -0.0, -Inf and NaN (``np.signbit`` for numpy / ml_dtypes scalars,
    ``math.copysign`` for Python floats).

    Raises:
        TypeError: anything else (including bool, int and long double, which
            does not widen exactly to float64).
    """
    if isinstance(x, bool) or isinstance(x, np.bool_):
        raise TypeError(f"not a floating-point scalar: {x!r}")
    if isinstance(x, float):  # Python float and np.float64
        f = float(x)
        negative = math.copysign(1.0, f) < 0
    elif isinstance(x, np.generic):
        if isinstance(x, np.floating):
            if x.dtype.itemsize > 8:
                raise TypeError(f"{x.dtype} does not widen exactly to float64")
        else:
            try:
                get_format(x.dtype)  # an ml_dtypes float type registered here
            except ValueError:
                raise TypeError(f"not a floating-point scalar: {x!r} ({x.dtype})") from None
        f = float(x)
        negative = bool(np.signbit(x))
    else:
        raise TypeError(f"not a floating-point scalar: {x!r} ({type(x).__name__})")
    if math.isnan(f):
        return OracleValue(negative, "nan", Fraction(0))
    if math.isinf(f):
        return OracleValue(negative, "inf", Fraction(0))
    p, q = f.as_integer_ratio()
    return OracleValue(negative, "finite", Fraction(abs(p), q))


def decode_exact(code: int, fmt: Format) -> OracleValue:
    """The exact value of a code of ``fmt`` (see the module docstring).

    Args:
        code: an integer in ``[0, 2**fmt.bits)``.
        fmt: a Format (or a name accepted by :func:`refmodel.formats.get_format`).

    Returns:
        An OracleValue. ``negative`` is the code's sign bit, also for NaN
        (so the fnuz NaN ``100...0`` reads as negative, as ``np.signbit`` does
        for ml_dtypes); scale formats are never negative.

    Raises:
        TypeError: code is not an integer.
        ValueError: code out of range (the message names the allowed range).
    """
    fmt = get_format(fmt)
    if isinstance(code, (bool, np.bool_)) or not isinstance(code, numbers.Integral):
        raise TypeError(f"code must be an integer, got {code!r}")
    code = int(code)
    if not 0 <= code < (1 << fmt.bits):
        raise ValueError(
            f"code {code} out of range for {fmt.name}: allowed 0 ... {(1 << fmt.bits) - 1} "
            f"(0x0 ... {(1 << fmt.bits) - 1:#x})"
        )
    m_bits = fmt.man_bits
    negative = fmt.signed and bool((code >> (fmt.bits - 1)) & 1)
    magnitude = code & ((1 << (fmt.exp_bits + m_bits)) - 1)
    field = magnitude >> m_bits
    mant = magnitude & ((1 << m_bits) - 1)
    all_ones = _exp_all_ones(fmt)
    s = fmt.specials

    if s is Specials.SCALE:
        if field == all_ones:
            return OracleValue(False, "nan", Fraction(0))
        return OracleValue(False, "finite", _pow2(field - fmt.bias))
    if s is Specials.IEEE and field == all_ones:
        return OracleValue(negative, "inf" if mant == 0 else "nan", Fraction(0))
    if s is Specials.FN and field == all_ones and mant == (1 << m_bits) - 1:
        return OracleValue(negative, "nan", Fraction(0))
    if s is Specials.FNUZ and negative and magnitude == 0:
        return OracleValue(True, "nan", Fraction(0))
    if field == 0:
        value = mant * _pow2(1 - fmt.bias - m_bits)
    else:
        value = ((1 << m_bits) + mant) * _pow2(field - fmt.bias - m_bits)
    return OracleValue(negative, "finite", value)


# -------------------------------------------------------------------------- encode
def _as_oracle_value(value) -> OracleValue:
    """OracleValue as is; int/Fraction exactly (finite); floats via exact_value_of_float."""
    if isinstance(value, OracleValue):
        if value.kind not in _KINDS:
            raise ValueError(f"OracleValue.kind must be one of {_KINDS}, got {value.kind!r}")
        mag = Fraction(value.magnitude)
        if mag < 0:
            raise ValueError(f"OracleValue.magnitude must be >= 0, got {mag}")
        if value.kind != "finite" and mag != 0:
            raise ValueError(f"OracleValue.magnitude must be 0 for kind {value.kind!r}")
        return OracleValue(bool(value.negative), value.kind, mag)
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"cannot encode a bool: {value!r}")
    if isinstance(value, (float, np.generic)) and not isinstance(value, numbers.Integral):
        return exact_value_of_float(value)
    if isinstance(value, numbers.Rational):
        v = Fraction(int(value)) if isinstance(value, numbers.Integral) else Fraction(value)
        return OracleValue(v < 0, "finite", abs(v))
    raise TypeError(
        f"cannot encode {value!r} ({type(value).__name__}); pass an OracleValue, int, "
        "Fraction, Python float or numpy/ml_dtypes float scalar"
    )


def _check_options(fmt, mode, sr_bits, rand, nan, e8m0_rule):
    """Validate the keyword options (``nan`` and ``e8m0_rule`` already named by
    :func:`refmodel.rounding.policy_name`); return (R, r) for sr, else (None, None)."""
    if e8m0_rule != "even-significand":
        if mode is not RoundingMode.RNE:
            raise ValueError(
                f"e8m0_rule={e8m0_rule!r} only applies to rounding 'rne', not {mode.label!r}"
            )
        if fmt.man_bits != 0:
            raise ValueError(
                f"e8m0_rule={e8m0_rule!r} only applies to formats with man_bits == 0, "
                f"not {fmt.name} (man_bits {fmt.man_bits})"
            )
    if mode is not RoundingMode.SR:
        if rand is not None:
            raise ValueError(f"rand is only used by rounding 'sr', not {mode.label!r}")
        return None, None
    if sr_bits is None or rand is None:
        raise ValueError("rounding 'sr' needs both sr_bits (1...32) and rand (0 <= rand < 2**sr_bits)")
    if isinstance(sr_bits, (bool, np.bool_)) or isinstance(rand, (bool, np.bool_)):
        raise TypeError("sr_bits and rand must be integers, not bool")
    sr_bits = operator.index(sr_bits)
    rand = operator.index(rand)
    if not 1 <= sr_bits <= 32:
        raise ValueError(f"sr_bits must be in 1...32, got {sr_bits}")
    if not 0 <= rand < (1 << sr_bits):
        raise ValueError(f"rand must be in [0, 2**{sr_bits}) = [0, {1 << sr_bits}), got {rand}")
    return sr_bits, rand


def _round_quanta(q: Fraction, negative: bool, mode: RoundingMode, lo_code_odd, sr_bits, rand,
                  e8m0_rule: str) -> int:
    """Round ``q = |v| / quantum`` (>= 0) to an integer number of quanta.

    ``lo_code_odd()`` says whether the magnitude code of ``floor(q)`` quanta is
    odd (used only by ``e8m0_rule="even"``).
    """
    i = _floor(q)
    frac = q - i  # the discarded fraction, in [0, 1)
    if frac == 0:
        return i  # exact: every mode (and every sr draw) keeps it
    half = Fraction(1, 2)
    if mode is RoundingMode.RTZ:
        away = False
    elif mode is RoundingMode.RDN:  # toward -inf: away from zero for negatives
        away = negative
    elif mode is RoundingMode.RUP:  # toward +inf: away from zero for positives
        away = not negative
    elif mode is RoundingMode.RMM:
        away = frac >= half
    elif mode is RoundingMode.RTO:
        # Truncate, then make the significand odd. In quanta the truncated
        # significand is i, so the result is i | 1 (never carries out of the
        # binade, as the binade's last significand is odd).
        return i | 1
    elif mode is RoundingMode.SR:
        t = _floor(frac * (1 << sr_bits))  # discarded fraction truncated to R bits
        away = t + rand >= (1 << sr_bits)
    else:
        assert mode is RoundingMode.RNE
        if e8m0_rule == "up":  # every inexact value rounds up in magnitude
            away = True
        elif frac != half:
            away = frac > half
        elif e8m0_rule == "even":  # tie: the neighbour with the even code
            away = lo_code_odd()
        else:  # even-significand: the even significand (man_bits == 0: a normal one is 1, ties go up)
            away = bool(i & 1)
    return i + 1 if away else i


def _overflow_code(fmt: Format, negative: bool, mode: RoundingMode, saturate: bool, nan: str) -> int:
    """The code for a rounded magnitude above max finite.

    ±max finite when saturating, for formats with no Inf/NaN (``none``), for
    rtz and rto, for rdn of a positive and rup of a negative value; otherwise
    (rne, rmm, sr, rdn negative, rup positive) ±Inf where the format has Inf
    (``ieee``), else NaN.
    """
    to_max = (
        saturate
        or fmt.specials is Specials.NONE
        or mode in (RoundingMode.RTZ, RoundingMode.RTO)
        or (mode is RoundingMode.RDN and not negative)
        or (mode is RoundingMode.RUP and negative)
    )
    if to_max:
        return _sign_bit(fmt, negative) | _max_magnitude_code(fmt)
    if fmt.specials is Specials.IEEE:
        return _sign_bit(fmt, negative) | (_exp_all_ones(fmt) << fmt.man_bits)
    return _nan_result(fmt, negative, nan)


def encode_exact(value, fmt: Format, rounding="rne", *, saturate=False, sr_bits=None, rand=None,
                 nan="keep-sign", e8m0_rule="even-significand", return_flags=False):
    """Encode an exact value into ``fmt`` with one rounding (spec-notes section 2).

    Args:
        value: an OracleValue; an int or Fraction (finite, sign from the value;
            use an OracleValue for -0); or a Python / numpy / ml_dtypes float
            scalar (read exactly by :func:`exact_value_of_float`).
        fmt: the target Format (or a name accepted by ``get_format``).
        rounding: ``"rne"`` (nearest, ties to even), ``"rtz"``, ``"rdn"``
            (toward -inf), ``"rup"`` (toward +inf), ``"rmm"`` (nearest, ties
            away), ``"sr"`` (stochastic) or ``"rto"`` (round to odd); also the
            RoundingMode or its integer code.
        saturate: overflow and ±Inf give ±max finite (OCP "SAT"); NaN stays NaN.
        sr_bits: R, the number of random bits for ``"sr"`` (1...32).
        rand: the random integer r in ``[0, 2**R)`` for ``"sr"``.
        nan: ``"keep-sign"`` (NaN results keep the sign where the format can)
            or ``"canonical"`` (always ``fmt.nan_code(False)``); ``"ml_dtypes"``
            is an alias of ``"keep-sign"`` (:data:`refmodel.rounding.POLICY_ALIASES`).
        e8m0_rule: tie rule for formats with man_bits == 0 under ``"rne"``:
            ``"even-significand"`` (the even significand: ties between powers of
            two go up in magnitude, 1.5 -> 2, 0.75 -> 1; the tie between zero and
            the smallest power goes to zero; alias ``"ml_dtypes"``),
            ``"even"`` (the even code: 0.75 -> 0.5 in e8m0) or ``"up"`` (every
            inexact value rounds up in magnitude, CUDA RCEIL).
        return_flags: also return the IEEE flags (:class:`Flag` bits) of the
            conversion, as defined in docs/formats.md "Flags of encode": NV
            alone for a signalling NaN (:func:`is_signalling_nan` of the
            value), an Inf into a format without Inf, a negative nonzero value
            or -Inf into an unsigned format, zero into a scale format; NX alone
            for an Inf saturated to max finite in a format with Inf; else NX when the delivered
            value differs from the value, OF when the rounding with an
            unbounded exponent range exceeds max finite, UF when inexact and
            tiny: the rounding with an unbounded exponent range is below
            ``2**emin`` (sr: the delivered value is; scale formats: the
            value is).

    Semantics:
        - Finite nonzero v: quantum = 2**(max(floor(log2|v|), emin) - M),
          q = |v| / quantum, rounded to an integer n by the mode. rtz: floor;
          rdn/rup: floor or ceil of the magnitude by sign; rne/rmm: nearest,
          ties to even n / away; rto: floor(q) | 1 when inexact (the
          significand made odd -- for M >= 1 this is the code's LSB; for
          M == 0 it means truncation in the normal range); sr with i =
          floor(q), t = floor((q - i) * 2**R): n = i + 1 iff t + r >= 2**R.
        - Overflow (n * quantum > max finite): see the rules in
          ``_overflow_code``; sr overflows as rne.
        - n == 0: zero with v's sign (fnuz: +0).
        - ±0 keeps its sign (fnuz: 0x00). ±Inf: ±max when saturating (every
          convention, as spec-notes section 2 says "any overflow and ±Inf");
          otherwise ieee ±Inf, fn/fnuz NaN, none ±max. NaN: the NaN code (see
          ``nan``), also when saturating; a format with no NaN raises ValueError.
        - Scale formats (E8M0): zero and negative values (also -0, -Inf) give
          NaN; positive values below 2**emin give code 0 in every mode; +Inf
          gives NaN (max when saturating); overflow follows the rules above
          for a positive value with NaN in place of Inf (rne -> 0xFF,
          saturate/rtz/rdn/rto -> 0xFE).
        - Other unsigned formats (UE5M3): every negative value (also -Inf, and
          values that would round to zero) gives NaN, in every mode and also
          when saturating; -0 gives +0.

    Returns:
        The code, an int in ``[0, 2**fmt.bits)``; with ``return_flags``,
        ``(code, flags)``.

    Raises:
        ValueError: unknown rounding / nan / e8m0_rule; sr without sr_bits or
            rand, sr_bits outside 1...32, rand outside [0, 2**sr_bits); rand
            given for a mode other than sr; e8m0_rule other than "even-significand"
            with a mode other than rne or a format with man_bits != 0; NaN into
            a format with no NaN.
        TypeError: a value of an unsupported type.
    """
    fmt = get_format(fmt)
    mode = parse_rounding(rounding)
    nan, e8m0_rule = policy_name("nan", nan), policy_name("e8m0_rule", e8m0_rule)
    sr_bits, rand = _check_options(fmt, mode, sr_bits, rand, nan, e8m0_rule)
    v = _as_oracle_value(value)
    code, flags = _encode_value(v, fmt, mode, saturate, sr_bits, rand, nan, e8m0_rule)
    if not return_flags:
        return code
    if v.kind == "nan" and not isinstance(value, OracleValue) and is_signalling_nan(value):
        flags = int(Flag.NV)
    return code, flags


def _encode_value(v: OracleValue, fmt: Format, mode, saturate, sr_bits, rand, nan, e8m0_rule):
    """``(code, flags)`` of :func:`encode_exact` for an OracleValue (NaN taken as quiet)."""
    negative, mag = v.negative, v.magnitude
    is_scale = fmt.specials is Specials.SCALE
    nv, nx = int(Flag.NV), int(Flag.NX)

    # Specials on input.
    if v.kind == "nan":
        return _nan_result(fmt, negative, nan), 0
    if is_scale and (negative or (v.kind == "finite" and mag == 0)):
        return _nan_result(fmt, negative, nan), nv  # no zero, no sign
    if not fmt.signed and negative and not (v.kind == "finite" and mag == 0):
        return _nan_result(fmt, negative, nan), nv  # unsigned: no negative value, -0 is +0
    if v.kind == "inf":  # saturating (or no Inf/NaN at all): ±max; else ±Inf, or NaN
        flags = nx if saturate else 0
        if fmt.specials is not Specials.IEEE:
            flags = nv  # no Inf to deliver
        if saturate or fmt.specials is Specials.NONE:
            return _sign_bit(fmt, negative) | _max_magnitude_code(fmt), flags
        if fmt.specials is Specials.IEEE:
            return _sign_bit(fmt, negative) | (_exp_all_ones(fmt) << fmt.man_bits), flags
        return _nan_result(fmt, negative, nan), flags
    if mag == 0:
        return _signed_zero(fmt, negative), 0

    emin = _emin(fmt)
    if is_scale and mag < _pow2(emin):
        return 0, int(Flag.UF | Flag.NX)  # below the smallest scale, 2**-bias, in every mode

    # One rounding with gradual underflow.
    qexp = max(_floor_log2(mag), emin) - fmt.man_bits
    quantum = _pow2(qexp)
    n = _round_quanta(
        mag / quantum, negative, mode,
        lambda: bool(_magnitude_code(_floor(mag / quantum) * quantum, fmt) & 1),
        sr_bits, rand, e8m0_rule,
    )
    rounded = n * quantum
    flags = nx if rounded != mag else 0
    if rounded > _max_finite(fmt):
        return _overflow_code(fmt, negative, mode, saturate, nan), int(Flag.OF | Flag.NX)
    if flags and _tiny(mag, rounded, fmt, negative, mode, sr_bits, rand, e8m0_rule):
        flags |= int(Flag.UF)
    if n == 0:
        return _signed_zero(fmt, negative), flags
    code = _magnitude_code(rounded, fmt)
    assert code <= _max_magnitude_code(fmt)
    return _sign_bit(fmt, negative) | code, flags


def _tiny(mag: Fraction, rounded: Fraction, fmt: Format, negative, mode, sr_bits, rand, e8m0_rule) -> bool:
    """Tininess after rounding of a nonzero magnitude (IEEE 754-2019 section 7.5).

    sr: the delivered magnitude ``rounded`` is below ``2**emin``.  Other modes:
    ``mag`` rounded to M + 1 significant bits with an unbounded exponent range
    (quantum ``2**(floor(log2 mag) - M)``) is below ``2**emin``.
    """
    if mode is RoundingMode.SR:
        return rounded < _pow2(_emin(fmt))
    e = _floor_log2(mag)
    quantum = _pow2(e - fmt.man_bits)
    # e8m0_rule="even" (man_bits == 0): floor(q) quanta is 2**e, whose exponent field, extended
    # below the format's range, is e + bias.
    n = _round_quanta(mag / quantum, negative, mode, lambda: bool((e + fmt.bias) & 1), sr_bits, rand, e8m0_rule)
    return n * quantum < _pow2(_emin(fmt))


def is_signalling_nan(x) -> bool:
    """Whether a float scalar is a signalling NaN, from its own bits.

    IEEE-style binary formats with at least two mantissa bits have them:
    exponent field all ones, mantissa nonzero with its most significant bit
    (the quiet bit) clear.  Read from a Python float's float64 bits
    (``struct``), a numpy float16/float32/float64 scalar's or an ml_dtypes
    scalar's (bfloat16, float8_e5m2, ...) own bits; fn/fnuz/none/scale types
    have none.  False for anything else.
    """
    if isinstance(x, np.generic) and x.dtype.kind in "fV":
        size = x.dtype.itemsize
        if x.dtype == np.float64:
            exp_bits, man_bits = 11, 52
        else:
            try:
                src = get_format(x.dtype)
            except ValueError:
                return False
            if src.specials is not Specials.IEEE or src.bits != 8 * size:
                return False
            exp_bits, man_bits = src.exp_bits, src.man_bits
        bits = int(np.asarray(x).reshape(1).view(f"u{size}")[0])
    elif isinstance(x, float):
        exp_bits, man_bits = 11, 52
        bits = struct.unpack("<Q", struct.pack("<d", x))[0]
    else:
        return False
    field = (bits >> man_bits) & ((1 << exp_bits) - 1)
    mant = bits & ((1 << man_bits) - 1)
    return man_bits >= 2 and field == (1 << exp_bits) - 1 and mant != 0 and not mant >> (man_bits - 1)
