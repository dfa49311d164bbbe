"""Exact scalar references ("oracle") for FP8 products, FMA, dot products and the MAC.

This module is the slow, obviously-correct definition of spec-notes section 4,
written from the spec text alone. It works one operation at a time with Python
integers and :class:`fractions.Fraction` only (no float arithmetic on values),
and it is independent of the fast vectorised arithmetic, which must never
import it. Operand codes are read with :func:`refmodel.oracle.codec.decode_exact`;
the rounding into the accumulator format, the result code and every flag are
computed here.

Model (for ``fma_exact``; ``dot_exact`` generalises it to many products):

1. Decode the accumulator and both operands exactly.
2. Specials. Any NaN (an operand, the accumulator, or an invalid operation)
   gives the canonical quiet NaN ``acc_fmt.nan_code(False)`` (positive,
   exponent all ones, mantissa MSB set: float32 0x7FC00000, float16 0x7E00,
   bfloat16 0x7FC0). NV is raised only for Inf x 0, for infinite addends of
   opposite signs (Inf - Inf), and for a signalling NaN in any operand: the
   accumulator, a or b (ieee formats only: exponent all ones, mantissa != 0
   with its MSB 0, e.g. e5m2 0x7D, float16 0x7D00). A quiet NaN (and every
   fn/fnuz NaN, which are quiet) alone raises nothing. Otherwise an infinite addend gives that infinity, with no flag, and
   ``saturate`` does not apply.
3. Finite addends: the product and the sum are exact Fractions. An exact zero
   sum gets its sign from the zero-sign rules (see :func:`dot_exact`); a
   nonzero sum is rounded ONCE by :func:`round_exact`.

Flags are the int bit set of :class:`refmodel.encodings.Flag`:
NV = 16, DZ = 8 (never raised), OF = 4, UF = 2, NX = 1.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from fractions import Fraction
from typing import NamedTuple

from ..encodings import Flag, RoundingMode, Specials, parse_rounding
from ..formats import Format, get_format
from .codec import OracleValue, _floor_log2, _pow2, decode_exact  # the codec oracle's exact helpers

__all__ = ["Product", "dot_exact", "fma_exact", "mac_exact", "mul_exact", "round_exact"]

NV = int(Flag.NV)
DZ = int(Flag.DZ)
OF = int(Flag.OF)
UF = int(Flag.UF)
NX = int(Flag.NX)


class Product(NamedTuple):
    """The exact product of two codes (a plain 4-tuple).

    Attributes:
        negative: sign_a XOR sign_b (also for zero and Inf); False for NaN.
        kind: ``"finite"``, ``"inf"`` or ``"nan"``.
        magnitude: the exact ``|a * b|`` for finite products, else ``Fraction(0)``.
        cls: ``"zero"``, ``"subnormal"``, ``"normal"``, ``"inf"`` or ``"nan"``
            (the operand-based rule of :func:`mul_exact`).
    """

    negative: bool
    kind: str
    magnitude: Fraction
    cls: str


# ------------------------------------------------------------------ small helpers
def _operand_format(fmt, what: str) -> Format:
    """Resolve an operand format: any Format of <= 16 bits except scale (E8M0)."""
    fmt = get_format(fmt)
    if fmt.specials is Specials.SCALE:
        raise ValueError(f"{what} format {fmt.name} is a scale format (E8M0), never an operand")
    if fmt.bits > 16:
        raise ValueError(f"{what} format {fmt.name} has {fmt.bits} bits; operands have at most 16")
    return fmt


def _acc_format(fmt) -> Format:
    """Resolve the accumulator format, which must have IEEE specials (Inf and NaN)."""
    fmt = get_format(fmt)
    if fmt.specials is not Specials.IEEE:
        raise ValueError(
            f"accumulator format {fmt.name} has specials {fmt.specials.name.lower()!r}; "
            "the accumulator must be an 'ieee' format (float32, float16, bfloat16, custom ieee)"
        )
    return fmt


def _sr_args(mode: RoundingMode, sr_bits, rand) -> tuple[int | None, int | None]:
    """Validate the stochastic-rounding arguments; ``(R, r)`` for sr, else ``(None, None)``.

    Non-sr modes must not be given ``rand`` (``sr_bits`` is ignored for them).
    """
    if mode is not RoundingMode.SR:
        if rand is not None:
            raise ValueError(f"rand is only used by rounding 'sr', not {mode.label!r}")
        return None, None
    if sr_bits is None or rand is None:
        raise ValueError("rounding 'sr' needs both sr_bits (1...32) and rand (0 <= rand < 2**sr_bits)")
    if isinstance(sr_bits, bool) or isinstance(rand, bool):
        raise TypeError("sr_bits and rand must be integers, not bool")
    sr_bits, rand = operator.index(sr_bits), operator.index(rand)
    if not 1 <= sr_bits <= 32:
        raise ValueError(f"sr_bits must be in 1...32, got {sr_bits}")
    if not 0 <= rand < (1 << sr_bits):
        raise ValueError(f"rand must be in [0, 2**{sr_bits}), got {rand}")
    return sr_bits, rand


def _operand_class(v: OracleValue, fmt: Format) -> str:
    """``"nan"``, ``"inf"``, ``"zero"``, ``"subnormal"`` (below ``2**emin``) or ``"normal"``."""
    if v.kind != "finite":
        return v.kind
    if v.magnitude == 0:
        return "zero"
    return "subnormal" if v.magnitude < _pow2(1 - fmt.bias) else "normal"


# ---------------------------------------------------- accumulator-format codes (ieee)
def _emin(fmt: Format) -> int:
    return 1 - fmt.bias


def _max_finite(fmt: Format) -> Fraction:
    """``(2**(M+1) - 1) * 2**(emax - M)`` with ``emax = 2**E - 2 - bias``."""
    emax = (1 << fmt.exp_bits) - 2 - fmt.bias
    return ((1 << (fmt.man_bits + 1)) - 1) * _pow2(emax - fmt.man_bits)


def _sign(fmt: Format, negative: bool) -> int:
    return fmt.sign_mask if negative else 0


def _inf_code(fmt: Format, negative: bool) -> int:
    return _sign(fmt, negative) | (((1 << fmt.exp_bits) - 1) << fmt.man_bits)


def _max_code(fmt: Format, negative: bool) -> int:
    return _sign(fmt, negative) | ((((1 << fmt.exp_bits) - 1) << fmt.man_bits) - 1)


def _finite_code(fmt: Format, negative: bool, mag: Fraction) -> int:
    """The code of ``±mag``, a magnitude on the format's grid and <= max finite (0 gives ±0)."""
    if mag == 0:
        return _sign(fmt, negative)
    e, m_bits = _floor_log2(mag), fmt.man_bits
    if e < _emin(fmt):  # subnormal: exponent field 0, mag = m * 2**(emin - M)
        field, mant = 0, mag / _pow2(_emin(fmt) - m_bits)
    else:  # normal: mag = (2**M + m) * 2**(e - M)
        field, mant = e + fmt.bias, mag / _pow2(e - m_bits) - (1 << m_bits)
    assert mant.denominator == 1 and 0 <= mant < (1 << m_bits) and field < (1 << fmt.exp_bits) - 1
    return _sign(fmt, negative) | (field << m_bits) | int(mant)


