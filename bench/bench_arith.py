"""Throughput of refmodel.arith's fma and mac beside plain numpy float64 arithmetic.

Usage: python bench/bench_arith.py [--n 1000000] [--repeats 5] [--streams 1000] [--json PATH]

Data: n random e4m3fn operand pairs (finite codes, uniform) and n random
accumulator codes drawn from the float32 (or bfloat16) values of
N(0, 1) * 2**U(-8, 8).  Timed, median of --repeats, single thread:

* ``fma`` on all n elements at once (one call), per accumulator format;
* ``mac`` over ``--streams`` independent streams of n / streams steps each
  (the stream axis is sequential by definition, the streams are vectorised);
* the peer: ``acc + a * b`` in numpy float64 on pre-decoded values, with the
  final cast to float32 -- a familiar figure for speed, NOT a correct FMA:
  it double-rounds and carries no flags, which is why the model exists.

Target (issue 3): >= 5 million fma/s for the float32 accumulator.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timing import median_time  # noqa: E402

import refmodel  # noqa: E402
from refmodel import arith  # noqa: E402

FMT = "float8_e4m3fn"
TARGET_FMA_PER_S = 5e6


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--streams", type=int, default=1000)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    n = args.n
    rng = np.random.default_rng(2026)
    finite = np.flatnonzero(np.isfinite(refmodel.decode(np.arange(256), FMT)))
    a = rng.choice(finite, n).astype(np.uint8)
    b = rng.choice(finite, n).astype(np.uint8)
    av = refmodel.decode(a, FMT, np.float64)
    bv = refmodel.decode(b, FMT, np.float64)
    values = rng.standard_normal(n) * np.exp2(rng.uniform(-8, 8, n))
    rows = []
    for acc_fmt in ("float32", "bfloat16"):
        acc = refmodel.encode(values, acc_fmt)
        accv = refmodel.decode(acc, acc_fmt, np.float64)
        for mode in ("rne", "sr"):
            kw = {"sr_bits": 16, "rand": rng.integers(0, 1 << 16, n)} if mode == "sr" else {}
            t = median_time(lambda: arith.fma(acc, a, b, fmt_a=FMT, acc_fmt=acc_fmt, rounding=mode, **kw), args.repeats)
            rows.append({"op": f"refmodel fma {mode}", "acc": acc_fmt, "ops_per_s": n / t})
        steps = n // args.streams
        sa, sb = a[: steps * args.streams].reshape(args.streams, steps), b[: steps * args.streams].reshape(args.streams, steps)
        for mode in ("rne", "sr"):
            kw = {"sr_bits": 16, "lfsr_seed": 1} if mode == "sr" else {}
            t = median_time(lambda: arith.mac(sa, sb, fmt_a=FMT, acc_fmt=acc_fmt, rounding=mode, **kw), max(1, args.repeats // 2))
            rows.append({"op": f"refmodel mac {mode} ({args.streams} streams x {steps} steps)", "acc": acc_fmt,
                         "ops_per_s": steps * args.streams / t})
        t = median_time(lambda: (accv + av * bv).astype(np.float32), args.repeats)
        rows.append({"op": "numpy float64 acc + a*b (not exact)", "acc": acc_fmt, "ops_per_s": n / t})

    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"arith throughput, {n:,} random {FMT} operand pairs, median of {args.repeats}")
    for col in ("operation", "accumulator", "Mops/s", "vs numpy float64", "target"):
        table.add_column(col, justify="right" if col != "operation" else "left")
    for acc_fmt in ("float32", "bfloat16"):
        peer = next(r["ops_per_s"] for r in rows if r["acc"] == acc_fmt and r["op"].startswith("numpy"))
        for r in (r for r in rows if r["acc"] == acc_fmt):
            target = ""
            if r["op"] == "refmodel fma rne" and acc_fmt == "float32":
                target = "PASS (>= 5 M/s)" if r["ops_per_s"] >= TARGET_FMA_PER_S else "MISS (>= 5 M/s)"
            table.add_row(r["op"], acc_fmt, f"{r['ops_per_s'] / 1e6:.2f}", f"{r['ops_per_s'] / peer:.2f}x", target)
    Console(width=140).print(table)
    print(f"Python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
