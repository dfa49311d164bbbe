"""``fp8kit gemm``: ``D = C + A @ B`` of .npy files through a GEMM datapath (refmodel.gemm), with a report."""

from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np

from refmodel.codec import classify, decode, encode
from refmodel.datapath import Exact
from refmodel.encodings import CodeClass, RoundingMode
from refmodel.formats import Format
from refmodel.gemm import matmul, matmul_mx
from refmodel.mx import dequantize, get_mx_type, quantize
from refmodel.presets import PRESETS

from fp8kit import userpaths
from fp8kit.vectors.gemm import DATAPATHS, Setup, resolve

ULP_BINS = ("0", "1", "2", "3-7", "8+")
"""The report's ULP histogram bins (output against the exact result)."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``fp8kit gemm``."""
    p.add_argument("a", help="A (M, K): .npy of floats (float16/32/64), or integer codes with --codes")
    p.add_argument("b", help="B (K, N), as A")
    p.add_argument("c", nargs="?", help="C (M, N) in the accumulator format (default +0)")
    p.add_argument("--format", required=True, help="operand format FMT or FMT_A,FMT_B; MX presets: MX types "
                   "(e.g. mxfp8_e4m3). Float inputs are encoded with rne: values the format represents exactly "
                   "are unchanged, others round to nearest even (as fp8kit encode FMT does); MX presets quantise "
                   "them (refmodel.mx.quantize, A along K = axis 1, B along axis 0; NVFP4's tensor scale is not "
                   "applied, it belongs to the epilogue)")
    p.add_argument("--acc", help="accumulator and output format (default: the preset's; float32 for exact and "
                   "fma-chain); C floats are encoded into it with rne")
    p.add_argument("--datapath", required=True, help=f"a preset ({', '.join(PRESETS)}) or {' or '.join(DATAPATHS)}")
    p.add_argument("--rounding", choices=[m.label for m in RoundingMode],
                   help="exact, fma-chain: rounding mode (default rne; sr draws from the LFSR seeded 1)")
    p.add_argument("--codes", action="store_true", help="the inputs are integer codes (A, B of the operand formats, "
                   "C of the accumulator), not floats")
    p.add_argument("--pad", action="store_true", help="MX: pad a K that is not a multiple of the block with zeros")
    p.add_argument("--out", required=True, help="D.npy: the output values (float32; float16 for a float16 "
                   "accumulator; other accumulators decoded exactly into float32)")
    p.add_argument("--out-codes", help="also write the output codes (.npy, the accumulator's code dtype)")
    p.add_argument("--report", action="store_true", help="print the shape, datapath, time, relative errors against "
                   "the exact result and float64, a ULP histogram and the outputs that differ from exact")


def _load_codes(path: str, what: str) -> np.ndarray:
    """An integer array from a .npy file (``--codes``); ValueError naming the file otherwise."""
    p = userpaths.input_file(path, what)
    try:
        data = np.load(p, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise ValueError(f"{what} {str(p)!r} is not a .npy file of integer codes ({exc})") from None
    if not isinstance(data, np.ndarray):
        data.close()
        raise ValueError(f"{what} {str(p)!r} is a .npz archive; --codes takes a .npy array of integer codes")
    if data.dtype.kind not in "iu":
        raise ValueError(f"{what} {str(p)!r}: dtype {data.dtype.name} is not integer codes; allowed with --codes: "
                         "int8...int64, uint8...uint64")
    return data


def _check_shapes(a: np.ndarray, b: np.ndarray, c: np.ndarray | None) -> None:
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0] or 0 in a.shape + b.shape:
        raise ValueError(f"A must be (M, K) and B (K, N), each >= 1, got shapes {a.shape} and {b.shape}")
    if c is not None and c.shape != (a.shape[0], b.shape[1]):
        raise ValueError(f"C must have the output shape {(a.shape[0], b.shape[1])}, got {c.shape}")


def _operands(s: Setup, args: argparse.Namespace):
    """(run(datapath) -> (codes, flags), the float64 values of A, B and C the datapath sees)."""
    load = _load_codes if args.codes else userpaths.load_floats
    a, b = load(args.a, "A"), load(args.b, "B")
    c = None if args.c is None else load(args.c, "C")
    _check_shapes(a, b, c)
    cc = c if c is None or args.codes else encode(c, s.acc)
    c64 = 0.0 if cc is None else decode(cc, s.acc, np.float64)
    if s.mx:
        block = get_mx_type(s.operands[0]).block
        if a.shape[1] % block and not args.pad:
            raise ValueError(f"K = {a.shape[1]} is not a multiple of the {s.operands[0]} block ({block}); "
                             "give --pad to pad the last block with zeros")
        qa, qb = (quantize(x, t, axis=ax, pad=args.pad) for x, t, ax in ((a, s.operands[0], 1), (b, s.operands[1], 0)))
        values = [dequantize(dataclasses.replace(q, tensor_scale=None), np.float64) for q in (qa, qb)]
        return (lambda dp: matmul_mx(qa, qb, cc, acc_fmt=s.acc, datapath=dp)), (*values, c64)
    fa, fb = s.operands
    ac, bc = (a, b) if args.codes else (encode(a, fa), encode(b, fb))
    values = [decode(ac, fa, np.float64), decode(bc, fb, np.float64)]
    return (lambda dp: matmul(ac, bc, cc, fmt_a=fa, fmt_b=fb, acc_fmt=s.acc, datapath=dp)), (*values, c64)


