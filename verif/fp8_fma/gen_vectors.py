"""Vector generator for the fp8_fma replay bench: refmodel.arith.fma is the expected side.

Writes one case per line, whitespace-separated hex words, after ``//`` comment lines:

    a b acc rm rand sat expected_res expected_flags

The first word of the file is the number of cases (so that ``$readmemh`` readers know it).
Cases: special and boundary accumulators against every a code and selected b codes, exact
cancellations and near-cancellations, far-apart exponents, and random codes; every rounding mode
(0 rne ... 6 rto) with sat 0 and 1 spread over them.

Usage: python verif/fp8_fma/gen_vectors.py --fmt-a float8_e4m3fn --fmt-b float8_e4m3fn \
           --acc-fmt float32 --out vectors.hex [--random N] [--seed S] [--sr-bits R]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from refmodel import arith
from refmodel.codec import decode, encode
from refmodel.formats import get_format

MODES = tuple(range(7))  # rne rtz rdn rup rmm sr rto, RTL rm codes


def boundary_accs(fc) -> np.ndarray:
    """Accumulator codes at the format's edges (both signs)."""
    m, e = fc.man_bits, fc.exp_bits
    sign = 1 << (m + e)
    inf = ((1 << e) - 1) << m
    one = fc.bias << m
    far = [(fc.bias + k) << m for k in (-100, -20, -12, 12, 20, 100)]
    mags = [0, 1, 2, (1 << m) - 1, 1 << m, (1 << m) + 1, one, one + 1, one - 1, inf - 1, inf - 2, inf]
    mags += [x for x in far if 0 < x < inf]
    codes = mags + [x | sign for x in mags]
    codes += [inf | (1 << (m - 1)), inf | 1, inf | (1 << (m - 1)) | sign, inf | 1 | sign]  # qNaN, sNaN
    return np.array(sorted(set(codes)), np.int64)


def selected_b(fb) -> np.ndarray:
    """A few b codes of every class: zeros, min subnormal, 1.0, max, specials."""
    m, e = fb.man_bits, fb.exp_bits
    sign = 1 << (m + e)
    top = ((1 << e) - 1) << m
    picks = [0, sign, 1, sign | 1, fb.bias << m, (fb.bias << m) | sign, (fb.bias << m) + 1,
             1 << m, top - 1, top | ((1 << m) - 1), top, sign | top, sign | top | ((1 << m) - 1)]
    return np.array(sorted({p for p in picks if p < (1 << fb.bits)}), np.int64)


def generate(fmt_a: str, fmt_b: str, acc_fmt: str, n_random: int, seed: int, sr_bits: int,
             structured_limit: int | None = None) -> np.ndarray:
    """Cases as rows of (a, b, acc, rm, rand, sat, res, flags); structured_limit samples part 1."""
    fa, fb, fc = get_format(fmt_a), get_format(fmt_b), get_format(acc_fmt)
    rng = np.random.default_rng(seed)
    cases_a, cases_b, cases_c = [], [], []

    # 1. every a x selected b x boundary accumulators
    aa, bb, cc = np.meshgrid(np.arange(1 << fa.bits), selected_b(fb), boundary_accs(fc), indexing="ij")
    keep = np.arange(aa.size)
    if structured_limit is not None and structured_limit < aa.size:
        keep = np.sort(rng.choice(aa.size, structured_limit, replace=False))
    cases_a.append(aa.ravel()[keep]); cases_b.append(bb.ravel()[keep]); cases_c.append(cc.ravel()[keep])

    # 2. exact cancellation and near-cancellation: acc = -(a*b) (+- a few ulps), scaled neighbours
    n = max(n_random // 2, 1)
    a = rng.integers(0, 1 << fa.bits, n)
    b = rng.integers(0, 1 << fb.bits, n)
    with np.errstate(all="ignore"):
        prod = decode(a, fa, np.float64) * decode(b, fb, np.float64)
        prod = np.where(np.isfinite(prod), prod, 1.0)
        kind = rng.integers(0, 4, n)
        scale = np.ldexp(1.0, rng.integers(-40, 41, n))
        val = np.where(kind == 0, -prod, np.where(kind == 1, prod * scale, -prod * scale))
        val = np.where(kind == 3, -prod * (1 + np.ldexp(1.0, -rng.integers(1, 30, n))), val)
        c = encode(val.astype(np.float64), fc, saturate=True).astype(np.int64)
    ulp = rng.integers(-3, 4, n)
    c = np.clip(c + np.where(kind == 0, ulp, 0), 0, (1 << fc.bits) - 1)
    cases_a.append(a); cases_b.append(b); cases_c.append(c)

    # 3. uniformly random codes
    cases_a.append(rng.integers(0, 1 << fa.bits, n_random))
    cases_b.append(rng.integers(0, 1 << fb.bits, n_random))
    cases_c.append(rng.integers(0, 1 << fc.bits, n_random))

    a = np.concatenate(cases_a); b = np.concatenate(cases_b); c = np.concatenate(cases_c)
    idx = np.arange(a.size)
    rm = idx % 7
    sat = (idx // 7) % 2
    rnd = rng.integers(0, 1 << sr_bits, a.size)
    res = np.zeros(a.size, np.int64)
    flg = np.zeros(a.size, np.int64)
    for mode in MODES:
        for s in (0, 1):
            sel = (rm == mode) & (sat == s)
            kw = dict(fmt_a=fa, fmt_b=fb, acc_fmt=fc, rounding=mode, saturate=bool(s))
            if mode == 5:
                kw.update(sr_bits=sr_bits, rand=rnd[sel])
            r, f = arith.fma(c[sel], a[sel], b[sel], **kw)
            res[sel], flg[sel] = r, f
    # the DUT sees rand_i in every mode; only sr reads it
    return np.stack([a, b, c, rm, rnd, sat, res, flg], axis=1)


def write(path: Path, rows: np.ndarray, header: str) -> None:
    lines = [f"// {header}", "// a b acc rm rand sat expected_res expected_flags", f"{len(rows):x}"]
    lines += [" ".join(f"{int(v):x}" for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fmt-a", default="float8_e4m3fn")
    ap.add_argument("--fmt-b", default=None)
    ap.add_argument("--acc-fmt", default="float32")
    ap.add_argument("--random", type=int, default=4000, help="random cases (and half as many cancellations)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sr-bits", type=int, default=16)
    ap.add_argument("--structured-limit", type=int, default=None,
                    help="sample this many of the a x b x boundary-acc cases (default: all)")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    fmt_b = args.fmt_b or args.fmt_a
    rows = generate(args.fmt_a, fmt_b, args.acc_fmt, args.random, args.seed, args.sr_bits,
                    args.structured_limit)
    write(args.out, rows, f"fp8_fma vectors: {args.fmt_a} x {fmt_b} + {args.acc_fmt}, "
                          f"sr_bits {args.sr_bits}, seed {args.seed}")
    print(f"{len(rows)} vectors -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
