"""fma stimulus, one module for every consumer, and the fma vectors; expected values from refmodel.arith.

Two families of cases, each kept whole: the vector generator's (:func:`structured`: boundary a x
boundary b x accumulator edges and per-product cancellation/overflow accumulators; :func:`random_cases`)
and the cocotb benches' (:func:`directed`: operand-class triples, cancellation depths, alignments,
the sr boundary; :func:`stimulus`: every a code against random b and edge accumulators), used by
``fp8kit vectors --op fma`` (:func:`cases`), ``verif.fp8_fma`` and the bring-your-own bench ``verif.byo``.
"""

from __future__ import annotations

import numpy as np

from refmodel import arith
from refmodel.codec import classify, decode, encode
from refmodel.encodings import RoundingMode
from refmodel.formats import Format

from fp8kit.vectors.codes import acc_boundary_codes, boundary_codes, format_classes
from fp8kit.vectors.io import Column

__all__ = ["bench_cases", "cases", "class_codes", "directed", "random_cases", "sr_edges", "stimulus", "structured"]


def sr_edges(sr_bits: int) -> np.ndarray:
    return np.array(sorted({0, 1, 1 << (sr_bits - 1), (1 << sr_bits) - 1}), np.int64)


def structured(fa: Format, fb: Format, fc: Format) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boundary a x boundary b x (accumulator edges + per-product cancellation/overflow accumulators)."""
    aa, bb = (x.ravel() for x in np.meshgrid(boundary_codes(fa), boundary_codes(fb), indexing="ij"))
    with np.errstate(invalid="ignore"):
        p = decode(aa, fa, np.float64) * decode(bb, fb, np.float64)
    live = np.isfinite(p) & (p != 0)
    p = np.where(live, p, 1.0)
    neg = encode(-p, fc, rounding="rne", saturate=True).astype(np.int64)  # exact when representable
    same = encode(p, fc, rounding="rne", saturate=True).astype(np.int64)
    near_up = neg + 1  # magnitude one code above the cancelling value
    near_down = np.where(neg & fc.mag_mask, neg - 1, neg)
    top = np.where(p < 0, fc.max_code | fc.sign_mask, fc.max_code)  # overflow in directed modes
    derived = np.stack([neg, same, near_up, near_down, top], axis=1)
    derived = np.where(live[:, None], derived, 0)
    fixed = np.broadcast_to(acc_boundary_codes(fc), (aa.size, acc_boundary_codes(fc).size))
    accs = np.concatenate([fixed, derived], axis=1)
    cases = np.stack([np.repeat(aa, accs.shape[1]), np.repeat(bb, accs.shape[1]), accs.ravel()], axis=1)
    cases = np.unique(cases, axis=0)
    return cases[:, 0], cases[:, 1], cases[:, 2]


def random_cases(fa: Format, fb: Format, fc: Format, n: int, rng: np.random.Generator):
    """Half cancellations/near-cancellations and scaled neighbours of the product, half uniform codes."""
    n1 = n // 2
    a = rng.integers(0, fa.code_count, n1)
    b = rng.integers(0, fb.code_count, n1)
    with np.errstate(invalid="ignore"):
        prod = decode(a, fa, np.float64) * decode(b, fb, np.float64)
    prod = np.where(np.isfinite(prod), prod, 1.0)
    kind = rng.integers(0, 4, n1)
    scale = np.ldexp(1.0, rng.integers(-40, 41, n1))
    val = np.select([kind == 0, kind == 1, kind == 2], [-prod, prod * scale, -prod * scale],
                    -prod * (1 + np.ldexp(1.0, -rng.integers(1, 30, n1))))
    c = encode(val, fc, rounding="rne", saturate=True).astype(np.int64)
    c = np.clip(c + np.where(kind == 0, rng.integers(-3, 4, n1), 0), 0, fc.code_count - 1)
    n2 = n - n1
    return (np.concatenate([a, rng.integers(0, fa.code_count, n2)]),
            np.concatenate([b, rng.integers(0, fb.code_count, n2)]),
            np.concatenate([c, rng.integers(0, fc.code_count, n2)]))


def cases(fa, fb, fc, modes, sr_bits, level, count, seed):
    a0, b0, c0 = structured(fa, fb, fc)
    edges = sr_edges(sr_bits)
    combos = [(int(m), r, s) for m in modes for s in (0, 1)
              for r in (edges if m is RoundingMode.SR else [-1])]
    rm = np.repeat([c[0] for c in combos], a0.size)
    rand = np.repeat([c[1] for c in combos], a0.size)
    sat = np.repeat([c[2] for c in combos], a0.size)
    a, b, c = (np.tile(x, len(combos)) for x in (a0, b0, c0))
    # modes that ignore rand_i still see every edge word, in turn
    rand = np.where(rand < 0, edges[np.arange(rand.size) % edges.size], rand)
    if level == 2:
        rng = np.random.default_rng(seed)
        ra, rb, rc = random_cases(fa, fb, fc, count, rng)
        a, b, c = np.concatenate([a, ra]), np.concatenate([b, rb]), np.concatenate([c, rc])
        rm = np.concatenate([rm, rng.choice([int(m) for m in modes], count)])
        rand = np.concatenate([rand, rng.integers(0, 1 << sr_bits, count)])
        sat = np.concatenate([sat, rng.integers(0, 2, count)])
    res, flags = arith.fma_ops(c, a, b, rm, sat, rand, fmt_a=fa, fmt_b=fb, acc_fmt=fc, sr_bits=sr_bits)
    cols = [Column("a", fa.bits, "in", f"operand a code ({fa.name})"),
            Column("b", fb.bits, "in", f"operand b code ({fb.name})"),
            Column("acc", fc.bits, "in", f"accumulator code ({fc.name})"),
            Column("rm", 3, "in", "rounding mode (RoundingMode: 0 rne, 1 rtz, 2 rdn, 3 rup, 4 rmm, 5 sr, 6 rto)"),
            Column("rand", sr_bits, "in", "random integer r of sr (read only when rm = 5)"),
            Column("sat", 1, "in", "saturate results that overflow by rounding"),
            Column("res", fc.bits, "out", f"acc + a*b rounded once ({fc.name} code)"),
            Column("flags", 5, "out", "{NV, DZ, OF, UF, NX}")]
    return cols, [a, b, c, rm, rand, sat, res, flags]


# ------------------------------------------------------------- the cocotb benches' cases
def class_codes(fmt, rng: np.random.Generator, cls: int, n: int) -> np.ndarray:
    """``n`` random codes of class ``cls`` (both signs); for wide formats from a list of edge codes."""
    if fmt.bits <= 16:
        pool = np.flatnonzero(classify(np.arange(fmt.code_count), fmt) == cls)
    else:
        m = fmt.man_bits
        pool = {0: [0], 1: [1, (1 << m) - 1, 1 << (m - 1)], 2: [1 << m, fmt.max_code, fmt.bias << m],
                3: [fmt.inf_codes[0]], 4: [fmt.nan_code(False), fmt.inf_codes[0] | 1]}[cls]
        pool = np.array(pool + [p | fmt.sign_mask for p in pool], np.int64)
    return rng.choice(pool, n)


def directed(fa: Format, fb: Format, fc: Format, modes: np.ndarray, sr_bits: int, rng: np.random.Generator):
    """The cocotb benches' directed cases for every mode in ``modes``: (acc, a, b, rm, rand, sat) arrays.

    Every operand-class triple (four representatives each), overflow (max + max * max) and
    underflow (products of the smallest subnormals) edges of both signs, results at max finite,
    min normal and min subnormal, cancellations of every depth (acc = -p * r) and within a few
    codes of exact, every alignment distance (acc = +-p * 2**k); sat random; sr words random except
    on the sr boundary (t + r = 2**R and 2**R - 1, alternately).
    """
    acc, a, b = [], [], []
    # every operand-class triple, four representatives each
    for ca in format_classes(fa):
        for cb in format_classes(fb):
            for cc in format_classes(fc):
                a.append(class_codes(fa, rng, ca, 4))
                b.append(class_codes(fb, rng, cb, 4))
                acc.append(class_codes(fc, rng, cc, 4))
    # overflow: max + max * max, both signs; underflow: products of the smallest subnormals
    for sa in (0, fa.sign_mask):
        for sc in (0, fc.sign_mask):
            a.append(np.array([fa.max_code | sa, 1 | sa, 2 | sa, 1 | sa]))
            b.append(np.array([fb.max_code, 1, 3, 1]))
            acc.append(np.array([fc.max_code | sc, 0, 1 | sc, (1 << fc.man_bits) | sc]))
    # results at max finite, min normal, min subnormal (zero product)
    a.append(np.zeros(3, np.int64))
    b.append(np.zeros(3, np.int64))
    acc.append(np.array([fc.max_code, 1 << fc.man_bits, 1]))
    # cancellation of every depth and every alignment: acc = -p * r and acc = +-p * 2**k
    va, vb = decode(np.arange(fa.code_count), fa), decode(np.arange(fb.code_count), fb)
    fin_a = np.flatnonzero(np.isfinite(va) & (va != 0))
    fin_b = np.flatnonzero(np.isfinite(vb) & (vb != 0))
    n = 40
    ra, rb = rng.choice(fin_a, n), rng.choice(fin_b, n)
    p = va[ra].astype(np.float64) * vb[rb].astype(np.float64)
    for r in (1.0, 0.999, 0.99, 0.9, 0.75, 0.6, 0.4, 0.25):
        c = encode(-p * r, fc).astype(np.int64)
        a.append(ra), b.append(rb), acc.append(c)
    exact = encode(-p, fc).astype(np.int64)
    for delta in (1, 2, 5, 100):
        a.append(ra), b.append(rb), acc.append(np.clip(exact + delta, 0, fc.code_count - 1))
    for k in (-60, -30, -12, -3, -1, 1, 3, 12, 30, 60):
        a.append(ra), b.append(rb), acc.append(encode(p * 2.0**k * rng.choice([-1, 1], n), fc).astype(np.int64))
    acc, a, b = (np.concatenate(x).astype(np.int64) for x in (acc, a, b))
    modes = np.asarray(modes)
    reps = modes.size
    rm = np.repeat(modes, acc.size)
    acc, a, b = np.tile(acc, reps), np.tile(a, reps), np.tile(b, reps)
    sat = rng.integers(0, 2, acc.size)
    rand = rng.integers(0, 1 << sr_bits, acc.size)
    sr = np.flatnonzero(rm == 5)
    if sr.size:  # sr on its boundary: t + r = 2**R (away) and 2**R - 1 (toward), alternately
        edge = _sr_edge(fa, fb, fc, sr_bits, acc[sr], a[sr], b[sr], sat[sr])
        ok = edge < (1 << sr_bits)
        rand[sr[ok]] = edge[ok] - (np.arange(ok.sum()) % 2)
    return acc, a, b, rm, rand, sat


def _sr_edge(fa: Format, fb: Format, fc: Format, sr_bits: int, acc, a, b, sat) -> np.ndarray:
    """The least r that makes sr round away (2**R - t), found by bisection on refmodel.arith.fma;
    2**R where no r does (an exact result)."""
    def fma(r):
        out = np.empty(acc.size, np.int64)
        for s in (0, 1):
            k = sat == s
            out[k] = arith.fma(acc[k], a[k], b[k], fmt_a=fa, fmt_b=fb, acc_fmt=fc, rounding=5,
                               sr_bits=sr_bits, rand=r[k], saturate=bool(s))[0]
        return out

    toward = fma(np.zeros(acc.size, np.int64))
    lo, hi = np.zeros(acc.size, np.int64), np.full(acc.size, 1 << sr_bits)  # away at hi, not below lo
    while np.any(hi - lo > 0):
        mid = (lo + hi) // 2
        away = fma(np.minimum(mid, (1 << sr_bits) - 1)) != toward
        hi = np.where(away & (hi > lo), mid, hi)
        lo = np.where(~away & (hi > lo), mid + 1, lo)
    return hi


def stimulus(fa: Format, fb: Format, fc: Format, modes: np.ndarray, sr_bits: int, n: int,
             rng: np.random.Generator):
    """The cocotb benches' ``n`` random cases (acc, a, b, rm, rand, sat) over ``modes``.

    Operand a runs through every code first, b is uniform; the accumulator is a wide-ranging random
    value, or (30 %) one of its edge codes (zeros, min subnormal and normal, max, Inf, NaNs, 1.0 ...).
    """
    edges = [0, fc.sign_mask, 1, fc.sign_mask | 1, 1 << fc.man_bits, fc.max_code, fc.max_code | fc.sign_mask,
             fc.inf_codes[0], fc.inf_codes[1], fc.nan_code(False), fc.inf_codes[0] | 1]
    edges += encode(np.array([1.0, -1.0, 0.75, 3.0, 2.0**-10, -448.0]), fc).tolist()
    a = np.concatenate([np.arange(fa.code_count), rng.integers(0, fa.code_count, n)])[:n]
    b = rng.integers(0, fb.code_count, n)
    values = rng.standard_normal(n) * np.exp2(rng.uniform(-30, 30, n))
    acc = encode(values, fc).astype(np.int64)
    pick = rng.random(n) < 0.3
    acc[pick] = rng.choice(edges, int(pick.sum()))
    rm = rng.choice(modes, n)
    sat = rng.integers(0, 2, n)
    rand = rng.integers(0, 1 << sr_bits, n)
    return acc, a, b, rm, rand, sat


def bench_cases(fa: Format, fb: Format, fc: Format, modes: np.ndarray, sr_bits: int, n: int,
                rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """The cocotb benches' cases: :func:`directed` then ``n`` of :func:`stimulus`, drawn from ``rng`` in that order.

    Returns:
        (acc, a, b, rm, rand, sat) int64 arrays of one length.
    """
    return tuple(np.concatenate(x) for x in zip(directed(fa, fb, fc, modes, sr_bits, rng),
                                                stimulus(fa, fb, fc, modes, sr_bits, n, rng)))
