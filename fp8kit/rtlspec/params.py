"""The RTL parameter sets of each module, produced from :class:`refmodel.formats.Format` objects."""

from __future__ import annotations

from typing import Any, NamedTuple

from refmodel.encodings import Specials
from refmodel.formats import Format, get_format

__all__ = ["FmaWidths", "check_fma_window", "fma_rtl_params", "fma_widths", "mul_rtl_params", "mx_dot_rtl_params",
           "operand_rtl_params", "pack_lanes", "rtl_param_overrides"]


def rtl_param_overrides(fmt: str, prefix: str = "") -> str:
    """The Verilog ``#(...)`` overrides of a format, one ``.NAME(value)`` per line.

    An OCP MX type name (``mxfp8_e4m3``, ``mxint8``, ...) gives the ``mx_dot`` element
    parameters (see :func:`mx_dot_rtl_params`); ``prefix`` is then ignored.

    Raises:
        ValueError: unknown format name.
    """
    from refmodel.mx import MX_TYPES

    if str(fmt).strip().lower() in MX_TYPES:
        params = mx_dot_rtl_params(fmt)
    else:
        params = get_format(fmt).rtl_params(prefix)
    return ",\n".join(f".{k}({v})" for k, v in params.items())


def operand_rtl_params(fmt: Any, prefix: str) -> dict[str, int]:
    """``Format.rtl_params(prefix)`` of an operand of ``fp8_mul``/``fp8_fma``/``fp8_mac``, checked.

    Raises:
        ValueError: a format those modules cannot take: a scale (E8M0), an unsigned
            format (UE5M3: the RTL operands have a sign bit), no mantissa bit, or
            more than 16 bits.
    """
    f = get_format(fmt)
    if f.specials is Specials.SCALE or not f.signed or f.man_bits < 1 or f.bits > 16:
        raise ValueError(
            f"{f.name} cannot be an RTL operand: fp8_mul, fp8_fma and fp8_mac take signed ExMy formats "
            "with M >= 1 of at most 16 bits (ieee, fn, fnuz or none specials)"
        )
    return f.rtl_params(prefix)


def mul_rtl_params(fmt_a: Any, fmt_b: Any) -> dict[str, int]:
    """The parameter set of ``fp8_mul`` for two operand formats (see :func:`operand_rtl_params`)."""
    return {**operand_rtl_params(fmt_a, "A_"), **operand_rtl_params(fmt_b, "B_")}


class FmaWidths(NamedTuple):
    """Widths of ``rtl/fp8_fma.v``, derived as its localparams are.

    ``pw`` product significand bits, ``s`` product LSB position in the window,
    ``dmax`` largest accumulator LSB position, ``fw`` window bits, ``rw``
    remainder bits below the kept M+1, ``ew`` exponent arithmetic bits, ``cw``
    accumulator code bits, ``m`` accumulator mantissa bits, ``r`` sr bits of the
    instance (1 when rounding rne).
    """

    pw: int
    s: int
    dmax: int
    fw: int
    rw: int
    ew: int
    cw: int
    m: int
    r: int


def fma_widths(fa: Format, fb: Format, acc: Format, sr_bits: int) -> FmaWidths:
    """The fp8_fma window widths for operands ``fa``, ``fb``, accumulator ``acc`` and R = max(sr_bits, 1)."""
    r = max(int(sr_bits), 1)
    m = acc.man_bits
    pw = fa.man_bits + fb.man_bits + 2
    s = m + r + 4
    dmax = s + pw + r + 3
    fw = dmax + m + 3
    ew = max(acc.exp_bits, fa.exp_bits, fb.exp_bits) + 10
    return FmaWidths(pw, s, dmax, fw, fw - 1 - m, ew, acc.bits, m, r)


def check_fma_window(fa: Format, fb: Format, acc: Format, sr_bits: int) -> None:
    """``rtl/fp8_fma.v``'s bias check: the window's top reaches the accumulator's subnormal boundary
    however low the product sits (``LP_MIN - S - 2 + FW >= EMIN``).

    Raises:
        ValueError: operand biases too large for this accumulator, naming the formats.
    """
    w = fma_widths(fa, fb, acc, sr_bits)
    lp_min = (1 - fa.bias) + (1 - fb.bias) - fa.man_bits - fb.man_bits
    if lp_min - w.s - 2 + w.fw < 1 - acc.bias:
        raise ValueError(f"operands {fa.name} (bias {fa.bias}) x {fb.name} (bias {fb.bias}) reach products "
                         f"below the {acc.name} accumulator window of fp8_fma (its bias check): the smallest "
                         f"product 2^{lp_min} sits more than {w.fw - w.s - 2} bits under the accumulator's "
                         f"2^{1 - acc.bias}; use a wider accumulator (more exponent bits)")


def fma_rtl_params(fmt_a: Any, fmt_b: Any, acc_fmt: Any, sr_bits: int = 16) -> dict[str, int]:
    """The parameter set of ``fp8_fma`` / ``fp8_mac`` for two operand formats and an accumulator.

    ``A_*`` and ``B_*`` come from :func:`mul_rtl_params`; the accumulator
    contributes ``ACC_EXP_W``/``ACC_MAN_W`` (its bias is the IEEE default).

    Raises:
        ValueError: an operand the RTL cannot take (:func:`operand_rtl_params`), an
            accumulator without IEEE specials, or with a non-default bias, or operands whose
            products reach below the accumulator's window (:func:`check_fma_window`).
    """
    fc = get_format(acc_fmt)
    if fc.specials is not Specials.IEEE or fc.bias != (1 << (fc.exp_bits - 1)) - 1:
        raise ValueError(f"{fc.name} cannot be an RTL accumulator: it needs IEEE specials and the IEEE bias")
    params = {**mul_rtl_params(fmt_a, fmt_b), "ACC_EXP_W": fc.exp_bits, "ACC_MAN_W": fc.man_bits,
              "SR_BITS": int(sr_bits)}
    check_fma_window(get_format(fmt_a), get_format(fmt_b), fc, int(sr_bits))
    return params


def mx_dot_rtl_params(mx_type: Any, k: int = 32, pipe: int = 0) -> dict[str, int]:
    """The parameter set of ``mx_dot`` for an OCP MX type: ``K``, ``PIPE`` and the element format.

    FP element types contribute ``ELEM_*`` from :meth:`Format.rtl_params` and ``ELEM_INT8 = 0``;
    MXINT8 sets ``ELEM_INT8 = 1`` and leaves the FP element parameters at their defaults.

    Raises:
        ValueError: unknown MX type, a type whose scale is not E8M0 (nvfp4), ``k < 1`` or ``pipe``
            outside 0...2.
    """
    from refmodel.mx import get_mx_type

    t = get_mx_type(mx_type)
    if t.scale.name != "float8_e8m0fnu":
        raise ValueError(f"mx_dot takes E8M0-scaled OCP MX types; {t.name} has a {t.scale.name} scale")
    if int(k) < 1:
        raise ValueError(f"mx_dot block size K must be >= 1, got {k}")
    if int(pipe) not in (0, 1, 2):
        raise ValueError(f"mx_dot PIPE must be 0, 1 or 2, got {pipe}")
    elem = {"ELEM_INT8": 1} if t.element is None else {**t.element.rtl_params("ELEM_"), "ELEM_INT8": 0}
    return {"K": int(k), **elem, "PIPE": int(pipe)}


def pack_lanes(codes: Any, width: int) -> int:
    """One bus word of ``mx_dot``'s ``a_i``/``b_i`` layout: code k in bits ``[k*width +: width]``."""
    return sum(int(c) << (width * k) for k, c in enumerate(codes))
