"""Exact reference ("oracle") of the GEMM datapaths: ``D = C + A @ B`` one output at a time.

The slow, plain definition of :mod:`refmodel.datapath` (docs/gemm.md) that :mod:`refmodel.gemm` is
tested against.  Python integers and :class:`fractions.Fraction` only, loops, no float arithmetic on
values; operand codes are read with :func:`refmodel.oracle.codec.decode_exact`, the FMA chain is
:func:`refmodel.oracle.arith.mac_exact` and every rounding that is not a fused-dot step is
:func:`refmodel.oracle.arith.round_exact`.  It never imports the fast paths (the LFSR draws of sr are
an input, taken from :mod:`refmodel.lfsr`).

Terms.  Every element is decoded to its exact value; under block scaling it is multiplied by its
block's scale (E8M0 ``2**(code - 127)``, code 0xFF a NaN scale; NVFP4's E4M3 / UE5M3 scale its exact
value, a NaN scale NaN, a zero scale zero).  A product is NaN when an operand is NaN or for Inf * 0
(NV), Inf when an operand is Inf, else finite and exact; a signalling-NaN element raises NV.

Exact: C and every product summed exactly, rounded once (``dot_exact``'s rules for specials and zero
signs).  FmaChain: ``mac_exact`` from C.  FusedDot: the steps of :class:`refmodel.datapath.FusedDot`,
written out in :func:`_fused_step`; TwoStageDot: those of :class:`refmodel.datapath.TwoStageDot`, in
:func:`_two_stage_step`.  Promote: the inner datapath over each run of K from +0, each
partial added into the accumulator as an exact sum of two addends rounded once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from ..datapath import Exact, FmaChain, FusedDot, Promote, TwoStageDot, check_datapath
from ..encodings import Flag, RoundingMode
from ..formats import Format
from ..lfsr import check_seed, draws
from ..mx import MxArray, get_mx_type
from .arith import (_acc_format, _emin, _finite_code, _inf_code, _is_signalling_nan, _max_finite,
                    _operand_format, _round_magnitude, _sign, mac_exact, round_exact)
from .codec import _floor_log2, _pow2, decode_exact

__all__ = ["Term", "matmul_exact", "matmul_mx_exact"]

NV, OF, UF, NX = (int(f) for f in (Flag.NV, Flag.OF, Flag.UF, Flag.NX))


@dataclass(frozen=True)
class Term:
    """One operand element (or product) exactly: ``kind`` ``"finite"`` (zero included), ``"inf"`` or
    ``"nan"``; ``value`` the signed exact value (finite only); ``negative`` the sign (also of zeros and
    Inf); ``exp`` the fused-dot alignment exponent (None for a zero or a special); ``snan`` a
    signalling-NaN operand; ``scale_exp`` the block scales' exponent (None: unscaled or a zero scale)."""

    kind: str
    negative: bool
    value: Fraction = Fraction(0)
    exp: int | None = None
    snan: bool = False
    scale_exp: int | None = None


_NAN = Term("nan", False)


def _exponent(mag: Fraction, fmt: Format) -> int:
    """The unbiased exponent of a nonzero magnitude of ``fmt``: ``emin`` for a subnormal."""
    return max(_floor_log2(mag), _emin(fmt))


def _element(code: int, fmt: Format) -> Term:
    v = decode_exact(int(code), fmt)
    snan = _is_signalling_nan(int(code), fmt)
    if v.kind != "finite":
        return Term(v.kind, v.negative if v.kind == "inf" else False, snan=snan)
    value = -v.magnitude if v.negative else v.magnitude
    return Term("finite", v.negative, value, _exponent(v.magnitude, fmt) if v.magnitude else None)


