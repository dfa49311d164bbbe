#!/usr/bin/env python3
"""Throughput of the refmodel codec against ml_dtypes (and gfloat) on float32 data.

Usage::

    python bench/bench_codec.py                      # 16,777,216 values, median of 5
    python bench/bench_codec.py --quick              # 1,048,576-value smoke run
    python bench/bench_codec.py --json results.json  # also write every figure

Data (one tensor per format, fixed seed, float32, ``--n`` values):

* standard normal values, in blocks of 64 that share one scale ``2**u`` with
  ``u`` uniform in ``[log2(min subnormal) - 2, log2(max finite) + 1]``, so the
  tensor covers the format's whole range: with the default formats 8-14 % of
  the values are below the smallest subnormal, 6-14 % in the subnormal range
  and 2-3 % beyond the largest finite number;
* one value in 1,000 is then set to +0.0 or -0.0.

Method:

* every operation is run once untimed (this builds refmodel's lookup tables,
  which are cached), then ``--repeats`` rounds each run every operation once
  (round-robin, so that a change in the machine's load hits all operations);
  the figure is the median wall-clock time (``time.perf_counter``) converted
  to million values per second (Mval/s);
* one Python thread: numpy's element-wise operations and ml_dtypes casts do
  not start threads and no BLAS routine is called, so OPENBLAS_NUM_THREADS and
  similar variables make no difference; the environment is left as it is;
* a timing includes the output allocation of the call, not the input creation;
* ``sr16, rand`` is given a pre-drawn uint32 array of 16-bit random integers
  (drawing excluded; refmodel's range check of ``rand`` included);
  ``sr16, rng`` passes a numpy Generator, so drawing the random integers is
  included;
* gfloat (a pure-numpy second peer, much slower) is timed on the first
  1,048,576 values only; its rows give the Mval/s of that run.  Its encode
  row is ``round_ndarray`` followed by ``encode_ndarray``.

Before any timing the script checks that refmodel's rne codes equal the
ml_dtypes codes bit for bit, and that refmodel's decode equals ml_dtypes'
decode bit for bit on every code; it stops with exit status 1 otherwise.
On the gfloat subset it also compares refmodel with gfloat in rne, rtz, rdn,
rup and rmm and in decode (NaN sign ignored: gfloat does not keep it); the
agreement is reported but does not stop the run.

Targets: decode >= 3x ml_dtypes decode; rne encode >= 2x ml_dtypes rne encode;
every other rounding mode >= 1x ml_dtypes rne encode.  A missed target is
reported (MISS) but does not change the exit status.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

import ml_dtypes
import numpy as np
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout
import refmodel  # noqa: E402

try:
    import gfloat
    import gfloat.formats as gfloat_formats
except ImportError:  # gfloat is a test extra; the benchmark runs without it
    gfloat = None
    gfloat_formats = None

DEFAULT_N = 1 << 24
QUICK_N = 1 << 20
GFLOAT_N = 1 << 20
BLOCK = 64
ZERO_EVERY = 1000
SEED = 20250101
SR_BITS = 16
MODES = ("rne", "rtz", "rdn", "rup", "rmm", "rto")
GFLOAT_INFO = {
    "float8_e4m3fn": "format_info_ocp_e4m3",
    "float8_e5m2": "format_info_ocp_e5m2",
}

console = Console(width=max(Console().width, 110))


# ------------------------------------------------------------------------- helpers
def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info() -> dict[str, Any]:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": usable,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "ml_dtypes": ml_dtypes.__version__,
        "gfloat": importlib.metadata.version("gfloat") if gfloat else None,
        "load_average_1min_at_start": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }


def make_data(fmt: refmodel.Format, n: int, seed: int) -> np.ndarray:
    """Normal values times a log-uniform scale per block of BLOCK, a few signed zeros."""
    rng = np.random.default_rng(seed)
    lo = np.log2(fmt.min_positive) - 2.0
    hi = np.log2(fmt.max_finite) + 1.0
    blocks = -(-n // BLOCK)
    scale = np.exp2(rng.uniform(lo, hi, size=blocks))
    x = rng.standard_normal(n) * np.repeat(scale, BLOCK)[:n]
    zeros = rng.choice(n, size=max(1, n // ZERO_EVERY), replace=False)
    x[zeros] = np.where(rng.integers(0, 2, size=zeros.size) == 1, -0.0, 0.0)
    return x.astype(np.float32)


def data_stats(x: np.ndarray, fmt: refmodel.Format) -> dict[str, float]:
    a = np.abs(x)
    return {
        "zero": float(np.mean(a == 0)),
        "below_min_positive": float(np.mean((a > 0) & (a < fmt.min_positive))),
        "subnormal_range": float(np.mean((a >= fmt.min_positive) & (a < fmt.min_normal))),
        "above_max_finite": float(np.mean(a > fmt.max_finite)),
    }


def time_rows(rows: list[dict[str, Any]], repeats: int) -> None:
    """Fill in the timings of ``rows`` (each with a "fn"), round-robin.

    Each round runs every operation once, so a change in the machine's load
    during the run affects all operations alike instead of a few of them.
    """
    for r in rows:
        t0 = time.perf_counter()
        r["fn"]()  # untimed first call: builds refmodel's cached tables
        r["first_call_s"] = time.perf_counter() - t0
        r["times_s"] = []
    for _ in range(repeats):
        for r in rows:
            t0 = time.perf_counter()
            r["fn"]()
            r["times_s"].append(time.perf_counter() - t0)
    for r in rows:
        del r["fn"]
        r["median_s"] = statistics.median(r["times_s"])
        r["mval_s"] = r["n"] / r["median_s"] / 1e6


def same_values(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise: equal bits, or both NaN (sign and payload ignored)."""
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    return (a.view(np.uint64) == b.view(np.uint64)) | (np.isnan(a) & np.isnan(b))


