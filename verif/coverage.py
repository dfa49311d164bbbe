"""Functional coverage: the bins of each operation and the hits of a batch of applied vectors.

Coverage is sampled on the stimulus and the model's expected outputs (vectorised, from ``refmodel``),
so a bench pays one numpy pass per batch, not a Python call per vector. A bin is a string
``"<point>:<bin>"``; :func:`defined` gives every bin a configuration can reach, the ``sample_*``
functions count hits, and :func:`merge` / :func:`missed` combine the results of many runs.

Points (``op`` is ``mul``, ``fma``, ``mac``, ``int8_mac``, ``mx_dot``, ``dpa``, ``gemm_tile``):

- ``operands`` (mul, fma, mac): operand classes crossed, ``a=CLS,b=CLS`` (``,acc=CLS`` for fma/mac);
  only the classes a format has (no INF bins for float8_e4m3fn operands).
- ``result``: ``rm=MODE,res=CLS`` for every rounding mode run and result class (mx_dot: ``res=CLS``).
- ``flags``: ``rm=MODE,FLAG`` for NV, OF, UF, NX (mx_dot: ``FLAG``); DZ is never raised.
- ``sr``: ``away`` / ``toward``: an inexact sr result rounded away from zero or toward it.
- ``align``: exponent distance d = msb(product) - msb(acc) of finite non-zero terms:
  ``acc>>prod`` (d < -(M+2)), ``acc>prod``, ``equal`` (d = 0), ``prod>acc``, ``prod>>acc`` (d > M+2),
  M = accumulator mantissa bits.
- ``cancel``: opposite-signed finite non-zero terms, leading bits lost by the exact sum:
  ``exact`` (sum 0), ``0``, ``1``, ``2-7``, ``>=8``.
- ``edge``: rounded results at ``max_finite``, ``min_normal``, ``subnormal``, ``min_subnormal``,
  ``overflow`` (OF) and ``underflow_to_zero`` (UF with a zero result).
- int8_mac ``product``: ``neg``/``zero``/``pos``; ``acc``: ``min``/``max``/``other``;
  ``overflow``: ``sat=S,pos``/``sat=S,neg``/``sat=S,none``.
- mx_dot ``scale``: ``a=0x00``, ``a=0xFE``, ``a=0xFF`` (NaN), same for ``b``, ``a=other``, ``b=other``.
- dpa (one fused-dot step of ``fp8_dpa``): ``result:res=CLS``; ``flags:FLAG``; ``align:d=F-2`` ...
  ``align:d=F+2``, a live term (product or C) that many binades below the step's largest exponent;
  ``cancel:exact`` (live terms, a zero sum); ``edge:overflow``, ``edge:underflow_to_zero``; the mx_dot
  ``scale`` bins when scaled.  OF, UF and UF to zero are defined where the model reaches them on a
  witness row (``fp8kit.vectors.dpa.dpa_witnesses``).
- gemm_tile (whole GEMMs through ``gemm_tile``; ``config`` a :class:`verif.gemm_tile.jobs.TileConfig`):
  ``result:res=CLS`` and ``flags:FLAG`` over every output (as dpa: the directed tiles carry the unit's
  witness steps); ``steps:1``, ``steps:2-7``, ``steps:>=8`` (K steps per tile job), ``steps:short``
  (a zero-padded last step), ``c:loaded`` / ``c:zero`` (C rows loaded, or none: from +0),
  ``tile:partial`` (a tile reaching past M or N), ``drain:stall`` (a D row held with ready_i low),
  ``drain:stall_last`` (the last row held), ``drain:burst`` (a tile's ROWS >= 2 rows taken on
  consecutive cycles), ``input:bubble`` (no beat offered while the tile was ready) and ``input:wait``
  (a beat offered while it was not).  Each is defined where the run's shapes and settings reach it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from refmodel import arith
from refmodel.codec import classify, unpack
from refmodel.encodings import CodeClass, Flag, RoundingMode, Specials
from refmodel.formats import Format, get_format
from refmodel.rounding import bit_length
from fp8kit.vectors.codes import format_classes

__all__ = ["defined", "format_classes", "merge", "missed", "nan_codes", "sample_dpa", "sample_fma", "sample_gemm_tile",
           "sample_int8_mac", "sample_mac", "sample_mul", "sample_mx_dot"]

_FLAGS = (Flag.NV, Flag.OF, Flag.UF, Flag.NX)
_RESULT_CLASSES = tuple(CodeClass)
_ALIGN = ("acc>>prod", "acc>prod", "equal", "prod>acc", "prod>>acc")
_CANCEL = ("exact", "0", "1", "2-7", ">=8")
_EDGES = ("max_finite", "min_normal", "subnormal", "min_subnormal", "overflow", "underflow_to_zero")


def nan_codes(fmt, signalling: bool) -> np.ndarray:
    """NaN codes of ``fmt`` (both signs) whose quiet bit, the mantissa MSB of an ieee format, is clear
    (``signalling``) or set; fn/fnuz/none NaNs are quiet. Formats over 16 bits: edge mantissas only."""
    if fmt.specials is not Specials.IEEE:
        return np.array([] if signalling else fmt.nan_codes, np.int64)
    m = fmt.man_bits
    half = 1 << (m - 1)
    if fmt.bits <= 16:
        man = np.arange(1, half) if signalling else np.arange(half, 1 << m)
    else:
        man = np.array([1, half >> 1, half - 1] if signalling else [half, half | 1, (1 << m) - 1])
    man = man[(man > 0) & (man < 1 << m)]
    codes = fmt.inf_codes[0] | man
    return np.concatenate([codes, codes | fmt.sign_mask]).astype(np.int64)


def _mode_names(modes: Iterable[int]) -> list[str]:
    return [RoundingMode(int(m)).name.lower() for m in modes]


def defined(op: str, *, fmt_a=None, fmt_b=None, acc=None, modes: Iterable[int] = (), sats: Iterable[int] = (0, 1),
            config=None) -> set[str]:
    """Every reachable bin of ``op`` for one configuration (formats, rounding modes run, saturation values run).

    Unreachable bins are left out by construction, each decided by the model on a witness in the
    modes run: OF only in the modes where max_acc + max_a * max_b overflows, UF only when a product
    can be finer than the accumulator's subnormal step, ``edge:underflow_to_zero`` only when, in
    some mode run, the smallest non-zero product (either sign, acc = 0; sr with r = 0) rounds to
    zero with UF (never under rto, which rounds an inexact value to an odd code; under rmm only
    when that product is below half the subnormal step), cancellation depths only up to the wider
    of the accumulator and the product significands. For mx_dot, ``fmt_a`` is the element format (None for MXINT8): NV needs Inf
    elements.  For dpa, ``config`` is the unit's :class:`fp8kit.vectors.dpa.DpaConfig`.

    Raises:
        ValueError: unknown ``op`` (the message lists the known ones).
    """
    modes = sorted({int(m) for m in modes})
    if op == "mul":
        fa, fb = get_format(fmt_a), get_format(fmt_b or fmt_a)
        prod = {CodeClass.ZERO, CodeClass.NORMAL} | ({CodeClass.SUBNORMAL} if CodeClass.SUBNORMAL in format_classes(fa)
                                                     else set())
        prod |= {c for c in (CodeClass.INF, CodeClass.NAN) if c in format_classes(fa) or c in format_classes(fb)}
        return ({f"operands:a={x.name},b={y.name}" for x in format_classes(fa) for y in format_classes(fb)}
                | {f"product:{c.name}" for c in prod})
    if op == "fma":
        fa, fb, fc = get_format(fmt_a), get_format(fmt_b or fmt_a), get_format(acc)
        names = _mode_names(modes)
        bins = {f"operands:a={x.name},b={y.name},acc={z.name}" for x in format_classes(fa) for y in format_classes(fb)
                for z in format_classes(fc)}
        bins |= {f"result:rm={m},res={c.name}" for m in names for c in _RESULT_CLASSES}
        of, uf = _overflow_modes(fa, fb, fc, modes), _underflow_reachable(fa, fb, fc)
        uz = _underflow_to_zero_modes(fa, fb, fc, modes)
        bins |= {f"flags:rm={m},{f.name}" for m in names for f in _FLAGS
                 if f in (Flag.NV, Flag.NX) or (f is Flag.OF and m in of) or (f is Flag.UF and uf)}
        if int(RoundingMode.SR) in modes:
            bins |= {"sr:away", "sr:toward"}
        span = max(fc.man_bits, fa.man_bits + fb.man_bits + 1)  # deepest possible loss of leading bits
        bins |= {f"align:{b}" for b in _ALIGN}
        bins |= {f"cancel:{b}" for b, need in zip(_CANCEL, (0, 0, 1, 2, 8)) if span >= need}
        bins |= {f"edge:{b}" for b in _EDGES if (b != "overflow" or of) and (b != "underflow_to_zero" or uz)}
        return bins
    if op == "mac":
        names = _mode_names(modes)
        bins = {f"result:rm={m},res={c}" for m in names for c in ("ZERO", "NORMAL")}
        bins |= {f"flags:rm={m},NX" for m in names} | {"result:any,res=NAN"}
        return bins | ({"sr:away", "sr:toward"} if int(RoundingMode.SR) in modes else set())
    if op == "int8_mac":
        return ({f"product:{p}" for p in ("neg", "zero", "pos")} | {f"acc:{p}" for p in ("min", "max", "other")}
                | {f"overflow:sat={s},{p}" for s in sats for p in ("pos", "neg", "none")})
    if op == "mx_dot":
        has_inf = fmt_a is not None and get_format(fmt_a).has_inf
        return ({f"scale:{s}={v}" for s in "ab" for v in ("0x00", "0xFE", "0xFF", "other")}
                | {f"result:res={c.name}" for c in _RESULT_CLASSES}
                | {f"flags:{f.name}" for f in _FLAGS if f is not Flag.NV or has_inf}
                | {"edge:overflow", "edge:subnormal", "edge:underflow_to_zero", "edge:cancel_exact"})
    if op == "dpa":
        of, uf, uz = _dpa_witnesses(config)
        bins = {f"result:res={c.name}" for c in _RESULT_CLASSES}
        bins |= {f"flags:{f.name}" for f in _FLAGS if (f is not Flag.OF or of) and (f is not Flag.UF or uf)}
        bins |= {f"align:d=F{j:+d}" for j in range(-2, 3)} | ({"cancel:exact"} if config.lanes >= 2 else set())
        bins |= ({"edge:overflow"} if of else set()) | ({"edge:underflow_to_zero"} if uz else set())
        if config.scaled:
            bins |= {f"scale:{s}={v}" for s in "ab" for v in ("0x00", "0xFE", "0xFF", "other")}
        return bins
    if op == "gemm_tile":
        return _gemm_tile_bins(config)
    raise ValueError(f"no coverage model for op {op!r}; known: mul, fma, mac, int8_mac, mx_dot, dpa, gemm_tile")


def _overflow_modes(fa: Format, fb: Format, fc: Format, modes: Iterable[int]) -> set[str]:
    """The modes in which some finite operands overflow: max_acc + max_a * max_b (either sign) does."""
    out = set()
    for m in modes:
        for neg in (0, 1):
            s = neg * fa.sign_mask
            sr = {"sr_bits": 16, "rand": 0xFFFF} if int(m) == int(RoundingMode.SR) else {}  # sr rounding away
            _, flags = arith.fma(fc.max_code | neg * fc.sign_mask, fa.max_code | s, fb.max_code, fmt_a=fa, fmt_b=fb,
                                 acc_fmt=fc, rounding=int(m), saturate=False, **sr)
            if int(flags) & int(Flag.OF):
                out.add(RoundingMode(int(m)).name.lower())
    return out


def _underflow_to_zero_modes(fa: Format, fb: Format, fc: Format, modes: Iterable[int]) -> set[str]:
    """The modes in which the smallest non-zero product, alone (acc = +-0) and of either sign,
    rounds to zero with UF (sr: r = 0, the truncation).

    With subnormal operands every finite sum is a multiple of that product, so rounding, monotone
    in the magnitude, sends some tiny value to zero exactly when it sends this one there."""
    a, b = _smallest_code(fa), _smallest_code(fb)
    out = set()
    for m in modes:
        sr = {"sr_bits": 16, "rand": 0} if int(m) == int(RoundingMode.SR) else {}  # sr truncating
        for neg in (0, 1):
            res, flags = arith.fma(neg * fc.sign_mask, a | neg * fa.sign_mask, b, fmt_a=fa, fmt_b=fb, acc_fmt=fc,
                                   rounding=int(m), saturate=False, **sr)
            if int(flags) & int(Flag.UF) and int(res) & fc.mag_mask == 0:
                out.add(RoundingMode(int(m)).name.lower())
    return out


def _smallest_code(fmt: Format) -> int:
    """The code of the smallest positive value: 1 (min subnormal), else the min normal code."""
    return 1 if fmt.has_subnormals else 1 << fmt.man_bits


def _underflow_reachable(fa: Format, fb: Format, fc: Format) -> bool:
    """A tiny inexact result exists iff the smallest product LSB is finer than the accumulator's
    subnormal LSB (every finite sum is a multiple of the coarser of the two otherwise)."""
    return (fa.emin - fa.man_bits) + (fb.emin - fb.man_bits) < fc.emin - fc.man_bits


def _count(hits: dict[str, int], key: str, mask: np.ndarray) -> None:
    n = int(np.count_nonzero(mask))
    if n:
        hits[key] = hits.get(key, 0) + n


def sample_mul(a: np.ndarray, b: np.ndarray, fmt_a, fmt_b=None) -> dict[str, int]:
    """Hits of the mul bins for the applied code pairs."""
    fa, fb = get_format(fmt_a), get_format(fmt_b or fmt_a)
    ca, cb = classify(a, fa), classify(b, fb)
    hits: dict[str, int] = {}
    for x in format_classes(fa):
        for y in format_classes(fb):
            _count(hits, f"operands:a={x.name},b={y.name}", (ca == x) & (cb == y))
    cls = arith.mul(a, b, fa, fb).cls
    for c in CodeClass:
        _count(hits, f"product:{c.name}", cls == c)
    return hits


def _msb(sig: np.ndarray, exp: np.ndarray, frac_bits: int) -> np.ndarray:
    """Exponent of the leading one of ``sig * 2**(exp - frac_bits)`` (sig > 0)."""
    return exp.astype(np.int64) - frac_bits + bit_length(sig.astype(np.uint64)) - 1


def sample_fma(acc, a, b, rm, sat, rand, res, flags, *, fmt_a, fmt_b=None, acc_fmt, sr_bits: int = 16
               ) -> dict[str, int]:
    """Hits of the fma bins: ``res``/``flags`` are the expected outputs for (acc, a, b, rm, sat, rand)."""
    fa, fb, fc = get_format(fmt_a), get_format(fmt_b or fmt_a), get_format(acc_fmt)
    acc, a, b, rm, sat = (np.asarray(x, np.int64) for x in (acc, a, b, rm, sat))
    res, flags = np.asarray(res, np.int64), np.asarray(flags, np.int64)
    hits: dict[str, int] = {}
    ca, cb, cc = classify(a, fa), classify(b, fb), classify(acc, fc)
    for x in format_classes(fa):
        for y in format_classes(fb):
            for z in format_classes(fc):
                _count(hits, f"operands:a={x.name},b={y.name},acc={z.name}", (ca == x) & (cb == y) & (cc == z))
    cr = classify(res, fc)
    for m in sorted(set(rm.tolist())):
        name = RoundingMode(m).name.lower()
        sel = rm == m
        for c in _RESULT_CLASSES:
            _count(hits, f"result:rm={name},res={c.name}", sel & (cr == c))
        for f in _FLAGS:
            _count(hits, f"flags:rm={name},{f.name}", sel & ((flags & int(f)) != 0))
    # sr away/toward: compare with the rtz result of the same operation
    sr = (rm == int(RoundingMode.SR)) & ((flags & int(Flag.NX)) != 0)
    if sr.any():
        idx = np.flatnonzero(sr)
        trunc, _ = arith.fma(acc[idx], a[idx], b[idx], fmt_a=fa, fmt_b=fb, acc_fmt=fc, rounding="rtz",
                             saturate=False)
        away = trunc.astype(np.int64) != res[idx]
        _count(hits, "sr:away", away)
        _count(hits, "sr:toward", ~away)
    # alignment and cancellation of finite non-zero terms
    p = arith.mul(a, b, fa, fb)
    up = unpack(acc, fc)
    both = ((p.cls == CodeClass.NORMAL) | (p.cls == CodeClass.SUBNORMAL)) & (
        (up.cls == CodeClass.NORMAL) | (up.cls == CodeClass.SUBNORMAL))
    if both.any():
        idx = np.flatnonzero(both)
        mp = _msb(p.sig[idx], p.exp[idx], p.frac_bits)
        mc = _msb(up.sig[idx], up.exp[idx], fc.man_bits)
        d = mp - mc
        far = fc.man_bits + 2
        for name, m in zip(_ALIGN, (d < -far, (d >= -far) & (d < 0), d == 0, (d > 0) & (d <= far), d > far)):
            _count(hits, f"align:{name}", m)
        opp = p.sign[idx].astype(bool) != up.neg[idx]
        if opp.any():
            j = idx[opp]
            trunc, tflags = arith.fma(acc[j], a[j], b[j], fmt_a=fa, fmt_b=fb, acc_fmt=fc, rounding="rtz",
                                      saturate=False)
            ut = unpack(trunc, fc)
            zero = ut.cls == CodeClass.ZERO
            exact = zero & ((tflags & int(Flag.NX)) == 0)
            top = np.maximum(mp[opp], mc[opp])
            # the rtz result keeps the exact sum's leading one (a zero from underflow lost them all)
            loss = np.where(zero, 1 << 20, top - _msb(np.maximum(ut.sig, 1), ut.exp, fc.man_bits))
            for name, m in zip(_CANCEL, (exact, ~exact & (loss <= 0), ~exact & (loss == 1),
                                         ~exact & (loss >= 2) & (loss <= 7), ~exact & (loss >= 8))):
                _count(hits, f"cancel:{name}", m)
    mag = res & fc.mag_mask
    _count(hits, "edge:max_finite", mag == fc.max_code)
    _count(hits, "edge:min_normal", mag == (1 << fc.man_bits))
    _count(hits, "edge:subnormal", cr == CodeClass.SUBNORMAL)
    _count(hits, "edge:min_subnormal", mag == 1)
    _count(hits, "edge:overflow", (flags & int(Flag.OF)) != 0)
    _count(hits, "edge:underflow_to_zero", ((flags & int(Flag.UF)) != 0) & (cr == CodeClass.ZERO))
    return hits


def sample_mac(acc_before, a, b, rm, acc_after, flags_step, *, fmt_a, fmt_b=None, acc_fmt) -> dict[str, int]:
    """Hits of the mac bins for one stream step each: ``flags_step`` are the step's own flags."""
    fc = get_format(acc_fmt)
    rm = np.asarray(rm, np.int64)
    after, fl = np.asarray(acc_after, np.int64), np.asarray(flags_step, np.int64)
    cr = classify(after, fc)
    hits: dict[str, int] = {}
    for m in sorted(set(rm.tolist())):
        name = RoundingMode(m).name.lower()
        for c in (CodeClass.ZERO, CodeClass.NORMAL):
            _count(hits, f"result:rm={name},res={c.name}", (rm == m) & (cr == c))
        _count(hits, f"flags:rm={name},NX", (rm == m) & ((fl & int(Flag.NX)) != 0))
    _count(hits, "result:any,res=NAN", cr == CodeClass.NAN)
    sr = (rm == int(RoundingMode.SR)) & ((fl & int(Flag.NX)) != 0)
    if sr.any():
        before = np.asarray(acc_before, np.int64)[sr]
        trunc, _ = arith.fma(before, np.asarray(a)[sr], np.asarray(b)[sr], fmt_a=fmt_a, fmt_b=fmt_b or fmt_a,
                             acc_fmt=fc, rounding="rtz")
        away = trunc.astype(np.int64) != after[sr]
        _count(hits, "sr:away", away)
        _count(hits, "sr:toward", ~away)
    return hits


