"""Bit-exact GEMMs through a datapath: ``D = C + A @ B`` as an accelerator computes it (docs/gemm.md).

:func:`matmul` takes operand codes, :func:`matmul_mx` block-scaled ``MxArray`` operands; both return the
output codes in the accumulator format and the IEEE flags per output.  The datapaths are those of
:mod:`refmodel.datapath`; :mod:`refmodel.oracle.gemm` defines each one output at a time and the tests
compare the two.

How the fast paths work:

* ``Exact``: every finite element is an integer times a power of two.  Each operand is cut, per row
  of A and per column of B, into *bands* of exponents so that a band's elements are integers below
  ``2**W``; float64 matrix products of band pairs over runs of K are then exact (``W_a + W_b +
  log2(run) <= 53``, error-free splitting as in the Ozaki scheme).  The partial products, each with
  one weight, are summed exactly in 30-bit integer limbs per output (C joins as bands of its own),
  and the exact sum is rounded once.  One band pair and one run (E4M3, FP6, FP4, INT8, MX with
  similar scales, E5M2 of a narrow range) is one BLAS call; E5M2 over its whole range needs two bands
  per side.  Plain codes and E8M0-scaled float elements without Inf take compiled kernels that read
  per-code tables (the block scale a per-block shift) and write the bands directly (and, for float32
  rne without C, round through float64's conversion to float32); Infs, MXINT8 and NVFP4 take the
  field route.
* ``FusedDot``: a compiled kernel (:mod:`refmodel.gemm_kernels`), one output at a time, in parallel
  over the rows of A; memory: the operands' integer fields (about 26 bytes per element) and the
  output fields, never an M x N x K array.
* ``TwoStageDot``: the same, with :func:`refmodel.gemm_kernels.two_stage_dot`.
* ``FmaChain``: a compiled kernel, one output at a time (in parallel over the rows of A), K fused
  multiply-adds each rounded by ``arith.fma``'s rules; per-code tables give the operands' fields.
* ``Promote``: the inner datapath over each run of K, each partial added by the same rounded addition.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import numpy as np

from . import arith
from .codec import check_codes, code_dtype, signalling_nan, unpack
from .datapath import Exact, FmaChain, FusedDot, Promote, TwoStageDot, check_datapath
from .encodings import CodeClass, Flag, RoundingMode, Specials
from .formats import Format, get_format
from .mx import MxArray, get_mx_type
from .rounding import EncodeOptions, bit_length, ieee_flags, round_finite, tiny_after_rounding

__all__ = ["matmul", "matmul_mx"]

_U64 = np.uint64
F32 = get_format("float32")
_RNE_F32 = EncodeOptions(F32, RoundingMode.RNE, False, "canonical")
_NV = int(Flag.NV)
_LIMB = 30
_MASK = (1 << _LIMB) - 1
# kernel classes (refmodel.gemm_kernels): finite nonzero, zero, infinite, NaN
_FINITE, _ZERO, _INF, _NAN = 0, 1, 2, 3


class _Fields(NamedTuple):
    """One operand's elements with K last: ``value = (-1)**neg * sig * 2**lsb`` (scales folded in)."""

    neg: np.ndarray  # bool
    sig: np.ndarray  # int64
    lsb: np.ndarray  # int64
    exp: np.ndarray  # int64: the alignment exponent of FusedDot
    cls: np.ndarray  # int8: _FINITE, _ZERO, _INF, _NAN
    bad: np.ndarray  # bool: a signalling-NaN element (NV)
    live: np.ndarray  # bool: grouped FusedDot terms: the block scale is nonzero


def _classes(cls: np.ndarray) -> np.ndarray:
    out = np.full(cls.shape, _FINITE, np.int8)
    out[cls == CodeClass.ZERO] = _ZERO
    out[cls == CodeClass.INF] = _INF
    out[cls == CodeClass.NAN] = _NAN
    return out


def _code_fields(codes: np.ndarray, fmt: Format) -> _Fields:
    u = unpack(codes, fmt)
    cls = _classes(u.cls)
    finite = cls == _FINITE
    return _Fields(u.neg & (cls != _NAN), np.where(finite, u.sig, 0).astype(np.int64),
                   np.where(finite, u.exp - fmt.man_bits, 0), u.exp.astype(np.int64), cls,
                   signalling_nan(codes, fmt), np.ones(codes.shape, bool))


