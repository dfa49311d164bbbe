"""The ``fp8kit`` command line.

Exit status (docs/errors.md): 0 success; 1 a mismatch, a failed check, a failed or timed-out tool run,
or an internal error; 2 a bad argument or input (``fp8kit: error: ...`` naming the value and what is
allowed); 130 an interrupt (``fp8kit: interrupted; kept: ...``), 143 a SIGTERM (the same clean-up:
``fp8kit: terminated; kept: ...``); 141 a closed output pipe, quietly. No traceback unless ``--debug``.
"""

from __future__ import annotations

import argparse
import difflib
import os
import signal
import re
import sys
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

# numba's OpenMP threads spin after each parallel kernel unless told otherwise, taking the cores from
# the BLAS call that follows (refmodel.gemm_kernels); set before any kernel runs, unless already set.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from refmodel.codec import decode, encode  # noqa: E402
from refmodel.encodings import RoundingMode
from refmodel.formats import get_format
from fp8kit.procs import ToolMissing
from fp8kit.cli.args import float_arg, int_arg, parse_code, parse_value

ROUNDING_CHOICES = [m.label for m in RoundingMode]

_NAME_ERROR = re.compile(r"\b(?:unknown|invalid choice)\b[^']*'([^']+)'")
_NAME_LIST = re.compile(r"\b(?:allowed|valid names|known|supported|choose from)\b:?\s+([^;()]+)")


def did_you_mean(message: str) -> str:
    """``message`` with ``; did you mean 'x'?`` appended when it names a bad name and the allowed ones.

    The bad name is the first quoted word after "unknown"/"invalid choice"; the candidates are the
    comma-separated list after "allowed"/"valid names"/"known"/"supported"/"choose from". A candidate
    also matches by its part after the first ``_`` (``e4m3fm`` finds ``float8_e4m3fn``).
    """
    bad, names = _NAME_ERROR.search(message), _NAME_LIST.search(message)
    if not bad or not names or "did you mean" in message:
        return message
    cands = [n.strip().strip("'\"") for n in names.group(1).split(",") if n.strip()]
    keys = {}
    for n in cands:
        keys.setdefault(n, n)
        keys.setdefault(n.split("_", 1)[-1], n)
    close = [keys[k] for k in difflib.get_close_matches(bad.group(1).lower(), keys, n=3, cutoff=0.6)]
    close = list(dict.fromkeys(c for c in close if c != bad.group(1)))
    return f"{message}; did you mean {' or '.join(map(repr, close))}?" if close else message


class ArgumentParser(argparse.ArgumentParser):
    """argparse with fp8kit's error convention: one line ``fp8kit: error: ...`` and exit 2.

    Every subparser made through ``add_subparsers().add_parser`` is of this class (argparse gives
    subparsers their parent's class), ``verif/exhaust/cli.py``'s included. Unknown options get a
    "did you mean" from every option of the parser and its subparsers.
    """

    def error(self, message: str):  # type: ignore[override]
        m = re.match(r"unrecognized arguments: (\S+)", message)
        if m and m.group(1).startswith("-"):
            close = difflib.get_close_matches(m.group(1).split("=")[0], self._all_options(), n=2, cutoff=0.6)
            if close:
                message += f"; did you mean {' or '.join(close)}?"
        self.exit(2, f"fp8kit: error: {did_you_mean(message)} (usage: {self.prog} --help)\n")

    def _all_options(self) -> list[str]:
        opts = [o for a in self._actions for o in a.option_strings]
        for a in self._actions:
            if isinstance(a, argparse._SubParsersAction):
                for sp in a.choices.values():
                    opts += sp._all_options() if isinstance(sp, ArgumentParser) else []
        return sorted(set(opts))


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


def cmd_formats(args: argparse.Namespace) -> int:
    from refmodel.describe import FORMAT_COLUMNS, format_rows

    _console().print(_table("fp8kit formats", FORMAT_COLUMNS, format_rows()))
    return 0


def cmd_table(args: argparse.Namespace) -> int:
    from refmodel.describe import code_rows

    fmt = get_format(args.format)
    rows = code_rows(fmt)
    _console().print(_table(f"{fmt.describe()}", ["code", "bits", "value", "exact", "class"], rows))
    return 0


