"""``fp8kit cost``: the command's options and what it prints (the tables themselves: :mod:`fp8kit.cost.table`)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, NoReturn

from fp8kit.cli.args import float_arg, int_arg
from fp8kit.cost.model import CALIBRATION_PATH, Datapath, load_calibration
from fp8kit.cost.table import (DEFAULT_ACCS, DEFAULT_FORMATS, FIT_MX_K, TABLE_MX_K, cost_rows, datapaths, plot_rows,
                               rows_csv, rows_json, run_fit)


def _fmt(v: Any, spec: str) -> str:
    return "-" if v is None else format(v, spec)


_DPA_ONLY = ("lanes", "frac_bits", "dpa_k", "seed")
_NOT_DPA = (("energy", "--energy"), ("fit", "--fit"), ("accs", "--accs"), ("mx_k", "--mx-k"),
            ("synth_mx", "--synth-mx"))


def _interrupted(synthesizing: bool, cache: Path | None) -> NoReturn:
    """Re-raises the interrupt being handled; while synthesizing, as fp8kit's Interrupted naming the cache kept."""
    from fp8kit.cost.synth import cache_dir
    from fp8kit.procs import Interrupted

    if not synthesizing:
        raise  # the KeyboardInterrupt the caller is handling
    raise Interrupted([f"{cache or cache_dir()} (every configuration synthesized so far; a rerun reuses it)"]) from None