def _mx_fields(m: MxArray, k: int, grouped: bool) -> _Fields:
    """The elements of an MxArray with the blocked axis last (first ``k`` elements), scales folded in."""
    t = get_mx_type(m.mx_type)
    codes = np.moveaxis(m.elements, m.axis, -1)[..., :k]
    scales = np.repeat(np.moveaxis(m.scales, m.axis, -1), m.block, axis=-1)[..., :k]
    if t.element is None:
        v = codes.view(np.int8).astype(np.int64)
        cls = np.where(v == 0, _ZERO, _FINITE).astype(np.int8)
        top = np.where(v == 0, 0, bit_length(np.abs(v).astype(_U64)).astype(np.int64) - 1)
        e = _Fields(v < 0, np.abs(v), np.full(v.shape, -6, np.int64), top - 6, cls, np.zeros(v.shape, bool), None)
    else:
        e = _code_fields(codes, t.element)
    if t.tensor_scaled:
        us = unpack(scales, t.scale)
        s_sig, s_lsb, s_exp = us.sig.astype(np.int64), us.exp - t.scale.man_bits, us.exp.astype(np.int64)
        s_nan, s_zero = us.cls == CodeClass.NAN, us.cls == CodeClass.ZERO
    else:
        s_exp = scales.astype(np.int64) - 127
        s_sig, s_lsb = np.ones(scales.shape, np.int64), s_exp
        s_nan, s_zero = scales == 0xFF, np.zeros(scales.shape, bool)
    cls = np.where(s_zero & (e.cls == _FINITE), _ZERO, e.cls)
    cls = np.where(s_nan, _NAN, cls).astype(np.int8)
    finite = cls == _FINITE
    return _Fields(e.neg & (cls != _NAN), np.where(finite, e.sig * s_sig, 0), np.where(finite, e.lsb + s_lsb, 0),
                   s_exp if grouped else e.exp + s_exp, cls, e.bad, ~(s_nan | s_zero))


