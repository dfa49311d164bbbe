"""GEMM throughput of refmodel.gemm beside numpy's float32 and float64 matmul in the same run.

Usage: python bench/bench_gemm.py [--size 1024] [--fma-size 256] [--repeats 3] [--quick]

Data: A (M, K) and B (K, N), M = N = K = --size, N(0, 1) with a fixed seed, encoded with rne
(refmodel.encode) to float8_e4m3fn, float8_e5m2 or float8_e4m3fnuz, or quantised to mxfp8_e4m3 along K
(refmodel.mx.quantize).  Timed (median of --repeats after one warm-up call, refmodel.gemm's numba
kernels on every core, numpy's BLAS on every core): np.matmul in float32 and float64 (the speed
limit of any BLAS-based exact method), Exact rne into float32, the presets, an FmaChain on
--fma-size (it is vectorised over the M x N outputs and sequential along K), and the peers where
installed: ml_dtypes decode then float32 matmul, torchao's MX dequantise then matmul (both fast,
not exact: the outputs that differ from Exact's are counted), MMA-Sim's Hopper FP8 wgmma and CDNA3
FP8 MFMA models on 64x256x256 beside the hopper-fp8 and cdna3-fp8 presets on that shape.  M MAC/s is M * N * K / time; every ratio
is to np.matmul float32 of the same shape in this run.  Peak memory: tracemalloc's peak over one
more, untimed call (numpy's allocations; numba's own buffers are not counted).

Targets (issue 15): Exact E4M3 and MXFP8-E4M3 >= 0.2x float32 matmul, Exact E5M2 >= 0.05x,
fused-dot presets >= 150 M MAC/s (and >= 10x MMA-Sim), fma_chain >= 30 M MAC/s.
"""

from __future__ import annotations

import argparse
import sys
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timing import median_time  # noqa: E402

from refmodel import mx  # noqa: E402
from refmodel.codec import decode, encode  # noqa: E402
from refmodel.datapath import Exact, FmaChain  # noqa: E402
from refmodel.gemm import matmul, matmul_mx  # noqa: E402
from refmodel.presets import PRESETS  # noqa: E402

E4M3, E5M2, MX = "float8_e4m3fn", "float8_e5m2", "mxfp8_e4m3"
E4M3Z = "float8_e4m3fnuz"  # AMD CDNA3's FP8
MMASIM_SHAPE = (64, 256, 256)  # M, N, K
MMASIM_RECORDED = "13-17 M MAC/s measured on this machine (shared/spec-notes.md section 7)"
FUSED = "fused dot >= 150 M MAC/s"


class Operands:
    """One shape's float32 inputs and their E4M3, E5M2, E4M3FNUZ and MXFP8-E4M3 encodings."""

    def __init__(self, rng: np.random.Generator, m: int, n: int, k: int) -> None:
        self.shape = (m, n, k)
        self.a = rng.standard_normal((m, k)).astype(np.float32)
        self.b = rng.standard_normal((k, n)).astype(np.float32)
        self.codes = {f: (encode(self.a, f), encode(self.b, f)) for f in (E4M3, E5M2, E4M3Z)}
        self.mx = (mx.quantize(self.a, MX, axis=1), mx.quantize(self.b, MX, axis=0))

    @property
    def macs(self) -> int:
        m, n, k = self.shape
        return m * n * k

    def gemm(self, fmt: str, datapath) -> np.ndarray:
        a, b = self.codes[fmt]
        return matmul(a, b, fmt_a=fmt, acc_fmt="float32", datapath=datapath)[0]

    def gemm_mx(self, datapath) -> np.ndarray:
        return matmul_mx(*self.mx, acc_fmt="float32", datapath=datapath)[0]


def peak_mib(fn) -> float:
    """tracemalloc's peak over one call of ``fn``, in MiB."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def differing(fast: np.ndarray, codes: np.ndarray, what: str) -> str:
    """How many float32 results differ from ``what``'s float32 codes (bit patterns), as a table cell."""
    diff = int(np.count_nonzero(np.asarray(fast, np.float32).view(np.uint32) != codes.view(np.uint32)))
    return f"{diff:,} of {codes.size:,} outputs differ from {what}"