def cmd_encode(args: argparse.Namespace) -> int:
    from refmodel.describe import code_rows

    fmt = get_format(args.format)
    values = np.array([parse_value(v) for v in args.values], np.float64)
    kwargs = {}
    if args.rounding == "sr":
        kwargs["sr_bits"] = args.sr_bits
        if args.rand is not None:
            kwargs["rand"] = np.array([parse_code(r) for r in args.rand.split(",")], np.int64)
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
    from refmodel.describe import code_rows

    fmt = get_format(args.format)
    codes = np.array([parse_code(c) for c in args.codes], np.int64)
    rows = code_rows(fmt, codes)
    _console().print(_table(f"decode {fmt.name}", ["code", "bits", "value", "exact", "class"], rows))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from refmodel.selfcheck import run_selfcheck

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
    from fp8kit.study import plot, sr_study

    lengths = tuple(parse_code(n) for n in args.lengths.split(","))
    _check_outputs(args, "json", "plot")
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


def cmd_study_accumulation(args: argparse.Namespace) -> int:
    from fp8kit.studies.accumulation import accumulation_study, plot
    from fp8kit.userpaths import output_dir

    out = output_dir(args.out, "--out") if args.out else None
    every = tuple(parse_code(e) for e in args.every.split(",")) if args.every else ()
    rows = accumulation_study(tuple(parse_code(k) for k in args.k.split(",")), tuple(args.presets.split(",")),
                              every, args.trials, args.m, args.n, args.dist, args.seed)
    ks = sorted({r.k for r in rows})
    table_rows = []
    for name in dict.fromkeys(r.datapath for r in rows):
        sel = {r.k: r for r in rows if r.datapath == name}
        table_rows.append({"datapath": name, **{f"K={k}": f"{sel[k].max:.2e} / {sel[k].mean:.2e}" for k in ks}})
    title = (f"relative error |D - exact| / |exact| (max / mean over {rows[0].outputs:,} outputs): "
             f"{args.trials} trials of {args.m}x{args.n}xK, float8_e4m3fn from {args.dist}, float32 out; "
             "exact = float64 matmul of the decoded operands")
    _console().print(_table(title, ["datapath"] + [f"K={k}" for k in ks], table_rows))
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"accumulation-{args.dist}.png"
        plot(rows, str(path), f"{args.m}x{args.n}xK, {args.trials} trials, float8_e4m3fn from {args.dist}")
        print(f"plot written to {path}")
    return 0


def cmd_quantize(args: argparse.Namespace) -> int:
    from refmodel.mx import MX_TYPES, dequantize, quantize
    from fp8kit.userpaths import load_floats, output_file

    output = args.output if args.output.endswith(".npz") else args.output + ".npz"  # as np.savez names it
    output_file(output, "output", make_parent=True)
    x = load_floats(args.input, "input")
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
    _save_npz(output, payload)
    xf = np.asarray(x, np.float64)
    ok = np.isfinite(xf) & np.isfinite(back)
    err = float(np.sum((xf[ok] - back[ok]) ** 2))
    sig = float(np.sum(xf[ok] ** 2))
    sqnr = float("inf") if err == 0 else 10 * np.log10(sig / err) if sig > 0 else float("-inf")
    print(f"{args.input} {tuple(np.shape(x))} {np.asarray(x).dtype} -> {output}: {label}")
    print(f"stored {stored:,} bytes ({8 * stored / max(np.size(x), 1):.2f} bits per value); "
          f"round-trip SQNR {sqnr:.2f} dB over {int(ok.sum()):,} finite values")
    return 0


def _save_npz(path: str, payload: dict) -> None:
    """``np.savez`` into ``path`` through a temporary file beside it, so an interrupt leaves no partial file."""
    import os

    tmp = f"{path}.part"
    try:
        with open(tmp, "wb") as fh:
            np.savez(fh, **payload)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _check_outputs(args: argparse.Namespace, *names: str) -> None:
    """Refuses (``ValueError``) the given output options that name a path that cannot be written."""
    from fp8kit.userpaths import output_file

    for name in names:
        if getattr(args, name, None):
            output_file(getattr(args, name), f"--{name.replace('_', '-')}", make_parent=True)


def cmd_sqnr(args: argparse.Namespace) -> int:
    from fp8kit.cli.sqnr import run_sqnr

    return run_sqnr(args.input, args.plot, args.n, args.seed, _console())


