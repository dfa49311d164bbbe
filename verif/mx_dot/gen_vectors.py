"""Vector generator for the mx_dot replay bench: refmodel.mx.dot is the expected side.

Writes one case per line, whitespace-separated hex words, after ``//`` comment lines:

    a_0 ... a_{K-1} b_0 ... b_{K-1} scale_a scale_b expected_res expected_flags

The first word of the file is the number of cases (so that ``$readmemh`` readers know it).
Cases: blocks quantised with refmodel.mx.quantize from random float32 data (wide magnitude spread,
zeros, sparse rows, NaN/Inf rows that get the NaN scale), uniformly random raw element codes with
scales drawn from 0x00, 0x01, 0x7F, 0xFE, 0xFF and random, scale pairs placed at the float32
overflow and underflow boundaries, exact cancellations and all-(-0) rows.

Usage: python verif/mx_dot/gen_vectors.py --mx-type mxfp8_e4m3 --out vectors.hex [--random N] [--seed S]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from refmodel import mx

EDGE_SCALES = np.array([0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF], np.int64)


def _quantised(t: mx.MxType, rng: np.random.Generator, n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(scales (n,), elements (n, k)) from mx.quantize of random float32 rows."""
    x = rng.standard_normal((n, k)) * np.ldexp(1.0, rng.integers(-140, 128, (n, 1)))
    x *= np.ldexp(1.0, rng.integers(-12, 13, (n, k)))
    kind = rng.integers(0, 8, n)
    x[kind == 0] = 0.0
    sparse = (kind == 1)[:, None] & (rng.random((n, k)) < 0.8)
    x[sparse] = 0.0
    bad = np.flatnonzero(kind == 2)
    x[bad, rng.integers(0, k, bad.size)] = rng.choice([np.nan, np.inf, -np.inf], bad.size)
    with np.errstate(all="ignore"):
        x32 = x.astype(np.float32)
    q = mx.quantize(x32, t.name, axis=-1, block=k)
    return q.scales.reshape(n).astype(np.int64), q.elements.reshape(n, k).astype(np.int64)


def _scales(rng: np.random.Generator, n: int) -> np.ndarray:
    pick = rng.integers(0, 3, n)
    return np.where(pick == 0, rng.choice(EDGE_SCALES, n), rng.integers(0, 256, n))


def generate(mx_type: str, k: int, n_random: int, seed: int) -> np.ndarray:
    """Cases as rows of (a_0..a_{k-1}, b_0..b_{k-1}, sa, sb, res, flags)."""
    t = mx.get_mx_type(mx_type)
    bits = t.elem_bits
    rng = np.random.default_rng(seed)
    n = max(n_random // 4, 1)
    A, B, SA, SB = [], [], [], []

    # 1. quantised random data, both sides
    sa, ea = _quantised(t, rng, n, k)
    sb, eb = _quantised(t, rng, n, k)
    A.append(ea); B.append(eb); SA.append(sa); SB.append(sb)

    # 2. uniformly random raw codes, edge and random scales
    A.append(rng.integers(0, 1 << bits, (n, k))); B.append(rng.integers(0, 1 << bits, (n, k)))
    SA.append(_scales(rng, n)); SB.append(_scales(rng, n))

    # 3. scale pairs at the float32 overflow / underflow / subnormal boundaries
    A.append(rng.integers(0, 1 << bits, (n, k))); B.append(rng.integers(0, 1 << bits, (n, k)))
    total = rng.choice(np.concatenate([np.arange(-40, 30), np.arange(200, 300), np.arange(380, 509)]), n)
    total = np.clip(total, 0, 508)
    a_s = np.clip(rng.integers(0, 255, n), np.maximum(total - 254, 0), np.minimum(total, 254))
    SA.append(a_s); SB.append(total - a_s)

    # 4. exact cancellations (b_k and b_{k'} = b_k with the sign flipped, same a) and -0 rows
    sign = 1 << (bits - 1)
    a = rng.integers(0, 1 << bits, (n, k))
    b = rng.integers(0, 1 << bits, (n, k))
    half = k // 2
    a[:, half:2 * half] = a[:, :half]
    if t.element is None:
        b[:, half:2 * half] = (-b[:, :half].astype(np.int8).astype(np.int64)).clip(-127, 127) & 0xFF
    else:
        b[:, half:2 * half] = b[:, :half] ^ sign
    if k % 2:
        b[:, -1] = 0
    small = rng.random((n, k)) < 0.05  # perturb a few to give near-cancellation
    b = np.where(small, rng.integers(0, 1 << bits, (n, k)), b)
    negz = rng.random(n) < 0.15
    a[negz] = rng.choice([0, sign], (int(negz.sum()), k))
    b[negz] = np.where(a[negz] == sign, 0, sign)
    A.append(a); B.append(b); SA.append(_scales(rng, n)); SB.append(_scales(rng, n))

    a = np.concatenate(A).astype(np.uint8); b = np.concatenate(B).astype(np.uint8)
    sa = np.concatenate(SA).astype(np.uint8); sb = np.concatenate(SB).astype(np.uint8)
    rows = a.shape[0]
    ma = mx.MxArray(t.name, k, 1, (rows, k), sa.reshape(rows, 1), a)
    mb = mx.MxArray(t.name, k, 1, (rows, k), sb.reshape(rows, 1), b)
    res, flags = mx.dot(ma, mb)
    return np.concatenate([a.astype(np.int64), b.astype(np.int64), sa[:, None].astype(np.int64),
                           sb[:, None].astype(np.int64), res.astype(np.int64)[:, None],
                           flags.astype(np.int64)[:, None]], axis=1)


def write(path: Path, rows: np.ndarray, header: str) -> None:
    lines = [f"// {header}", "// a_0..a_{K-1} b_0..b_{K-1} scale_a scale_b expected_res expected_flags",
             f"{len(rows):x}"]
    lines += [" ".join(f"{int(v):x}" for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mx-type", default="mxfp8_e4m3")
    ap.add_argument("--k", type=int, default=32, help="elements per block")
    ap.add_argument("--random", type=int, default=4000, help="total cases (a quarter per kind)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    rows = generate(args.mx_type, args.k, args.random, args.seed)
    write(args.out, rows, f"mx_dot vectors: {args.mx_type}, K {args.k}, seed {args.seed}")
    print(f"{len(rows)} vectors -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