def ml_dtypes_peer(ops: Operands):
    """ml_dtypes: decode the E4M3 codes to float32, then np.matmul (the usual fast emulation)."""
    import ml_dtypes

    a, b = (c.view(ml_dtypes.float8_e4m3fn) for c in ops.codes[E4M3])
    return lambda: a.astype(np.float32) @ b.astype(np.float32)


def torchao_peer(ops: Operands):
    """torchao's MXTensor: quantise A and B to MXFP8-E4M3 along K, dequantise, float32 matmul (torch)."""
    import torch
    from torchao.prototype.mx_formats.mx_tensor import MXTensor

    ta = MXTensor.to_mx(torch.from_numpy(ops.a), torch.float8_e4m3fn, 32)
    tb = MXTensor.to_mx(torch.from_numpy(np.ascontiguousarray(ops.b.T)), torch.float8_e4m3fn, 32)
    return lambda: (ta.dequantize(torch.float32) @ tb.dequantize(torch.float32).T).numpy()


def mmasim_peer(ops: Operands, fmt: str = E4M3):
    """MMA-Sim's model (mmasim 2.1) of Hopper's wgmma FP8 (``mmasim.nv_ptx.WGMMA``) or, for E4M3FNUZ,
    CDNA3's FP8 MFMA (``mmasim.amd.MFMA``): its ``dpa`` over the whole K from C = +0 (row and column
    vectors, as tests/peers/test_mmasim.py calls it)."""
    import torch

    if fmt == E4M3Z:
        from mmasim.amd import MFMA

        op, dtype = MFMA("CDNA3", "f32_16x16x32_fp8_fp8"), torch.float8_e4m3fnuz
    else:
        from mmasim.nv_ptx import WGMMA

        op, dtype = WGMMA("Hopper", "m64n8k32.f32.e4m3.e4m3"), torch.float8_e4m3fn
    m, n, k = ops.shape
    a = torch.from_numpy(ops.codes[fmt][0].astype(np.uint8)).view(dtype)
    b = torch.from_numpy(ops.codes[fmt][1].astype(np.uint8)).view(dtype)
    rows, cols = a[:, None, :].expand(m, n, k), b.T[None, :, :].expand(m, n, k)

    def run():
        return op.dpa(rows, cols, torch.zeros((m, n), dtype=torch.float32)).numpy()

    return run


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=1024, help="M = N = K")
    ap.add_argument("--fma-size", type=int, default=256, help="M = N = K of the fma_chain row (at most --size)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="a smoke run: --size 128, one repeat")
    args = ap.parse_args()
    size, repeats = (128, 1) if args.quick else (args.size, args.repeats)
    if size < 32 or repeats < 1:
        raise ValueError(f"--size must be >= 32 and --repeats >= 1, got {size} and {repeats}")
    rng = np.random.default_rng(2026)
    shapes = {"main": (size,) * 3, "fma": (min(args.fma_size, size),) * 3, "mmasim": MMASIM_SHAPE}
    ops = {key: Operands(rng, *shape) for key, shape in shapes.items()}
    main_ops = ops["main"]
    f32_rate = {}
    rows = []  # (what, shape, M MAC/s, ratio, target, ok, MiB, note)

    def row(what, o: Operands, fn, target="", check=None, note=""):
        rate = o.macs / median_time(fn, repeats) / 1e6
        ok = "" if check is None else ("PASS" if check(rate, rate * 1e6 / f32_rate[o.shape]) else "MISS")
        rows.append((what, "x".join(map(str, o.shape)), rate, rate * 1e6 / f32_rate[o.shape], target, ok,
                     peak_mib(fn), note))
        return rate

    for o in ops.values():
        a32, b32 = o.a, o.b
        f32_rate[o.shape] = o.macs / median_time(lambda: a32 @ b32, max(repeats, 5))
    a64, b64 = main_ops.a.astype(np.float64), main_ops.b.astype(np.float64)
    row("np.matmul float32 (not exact)", main_ops, lambda: main_ops.a @ main_ops.b)
    row("np.matmul float64 (not exact)", main_ops, lambda: a64 @ b64)
    exact = Exact()
    row("Exact rne, E4M3", main_ops, lambda: main_ops.gemm(E4M3, exact), ">= 0.2x float32", lambda r, x: x >= 0.2)
    row("Exact rne, E5M2", main_ops, lambda: main_ops.gemm(E5M2, exact), ">= 0.05x float32", lambda r, x: x >= 0.05)
    row("Exact rne, MXFP8-E4M3", main_ops, lambda: main_ops.gemm_mx(exact), ">= 0.2x float32", lambda r, x: x >= 0.2)
    fused = lambda r, x: r >= 150  # noqa: E731
    for name in ("hopper-fp8", "blackwell-fp8", "hopper-fp8-promote128"):
        dp = PRESETS[name].datapath
        row(f"preset {name}, E4M3", main_ops, lambda: main_ops.gemm(E4M3, dp), FUSED, fused)
    dp = PRESETS["blackwell-mxfp8"].datapath
    row("preset blackwell-mxfp8, MXFP8-E4M3", main_ops, lambda: main_ops.gemm_mx(dp), FUSED, fused)
    cdna3 = PRESETS["cdna3-fp8"].datapath
    row("preset cdna3-fp8, E4M3FNUZ", main_ops, lambda: main_ops.gemm(E4M3Z, cdna3), FUSED, fused)
    fma = FmaChain()
    row("FmaChain rne, E4M3 into float32", ops["fma"], lambda: ops["fma"].gemm(E4M3, fma), ">= 30 M MAC/s",
        lambda r, x: r >= 30)

    notes = []
    exact_e4m3, exact_mx = main_ops.gemm(E4M3, exact), main_ops.gemm_mx(exact)
    for label, make, ref in (("ml_dtypes decode + float32 matmul", ml_dtypes_peer, exact_e4m3),
                             ("torchao MX dequantise + float32 matmul", torchao_peer, exact_mx)):
        try:
            fn = make(main_ops)
        except ImportError as exc:
            notes.append(f"{label}: skipped, not installed ({exc.name})")
            continue
        row(label, main_ops, fn, note=differing(fn(), ref, "Exact rne"))
    sim_ops = ops["mmasim"]
    for name, fmt, peer in (("hopper-fp8", E4M3, "Hopper wgmma FP8"), ("cdna3-fp8", E4M3Z, "CDNA3 MFMA FP8")):
        dp = PRESETS[name].datapath
        ours = row(f"preset {name}, {'E4M3' if fmt == E4M3 else 'E4M3FNUZ'} (MMA-Sim's shape)", sim_ops,
                   lambda: sim_ops.gemm(fmt, dp), FUSED, fused)
        try:
            fn = mmasim_peer(sim_ops, fmt)
        except ImportError as exc:
            notes.append(f"MMA-Sim: skipped, not installed ({exc.name}; pip install mmasim, needs torch); "
                         f"recorded: {MMASIM_RECORDED}, so >= 10x needs >= 170 M MAC/s; {name} here: "
                         f"{ours:.0f} M MAC/s")
            break
        theirs = row(f"MMA-Sim {peer} model", sim_ops, fn, note=differing(fn(), sim_ops.gemm(fmt, dp), name))
        notes.append(f"{name} / MMA-Sim on {MMASIM_SHAPE}: {ours / theirs:.1f}x (target >= 10x): "
                     + ("PASS" if ours >= 10 * theirs else "MISS"))

    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"GEMM throughput, N(0, 1) inputs, median of {repeats}; ratio to np.matmul float32 "
                        f"of the same shape; peak: tracemalloc over one call")
    for col in ("what", "M x N x K", "M MAC/s", "vs float32", "target", "", "peak MiB", "note"):
        table.add_column(col, justify="left" if col in ("what", "note", "target") else "right")
    for what, shape, rate, ratio, target, ok, mib, note in rows:
        table.add_row(what, shape, f"{rate:,.1f}", f"{ratio:.4f}x", target, ok, f"{mib:,.1f}", note)
    Console(width=200).print(table)
    for line in notes:
        print(line)
    missed = any(r[5] == "MISS" for r in rows) or any(line.endswith("MISS") for line in notes)
    print("targets missed (see MISS above)" if missed else "all targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