def cmd_gen_docs(args: argparse.Namespace) -> int:
    from fp8kit.docgen import refresh

    changed = refresh()
    print("updated: " + ", ".join(changed) if changed else "docs are up to date")
    return 0


def cmd_gen_rtl_defs(args: argparse.Namespace) -> int:
    from fp8kit.rtlspec.defs import DEFS_PATH, write_defs

    changed = write_defs()
    print(f"updated: {DEFS_PATH}" if changed else f"{DEFS_PATH} is up to date")
    return 0


def cmd_cost(args: argparse.Namespace) -> int:
    from fp8kit.cli.cost import run_cost

    return run_cost(args, _console())


def cmd_gemm(args: argparse.Namespace) -> int:
    from fp8kit.cli.gemm import run_gemm

    return run_gemm(args, _console())


def cmd_rtl_params(args: argparse.Namespace) -> int:
    from fp8kit.rtlspec.params import rtl_param_overrides

    print(rtl_param_overrides(args.format, args.prefix))
    return 0


def cmd_regress(args: argparse.Namespace) -> int:
    from verif.regress.runner import RegressOptions, regress

    if not args.list:
        _check_out_dir(args.out, "junit.xml")
    return regress(RegressOptions(level=args.level, jobs=args.jobs, seed=args.seed, shard=args.shard,
                                  only=tuple(args.only), out=Path(args.out), sim=args.sim, dut=args.dut or "",
                                  rtl_dir=args.rtl_dir or "", list_only=args.list))


def cmd_mutate(args: argparse.Namespace) -> int:
    from verif.mutate import MutateOptions, mutate

    if not args.list:
        _check_out_dir(args.out, "mutants.json")
    return mutate(MutateOptions(modules=tuple(args.module), max_per_module=None if args.all else args.max_per_module,
                                seed=args.seed, out=Path(args.out), jobs=args.jobs, timeout=args.timeout,
                                list_only=args.list), _console())


def _check_out_dir(out: str, *files: str) -> None:
    """Refuses (``ValueError``) an ``--out`` directory that cannot be written, or holds ``files`` that cannot be."""
    from fp8kit.userpaths import output_dir, output_file

    d = output_dir(out, "--out")
    for f in files:
        output_file(d / f, "--out")


def cmd_vectors(args: argparse.Namespace) -> int:
    from fp8kit.vectors import generate, write

    _check_outputs(args, "out")
    count = args.count or (args.op == "gemm")  # gemm: one tile unless --count says more
    level = args.level if args.level is not None else (2 if count else 1)
    unit = {k: getattr(args, k) for k in _UNIT_OPTIONS if getattr(args, k) is not None}
    if unit and args.op != "dpa":
        raise ValueError(f"{', '.join(_UNIT_OPTIONS[k] for k in unit)}: for --op dpa with --datapath fused-dot only")
    v = generate(args.op, fmt=args.format, fmt_b=args.format_b, acc=args.acc, rounding=args.rounding,
                 sr_bits=args.sr_bits, lfsr_seed=args.lfsr_seed, k=args.k, level=level, count=int(count),
                 seed=args.seed, datapath=args.datapath, m=args.m, n=args.n, unit=unit if args.op == "dpa" else None)
    write(v, args.out)
    print(f"{v.header['cases']:,} {args.op} vectors (level {level}) -> {args.out}")
    return 0


_UNIT_OPTIONS = {"lanes": "--lanes", "frac_bits": "--frac-bits", "step_man_bits": "--step-man-bits",
                 "zero_exp": "--zero-exp", "nan": "--nan"}
"""``fp8kit vectors --op dpa --datapath fused-dot``: the unit's parameters (fp8kit.vectors.dpa.UNIT_KEYS) and
their options."""


