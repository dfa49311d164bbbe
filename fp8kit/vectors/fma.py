"""fma stimulus and vectors: boundary operands x edge and per-product accumulators, cancellations; refmodel.arith."""

from __future__ import annotations

import numpy as np

from refmodel import arith
from refmodel.codec import decode, encode
from refmodel.encodings import RoundingMode
from refmodel.formats import Format

from fp8kit.vectors.codes import acc_boundary_codes, boundary_codes
from fp8kit.vectors.io import Column

__all__ = ["cases", "random_cases", "sr_edges", "structured"]


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