def sample_int8_mac(a, b, acc, sat, overflow_pos, overflow_neg) -> dict[str, int]:
    """Hits of the int8_mac bins: ``acc`` is the accumulator before each step, ``overflow_*`` whether
    the exact sum left the int32 range upward/downward."""
    a, b, acc, sat = (np.asarray(x, np.int64) for x in (a, b, acc, sat))
    p = a * b
    hits: dict[str, int] = {}
    _count(hits, "product:neg", p < 0)
    _count(hits, "product:zero", p == 0)
    _count(hits, "product:pos", p > 0)
    _count(hits, "acc:min", acc == -(2**31))
    _count(hits, "acc:max", acc == 2**31 - 1)
    _count(hits, "acc:other", (acc != -(2**31)) & (acc != 2**31 - 1))
    pos, neg = np.asarray(overflow_pos, bool), np.asarray(overflow_neg, bool)
    for s in (0, 1):
        _count(hits, f"overflow:sat={s},pos", (sat == s) & pos)
        _count(hits, f"overflow:sat={s},neg", (sat == s) & neg)
        _count(hits, f"overflow:sat={s},none", (sat == s) & ~pos & ~neg)
    return hits


def sample_mx_dot(scale_a, scale_b, res, flags, exact_zero) -> dict[str, int]:
    """Hits of the mx_dot bins: float32 ``res``/``flags`` expected, ``exact_zero`` where the element
    products summed to exactly zero with at least one non-zero product."""
    scale_a, scale_b = np.asarray(scale_a, np.int64), np.asarray(scale_b, np.int64)
    res, flags = np.asarray(res, np.int64), np.asarray(flags, np.int64)
    f32 = get_format("float32")
    hits: dict[str, int] = {}
    for s, arr in (("a", scale_a), ("b", scale_b)):
        _count(hits, f"scale:{s}=0x00", arr == 0x00)
        _count(hits, f"scale:{s}=0xFE", arr == 0xFE)
        _count(hits, f"scale:{s}=0xFF", arr == 0xFF)
        _count(hits, f"scale:{s}=other", (arr != 0x00) & (arr != 0xFE) & (arr != 0xFF))
    cr = classify(res, f32)
    for c in _RESULT_CLASSES:
        _count(hits, f"result:res={c.name}", cr == c)
    for f in _FLAGS:
        _count(hits, f"flags:{f.name}", (flags & int(f)) != 0)
    _count(hits, "edge:overflow", (flags & int(Flag.OF)) != 0)
    _count(hits, "edge:subnormal", cr == CodeClass.SUBNORMAL)
    _count(hits, "edge:underflow_to_zero", ((flags & int(Flag.UF)) != 0) & (cr == CodeClass.ZERO))
    _count(hits, "edge:cancel_exact", np.asarray(exact_zero, bool))
    return hits