def _is_signalling_nan(code: int, fmt: Format) -> bool:
    """ieee sNaN: exponent all ones, mantissa != 0 with its MSB clear (fn/fnuz/none have none)."""
    if fmt.specials is not Specials.IEEE:
        return False
    mant = code & ((1 << fmt.man_bits) - 1)
    field = (code >> fmt.man_bits) & ((1 << fmt.exp_bits) - 1)
    return field == (1 << fmt.exp_bits) - 1 and mant != 0 and not (mant >> (fmt.man_bits - 1)) & 1


# ---------------------------------------------------------------------- rounding
def _round_to_integer(q: Fraction, negative: bool, mode: RoundingMode, sr_bits, rand) -> int:
    """Round ``q >= 0`` (a magnitude in quanta) to an integer by the mode (spec-notes section 2).

    ``negative`` is the sign of the value (for rdn/rup). sr: with
    ``t = floor(frac * 2**R)``, round away from zero iff ``t + r >= 2**R``.
    rto: truncate, then make the integer odd if anything was discarded.
    """
    i = q.numerator // q.denominator
    frac = q - i
    if frac == 0:
        return i
    half = Fraction(1, 2)
    if mode is RoundingMode.RNE:
        away = frac > half or (frac == half and i % 2 == 1)
    elif mode is RoundingMode.RTZ:
        away = False
    elif mode is RoundingMode.RDN:
        away = negative
    elif mode is RoundingMode.RUP:
        away = not negative
    elif mode is RoundingMode.RMM:
        away = frac >= half
    elif mode is RoundingMode.RTO:
        return i | 1
    else:
        assert mode is RoundingMode.SR
        scaled = frac * (1 << sr_bits)
        t = scaled.numerator // scaled.denominator  # the discarded fraction truncated to R bits
        away = t + rand >= (1 << sr_bits)
    return i + 1 if away else i