def run_cost(args: Any, console: Any) -> int:
    """What ``fp8kit cost`` runs (arguments as :func:`add_arguments` defines them); returns the exit status."""
    from fp8kit.cost.synth import YosysMissing, cache_dir
    from fp8kit.userpaths import input_file, output_dir, output_file

    if args.dpa:
        return _run_dpa(args, console)
    given = [f"--{k.replace('_', '-')}" for k in _DPA_ONLY if getattr(args, k) is not None]
    if given:
        raise ValueError(f"{', '.join(given)} only apply to the fp8_dpa sweep: add --dpa")
    args.formats = args.formats if args.formats is not None else ",".join(DEFAULT_FORMATS)
    args.accs = args.accs if args.accs is not None else ",".join(DEFAULT_ACCS)
    cache = Path(args.cache_dir) if args.cache_dir else None
    if args.fit and args.calibration:
        output_file(args.calibration, "--calibration")
    elif args.calibration:
        input_file(args.calibration, "--calibration")
    if args.plot:
        for p in (f"{args.plot}-blocks.png", f"{args.plot}-pareto.png"):
            output_file(p, "--plot", make_parent=True)
    if args.synth or args.energy or args.fit:
        output_dir(cache or cache_dir(), "--cache-dir")
    try:
        if args.fit:
            def show(dp: Datapath, res: Any) -> None:
                console.print(f"synthesized {dp.label}: {res.ge:,.0f} GE ({'cached' if res.cached else f'{res.seconds:.1f} s'})",
                              markup=False, highlight=False)

            cal = run_fit(mx_k=FIT_MX_K if args.mx_k is None else args.mx_k, ridge=args.ridge, cache=cache,
                          out=Path(args.calibration) if args.calibration else None, progress=show,
                          timeout=args.synth_timeout)
            console.print(f"constants: {dict(cal.constants)}; max |error| {cal.meta['max_abs_err_pct']}% "
                          f"over {len(cal.meta['configs'])} configurations; written to "
                          f"{args.calibration or CALIBRATION_PATH}", markup=False, highlight=False)
            return 0
        cal = load_calibration(args.calibration) if args.calibration else None
        dps = datapaths(args.formats.split(","), args.accs.split(",") if args.accs else [], args.sr_bits,
                        TABLE_MX_K if args.mx_k is None else args.mx_k)
        rows = cost_rows(dps, calibration=cal, synth=args.synth, energy=args.energy, dist=args.dist, cache=cache,
                         timeout=args.synth_timeout, synth_mx=args.synth_mx, jobs=args.synth_jobs)
    except YosysMissing as exc:
        print(f"fp8kit: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        _interrupted(args.synth or args.energy or args.fit, cache)
    if args.json:
        print(rows_json(rows), end="")
    elif args.csv:
        print(rows_csv(rows), end="")
    else:
        from rich.table import Table

        table = Table(title="area per MAC in NAND2 gate equivalents (Nangate45 X1 cell areas; docs/cost-model.md)",
                      title_justify="left")
        cols = ["datapath", "format", "acc", "GE model", "x INT8"]
        if args.synth or args.energy:
            cols += ["GE synth", "err %", "x INT8 synth"]
        if args.energy:
            cols += ["energy/MAC", "energy x INT8"]
        cols += ["largest blocks (GE)"]
        for c in cols:
            table.add_column(c, justify="left" if c in ("datapath", "format", "acc", "largest blocks (GE)") else "right")
        for r in rows:
            top = sorted(r["blocks"].items(), key=lambda kv: -kv[1])[:4]
            cells = [r["datapath"] + (f" K={r['k']}" if r["datapath"] == "mx_dot" else ""), r["format"], r["acc"],
                     f"{r['ge_model']:,.0f}", f"{r['ratio_int8']:.2f}"]
            if args.synth or args.energy:
                cells += [_fmt(r["ge_synth"], ",.0f"), _fmt(r["err_pct"], "+.1f"), _fmt(r["ratio_int8_synth"], ".2f")]
            if args.energy:
                cells += [_fmt(r["energy"], ",.0f"), _fmt(r["energy_ratio_int8"], ".2f")]
            cells += [", ".join(f"{b} {v:,.0f}" for b, v in top)]
            table.add_row(*cells)
        console.print(table)
    skipped = [r["format"] for r in rows if r["datapath"] == "mx_dot" and r["ge_synth"] is None]
    if (args.synth or args.energy) and skipped:
        print(f"not synthesized (add --synth-mx; minutes each): {', '.join(skipped)}", file=sys.stderr)
    if args.plot:
        for p in plot_rows(rows, args.plot):
            console.print(f"plot written to {p}", markup=False, highlight=False)
    return 0


def _run_dpa(args: Any, console: Any) -> int:
    """``fp8kit cost --dpa``: the fp8_dpa sweep over L and F beside its GEMM error (fp8kit.cost.dpa)."""
    from fp8kit.cost.dpa import (DPA_FRACS, DPA_K, DPA_LANES, DPA_MN, DPA_OPERAND, PARETO_DIST, dpa_datapaths,
                                 dpa_rows_csv, dpa_table, parse_int_list, plot_dpa, preset_datapaths)
    from fp8kit.cost.synth import cache_dir
    from fp8kit.userpaths import input_file, output_dir, output_file

    bad = [flag for key, flag in _NOT_DPA if getattr(args, key) not in (None, False)]
    if bad:
        raise ValueError(f"{', '.join(bad)} do not apply to the fp8_dpa sweep (--dpa): it accumulates in float32 "
                         "(the error's operands are scaled for float32 sums), has no MX block length, no energy "
                         "estimate yet, and --fit refits every datapath kind, fp8_dpa's points included (run it "
                         "without --dpa)")
    lanes = parse_int_list(args.lanes, "--lanes", 1, 256) if args.lanes is not None else list(DPA_LANES)
    fracs = parse_int_list(args.frac_bits, "--frac-bits", 1, 40) if args.frac_bits is not None else list(DPA_FRACS)
    operands = [f.strip() for f in (args.formats or DPA_OPERAND).split(",") if f.strip()]
    k = DPA_K if args.dpa_k is None else args.dpa_k
    seed = 0 if args.seed is None else args.seed
    dps = dpa_datapaths(lanes, fracs, operands)
    presets = preset_datapaths(operands)
    cache = Path(args.cache_dir) if args.cache_dir else None
    if args.calibration:
        input_file(args.calibration, "--calibration")
    if args.plot:
        for p in (f"{args.plot}-dpa-pareto.png", f"{args.plot}-dpa-area.png"):
            output_file(p, "--plot", make_parent=True)
    if args.synth:
        output_dir(cache or cache_dir(), "--cache-dir")
    cal = load_calibration(args.calibration) if args.calibration else None
    try:  # a missing Yosys is fp8kit's ToolMissing: "fp8kit: error: ..." and exit 2
        rows = dpa_table(dps, presets, calibration=cal, synth=args.synth, cache=cache, timeout=args.synth_timeout,
                         jobs=args.synth_jobs, k=k, seed=seed)
    except KeyboardInterrupt:
        _interrupted(args.synth, cache)
    if args.json:
        print(rows_json(rows), end="")
    elif args.csv:
        print(dpa_rows_csv(rows), end="")
    else:
        from rich.table import Table

        table = Table(title=f"fp8_dpa: area per MAC (one step / L) in NAND2 gate equivalents (Nangate45 X1) beside "
                            f"the error of a {DPA_MN}x{k}x{DPA_MN} GEMM (norm: ||D - exact||_F / ||exact||_F, max: largest "
                            "|D - exact| / |exact|; "
                            "normal: N(0,1), uniform: U(0,1) operands; docs/cost-model.md); front: on the Pareto "
                            f"front of GE per MAC against the {PARETO_DIST} norm",
                      title_justify="left")
        cols = ["format", "L", "F", "step", "preset", "GE/MAC model", "GE/step model"]
        if args.synth:
            cols += ["GE/MAC synth", "err %"]
        cols += ["normal norm", "normal max", "uniform norm", "uniform max", "front"]
        for c in cols:
            table.add_column(c, justify="left" if c in ("format", "step", "preset", "front") else "right")
        for r in rows:
            cells = [r["format"], str(r["lanes"]), str(r["frac_bits"]), r["step"], r["preset"] or "",
                     f"{r['ge_model']:,.0f}", f"{r['ge_step_model']:,.0f}"]
            if args.synth:
                cells += [_fmt(r["ge_synth"], ",.0f"), _fmt(r["err_pct"], "+.1f")]
            cells += [_fmt(r[f"err_{d}_{s}"], ".2e") for d in ("normal", "uniform") for s in ("norm", "max")]
            cells += ["*" if r["pareto"] else ""]
            table.add_row(*cells)
        console.print(table)
    if args.plot:
        for p in plot_dpa(rows, args.plot, k=k, seed=seed):
            console.print(f"plot written to {p}", markup=False, highlight=False)
    return 0


def add_arguments(p: Any) -> None:
    """The ``fp8kit cost`` options."""
    p.add_argument("--formats", default=None,
                   help="comma-separated: int8, FP formats (e4m3fn, e2m5, float4_e2m1fn, ...), MX types (default: "
                   "the 14 of the table); with --dpa the element formats, A or A:B (default float8_e4m3fn)")
    p.add_argument("--accs", default=None,
                   help="FP accumulators: float32, float16, bfloat16, eXmY, each optionally +sr or +srR (default "
                   f"{','.join(DEFAULT_ACCS)})")
    p.add_argument("--sr-bits", type=int_arg(1, 32), default=16, help="R of a bare '+sr' accumulator (1...32)")
    p.add_argument("--mx-k", type=int_arg(), default=None, help=f"MX block length K of the mx_dot instance (1...64; "
                   f"default {TABLE_MX_K}, with --fit {FIT_MX_K})")
    p.add_argument("--synth", action="store_true", help="also synthesize each configuration with Yosys (cached)")
    p.add_argument("--energy", action="store_true", help="energy per MAC from the netlist's switching activity "
                   "(implies --synth)")
    p.add_argument("--dist", default="gaussian", choices=["gaussian", "uniform"], help="operands for --energy")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print the rows as JSON")
    out.add_argument("--csv", action="store_true", help="print the rows as CSV")
    p.add_argument("--plot", metavar="PREFIX", help="write PREFIX-blocks.png and PREFIX-pareto.png")
    p.add_argument("--fit", action="store_true", help="refit the calibration constants against synthesis")
    p.add_argument("--ridge", type=float_arg(0.0, inclusive=True), default=0.2, help="--fit: pull of the constants towards the primitives")
    p.add_argument("--calibration", help="calibration JSON to read (or, with --fit, write) instead of the "
                   "checked-in one")
    p.add_argument("--synth-timeout", type=float_arg(), default=None, metavar="SECONDS",
                   help="seconds each Yosys run may take before it is killed with ABC (default 600)")
    p.add_argument("--synth-mx", action="store_true", help="also synthesize the MX rows (mx_dot; about 2 min "
                   "(mxfp4) to over 10 min (mxfp8) each at K=32; docs/cost-model.md)")
    p.add_argument("--synth-jobs", type=int_arg(1, 64), default=os.cpu_count() or 1, metavar="N",
                   help="Yosys runs in parallel (default: one per CPU)")
    p.add_argument("--cache-dir", help="synthesis cache (default $FP8KIT_COST_CACHE or ~/.cache/fp8kit/cost)")
    dpa = p.add_argument_group("fp8_dpa sweep (--dpa; docs/cost-model.md)")
    dpa.add_argument("--dpa", action="store_true", help="rows of rtl/fp8_dpa.v over --lanes x --frac-bits beside the "
                     "GEMM error of the same FusedDot, the NVIDIA FP8 presets marked; --plot writes "
                     "PREFIX-dpa-pareto.png and PREFIX-dpa-area.png")
    dpa.add_argument("--lanes", metavar="LIST", help="products per step L: a list and/or ranges, e.g. 4,8,16,32 "
                     "(the default) or 4-8; 1...256")
    dpa.add_argument("--frac-bits", metavar="LIST", help="fraction bits F kept below the largest exponent, e.g. "
                     "10-30 (the default) or 13,25; 1...40")
    dpa.add_argument("--dpa-k", type=int_arg(1, 1 << 17), default=None, metavar="K",
                     help="K of the GEMM whose error is measured (default 4096; the float64 reference is exact "
                     "up to 131072 for E4M3)")
    dpa.add_argument("--seed", type=int_arg(0, (1 << 63) - 1), default=None, help="seed of the error's operands "
                     "(default 0)")
