"""The RTL parameter sets of each module, produced from :class:`refmodel.formats.Format` objects.

One producer per module (:data:`PRODUCERS`): :func:`mul_rtl_params` (``fp8_mul``),
:func:`fma_rtl_params` (``fp8_fma``), :func:`mac_rtl_params` (``fp8_mac``),
:func:`int8_mac_rtl_params`, :func:`lfsr32_rtl_params`, :func:`mx_dot_rtl_params`,
:func:`dpa_rtl_params` (``fp8_dpa``) and :func:`gemm_tile_rtl_params` (``gemm_tile``). Each checks
what it returns with :func:`fp8kit.rtlspec.legality.check_rtl_params`, the module's elaboration
checks, and raises ``ValueError`` naming the bad value and what is allowed.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from refmodel.encodings import Specials
from refmodel.formats import Format, get_format

from .legality import accumulator_problems, check_rtl_params, fma_window, fma_window_problem

__all__ = ["OPS", "PRODUCERS", "FmaWidths", "check_fma_window", "check_rtl_accumulator", "cost_mac_rtl_params",
           "dpa_rtl_params", "fma_rtl_params", "fma_widths", "gemm_tile_rtl_params",
           "int8_mac_rtl_params", "is_rtl_operand", "lfsr32_rtl_params", "mac_rtl_params", "mul_rtl_params",
           "mx_dot_element_rtl_params", "mx_dot_rtl_params", "operand_rtl_params", "pack_lanes",
           "rtl_param_overrides"]


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
    why = ("a scale" if f.specials is Specials.SCALE else "unsigned" if not f.signed
           else "no mantissa bit" if f.man_bits < 1 else f"{f.bits} bits" if f.bits > 16 else "")
    if why:
        raise ValueError(
            f"{f.name} cannot be an RTL operand ({why}): fp8_mul, fp8_fma and fp8_mac take signed ExMy formats "
            "with M >= 1 of at most 16 bits (ieee, fn, fnuz or none specials)"
        )
    return f.rtl_params(prefix)


def is_rtl_operand(fmt: Any) -> bool:
    """Whether ``fmt`` can be an operand of ``fp8_mul``/``fp8_fma``/``fp8_mac`` (:func:`operand_rtl_params`)."""
    try:
        operand_rtl_params(fmt, "A_")
    except ValueError:
        return False
    return True


def _operand_pair(fmt_a: Any, fmt_b: Any) -> dict[str, int]:
    return {**operand_rtl_params(fmt_a, "A_"), **operand_rtl_params(fmt_b, "B_")}


def mul_rtl_params(fmt_a: Any, fmt_b: Any) -> dict[str, int]:
    """The parameter set of ``fp8_mul`` for two operand formats: ``A_*`` and ``B_*``.

    Raises:
        ValueError: an operand the RTL cannot take (:func:`operand_rtl_params`), or a set
            ``fp8_mul.v`` rejects (:func:`fp8kit.rtlspec.legality.check_rtl_params`).
    """
    params = _operand_pair(fmt_a, fmt_b)
    check_rtl_params("fp8_mul", params)
    return params


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


def _fma_ints(fa: Format, fb: Format, acc: Format, sr_bits: int) -> dict[str, int]:
    """The integer parameter set of ``fp8_fma`` for these formats (unchecked)."""
    return {**fa.rtl_params("A_"), **fb.rtl_params("B_"), "ACC_EXP_W": acc.exp_bits, "ACC_MAN_W": acc.man_bits,
            "SR_BITS": int(sr_bits)}


def fma_widths(fa: Format, fb: Format, acc: Format, sr_bits: int) -> FmaWidths:
    """The fp8_fma window widths for operands ``fa``, ``fb``, accumulator ``acc`` and R = max(sr_bits, 1)
    (:func:`fp8kit.rtlspec.legality.fma_window`)."""
    w = fma_window(_fma_ints(fa, fb, acc, max(int(sr_bits), 1)))
    return FmaWidths(w["PW"], w["S"], w["DMAX"], w["FW"], w["RW"], w["EW"], w["CW"], w["M"], w["R"])


def check_fma_window(fa: Format, fb: Format, acc: Format, sr_bits: int) -> None:
    """``rtl/fp8_fma.v``'s bias check (:func:`fp8kit.rtlspec.legality.fma_window_problem`) for
    formats: the window's top reaches the accumulator's subnormal boundary however low the product
    sits. ``sr_bits`` 0 (rne) counts as 1.

    Raises:
        ValueError: operand biases too large for this accumulator, naming the formats.
    """
    problem = fma_window_problem(_fma_ints(fa, fb, acc, max(int(sr_bits), 1)))
    if problem is not None:
        raise ValueError(f"operands {fa.name} (bias {fa.bias}) x {fb.name} (bias {fb.bias}) reach products "
                         f"below the {acc.name} accumulator window of fp8_fma (its bias check): {problem}")


def fma_rtl_params(fmt_a: Any, fmt_b: Any, acc_fmt: Any, sr_bits: int = 16) -> dict[str, int]:
    """The parameter set of ``fp8_fma`` / ``fp8_mac`` for two operand formats and an accumulator.

    ``A_*`` and ``B_*`` come from :func:`operand_rtl_params`; the accumulator
    contributes ``ACC_EXP_W``/``ACC_MAN_W`` (its bias is the IEEE default), and ``SR_BITS`` is
    the instance's random bits.

    Raises:
        ValueError: an operand the RTL cannot take (:func:`operand_rtl_params`), an
            accumulator without IEEE specials, or with a non-default bias, or a set ``fp8_fma.v``
            rejects (:func:`fp8kit.rtlspec.legality.check_rtl_params`): ``ACC_EXP_W`` outside
            2...11, an accumulator over 32 bits, ``SR_BITS`` outside 1...32, or operands whose
            products reach below the accumulator's window (its bias check).
    """
    return _fma_params("fp8_fma", fmt_a, fmt_b, acc_fmt, sr_bits, {})


def mac_rtl_params(fmt_a: Any, fmt_b: Any, acc_fmt: Any, sr_bits: int = 16, seed: int = 1) -> dict[str, int]:
    """The parameter set of ``fp8_mac``: :func:`fma_rtl_params` and the LFSR's ``SEED``.

    Raises:
        ValueError: as :func:`fma_rtl_params`, or ``seed`` zero or not 32 bits (``lfsr32.v``).
    """
    return _fma_params("fp8_mac", fmt_a, fmt_b, acc_fmt, sr_bits, {"SEED": int(seed)})


def check_rtl_accumulator(acc_fmt: Any) -> Format:
    """The accumulator format of ``fp8_fma``/``fp8_mac``, checked.

    Returns:
        The :class:`Format`.

    Raises:
        ValueError: not IEEE specials with the IEEE bias (the RTL derives the bias), or widths
            ``fp8_fma.v`` rejects (:func:`fp8kit.rtlspec.legality.accumulator_problems`: exponent
            2...11 bits, mantissa >= 1 bit, at most 32 bits), naming the format.
    """
    fc = get_format(acc_fmt)
    if fc.specials is not Specials.IEEE or fc.bias != (1 << (fc.exp_bits - 1)) - 1:
        raise ValueError(f"{fc.name} cannot be an RTL accumulator: it needs IEEE specials and the IEEE bias")
    problems = list(accumulator_problems(fc.exp_bits, fc.man_bits))
    if problems:
        raise ValueError(f"{fc.name} cannot be an RTL accumulator: fp8_fma rejects {'; '.join(problems)}")
    return fc


def _fma_params(module: str, fmt_a: Any, fmt_b: Any, acc_fmt: Any, sr_bits: int,
                extra: dict[str, int]) -> dict[str, int]:
    fc = get_format(acc_fmt)
    if fc.specials is not Specials.IEEE or fc.bias != (1 << (fc.exp_bits - 1)) - 1:
        check_rtl_accumulator(fc)  # raises: the message names the format
    params = {**_operand_pair(fmt_a, fmt_b), "ACC_EXP_W": fc.exp_bits, "ACC_MAN_W": fc.man_bits,
              "SR_BITS": int(sr_bits), **extra}
    if 1 <= int(sr_bits) <= 32 and 2 <= fc.exp_bits <= 11:
        check_fma_window(get_format(fmt_a), get_format(fmt_b), fc, int(sr_bits))  # the message names the formats
    try:
        check_rtl_params(module, params)
    except ValueError as exc:
        raise ValueError(f"{get_format(fmt_a).name} x {get_format(fmt_b).name} into {fc.name}, sr bits "
                         f"{int(sr_bits)}: {exc}") from None
    return params


def cost_mac_rtl_params(fmt_a: Any, fmt_b: Any, acc_fmt: Any, sr_bits: int, rm: Any) -> dict[str, int]:
    """The parameter set of ``fp8kit_cost_mac`` (the synthesis wrapper: ``fp8_mac`` with ``rm_i``
    tied to ``RM``): :func:`fma_rtl_params` and ``RM``.

    Args:
        rm: the one rounding mode, a :class:`refmodel.encodings.RoundingMode` or its code.

    Raises:
        ValueError: as :func:`fma_rtl_params`, or ``rm`` not a rounding mode.
    """
    return _fma_params("fp8kit_cost_mac", fmt_a, fmt_b, acc_fmt, sr_bits, {"RM": int(rm)})


def int8_mac_rtl_params() -> dict[str, int]:
    """The parameter set of ``int8_mac``: none (its widths are fixed)."""
    return check_rtl_params("int8_mac", {})


def lfsr32_rtl_params(seed: int = 1) -> dict[str, int]:
    """The parameter set of ``lfsr32``: ``SEED``.

    Raises:
        ValueError: ``seed`` zero (the lock-up state) or not a 32-bit value.
    """
    params = {"SEED": int(seed)}
    check_rtl_params("lfsr32", params)
    return params


def mx_dot_rtl_params(mx_type: Any, k: int = 32, pipe: int = 0) -> dict[str, int]:
    """The parameter set of ``mx_dot`` for an OCP MX type: ``K``, ``PIPE`` and the element format.

    FP element types contribute ``ELEM_*`` from :meth:`Format.rtl_params` and ``ELEM_INT8 = 0``;
    MXINT8 sets ``ELEM_INT8 = 1`` and leaves the FP element parameters at their defaults.

    Raises:
        ValueError: unknown MX type, a type whose scale is not E8M0 (nvfp4), or a set ``mx_dot.v``
            rejects (:func:`fp8kit.rtlspec.legality.check_rtl_params`): ``k < 1``, ``pipe``
            outside 0...2, an element with more than 6 exponent bits.
    """
    from refmodel.mx import get_mx_type

    t = get_mx_type(mx_type)
    if t.scale.name != "float8_e8m0fnu":
        raise ValueError(f"mx_dot takes E8M0-scaled OCP MX types; {t.name} has a {t.scale.name} scale")
    return mx_dot_element_rtl_params(t.element, k, pipe)


def mx_dot_element_rtl_params(element: Format | None, k: int = 32, pipe: int = 0) -> dict[str, int]:
    """The parameter set of ``mx_dot`` for an element format (None: MXINT8's int8 elements).

    Raises:
        ValueError: a set ``mx_dot.v`` rejects (:func:`fp8kit.rtlspec.legality.check_rtl_params`):
            ``k < 1``, ``pipe`` outside 0...2, an element with more than 6 exponent bits, ...
    """
    elem = {"ELEM_INT8": 1} if element is None else {**element.rtl_params("ELEM_"), "ELEM_INT8": 0}
    params = {"K": int(k), **elem, "PIPE": int(pipe)}
    check_rtl_params("mx_dot", params)
    return params


def dpa_rtl_params(datapath: Any, fmt_a: Any, fmt_b: Any = None, acc_fmt: Any = "float32",
                   pipe: int = 0) -> dict[str, int]:
    """The parameter set of ``fp8_dpa`` for one step of a :class:`refmodel.datapath.FusedDot`.

    ``fmt_a``/``fmt_b`` (default ``fmt_a``) are element formats, or OCP MX type names with E8M0
    scales (``SCALED = 1``; both must then be MX types).  ``LANES``, ``FRAC_W``, the step format,
    rounding, zero exponent and NaN style come from ``datapath``, the accumulator from ``acc_fmt``.

    Raises:
        ValueError: a datapath that is not a FusedDot, a grouped one (``group > 1``), a step format
            whose exponent differs from the accumulator's, a rounding other than rne or rtz, an MX
            type without E8M0 scales beside a plain format, or a set ``fp8_dpa.v`` rejects.
    """
    from refmodel.datapath import FusedDot, check_datapath
    from refmodel.encodings import RoundingMode
    from refmodel.mx import MX_TYPES, get_mx_type

    if not isinstance(datapath, FusedDot):
        raise ValueError(f"fp8_dpa implements a FusedDot step, got {datapath!r}")
    if datapath.group != 1:
        raise ValueError(f"fp8_dpa has no grouped terms; the datapath has group={datapath.group}")
    acc = get_format(acc_fmt)
    check_datapath(datapath, acc)
    step = datapath.step_fmt
    if (step.exp_bits, step.bias) != (acc.exp_bits, acc.bias):
        raise ValueError(f"fp8_dpa rounds into the accumulator's exponent range: step format {step.name} "
                         f"(E{step.exp_bits}, bias {step.bias}) against {acc.name} (E{acc.exp_bits}, bias {acc.bias})")
    if datapath.rounding not in (RoundingMode.RNE, RoundingMode.RTZ):
        raise ValueError(f"fp8_dpa rounds rne or rtz, got {datapath.rounding.label}")
    names = [str(f).strip().lower() if isinstance(f, str) else None for f in (fmt_a, fmt_a if fmt_b is None else fmt_b)]
    scaled = [n in MX_TYPES for n in names]
    if any(scaled) and not all(scaled):
        raise ValueError(f"fp8_dpa scales both operands or neither: {fmt_a!r} and {fmt_b!r}")
    elems = []
    for f, mx in zip((fmt_a, fmt_a if fmt_b is None else fmt_b), scaled):
        if mx:
            t = get_mx_type(f)
            if t.element is None or t.scale.name != "float8_e8m0fnu":
                raise ValueError(f"fp8_dpa takes E8M0-scaled floating-point MX types, not {t.name}")
            elems.append(t.element)
        else:
            elems.append(get_format(f))
    ops = {}
    for prefix, f in zip("AB", elems):
        ops.update(operand_rtl_params(f, f"{prefix}_"))
    params = {"LANES": datapath.lanes, **ops, "SCALED": int(all(scaled)), "FRAC_W": datapath.frac_bits,
              "ACC_EXP_W": acc.exp_bits, "ACC_MAN_W": acc.man_bits, "ACC_BIAS": acc.bias, "STEP_MAN_W": step.man_bits,
              "RM": int(datapath.rounding), "HAS_ZERO_EXP": int(datapath.zero_exp is not None),
              "ZERO_EXP": 0 if datapath.zero_exp is None else datapath.zero_exp,
              "NAN_ALL_ONES": int(datapath.nan == "all-ones"), "PIPE": int(pipe)}
    check_rtl_params("fp8_dpa", params)
    return params


def gemm_tile_rtl_params(unit: Any, rows: int = 2, cols: int = 2, pipe: int = 0) -> dict[str, int]:
    """The parameter set of ``gemm_tile``: a ``rows`` x ``cols`` array of one ``fp8_dpa`` unit.

    Args:
        unit: the unit, a :class:`fp8kit.vectors.dpa.DpaConfig` (its ``datapath``, ``fmt_a``,
            ``fmt_b`` and ``acc_fmt``).
        rows, cols: the tile's ``ROWS`` and ``COLS``.
        pipe: every unit's ``PIPE``.

    Returns:
        ``ROWS``, ``COLS`` and the unit's :func:`dpa_rtl_params`.

    Raises:
        ValueError: as :func:`dpa_rtl_params`, or ``rows``/``cols`` outside 1...64 (``gemm_tile.v``).
    """
    params = {"ROWS": int(rows), "COLS": int(cols),
              **dpa_rtl_params(unit.datapath, unit.fmt_a, unit.fmt_b, unit.acc_fmt, pipe)}
    check_rtl_params("gemm_tile", params)
    return params


PRODUCERS = {
    "fp8_mul": mul_rtl_params, "fp8_fma": fma_rtl_params, "fp8_mac": mac_rtl_params,
    "int8_mac": int8_mac_rtl_params, "lfsr32": lfsr32_rtl_params, "mx_dot": mx_dot_rtl_params,
    "fp8_dpa": dpa_rtl_params, "gemm_tile": gemm_tile_rtl_params,
    "fp8kit_cost_mac": cost_mac_rtl_params,
}
"""The one producer of each RTL module's parameter set."""

OPS: dict[str, str] = {"mul": "fp8_mul", "fma": "fp8_fma", "mac": "fp8_mac", "mx_dot": "mx_dot",
                       "int8_mac": "int8_mac", "dpa": "fp8_dpa"}
"""Model operation name (``refmodel.arith``/``mx``, vector files) -> the RTL module that implements it."""


def pack_lanes(codes: Any, width: int) -> int:
    """One bus word of ``mx_dot``'s ``a_i``/``b_i`` layout: code k in bits ``[k*width +: width]``."""
    return sum(int(c) << (width * k) for k, c in enumerate(codes))