def _round_magnitude(mag: Fraction, negative: bool, fmt: Format, mode: RoundingMode, sr_bits, rand,
                     *, gradual_underflow: bool) -> Fraction:
    """Round ``mag > 0`` to ``M + 1`` significant bits, exponent unbounded above.

    With ``gradual_underflow`` the quantum never falls below the subnormal
    quantum ``2**(emin - M)`` (the delivered result, before the overflow
    check); without it the exponent range is unbounded below too (IEEE's
    tininess-after-rounding test).
    """
    e = _floor_log2(mag)
    if gradual_underflow:
        e = max(e, _emin(fmt))
    quantum = _pow2(e - fmt.man_bits)
    return _round_to_integer(mag / quantum, negative, mode, sr_bits, rand) * quantum


def round_exact(negative: bool, magnitude, fmt, rounding="rne", *, sr_bits=None, rand=None,
                saturate=False) -> tuple[int, int]:
    """Round one exact value ``±magnitude`` into an ieee format, with its flags.

    This is the single rounding step shared by :func:`fma_exact` and
    :func:`dot_exact`; it is public so that the rounding and the flags can be
    pinned with arbitrary exact values.

    Args:
        negative: the sign (also the sign of the result when ``magnitude`` is 0).
        magnitude: the exact ``|value|``, an int or Fraction >= 0.
        fmt: the target format; its specials must be ``ieee``.
        rounding: ``"rne"``, ``"rtz"``, ``"rdn"``, ``"rup"``, ``"rmm"``, ``"sr"``
            or ``"rto"`` (or the RoundingMode / its integer code).
        sr_bits: R for ``"sr"`` (1...32).
        rand: r in ``[0, 2**R)`` for ``"sr"``; must be None for other modes.
        saturate: overflow gives ±max finite instead of the mode's result.

    Semantics:
        - magnitude 0: ±0 with the given sign, no flags.
        - Otherwise round with gradual underflow (quantum
          ``2**(max(floor(log2 v), emin) - M)``) by the mode. If the rounded
          magnitude exceeds max finite: OF | NX and, when ``saturate``, ±max;
          else rne/rmm/sr give ±Inf, rtz/rto give ±max, rdn gives +max / -Inf,
          rup gives +Inf / -max.
        - NX: the delivered value differs from the exact one.
        - UF (only with NX): deterministic modes, tininess after rounding --
          the value rounded in the same mode to ``M + 1`` bits with an
          unbounded exponent range is below ``2**emin``; sr: the delivered
          magnitude (possibly 0) is below ``2**emin``.
        - A nonzero value that rounds to zero keeps its sign.

    Returns:
        ``(code, flags)``.

    Raises:
        ValueError: non-ieee format, unknown mode, bad sr arguments, negative magnitude.
    """
    fmt = _acc_format(fmt)
    mode = parse_rounding(rounding)
    sr_bits, rand = _sr_args(mode, sr_bits, rand)
    magnitude = Fraction(magnitude)
    if magnitude < 0:
        raise ValueError(f"magnitude must be >= 0, got {magnitude}")
    negative = bool(negative)
    if magnitude == 0:
        return _sign(fmt, negative), 0

    delivered = _round_magnitude(magnitude, negative, fmt, mode, sr_bits, rand, gradual_underflow=True)
    if delivered > _max_finite(fmt):
        to_max = (
            saturate
            or mode in (RoundingMode.RTZ, RoundingMode.RTO)
            or (mode is RoundingMode.RDN and not negative)
            or (mode is RoundingMode.RUP and negative)
        )
        return (_max_code(fmt, negative) if to_max else _inf_code(fmt, negative)), OF | NX

    flags = 0
    if delivered != magnitude:
        flags |= NX
        if mode is RoundingMode.SR:
            tiny = delivered < _pow2(_emin(fmt))
        else:
            unbounded = _round_magnitude(magnitude, negative, fmt, mode, sr_bits, rand,
                                         gradual_underflow=False)
            tiny = unbounded < _pow2(_emin(fmt))
        if tiny:
            flags |= UF
    return _finite_code(fmt, negative, delivered), flags