def _mx_element(code: int, scale: int, mx_type: str) -> Term:
    """An element of a block times its block's scale; the scale's exponent kept for grouped terms."""
    t = get_mx_type(mx_type)
    if t.element is None:  # MXINT8: two's complement, value k / 64
        k = int(code) - 256 if code >= 128 else int(code)
        e = Term("finite", k < 0, Fraction(k, 64), _floor_log2(Fraction(abs(k), 64)) if k else None)
    else:
        e = _element(code, t.element)
    if not t.tensor_scaled:
        if scale == 0xFF:
            return Term("nan", False, snan=e.snan)
        s_value, s_exp = _pow2(int(scale) - 127), int(scale) - 127
    else:
        s = decode_exact(int(scale), t.scale)
        if s.kind != "finite":
            return Term("nan", False, snan=e.snan)
        if s.magnitude == 0:
            return Term(e.kind, e.negative, Fraction(0), None, e.snan) if e.kind == "finite" else e
        s_value, s_exp = s.magnitude, _exponent(s.magnitude, t.scale)
    if e.kind != "finite":
        return e
    return Term("finite", e.negative, e.value * s_value, None if e.exp is None else e.exp + s_exp, False, s_exp)


def _product(x: Term, y: Term) -> tuple[Term, bool]:
    """The exact product of two elements and whether it is invalid (Inf * 0, a signalling NaN)."""
    zero = {k for k, t in (("x", x), ("y", y)) if t.kind == "finite" and t.value == 0}
    invalid = x.snan or y.snan or (x.kind == "inf" and "y" in zero) or (y.kind == "inf" and "x" in zero)
    negative = x.negative != y.negative
    if invalid or "nan" in (x.kind, y.kind):
        return _NAN, invalid
    if "inf" in (x.kind, y.kind):
        return Term("inf", negative), False
    exp = None if zero else x.exp + y.exp
    group_exp = None if x.scale_exp is None or y.scale_exp is None else x.scale_exp + y.scale_exp
    return Term("finite", negative, x.value * y.value, exp, False, group_exp), False


def _specials(terms: Sequence[tuple[Term, bool]]) -> tuple[str | None, bool, int]:
    """What the non-finite addends decide: ``(kind, negative, flags)``, kind None when all are finite.

    NV for an invalid addend or Infs of both signs; NaN for any NaN or NV; else Inf of its sign.
    """
    invalid = any(inv or t.snan for t, inv in terms)
    signs = {t.negative for t, _ in terms if t.kind == "inf"}
    invalid |= len(signs) == 2
    if invalid or any(t.kind == "nan" for t, _ in terms):
        return "nan", False, NV if invalid else 0
    if signs:
        return "inf", signs.pop(), 0
    return None, False, 0


# ----------------------------------------------------------------------------- exact
def _exact_sum(acc: Term, products: Sequence[tuple[Term, bool]], fc: Format, dp: Exact,
               rand: int | None) -> tuple[int, int]:
    """``acc + sum(products)`` exactly, rounded once: the rules of ``oracle.arith.dot_exact``."""
    kind, negative, flags = _specials([(acc, False), *products])
    if kind == "nan":
        return fc.nan_code(False), flags
    if kind == "inf":
        return _inf_code(fc, negative), 0
    addends = [acc] + [p for p, _ in products]
    rdn = dp.rounding is RoundingMode.RDN
    if all(t.value == 0 for t in addends):
        signs = [t.negative for t in addends]
        return _sign(fc, any(signs) if rdn else all(signs)), 0
    total = sum((t.value for t in addends), Fraction(0))
    if total == 0:
        return _sign(fc, rdn), 0
    sr = {"sr_bits": dp.sr_bits, "rand": rand} if dp.rounding is RoundingMode.SR else {}
    return round_exact(total < 0, abs(total), fc, dp.rounding, saturate=dp.saturate, **sr)


# ----------------------------------------------------------------------------- fused dot
def _truncate(value: Fraction, unit: Fraction) -> tuple[Fraction, bool]:
    """``value`` truncated toward zero to a multiple of ``unit``; whether a nonzero part was dropped."""
    q = abs(value) / unit
    whole = q.numerator // q.denominator
    kept = whole * unit
    return (-kept if value < 0 else kept), whole != q