def fail(msg: str) -> None:
    console.print(f"[bold red]ABORT:[/] {msg}")
    sys.exit(1)


# --------------------------------------------------------------------- per format
def bench_format(name: str, n: int, repeats: int) -> dict[str, Any]:
    try:
        fmt = refmodel.get_format(name)
    except ValueError as exc:
        fail(str(exc))
    if fmt.bits > 8:
        fail(f"{name} has {fmt.bits} bits; this benchmark covers formats of at most 8 bits")
    ml_type = getattr(ml_dtypes, name, None)
    if ml_type is None:
        fail(f"ml_dtypes has no type {name!r}; it is the peer every figure is compared with")
    x = make_data(fmt, n, SEED)
    stats = data_stats(x, fmt)

    # ---- correctness first
    ml_codes = x.astype(ml_type).view(np.uint8)
    rm_codes = refmodel.encode(x, fmt, rounding="rne")
    if rm_codes.dtype != np.uint8 or rm_codes.shape != ml_codes.shape:
        fail(f"{name}: refmodel codes have dtype {rm_codes.dtype}, shape {rm_codes.shape}")
    bad = np.flatnonzero(rm_codes != ml_codes)
    if bad.size:
        i = int(bad[0])
        fail(
            f"{name}: refmodel rne differs from ml_dtypes at {bad.size} of {n} values; "
            f"first at index {i}: x={x[i]!r} refmodel=0x{rm_codes[i]:02x} ml_dtypes=0x{ml_codes[i]:02x}"
        )
    all_codes = np.arange(fmt.code_count, dtype=np.uint8)
    rm_dec = refmodel.decode(all_codes, fmt, np.float32)
    ml_dec = all_codes.view(ml_type).astype(np.float32)
    if not np.array_equal(rm_dec.view(np.uint32), ml_dec.view(np.uint32)):
        fail(f"{name}: refmodel decode differs from ml_dtypes decode on the {fmt.code_count} codes")
    checks = {"rne_vs_ml_dtypes": f"bit-exact ({n:,} values)",
              "decode_vs_ml_dtypes": f"bit-exact (all {fmt.code_count} codes)"}
    console.print(f"[green]{name}[/]: refmodel rne == ml_dtypes on all {n:,} values; "
                  f"decode == on all {fmt.code_count} codes")

    # ---- timings
    rows: list[dict[str, Any]] = []

    def add(op: str, kind: str, fn: Callable[[], Any], count: int, target: float | None) -> None:
        rows.append({"op": op, "kind": kind, "n": count, "target": target, "fn": fn})

    add("ml_dtypes encode (rne)", "encode", lambda: x.astype(ml_type), n, None)
    add("ml_dtypes decode", "decode", lambda: ml_codes.view(ml_type).astype(np.float32), n, None)
    for mode in MODES:
        add(f"refmodel encode {mode}", "encode", lambda m=mode: refmodel.encode(x, fmt, rounding=m), n,
            2.0 if mode == "rne" else 1.0)
    rand = np.random.default_rng(SEED + 1).integers(0, 1 << SR_BITS, size=n, dtype=np.uint32)
    add(f"refmodel encode sr{SR_BITS}, rand", "encode",
        lambda: refmodel.encode(x, fmt, rounding="sr", sr_bits=SR_BITS, rand=rand), n, 1.0)
    add(f"refmodel encode sr{SR_BITS}, rng", "encode",
        lambda: refmodel.encode(x, fmt, rounding="sr", sr_bits=SR_BITS, rng=np.random.default_rng(SEED + 2)),
        n, 1.0)
    # Diagnostic, no target: the same data with every magnitude clamped into
    # [min normal, max finite], so no value needs sr's general (slow) path.
    add("refmodel decode", "decode", lambda: refmodel.decode(ml_codes, fmt, np.float32), n, 3.0)

    # ---- gfloat, on a subset
    info_name = GFLOAT_INFO.get(name)
    if gfloat is None:
        checks["gfloat"] = "not installed"
    elif info_name is None:
        checks["gfloat"] = f"no gfloat format mapped for {name}"
    else:
        fi = getattr(gfloat_formats, info_name)
        m = min(n, GFLOAT_N)
        xs = x[:m]
        cs = ml_codes[:m]

        def g_encode() -> np.ndarray:
            return gfloat.encode_ndarray(fi, gfloat.round_ndarray(fi, xs))

        gmodes = {"rne": "TiesToEven", "rtz": "TowardZero", "rdn": "TowardNegative",
                  "rup": "TowardPositive", "rmm": "TiesToAway"}
        for mode, gname in gmodes.items():
            g_codes = gfloat.encode_ndarray(fi, gfloat.round_ndarray(fi, xs, getattr(gfloat.RoundMode, gname)))
            r_codes = refmodel.encode(xs, fmt, rounding=mode)
            agree = same_values(refmodel.decode(g_codes.astype(np.uint8), fmt, np.float64),
                                refmodel.decode(r_codes, fmt, np.float64))
            checks[f"gfloat_encode_{mode}"] = f"{int(agree.sum()):,}/{m:,} equal (NaN sign ignored)"
        agree = same_values(gfloat.decode_ndarray(fi, cs), refmodel.decode(cs, fmt, np.float64))
        checks["gfloat_decode"] = f"{int(agree.sum()):,}/{m:,} equal (NaN sign ignored)"
        add("gfloat round+encode rne (subset)", "encode", g_encode, m, None)
        add("gfloat decode (subset)", "decode", lambda: gfloat.decode_ndarray(fi, cs), m, None)

    console.print(f"timing {len(rows)} operations, {repeats} rounds ...")
    time_rows(rows, repeats)
    base = {"encode": rows[0]["mval_s"], "decode": rows[1]["mval_s"]}
    for r in rows:
        r["ratio"] = r["mval_s"] / base[r["kind"]]
        r["met"] = None if r["target"] is None else r["ratio"] >= r["target"]
    return {"format": name, "n": n, "data": stats, "checks": checks, "rows": rows}