# ---------------------------------------------------------------------- products
def _product(a: int, b: int, fmt_a: Format, fmt_b: Format) -> tuple[Product, bool]:
    """The exact product and whether it is invalid: Inf x 0, or a signalling-NaN operand."""
    va, vb = decode_exact(a, fmt_a), decode_exact(b, fmt_b)
    ca, cb = _operand_class(va, fmt_a), _operand_class(vb, fmt_b)
    classes = {ca, cb}
    negative = va.negative != vb.negative
    invalid = classes == {"inf", "zero"} or _is_signalling_nan(a, fmt_a) or _is_signalling_nan(b, fmt_b)
    if "nan" in classes or invalid:
        return Product(False, "nan", Fraction(0), "nan"), invalid
    if "inf" in classes:
        return Product(negative, "inf", Fraction(0), "inf"), False
    magnitude = va.magnitude * vb.magnitude
    if "zero" in classes:
        cls = "zero"
    elif "subnormal" in classes:
        cls = "subnormal"
    else:
        cls = "normal"
    return Product(negative, "finite", magnitude, cls), False


def mul_exact(a: int, b: int, fmt_a, fmt_b) -> Product:
    """The exact product of two operand codes (never rounded).

    Args:
        a: a code of ``fmt_a``.
        b: a code of ``fmt_b``.
        fmt_a, fmt_b: operand formats: any Format (or name) of <= 16 bits
            except scale formats (E8M0).

    Returns:
        ``Product(negative, kind, magnitude, cls)``, a 4-tuple:
        ``kind`` is ``"nan"`` if either operand is NaN or for Inf x 0,
        ``"inf"`` if either operand is Inf (and the other is not zero/NaN),
        else ``"finite"`` with the exact ``magnitude = |a| * |b|``.
        ``negative`` is sign_a XOR sign_b (for zeros and Inf too), False for NaN.
        ``cls``, decided from the operands in this order: ``"nan"`` (NaN
        operand or Inf x 0), ``"inf"`` (either Inf), ``"zero"`` (either zero),
        ``"subnormal"`` (either operand subnormal), else ``"normal"``.

    Raises:
        ValueError: a scale or > 16-bit operand format, a code out of range.
    """
    fmt_a, fmt_b = _operand_format(fmt_a, "operand a"), _operand_format(fmt_b, "operand b")
    return _product(a, b, fmt_a, fmt_b)[0]


# ------------------------------------------------------------------ fma / dot / mac
def _check_codes(a_codes, b_codes) -> None:
    if len(a_codes) != len(b_codes):
        raise ValueError(f"a_codes and b_codes differ in length: {len(a_codes)} != {len(b_codes)}")


def _scaled(products: Fraction, scale_exp: int, acc_fmt: Format) -> Fraction:
    """``products * 2**scale_exp``, or a stand-in that rounds identically when the power is too big to form.

    With ``|acc| < 2**(emax + 1)``: a scaled sum of magnitude ``>= 2**(emax + 4)`` overflows in
    every mode whatever the accumulator adds, so ``2**(emax + 4)`` with the sum's sign stands in.
    A scaled sum below ``2**(emin - 2M - 64)`` is far below every quantum the accumulator plus it
    can round at (the smallest unbounded quantum is ``2**(emin - 2M)``; sr reads 32 bits below it),
    so ``2**(emin - 2M - 64)`` with its sign stands in.
    """
    if products == 0:
        return products
    if -64 <= scale_exp <= 64:
        return products * _pow2(scale_exp)
    top = _floor_log2(abs(products)) + scale_exp
    emax = (1 << acc_fmt.exp_bits) - 2 - acc_fmt.bias
    low = _emin(acc_fmt) - 2 * acc_fmt.man_bits - 64
    if top >= emax + 4:
        return _pow2(emax + 4) * (1 if products > 0 else -1)
    if top < low - 1:
        return _pow2(low - 1) * (1 if products > 0 else -1)
    return products * _pow2(scale_exp)


