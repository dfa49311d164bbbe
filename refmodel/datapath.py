"""GEMM datapaths: how an accelerator sums the products of a dot product (docs/gemm.md).

A datapath is a small frozen description; :func:`refmodel.gemm.matmul` runs it, the oracle
:mod:`refmodel.oracle.gemm` defines it one output at a time, and the RTL, the vectors and the cost model
read the same object.  Five kinds:

* :class:`Exact` -- the exact sum of C and every product, rounded once (``arith.dot`` with C as a term).
* :class:`FmaChain` -- K fused multiply-adds in order into the accumulator, each rounded
  (``arith.mac`` per output, the shared LFSR feeding sr).
* :class:`FusedDot` -- the tensor-core step: per step, up to ``lanes`` products and the running
  accumulator, each truncated toward zero to ``frac_bits`` fraction bits below the largest exponent
  among them, summed exactly, rounded once into ``step_fmt`` (held in the accumulator format).
* :class:`TwoStageDot` -- AMD CDNA3's step (MMA-Sim's model): the products summed in interleaved
  partial sums, each truncated below its own largest exponent, then aligned with the accumulator by
  rounding down, the sum rounded down to ``sum_bits`` fraction bits and then rounded into ``step_fmt``.
* :class:`Promote` -- an inner datapath for ``every`` elements of K, each partial result then added
  into the accumulator with one rounding (DeepSeek-V3's promotion to float32).

Term exponents of :class:`FusedDot` (the published model of NVIDIA tensor cores, Fasi et al. 2021 and
MMA-Sim): a product ``a * b`` has exponent ``ea + eb``, where ``ea`` is ``a``'s unbiased exponent
(``emin`` for subnormals, so ``|a| = sa * 2**ea`` with ``0 < sa < 2``); under block scaling, plus the
exponents of both block scales (E8M0: the code minus 127; an E4M3 or UE5M3 scale: its unbiased
exponent, ``emin`` for a subnormal, its significand then multiplying the term).  With ``group = G > 1`` (block-scaled units that pre-sum
G products) a group's exact sum is one term whose exponent is the scales' exponent sum alone.  The
accumulator term has its own exponent in the accumulator format (``emin`` for subnormals).  A zero
term takes exponent ``zero_exp`` in the maximum, or no part in it when ``zero_exp`` is None.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Union

from .encodings import RoundingMode, Specials
from .formats import Format, get_format
from .rounding import rounding_mode

__all__ = ["Exact", "FmaChain", "FusedDot", "TwoStageDot", "Promote", "Datapath", "NAN_STYLES", "check_datapath"]

NAN_STYLES = ("canonical", "all-ones")
"""The NaN a datapath returns: the format's canonical quiet NaN (``Format.nan_code()``), or the positive
NaN with every mantissa bit set (0x7FFFFFFF in float32, 0x7FFF in float16: what NVIDIA tensor cores
return)."""


def _mode(rounding: Any, allowed: tuple[RoundingMode, ...], what: str) -> RoundingMode:
    mode = rounding_mode(rounding)
    if mode not in allowed:
        names = ", ".join(m.label for m in allowed)
        raise ValueError(f"{what} rounding must be one of {names}, got {mode.label!r}")
    return mode


_DETERMINISTIC = tuple(m for m in RoundingMode if m is not RoundingMode.SR)
_ALL = tuple(RoundingMode)


def _positive_int(value: Any, name: str, low: int = 1, high: int = 1 << 20) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer in {low}...{high}, got {value!r}")
    return value


def _nan_style(value: Any) -> str:
    if value not in NAN_STYLES:
        raise ValueError(f"nan must be one of {', '.join(NAN_STYLES)}, got {value!r}")
    return value


@dataclass(frozen=True)
class _OneRounding:
    """The fields of a datapath that rounds with an IEEE mode (any, sr included)."""

    rounding: RoundingMode = RoundingMode.RNE
    sr_bits: int | None = None
    saturate: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "rounding", _mode(self.rounding, _ALL, self.kind))


@dataclass(frozen=True)
class Exact(_OneRounding):
    """C plus every product, summed exactly and rounded once into the accumulator format.

    ``rounding`` any mode; under sr output ``(m, n)`` uses word ``m * N + n`` of the LFSR seeded by
    ``lfsr_seed`` (or an explicit ``rand`` of the output shape), ``sr_bits`` random bits.
    """

    kind: str = dataclasses.field(default="exact", init=False)


@dataclass(frozen=True)
class FmaChain(_OneRounding):
    """``acc = fma(acc, a[k], b[k])`` for k = 0...K-1 from ``acc = C``: bit-identical to ``arith.mac``.

    Under sr every output is one MAC stream of the shared LFSR seeded by ``lfsr_seed`` (step k uses
    word k, as ``fp8_mac`` does), unless ``rand`` (shape ``(M, N, K)``) is given.
    """

    kind: str = dataclasses.field(default="fma_chain", init=False)


@dataclass(frozen=True)
class FusedDot:
    """One tensor-core step per ``lanes`` products, chained along K (module docstring for exponents).

    Step j takes the products k in ``[j*lanes, (j+1)*lanes)`` (the last step may be shorter) and the
    running accumulator ``c`` (C at first).  With ``e_max`` the largest term exponent, every term is
    truncated toward zero to a multiple of ``2**(e_max - frac_bits)``; the truncated terms are summed
    exactly; the sum is rounded into ``step_fmt`` with ``rounding`` and becomes the next ``c``.  A
    zero sum is +0.  A finite sum beyond ``step_fmt``'s range becomes +-Inf in every mode (the output
    stage of the published model; OF, NX).  Any NaN term, Inf * 0 or Inf - Inf gives NaN (``nan``
    style); an Inf term otherwise gives Inf of its sign; both stay through the following steps.

    Flags (sticky over the steps): NV for Inf * 0, Inf - Inf or a signalling-NaN operand; NX when a
    truncation drops a nonzero bit or a rounding is inexact; OF as above; UF when a step rounds a
    nonzero sum to a result below ``step_fmt``'s min normal (zero included: tininess of the delivered
    result) and the step was inexact.
    """

    lanes: int
    frac_bits: int
    step_fmt: Format
    rounding: RoundingMode = RoundingMode.RTZ
    zero_exp: int | None = None
    group: int = 1
    nan: str = "all-ones"
    kind: str = dataclasses.field(default="fused_dot", init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lanes", _positive_int(self.lanes, "lanes", 1, 4096))
        object.__setattr__(self, "frac_bits", _positive_int(self.frac_bits, "frac_bits", 1, 48))
        fmt = get_format(self.step_fmt)
        if fmt.specials is not Specials.IEEE:
            raise ValueError(f"step_fmt needs Inf and NaN (an ieee format such as float32 or e8m13), got {fmt.name}")
        object.__setattr__(self, "step_fmt", fmt)
        object.__setattr__(self, "rounding", _mode(self.rounding, _DETERMINISTIC, "fused_dot"))
        if self.zero_exp is not None and (isinstance(self.zero_exp, bool) or not isinstance(self.zero_exp, int)):
            raise ValueError(f"zero_exp must be an integer or None, got {self.zero_exp!r}")
        object.__setattr__(self, "group", _positive_int(self.group, "group", 1, 4096))
        if self.lanes % self.group:
            raise ValueError(f"lanes ({self.lanes}) must be a multiple of group ({self.group})")
        _nan_style(self.nan)


@dataclass(frozen=True)
class TwoStageDot:
    """One step per ``lanes`` products in two stages, chained along K (AMD CDNA3 MFMA, as MMA-Sim models it).

    Step j takes the products k in ``[j*lanes, (j+1)*lanes)`` (the last step may be shorter; product
    exponents as :class:`FusedDot`'s, zero products taking no part) and the running accumulator ``c``:

    1. Product i of the step joins partial sum ``i mod ways``.  A partial sum with largest product
       exponent ``E_w`` truncates each of its products toward zero to a multiple of
       ``2**(E_w - frac_bits)`` and sums them exactly.
    2. With ``E_d`` the largest ``E_w``, each partial sum is rounded down (toward -Inf) to a multiple
       of ``2**(E_d - frac_bits)``; their exact sum is ``D`` (0 without a nonzero product).
    3. ``e_c`` is c's exponent in the accumulator format (``emin`` for a subnormal or zero), ``E`` the
       larger of ``E_d`` and ``e_c``.  ``D`` is rounded down to a multiple of ``2**(E - sum_bits - 1)``,
       c to a multiple of ``2**(E - frac_bits)``, or replaced by 0 when ``drop_c`` and
       ``e_c < E - frac_bits - 1``.
    4. Their exact sum ``V``, with exponent ``e_v`` (at least ``step_fmt.emin``), is rounded down to a
       multiple of ``2**(e_v - sum_bits)`` and then rounded into ``step_fmt`` with ``rounding``; a
       finite result beyond its range is +-Inf, a result that rounds to zero keeps V's sign, an exact
       zero ``V`` is +0.

    Specials as :class:`FusedDot`'s (C included: a NaN or infinite c decides the step whatever its
    exponent).  Flags (sticky): NX when a truncation, a rounding down or the dropping of c loses a
    nonzero part, or the last rounding is inexact; OF for an overflow; UF when a nonzero ``V`` gives a
    result below ``step_fmt``'s min normal and the step was inexact.  Products are exact: a unit that
    turns a product beyond float32's range into Inf (CDNA3's BF16 path) is not described.
    """

    lanes: int
    ways: int
    frac_bits: int
    sum_bits: int
    step_fmt: Format
    rounding: RoundingMode = RoundingMode.RNE
    drop_c: bool = False
    nan: str = "all-ones"
    kind: str = dataclasses.field(default="two_stage_dot", init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lanes", _positive_int(self.lanes, "lanes", 1, 4096))
        object.__setattr__(self, "ways", _positive_int(self.ways, "ways", 1, 64))
        object.__setattr__(self, "frac_bits", _positive_int(self.frac_bits, "frac_bits", 1, 48))
        object.__setattr__(self, "sum_bits", _positive_int(self.sum_bits, "sum_bits", 1, 48))
        if self.sum_bits + 1 < self.frac_bits:
            raise ValueError(f"sum_bits ({self.sum_bits}) must be at least frac_bits - 1 ({self.frac_bits - 1})")
        fmt = get_format(self.step_fmt)
        if fmt.specials is not Specials.IEEE:
            raise ValueError(f"step_fmt needs Inf and NaN (an ieee format such as float32), got {fmt.name}")
        object.__setattr__(self, "step_fmt", fmt)
        object.__setattr__(self, "rounding", _mode(self.rounding, _DETERMINISTIC, "two_stage_dot"))
        if not isinstance(self.drop_c, bool):
            raise ValueError(f"drop_c must be True or False, got {self.drop_c!r}")
        _nan_style(self.nan)


@dataclass(frozen=True)
class Promote:
    """``inner`` (exact without sr, fused_dot or two_stage_dot) over each run of ``every`` elements of K (from +0),
    each partial added into the accumulator (C at first) with one rounding in ``rounding`` (the rules of
    ``arith.fma``: a NaN is the canonical one); the last run may be shorter."""

    inner: "Datapath"
    every: int
    rounding: RoundingMode = RoundingMode.RNE
    kind: str = dataclasses.field(default="promote", init=False)

    def __post_init__(self) -> None:
        if not isinstance(self.inner, (Exact, FusedDot, TwoStageDot)) or self.inner.rounding is RoundingMode.SR:
            raise ValueError(f"promote's inner datapath must be exact (not sr), fused_dot or two_stage_dot, "
                             f"got {self.inner!r}")
        object.__setattr__(self, "every", _positive_int(self.every, "every", 1, 1 << 30))
        object.__setattr__(self, "rounding", _mode(self.rounding, _DETERMINISTIC, "promote"))


Datapath = Union[Exact, FmaChain, FusedDot, TwoStageDot, Promote]


def check_datapath(datapath: Any, acc_fmt: Format) -> Datapath:
    """The datapath, if it can produce ``acc_fmt``; ValueError naming the conflict otherwise.

    A fused-dot or two-stage step format must fit the accumulator exactly (no more exponent range or fraction bits).
    """
    if not isinstance(datapath, (Exact, FmaChain, FusedDot, TwoStageDot, Promote)):
        raise ValueError(f"datapath must be an Exact, FmaChain, FusedDot, TwoStageDot or Promote, got {datapath!r}")
    inner = datapath.inner if isinstance(datapath, Promote) else datapath
    if isinstance(inner, (FusedDot, TwoStageDot)):
        s = inner.step_fmt
        if s.man_bits > acc_fmt.man_bits or s.emax > acc_fmt.emax or s.emin - s.man_bits < acc_fmt.emin - acc_fmt.man_bits:
            raise ValueError(
                f"the {inner.kind} step format {s.name} does not fit the accumulator {acc_fmt.name} exactly: "
                f"use an accumulator with at least {s.man_bits} fraction bits and its exponent range"
            )
    return datapath