def output_values(codes: np.ndarray, fc: Format) -> np.ndarray:
    """The output values in the accumulator's numpy dtype: float16 for float16, else float32 (float64
    for an accumulator float32 cannot hold exactly)."""
    if fc.name == "float16":
        return decode(codes, fc, np.float16)
    fits = fc.man_bits <= 23 and fc.emax <= 127 and fc.emin - fc.man_bits >= -149
    return decode(codes, fc, np.float32 if fits else np.float64)


def ulp_distance(d: np.ndarray, e: np.ndarray, fc: Format) -> np.ndarray:
    """Codes apart of two code arrays of ``fc`` (+0 and -0 one point); -1 where either is Inf or NaN."""
    def ordered(x):
        x = x.astype(np.int64)
        return np.where(x & fc.sign_mask, -(x & fc.mag_mask), x & fc.mag_mask)

    finite = (classify(d, fc) < CodeClass.INF) & (classify(e, fc) < CodeClass.INF)
    return np.where(finite, np.abs(ordered(d) - ordered(e)), -1)


def _relative(d: np.ndarray, ref: np.ndarray) -> str:
    """``max / mean`` of ``|d - ref| / |ref|`` over the outputs where both are finite and ``ref`` nonzero."""
    ok = np.isfinite(d) & np.isfinite(ref) & (ref != 0)
    if not ok.any():
        return "no finite nonzero reference"
    r = np.abs(d[ok] - ref[ok]) / np.abs(ref[ok])
    return f"max {r.max():.3e}, mean {r.mean():.3e} over {int(ok.sum()):,} outputs"


def report_rows(d: np.ndarray, exact: np.ndarray, ref64: np.ndarray, fc: Format) -> list[tuple[str, str]]:
    """The report's error rows: relative errors, the ULP histogram, the outputs that differ from exact."""
    ulps = ulp_distance(d, exact, fc)
    counts = [(ulps == 0).sum(), (ulps == 1).sum(), (ulps == 2).sum(), ((ulps >= 3) & (ulps < 8)).sum(), (ulps >= 8).sum()]
    nan = (classify(d, fc) == CodeClass.NAN) & (classify(exact, fc) == CodeClass.NAN)
    dv = decode(d, fc, np.float64)
    return [("relative error vs exact", _relative(dv, decode(exact, fc, np.float64))),
            ("relative error vs float64", _relative(dv, ref64)),
            ("ULPs vs exact", ", ".join(f"{b}: {int(n):,}" for b, n in zip(ULP_BINS, counts))
             + f"; Inf/NaN: {int((ulps < 0).sum()):,}"),
            ("differ from exact", f"{int(((d != exact) & ~nan).sum()):,} of {d.size:,}")]


def describe(dp) -> str:
    """A datapath in one line: its kind and fields, formats by name and modes by label."""
    def text(v):
        return v.name if isinstance(v, Format) else v.label if isinstance(v, RoundingMode) else (
            describe(v) if dataclasses.is_dataclass(v) else repr(v))

    fields = ", ".join(f"{f.name}={text(getattr(dp, f.name))}" for f in dataclasses.fields(dp) if f.name != "kind")
    return f"{dp.kind}({fields})"


def run_gemm(args: argparse.Namespace, console) -> int:
    """``fp8kit gemm``: writes D (and its codes), prints a line or the report; ValueError on bad input."""
    s = resolve(args.datapath, args.format, args.acc, args.rounding)
    if args.codes and s.mx:
        raise ValueError(f"--codes is for plain operands; preset {s.name} quantises float inputs into "
                         f"{', '.join(s.operands)}")
    if args.pad and not s.mx:
        raise ValueError(f"--pad is for block-scaled (MX) presets; {s.name} takes plain operands")
    userpaths.output_file(args.out, "--out")
    if args.out_codes:
        userpaths.output_file(args.out_codes, "--out-codes")
    run, (a64, b64, c64) = _operands(s, args)
    t0 = time.perf_counter()
    d, _ = run(s.datapath)
    seconds = time.perf_counter() - t0
    np.save(args.out, output_values(d, s.acc))
    if args.out_codes:
        np.save(args.out_codes, d)
    (m, k), n = a64.shape, b64.shape[1]
    print(f"D ({m}, {n}) {s.acc.name} through {s.name} -> {args.out}")
    if args.report:
        from rich.table import Table

        exact = d if s.datapath == Exact() else run(Exact())[0]
        with np.errstate(all="ignore"):
            ref64 = np.matmul(a64, b64) + c64
        table = Table(title=f"fp8kit gemm: {s.name}", title_justify="left", show_header=False)
        table.add_column(overflow="fold")
        table.add_column(overflow="fold")
        for row in [("shape", f"M={m} K={k} N={n}: ({m}, {k}) {s.operands[0]} x ({k}, {n}) {s.operands[1]} "
                              f"-> {s.acc.name}"),
                    ("datapath", describe(s.datapath)), ("time", f"{seconds:.3f} s"),
                    *report_rows(d, exact, ref64, s.acc)]:
            table.add_row(*row)
        console.print(table)
    return 0
