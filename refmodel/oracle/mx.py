"""Exact scalar reference ("oracle") for OCP Microscaling (MX) blocks.

This module is the slow, deliberately plain definition of spec-notes section 5
(OCP Microscaling Formats v1.0, sections 5, 6.3 and 6.4, and the team's
decisions where the spec is silent). It works one block at a time with Python
integers and :class:`fractions.Fraction` only: loops, no numpy, no float
arithmetic on values. Element codes are read and written through the codec
oracle (:func:`refmodel.oracle.codec.decode_exact` / :func:`refmodel.oracle.codec.encode_exact`);
the MXINT8 element, which is not a float format, is handled here with integers.
It is written from the spec text alone, independently of the fast vectorised
``refmodel.mx``, which must never import it.

Block model. A block is ``k`` values ``V_i`` (k = 32 in the spec; any k >= 1
here) sharing one E8M0 scale ``X = 2**s``, ``s`` in ``[-127, 127]`` (scale
code ``s + 127``; code 0xFF is the NaN scale). Element ``i`` holds ``P_i``,
and the block represents ``X * P_i``.

Quantisation (:func:`quantize_block`), in this order:

1. A block holding any NaN or +-Inf gets the NaN scale 0xFF (spec-notes
   decision, as torchao). Its element codes are don't-care -- every value of
   the block decodes to NaN whatever they are -- and this reference writes 0.
2. A block of zeros only (+0 and -0) gets scale code 0x00 (``X = 2**-127``).
   Its elements are the element encoding of ``V_i / X``, i.e. zeros that keep
   their sign (+0 -> 0x00, -0 -> the element's sign bit alone); MXINT8 has no
   -0, so both give 0x00.
3. Otherwise ``amax = max_i |V_i|`` (exact) and

   - rule ``"ocp"`` (spec section 6.3, Algorithm 1):
     ``s = floor(log2(amax)) - emax_elem``, with ``floor(log2)`` computed
     exactly from the integer numerator and denominator (never with a float
     ``log2``, which is off by one just below powers of two);
   - rule ``"ceil"``: the smallest integer ``s`` with
     ``amax / 2**s <= max_finite(element)``, i.e. ``ceil(log2(amax / max))``,
     so that no element saturates (what AMD and cuBLAS's "RCEIL" do);

   then ``s`` is clamped to ``[-127, 127]``. Each element is
   ``P_i = V_i / 2**s`` rounded once, to nearest with ties to even, into the
   element format with saturation: finite values beyond +-max normal become
   +-max normal (spec section 6.3). A nonzero value that rounds to zero keeps
   its sign (-0), as the codec does. Float32-subnormal inputs are used as
   they are (never flushed).

MXINT8 element: an 8-bit two's-complement integer ``k`` with the implicit
scale ``2**-6``, value ``k / 64`` in ``[-2, 1 + 63/64]`` (emax_elem 0, max
finite 127/64). ``V_i / 2**s`` is rounded to the nearest multiple of
``2**-6`` with ties to an even ``k``, then clamped to ``[-128, 127]``; the code
is ``k & 0xFF``.

Dot product (:func:`dot_blocks`, :func:`dot_vectors`; spec section 6.4 and the
spec-notes decision): ``X_A * X_B * sum_i P_i^A * P_i^B`` is computed exactly
and rounded ONCE, to nearest even, to float32 (non-saturating: overflow gives
+-Inf). Specials, in this order: a NaN scale on either side, or any NaN
element (E4M3 0x7F/0xFF, E5M2 exponent all ones with mantissa != 0), gives the
canonical quiet NaN 0x7FC00000; so does an invalid product Inf x 0 (E5M2
elements, also under a NaN scale), infinite products of both signs (+Inf +
-Inf; a NaN scale makes its products NaN, not Inf) and a signalling
NaN element (E5M2 only: exponent all ones, mantissa nonzero with its MSB
clear, i.e. 0x7D and 0xFD; IEEE 754-2019 section 7.2; with any scale, the
NaN scale included); otherwise
infinite products of one sign give that Inf (0x7F800000 / 0xFF800000);
otherwise, if every product is zero, the result is -0 when every product is
-0 and +0 otherwise; an exact zero sum of nonzero products is +0; anything
else is the rounded exact sum (a nonzero sum that rounds to zero keeps its
sign). :func:`dot_blocks_flags` and :func:`dot_vectors_flags` also give the IEEE
flags of spec-notes section 4 (NV for Inf x 0, Inf - Inf and a signalling-NaN
element only; OF, UF with
tininess after rounding, NX from the one rounding).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from fractions import Fraction

from ..encodings import Flag, Specials
from ..formats import Format, get_format
from .codec import OracleValue, decode_exact, encode_exact, exact_value_of_float

__all__ = [
    "ELEMENTS",
    "MXINT8_FRACTION_BITS",
    "SCALE_RULES",
    "dequantize_block",
    "dot_blocks",
    "dot_blocks_flags",
    "dot_vectors",
    "dot_vectors_flags",
    "element_bits",
    "element_format",
    "element_max",
    "quantize_block",
    "scale_exponent",
]

# MX type -> (element format name, or None for MXINT8; emax_elem) -- spec-notes section 5.
ELEMENTS: dict[str, tuple[str | None, int]] = {
    "mxfp8_e4m3": ("float8_e4m3fn", 8),
    "mxfp8_e5m2": ("float8_e5m2", 15),
    "mxfp6_e3m2": ("float6_e3m2fn", 4),
    "mxfp6_e2m3": ("float6_e2m3fn", 2),
    "mxfp4_e2m1": ("float4_e2m1fn", 2),
    "mxint8": (None, 0),
}

SCALE_RULES = ("ocp", "ceil")

MXINT8_FRACTION_BITS = 6  # the implicit 2**-6 of the MXINT8 element

SCALE_MIN = -127
SCALE_MAX = 127
SCALE_NAN_CODE = 0xFF
SCALE_BIAS = 127

FLOAT32 = get_format("float32")
FLOAT32_NAN = 0x7FC00000
FLOAT32_POS_INF = 0x7F800000
FLOAT32_NEG_INF = 0xFF800000

_NV = int(Flag.NV)


# ------------------------------------------------------------------ small helpers
def _pow2(k: int) -> Fraction:
    """``2**k`` as an exact Fraction, for any integer k."""
    return Fraction(2) ** k


def _floor_log2(v: Fraction) -> int:
    """``floor(log2(v))`` of a Fraction ``v > 0``, exactly.

    Written out here on purpose (not shared with the codec oracle): the whole
    point of MX Algorithm 1 is this one step. ``p / q`` with ``p`` of ``a`` bits and
    ``q`` of ``b`` bits lies in ``(2**(a - b - 1), 2**(a - b + 1))``.
    """
    if v <= 0:
        raise ValueError(f"floor(log2) needs a positive value, got {v}")
    e = v.numerator.bit_length() - v.denominator.bit_length()
    if v < _pow2(e):
        e -= 1
    return e


def _ceil_log2(v: Fraction) -> int:
    """``ceil(log2(v))`` of a Fraction ``v > 0``, exactly."""
    e = _floor_log2(v)
    return e if v == _pow2(e) else e + 1


def _round_half_even(q: Fraction) -> int:
    """The integer nearest to ``q``; ties to the even integer."""
    i = q.numerator // q.denominator  # floor
    frac = q - i
    half = Fraction(1, 2)
    if frac > half or (frac == half and i % 2 == 1):
        return i + 1
    return i


def _check_mx_type(mx_type: str) -> str:
    if not isinstance(mx_type, str) or mx_type not in ELEMENTS:
        raise ValueError(f"unknown MX type {mx_type!r}; allowed: {', '.join(ELEMENTS)}")
    return mx_type


def element_format(mx_type: str) -> Format | None:
    """The element Format of an MX type (None for MXINT8).

    Raises:
        ValueError: unknown MX type (the allowed ones are listed).
    """
    name, _ = ELEMENTS[_check_mx_type(mx_type)]
    return None if name is None else get_format(name)


def element_bits(mx_type: str) -> int:
    """Width of one element code in bits (8, 6 or 4)."""
    fmt = element_format(mx_type)
    return 8 if fmt is None else fmt.bits


def element_max(mx_type: str) -> Fraction:
    """The largest finite element value, exactly (E4M3 448, E5M2 57344, E3M2 28,
    E2M3 7.5, E2M1 6, MXINT8 127/64)."""
    fmt = element_format(mx_type)
    if fmt is None:
        return Fraction(127, 1 << MXINT8_FRACTION_BITS)
    return decode_exact(fmt.max_code, fmt).magnitude


def _exact(value) -> OracleValue:
    """An input value as an exact OracleValue (floats exactly; int/Fraction finite)."""
    if isinstance(value, OracleValue):
        return value
    if isinstance(value, bool):
        raise TypeError(f"not a number: {value!r}")
    if isinstance(value, numbers.Rational) and not isinstance(value, float):
        v = Fraction(value)
        return OracleValue(v < 0, "finite", abs(v))
    return exact_value_of_float(value)


def _check_scale_code(scale_code) -> int:
    if isinstance(scale_code, bool) or not isinstance(scale_code, numbers.Integral):
        raise TypeError(f"scale code must be an integer, got {scale_code!r}")
    scale_code = int(scale_code)
    if not 0 <= scale_code <= 0xFF:
        raise ValueError(f"scale code {scale_code} out of range 0 ... 255")
    return scale_code


# -------------------------------------------------------------------- quantize
def scale_exponent(amax, mx_type: str, scale_rule: str = "ocp") -> int:
    """The shared exponent ``s`` (clamped to [-127, 127]) for a block maximum.

    Args:
        amax: ``max_i |V_i|``, an exact positive value (int, Fraction or float).
        mx_type: an MX type name (see :data:`ELEMENTS`).
        scale_rule: ``"ocp"``: ``floor(log2 amax) - emax_elem``; ``"ceil"``:
            the smallest ``s`` with ``amax / 2**s <= element_max(mx_type)``.

    Returns:
        ``s``; the scale code is ``s + 127``.

    Raises:
        ValueError: unknown MX type or scale rule, amax not finite and positive.
    """
    _check_mx_type(mx_type)
    if scale_rule not in SCALE_RULES:
        raise ValueError(f"unknown scale rule {scale_rule!r}; allowed: {', '.join(SCALE_RULES)}")
    v = _exact(amax)
    if v.kind != "finite" or v.magnitude == 0 or v.negative:
        raise ValueError(f"amax must be finite and positive, got {amax!r}")
    if scale_rule == "ocp":
        s = _floor_log2(v.magnitude) - ELEMENTS[mx_type][1]
    else:
        s = _ceil_log2(v.magnitude / element_max(mx_type))
    return min(max(s, SCALE_MIN), SCALE_MAX)


def _quantize_element(v: OracleValue, s: int, mx_type: str) -> int:
    """Element code of the finite value ``v / 2**s`` (rne, saturating)."""
    q = v.magnitude / _pow2(s)
    fmt = element_format(mx_type)
    if fmt is None:  # MXINT8
        k = _round_half_even(q * (1 << MXINT8_FRACTION_BITS))
        if v.negative:
            k = -k
        k = min(max(k, -128), 127)
        return k & 0xFF
    return encode_exact(OracleValue(v.negative, "finite", q), fmt, "rne", saturate=True)


def quantize_block(values: Sequence, mx_type: str, scale_rule: str = "ocp") -> tuple[int, list[int]]:
    """Quantise one block to its E8M0 scale code and element codes.

    Args:
        values: the block, ``k >= 1`` values: Python / numpy / ml_dtypes float
            scalars (read exactly), ints, Fractions or OracleValues.
        mx_type: ``"mxfp8_e4m3"``, ``"mxfp8_e5m2"``, ``"mxfp6_e3m2"``,
            ``"mxfp6_e2m3"``, ``"mxfp4_e2m1"`` or ``"mxint8"``.
        scale_rule: ``"ocp"`` (spec Algorithm 1, floor) or ``"ceil"``.

    Returns:
        ``(scale_code, element_codes)``: the scale code in 0 ... 255 and one
        element code per value (FP6 / FP4 codes in the low 6 / 4 bits;
        MXINT8 as the two's-complement byte). See the module docstring for
        the NaN / Inf block (scale 0xFF, elements 0), the all-zero block
        (scale 0x00, signed zeros) and the rounding.

    Raises:
        ValueError: unknown MX type or scale rule, empty block.
        TypeError: a value of an unsupported type.
    """
    _check_mx_type(mx_type)
    if scale_rule not in SCALE_RULES:
        raise ValueError(f"unknown scale rule {scale_rule!r}; allowed: {', '.join(SCALE_RULES)}")
    exact = [_exact(x) for x in values]
    if not exact:
        raise ValueError("a block needs at least one value")

    for v in exact:
        if v.kind != "finite":  # NaN or +-Inf anywhere: NaN scale, don't-care elements
            return SCALE_NAN_CODE, [0] * len(exact)

    amax = Fraction(0)
    for v in exact:
        amax = max(amax, v.magnitude)
    if amax == 0:
        s = SCALE_MIN  # all zeros: X = 2**-127 (code 0x00)
    else:
        s = scale_exponent(amax, mx_type, scale_rule)
    codes = [_quantize_element(v, s, mx_type) for v in exact]
    return s + SCALE_BIAS, codes


# ------------------------------------------------------------------ dequantize
def _element_value(code: int, mx_type: str) -> OracleValue:
    """Exact value ``P_i`` of one element code (no scale)."""
    fmt = element_format(mx_type)
    if fmt is None:
        if isinstance(code, bool) or not isinstance(code, numbers.Integral) or not 0 <= code <= 0xFF:
            raise ValueError(f"MXINT8 element code must be an integer in 0 ... 255, got {code!r}")
        k = int(code) - 256 if code >= 128 else int(code)
        return OracleValue(k < 0, "finite", Fraction(abs(k), 1 << MXINT8_FRACTION_BITS))
    return decode_exact(code, fmt)


def dequantize_block(scale_code: int, codes: Sequence[int], mx_type: str) -> list[OracleValue]:
    """The exact values ``X * P_i`` of a block.

    Args:
        scale_code: the E8M0 scale code (0xFF is NaN).
        codes: element codes of ``mx_type``.
        mx_type: an MX type name.

    Returns:
        One OracleValue per element: NaN (positive) for every element when the
        scale is NaN; otherwise the element's kind and sign (E4M3 / E5M2 NaN
        and E5M2 Inf stay NaN / Inf, with the element's sign) and, for finite
        elements, the exact magnitude ``2**(scale_code - 127) * |P_i|``.

    Raises:
        ValueError: unknown MX type, codes out of range.
    """
    _check_mx_type(mx_type)
    scale_code = _check_scale_code(scale_code)
    elems = [_element_value(c, mx_type) for c in codes]
    if scale_code == SCALE_NAN_CODE:
        return [OracleValue(False, "nan", Fraction(0)) for _ in elems]
    x = _pow2(scale_code - SCALE_BIAS)
    out = []
    for p in elems:
        if p.kind == "finite":
            out.append(OracleValue(p.negative, "finite", p.magnitude * x))
        else:
            out.append(p)
    return out


# ------------------------------------------------------------------------- dot
def _dot_terms(blocks_a, blocks_b, mx_type_a: str, mx_type_b: str):
    """Check the operands; yield (X_A * X_B or None for a NaN scale, P^A, P^B) per element."""
    _check_mx_type(mx_type_a)
    _check_mx_type(mx_type_b)
    if len(blocks_a) != len(blocks_b):
        raise ValueError(f"the vectors have {len(blocks_a)} and {len(blocks_b)} blocks")
    terms = []
    for (sa, ca), (sb, cb) in zip(blocks_a, blocks_b):
        sa, sb = _check_scale_code(sa), _check_scale_code(sb)
        if len(ca) != len(cb):
            raise ValueError(f"blocks of unequal length: {len(ca)} and {len(cb)}")
        if sa == SCALE_NAN_CODE or sb == SCALE_NAN_CODE:
            xx = None
        else:
            xx = _pow2(sa - SCALE_BIAS) * _pow2(sb - SCALE_BIAS)
        for a, b in zip(ca, cb):
            terms.append((xx, _element_value(a, mx_type_a), _element_value(b, mx_type_b)))
    return terms


def _is_signalling(code: int, mx_type: str) -> bool:
    """An ieee element's signalling NaN: exponent all ones, mantissa nonzero with its MSB clear."""
    fmt = element_format(mx_type)
    if fmt is None or fmt.specials is not Specials.IEEE:
        return False  # MXINT8, fn (E4M3) and none (FP6, FP4) elements have no signalling NaN
    mant = code & ((1 << fmt.man_bits) - 1)
    field = (code >> fmt.man_bits) & ((1 << fmt.exp_bits) - 1)
    return field == (1 << fmt.exp_bits) - 1 and mant != 0 and not (mant >> (fmt.man_bits - 1)) & 1


def _any_signalling(blocks: Sequence, mx_type: str) -> bool:
    """Whether any element code of the ``(scale, codes)`` blocks is a signalling NaN."""
    return any(_is_signalling(c, mx_type) for _, codes in blocks for c in codes)


def dot_vectors_flags(blocks_a: Sequence, blocks_b: Sequence, mx_type_a: str,
                      mx_type_b: str) -> tuple[int, int]:
    """The float32 dot product of two MX vectors, with its IEEE flags.

    Args:
        blocks_a, blocks_b: sequences of ``(scale_code, element_codes)``
            blocks, the same number on both sides and pairwise of equal length.
        mx_type_a, mx_type_b: the MX types of the two sides (may differ).

    Returns:
        ``(code, flags)``: the float32 code of
        ``sum_blocks X_A * X_B * sum_i P_i^A * P_i^B`` computed exactly and
        rounded once (rne, overflow to +-Inf), with the specials of the module
        docstring. Flags (spec-notes section 4 bits): NV only for Inf x 0 and
        for a signalling-NaN element on either side (whatever the scales), and
        for infinite products of both signs (a NaN scale's products are NaN); a NaN scale or a quiet NaN element
        alone raises nothing; OF | NX on overflow; NX when inexact; UF when inexact
        and tiny after rounding (the sum rounded to 24 bits with an unbounded
        exponent is below 2**-126).

    Raises:
        ValueError: unknown MX types, unequal lengths, codes out of range.
    """
    terms = _dot_terms(blocks_a, blocks_b, mx_type_a, mx_type_b)
    any_nan = False
    invalid = _any_signalling(blocks_a, mx_type_a) or _any_signalling(blocks_b, mx_type_b)
    inf_signs = set()
    for xx, pa, pb in terms:
        if pa.kind == "nan" or pb.kind == "nan":
            any_nan = True
            continue
        if pa.kind == "inf" or pb.kind == "inf":
            other = pb if pa.kind == "inf" else pa
            if other.kind == "finite" and other.magnitude == 0:
                invalid = True  # Inf x 0, whatever the scales
                continue
        if xx is None:  # a NaN scale: a NaN product (its Inf, if any, is NaN too)
            any_nan = True
        elif pa.kind == "inf" or pb.kind == "inf":
            inf_signs.add(pa.negative != pb.negative)
    if len(inf_signs) == 2:
        invalid = True  # +Inf + -Inf
    if invalid:
        return FLOAT32_NAN, _NV
    if any_nan:
        return FLOAT32_NAN, 0
    if inf_signs:
        return (FLOAT32_NEG_INF if True in inf_signs else FLOAT32_POS_INF), 0

    total = Fraction(0)
    all_negative_zero = True
    for xx, pa, pb in terms:
        negative = pa.negative != pb.negative
        mag = xx * pa.magnitude * pb.magnitude
        if mag != 0 or not negative:
            all_negative_zero = False
        total += -mag if negative else mag
    if total == 0:
        # every product zero: -0 iff every product is -0; a cancelling sum: +0
        return (0x80000000 if terms and all_negative_zero else 0), 0
    negative = total < 0
    mag = abs(total)
    code = encode_exact(OracleValue(negative, "finite", mag), FLOAT32, "rne")
    return code, _float32_flags(mag, code)


def _float32_flags(mag: Fraction, code: int) -> int:
    """OF / UF / NX of rounding the exact nonzero ``mag`` to the float32 ``code`` (rne)."""
    delivered = decode_exact(code, FLOAT32)
    if delivered.kind == "inf":
        return int(Flag.OF | Flag.NX)
    if delivered.magnitude == mag:
        return 0
    flags = int(Flag.NX)
    # tininess after rounding: round to 24 significant bits, exponent unbounded
    e = _floor_log2(mag)
    quantum = _pow2(e - FLOAT32.man_bits)
    unbounded = _round_half_even(mag / quantum) * quantum
    if unbounded < _pow2(FLOAT32.emin):
        flags |= int(Flag.UF)
    return flags


def dot_vectors(blocks_a: Sequence, blocks_b: Sequence, mx_type_a: str, mx_type_b: str) -> int:
    """The float32 code of the dot product of two MX vectors (see :func:`dot_vectors_flags`)."""
    return dot_vectors_flags(blocks_a, blocks_b, mx_type_a, mx_type_b)[0]


def dot_blocks_flags(scale_a: int, codes_a: Sequence[int], scale_b: int, codes_b: Sequence[int],
                     mx_type_a: str, mx_type_b: str) -> tuple[int, int]:
    """``(code, flags)`` of the dot product of two blocks (spec section 6.4).

    See :func:`dot_vectors_flags`; this is the one-block case.
    """
    return dot_vectors_flags([(scale_a, codes_a)], [(scale_b, codes_b)], mx_type_a, mx_type_b)


def dot_blocks(scale_a: int, codes_a: Sequence[int], scale_b: int, codes_b: Sequence[int],
               mx_type_a: str, mx_type_b: str) -> int:
    """The float32 code of ``X_A * X_B * sum_i P_i^A * P_i^B``, rounded once (rne).

    Args:
        scale_a, scale_b: E8M0 scale codes (0xFF is NaN).
        codes_a, codes_b: element codes, equal lengths.
        mx_type_a, mx_type_b: the MX types of the two blocks.

    Returns:
        The float32 code: canonical NaN 0x7FC00000 for a NaN scale, a NaN
        element (quiet or signalling), Inf x 0 or +Inf + -Inf; +-Inf for infinite products of one
        sign; -0 only when every product is -0; else the exact sum rounded
        once to nearest even (overflow to +-Inf).

    Raises:
        ValueError: unknown MX types, unequal lengths, codes out of range.
    """
    return dot_blocks_flags(scale_a, codes_a, scale_b, codes_b, mx_type_a, mx_type_b)[0]