def _zero_exp_arg(text: str) -> int | str:
    """``--zero-exp``: an integer exponent, or ``none`` (zero terms take no part in the maximum)."""
    if text.strip().lower() == "none":
        return "none"
    try:
        return parse_code(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{exc}, or none") from None


def cmd_replay(args: argparse.Namespace) -> int:
    from verif.replay import replay

    from fp8kit.userpaths import input_file

    input_file(args.file, "vector file")
    # a damaged file or a missing simulator: rc 2 (main); a failed or timed-out build or run: rc 1
    result = replay(args.file, max_report=args.max_report, simulator=args.sim, timeout=args.timeout,
                    rtl_dir=args.rtl_dir)
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
    parser = ArgumentParser(prog="fp8kit", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error (re-raise it)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("report", help="the main job: formats table and the golden-model self-check")
    p.add_argument("--samples", type=int_arg(1, 1 << 26), default=1 << 20, help="random values per format for the ml_dtypes check")
    p.add_argument("--seed", type=int_arg(0), default=0)
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
    p.add_argument("--nan", choices=["keep-sign", "canonical", "ml_dtypes"], default="keep-sign")
    p.add_argument("--sr-bits", type=int_arg(1, 32), default=16, help="random bits for --rounding sr")
    p.add_argument("--rand", help="comma-separated random integers for sr (else drawn with --seed)")
    p.add_argument("--seed", type=int_arg(0), default=0)
    p.set_defaults(func=cmd_encode)

    p = sub.add_parser("study", help="numerical studies")
    studies = p.add_subparsers(dest="study", required=True)
    p = studies.add_parser("sr", help="long dot products in narrow accumulators: rne/rtz against sr")
    p.add_argument("--lengths", default="256,1024,4096,16384", help="comma-separated lengths (<= 65536)")
    p.add_argument("--accs", default="bfloat16,float16,e5m7,e6m5", help="accumulator formats")
    p.add_argument("--modes", default="rne,rtz,sr")
    p.add_argument("--trials", type=int_arg(2, 1 << 12), default=8)
    p.add_argument("--sr-bits", type=int_arg(1, 32), default=16)
    p.add_argument("--seed", type=int_arg(0), default=0)
    p.add_argument("--plot", help="write a PNG plot (needs matplotlib: pip install 'fp8kit[plot]')")
    p.add_argument("--json", help="write the rows as JSON")
    p.set_defaults(func=cmd_study_sr)
    p = studies.add_parser("accumulation", help="GEMM error versus K: hopper-fp8, promotion, blackwell-fp8, exact")
    p.add_argument("--k", default="256,512,1024,2048,4096", help="comma-separated K (<= 131072)")
    p.add_argument("--presets", default="hopper-fp8,hopper-fp8-promote128,blackwell-fp8,exact",
                   help="presets with float8_e4m3fn operands, or exact (rne into float32)")
    p.add_argument("--every", default="32,64,128,256", help="promotion intervals of hopper-fp8 ('' for none)")
    p.add_argument("--trials", type=int_arg(1, 4096), default=4)
    p.add_argument("--m", type=int_arg(1, 4096), default=16)
    p.add_argument("--n", type=int_arg(1, 4096), default=16)
    p.add_argument("--dist", choices=["normal", "uniform"], default="uniform",
                   help="N(0, 1), or U(0, 1) (all positive: the error adds up)")
    p.add_argument("--seed", type=int_arg(0), default=0)
    p.add_argument("--out", help="folder for the PNG plot accumulation-DIST.png (needs matplotlib)")
    p.set_defaults(func=cmd_study_accumulation)

    p = sub.add_parser("quantize", help="quantize a .npy tensor into an MX type or a format, saved as .npz")
    p.add_argument("format", help="an MX type (mxfp8_e4m3, ..., mxint8, nvfp4, nvfp4_ue5m3) or a format name")
    p.add_argument("input", help="input .npy (floats)")
    p.add_argument("output", help="output .npz")
    p.add_argument("--axis", type=int_arg(), default=-1, help="MX: the blocked axis")
    p.add_argument("--block", type=int_arg(1), default=None, help="MX: block size (default 32, nvfp4 16)")
    p.add_argument("--scale-rule", choices=["ocp", "ceil"], default="ocp", help="MX: shared-scale rule")
    p.add_argument("--pad", action="store_true", help="MX: pad a partial last block with zeros")
    p.add_argument("--rounding", choices=ROUNDING_CHOICES[:5] + ["rto"], default="rne", help="format: rounding mode")
    p.add_argument("--saturate", action="store_true", help="format: saturate overflow")
    p.set_defaults(func=cmd_quantize)

    p = sub.add_parser("sqnr", help="SQNR of every narrow format (best exponent bias) on a tensor")
    p.add_argument("input", nargs="?", help=".npy tensor; default: built-in gaussian, laplace, student-t")
    p.add_argument("--plot", help="write a PNG bar chart")
    p.add_argument("--n", type=int_arg(2, 1 << 24), default=65536, help="values per built-in distribution")
    p.add_argument("--seed", type=int_arg(0), default=0)
    p.set_defaults(func=cmd_sqnr)

    p = sub.add_parser("gen-docs", help="regenerate the generated sections of docs/*.md")
    p.set_defaults(func=cmd_gen_docs)

    p = sub.add_parser("cost", help="area (GE) and energy of each format's datapath against the INT8 MAC")
    from fp8kit.cli.cost import add_arguments

    add_arguments(p)
    p.set_defaults(func=cmd_cost)

    p = sub.add_parser("decode", help="decode codes of a format")
    p.add_argument("format")
    p.add_argument("codes", nargs="+", metavar="CODE")
    p.set_defaults(func=cmd_decode)

    p = sub.add_parser("gen-rtl-defs", help="regenerate rtl/include/fp8kit_defs.vh from refmodel.encodings")
    p.set_defaults(func=cmd_gen_rtl_defs)

    p = sub.add_parser("regress", help="the cocotb regression of the RTL against the model, in parallel, with a summary")
    p.add_argument("--level", default="quick", choices=["quick", "full"], help="quick (a few minutes) or full (exhaustive products, >= 1e6 MAC "
                   "vectors per configuration)")
    p.add_argument("--jobs", "-j", default="auto", help="parallel simulations (pytest-xdist -n; 1 = in process)")
    p.add_argument("--seed", type=int_arg(0), default=1, help="run seed; every case derives its own from it")
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
    p.add_argument("--max-per-module", type=int_arg(0), default=40, help="generic mutants sampled per module (the named "
                   "ones always run)")
    p.add_argument("--all", action="store_true", help="every generic mutant (hours), instead of the sample")
    p.add_argument("--seed", type=int_arg(0), default=1, help="sampling seed")
    p.add_argument("--out", default="mutate_out", help="results directory (mutants.json, survivors.diff, logs/)")
    p.add_argument("--jobs", "-j", type=int_arg(0, 1024), default=0, help="mutants run in parallel (0: one per CPU)")
    p.add_argument("--timeout", type=float_arg(), default=60.0, help="seconds per case before the mutant counts as "
                   "killed by timeout")
    p.add_argument("--list", action="store_true", help="list the mutants and exit")
    p.set_defaults(func=cmd_mutate)

    p = sub.add_parser("rtl-params", help="the Verilog parameter overrides of a format")
    p.add_argument("format")
    p.add_argument("--prefix", default="", help="parameter name prefix, e.g. A_ or B_")
    p.set_defaults(func=cmd_rtl_params)
    p = sub.add_parser("vectors", help="write test vectors (refmodel's expected outputs) as a $readmemh hex file")
    p.add_argument("--op", required=True, choices=["mul", "fma", "mac", "mx_dot", "int8_mac", "dpa", "gemm"],
                   help="dpa: fp8_dpa steps; gemm: random tiles for an accelerator's own simulator (no RTL module, "
                   "no replay)")
    p.add_argument("--format", help="operand a format (mul, fma, mac, gemm: FMT or FMT_A,FMT_B), MX type (mx_dot), "
                   "element format or E8M0-scaled MX type (dpa; default the preset's first)")
    p.add_argument("--format-b", help="operand b format (mul, fma, mac, gemm, dpa); default --format")
    p.add_argument("--acc", help="accumulator format (fma, mac: default float32; gemm, dpa: default the preset's, "
                   "float32 for fused-dot)")
    p.add_argument("--rounding", help="fma, mac: comma-separated rne,rtz,rdn,rup,rmm,sr,rto or all (default all); "
                   "gemm with --datapath exact or fma-chain: one deterministic mode (default rne); dpa with "
                   "--datapath fused-dot: rne or rtz (default rtz)")
    p.add_argument("--datapath", help="gemm: a preset of refmodel.presets, exact or fma-chain; dpa: a preset whose "
                   "datapath is one fp8_dpa step, or fused-dot with --lanes and --frac-bits")
    p.add_argument("--lanes", type=int_arg(1), help="dpa fused-dot: L, products per step")
    p.add_argument("--frac-bits", type=int_arg(1), help="dpa fused-dot: F, fraction bits kept below the largest "
                   "exponent")
    p.add_argument("--step-man-bits", type=int_arg(1), help="dpa fused-dot: fraction bits of the step result "
                   "(default the accumulator's)")
    p.add_argument("--zero-exp", type=_zero_exp_arg, help="dpa fused-dot: the exponent a zero term takes in the "
                   "maximum, or none (the default: zero terms take no part)")
    p.add_argument("--nan", help="dpa fused-dot: the NaN result, all-ones (the default) or canonical")
    p.add_argument("--m", type=int_arg(1), help="gemm: rows of A and D per tile")
    p.add_argument("--n", type=int_arg(1), help="gemm: columns of B and D per tile")
    p.add_argument("--sr-bits", type=int_arg(), default=16, help="random bits of stochastic rounding (fma, mac)")
    p.add_argument("--lfsr-seed", type=int_arg(), default=1, help="fp8_mac LFSR SEED (mac; 0x.. accepted)")
    p.add_argument("--k", type=int_arg(), help="block size (mx_dot); gemm: the shared dimension K (default 32)")
    p.add_argument("--level", type=int, choices=[1, 2], help="1 boundaries, 2 boundaries + --count random "
                   "(default 2 when --count is given, else 1)")
    p.add_argument("--count", type=int_arg(), default=0, help="random cases (level 2); gemm: tiles (default 1)")
    p.add_argument("--seed", type=int_arg(0), default=1, help="seed of the random cases")
    p.add_argument("--out", required=True, help="output file")
    p.set_defaults(func=cmd_vectors)

    p = sub.add_parser("gemm", help="D = C + A @ B of .npy files through a GEMM datapath (a preset, exact, "
                       "fma-chain), bit-exact, with an error report")
    from fp8kit.cli.gemm import add_arguments as add_gemm_arguments

    add_gemm_arguments(p)
    p.set_defaults(func=cmd_gemm)

    from fp8kit.cli.exhaust import add_parser as add_exhaust_parser

    add_exhaust_parser(sub)

    p = sub.add_parser("replay", help="check the RTL against a vector file in the $readmemh bench")
    p.add_argument("file", help="a file written by fp8kit vectors")
    p.add_argument("--sim", choices=["icarus", "verilator"], default="icarus")
    p.add_argument("--max-report", type=int_arg(0), default=20, help="mismatches printed in full")
    p.add_argument("--timeout", type=float_arg(), default=None,
                   help="seconds each of the build and the run may take (default: no limit)")
    p.add_argument("--rtl-dir", help="take the RTL module from this copy of rtl/ (default the checkout's)")
    p.set_defaults(func=cmd_replay)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs ``fp8kit`` and returns its exit status (see the module docstring); ``--debug`` re-raises."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # ArgumentParser.error printed "fp8kit: error: ..." (2); --help, --version (0)
        if exc.code == 2:
            return 2
        raise
    terminated, pid = [], os.getpid()

    def on_sigterm(signum, frame):  # `kill`, a CI job cancelled: the same clean-up as Ctrl-C, then 143
        if os.getpid() != pid:  # a forked worker (multiprocessing's pool.terminate()): die as by default
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        terminated.append(signum)
        raise KeyboardInterrupt

    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, on_sigterm) if in_main_thread else None
    try:
        return int(args.func(args))
    except BrokenPipeError:  # the reader went away (`fp8kit table ... | head`): stop quietly, as SIGPIPE would
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except KeyboardInterrupt as exc:
        if args.debug:
            raise
        kept = getattr(exc, "kept", None)
        what = "terminated" if terminated else "interrupted"
        print(f"fp8kit: {what}; {'kept: ' + ', '.join(kept) if kept else 'nothing kept'}", file=sys.stderr)
        return 143 if terminated else 130
    except (ValueError, OSError, ToolMissing) as exc:  # a bad argument or input, a missing tool: nothing ran
        if args.debug:
            raise
        print(f"fp8kit: error: {did_you_mean(str(exc))}", file=sys.stderr)
        return 2
    except (RuntimeError, AssertionError) as exc:  # a tool failed or timed out (procs.StepTimeout), a check failed
        if args.debug:
            raise
        print(f"fp8kit: error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        if args.debug:
            raise
        print(f"fp8kit: internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)",
              file=sys.stderr)
        return 1
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)