def _fused_step(c: Term, products: Sequence[tuple[Term, bool]], dp: FusedDot, fc: Format) -> tuple[Term, int]:
    """One fused-dot step: the running accumulator ``c`` and the step's products (in K order)."""
    kind, negative, flags = _specials([(c, False), *products])
    if kind is not None:
        return (_NAN if kind == "nan" else Term("inf", negative)), flags
    if dp.group == 1:
        terms = [p for p, _ in products]
    else:  # a group's exact sum is one term with the block scales' exponent
        terms = []
        for g in range(0, len(products), dp.group):
            part = [p for p, _ in products[g:g + dp.group]]
            live = part[0].scale_exp if any(p.value != 0 for p in part) else None
            terms.append(Term("finite", False, sum((p.value for p in part), Fraction(0)), live))
    exps = [] if c.value == 0 else [_exponent(abs(c.value), fc)]
    exps += [t.exp for t in terms if t.exp is not None]
    if dp.zero_exp is not None:
        if c.value == 0:
            exps.append(dp.zero_exp)
        exps += [dp.zero_exp for t in terms if t.exp is None]
    if not exps:
        return Term("finite", False), 0
    unit = _pow2(max(exps) - dp.frac_bits)
    total, lost = Fraction(0), False
    for t in [c, *terms]:
        kept, dropped = _truncate(t.value, unit)
        total += kept
        lost |= dropped
    if total == 0:
        return Term("finite", False), NX if lost else 0
    return _deliver(total, lost, dp.step_fmt, dp.rounding, False)


def _deliver(total: Fraction, lost: bool, s: Format, rounding: RoundingMode, zero_sign: bool) -> tuple[Term, int]:
    """A step's nonzero sum rounded into ``s`` (``lost``: its alignment dropped bits), and the flags: +-Inf
    beyond the range (OF NX); a result that rounds to zero is -0 only with ``zero_sign``; UF for a result
    below the min normal (zero included) when inexact; NX when inexact."""
    neg = total < 0
    delivered = _round_magnitude(abs(total), neg, s, rounding, None, None, gradual_underflow=True)
    inexact = lost or delivered != abs(total)
    flags = NX if inexact else 0
    if delivered > _max_finite(s):
        return Term("inf", neg), OF | NX
    if delivered < _pow2(_emin(s)) and inexact:
        flags |= UF
    if delivered == 0:
        return Term("finite", neg and zero_sign), flags
    value = -delivered if neg else delivered
    return Term("finite", neg, value, _exponent(delivered, s)), flags


def _floor(value: Fraction, unit: Fraction) -> tuple[Fraction, bool]:
    """``value`` rounded down (toward -Inf) to a multiple of ``unit``; whether a nonzero part was dropped."""
    q = value / unit
    whole = q.numerator // q.denominator  # Python's floor division
    return whole * unit, whole != q


def _two_stage_step(c: Term, products: Sequence[tuple[Term, bool]], dp: TwoStageDot,
                    fc: Format) -> tuple[Term, int]:
    """One two-stage step: the running accumulator ``c`` and the step's products (in K order)."""
    kind, negative, flags = _specials([(c, False), *products])
    if kind is not None:
        return (_NAN if kind == "nan" else Term("inf", negative)), flags
    lost = False
    partial = []  # (E_w, exact partial sum)
    for w in range(dp.ways):
        part = [p for i, (p, _) in enumerate(products) if i % dp.ways == w and p.value != 0]
        if not part:
            continue
        e_w = max(p.exp for p in part)
        total = Fraction(0)
        for p in part:
            kept, dropped = _truncate(p.value, _pow2(e_w - dp.frac_bits))
            total += kept
            lost |= dropped
        partial.append((e_w, total))
    e_c = _exponent(abs(c.value), fc) if c.value else _emin(fc)
    d = Fraction(0)
    big = e_c
    if partial:
        e_d = max(e for e, _ in partial)
        for _, total in partial:
            kept, dropped = _floor(total, _pow2(e_d - dp.frac_bits))
            d += kept
            lost |= dropped
        big = max(e_d, e_c)
    d, dropped = _floor(d, _pow2(big - dp.sum_bits - 1))
    lost |= dropped
    if dp.drop_c and e_c < big - dp.frac_bits - 1:
        c_kept, dropped = Fraction(0), c.value != 0
    else:
        c_kept, dropped = _floor(c.value, _pow2(big - dp.frac_bits))
    lost |= dropped
    v = d + c_kept
    s = dp.step_fmt
    if v == 0:
        return Term("finite", False), NX if lost else 0
    v, dropped = _floor(v, _pow2(max(_floor_log2(abs(v)), _emin(s)) - dp.sum_bits))
    lost |= dropped
    if v == 0:  # a tiny positive sum rounded down to zero
        return Term("finite", False), NX | UF
    return _deliver(v, lost, s, dp.rounding, True)


