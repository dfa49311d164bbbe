"""MX quantize/dequantize throughput, beside gfloat's block API in the same run.

Usage: python bench/bench_mx.py [--n 16777216] [--repeats 5] [--gfloat-n 65536]

Data: float32 N(0, 1) times a log-uniform scale 2**U(-10, 10) per block of
32, fixed seed.  Timed (median of --repeats, one thread): refmodel.mx.quantize
and dequantize per MX type on --n values; gfloat's block API
(``gfloat.quantize_block`` with ``compute_scale_amax``, which rounds and
decodes in one call) on the first --gfloat-n values, since it runs at tens of
thousands of values per second.  Before timing, refmodel's dequantized values
are compared with gfloat's on the gfloat subset (the OCP floor rule).

Targets (issue 4): quantize >= 10x gfloat and >= 50 M elements/s.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timing import median_time  # noqa: E402

from refmodel import mx  # noqa: E402

GFLOAT_FORMATS = {
    "mxfp8_e4m3": "format_info_mxfp8_e4m3",
    "mxfp8_e5m2": "format_info_mxfp8_e5m2",
    "mxfp6_e3m2": "format_info_mxfp6_e3m2",
    "mxfp6_e2m3": "format_info_mxfp6_e2m3",
    "mxfp4_e2m1": "format_info_mxfp4_e2m1",
    "mxint8": "format_info_mxint8",
}


def gfloat_quantize(fi, x: np.ndarray) -> np.ndarray:
    import gfloat

    blocks = x.astype(np.float64).reshape(-1, 32)
    return np.concatenate([gfloat.quantize_block(fi, b, gfloat.compute_scale_amax) for b in blocks])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1 << 24)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--gfloat-n", type=int, default=1 << 16)
    args = ap.parse_args()
    rng = np.random.default_rng(2026)
    scale = np.repeat(np.exp2(rng.uniform(-10, 10, args.n // 32)), 32)
    x = (rng.standard_normal(args.n) * scale).astype(np.float32)
    try:
        import gfloat.formats as gff
    except ImportError:
        gff = None
        print("gfloat not installed: peer rows skipped (pip install gfloat)")

    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"MX throughput, {args.n:,} float32 values, median of {args.repeats}")
    for col in ("type", "quantize Mel/s", "dequantize Mel/s", "gfloat quantize kel/s", "vs gfloat", "targets"):
        table.add_column(col, justify="left" if col == "type" else "right")
    failed = False
    for name in mx.MX_TYPES:
        tq = median_time(lambda: mx.quantize(x, name), args.repeats)
        m = mx.quantize(x, name)
        td = median_time(lambda: mx.dequantize(m), args.repeats)
        q_rate = args.n / tq
        g_cell, ratio_cell, ratio = "—", "—", None
        if gff is not None and name in GFLOAT_FORMATS:
            fi = getattr(gff, GFLOAT_FORMATS[name])
            sub = x[: args.gfloat_n]
            ours = mx.dequantize(mx.quantize(sub, name), np.float64)
            theirs = gfloat_quantize(fi, sub)
            same = int(np.sum((ours == theirs) | (np.isnan(ours) & np.isnan(theirs))))
            if same != sub.size:
                print(f"{name}: refmodel and gfloat disagree on {sub.size - same:,} of {sub.size:,} values")
            tg = median_time(lambda: gfloat_quantize(fi, sub), 1)
            g_rate = sub.size / tg
            ratio = q_rate / g_rate
            g_cell, ratio_cell = f"{g_rate / 1e3:.1f}", f"{ratio:,.0f}x"
        ok = q_rate >= 50e6 and (ratio is None or ratio >= 10)
        failed |= not ok
        table.add_row(name, f"{q_rate / 1e6:.1f}", f"{args.n / td / 1e6:.1f}", g_cell, ratio_cell,
                      ("PASS" if ok else "MISS") + " (>= 50 M/s, >= 10x gfloat)")
    Console(width=150).print(table)
    print("all targets met" if not failed else "targets missed (see MISS rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