def _dpa_witnesses(config) -> tuple[bool, bool, bool]:
    """Whether OF, UF and UF with a zero result are reachable: the model's flags on the witness rows of
    :func:`fp8kit.vectors.dpa.dpa_witnesses` (part of every bench's directed rows)."""
    from fp8kit.vectors.dpa import dpa_witnesses

    rows = dpa_witnesses(config)
    res, flags = rows[:, -2], rows[:, -1]
    uf = (flags & int(Flag.UF)) != 0
    zero = classify(res, config.acc) == CodeClass.ZERO
    return bool(((flags & int(Flag.OF)) != 0).any()), bool(uf.any()), bool((uf & zero).any())


def sample_dpa(rows: np.ndarray, config) -> dict[str, int]:
    """Hits of the dpa bins for rows of :mod:`fp8kit.vectors.dpa` (expected ``res``/``flags`` included)."""
    lanes, fc = config.lanes, config.acc
    a, b = rows[:, :lanes], rows[:, lanes:2 * lanes]
    sa, sb, c, res, flags = (rows[:, 2 * lanes + i] for i in range(5))
    ua, ub, uc = unpack(a, config.element("a")), unpack(b, config.element("b")), unpack(c, fc)
    scale = (sa - 127 + sb - 127) if config.scaled else np.zeros(len(rows), np.int64)
    live = (ua.cls >= CodeClass.SUBNORMAL) & (ua.cls <= CodeClass.NORMAL) & (ub.cls >= CodeClass.SUBNORMAL) & (
        ub.cls <= CodeClass.NORMAL)
    live &= ~((sa == 0xFF) | (sb == 0xFF))[:, None] if config.scaled else True
    c_live = (uc.cls == CodeClass.SUBNORMAL) | (uc.cls == CodeClass.NORMAL)
    exp = np.where(live, ua.exp + ub.exp + scale[:, None], np.iinfo(np.int64).min // 4)
    c_exp = np.where(c_live, uc.exp, np.iinfo(np.int64).min // 4)
    top = np.maximum(exp.max(axis=1), c_exp)
    dist = np.concatenate([np.where(live, top[:, None] - exp, -1), np.where(c_live, top - c_exp, -1)[:, None]], axis=1)
    hits: dict[str, int] = {}
    f = config.datapath.frac_bits
    for j in range(-2, 3):
        _count(hits, f"align:d=F{j:+d}", (dist == f + j).any(axis=1))
    cr = classify(res, fc)
    for cls in _RESULT_CLASSES:
        _count(hits, f"result:res={cls.name}", cr == cls)
    for fl in _FLAGS:
        _count(hits, f"flags:{fl.name}", (flags & int(fl)) != 0)
    _count(hits, "cancel:exact", (live.sum(axis=1) >= 2) & (cr == CodeClass.ZERO) & (flags == 0))
    _count(hits, "edge:overflow", (flags & int(Flag.OF)) != 0)
    _count(hits, "edge:underflow_to_zero", ((flags & int(Flag.UF)) != 0) & (cr == CodeClass.ZERO))
    if config.scaled:
        for side, arr in (("a", sa), ("b", sb)):
            _count(hits, f"scale:{side}=0x00", arr == 0x00)
            _count(hits, f"scale:{side}=0xFE", arr == 0xFE)
            _count(hits, f"scale:{side}=0xFF", arr == 0xFF)
            _count(hits, f"scale:{side}=other", (arr != 0x00) & (arr != 0xFE) & (arr != 0xFF))
    return hits


def _steps_bin(steps: int) -> str:
    return "steps:1" if steps == 1 else "steps:2-7" if steps < 8 else "steps:>=8"


def _gemm_tile_bins(config) -> set[str]:
    """The gemm_tile bins a run of ``config`` (a :class:`verif.gemm_tile.jobs.TileConfig`) reaches."""
    lanes, shapes = config.lanes, config.shapes
    bins: set[str] = set()
    if config.directed:
        of, uf, _ = _dpa_witnesses(config.unit)
        bins |= {f"result:res={c.name}" for c in _RESULT_CLASSES}
        bins |= {f"flags:{f.name}" for f in _FLAGS if (f is not Flag.OF or of) and (f is not Flag.UF or uf)}
        bins |= {"steps:1", "c:loaded"}
    bins |= {_steps_bin(-(-s.k // lanes)) for s in shapes}
    bins |= {"steps:short" for s in shapes if s.k % lanes}
    bins |= {"c:loaded" if s.with_c else "c:zero" for s in shapes}
    bins |= {"tile:partial" for s in shapes if s.m % config.rows or s.n % config.cols}
    jobs = sum(-(-s.m // config.rows) * -(-s.n // config.cols) for s in shapes)
    if config.stall > 0:
        bins |= {"drain:stall", "drain:stall_last"}
    if config.rows >= 2:
        bins.add("drain:burst")
    if config.bubble > 0:
        bins.add("input:bubble")
    if config.directed or jobs >= 2:  # the next tile's first beat waits for the drain
        bins.add("input:wait")
    return bins


def sample_gemm_tile(res, flags, steps, short, loaded, partial, events: Mapping[str, int], config) -> dict[str, int]:
    """Hits of the gemm_tile bins: ``res``/``flags`` the expected codes and flags of every output
    compared, ``steps``/``short``/``loaded``/``partial`` one entry per tile job (K steps, a padded last
    step, C loaded, a tile reaching past M or N), ``events`` the bench's counts of the protocol bins
    (``drain:*``, ``input:*``)."""
    res, flags = np.asarray(res, np.int64), np.asarray(flags, np.int64)
    hits: dict[str, int] = {}
    cr = classify(res, config.unit.acc)
    for cls in _RESULT_CLASSES:
        _count(hits, f"result:res={cls.name}", cr == cls)
    for fl in _FLAGS:
        _count(hits, f"flags:{fl.name}", (flags & int(fl)) != 0)
    steps = np.asarray(steps, np.int64)
    for name, sel in (("steps:1", steps == 1), ("steps:2-7", (steps >= 2) & (steps < 8)), ("steps:>=8", steps >= 8)):
        _count(hits, name, sel)
    _count(hits, "steps:short", np.asarray(short, bool))
    _count(hits, "c:loaded", np.asarray(loaded, bool))
    _count(hits, "c:zero", ~np.asarray(loaded, bool))
    _count(hits, "tile:partial", np.asarray(partial, bool))
    for k, v in events.items():
        if v:
            hits[k] = hits.get(k, 0) + int(v)
    return hits


def merge(runs: Iterable[tuple[Iterable[str], Mapping[str, int]]]) -> tuple[set[str], dict[str, int]]:
    """Union of (defined bins, hits) pairs: all bins defined anywhere, hits summed."""
    bins: set[str] = set()
    hits: dict[str, int] = {}
    for d, h in runs:
        bins |= set(d)
        for k, v in h.items():
            hits[k] = hits.get(k, 0) + int(v)
    return bins, hits


def missed(bins: Iterable[str], hits: Mapping[str, int]) -> list[str]:
    """The defined bins with no hit, sorted."""
    return sorted(b for b in bins if not hits.get(b))