def _fused(acc: Term, products: Sequence[tuple[Term, bool]], dp: FusedDot | TwoStageDot,
           fc: Format) -> tuple[int, int]:
    c, flags = acc, NV if acc.snan else 0
    step = _two_stage_step if isinstance(dp, TwoStageDot) else _fused_step
    for j in range(0, len(products), dp.lanes):
        c, f = step(c, products[j:j + dp.lanes], dp, fc)
        flags |= f
    if c.kind == "nan":
        all_ones = ((1 << fc.exp_bits) - 1) << fc.man_bits | ((1 << fc.man_bits) - 1)
        return (all_ones if dp.nan == "all-ones" else fc.nan_code(False)), flags
    if c.kind == "inf":
        return _inf_code(fc, c.negative), flags
    return _finite_code(fc, c.negative if c.value == 0 else c.value < 0, abs(c.value)), flags


# ----------------------------------------------------------------------------- one output
def _output(acc_code: int, products: Sequence[tuple[Term, bool]], fc: Format, dp: Any, rand) -> tuple[int, int]:
    """One output of an Exact, FusedDot, TwoStageDot or Promote datapath from its accumulator code and products."""
    if isinstance(dp, Promote):
        code, flags = acc_code, 0
        adder = Exact(dp.rounding)
        for k0 in range(0, len(products), dp.every):
            part, f = _output(0, products[k0:k0 + dp.every], fc, dp.inner, None)
            code, g = _exact_sum(_element(code, fc), [(_element(part, fc), False)], fc, adder, None)
            flags |= f | g
        return code, flags
    acc = _element(acc_code, fc)
    if isinstance(dp, Exact):
        return _exact_sum(acc, products, fc, dp, rand)
    return _fused(acc, products, dp, fc)


def _c_codes(c, fc: Format, m: int, n: int) -> np.ndarray:
    if c is None:
        return np.zeros((m, n), np.int64)
    arr = np.asarray(c).astype(np.int64)
    if arr.shape != (m, n) or arr.min(initial=0) < 0 or arr.max(initial=0) >= 1 << fc.bits:
        raise ValueError(f"C must hold (M, N) = {(m, n)} codes of {fc.name}, got shape {arr.shape}")
    return arr


def _sr_words(dp: Any, shape: tuple[int, ...], lfsr_seed, rand) -> np.ndarray | None:
    """The random integer of every rounding under sr (Exact: per output; FmaChain: per output and k)."""
    if isinstance(dp, Promote) or dp.rounding is not RoundingMode.SR:
        if rand is not None:
            raise ValueError("rand is only used with rounding='sr'")
        return None
    if dp.sr_bits is None:
        raise ValueError("rounding 'sr' needs sr_bits")
    if rand is not None:
        out = np.asarray(rand).astype(np.int64)
        if out.shape != shape:
            raise ValueError(f"rand must have shape {shape}, got {out.shape}")
        return out
    seed = check_seed(lfsr_seed, "lfsr_seed")
    if len(shape) == 2:
        return draws(seed, shape[0] * shape[1], dp.sr_bits).astype(np.int64).reshape(shape)
    return np.broadcast_to(draws(seed, shape[2], dp.sr_bits).astype(np.int64), shape)