def print_table(res: dict[str, Any], repeats: int) -> None:
    d = res["data"]
    title = (
        f"{res['format']}: {res['n']:,} float32 values, median of {repeats}; data: "
        f"{d['zero']:.2%} zero, {d['below_min_positive']:.1%} below min positive, "
        f"{d['subnormal_range']:.1%} subnormal range, {d['above_max_finite']:.1%} above max finite"
    )
    caption = (
        "ratio: encodes vs ml_dtypes rne encode, decodes vs ml_dtypes decode; "
        f"rand: pre-drawn random integers (drawing excluded); rng: drawing included; "
        f"gfloat rows: first {min(res['n'], GFLOAT_N):,} values only"
    )
    t = Table(title=title, title_justify="left", caption=caption, caption_justify="left")
    t.add_column("operation")
    t.add_column("Mval/s", justify="right")
    t.add_column("median ms", justify="right")
    t.add_column("ratio", justify="right")
    t.add_column("target", justify="right")
    t.add_column("result", justify="center")
    for r in res["rows"]:
        target = "—" if r["target"] is None else f">= {r['target']:g}x"
        result = "" if r["met"] is None else ("[green]PASS[/]" if r["met"] else "[bold red]MISS[/]")
        t.add_row(r["op"], f"{r['mval_s']:.0f}", f"{r['median_s'] * 1e3:.1f}",
                  f"{r['ratio']:.2f}x", target, result)
    console.print(t)
    for k, v in res["checks"].items():
        console.print(f"  check {k}: {v}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=None, help=f"float32 values per format (default {DEFAULT_N:,})")
    p.add_argument("--repeats", type=int, default=5, help="timed runs per operation; the median is reported")
    p.add_argument("--formats", default="float8_e4m3fn,float8_e5m2", help="comma-separated format names")
    p.add_argument("--json", type=Path, default=None, metavar="PATH", help="write all figures to PATH")
    p.add_argument("--quick", action="store_true", help=f"smoke run on {QUICK_N:,} values")
    args = p.parse_args(argv)
    n = args.n if args.n is not None else (QUICK_N if args.quick else DEFAULT_N)
    if n < 2 or args.repeats < 1:
        p.error("--n must be >= 2 and --repeats >= 1")

    info = machine_info()
    console.print(
        f"[bold]refmodel codec benchmark[/]  {info['date']}\n"
        f"CPU: {info['cpu']} ({info['usable_cpus']} usable of {info['logical_cpus']} logical), "
        f"single thread; 1-min load average at start {info['load_average_1min_at_start']:.2f}\n"
        f"Python {info['python']}, numpy {info['numpy']}, ml_dtypes {info['ml_dtypes']}, "
        f"gfloat {info['gfloat'] or 'not installed'}; {info['platform']}"
    )
    results = []
    for name in [s.strip() for s in args.formats.split(",") if s.strip()]:
        res = bench_format(name, n, args.repeats)
        print_table(res, args.repeats)
        results.append(res)

    missed = [f"{r['format']}: {row['op']}" for r in results for row in r["rows"] if row["met"] is False]
    if missed:
        console.print("[bold red]targets missed:[/] " + "; ".join(missed))
    else:
        console.print("[green]all targets met[/]")
    if hasattr(os, "getloadavg"):
        console.print(f"1-min load average at end {os.getloadavg()[0]:.2f} (this benchmark itself adds about 1)")
    if args.json:
        payload = {"machine": info, "n": n, "repeats": args.repeats, "seed": SEED, "sr_bits": SR_BITS,
                   "gfloat_subset": GFLOAT_N, "results": results}
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        console.print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
