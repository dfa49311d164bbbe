#!/usr/bin/env python3
"""Check acme_fma8 (examples/byo_dut/acme_fma8.v) against refmodel.arith.fma.

Writes vectors computed with ``refmodel.arith.fma(z, x, y,
fmt_a="float8_e4m3fn", acc_fmt="float32", rounding=mode, saturate=False)``,
maps the rounding modes and flags to acme's own encodings, replays them
through ``tb_acme_check.v`` with Icarus Verilog and reports the mismatches.

Vector sets (every one in all four modes rtz, rne, rup, rdn):

* ``pairs-special``: all 65,536 (x, y) pairs, z cycling through boundary and
  special float32 codes (+-0, +-1, +-max, +-min normal, subnormals, +-Inf,
  quiet and signalling NaNs, ...);
* ``pairs-near``: all 65,536 pairs, z chosen near the product: the exact
  negative (cancellation to zero), a few ulps around it, and z whose ulp sits
  just above the product's lowest bit (guard / sticky / tie cases);
* ``random``: random x, y with z drawn from: near the product, full-range
  random codes, subnormals, near +-max (overflow), NaN/Inf.

Usage (from the repository root):
    PYTHONPATH=. /work/venv/bin/python examples/byo_dut/check_acme.py [--random N] [--seed S]
Exit status 0 iff every vector matched.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

from refmodel import arith
from refmodel.encodings import Flag

HERE = os.path.dirname(os.path.abspath(__file__))

# fp8kit mode name -> acme round_mode code
ACME_RM = {"rtz": 0, "rne": 1, "rup": 2, "rdn": 3}
# fp8kit flag -> acme status bit
ACME_FLAG_BIT = {Flag.NV: 0, Flag.OF: 1, Flag.UF: 2, Flag.NX: 3}

F32_MAX = 0x7F7FFFFF


def to_acme_status(flags: np.ndarray) -> np.ndarray:
    flags = flags.astype(np.uint8)
    if np.any(flags & int(Flag.DZ)):
        raise AssertionError("refmodel raised DZ, which acme_fma8 cannot express")
    out = np.zeros_like(flags)
    for flag, bit in ACME_FLAG_BIT.items():
        out |= (((flags & int(flag)) != 0).astype(np.uint8) << bit).astype(np.uint8)
    return out


def e4m3_value(codes: np.ndarray) -> np.ndarray:
    """float64 value of E4M3 codes (NaN for 0x7F/0xFF)."""
    c = codes.astype(np.int64)
    e = (c >> 3) & 15
    m = c & 7
    mag = np.where(e == 0, m * 2.0**-9, (8 + m) * 2.0 ** (e - 10))
    mag = np.where((c & 0x7F) == 0x7F, np.nan, mag)
    return np.where(c & 0x80, -mag, mag)


def f32_bits(v: np.ndarray) -> np.ndarray:
    return np.asarray(v, np.float32).view(np.uint32).astype(np.uint64)


def special_z(rng: np.random.Generator, n: int) -> np.ndarray:
    base = [
        0x00000000, 0x80000000, 0x3F800000, 0xBF800000, F32_MAX, F32_MAX | 0x80000000,
        0x7F7FFFFE, 0xFF7FFFFE, 0x00800000, 0x80800000, 0x00000001, 0x80000001,
        0x007FFFFF, 0x807FFFFF, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000,
        0x7F800001, 0xFF800001, 0x7FA00000, 0x7FFFFFFF, 0x43E00000, 0xC3E00000,  # +-448
        0x4B800000, 0xCB800000, 0x33800000, 0xB3800000, 0x00400000, 0x4F000000,
        0x3A800000, 0xBA800000,  # +-2^-10
    ]
    idx = np.arange(n) % len(base)
    rng.shuffle(idx)
    return np.array(base, np.uint64)[idx]


def near_product(rng: np.random.Generator, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """z close to +-x*y: exact negatives, a few ulps off, and z whose ulp is near the product's LSB."""
    n = x.size
    p = e4m3_value(x) * e4m3_value(y)  # exact in float64 (and float32)
    finite = np.isfinite(p)
    p = np.where(finite, p, 1.0)
    kind = rng.integers(0, 4, n)

    # 0: exact -p (cancels to zero)
    z0 = f32_bits(-p)
    # 1: -p +- a few ulps (code arithmetic; crossing zero wraps to the other sign's small values)
    z1 = (f32_bits(-p).astype(np.int64) + rng.integers(-3, 4, n)) & 0xFFFFFFFF
    z1 = np.where(p == 0.0, rng.integers(0, 1 << 32, n) & 0x807FFFFF, z1).astype(np.uint64)
    # 2/3: z whose ulp is 2^d times the product's lowest set bit, d in [-3, 14]
    pm_safe = np.where(p == 0.0, 1.0, np.abs(p))
    # exponent of the product's lowest set bit: the largest k with |p| / 2^k integral
    lsb_e = np.full(n, -40, np.int64)
    for k in range(-18, 20):
        scaled = pm_safe / 2.0**k
        lsb_e = np.where(scaled == np.floor(scaled), k, lsb_e)
    d = rng.integers(-3, 15, n)
    ulp_e = lsb_e + d
    zexp = ulp_e + 150  # biased exponent of a normal float32 whose ulp is 2^ulp_e
    zexp = np.clip(zexp, 1, 254)
    mant = rng.integers(0, 1 << 23, n)
    # kind 3: mantissa near all-ones / all-zeros (carries across binades)
    edge = np.where(rng.integers(0, 2, n) == 1, (1 << 23) - 1 - rng.integers(0, 4, n), rng.integers(0, 4, n))
    mant = np.where(kind == 3, edge, mant)
    sign = rng.integers(0, 2, n).astype(bool)
    z23 = ((sign.astype(np.uint64) << 31) | (zexp.astype(np.uint64) << 23) | mant.astype(np.uint64))
    z = np.where(kind == 0, z0, np.where(kind == 1, z1, z23))
    return z.astype(np.uint64)