def matmul_exact(a: Any, b: Any, c: Any = None, *, fmt_a: Any, fmt_b: Any = None, acc_fmt: Any = "float32",
                 datapath: Any, lfsr_seed: Any = 1, rand: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """``C + A @ B`` through ``datapath``, as :func:`refmodel.gemm.matmul` (same arguments and results).

    Returns:
        ``(codes, flags)``: int64 codes of ``acc_fmt`` and uint8 flags, both (M, N).
    """
    fa = _operand_format(fmt_a, "operand a")
    fb = _operand_format(fmt_a if fmt_b is None else fmt_b, "operand b")
    fc = _acc_format(acc_fmt)
    dp = check_datapath(datapath, fc)
    a, b = np.asarray(a).astype(np.int64), np.asarray(b).astype(np.int64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0] or a.shape[1] == 0:
        raise ValueError(f"matmul_exact needs A (M, K) and B (K, N) with K >= 1, got {a.shape} and {b.shape}")
    m, k = a.shape
    n = b.shape[1]
    cc = _c_codes(c, fc, m, n)
    words = _sr_words(dp, (m, n, k) if isinstance(dp, FmaChain) else (m, n), lfsr_seed, rand)
    codes, flags = np.zeros((m, n), np.int64), np.zeros((m, n), np.uint8)
    if isinstance(dp, FmaChain):
        for i in range(m):
            for j in range(n):
                kw = {"sr_bits": dp.sr_bits, "rands": words[i, j].tolist()} if words is not None else {}
                out, fl = mac_exact(a[i].tolist(), b[:, j].tolist(), fa, fb, fc, int(cc[i, j]), dp.rounding,
                                    saturate=dp.saturate, **kw)
                codes[i, j], flags[i, j] = out[-1], fl[-1]
        return codes, flags
    ta = [[_element(x, fa) for x in row] for row in a.tolist()]
    tb = [[_element(x, fb) for x in col] for col in b.T.tolist()]
    for i in range(m):
        for j in range(n):
            prods = [_product(x, y) for x, y in zip(ta[i], tb[j])]
            r = None if words is None else int(words[i, j])
            codes[i, j], flags[i, j] = _output(int(cc[i, j]), prods, fc, dp, r)
    return codes, flags


def matmul_mx_exact(a: MxArray, b: MxArray, c: Any = None, *, acc_fmt: Any = "float32",
                    datapath: Any) -> tuple[np.ndarray, np.ndarray]:
    """``C + A @ B`` of block-scaled operands, as :func:`refmodel.gemm.matmul_mx` (exact, fused_dot,
    two_stage_dot and promote datapaths, deterministic modes).

    Returns:
        ``(codes, flags)``: int64 codes of ``acc_fmt`` and uint8 flags, both (M, N).
    """
    if not isinstance(a, MxArray) or not isinstance(b, MxArray) or len(a.shape) != 2 or len(b.shape) != 2 \
            or a.axis != 1 or b.axis != 0 or a.shape[1] != b.shape[0] or a.block != b.block:
        raise ValueError("matmul_mx_exact needs MxArrays A (M, K) blocked along axis 1 and B (K, N) along axis 0, "
                         "one block size")
    fc = _acc_format(acc_fmt)
    dp = check_datapath(datapath, fc)
    if isinstance(dp, FmaChain) or getattr(dp, "rounding", None) is RoundingMode.SR:
        raise ValueError("matmul_mx_exact runs exact, fused_dot and promote datapaths without sr")
    m, k = a.shape
    n = b.shape[1]
    cc = _c_codes(c, fc, m, n)
    ea, eb = np.asarray(a.elements).astype(np.int64), np.asarray(b.elements).astype(np.int64)
    sa, sb = np.asarray(a.scales).astype(np.int64), np.asarray(b.scales).astype(np.int64)
    ta = [[_mx_element(ea[i, x], sa[i, x // a.block], a.mx_type) for x in range(k)] for i in range(m)]
    tb = [[_mx_element(eb[x, j], sb[x // b.block, j], b.mx_type) for x in range(k)] for j in range(n)]
    codes, flags = np.zeros((m, n), np.int64), np.zeros((m, n), np.uint8)
    for i in range(m):
        for j in range(n):
            prods = [_product(x, y) for x, y in zip(ta[i], tb[j])]
            codes[i, j], flags[i, j] = _output(int(cc[i, j]), prods, fc, dp, None)
    return codes, flags