def _check_scale_exp(scale_exp) -> int:
    if isinstance(scale_exp, bool) or not isinstance(scale_exp, int):
        raise ValueError(f"scale_exp must be an integer, got {scale_exp!r}")
    return scale_exp


def dot_exact(acc: int, a_codes: Sequence[int], b_codes: Sequence[int], fmt_a, fmt_b, acc_fmt,
              rounding="rne", *, sr_bits=None, rand=None, saturate=False, scale_exp: int = 0) -> tuple[int, int]:
    """``acc + 2**scale_exp * sum_i a_i * b_i`` computed exactly and rounded ONCE into ``acc_fmt``.

    Args:
        acc: the accumulator code (a code of ``acc_fmt``).
        a_codes, b_codes: operand codes of ``fmt_a`` / ``fmt_b``, same length
            (may be empty: the result is then the accumulator itself, NaN
            canonicalised).
        fmt_a, fmt_b: operand formats (<= 16 bits, not scale).
        acc_fmt: the accumulator format, specials ``ieee``.
        rounding, sr_bits, rand, saturate: as :func:`round_exact` (one draw
            ``rand`` for the one rounding).
        scale_exp: any Python integer; the products' sum (not ``acc``) is
            scaled by ``2**scale_exp`` exactly.

    Semantics (the addends are ``acc`` and every product):
        - NV if any product is Inf x 0, if infinite addends of both signs
          occur (judged over all non-NaN addends, even when another addend is
          NaN), or if ``acc`` or any operand code is a signalling NaN.
        - Any NaN addend or NV: the canonical NaN ``acc_fmt.nan_code(False)``.
        - Else infinite addends (all of one sign): that Inf, no flags, also
          when saturating.
        - Else all addends are finite. If every addend is zero: -0 iff every
          addend is -0 (rdn: iff any addend is -0), no flags. If the exact
          sum of nonzero addends is 0: +0 (rdn: -0), no flags. Otherwise
          :func:`round_exact` of the exact sum.

    Returns:
        ``(code, flags)``.

    Raises:
        ValueError: bad formats, codes out of range, unequal lengths, bad
            rounding / sr arguments.
    """
    fmt_a, fmt_b = _operand_format(fmt_a, "operand a"), _operand_format(fmt_b, "operand b")
    acc_fmt = _acc_format(acc_fmt)
    mode = parse_rounding(rounding)
    sr_bits, rand = _sr_args(mode, sr_bits, rand)
    _check_codes(a_codes, b_codes)
    scale_exp = _check_scale_exp(scale_exp)

    v_acc = decode_exact(acc, acc_fmt)
    products = [_product(a, b, fmt_a, fmt_b) for a, b in zip(a_codes, b_codes)]

    invalid = _is_signalling_nan(int(acc), acc_fmt) or any(inv for _, inv in products)
    any_nan = v_acc.kind == "nan" or any(p.kind == "nan" for p, _ in products)
    inf_signs = {p.negative for p, _ in products if p.kind == "inf"}
    if v_acc.kind == "inf":
        inf_signs.add(v_acc.negative)
    if len(inf_signs) == 2:
        invalid = True
    if invalid or any_nan:
        return acc_fmt.nan_code(False), NV if invalid else 0
    if inf_signs:
        (negative,) = inf_signs
        return _inf_code(acc_fmt, negative), 0

    addends = [(v_acc.negative, v_acc.magnitude)] + [(p.negative, p.magnitude) for p, _ in products]
    rdn = mode is RoundingMode.RDN
    if all(mag == 0 for _, mag in addends):
        signs = [neg for neg, _ in addends]
        return _sign(acc_fmt, any(signs) if rdn else all(signs)), 0
    products_sum = sum((-mag if neg else mag for neg, mag in addends[1:]), Fraction(0))
    acc_value = -v_acc.magnitude if v_acc.negative else v_acc.magnitude
    total = acc_value + _scaled(products_sum, scale_exp, acc_fmt)
    if total == 0:
        return _sign(acc_fmt, rdn), 0
    return round_exact(total < 0, abs(total), acc_fmt, mode, sr_bits=sr_bits, rand=rand,
                       saturate=saturate)