def random_z(rng: np.random.Generator, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    n = x.size
    kind = rng.integers(0, 6, n)
    near = near_product(rng, x, y)
    full = rng.integers(0, 1 << 32, n).astype(np.uint64)
    sub = (rng.integers(0, 2, n).astype(np.uint64) << 31) | rng.integers(0, 1 << 23, n).astype(np.uint64)
    bigm = (F32_MAX - rng.integers(0, 8, n)).astype(np.uint64)
    big = (rng.integers(0, 2, n).astype(np.uint64) << 31) | bigm
    # exponents around the product's, random mantissa
    p = e4m3_value(x) * e4m3_value(y)
    pm = np.where(np.isfinite(p) & (p != 0), np.abs(p), 1.0)
    ze = np.clip(np.floor(np.log2(pm)).astype(np.int64) + 127 + rng.integers(-40, 41, n), 0, 254)
    mid = ((rng.integers(0, 2, n).astype(np.uint64) << 31) | (ze.astype(np.uint64) << 23)
           | rng.integers(0, 1 << 23, n).astype(np.uint64))
    spec = special_z(rng, n)
    return np.select([kind == 0, kind == 1, kind == 2, kind == 3, kind == 4], [near, full, sub, big, mid], spec)


def build_vectors(n_random: int, seed: int, pairs: bool = True):
    rng = np.random.default_rng(seed)
    xs, ys, zs, rms = [], [], [], []
    allx = np.repeat(np.arange(256, dtype=np.int64), 256)
    ally = np.tile(np.arange(256, dtype=np.int64), 256)
    for mode in ACME_RM if pairs else ():
        xs += [allx, allx]
        ys += [ally, ally]
        zs += [special_z(rng, allx.size), near_product(rng, allx, ally)]
        rms += [np.full(2 * allx.size, ACME_RM[mode])]
    per_mode = n_random // 4
    for mode in ACME_RM:
        x = rng.integers(0, 256, per_mode)
        y = rng.integers(0, 256, per_mode)
        xs.append(x); ys.append(y); zs.append(random_z(rng, x, y))
        rms.append(np.full(per_mode, ACME_RM[mode]))
    x = np.concatenate(xs); y = np.concatenate(ys); z = np.concatenate(zs).astype(np.uint64)
    rm = np.concatenate(rms)
    names = {v: k for k, v in ACME_RM.items()}
    res = np.zeros(x.size, np.uint64)
    st = np.zeros(x.size, np.uint8)
    for code, mode in names.items():
        sel = rm == code
        c, f = arith.fma(z[sel].astype(np.uint32), x[sel], y[sel], fmt_a="float8_e4m3fn",
                         fmt_b="float8_e4m3fn", acc_fmt="float32", rounding=mode, saturate=False)
        res[sel] = c.astype(np.uint64)
        st[sel] = to_acme_status(f)
    # shuffle so that consecutive operations differ in every field
    perm = rng.permutation(x.size)
    return x[perm], y[perm], z[perm], rm[perm], res[perm], st[perm]


def write_hex(path, x, y, z, rm, res, st):
    words = [
        f"{int(r):02x}{int(a):02x}{int(b):02x}{int(c):08x}{int(o):08x}{int(s):02x}"
        for r, a, b, c, o, s in zip(rm, x, y, z, res, st)
    ]
    with open(path, "w") as fh:
        fh.write("\n".join(words))
        fh.write("\n")


def summary(x, y, z, rm, res, st):
    names = {v: k for k, v in ACME_RM.items()}
    print(f"vectors: {x.size}")
    for code in sorted(names):
        sel = rm == code
        print(f"  {names[code]}: {sel.sum()}")
    for flag, bit in ACME_FLAG_BIT.items():
        print(f"  {flag.name} (status bit {bit}) raised in {int(((st >> bit) & 1).sum())}")
    print(f"  NaN results {int((res == 0x7FC00000).sum())}, zero results {int(((res & 0x7FFFFFFF) == 0).sum())}, "
          f"Inf results {int(((res & 0x7FFFFFFF) == 0x7F800000).sum())}, "
          f"subnormal results {int((((res >> 23) & 0xFF) == 0).sum() - ((res & 0x7FFFFFFF) == 0).sum())}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--random", type=int, default=160_000, help="random vectors on top of the exhaustive pair sets")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--gap", type=int, default=32, help="idle-cycle probability x/256 in the bench")
    ap.add_argument("--no-pairs", action="store_true", help="skip the exhaustive (x, y) pair sets (quick runs)")
    ap.add_argument("--workdir", default=None, help="where to write vectors and the simulator (default: a temp dir)")
    args = ap.parse_args(argv)

    vecs = build_vectors(args.random, args.seed, pairs=not args.no_pairs)
    summary(*vecs)
    n = vecs[0].size
    with tempfile.TemporaryDirectory(prefix="acme_") as tmp:
        work = args.workdir or tmp
        os.makedirs(work, exist_ok=True)
        hexf = os.path.join(work, "acme_vectors.hex")
        write_hex(hexf, *vecs)
        simv = os.path.join(work, "tb_acme_check.vvp")
        subprocess.run(["iverilog", "-g2005", "-Wall", "-o", simv,
                        os.path.join(HERE, "tb_acme_check.v"), os.path.join(HERE, "acme_fma8.v")], check=True)
        out = subprocess.run(["vvp", "-n", simv, f"+vec={hexf}", f"+n={n}", f"+seed={args.seed}",
                              f"+gap={args.gap}"], check=True, capture_output=True, text=True).stdout
    print(out.strip())
    line = [l for l in out.splitlines() if l.startswith("ACME_CHECK checked=")]
    if not line:
        print("no summary line from the bench")
        return 2
    fields = dict(kv.split("=") for kv in line[-1].split()[1:])
    ok = int(fields["checked"]) == n and int(fields["mismatches"]) == 0
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
