"""Analytic area model of the project's datapaths, in NAND2 gate equivalents (GE).

A datapath (:class:`Datapath`) is the INT8 MAC (``rtl/int8_mac.v``), an FP MAC
(``rtl/fp8_mac.v`` around ``rtl/fp8_fma.v``, rounding rne, or sr with
``rtl/lfsr32.v``), one MX block dot product (``rtl/mx_dot.v``) or one fused-dot
step of a :class:`refmodel.datapath.FusedDot` (``rtl/fp8_dpa.v``).  Its area is
the sum of named blocks (:func:`blocks`): significand multiplier, exponent
logic, alignment shifter, wide adder, leading-zero counter and normaliser,
rounding, sr adder and LFSR, accumulator register, MX scale adder and adder
tree, special values.  Each block is a count of textbook primitives whose widths
are derived from the :class:`~refmodel.formats.Format` fields exactly as the RTL
derives its ``localparam``s (:func:`fma_widths`, :func:`mx_widths`,
:func:`dpa_widths`):

=========  ==========================================================  ==========
kind       primitive                                                   raw GE
=========  ==========================================================  ==========
``add``    n-bit carry-propagate adder or magnitude comparator         n FA
``inc``    n-bit addition of a constant or of one carry bit            n HA
``xor``    n XOR2 (conditional negation, LFSR feedback)                 n XOR2
``mux``    n MUX2; a shifter of n outputs by 0..s is n*ceil(log2(s+1)) n MUX2
``logic``  n two-input gates (detectors, reductions, leading-zero      n NAND2
           count: n*ceil(log2 n)/2 for an n-bit LZC)
``mul``    p x q array multiplier: p*q AND2 + (p-1)*q FA               as stated
``reg``    n flops with asynchronous reset and an enable/clear mux      n (DFFR + MUX2 + AND2)
=========  ==========================================================  ==========

with the Nangate45 X1 areas of :data:`CELL_GE`.  The calibrated area multiplies
each kind's raw GE by one constant (:class:`Calibration`), fitted once against
Yosys synthesis of the RTL (``fp8kit cost --fit``) and stored in
``fp8kit/cost/data/cost_calibration.json``.  These are architectural estimates, not
tape-out numbers (docs/cost-model.md).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from refmodel.formats import Format, get_format
from refmodel.lfsr import LEAP, POLY
from fp8kit.rtlspec.legality import sr_bits_problems
from fp8kit.rtlspec.params import (FmaWidths, check_rtl_accumulator, dpa_rtl_params, fma_widths, mac_rtl_params,
                                   mx_dot_element_rtl_params, operand_rtl_params)
from refmodel.datapath import FusedDot

__all__ = [
    "CELL_GE",
    "KINDS",
    "BLOCKS",
    "DATAPATHS",
    "CALIBRATION_PATH",
    "Datapath",
    "FmaWidths",
    "MxWidths",
    "DpaWidths",
    "Calibration",
    "fma_widths",
    "mx_widths",
    "dpa_widths",
    "blocks",
    "area",
    "fit_calibration",
    "load_calibration",
]

CELL_GE: dict[str, float] = {
    "inv": 0.667,
    "nand2": 1.0,
    "and2": 1.333,
    "xor2": 2.0,
    "mux2": 2.333,
    "ha": 3.33,
    "fa": 5.33,
    "dff": 5.67,
    "dffr": 6.67,
}
"""Cell areas in NAND2 equivalents: Nangate45 X1 area / NAND2_X1 area (0.798 um^2)."""

KINDS: tuple[str, ...] = ("add", "inc", "xor", "mux", "logic", "mul", "reg")
"""Primitive kinds; each has one calibration constant."""

BLOCKS: tuple[str, ...] = (
    "multiplier", "exponent", "align", "adder", "tree", "scale", "normalise", "round", "sr", "register",
    "specials",
)
"""Block names, in the order tables and charts show them."""

DATAPATHS: dict[str, str] = {
    "int8_mac": "rtl/int8_mac.v: int8 x int8 + int32 register, wrap or saturate",
    "fp_mac": "rtl/fp8_mac.v (fp8_fma + register; + lfsr32 under sr), one rounding mode",
    "mx_dot": "rtl/mx_dot.v: one E8M0-scaled block of K elements, exact sum, rne to float32",
    "fp8_dpa": "rtl/fp8_dpa.v: one fused-dot step (a FusedDot of L lanes, truncated F bits below the largest "
               "exponent), PIPE = 0",
}
"""The datapath kinds and the RTL each one models."""

CALIBRATION_PATH = Path(__file__).resolve().parent / "data" / "cost_calibration.json"
"""The checked-in calibration constants (written by ``fp8kit cost --fit``)."""

MX_K_RANGE = (1, 64)
"""The block lengths the model is fitted for (the RTL takes any K >= 1)."""


# ----------------------------------------------------------------------------- datapaths
@dataclasses.dataclass(frozen=True)
class Datapath:
    """One hardware configuration whose area the model estimates.

    Attributes:
        kind: ``"int8_mac"``, ``"fp_mac"`` or ``"mx_dot"`` (:data:`DATAPATHS`).
        fmt: the operand format of ``fp_mac`` (both operands), the element
            format of ``mx_dot`` (None for MXINT8's int8 elements); None for INT8.
        acc: the accumulator format of ``fp_mac`` (IEEE specials and bias,
            exponent 2...11 bits, mantissa >= 1 bit); None otherwise.
        sr_bits: ``fp_mac`` only: 0 rounds rne; R in 1...32 rounds sr with the
            low R bits of the leap-forward LFSR.
        k: ``mx_dot`` only: elements per block of the RTL instance (1...64).
        mx: ``mx_dot`` only: the MX type name (e.g. ``"mxfp8_e4m3"``).
        dot: ``fp8_dpa`` only: the :class:`refmodel.datapath.FusedDot` whose step the
            instance computes (lanes L, fraction bits F, step format, rounding, zero
            exponent, NaN style); ``fmt`` is then A's element format, ``fmt_b`` B's
            (default ``fmt``) and ``acc`` the accumulator.  The RTL parameters are
            :func:`fp8kit.rtlspec.params.dpa_rtl_params` of these, ``PIPE = 0``.
        fmt_b: ``fp8_dpa`` only: B's element format (None: the same as ``fmt``).

    Raises:
        ValueError: an unknown kind, or a field out of range for the kind,
            naming the value and what is allowed.
    """

    kind: str
    fmt: Format | None = None
    acc: Format | None = None
    sr_bits: int = 0
    k: int = 1
    mx: str | None = None
    dot: FusedDot | None = None
    fmt_b: Format | None = None

    def __post_init__(self) -> None:
        if self.kind not in DATAPATHS:
            raise ValueError(f"unknown datapath kind {self.kind!r}; allowed: {', '.join(DATAPATHS)}")
        if self.kind != "fp8_dpa" and (self.dot is not None or self.fmt_b is not None):
            raise ValueError(f"only an fp8_dpa datapath has a FusedDot and a second element format, not {self.kind}")
        if self.kind == "int8_mac":
            if self.fmt is not None or self.acc is not None or self.sr_bits or self.mx is not None:
                raise ValueError("the INT8 MAC has fixed widths: no format, accumulator, sr or MX type")
        elif self.kind == "fp8_dpa":
            self._check_dpa()
        elif self.kind == "fp_mac":
            _check_operand(self.fmt)
            _check_acc(self.acc)
            if not isinstance(self.sr_bits, int) or self.sr_bits < 0:
                raise ValueError(f"sr_bits {self.sr_bits!r} out of range; allowed: 0 (rne) or 1...32")
            try:  # the RTL contract: what fp8_mac elaborates with (an rne instance has SR_BITS = 1)
                mac_rtl_params(self.fmt, self.fmt, self.acc, self.sr_bits or 1)
            except ValueError as exc:
                raise ValueError(f"sr_bits {self.sr_bits} (0 for rne): {exc}") from None
        else:
            if self.mx is None:
                raise ValueError("an mx_dot datapath needs the MX type name")
            if self.fmt is not None:
                _check_operand(self.fmt)
            lo, hi = MX_K_RANGE
            if not isinstance(self.k, int) or not lo <= self.k <= hi:
                raise ValueError(f"MX block length K={self.k!r} out of range; allowed: {lo}...{hi}")
            mx_dot_element_rtl_params(self.fmt, self.k, 0)  # the RTL contract: what mx_dot elaborates with

    def _check_dpa(self) -> None:
        if not isinstance(self.dot, FusedDot):
            raise ValueError(f"an fp8_dpa datapath needs a refmodel.datapath.FusedDot, got {self.dot!r}")
        if self.sr_bits or self.mx is not None:
            raise ValueError("an fp8_dpa datapath rounds rne or rtz (the FusedDot's rounding): no sr, no MX type")
        if self.fmt_b is None:
            object.__setattr__(self, "fmt_b", self.fmt)
        for f in (self.fmt, self.fmt_b):
            if not isinstance(f, Format):
                raise ValueError(f"fp8_dpa element formats must be Formats, got {f!r}")
        _check_acc(self.acc)
        try:  # the RTL contract: what fp8_dpa elaborates with
            dpa_rtl_params(self.dot, self.fmt, self.fmt_b, self.acc, 0)
        except ValueError as exc:
            raise ValueError(f"fp8_dpa with elements {self.fmt.name} x {self.fmt_b.name} into "  # type: ignore[union-attr]
                             f"{self.acc.name}: {exc}") from None  # type: ignore[union-attr]

    @property
    def format_name(self) -> str:
        """The operand column of a table: ``int8``, a format name or an MX type name (``fp8_dpa``:
        ``A`` or ``A:B`` when the element formats differ)."""
        if self.kind == "int8_mac":
            return "int8"
        if self.kind == "mx_dot":
            return str(self.mx)
        if self.kind == "fp8_dpa" and self.fmt_b != self.fmt:
            return f"{self.fmt.name}:{self.fmt_b.name}"  # type: ignore[union-attr]
        return self.fmt.name  # type: ignore[union-attr]

    @property
    def acc_name(self) -> str:
        """The accumulator column: ``int32``, ``NAME`` or ``NAME+srR``; MX: ``float32`` (the dot's rounding)."""
        if self.kind == "int8_mac":
            return "int32"
        if self.kind == "mx_dot":
            return "float32"
        name = self.acc.name  # type: ignore[union-attr]
        return f"{name}+sr{self.sr_bits}" if self.sr_bits else name

    @property
    def per(self) -> int:
        """MACs per instance: K for an MX block dot product, L for a fused-dot step, else 1 (areas are
        reported per MAC)."""
        if self.kind == "fp8_dpa":
            return self.dot.lanes  # type: ignore[union-attr]
        return self.k if self.kind == "mx_dot" else 1

    @property
    def label(self) -> str:
        """``kind format x acc`` (with ``K=..`` for MX; ``fp8_dpa``: the step's L, F, step format,
        rounding, zero exponent and NaN style)."""
        if self.kind == "fp8_dpa":
            d = self.dot
            assert d is not None
            z = "none" if d.zero_exp is None else d.zero_exp
            return (f"fp8_dpa {self.format_name} x {self.acc_name} L={d.lanes} F={d.frac_bits} "
                    f"step={d.step_fmt.name} {d.rounding.label} zero_exp={z} nan={d.nan}")
        extra = f" K={self.k}" if self.kind == "mx_dot" else ""
        return f"{self.kind} {self.format_name} x {self.acc_name}{extra}"

    @property
    def slug(self) -> str:
        """A file-name-safe label."""
        return "".join(c if c.isalnum() or c in "._-" else "_" for c in self.label)


def _check_operand(fmt: Any) -> None:
    if not isinstance(fmt, Format):
        raise ValueError(f"operand format must be a Format, got {fmt!r}")
    operand_rtl_params(fmt, "A_")  # the RTL contract (the scales E8M0 and UE5M3 have no MAC datapath)


def _check_acc(acc: Any) -> None:
    if not isinstance(acc, Format):
        raise ValueError(f"accumulator must be a Format, got {acc!r}")
    try:
        check_rtl_accumulator(acc)
    except ValueError as exc:
        raise ValueError(f"{exc}; allowed: IEEE-style formats (Inf/NaN, bias 2**(E-1)-1) with E in 2...11, "
                         "M >= 1 and <= 32 bits, e.g. float32, float16, bfloat16, e5m7") from None


# ------------------------------------------------------------------------------- widths
class MxWidths(NamedTuple):
    """Widths of ``rtl/mx_dot.v``: ``pw`` product significand bits, ``shmax`` largest
    product shift, ``tw`` product magnitude bits, ``aw`` exact-sum accumulator bits."""

    pw: int
    shmax: int
    tw: int
    aw: int


def _clog2(n: int) -> int:
    return max(0, (int(n) - 1).bit_length())


def mx_widths(elem: Format | None, k: int) -> MxWidths:
    """The mx_dot widths for element format ``elem`` (None: MXINT8) and block length ``k``."""
    if elem is None:
        return MxWidths(16, 0, 15, 15 + 1 + _clog2(k))
    pw = 2 * (elem.man_bits + 1)
    shmax = 2 * ((1 << elem.exp_bits) - 2)
    return MxWidths(pw, shmax, pw + shmax, pw + shmax + 1 + _clog2(k))


class DpaWidths(NamedTuple):
    """Widths of ``rtl/fp8_dpa.v``, its ``localparam``s from the parameter set of
    :func:`fp8kit.rtlspec.params.dpa_rtl_params`: ``pman`` product fraction bits (PMAN), ``pw``
    product significand (PW), ``tw``/``ctw`` a product's and C's significand over 2**-F before the
    alignment shift (TW, CTW), ``tsw``/``csw`` their shift-amount bits (TSW, CSW), ``sw`` the signed
    sum of the L + 1 terms (SW), ``lzw`` its leading-zero count (LZW), ``rsw`` the rounding shift
    (RSW), ``step`` the step result's fraction bits (STEP_MAN_W), ``cw`` the accumulator code (C_W),
    ``qw`` the step code's magnitude (QW); ``ed`` is not an RTL width: the bits of the signed
    exponents that vary (the RTL computes them in EW = 14 bits; synthesis folds the rest, as in
    :func:`_blocks_fp`), from the element, accumulator and zero-term exponent ranges."""

    lanes: int
    frac: int
    pman: int
    pw: int
    tw: int
    ctw: int
    tsw: int
    csw: int
    sw: int
    lzw: int
    rsw: int
    step: int
    cw: int
    qw: int
    ed: int


DPA_EW = 14
"""``rtl/fp8_dpa.v``'s signed exponent width EW (a localparam, fixed in the RTL)."""


def _signed_bits(lo: int, hi: int) -> int:
    """Bits of a two's-complement number that holds every integer in ``lo...hi``."""
    return max(_clog2(hi + 1) if hi >= 0 else 0, (-lo - 1).bit_length() if lo < 0 else 0) + 1


def dpa_widths(dp: "Datapath") -> DpaWidths:
    """The fp8_dpa widths of an ``fp8_dpa`` datapath (its RTL parameter set, PIPE = 0)."""
    p = dpa_rtl_params(dp.dot, dp.fmt, dp.fmt_b, dp.acc, 0)
    lanes, frac, step = p["LANES"], p["FRAC_W"], p["STEP_MAN_W"]
    pman = p["A_MAN_W"] + p["B_MAN_W"]
    pw = pman + 2
    tw, ctw = pw + frac, p["ACC_MAN_W"] + 1 + frac
    sw = frac + 3 + _clog2(lanes + 1)
    fa, fb, acc = dp.fmt, dp.fmt_b, dp.acc
    assert fa is not None and fb is not None and acc is not None and dp.dot is not None
    scale = 2 * 127 if p["SCALED"] else 0  # E8M0 scales add -254...+254 to a product's exponent
    lo = [fa.emin + fb.emin - scale, acc.emin]
    hi = [fa.emax + fb.emax + scale, acc.emax]
    if p["HAS_ZERO_EXP"]:
        lo.append(p["ZERO_EXP"])
        hi.append(p["ZERO_EXP"])
    # emax - e + PMAN (or + ACC_MAN_W) over every term exponent e: the alignment distances
    ed = _signed_bits(min(lo) - max(hi), max(hi) - min(lo) + max(pman, p["ACC_MAN_W"]))
    return DpaWidths(lanes, frac, pman, pw, tw, ctw, _clog2(tw + 1), _clog2(ctw + 1), sw, _clog2(sw + 1),
                     _clog2(sw + 2), step, 1 + p["ACC_EXP_W"] + p["ACC_MAN_W"], DPA_EW + step + 2,
                     min(DPA_EW, ed))


# --------------------------------------------------------------------------- primitives
Terms = dict[str, float]
"""Raw GE per primitive kind."""


def _t(kind: str, ge: float) -> Terms:
    return {kind: float(ge)}


def _sum(*parts: Terms) -> Terms:
    out: Terms = {}
    for p in parts:
        for k, v in p.items():
            out[k] = out.get(k, 0.0) + v
    return out


def _scale(t: Terms, n: float) -> Terms:
    return {k: v * n for k, v in t.items()}


def _lg(n: int) -> int:
    """Stages of a shifter by 0...n, ``ceil(log2(n + 1))`` (at least 1)."""
    return max(1, math.ceil(math.log2(n + 1)))


def add(n: int) -> Terms:
    """n-bit carry-propagate adder or comparator: n FA."""
    return _t("add", n * CELL_GE["fa"])


def inc(n: int) -> Terms:
    """n-bit addition of a constant or a single carry: n HA."""
    return _t("inc", n * CELL_GE["ha"])


def neg(n: int) -> Terms:
    """n-bit conditional two's-complement negation: n XOR2 and an n-bit increment."""
    return _sum(_t("xor", n * CELL_GE["xor2"]), inc(n))


def mux(n: int) -> Terms:
    """n 2:1 multiplexers."""
    return _t("mux", n * CELL_GE["mux2"])


def shifter(n_out: int, smax: int, n_in: int | None = None) -> Terms:
    """Logarithmic shifter of an ``n_in``-bit value (default ``n_out``) into ``n_out`` bits by 0...smax.

    Stage i (shift by 2**i, ``ceil(log2(smax+1))`` stages) needs one MUX2 per bit that can be
    non-zero after it: ``min(n_out, n_in + 2**(i+1) - 1)``.
    """
    n_in = n_out if n_in is None else n_in
    return mux(sum(min(n_out, n_in + (1 << (i + 1)) - 1) for i in range(_lg(smax))))


def logic(n: float) -> Terms:
    """n two-input gates."""
    return _t("logic", n * CELL_GE["nand2"])


def lzc(n: int) -> Terms:
    """Leading-zero count of n bits: a priority tree of ceil(log2 n) levels of n/2 gates."""
    return logic(n * _lg(n - 1) / 2)


def mul(p: int, q: int, signed: bool = False) -> Terms:
    """p x q array multiplier: p*q AND2 partial products, (p-1)*q FA; Baugh-Wooley adds p+q HA."""
    ge = p * q * CELL_GE["and2"] + (p - 1) * q * CELL_GE["fa"] + (p + q) * CELL_GE["ha"] * signed
    return _t("mul", ge)


def reg(n: int, enable: bool = True) -> Terms:
    """n flops with asynchronous reset; with an enable/clear: + n (MUX2 + AND2)."""
    per = CELL_GE["dffr"] + (CELL_GE["mux2"] + CELL_GE["and2"]) * enable
    return _t("reg", n * per)


def lfsr_xors() -> int:
    """XOR2 gates of the unrolled leap: LEAP steps x (taps of POLY - 1)."""
    return LEAP * (bin(POLY).count("1") - 1)


# ------------------------------------------------------------------------------- blocks
def _blocks_int8(dp: Datapath) -> dict[str, Terms]:
    return {
        # rtl/int8_mac.v's a*b + acc is one fused multiply-add whose 8 partial-product rows are
        # sign-extended to the 34-bit sum (Yosys maccmap): 18 extra half adders per row
        "multiplier": _sum(mul(8, 8, signed=True), inc(8 * 18)),
        "adder": add(34),
        "round": _sum(logic(3), mux(2 * 32)),
        "register": _sum(reg(33), reg(1, enable=False)),
    }


def _blocks_fp(dp: Datapath) -> dict[str, Terms]:
    fa = fb = dp.fmt
    acc = dp.acc
    assert fa is not None and fb is not None and acc is not None
    w = fma_widths(fa, fb, acc, dp.sr_bits)
    ew, fw, m = w.ew, w.fw, w.m
    ed = max(acc.exp_bits, max(fa.exp_bits, fb.exp_bits) + 1) + 2
    out = {
        "multiplier": _sum(mul(fa.man_bits + 1, fb.man_bits + 1), logic(1)),
        # operand exponents (subnormal-adjusted, unbiased), the product exponent, the accumulator
        # exponent and their difference; window LSB candidates and shift clamps; the leading-one
        # exponent, the subnormal shift and the result exponent.  The RTL computes them in EW bits,
        # but only ``ed`` bits vary: the rest are constants or sign copies that synthesis folds.
        "exponent": _sum(inc(fa.exp_bits + 1), inc(fb.exp_bits + 1), add(max(fa.exp_bits, fb.exp_bits) + 2),
                         inc(acc.exp_bits + 1), add(3 * ed), inc(6 * ed), neg(ed), mux(4 * ed), logic(4 * ed)),
        # the accumulator shifted into the window (or right into a sticky bit), placement selects
        "align": _sum(shifter(fw, w.dmax + 1, m + 1), shifter(2 * m + 3, m + 2), logic(m + 2), mux(2 * fw)),
        # signed sum of the two aligned magnitudes and its absolute value
        "adder": _sum(_t("xor", 2 * (fw + 1) * CELL_GE["xor2"]), add(fw + 1), inc(fw + 1), neg(fw)),
        "normalise": _sum(lzc(fw), shifter(fw, fw - 1)),
        # sticky OR, round increment into the code, overflow/tininess compares, result muxes
        "round": _sum(logic(w.rw), logic(fw - w.rw + 2), inc(ed + m), inc(m + 1), logic(2 * (ed + m)),
                      mux(3 * w.cw)),
        "register": reg(w.cw + 5),
        "specials": logic(2 * (fa.bits + fb.bits) + 2 * acc.bits + 10),
    }
    if dp.sr_bits:
        out["sr"] = _sum(add(dp.sr_bits), reg(32), _t("xor", lfsr_xors() * CELL_GE["xor2"]))
    return out


def _blocks_mx(dp: Datapath) -> dict[str, Terms]:
    k, e = dp.k, dp.fmt
    w = mx_widths(e, k)
    out: dict[str, Terms] = {}
    if e is None:
        out["multiplier"] = _scale(mul(8, 8, signed=True), k)
        out["tree"] = add((k - 1) * w.aw)
        out["specials"] = logic(k * 18 + 3 * min(w.aw, 24) + 37)
        out["exponent"] = _sum(add(16), inc(2 * 16), neg(15), logic(16))
    else:
        p = e.man_bits + 1
        out["multiplier"] = _scale(mul(p, p), k)
        out["exponent"] = _sum(_scale(_sum(inc(2 * (e.exp_bits + 1)), add(e.exp_bits + 2)), k),
                               add(16), inc(2 * 16), neg(15), logic(16))
        out["align"] = _scale(_sum(shifter(w.tw, w.shmax, w.pw), logic(w.pw)), k)
        out["tree"] = _sum(_scale(neg(w.aw), k), add((k - 1) * w.aw))
        out["specials"] = logic(k * (4 * (e.exp_bits + e.man_bits) + 8) + 3 * min(w.aw, 24) + 37)
    out["scale"] = _sum(add(9), logic(16))
    # only min(AW, 24) bits of the float32 significand can vary: the rest are constants
    sw = min(w.aw, 24)
    out["normalise"] = _sum(neg(w.aw), lzc(w.aw), shifter(w.aw, w.aw - 1), logic(w.aw))
    out["round"] = _sum(shifter(sw + 26, 26, sw), logic(w.aw + 1), inc(sw + 1), inc(9), logic(40))
    return out


def _blocks_dpa(dp: Datapath) -> dict[str, Terms]:
    fa, fb, acc, d = dp.fmt, dp.fmt_b, dp.acc, dp.dot
    assert fa is not None and fb is not None and acc is not None and d is not None
    w = dpa_widths(dp)
    n, f, ed = w.lanes, w.frac, w.ed
    # a product's exponent ea + eb: the bits its range needs
    pe = _signed_bits(fa.emin + fb.emin, fa.emax + fb.emax) + 1

    def lost(bits: int, shift_bits: int) -> Terms:
        """The sticky bit of a right shift: each of ``bits`` input bits compared with the shift, ORed."""
        return logic(bits * (shift_bits / 2 + 1))

    lane = {
        "multiplier": mul(fa.man_bits + 1, fb.man_bits + 1),
        # the product exponent, its step of the compare chain (compare and select against the
        # running maximum), its alignment distance emax - e + PMAN and the every-bit-out test
        "exponent": _sum(add(pe), add(ed), mux(ed), logic(2), add(ed), logic(ed)),
        # the product significand over 2**-F shifted right into the F + 2 bits a live term keeps
        "align": _sum(shifter(f + 2, w.tw, w.pw), lost(w.pw, w.tsw)),
        # conditional negation into SW bits and one SW-bit addend of the sum of L + 1 terms
        "tree": _sum(_t("xor", (f + 2) * CELL_GE["xor2"]), inc(w.sw), add(w.sw)),
        # both unpackers' class logic and the product's class (NaN, Inf, Inf*0, live)
        "specials": logic(2 * (fa.bits + fb.bits) + 12),
    }
    m = acc.man_bits
    c_term = {
        "exponent": _sum(add(ed), logic(ed)),
        "align": _sum(shifter(f + 1, w.ctw, m + 1), lost(m + 1, w.csw)),
        "tree": _sum(_t("xor", (f + 1) * CELL_GE["xor2"]), inc(w.sw)),
        "specials": logic(2 * w.cw + 4 * n + 8),
    }
    out = {b: _sum(_scale(t, n), c_term.get(b, {})) for b, t in lane.items()}
    out["normalise"] = _sum(
        neg(w.sw), lzc(w.sw),
        # the leading one's index, the subnormal floor, their maximum and the shift to the step quantum
        inc(w.lzw), add(ed), add(ed), mux(ed), inc(ed), logic(ed), mux(w.rsw),
        # {|sum|, guard} >> rs (kept bits, round bit, sticky) and the exact left shift
        shifter(w.sw + 2, w.sw + 1, w.sw), logic(w.sw), shifter(w.step + 2, w.step, w.sw))
    out["round"] = _sum(
        # the significand select and round increment, the exponent field, the code, overflow and
        # tininess compares, the one-hot result select and the flags
        mux(w.step + 2), inc(w.step + 2), add(2 * ed), inc(ed + 2), logic(2 * (ed + w.step + 2)),
        logic(w.step + 2), logic(4 * w.cw), logic(16))
    return out


def blocks(dp: Datapath) -> dict[str, Terms]:
    """The uncalibrated model: block name -> raw GE per primitive kind, for the whole instance.

    Only the blocks the datapath has appear, in :data:`BLOCKS` order.
    """
    raw = {"int8_mac": _blocks_int8, "fp_mac": _blocks_fp, "mx_dot": _blocks_mx, "fp8_dpa": _blocks_dpa}[dp.kind](dp)
    return {b: raw[b] for b in BLOCKS if b in raw}


# -------------------------------------------------------------------------- calibration
@dataclasses.dataclass(frozen=True)
class Calibration:
    """One multiplicative constant per primitive kind (:data:`KINDS`), and where they came from.

    Attributes:
        constants: kind -> factor applied to that kind's raw GE.
        meta: the fit's provenance (Yosys version, flow, ridge weight, the
            configurations with their synthesized and fitted GE).
    """

    constants: Mapping[str, float]
    meta: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        missing = [k for k in KINDS if k not in self.constants]
        if missing:
            raise ValueError(f"calibration lacks constants for {missing}; needs all of {list(KINDS)}")

    @classmethod
    def identity(cls) -> "Calibration":
        """Every constant 1: the textbook model."""
        return cls({k: 1.0 for k in KINDS}, {"source": "identity"})

    def to_json(self) -> str:
        return json.dumps({"constants": dict(self.constants), **self.meta}, indent=1) + "\n"


def load_calibration(path: Path | str | None = None) -> Calibration:
    """Read the calibration file (default :data:`CALIBRATION_PATH`).

    Raises:
        ValueError: the file lacks a constant.
        OSError: the file cannot be read.
    """
    data = json.loads(Path(path or CALIBRATION_PATH).read_text())
    consts = data.pop("constants")
    return Calibration({k: float(v) for k, v in consts.items()}, data)


@dataclasses.dataclass(frozen=True)
class Area:
    """A datapath's calibrated area.

    Attributes:
        total: GE of the whole instance.
        blocks: block -> GE of the whole instance (sums to ``total``).
        per: MACs per instance (K for MX); ``total / per`` is the area per MAC.
    """

    total: float
    blocks: dict[str, float]
    per: int

    @property
    def per_mac(self) -> float:
        return self.total / self.per


def area(dp: Datapath, calibration: Calibration | None = None) -> Area:
    """The calibrated area of a datapath (default: the checked-in calibration)."""
    cal = calibration if calibration is not None else _default_calibration()
    out = {b: sum(cal.constants[k] * v for k, v in terms.items()) for b, terms in blocks(dp).items()}
    return Area(float(sum(out.values())), out, dp.per)


_CAL_CACHE: list[Calibration] = []


def _default_calibration() -> Calibration:
    if not _CAL_CACHE:
        _CAL_CACHE.append(load_calibration())
    return _CAL_CACHE[0]


def raw_matrix(dps: Iterable[Datapath]) -> np.ndarray:
    """Raw GE per kind (columns in :data:`KINDS` order), one row per datapath instance."""
    rows = []
    for dp in dps:
        tot: Terms = _sum(*blocks(dp).values())
        rows.append([tot.get(k, 0.0) for k in KINDS])
    return np.array(rows, np.float64)


def fit_calibration(dps: list[Datapath], synth_ge: list[float], priors: Sequence[float] | None = None,
                    ridge: float = 0.2) -> np.ndarray:
    """Fit one constant per kind to synthesized areas of whole RTL instances.

    Minimises ``sum_i ((model_i - synth_i) / synth_i)**2 + ridge**2 * sum_kind ((c - p) / p)**2``
    where ``p`` are the priors (constants measured on isolated primitives,
    :func:`fp8kit.cost.priors.primitive_priors`; default 1).  Totals alone
    cannot separate kinds that always grow together; the ridge keeps such
    constants near what the primitives measured.  A constant that still comes
    out negative is set to 0 and the rest refitted.

    Args:
        dps: the configurations.
        synth_ge: their synthesized GE (whole instances).
        priors: one prior per kind, in :data:`KINDS` order, each > 0.
        ridge: weight of the pull towards the priors (>= 0).

    Returns:
        The constants in :data:`KINDS` order.

    Raises:
        ValueError: mismatched lengths, no configurations, a negative ridge,
            non-positive priors or synthesized areas.
    """
    y = np.asarray(synth_ge, np.float64)
    n = len(KINDS)
    p = np.ones(n) if priors is None else np.asarray(priors, np.float64)
    if len(dps) != y.size or not y.size or p.shape != (n,):
        raise ValueError(f"need one synthesized area per configuration ({len(dps)} vs {y.size}) and {n} priors")
    if ridge < 0 or np.any(y <= 0) or np.any(p <= 0):
        raise ValueError("ridge must be >= 0, every synthesized area and prior > 0")
    lhs = np.vstack([raw_matrix(dps) / y[:, None], ridge * np.diag(1 / p)])
    rhs = np.concatenate([np.ones(y.size), ridge * np.ones(n)])
    free = np.ones(n, bool)
    consts = np.zeros(n)
    while free.any():
        sol, *_ = np.linalg.lstsq(lhs[:, free], rhs, rcond=None)
        if (sol >= 0).all():
            consts[free] = sol
            break
        free[np.flatnonzero(free)[sol < 0]] = False
    return consts


def parse_acc(text: str, default_sr_bits: int = 16) -> tuple[Format, int]:
    """An accumulator spec: ``NAME`` (rne) or ``NAME+sr`` / ``NAME+srR`` (stochastic rounding).

    Returns:
        ``(format, sr_bits)``, sr_bits 0 for rne.

    Raises:
        ValueError: unknown format, a format the RTL cannot accumulate in, or a bad sr suffix.
    """
    name, _, suffix = text.strip().partition("+")
    sr = 0
    if _:
        if not suffix.startswith("sr"):
            raise ValueError(f"accumulator {text!r}: the only suffix is '+sr' or '+srR' (R random bits)")
        try:
            sr = int(suffix[2:]) if suffix[2:] else default_sr_bits
        except ValueError:
            raise ValueError(f"accumulator {text!r}: '+srR' needs an integer R") from None
        problems = list(sr_bits_problems(sr))
        if problems:
            raise ValueError(f"accumulator {text!r}: sr bits {sr} out of range: {'; '.join(problems)}")
    try:
        fmt = get_format(name)
    except ValueError as exc:
        raise ValueError(f"unknown accumulator {name!r}: {exc}; allowed: float32, float16, bfloat16, "
                         "any IEEE-style eXmY (e.g. e5m7), each optionally with '+sr'") from None
    _check_acc(fmt)
    return fmt, sr
