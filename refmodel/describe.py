"""Plain-data descriptions of formats and codes, shared by the CLI and the docs generator."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from .codec import classify, decode
from .encodings import CodeClass, Specials
from .formats import Format, registered_formats

__all__ = ["format_row", "format_rows", "code_rows", "exact_str", "bits_str", "FORMAT_COLUMNS"]

FORMAT_COLUMNS = (
    "name", "bits", "E", "M", "bias", "specials", "max finite", "min normal", "min subnormal",
    "Inf", "NaN codes",
)


def exact_str(value: float) -> str:
    """An exact, short rendering of a binary value: ``448 = 7*2^6`` style, ``-0``, ``inf``, ``nan``."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "-inf" if value < 0 else "inf"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    frac = Fraction(value)
    num, den = frac.numerator, frac.denominator
    exp = 0
    while num % 2 == 0:
        num //= 2
        exp += 1
    while den % 2 == 0:
        den //= 2
        exp -= 1
    assert den == 1, "binary floating-point values have power-of-two denominators"
    return f"{num}*2^{exp}" if exp else f"{num}"


def bits_str(code: int, fmt: Format) -> str:
    """``S.EEEE.MMM`` rendering of a code."""
    parts = []
    rest = code
    if fmt.man_bits:
        parts.append(format(rest & ((1 << fmt.man_bits) - 1), f"0{fmt.man_bits}b"))
        rest >>= fmt.man_bits
    parts.append(format(rest & ((1 << fmt.exp_bits) - 1), f"0{fmt.exp_bits}b"))
    rest >>= fmt.exp_bits
    if fmt.signed:
        parts.append(str(rest & 1))
    return ".".join(reversed(parts))


def _nan_summary(fmt: Format) -> str:
    if not fmt.has_nan:
        return "none"
    if fmt.specials is Specials.IEEE:
        width = (fmt.bits + 3) // 4
        return f"0x{fmt.nan_code(False):0{width}X}/0x{fmt.nan_code(True):0{width}X} (+ payloads)"
    width = (fmt.bits + 3) // 4
    return ", ".join(f"0x{c:0{width}X}" for c in fmt.nan_codes)


def format_row(fmt: Format) -> dict[str, str]:
    """One row of the formats table (strings, ready to print)."""
    sub = fmt.min_subnormal
    return {
        "name": fmt.name,
        "bits": str(fmt.bits),
        "E": str(fmt.exp_bits),
        "M": str(fmt.man_bits),
        "bias": str(fmt.bias),
        "specials": fmt.specials.name.lower() + ("" if fmt.signed else " (unsigned)"),
        "max finite": f"{fmt.max_finite:g}",
        "min normal": f"2^{fmt.emin}",
        "min subnormal": "-" if sub is None else f"2^{fmt.emin - fmt.man_bits}",
        "Inf": "yes" if fmt.has_inf else "no",
        "NaN codes": _nan_summary(fmt),
    }


def format_rows() -> list[dict[str, str]]:
    """Rows for every registered format."""
    return [format_row(f) for f in registered_formats()]


def code_rows(fmt: Format, codes: np.ndarray | None = None) -> list[dict[str, str]]:
    """Rows of hex, bit fields, value, exact value and class for ``codes`` (default: every code).

    Raises:
        ValueError: default codes of a format wider than 16 bits, or a code out of range.
    """
    if codes is None:
        if fmt.bits > 16:
            raise ValueError(f"code tables are for formats of <= 16 bits, not {fmt.name}")
        codes = np.arange(fmt.code_count)
    codes = np.asarray(codes).reshape(-1)
    values = decode(codes, fmt, np.float64)
    classes = classify(codes, fmt)
    width = (fmt.bits + 3) // 4
    return [
        {
            "code": f"0x{int(c):0{width}X}",
            "bits": bits_str(int(c), fmt),
            "value": repr(float(v)),
            "exact": exact_str(float(v)),
            "class": CodeClass(int(k)).name.lower(),
        }
        for c, v, k in zip(codes.tolist(), values.tolist(), classes.tolist())
    ]