def fma_exact(acc: int, a: int, b: int, fmt_a, fmt_b, acc_fmt, rounding="rne", *, sr_bits=None,
              rand=None, saturate=False) -> tuple[int, int]:
    """``acc + a * b`` with ONE rounding into ``acc_fmt`` (spec-notes section 4).

    Exactly :func:`dot_exact` with one product. In particular:
    NaN operand or accumulator -> canonical NaN (no flag by itself); Inf x 0
    -> NaN + NV (also when ``acc`` is NaN); an infinite product and an
    infinite ``acc`` of opposite signs -> NaN + NV; a signalling-NaN ``acc``, ``a`` or
    ``b`` -> NaN + NV; an infinite product (finite or same-signed infinite acc) -> Inf of
    the product's sign; an infinite acc with a finite product -> the acc; no
    flags and no saturation for infinite results. Zero sums: ``(±0) + (±0)``
    of equal signs keeps the sign, otherwise +0 (rdn: -0); an exact
    cancellation of nonzero addends gives +0 (rdn: -0). Everything else is
    :func:`round_exact` of the exact sum (OF, UF, NX as documented there).

    Returns:
        ``(code, flags)``.
    """
    return dot_exact(acc, [a], [b], fmt_a, fmt_b, acc_fmt, rounding, sr_bits=sr_bits, rand=rand,
                     saturate=saturate)


def mac_exact(a_codes: Sequence[int], b_codes: Sequence[int], fmt_a, fmt_b, acc_fmt, acc_init: int = 0,
              rounding="rne", *, sr_bits=None, rands: Sequence[int] | None = None,
              saturate=False) -> tuple[list[int], list[int]]:
    """The MAC register: ``acc_k = fma_exact(acc_{k-1}, a_k, b_k)`` from ``acc_{-1} = acc_init``.

    Args:
        a_codes, b_codes: the accepted operand pairs, in order (same length).
        fmt_a, fmt_b, acc_fmt: as :func:`fma_exact`.
        acc_init: the accumulator code after ``clear`` (default +0).
        rounding, sr_bits, saturate: as :func:`fma_exact`.
        rands: for ``"sr"``, one random integer per step (``rands[k]`` rounds
            step k); must be None for other modes.

    Returns:
        ``(codes, flags)``: the accumulator code after every step and the
        sticky flags after every step (OR of the flags of steps 0...k).

    Raises:
        ValueError: unequal lengths, ``rands`` missing / of the wrong length
            for sr or given for another mode, and everything fma_exact raises.
    """
    _operand_format(fmt_a, "operand a"), _operand_format(fmt_b, "operand b")
    decode_exact(acc_init, _acc_format(acc_fmt))  # validates acc_init even for an empty sequence
    _check_codes(a_codes, b_codes)
    mode = parse_rounding(rounding)
    if mode is RoundingMode.SR:
        if rands is None or len(rands) != len(a_codes):
            raise ValueError("rounding 'sr' needs rands with one random integer per step")
    elif rands is not None:
        raise ValueError(f"rands is only used by rounding 'sr', not {mode.label!r}")
    acc, sticky = acc_init, 0
    codes: list[int] = []
    flags: list[int] = []
    for k, (a, b) in enumerate(zip(a_codes, b_codes)):
        rand = rands[k] if mode is RoundingMode.SR else None
        acc, step_flags = fma_exact(acc, a, b, fmt_a, fmt_b, acc_fmt, mode, sr_bits=sr_bits, rand=rand,
                                    saturate=saturate)
        sticky |= step_flags
        codes.append(acc)
        flags.append(sticky)
    return codes, flags
