"""Encodings shared by the model, the RTL, the vectors and the cost model.

Every integer that crosses the Python/Verilog boundary is defined here once:
the special-value conventions (RTL parameter ``SPECIALS``), the rounding-mode
codes (RTL port ``rm_i``, RISC-V ``frm`` order) and the IEEE flag bit layout
(RTL port ``flags_o``).
"""

from __future__ import annotations

import enum

__all__ = ["Specials", "RoundingMode", "Flag", "CodeClass", "parse_rounding"]


class Specials(enum.IntEnum):
    """How a format spends its top codes on Inf and NaN (RTL ``SPECIALS``).

    - ``IEEE``: exponent all ones is Inf (mantissa 0) or NaN (mantissa != 0).
    - ``FN``: finite + NaN; only the all-ones magnitude is NaN, no Inf.
    - ``FNUZ``: finite + NaN + unsigned zero; the code ``1000...0`` (negative
      zero's code) is the only NaN, no Inf, no -0.
    - ``NONE``: every code is finite (MX FP6/FP4): no Inf, no NaN.
    - ``SCALE``: unsigned exponent-only scale (E8M0): no sign, no zero, no
      subnormals, the all-ones code is NaN.
    """

    IEEE = 0
    FN = 1
    FNUZ = 2
    NONE = 3
    SCALE = 4


class RoundingMode(enum.IntEnum):
    """Rounding modes; the value is the RTL ``rm_i`` code (RISC-V frm order)."""

    RNE = 0  # nearest, ties to even
    RTZ = 1  # toward zero
    RDN = 2  # toward -inf
    RUP = 3  # toward +inf
    RMM = 4  # nearest, ties away from zero
    SR = 5  # stochastic: away iff t + r >= 2**R (spec-notes section 2)
    RTO = 6  # round to odd: truncate, set the LSB if inexact

    @property
    def label(self) -> str:
        """The lower-case name used in the API and the CLI (``"rne"``...)."""
        return self.name.lower()


class Flag(enum.IntFlag):
    """IEEE exception flags; the value is the bit in RTL ``flags_o[4:0]``."""

    NX = 1 << 0  # inexact
    UF = 1 << 1  # underflow (tininess after rounding)
    OF = 1 << 2  # overflow
    DZ = 1 << 3  # divide by zero (never raised by this datapath)
    NV = 1 << 4  # invalid


class CodeClass(enum.IntEnum):
    """Class of a code (or of an exact product): the RTL ``class_o`` encoding."""

    ZERO = 0
    SUBNORMAL = 1
    NORMAL = 2
    INF = 3
    NAN = 4


def parse_rounding(rounding: str | int | RoundingMode) -> RoundingMode:
    """Map ``"rne"``, ``0`` or ``RoundingMode.RNE`` (etc.) to a RoundingMode.

    Raises:
        ValueError: for an unknown name or code, listing the allowed ones.
    """
    if isinstance(rounding, RoundingMode):
        return rounding
    if isinstance(rounding, str):
        try:
            return RoundingMode[rounding.strip().upper()]
        except KeyError:
            pass
    elif isinstance(rounding, int) and not isinstance(rounding, bool):
        try:
            return RoundingMode(rounding)
        except ValueError:
            pass
    allowed = ", ".join(f"{m.label} ({m.value})" for m in RoundingMode)
    raise ValueError(f"unknown rounding mode {rounding!r}; allowed: {allowed}")
