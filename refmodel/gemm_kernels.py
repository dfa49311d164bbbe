"""Compiled (numba) kernels of :mod:`refmodel.gemm`: the fused-dot and two-stage datapaths, one output per
iteration, and the table kernels of the exact and FMA-chain paths.

Operands arrive as integer fields along K (A as (M, K), B transposed to (N, K)), packed into one word
per element (:func:`pack`): ``sig`` and ``lsb`` (value ``(-1)**neg * sig * 2**lsb``, block scales folded
in), ``exp`` (the alignment exponent: the element's unbiased exponent plus its scale's; for grouped
terms the scale's alone), the class (codes below), ``bad`` (a signalling-NaN operand: NV) and
``live``.  The semantics are those of :class:`refmodel.datapath.FusedDot` and
:class:`~refmodel.datapath.TwoStageDot`; :mod:`refmodel.oracle.gemm` is the definition they are tested
against.  Numba compiles on first use and caches the machine code.

Run with ``OMP_WAIT_POLICY=PASSIVE`` in the environment (the ``fp8kit`` command and ``bench/`` set it
unless it is set): numba's OpenMP threads otherwise spin after every parallel kernel and take the
cores from the BLAS call that follows (1024^3 Exact E4M3 on two cores: 35 to 60 ms with spinning
threads, 27 to 30 ms without).  It takes effect when the OpenMP runtime loads, at the first parallel
kernel of the process; the model itself reads no environment.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from .encodings import Flag, RoundingMode

FINITE, ZERO, INF, NAN = 0, 1, 2, 3
"""Term classes of the kernels (finite nonzero, zero, infinite, NaN)."""

RNE, RDN, RUP, RMM, RTO = (int(m) for m in (RoundingMode.RNE, RoundingMode.RDN, RoundingMode.RUP, RoundingMode.RMM,
                                            RoundingMode.RTO))
NV, OF, UF, NX = (int(f) for f in (Flag.NV, Flag.OF, Flag.UF, Flag.NX))


@numba.njit(cache=True, inline="always")
def _bitlen(x):
    """The bit length of ``0 <= x < 2**63`` (0 for 0), by halving: six tests, no loop."""
    n = 0
    if x >> 32:
        x >>= 32
        n += 32
    if x >> 16:
        x >>= 16
        n += 16
    if x >> 8:
        x >>= 8
        n += 8
    if x >> 4:
        x >>= 4
        n += 4
    if x >> 2:
        x >>= 2
        n += 2
    if x >> 1:
        return n + 2
    return n + x


@numba.njit(cache=True, inline="always")
def _truncate(mag, lsb, q0):
    """``mag * 2**lsb`` truncated toward zero to a multiple of ``2**q0``, in units of ``2**q0``; lost bits."""
    d = lsb - q0
    if d >= 0:
        return mag << d, False
    s = -d
    if s >= 63:
        return 0, mag != 0
    return mag >> s, (mag & ((1 << s) - 1)) != 0


@numba.njit(cache=True)
def _round(neg, mag, q0, emin, emax, man, mode):
    """Round ``(-1)**neg * mag * 2**q0`` (``mag > 0``) into a format; ``(i, q, inexact, over, tiny)``.

    The result is ``i * 2**q``; ``over``: beyond max finite (the caller makes it Inf).
    """
    e = _bitlen(mag) - 1 + q0
    qe = max(e, emin) - man
    inexact = False
    if qe <= q0:
        i, q = mag, q0
    else:
        sh = qe - q0
        if sh > 63:
            i, rbit, sticky = 0, 0, mag != 0
        else:
            i = mag >> sh
            rem = mag & ((1 << sh) - 1)
            rbit = (rem >> (sh - 1)) & 1
            sticky = (rem & ((1 << (sh - 1)) - 1)) != 0
        inexact = rbit != 0 or sticky
        inc = 0
        if mode == RNE:
            inc = 1 if rbit and (sticky or (i & 1)) else 0
        elif mode == RDN:
            inc = 1 if inexact and neg else 0
        elif mode == RUP:
            inc = 1 if inexact and not neg else 0
        elif mode == RMM:
            inc = rbit
        elif mode == RTO:
            if inexact:
                i |= 1
        i += inc
        q = qe
    if i == 0:
        return 0, q, inexact, False, False
    top = _bitlen(i) - 1 + q
    return i, q, inexact, top > emax, top < emin


@numba.njit(cache=True, inline="always")
def _deliver(neg, mag, q0, lost, s_emin, s_emax, s_man, mode, zero_sign):
    """A step's nonzero sum ``(-1)**neg * mag * 2**q0`` rounded into the step format, ``lost``: bits its
    alignment dropped.  ``(class, neg, sig, lsb, flags)``: +-Inf beyond the range (OF NX); a result that
    rounds to zero is -0 only with ``zero_sign`` (UF); UF for a tiny inexact result, NX when inexact."""
    i, q, inexact, over, tiny = _round(neg, mag, q0, s_emin, s_emax, s_man, mode)
    flags = NX if lost or inexact else 0
    if over:
        return INF, neg, 0, 0, OF | NX
    if i == 0:
        return ZERO, neg and zero_sign, 0, 0, flags | UF
    if tiny and (lost or inexact):
        flags |= UF
    return FINITE, neg, i, q, flags


_SIG_BITS, _OFF = 24, 1 << 15
"""Packed element words: sig in bits 0-23, lsb + 2**15 in 24-39, exp + 2**15 in 40-55, the class in
56-57, neg 58, bad 59, live 60."""


def pack(neg, sig, lsb, exp, cls, bad, live) -> np.ndarray:
    """One int64 word per element (the layout above), so the kernel reads 8 bytes per operand element.

    Raises:
        ValueError: a significand of 24 bits or more, or an exponent outside +-2**15 (no format of
            :func:`refmodel.arith.operand_format`, scaled or not, has one).
    """
    if sig.size and (int(sig.max()) >> _SIG_BITS or int(min(lsb.min(), exp.min())) < -_OFF
                     or int(max(lsb.max(), exp.max())) >= _OFF):
        raise ValueError("operand fields too wide for the fused-dot kernel")
    return (sig.astype(np.int64) | ((lsb + _OFF) << 24) | ((exp + _OFF) << 40) | (cls.astype(np.int64) << 56)
            | (neg.astype(np.int64) << 58) | (bad.astype(np.int64) << 59) | (live.astype(np.int64) << 60))


@numba.njit(cache=True, inline="always")
def _cls(w):
    return (w >> 56) & 3


@numba.njit(cache=True, inline="always")
def _sig(w):
    return w & ((1 << 24) - 1)


@numba.njit(cache=True, inline="always")
def _lsb(w):
    return ((w >> 24) & 0xFFFF) - (1 << 15)


@numba.njit(cache=True, inline="always")
def _exp(w):
    return ((w >> 40) & 0xFFFF) - (1 << 15)


@numba.njit(cache=True, inline="always")
def _step_specials(a, b, m, n, j0, j1, cc, cn):
    """What the non-finite terms of one step decide, from the accumulator's class ``cc`` and sign ``cn``
    and products ``j0 <= k < j1`` of row ``m`` and column ``n``: ``(NAN, INF or FINITE (nothing decided),
    the Inf's sign, NV or 0)``.  NaN for a NaN, Inf * 0 or Infs of both signs; NV for the last two and a
    signalling-NaN operand."""
    nan = cc == NAN
    pos_inf = cc == INF and not cn
    neg_inf = cc == INF and cn
    nv = False
    for k in range(j0, j1):
        wa, wb = a[m, k], b[n, k]
        ca, cb = _cls(wa), _cls(wb)
        if ca == FINITE and cb == FINITE:
            continue
        if (wa >> 59) & 1 or (wb >> 59) & 1:
            nv = True
        if ca == NAN or cb == NAN:
            nan = True
        elif (ca == INF and cb == ZERO) or (ca == ZERO and cb == INF):
            nan, nv = True, True
        elif ca == INF or cb == INF:
            if ((wa >> 58) & 1) != ((wb >> 58) & 1):
                neg_inf = True
            else:
                pos_inf = True
    if pos_inf and neg_inf:
        nan, nv = True, True
    return (NAN if nan else INF if pos_inf or neg_inf else FINITE), neg_inf, (NV if nv else 0)


_TILE = 64
"""Columns of B per pass: a tile of B (64 x K words) stays in cache while every row of A runs over it."""


@numba.njit(cache=True, parallel=True)
def fused_dot(a, b, a_odd, b_odd, c_neg, c_sig, c_lsb, c_cls, c_bad,
              lanes, frac_bits, group, has_zero_exp, zero_exp,
              s_emin, s_emax, s_man, mode, acc_emin,
              o_neg, o_sig, o_lsb, o_cls, o_flags):
    """Every output of a fused-dot GEMM: writes ``o_*`` (value ``(-1)**neg * sig * 2**lsb`` or a class).

    ``a`` (M, K) and ``b`` (N, K) are :func:`pack` words; ``a_odd`` (M,) and ``b_odd`` (N,) mark the rows
    and columns with an Inf or NaN element (the others skip the search for specials).  ``live`` (grouped terms only): the block
    scale is nonzero, so the group's exponent takes part in the maximum even when its sum is zero.
    """
    m_count, k_count = a.shape
    n_count = b.shape[0]
    for n0 in range(0, n_count, _TILE):
        for m in numba.prange(m_count):
            for n in range(n0, min(n0 + _TILE, n_count)):
                cn, cs, cl, cc = c_neg[m, n], c_sig[m, n], c_lsb[m, n], c_cls[m, n]
                flags = NV if c_bad[m, n] else 0
                for j0 in range(0, k_count, lanes):
                    j1 = min(j0 + lanes, k_count)
                    if a_odd[m] or b_odd[n] or cc >= INF:
                        special, neg_inf, nv = _step_specials(a, b, m, n, j0, j1, cc, cn)
                        flags |= nv
                        if special != FINITE:
                            cc, cn = special, neg_inf
                            continue
                    emax = -(1 << 40)
                    live = False
                    if cc == FINITE:
                        emax = max(_bitlen(cs) - 1 + cl, acc_emin)
                        live = True
                    elif cc == ZERO and has_zero_exp:
                        emax, live = zero_exp, True
                    if group == 1:
                        for k in range(j0, j1):
                            wa, wb = a[m, k], b[n, k]
                            if _cls(wa) == FINITE and _cls(wb) == FINITE:
                                emax, live = max(emax, _exp(wa) + _exp(wb)), True
                            elif has_zero_exp:
                                emax, live = max(emax, zero_exp), True
                    if group > 1:
                        for g0 in range(j0, j1, group):
                            nonzero = False
                            for k in range(g0, min(g0 + group, j1)):
                                nonzero |= _cls(a[m, k]) == FINITE and _cls(b[n, k]) == FINITE
                            if nonzero:
                                emax, live = max(emax, _exp(a[m, g0]) + _exp(b[n, g0])), True
                            elif has_zero_exp:
                                emax, live = max(emax, zero_exp), True
                    if not live:
                        cc, cn, cs, cl = ZERO, False, 0, 0
                        continue
                    q0 = emax - frac_bits
                    total = 0
                    lost = False
                    if cc == FINITE:
                        u, lo = _truncate(cs, cl, q0)
                        total += -u if cn else u
                        lost |= lo
                    if group == 1:
                        for k in range(j0, j1):
                            wa, wb = a[m, k], b[n, k]
                            if _cls(wa) == FINITE and _cls(wb) == FINITE:
                                u, lo = _truncate(_sig(wa) * _sig(wb), _lsb(wa) + _lsb(wb), q0)
                                total += -u if ((wa ^ wb) >> 58) & 1 else u
                                lost |= lo
                    else:
                        for g0 in range(j0, j1, group):
                            ref = 1 << 40
                            for k in range(g0, min(g0 + group, j1)):
                                wa, wb = a[m, k], b[n, k]
                                if _cls(wa) == FINITE and _cls(wb) == FINITE:
                                    ref = min(ref, _lsb(wa) + _lsb(wb))
                            gsum = 0
                            for k in range(g0, min(g0 + group, j1)):
                                wa, wb = a[m, k], b[n, k]
                                if _cls(wa) == FINITE and _cls(wb) == FINITE:
                                    p = (_sig(wa) * _sig(wb)) << (_lsb(wa) + _lsb(wb) - ref)
                                    gsum += -p if ((wa ^ wb) >> 58) & 1 else p
                            if gsum != 0:
                                u, lo = _truncate(abs(gsum), ref, q0)
                                total += -u if gsum < 0 else u
                                lost |= lo
                    if total == 0:
                        cc, cn, cs, cl = ZERO, False, 0, 0
                        if lost:
                            flags |= NX
                        continue
                    cc, cn, cs, cl, f = _deliver(total < 0, abs(total), q0, lost, s_emin, s_emax, s_man, mode, False)
                    flags |= f
                o_neg[m, n], o_sig[m, n], o_lsb[m, n], o_cls[m, n], o_flags[m, n] = cn, cs, cl, cc, flags


@numba.njit(cache=True, inline="always")
def _floor_shift(v, sh):
    """``v`` (signed) rounded down to a multiple of ``2**sh`` (``sh >= 0``), in units of ``2**sh``; lost bits."""
    if sh == 0:
        return v, False
    if sh >= 63:
        return (-1 if v < 0 else 0), v != 0
    return v >> sh, (v & ((1 << sh) - 1)) != 0


_NONE = -(1 << 40)
"""The exponent of a partial sum without a nonzero product."""


@numba.njit(cache=True, parallel=True)
def two_stage_dot(a, b, a_odd, b_odd, c_neg, c_sig, c_lsb, c_cls, c_bad,
                  lanes, ways, frac_bits, sum_bits, drop_c,
                  s_emin, s_emax, s_man, mode, acc_emin,
                  o_neg, o_sig, o_lsb, o_cls, o_flags):
    """Every output of a :class:`refmodel.datapath.TwoStageDot` GEMM, as :func:`fused_dot` (a zero result
    keeps its sign in ``o_neg``).  Partial sums in units of ``2**(E_w - frac_bits)``, the step sum in
    units of ``2**(E - sum_bits - 1)``."""
    m_count, k_count = a.shape
    n_count = b.shape[0]
    for n0 in range(0, n_count, _TILE):
        for m in numba.prange(m_count):
            ew = np.empty(ways, np.int64)
            for n in range(n0, min(n0 + _TILE, n_count)):
                cn, cs, cl, cc = c_neg[m, n], c_sig[m, n], c_lsb[m, n], c_cls[m, n]
                flags = NV if c_bad[m, n] else 0
                for j0 in range(0, k_count, lanes):
                    j1 = min(j0 + lanes, k_count)
                    if a_odd[m] or b_odd[n] or cc >= INF:
                        special, neg_inf, nv = _step_specials(a, b, m, n, j0, j1, cc, cn)
                        flags |= nv
                        if special != FINITE:
                            cc, cn = special, neg_inf
                            continue
                    e_d = _NONE
                    for w in range(ways):
                        e_w = _NONE
                        for k in range(j0 + w, j1, ways):
                            wa, wb = a[m, k], b[n, k]
                            if _cls(wa) == FINITE and _cls(wb) == FINITE:
                                e_w = max(e_w, _exp(wa) + _exp(wb))
                        ew[w] = e_w
                        e_d = max(e_d, e_w)
                    lost = False
                    d = 0
                    if e_d != _NONE:
                        for w in range(ways):
                            if ew[w] == _NONE:
                                continue
                            part = 0
                            for k in range(j0 + w, j1, ways):
                                wa, wb = a[m, k], b[n, k]
                                if _cls(wa) == FINITE and _cls(wb) == FINITE:
                                    u, lo = _truncate(_sig(wa) * _sig(wb), _lsb(wa) + _lsb(wb), ew[w] - frac_bits)
                                    part += -u if ((wa ^ wb) >> 58) & 1 else u
                                    lost |= lo
                            part, lo = _floor_shift(part, e_d - ew[w])
                            d += part
                            lost |= lo
                    e_c = max(_bitlen(cs) - 1 + cl, acc_emin) if cc == FINITE else acc_emin
                    big = max(e_d, e_c)
                    q = big - sum_bits - 1
                    if e_d != _NONE:
                        sh = e_d - frac_bits - q
                        if sh >= 0:
                            d <<= sh
                        else:
                            d, lo = _floor_shift(d, -sh)
                            lost |= lo
                    v = d
                    if cc == FINITE:
                        if drop_c and e_c < big - frac_bits - 1:
                            lost = True
                        else:
                            u, lo = _truncate(cs, cl, big - frac_bits)
                            if cn:
                                u = -u - (1 if lo else 0)
                            v += u << (sum_bits + 1 - frac_bits)
                            lost |= lo
                    if v != 0:
                        e_v = max(_bitlen(abs(v)) - 1 + q, s_emin)
                        sh = e_v - sum_bits - q
                        if sh > 0:
                            v, lo = _floor_shift(v, sh)
                            q += sh
                            lost |= lo
                            if v == 0:  # a tiny positive sum rounded down to zero
                                cc, cn, cs, cl = ZERO, False, 0, 0
                                flags |= NX | UF
                                continue
                    if v == 0:
                        cc, cn, cs, cl = ZERO, False, 0, 0
                        if lost:
                            flags |= NX
                        continue
                    cc, cn, cs, cl, f = _deliver(v < 0, abs(v), q, lost, s_emin, s_emax, s_man, mode, True)
                    flags |= f
                o_neg[m, n], o_sig[m, n], o_lsb[m, n], o_cls[m, n], o_flags[m, n] = cn, cs, cl, cc, flags


def empty_outputs(m: int, n: int):
    """The ``o_*`` arrays :func:`fused_dot` fills."""
    return (np.zeros((m, n), np.bool_), np.zeros((m, n), np.int64), np.zeros((m, n), np.int64),
            np.zeros((m, n), np.int8), np.zeros((m, n), np.uint8))


@numba.njit(cache=True, parallel=True)
def limbs_to_fields(limbs, neg, sig, exp):
    """Signed base-2**30 limbs per column (index 0 lowest) as ``(neg, sig, exp)``: ``sig`` the top 62
    bits and a sticky bit below them, ``value = (-1)**neg * sig * 2**exp`` in units of limb 0's LSB
    (``sig = 0`` for zero).  Destroys ``limbs``."""
    count, cols = limbs.shape
    mask = (1 << 30) - 1
    for col in numba.prange(cols):
        for j in range(count - 1):
            carry = limbs[j, col] >> 30
            limbs[j, col] &= mask
            limbs[j + 1, col] += carry
        negative = limbs[count - 1, col] < 0
        if negative:
            for j in range(count):
                limbs[j, col] = -limbs[j, col]
            for j in range(count - 1):
                carry = limbs[j, col] >> 30
                limbs[j, col] &= mask
                limbs[j + 1, col] += carry
        h = count - 1
        while h >= 0 and limbs[h, col] == 0:
            h -= 1
        if h < 0:
            neg[col], sig[col], exp[col] = False, 0, 0
            continue
        # a window of 92 bits: limb h and the two below it (zeros below index 0)
        top = limbs[h, col]
        mid = limbs[h - 1, col] if h >= 1 else 0
        low = limbs[h - 2, col] if h >= 2 else 0
        b = _bitlen(top)
        s3 = b - 2  # drop s3 bits of the low limb to keep 62
        if s3 >= 0:
            part = low >> s3
            sticky = (low & ((1 << s3) - 1)) != 0
        else:
            part = low << 1
            sticky = False
        for j in range(h - 2):
            if limbs[j, col] != 0:
                sticky = True
                break
        neg[col] = negative
        sig[col] = (((top << (62 - b)) | (mid << (32 - b)) | part) << 1) | (1 if sticky else 0)
        exp[col] = 30 * (h - 2) + s3 - 1


@numba.njit(cache=True)
def _tops(sig_t, lsb_t):
    """Per code, the exponent of its top bit: ``lsb + bit_length(sig) - 1``."""
    out = np.empty(sig_t.size, np.int64)
    for c in range(sig_t.size):
        out[c] = lsb_t[c] + _bitlen(sig_t[c]) - 1
    return out


NAN_SCALE = 1 << 20
"""A block shift marking a NaN block scale: the block's elements are NaN."""


@numba.njit(cache=True, parallel=True)
def row_stats(codes, sig_t, lsb_t, cls_t, bad_t, shift, block, base, reach, kinds):
    """Per row of ``codes`` (looked up in the per-code tables, element k's LSB exponent raised by
    ``shift[r, k // block]``, a block scale's exponent; :data:`NAN_SCALE` a NaN scale): ``base`` the
    lowest LSB exponent of a finite nonzero element (0 if none), ``reach`` its top bit's height above
    ``base`` plus one (0 if none), and ``kinds`` bit 0 a NaN element, bit 1 an infinite one, bit 2 a
    signalling NaN."""
    rows, k_count = codes.shape
    top_t = _tops(sig_t, lsb_t)
    for r in numba.prange(rows):
        lo, hi, kind = 1 << 40, -(1 << 40), 0
        for k0 in range(0, k_count, block):
            sh = shift[r, k0 // block]
            for k in range(k0, min(k0 + block, k_count)):
                c = codes[r, k]
                cl = cls_t[c]
                if sh == NAN_SCALE:
                    kind |= 1
                elif cl == FINITE:
                    lo = min(lo, lsb_t[c] + sh)
                    hi = max(hi, top_t[c] + sh)
                elif cl == NAN:
                    kind |= 1
                elif cl == INF:
                    kind |= 2
                if bad_t[c]:
                    kind |= 4
        base[r] = lo if hi >= lo else 0
        reach[r] = hi - lo + 1 if hi >= lo else 0
        kinds[r] = kind


@numba.njit(cache=True, parallel=True)
def band_values(codes, sig_t, lsb_t, neg_t, cls_t, shift, block, base, width, span, p, band, out, found):
    """Band ``band`` of each row (as ``refmodel.gemm._bands`` cuts them): ``out[r, k]`` the element (its
    LSB raised by ``shift[r, k // block]``) over ``2**(base[r] + offset)`` as an exact float64 integer if
    its top bit falls in the band, else 0; ``found[r]`` whether row r has one.  Band 0 holds tops below
    ``width`` over the row's base, band ``b >= 1`` the next ``span`` binades from
    ``width + (b - 1) * span``, at offset ``width + (b - 1) * span - (p - 1)``."""
    rows, k_count = codes.shape
    lo = 0 if band == 0 else width + (band - 1) * span
    hi = width if band == 0 else lo + span
    off = 0 if band == 0 else lo - (p - 1)
    top_t = _tops(sig_t, lsb_t)
    for r in numba.prange(rows):
        hit = False
        for k0 in range(0, k_count, block):
            sh = shift[r, k0 // block]
            for k in range(k0, min(k0 + block, k_count)):
                c = codes[r, k]
                rel = top_t[c] + sh - base[r]
                if cls_t[c] == FINITE and sh != NAN_SCALE and rel >= lo and rel < hi:
                    mag = float(sig_t[c] << (lsb_t[c] + sh - base[r] - off))
                    out[r, k] = -mag if neg_t[c] else mag
                    hit = True
                else:
                    out[r, k] = 0.0
        found[r] = hit


@numba.njit(cache=True, parallel=True)
def float32_rne(t, base_a, base_b, tiny, f, flags):
    """``f = float32(t[m, n] * 2**(base_a[m] + base_b[n]))``, rounded once to nearest even, with the flags
    NX, OF and UF (tiny below ``tiny``, inexact).  The two power-of-two scalings are exact for
    ``|t| < 2**53`` and bases within +-400 (the caller's condition): every value stays a normal float64."""
    rows, cols = t.shape
    scale_b = np.empty(cols)
    for n in range(cols):
        scale_b[n] = math.ldexp(1.0, base_b[n])
    for m in numba.prange(rows):
        scale_a = math.ldexp(1.0, base_a[m])
        for n in range(cols):
            v = t[m, n] * scale_a * scale_b[n]
            x = np.float32(v)
            fl = 0
            if np.float64(x) != v:
                fl |= NX
                if abs(v) < tiny:
                    fl |= UF
            if math.isinf(x):
                fl |= OF
            f[m, n] = x
            flags[m, n] = fl


SR, RTZ = int(RoundingMode.SR), int(RoundingMode.RTZ)


@numba.njit(cache=True, inline="always")
def _round_int(mag, shift, neg, mode, r_bits, r):
    """``mag * 2**-shift`` (``mag < 2**62``, ``shift >= 32``) rounded to an integer by the mode; inexact."""
    if shift > 62:
        i, rbit, sticky, rem = 0, 0, True, mag
    else:
        i = mag >> shift
        rem = mag & ((1 << shift) - 1)
        rbit = (rem >> (shift - 1)) & 1
        sticky = (rem & ((1 << (shift - 1)) - 1)) != 0
    inexact = rbit != 0 or sticky
    if mode == RNE:
        i += 1 if rbit and (sticky or (i & 1)) else 0
    elif mode == RMM:
        i += rbit
    elif mode == RDN:
        i += 1 if inexact and neg else 0
    elif mode == RUP:
        i += 1 if inexact and not neg else 0
    elif mode == RTO:
        i |= 1 if inexact else 0
    elif mode == SR:
        d = shift - r_bits
        t = (rem >> d) if d < 63 else 0
        i += 1 if t + r >= (1 << r_bits) else 0
    return i, inexact


@numba.njit(cache=True, inline="always")
def _round_acc(neg, mag, exp, emin, emax, man, mode, r_bits, r, saturate):
    """Round ``(-1)**neg * mag * 2**exp`` (``0 < mag < 2**63``) into an ieee format as
    ``refmodel.rounding.round_finite`` does: ``(cls, sig, lsb, flags)``, a zero keeping the sign."""
    norm = 62 - _bitlen(mag)
    mag = (mag << norm) if norm >= 0 else (mag >> 1) | (mag & 1)
    exp = exp - norm
    lg = exp + 61
    lgc = max(lg, emin)
    shift = lgc - man - exp
    i, inexact = _round_int(mag, shift, neg, mode, r_bits, r)
    q = lgc - man
    if i == 0:
        return ZERO, 0, 0, NX | UF
    if _bitlen(i) - 1 + q > emax:
        if saturate or mode == RTZ or mode == RTO or (mode == RDN and not neg) or (mode == RUP and neg):
            return FINITE, (1 << (man + 1)) - 1, emax - man, OF | NX
        return INF, 0, 0, OF | NX
    flags = NX if inexact else 0
    if inexact:
        if mode == SR:
            tiny = _bitlen(i) - 1 + q < emin
        elif lg <= emin - 2:
            tiny = True
        elif lg == emin - 1:  # unbounded exponent: the quantum one binade lower
            iu, _ = _round_int(mag, shift - 1, neg, mode, r_bits, r)
            tiny = iu < (1 << (man + 1))
        else:
            tiny = False
        if tiny:
            flags |= UF
    return FINITE, i, q, flags


@numba.njit(cache=True, inline="always")
def _aligned(s, l, window):
    """``2 * (s * 2**(l - window) truncated) + sticky`` (``refmodel.arith._align``)."""
    d = l - window
    if d >= 0:
        return (s << d) << 1
    right = min(-d, 62)
    return ((s >> right) << 1) | (1 if (s & ((1 << right) - 1)) != 0 else 0)


@numba.njit(cache=True, parallel=True)
def fma_chain(a, b, ta_sig, ta_lsb, ta_neg, ta_cls, ta_bad, tb_sig, tb_lsb, tb_neg, tb_cls, tb_bad,
              c_neg, c_sig, c_lsb, c_cls, c_bad, rand, emin, emax, man, mode, r_bits, saturate,
              o_neg, o_sig, o_lsb, o_cls, o_flags):
    """Every output of an FMA chain: ``acc = fma(acc, a[m, k], b[n, k])`` for k = 0...K-1 from C, each
    rounded into the accumulator format by ``refmodel.arith.fma``'s rules; under sr step k of output
    (m, n) takes ``rand[m * N + n, k]``, or ``rand[0, k]`` when ``rand`` has one row (one LFSR stream).
    ``a`` (M, K) and ``b`` (N, K) codes read through per-code tables; writes ``o_*`` as fused_dot."""
    m_count, k_count = a.shape
    n_count = b.shape[0]
    for m in numba.prange(m_count):
        for n in range(n_count):
            cc, cn, cs, cl = c_cls[m, n], c_neg[m, n], c_sig[m, n], c_lsb[m, n]
            flags = NV if c_bad[m, n] else 0
            for k in range(k_count):
                x, y = a[m, k], b[n, k]
                ca, cb = ta_cls[x], tb_cls[y]
                pn = ta_neg[x] != tb_neg[y]
                if ta_bad[x] or tb_bad[y]:
                    flags |= NV
                if ca == NAN or cb == NAN:
                    pc = NAN
                elif (ca == INF and cb == ZERO) or (ca == ZERO and cb == INF):
                    pc = NAN
                    flags |= NV
                elif ca == INF or cb == INF:
                    pc = INF
                elif ca == ZERO or cb == ZERO:
                    pc = ZERO
                else:
                    pc = FINITE
                if cc == NAN or pc == NAN:
                    cc = NAN
                    continue
                if cc == INF and pc == INF and cn != pn:
                    cc = NAN
                    flags |= NV
                    continue
                if cc == INF or pc == INF:
                    if pc == INF:
                        cn = pn
                    cc = INF
                    continue
                if pc == ZERO:
                    if cc == ZERO and cn != pn:
                        cn = mode == RDN
                    continue
                ps, pl = ta_sig[x] * tb_sig[y], ta_lsb[x] + tb_lsb[y]
                if cc == ZERO:
                    top = pl + _bitlen(ps)
                else:
                    top = max(pl + _bitlen(ps), cl + _bitlen(cs))
                window = top + 1 - 61
                total = _aligned(ps, pl, window)
                total = -total if pn else total
                if cc == FINITE:
                    u = _aligned(cs, cl, window)
                    total += -u if cn else u
                if total == 0:
                    cc, cn, cs, cl = ZERO, mode == RDN, 0, 0
                    continue
                neg = total < 0
                r = (rand[0, k] if rand.shape[0] == 1 else rand[m * n_count + n, k]) if mode == SR else 0
                cc, cs, cl, f = _round_acc(neg, abs(total), window - 1, emin, emax, man, mode, r_bits, r, saturate)
                cn = neg
                flags |= f
            o_neg[m, n], o_sig[m, n], o_lsb[m, n], o_cls[m, n], o_flags[m, n] = cn, cs, cl, cc, flags
