"""The ``fp8kit`` command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

import numpy as np

from .codec import decode, encode
from .encodings import RoundingMode
from .formats import get_format

ROUNDING_CHOICES = [m.label for m in RoundingMode]


def _console():
    from rich.console import Console

    console = Console()
    if not console.is_terminal:  # pipes and CI logs: don't fold tables into 80 columns
        console = Console(width=200)
    return console


def _table(title: str, columns: Sequence[str], rows: Sequence[dict[str, str]]):
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for col in columns:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*(row[c] for c in columns))
    return table


def _parse_value(text: str) -> float:
    try:
        return float.fromhex(text) if "0x" in text.lower() else float(text)
    except ValueError:
        raise SystemExit(f"fp8kit: not a number: {text!r} (decimal, 0x1.8p3 hex floats, inf, nan)")


def _parse_code(text: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise SystemExit(f"fp8kit: not an integer code: {text!r} (decimal, 0x.., 0b..)")


def cmd_formats(args: argparse.Namespace) -> int:
    from .describe import FORMAT_COLUMNS, format_rows

    _console().print(_table("fp8kit formats", FORMAT_COLUMNS, format_rows()))
    return 0


def cmd_table(args: argparse.Namespace) -> int:
    from .describe import code_rows

    fmt = get_format(args.format)
    rows = code_rows(fmt)
    _console().print(_table(f"{fmt.describe()}", ["code", "bits", "value", "exact", "class"], rows))
    return 0


def cmd_encode(args: argparse.Namespace) -> int:
    from .describe import code_rows

    fmt = get_format(args.format)
    values = np.array([_parse_value(v) for v in args.values], np.float64)
    kwargs = {}
    if args.rounding == "sr":
        kwargs["sr_bits"] = args.sr_bits
        if args.rand is not None:
            kwargs["rand"] = np.array([_parse_code(r) for r in args.rand.split(",")], np.int64)
        else:
            kwargs["rng"] = np.random.default_rng(args.seed)
    codes = encode(values, fmt, rounding=args.rounding, saturate=args.saturate, nan=args.nan, **kwargs)
    rows = code_rows(fmt, codes)
    for v, row in zip(args.values, rows):
        row["input"] = v
    mode = args.rounding + (", saturate" if args.saturate else "")
    cols = ["input", "code", "bits", "value", "exact", "class"]
    _console().print(_table(f"encode into {fmt.name} ({mode})", cols, rows))
    return 0


def cmd_decode(args: argparse.Namespace) -> int:
    from .describe import code_rows

    fmt = get_format(args.format)
    codes = np.array([_parse_code(c) for c in args.codes], np.int64)
    rows = code_rows(fmt, codes)
    _console().print(_table(f"decode {fmt.name}", ["code", "bits", "value", "exact", "class"], rows))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from .selfcheck import run_selfcheck

    console = _console()
    cmd_formats(args)
    results = run_selfcheck(samples=args.samples, seed=args.seed)
    rows = [
        {"check": r.name, "format": r.fmt, "cases": f"{r.cases:,}", "mismatches": f"{r.mismatches:,}",
         "result": "[green]PASS[/]" if r.ok else "[red]FAIL[/]", "detail": r.detail}
        for r in results
    ]
    console.print(_table("golden-model self-check", ["check", "format", "cases", "mismatches", "result", "detail"], rows))
    failed = [r for r in results if not r.ok]
    total = sum(r.cases for r in results)
    if failed:
        console.print(f"[red]{len(failed)} of {len(results)} checks failed[/] ({total:,} cases)")
        return 1
    console.print(f"[green]all {len(results)} checks passed[/] ({total:,} cases)")
    return 0


def cmd_study_sr(args: argparse.Namespace) -> int:
    from .study import plot, sr_study

    lengths = tuple(int(n) for n in args.lengths.split(","))
    rows = sr_study(lengths, tuple(args.accs.split(",")), tuple(args.modes.split(",")), args.trials,
                    args.sr_bits, args.seed)
    table_rows = []
    for acc in dict.fromkeys(r.acc for r in rows):
        for mode in dict.fromkeys(r.mode for r in rows):
            sel = {r.length: r for r in rows if r.acc == acc and r.mode == mode}
            row = {"accumulator": acc, "mode": mode}
            row.update({f"n={n}": f"{sel[n].mean:+.2e} ± {sel[n].std:.1e}" for n in sel})
            table_rows.append(row)
    cols = ["accumulator", "mode"] + [f"n={n}" for n in sorted({r.length for r in rows})]
    title = (f"relative error of a sequential dot product of float8_e4m3fn products: mean ± std over "
             f"{args.trials} trials (sr: {args.sr_bits} random bits from the shared LFSR)")
    _console().print(_table(title, cols, table_rows))
    if args.json:
        import dataclasses
        import json

        with open(args.json, "w") as fh:
            json.dump([dataclasses.asdict(r) for r in rows], fh, indent=1)
    if args.plot:
        plot(rows, args.plot)
        print(f"plot written to {args.plot}")
    return 0


def cmd_quantize(args: argparse.Namespace) -> int:
    from .mx import MX_TYPES, dequantize, quantize

    x = np.load(args.input, allow_pickle=False)
    name = args.format.strip().lower()
    if name in MX_TYPES:
        m = quantize(x, name, axis=args.axis, block=args.block, scale_rule=args.scale_rule, pad=args.pad)
        back = dequantize(m, np.float64)
        payload = {"kind": "mx", "mx_type": m.mx_type, "block": m.block, "axis": m.axis, "shape": np.array(m.shape),
                   "scale_rule": m.scale_rule, "scales": m.scales, "elements": m.elements,
                   "packed": np.frombuffer(m.to_bytes(), np.uint8)}
        if m.tensor_scale is not None:
            payload["tensor_scale"] = np.float32(m.tensor_scale)
        stored = len(m.to_bytes())
        label = f"{m.mx_type}, block {m.block} along axis {m.axis}, scale rule {m.scale_rule}"
    else:
        fmt = get_format(name)
        codes = encode(x, fmt, rounding=args.rounding, saturate=args.saturate)
        back = decode(codes, fmt, np.float64)
        payload = {"kind": "format", "format": fmt.name, "codes": codes}
        stored = codes.size * fmt.bits // 8
        label = f"{fmt.name}, {args.rounding}{', saturate' if args.saturate else ''}"
    np.savez(args.output, **payload)
    xf = np.asarray(x, np.float64)
    ok = np.isfinite(xf) & np.isfinite(back)
    err = float(np.sum((xf[ok] - back[ok]) ** 2))
    sig = float(np.sum(xf[ok] ** 2))
    sqnr = float("inf") if err == 0 else 10 * np.log10(sig / err) if sig > 0 else float("-inf")
    print(f"{args.input} {tuple(np.shape(x))} {np.asarray(x).dtype} -> {args.output}: {label}")
    print(f"stored {stored:,} bytes ({8 * stored / max(np.size(x), 1):.2f} bits per value); "
          f"round-trip SQNR {sqnr:.2f} dB over {int(ok.sum()):,} finite values")
    return 0


def cmd_sqnr(args: argparse.Namespace) -> int:
    from .sqnr_cli import run_sqnr

    return run_sqnr(args.input, args.plot, args.n, args.seed, _console())


def cmd_gen_docs(args: argparse.Namespace) -> int:
    from .docgen import refresh

    changed = refresh()
    print("updated: " + ", ".join(changed) if changed else "docs are up to date")
    return 0


def cmd_gen_rtl_defs(args: argparse.Namespace) -> int:
    from .rtlgen import DEFS_PATH, write_defs

    changed = write_defs()
    print(f"updated: {DEFS_PATH}" if changed else f"{DEFS_PATH} is up to date")
    return 0


def cmd_cost(args: argparse.Namespace) -> int:
    from .cost_table import run_cost

    return run_cost(args, _console())


def cmd_rtl_params(args: argparse.Namespace) -> int:
    from .rtlgen import rtl_param_overrides

    print(rtl_param_overrides(args.format, args.prefix))
    return 0


def cmd_regress(args: argparse.Namespace) -> int:
    from verif.regress.runner import RegressOptions, regress

    return regress(RegressOptions(level=args.level, jobs=args.jobs, seed=args.seed, shard=args.shard,
                                  only=tuple(args.only), out=Path(args.out), sim=args.sim, dut=args.dut or "",
                                  rtl_dir=args.rtl_dir or "", list_only=args.list))


def cmd_mutate(args: argparse.Namespace) -> int:
    from verif.mutate import MutateOptions, mutate

    return mutate(MutateOptions(modules=tuple(args.module), max_per_module=None if args.all else args.max_per_module,
                                seed=args.seed, out=Path(args.out), jobs=args.jobs, timeout=args.timeout,
                                list_only=args.list), _console())


def cmd_vectors(args: argparse.Namespace) -> int:
    from .vectors import generate, write

    level = args.level if args.level is not None else (2 if args.count else 1)
    v = generate(args.op, fmt=args.format, fmt_b=args.format_b, acc=args.acc, rounding=args.rounding,
                 sr_bits=args.sr_bits, lfsr_seed=args.lfsr_seed, k=args.k, level=level, count=args.count,
                 seed=args.seed)
    write(v, args.out)
    print(f"{v.header['cases']:,} {args.op} vectors (level {level}) -> {args.out}")
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from verif.replay import replay

    try:
        result = replay(args.file, max_report=args.max_report, simulator=args.sim)
    except (OSError, RuntimeError) as exc:  # no such file, a missing simulator (named with its install
        # command), a failed build or run
        print(f"fp8kit: error: {exc}", file=sys.stderr)
        return 2
    print(result.output.rstrip())
    return 0 if result.mismatches == 0 else 1


def _version() -> str:
    """The installed distribution's version (pyproject.toml's, through the package metadata)."""
    from importlib import metadata

    try:
        return metadata.version("fp8kit")
    except metadata.PackageNotFoundError:
        return "unknown (not installed: pip install -e .)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fp8kit", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("report", help="the main job: formats table and the golden-model self-check")
    p.add_argument("--samples", type=int, default=1 << 20, help="random values per format for the ml_dtypes check")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("formats", help="table of every registered format")
    p.set_defaults(func=cmd_formats)

    p = sub.add_parser("table", help="every code of a format: bits, value, class")
    p.add_argument("format")
    p.set_defaults(func=cmd_table)

    p = sub.add_parser("encode", help="encode values into a format")
    p.add_argument("format")
    p.add_argument("values", nargs="+", metavar="VALUE")
    p.add_argument("--rounding", choices=ROUNDING_CHOICES, default="rne")
    p.add_argument("--saturate", action="store_true", help="overflow and Inf give max finite")
    p.add_argument("--nan", choices=["ml_dtypes", "canonical"], default="ml_dtypes")
    p.add_argument("--sr-bits", type=int, default=16, help="random bits for --rounding sr")
    p.add_argument("--rand", help="comma-separated random integers for sr (else drawn with --seed)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_encode)

    p = sub.add_parser("study", help="numerical studies")
    studies = p.add_subparsers(dest="study", required=True)
    p = studies.add_parser("sr", help="long dot products in narrow accumulators: rne/rtz against sr")
    p.add_argument("--lengths", default="256,1024,4096,16384", help="comma-separated lengths (<= 65536)")
    p.add_argument("--accs", default="bfloat16,float16,e5m7,e6m5", help="accumulator formats")
    p.add_argument("--modes", default="rne,rtz,sr")
    p.add_argument("--trials", type=int, default=8)
    p.add_argument("--sr-bits", type=int, default=16)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--plot", help="write a PNG plot (needs matplotlib: pip install 'fp8kit[plot]')")
    p.add_argument("--json", help="write the rows as JSON")
    p.set_defaults(func=cmd_study_sr)

    p = sub.add_parser("quantize", help="quantize a .npy tensor into an MX type or a format, saved as .npz")
    p.add_argument("format", help="an MX type (mxfp8_e4m3, ..., mxint8, nvfp4, nvfp4_ue5m3) or a format name")
    p.add_argument("input", help="input .npy (floats)")
    p.add_argument("output", help="output .npz")
    p.add_argument("--axis", type=int, default=-1, help="MX: the blocked axis")
    p.add_argument("--block", type=int, default=None, help="MX: block size (default 32, nvfp4 16)")
    p.add_argument("--scale-rule", choices=["ocp", "ceil"], default="ocp", help="MX: shared-scale rule")
    p.add_argument("--pad", action="store_true", help="MX: pad a partial last block with zeros")
    p.add_argument("--rounding", choices=ROUNDING_CHOICES[:5] + ["rto"], default="rne", help="format: rounding mode")
    p.add_argument("--saturate", action="store_true", help="format: saturate overflow")
    p.set_defaults(func=cmd_quantize)

    p = sub.add_parser("sqnr", help="SQNR of every narrow format (best exponent bias) on a tensor")
    p.add_argument("input", nargs="?", help=".npy tensor; default: built-in gaussian, laplace, student-t")
    p.add_argument("--plot", help="write a PNG bar chart")
    p.add_argument("--n", type=int, default=65536, help="values per built-in distribution")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_sqnr)

    p = sub.add_parser("gen-docs", help="regenerate the generated sections of docs/*.md")
    p.set_defaults(func=cmd_gen_docs)

    p = sub.add_parser("cost", help="area (GE) and energy of each format's datapath against the INT8 MAC")
    from .cost_table import add_arguments

    add_arguments(p)
    p.set_defaults(func=cmd_cost)

    p = sub.add_parser("decode", help="decode codes of a format")
    p.add_argument("format")
    p.add_argument("codes", nargs="+", metavar="CODE")
    p.set_defaults(func=cmd_decode)

    p = sub.add_parser("gen-rtl-defs", help="regenerate rtl/include/fp8kit_defs.vh from refmodel.encodings")
    p.set_defaults(func=cmd_gen_rtl_defs)

    p = sub.add_parser("regress", help="the cocotb regression of the RTL against the model, in parallel, with a summary")
    p.add_argument("--level", default="quick", help="quick (a few minutes) or full (exhaustive products, >= 1e6 MAC "
                   "vectors per configuration)")
    p.add_argument("--jobs", "-j", default="auto", help="parallel simulations (pytest-xdist -n; 1 = in process)")
    p.add_argument("--seed", type=int, default=1, help="run seed; every case derives its own from it")
    p.add_argument("--shard", default="1/1", help="run shard i of n (i/n) of the selected cases")
    p.add_argument("--only", action="append", default=[], metavar="GLOB", help="case ids to run (repeatable)")
    p.add_argument("--out", default="regress_out", help="results directory (JUnit XML, summary, coverage, waves)")
    p.add_argument("--sim", default="icarus", help="icarus, or verilator (needs >= 5.036)")
    p.add_argument("--dut", help="bring your own DUT: a TOML file describing it (docs/verification.md)")
    p.add_argument("--rtl-dir", help="take the RTL files from this copy of rtl/ (as fp8kit mutate does)")
    p.add_argument("--list", action="store_true", help="list the selected case ids and exit")
    p.set_defaults(func=cmd_regress)

    p = sub.add_parser("mutate", help="mutation testing: faults in rtl/, the quick regression on each, the score")
    p.add_argument("--module", action="append", default=[], help="rtl/<MODULE>.v only (repeatable; default all)")
    p.add_argument("--max-per-module", type=int, default=40, help="generic mutants sampled per module (the named "
                   "ones always run)")
    p.add_argument("--all", action="store_true", help="every generic mutant (hours), instead of the sample")
    p.add_argument("--seed", type=int, default=1, help="sampling seed")
    p.add_argument("--out", default="mutate_out", help="results directory (mutants.json, survivors.diff, logs/)")
    p.add_argument("--jobs", "-j", type=int, default=0, help="mutants run in parallel (0: one per CPU)")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per case before the mutant counts as "
                   "killed by timeout")
    p.add_argument("--list", action="store_true", help="list the mutants and exit")
    p.set_defaults(func=cmd_mutate)

    p = sub.add_parser("rtl-params", help="the Verilog parameter overrides of a format")
    p.add_argument("format")
    p.add_argument("--prefix", default="", help="parameter name prefix, e.g. A_ or B_")
    p.set_defaults(func=cmd_rtl_params)
    p = sub.add_parser("vectors", help="write test vectors (refmodel's expected outputs) as a $readmemh hex file")
    p.add_argument("--op", required=True, choices=["mul", "fma", "mac", "mx_dot", "int8_mac"])
    p.add_argument("--format", help="operand a format (mul, fma, mac) or MX type (mx_dot)")
    p.add_argument("--format-b", help="operand b format (mul, fma, mac); default --format")
    p.add_argument("--acc", default="float32", help="accumulator format (fma, mac)")
    p.add_argument("--rounding", help="fma, mac: comma-separated rne,rtz,rdn,rup,rmm,sr,rto or all (default all)")
    p.add_argument("--sr-bits", type=int, default=16, help="random bits of stochastic rounding (fma, mac)")
    p.add_argument("--lfsr-seed", type=int, default=1, help="fp8_mac LFSR SEED (mac)")
    p.add_argument("--k", type=int, default=32, help="block size (mx_dot)")
    p.add_argument("--level", type=int, choices=[1, 2], help="1 boundaries, 2 boundaries + --count random "
                   "(default 2 when --count is given, else 1)")
    p.add_argument("--count", type=int, default=0, help="random cases (level 2)")
    p.add_argument("--seed", type=int, default=1, help="seed of the random cases")
    p.add_argument("--out", required=True, help="output file")
    p.set_defaults(func=cmd_vectors)

    from verif.exhaust.cli import add_parser as add_exhaust_parser

    add_exhaust_parser(sub)

    p = sub.add_parser("replay", help="check the RTL against a vector file in the $readmemh bench")
    p.add_argument("file", help="a file written by fp8kit vectors")
    p.add_argument("--sim", choices=["icarus", "verilator"], default="icarus")
    p.add_argument("--max-report", type=int, default=20, help="mismatches printed in full")
    p.set_defaults(func=cmd_replay)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except ValueError as exc:
        print(f"fp8kit: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