# ----------------------------------------------------------------------------- entry points
def matmul(a: Any, b: Any, c: Any = None, *, fmt_a: Any, fmt_b: Any = None, acc_fmt: Any = "float32",
           datapath: Any, lfsr_seed: Any = 1, rand: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """``C + A @ B`` through ``datapath``: A (M, K) codes of ``fmt_a``, B (K, N) of ``fmt_b``.

    Args:
        c: (M, N) codes of ``acc_fmt``, or None for +0.
        datapath: an :class:`~refmodel.datapath.Exact`, :class:`~refmodel.datapath.FmaChain`,
            :class:`~refmodel.datapath.FusedDot`, :class:`~refmodel.datapath.TwoStageDot` or
            :class:`~refmodel.datapath.Promote`
            (``refmodel.presets.PRESETS[name].datapath`` for a named one).
        lfsr_seed, rand: sr only (Exact: word ``m * N + n`` of one LFSR stream, ``rand`` of shape
            (M, N); FmaChain: step k of every output uses word k, ``rand`` of shape (M, N, K)).

    Returns:
        ``(codes (M, N) in acc_fmt's code dtype, flags (M, N) uint8)``.

    Raises:
        ValueError: shapes that do not fit, codes out of range, an accumulator the datapath cannot
            produce, bad sr arguments, a datapath that is not one.
    """
    fa = arith.operand_format(fmt_a)
    fb = fa if fmt_b is None else arith.operand_format(fmt_b)
    fc = arith.accumulator_format(acc_fmt)
    dp = check_datapath(datapath, fc)
    a_arr, b_arr = check_codes(a, fa), check_codes(b, fb)
    m, k, n = _shape(a_arr.shape, b_arr.shape)
    c_arr = _c_codes(c, fc, m, n)
    if isinstance(dp, FmaChain):
        return _fma_chain(a_arr, b_arr, c_arr, fa, fb, fc, dp, lfsr_seed, rand)
    if rand is not None and not (isinstance(dp, Exact) and dp.rounding is RoundingMode.SR):
        raise ValueError("rand is only used by an sr datapath")
    if isinstance(dp, Exact):
        fast = _exact_codes(a_arr, b_arr, c_arr, fa, fb, fc, dp, lfsr_seed, rand)
        if fast is not None:
            return fast
    fields = (_code_fields(a_arr.astype(np.int64), fa), _code_fields(b_arr.T.astype(np.int64), fb))
    return _run(dp, fields, c_arr, fc, lfsr_seed, rand)


def matmul_mx(a: MxArray, b: MxArray, c: Any = None, *, acc_fmt: Any = "float32",
              datapath: Any) -> tuple[np.ndarray, np.ndarray]:
    """:func:`matmul` of block-scaled operands: A (M, K) blocked along axis 1, B (K, N) along axis 0.

    Every product is scaled by both blocks' scales (E8M0, or NVFP4's E4M3/UE5M3 block scale; the
    NVFP4 tensor scale is not applied: it belongs to the kernel's epilogue).  Exact, FusedDot,
    TwoStageDot and Promote datapaths; FmaChain and sr are refused.

    Raises:
        ValueError: as :func:`matmul`, operands that are not so blocked, different block sizes,
            MXINT8 through a fused dot, a group that straddles two blocks.
    """
    if not isinstance(a, MxArray) or not isinstance(b, MxArray):
        raise ValueError(f"matmul_mx takes two MxArrays, got {type(a).__name__} and {type(b).__name__}")
    if len(a.shape) != 2 or len(b.shape) != 2 or a.axis != 1 or b.axis != 0:
        raise ValueError(f"matmul_mx needs A (M, K) blocked along axis 1 and B (K, N) along axis 0, "
                         f"got {a.shape} (axis {a.axis}) and {b.shape} (axis {b.axis})")
    if a.block != b.block:
        raise ValueError(f"block sizes differ: {a.block} and {b.block}")
    fc = arith.accumulator_format(acc_fmt)
    dp = check_datapath(datapath, fc)
    m, k, n = _shape(a.shape, b.shape)
    inner = dp.inner if isinstance(dp, Promote) else dp
    if isinstance(inner, FmaChain) or getattr(inner, "rounding", None) is RoundingMode.SR:
        raise ValueError("matmul_mx runs exact, fused_dot and promote datapaths without sr")
    grouped = isinstance(inner, FusedDot) and inner.group > 1
    if isinstance(inner, (FusedDot, TwoStageDot)):
        for x in (a, b):
            if get_mx_type(x.mx_type).element is None:
                raise ValueError(f"a fused dot takes floating-point elements, not {x.mx_type}")
        if grouped and a.block % inner.group:
            raise ValueError(f"group {inner.group} does not divide the block size {a.block}")
    c_arr = _c_codes(c, fc, m, n)
    ta, tb = get_mx_type(a.mx_type), get_mx_type(b.mx_type)
    if isinstance(dp, Exact) and ta.element is not None and tb.element is not None and not ta.tensor_scaled \
            and not tb.tensor_scaled:
        from .gemm_kernels import NAN_SCALE

        def shift(scales):
            s = scales.astype(np.int64)
            return np.where(s == 0xFF, NAN_SCALE, s - 127)

        fast = _exact_codes(np.ascontiguousarray(a.elements[:, :k]), np.ascontiguousarray(b.elements[:k]), c_arr,
                            ta.element, tb.element, fc, dp, 1, None, (shift(a.scales), shift(b.scales), a.block))
        if fast is not None:
            return fast
    fields = (_mx_fields(a, k, grouped), _mx_fields(b, k, grouped))
    return _run(dp, fields, c_arr, fc, 1, None)


def _shape(sa: tuple, sb: tuple) -> tuple[int, int, int]:
    if len(sa) != 2 or len(sb) != 2 or sa[1] != sb[0] or sa[1] == 0:
        raise ValueError(f"matmul needs A (M, K) and B (K, N) with K >= 1, got shapes {sa} and {sb}")
    return sa[0], sa[1], sb[1]


def _c_codes(c: Any, fc: Format, m: int, n: int) -> np.ndarray:
    if c is None:
        return np.zeros((m, n), np.int64)
    arr = check_codes(c, fc)
    if arr.shape != (m, n):
        raise ValueError(f"C must have the output shape {(m, n)}, got {arr.shape}")
    return arr.astype(np.int64)


def _run(dp, fields, c_arr, fc, lfsr_seed, rand):
    fa, fb = fields
    if isinstance(dp, Exact):
        return _exact(fa, fb, c_arr, fc, dp, lfsr_seed, rand)
    if isinstance(dp, (FusedDot, TwoStageDot)):
        return _fused_dot(fa, fb, c_arr, fc, dp)
    return _promote(fa, fb, c_arr, fc, dp)


# ----------------------------------------------------------------------------- fma_chain
def _fma_chain(a, b, c, fa, fb, fc, dp: FmaChain, lfsr_seed, rand):
    """Every output's chain of FMAs in a compiled kernel (arith.fma's rules, one step of K after another;
    the kernel holds accumulators of up to 29 fraction bits, float32 being the widest there is)."""
    from . import gemm_kernels as kern

    m, k = a.shape
    n = b.shape[1]
    opts = arith._sr_options(fc, dp.rounding, dp.sr_bits, dp.saturate)
    r_bits = 0
    if opts.mode is RoundingMode.SR:
        from .codec import random_integers
        from .lfsr import check_seed, draws

        r_bits = int(opts.sr_bits)
        if rand is None:  # one stream for every output: row 0
            rand = draws(check_seed(lfsr_seed, "lfsr_seed"), k, r_bits).astype(np.int64).reshape(1, k)
        else:
            rand = random_integers(rand, None, (m, n, k), r_bits).astype(np.int64).reshape(m * n, k)
    elif rand is not None:
        raise ValueError(f"rand is only used with rounding='sr', not {opts.mode.label!r}")
    else:
        rand = np.zeros((1, 1), np.int64)
    uc = unpack(c, fc)
    c_cls = _classes(uc.cls)
    c_fin = c_cls == _FINITE
    outs = kern.empty_outputs(m, n)
    kern.fma_chain(np.ascontiguousarray(a), np.ascontiguousarray(b.T), *_tables(fa), *_tables(fb),
                   uc.neg & (c_cls != _NAN), np.where(c_fin, uc.sig, 0).astype(np.int64),
                   np.where(c_fin, uc.exp - fc.man_bits, 0).astype(np.int64), c_cls, signalling_nan(c, fc),
                   np.ascontiguousarray(rand), fc.emin, fc.emax, fc.man_bits, int(opts.mode), r_bits,
                   bool(dp.saturate), *outs)
    o_neg, o_sig, o_lsb, o_cls, o_flags = outs
    exact = EncodeOptions(fc, RoundingMode.RTZ, False, "canonical")
    code = round_finite(o_neg.reshape(-1), o_sig.reshape(-1).astype(_U64), o_lsb.reshape(-1), exact).code.reshape(m, n)
    sign = np.where(o_neg, _U64(fc.sign_mask), _U64(0))
    code = np.select([o_cls == _NAN, o_cls == _INF, o_cls == _ZERO],
                     [_U64(fc.nan_code(False)), _U64(fc.inf_codes[0]) | sign, sign], code)
    return code.astype(code_dtype(fc)), o_flags


# ----------------------------------------------------------------------------- promote
def _promote(fa: _Fields, fb: _Fields, c_arr, fc: Format, dp: Promote):
    k = fa.sig.shape[1]
    opts = EncodeOptions(fc, dp.rounding, False, "canonical")
    acc = c_arr.reshape(-1)
    flags = np.zeros(acc.size, np.uint8)
    zero = np.zeros((fa.sig.shape[0], fb.sig.shape[0]), np.int64)
    for k0 in range(0, k, dp.every):
        run = slice(k0, min(k0 + dp.every, k))
        part, f = _run(dp.inner, (_Fields(*(x[:, run] for x in fa)), _Fields(*(x[:, run] for x in fb))), zero, fc,
                       1, None)
        p = unpack(part.reshape(-1), fc)
        code, g = arith.add_rounded(acc, p.neg, p.sig, p.exp - fc.man_bits, p.cls, np.zeros(acc.size, bool), opts)
        flags |= f.reshape(-1) | g
        acc = code.astype(np.int64)
    return acc.astype(code_dtype(fc)).reshape(c_arr.shape), flags.reshape(c_arr.shape)


# ----------------------------------------------------------------------------- fused_dot
def _fused_dot(fa: _Fields, fb: _Fields, c_arr, fc: Format, dp: FusedDot | TwoStageDot):
    from . import gemm_kernels as kern

    m, n = fa.sig.shape[0], fb.sig.shape[0]
    _check_width(fa, fb, dp)
    uc = unpack(c_arr, fc)
    c_cls = _classes(uc.cls)
    c_fin = c_cls == _FINITE
    s = dp.step_fmt
    outs = kern.empty_outputs(m, n)
    acc = (uc.neg & (c_cls != _NAN), np.where(c_fin, uc.sig, 0).astype(np.int64),
           np.where(c_fin, uc.exp - fc.man_bits, 0).astype(np.int64), c_cls, signalling_nan(c_arr, fc))
    out_fmt = (s.emin, s.emax, s.man_bits, int(dp.rounding), fc.emin)
    ops = (kern.pack(*fa), kern.pack(*fb), (fa.cls >= _INF).any(axis=1), (fb.cls >= _INF).any(axis=1))
    if isinstance(dp, TwoStageDot):
        kern.two_stage_dot(*ops, *acc, dp.lanes, dp.ways, dp.frac_bits, dp.sum_bits,
                           dp.drop_c, *out_fmt, *outs)
    else:
        kern.fused_dot(*ops, *acc, dp.lanes, dp.frac_bits, dp.group,
                       dp.zero_exp is not None, dp.zero_exp or 0, *out_fmt, *outs)
    o_neg, o_sig, o_lsb, o_cls, o_flags = outs
    exact = EncodeOptions(fc, RoundingMode.RTZ, False, "canonical")
    code = round_finite(o_neg.reshape(-1), o_sig.reshape(-1).astype(_U64), o_lsb.reshape(-1), exact).code
    code = code.reshape(m, n)
    nan = _nan_code(fc, dp.nan)
    sign = np.where(o_neg, _U64(fc.sign_mask), _U64(0))
    code = np.select([o_cls == _NAN, o_cls == _INF, o_cls == _ZERO], [_U64(nan), _U64(fc.inf_codes[0]) | sign, sign],
                     code)
    return code.astype(code_dtype(fc)), o_flags


def _nan_code(fc: Format, style: str) -> int:
    if style == "all-ones":
        return ((1 << fc.exp_bits) - 1) << fc.man_bits | ((1 << fc.man_bits) - 1)
    return fc.nan_code(False)


def _check_width(fa: _Fields, fb: _Fields, dp: FusedDot | TwoStageDot) -> None:
    """Refuses a datapath whose step sums could leave the kernel's int64 (frac_bits or sum_bits too wide)."""
    def span(f: _Fields) -> int:  # how far above its alignment exponent an element's value reaches
        live = f.cls == _FINITE
        if not live.any():
            return 0
        return int((f.lsb + bit_length(f.sig.astype(_U64)).astype(np.int64) - f.exp)[live].max())

    lanes = int(np.ceil(np.log2(dp.lanes + 1)))
    if isinstance(dp, TwoStageDot):
        bits = max(dp.frac_bits, dp.sum_bits + 1) + span(fa) + span(fb) + lanes + 2
    else:
        bits = dp.frac_bits + span(fa) + span(fb) + int(np.ceil(np.log2(dp.group))) + lanes
    if bits > 62:
        raise ValueError(f"{dp.kind} with these widths needs {bits}-bit step sums for these operands; the fast path "
                         "holds 62 (refmodel.oracle.gemm takes any width)")


# ----------------------------------------------------------------------------- exact
class _Specials(NamedTuple):
    """Per output (flat): what the non-finite addends decide, as arith.dot's rules."""

    nan: np.ndarray
    inf: np.ndarray
    inf_neg: np.ndarray
    invalid: np.ndarray


def _exact_specials(fa: _Fields, fb: _Fields, uc, c_snan) -> _Specials:
    """NaN, Inf and NV of every output from the operands' classes (matrix products of indicators)."""
    m, n = fa.cls.shape[0], fb.cls.shape[0]
    nan = fa.cls.__eq__(_NAN).any(axis=1)[:, None] | fb.cls.__eq__(_NAN).any(axis=1)[None, :]
    bad = fa.bad.any(axis=1)[:, None] | fb.bad.any(axis=1)[None, :]
    pos = np.zeros((m, n), bool)
    neg = np.zeros((m, n), bool)
    clash = np.zeros((m, n), bool)
    a_inf, b_inf = fa.cls == _INF, fb.cls == _INF
    if a_inf.any() or b_inf.any():
        def hits(x, y):  # any k with x[m, k] and y[n, k]
            return (x.astype(np.float64) @ y.astype(np.float64).T) > 0

        a_zero, b_zero = fa.cls == _ZERO, fb.cls == _ZERO
        clash = hits(a_inf, b_zero) | hits(a_zero, b_inf)
        a_on, b_on = (fa.cls == _INF) | (fa.cls == _FINITE), (fb.cls == _INF) | (fb.cls == _FINITE)
        for sa in (False, True):
            for sb in (False, True):
                x_inf, y_on = a_inf & (fa.neg == sa), b_on & (fb.neg == sb)
                x_on, y_inf = a_on & (fa.neg == sa), b_inf & (fb.neg == sb)
                hit = hits(x_inf, y_on) | hits(x_on, y_inf)
                if sa != sb:
                    neg |= hit
                else:
                    pos |= hit
    c_inf = uc.cls.reshape(m, n) == CodeClass.INF
    c_neg = uc.neg.reshape(m, n)
    pos |= c_inf & ~c_neg
    neg |= c_inf & c_neg
    nan |= uc.cls.reshape(m, n) == CodeClass.NAN
    invalid = bad | clash | (pos & neg) | c_snan.reshape(m, n)
    nan |= clash | (pos & neg) | invalid
    inf = ~nan & (pos | neg)
    return _Specials(nan.reshape(-1), inf.reshape(-1), neg.reshape(-1), invalid.reshape(-1))


def _row_base(f: _Fields) -> np.ndarray:
    """Per row, the lowest LSB exponent of a finite nonzero element (0 for a row without one)."""
    live = f.cls == _FINITE
    lsb = np.where(live, f.lsb, np.iinfo(np.int64).max).min(axis=1, initial=np.iinfo(np.int64).max)
    return np.where(live.any(axis=1), lsb, 0)


def _band_count(reach: int, width: int, p: int) -> int:
    """Bands of :func:`_bands` for tops up to ``reach - 1`` above the row base."""
    return 1 if reach <= width else 1 + -(-(reach - width) // (width - p + 1))


def _bands(f: _Fields, width: int, base: np.ndarray):
    """Split each row into integer bands below ``2**width``: ``[(weight over the row base, float64 matrix)]``.

    Band 0 holds the elements whose top bit lies less than ``width`` above the row base (their LSB is
    at or above it); band ``b >= 1`` those with tops in the next ``width - p + 1`` binades, weighted from
    ``p - 1`` below its first top (``p``: the widest significand).
    """
    live = f.cls == _FINITE
    bl = bit_length(f.sig.astype(_U64)).astype(np.int64)
    p = int(bl.max(initial=1))
    rel = f.lsb + bl - 1 - base[:, None]
    span = width - p + 1
    idx = np.where(live, np.where(rel < width, 0, 1 + (rel - width) // span), -1)
    out = []
    for band in np.unique(idx[idx >= 0]).tolist():
        off = 0 if band == 0 else width + (band - 1) * span - (p - 1)
        sel = idx == band
        vals = np.where(sel, f.sig << np.where(sel, f.lsb - base[:, None] - off, 0), 0)
        out.append((off, np.where(f.neg, -vals, vals).astype(np.float64)))
    return out


def _widths(fa: _Fields, fb: _Fields, k: int) -> tuple[int, int, int]:
    """Band widths and the run of K for the exact products of two operands' fields."""
    def need(f: _Fields) -> tuple[int, int]:
        live = f.cls == _FINITE
        if not live.any():
            return 1, 1
        bl = bit_length(f.sig.astype(_U64)).astype(np.int64)
        lsb = np.where(live, f.lsb, np.iinfo(np.int64).max).min(axis=1)
        top = np.where(live, f.lsb + bl - 1, np.iinfo(np.int64).min).max(axis=1)
        rows = live.any(axis=1)
        return int((top - lsb)[rows].max()) + 1, int(bl.max())

    return _choose_widths(*need(fa), *need(fb), k)


def _choose_widths(ra: int, pa: int, rb: int, pb: int, k: int) -> tuple[int, int, int]:
    """Band widths and the run of K: the fewest band pairs, then the longest run (``ra``: the widest
    row's reach, ``pa`` the widest significand; the same of B's columns)."""
    best = None
    for run_bits in range(0, 32):
        room = 53 - run_bits
        for wa in range(pa, room - pb + 1):
            wb = room - wa
            pairs = _band_count(ra, wa, pa) * _band_count(rb, wb, pb)
            runs = -(-k // (1 << run_bits))
            cost = (pairs, runs)
            if best is None or cost < best[0]:
                best = (cost, wa, wb, 1 << run_bits)
        if (1 << run_bits) >= k:
            break
    return best[1], best[2], best[3]


def _exact(fa: _Fields, fb: _Fields, c_arr, fc: Format, dp: Exact, lfsr_seed, rand):
    m, k = fa.sig.shape
    uc, c_snan = _unpack_acc(c_arr, fc)
    spec = _exact_specials(fa, fb, uc, c_snan)
    wa, wb, run = _widths(fa, fb, k)
    base_a, base_b = _row_base(fa), _row_base(fb)
    terms = []  # (weight over base_a[m] + base_b[n], float64 exact integer matrix (M, N))
    for k0 in range(0, k, run):
        sl = slice(k0, k0 + run)
        bands_b = _bands(_Fields(*(x[:, sl] for x in fb)), wb, base_b)
        for oa, xa in _bands(_Fields(*(x[:, sl] for x in fa)), wa, base_a):
            terms.extend((oa + ob, xa @ xb.T) for ob, xb in bands_b)
    signs = (lambda rows: fa.neg[rows], lambda cols: fb.neg[cols])
    return _exact_round(terms, base_a, base_b, uc, spec, fc, dp, lfsr_seed, rand, signs)


def _unpack_acc(c_arr: np.ndarray, fc: Format):
    """The accumulator codes unpacked (flat) and their signalling NaNs; C = +0 everywhere costs nothing."""
    flat = c_arr.reshape(-1)
    if not flat.any():
        zero = unpack(np.zeros(1, np.int64), fc)
        return type(zero)(*(np.broadcast_to(x, flat.shape) for x in zero)), np.zeros(flat.shape, bool)
    return unpack(flat, fc), signalling_nan(flat, fc)


@functools.lru_cache(maxsize=None)
def _tables(fmt: Format):
    """Every code's fields (sig, lsb, neg, class, signalling NaN) of an operand format of <= 16 bits."""
    f = _code_fields(np.arange(fmt.code_count, dtype=np.int64), fmt)
    return f.sig, f.lsb.astype(np.int64), f.neg, f.cls, f.bad


def _exact_codes(a, b, c_arr, fa: Format, fb: Format, fc: Format, dp: Exact, lfsr_seed, rand, shifts=None):
    """:func:`_exact` of element codes, its bands built by kernels from per-code tables (one band pair and
    one run for E4M3, FP6, FP4: one float64 matrix product); ``shifts``: the E8M0 block exponents of A
    (M, blocks) and B (blocks, N) and the block size, for MX operands.  None when an element is infinite
    (the field route decides Inf * 0 and Inf - Inf)."""
    from . import gemm_kernels as kern

    k = a.shape[1]
    bt = np.ascontiguousarray(b.T)
    if shifts is None:
        sa, sb, block = np.zeros((a.shape[0], 1), np.int64), np.zeros((bt.shape[0], 1), np.int64), k
    else:
        sa, sb, block = shifts[0], np.ascontiguousarray(shifts[1].T), shifts[2]
    ops = ((a, _tables(fa), sa), (bt, _tables(fb), sb))
    stats = []
    for codes, (sig, lsb, _, cls, bad), sh in ops:
        rows = codes.shape[0]
        base, reach, kinds = np.zeros(rows, np.int64), np.zeros(rows, np.int64), np.zeros(rows, np.uint8)
        kern.row_stats(codes, sig, lsb, cls, bad, sh, block, base, reach, kinds)
        stats.append((base, reach, kinds))
    (base_a, reach_a, kind_a), (base_b, reach_b, kind_b) = stats
    if (np.bitwise_or.reduce(kind_a, initial=0) | np.bitwise_or.reduce(kind_b, initial=0)) & 2:
        return None
    ra, rb = max(int(reach_a.max(initial=0)), 1), max(int(reach_b.max(initial=0)), 1)
    pa, pb = fa.man_bits + 1, fb.man_bits + 1
    wa, wb, run = _choose_widths(ra, pa, rb, pb, k)
    bands = []
    for (codes, (sig, lsb, neg, cls, _), sh), base, reach, p, w in zip(ops, (base_a, base_b), (ra, rb), (pa, pb),
                                                                    (wa, wb)):
        out = []
        for band in range(_band_count(reach, w, p)):
            x, found = np.empty(codes.shape), np.zeros(codes.shape[0], bool)
            kern.band_values(codes, sig, lsb, neg, cls, sh, block, base, w, w - p + 1, p, band, x, found)
            if found.any():
                out.append((0 if band == 0 else w + (band - 1) * (w - p + 1) - (p - 1), x))
        bands.append(out)
    terms = [(oa + ob, xa[:, k0:k0 + run] @ xb[:, k0:k0 + run].T)
             for k0 in range(0, k, run) for oa, xa in bands[0] for ob, xb in bands[1]]
    uc, c_snan = _unpack_acc(c_arr, fc)
    nan = (kind_a & 1).astype(bool)[:, None] | (kind_b & 1).astype(bool)[None, :]
    invalid = (kind_a & 4).astype(bool)[:, None] | (kind_b & 4).astype(bool)[None, :]
    nan = nan.reshape(-1) | (uc.cls == CodeClass.NAN) | c_snan
    invalid = invalid.reshape(-1) | c_snan
    c_inf = uc.cls == CodeClass.INF
    spec = _Specials(nan, c_inf & ~nan, uc.neg & c_inf, invalid)
    neg_a, neg_b = _tables(fa)[2], _tables(fb)[2]
    signs = (lambda rows: neg_a[a[rows]], lambda cols: neg_b[bt[cols]])
    return _exact_round(terms, base_a, base_b, uc, spec, fc, dp, lfsr_seed, rand, signs)


def _exact_round(terms, base_a, base_b, uc, spec: _Specials, fc: Format, dp: Exact, lfsr_seed, rand, signs):
    """C plus the exact terms ``t * 2**(base_a[m] + base_b[n] + w)``, rounded once, the specials applied;
    ``signs`` gives the element signs of rows of A and of columns of B (K last), read only for outputs
    whose exact sum is zero."""
    m, n = base_a.size, base_b.size
    opts = arith._sr_options(fc, dp.rounding, dp.sr_bits, dp.saturate)
    r = None
    if opts.mode is RoundingMode.SR:
        from .codec import random_integers
        from .lfsr import check_seed, draws

        if rand is None:
            rand = draws(check_seed(lfsr_seed, "lfsr_seed"), m * n, int(opts.sr_bits)).reshape(m, n)
        r = random_integers(rand, None, (m, n), int(opts.sr_bits)).reshape(-1)
    if fc == F32 and opts == _RNE_F32 and len(terms) == 1 and terms[0][0] == 0 and not (uc.sig != 0).any() \
            and max(np.abs(base_a).max(initial=0), np.abs(base_b).max(initial=0)) <= 400:
        code, flags, zero = _float32_rne(terms[0][1], base_a, base_b)
    else:
        neg, sig, exp = _exact_sum(terms, uc, fc, (base_a[:, None] + base_b[None, :]).reshape(-1))
        rounded = round_finite(neg, sig, exp, opts, r)
        code = rounded.code
        flags = ieee_flags(rounded, tiny_after_rounding(neg, sig, exp, rounded, opts))
        zero = sig == 0
    if zero.any():
        code = np.where(zero, _zero_codes(signs, n, uc, fc, opts, zero).astype(code.dtype), code)
    code = code.astype(code_dtype(fc), copy=False)
    special = spec.nan | spec.inf
    if special.any():
        inf_code = fc.inf_codes[0] | np.where(spec.inf_neg, fc.sign_mask, 0)
        code = np.where(spec.nan, fc.nan_code(False), np.where(spec.inf, inf_code, code)).astype(code.dtype)
        flags = np.where(special, 0, flags)
    flags = flags.astype(np.uint8, copy=False)
    if spec.invalid.any():
        flags = flags | (spec.invalid * _NV).astype(np.uint8)
    return code.reshape(m, n), flags.reshape(m, n)


_TINY_F32 = 2.0**-126 - 2.0**-151
"""Below this magnitude a float32 result is tiny after rounding (24 bits, unbounded exponent, rne)."""


def _float32_rne(t: np.ndarray, base_a: np.ndarray, base_b: np.ndarray):
    """``t[m, n] * 2**(base_a[m] + base_b[n])`` (exact integers below 2**53, bases within +-400, no C)
    rounded to float32 by the hardware's conversion: float64 holds every such value exactly, and its
    conversion to float32
    rounds once, to nearest even, with subnormals and overflow to Inf as IEEE 754 says; the flags follow
    from comparing the two.  Flat ``(codes, flags, zero)``."""
    from . import gemm_kernels as kern

    f, flags = np.empty(t.shape, np.float32), np.empty(t.shape, np.uint8)
    kern.float32_rne(t, base_a, base_b, _TINY_F32, f, flags)
    return f.view(np.uint32).reshape(-1), flags.reshape(-1), (t == 0).reshape(-1)


def _exact_sum(terms, uc, fc: Format, base: np.ndarray):
    """The exact sum of C and the terms ``t * 2**(base + w)`` per output, as ``(neg, sig < 2**63, exp)``.

    ``sig`` holds the top 62 bits and a sticky bit; ``sig == 0`` for an exact zero.
    """
    c_live = uc.sig != 0
    c_lsb = uc.exp - fc.man_bits
    if len(terms) <= 1:  # one exact integer per output (< 2**53): C joins by the exact two-term sum
        w, t = terms[0] if terms else (0, np.zeros(base.size))
        t = t.reshape(-1)
        return arith._add_exact(t < 0, np.abs(t).astype(_U64), base + w, uc.neg & c_live,
                                np.where(c_live, uc.sig, 0).astype(_U64), c_lsb)
    c_rel = np.where(c_live, c_lsb - base, 0)
    weights = [w for w, _ in terms]
    if c_live.any():
        weights += [int(c_rel[c_live].min()), int(c_rel[c_live].max())]
    lo = min(weights, default=0) - 2 * _LIMB
    nlimbs = (max(weights, default=0) + 64 - lo) // _LIMB + 3
    limbs = np.zeros((nlimbs, base.size), np.int64)
    for w, t in terms:
        _add_term(limbs, t.reshape(-1).astype(np.int64), w - lo)
    if c_live.any():
        c_sig = np.where(uc.neg, -uc.sig.astype(np.int64), uc.sig.astype(np.int64))
        _add_shifted(limbs, np.where(c_live, c_sig, 0), np.where(c_live, c_rel - lo, 0))
    from .gemm_kernels import limbs_to_fields

    neg, sig, exp = np.zeros(base.size, bool), np.zeros(base.size, np.int64), np.zeros(base.size, np.int64)
    limbs_to_fields(limbs, neg, sig, exp)
    return neg, sig.astype(_U64), exp + lo + base


def _add_term(limbs: np.ndarray, t: np.ndarray, shift: int) -> None:
    """``limbs += t * 2**shift`` (``|t| < 2**53``, one shift for all)."""
    q, r = divmod(shift, _LIMB)
    lo, hi = (t & _MASK) << r, (t >> _LIMB) << r
    limbs[q] += lo & _MASK
    limbs[q + 1] += (lo >> _LIMB) + (hi & _MASK)
    limbs[q + 2] += hi >> _LIMB


def _add_shifted(limbs: np.ndarray, t: np.ndarray, shift: np.ndarray) -> None:
    """``limbs += t * 2**shift`` with a shift per output (``|t| < 2**53``)."""
    q, r = np.divmod(shift, _LIMB)
    lo, hi = (t & _MASK) << r, (t >> _LIMB) << r
    cols = np.arange(t.size)
    np.add.at(limbs, (q, cols), lo & _MASK)
    np.add.at(limbs, (q + 1, cols), (lo >> _LIMB) + (hi & _MASK))
    np.add.at(limbs, (q + 2, cols), hi >> _LIMB)


def _zero_codes(signs, n: int, uc, fc: Format, opts: EncodeOptions, zero: np.ndarray):
    """The signed zero of outputs whose exact sum is zero (arith.dot's rules, C an addend); ``signs``:
    the element signs of given rows of A and columns of B (K last), ``n`` the number of columns.

    -0 iff every addend is -0 (rdn: iff any addend is negative); addends that cancel exactly have both
    signs, so the same two rules give +0 (rdn: -0) for them.
    """
    rdn = opts.mode is RoundingMode.RDN
    idx = np.flatnonzero(zero)
    full = np.zeros(zero.size, _U64)
    for start in range(0, idx.size, 1 << 12):
        part = idx[start:start + (1 << 12)]
        p_neg = signs[0](part // n) ^ signs[1](part % n)
        c_neg = uc.neg[part]
        neg_zero = (p_neg.any(axis=1) | c_neg) if rdn else (p_neg.all(axis=1) & c_neg)
        full[part] = np.where(neg_zero, _U64(fc.sign_mask), _U64(0))
    return full
