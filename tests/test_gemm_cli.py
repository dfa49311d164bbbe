"""``fp8kit gemm`` and ``fp8kit vectors --op gemm`` against refmodel.gemm (bad inputs: tests/test_bad_inputs_cli.py)."""

from __future__ import annotations

import numpy as np
import pytest

from fp8kit import vectors
from fp8kit.cli import main
from fp8kit.cli.gemm import ulp_distance
from refmodel.codec import decode, encode
from refmodel.datapath import Exact, FmaChain
from refmodel.formats import get_format
from refmodel.gemm import matmul, matmul_mx
from refmodel.mx import quantize
from refmodel.presets import PRESETS

E4, F32 = "float8_e4m3fn", get_format("float32")


def _save(tmp_path, **arrays):
    for name, x in arrays.items():
        np.save(tmp_path / f"{name}.npy", x)
    return {name: str(tmp_path / f"{name}.npy") for name in arrays}


def _gemm(tmp_path, files, *opts):
    out = str(tmp_path / "d.npy")
    assert main(["gemm", *files, "--out", out, *opts]) == 0
    return np.load(out)


def test_floats_are_encoded_and_d_is_matmul_of_the_codes(tmp_path):
    rng = np.random.default_rng(0)
    a, b, c = rng.standard_normal((3, 40)), rng.standard_normal((40, 5)).astype(np.float32), rng.standard_normal((3, 5))
    f = _save(tmp_path, a=a, b=b, c=c)
    d = _gemm(tmp_path, [f["a"], f["b"], f["c"]], "--format", f"{E4},float8_e5m2", "--datapath", "hopper-fp8",
              "--out-codes", str(tmp_path / "dc.npy"))
    codes, _ = matmul(encode(a, E4), encode(b, "float8_e5m2"), encode(c, F32), fmt_a=E4, fmt_b="float8_e5m2",
                      datapath=PRESETS["hopper-fp8"].datapath)
    assert d.dtype == np.float32 and d.shape == (3, 5)
    np.testing.assert_array_equal(np.load(tmp_path / "dc.npy"), codes)
    np.testing.assert_array_equal(d, decode(codes, F32))


def test_codes_and_their_exact_values_give_the_same_output(tmp_path):
    rng = np.random.default_rng(1)
    a = rng.integers(0, 0x7F, (4, 8)).astype(np.uint8)  # finite e4m3fn codes of both signs
    b = rng.integers(0x80, 0xFF, (8, 3)).astype(np.uint8)
    c = encode(rng.standard_normal((4, 3)), "bfloat16")
    opts = ["--format", E4, "--datapath", "fma-chain", "--rounding", "rtz", "--acc", "bfloat16"]
    f = _save(tmp_path, a=a, b=b, c=c)
    from_codes = _gemm(tmp_path, [f["a"], f["b"], f["c"]], "--codes", *opts)
    want, _ = matmul(a, b, c, fmt_a=E4, acc_fmt="bfloat16", datapath=FmaChain("rtz"))
    assert from_codes.dtype == np.float32  # bfloat16 decoded exactly into float32
    np.testing.assert_array_equal(from_codes, decode(want, "bfloat16"))
    f = _save(tmp_path, a=decode(a, E4), b=decode(b, E4, np.float64), c=decode(c, "bfloat16"))
    np.testing.assert_array_equal(_gemm(tmp_path, [f["a"], f["b"], f["c"]], *opts), from_codes)


def test_float16_preset_writes_float16(tmp_path):
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((2, 64)), rng.standard_normal((64, 2))
    f = _save(tmp_path, a=a, b=b)
    d = _gemm(tmp_path, [f["a"], f["b"]], "--format", E4, "--datapath", "hopper-fp8-f16")
    codes, _ = matmul(encode(a, E4), encode(b, E4), fmt_a=E4, acc_fmt="float16",
                      datapath=PRESETS["hopper-fp8-f16"].datapath)
    assert d.dtype == np.float16
    np.testing.assert_array_equal(d, decode(codes, "float16", np.float16))


def _mx_files(k=64, n=24):  # N != K: a transposed B would not even have the right shape
    rng = np.random.default_rng(3)
    return rng.standard_normal((2, k)).astype(np.float32), rng.standard_normal((k, n)).astype(np.float32)


def test_mx_preset_quantises_along_k(tmp_path):
    a, b = _mx_files()
    f = _save(tmp_path, a=a, b=b)
    d = _gemm(tmp_path, [f["a"], f["b"]], "--format", "mxfp8_e4m3", "--datapath", "blackwell-mxfp8")
    codes, _ = matmul_mx(quantize(a, "mxfp8_e4m3", axis=1), quantize(b, "mxfp8_e4m3", axis=0),
                         datapath=PRESETS["blackwell-mxfp8"].datapath)
    np.testing.assert_array_equal(d, decode(codes, F32))


def test_mx_preset_is_close_to_float64(tmp_path):
    from refmodel.mx import dequantize

    a, b = _mx_files()
    f = _save(tmp_path, a=a, b=b)
    d = _gemm(tmp_path, [f["a"], f["b"]], "--format", "mxfp8_e4m3", "--datapath", "blackwell-mxfp8")
    ref = dequantize(quantize(a, "mxfp8_e4m3", axis=1), np.float64) @ dequantize(quantize(b, "mxfp8_e4m3", axis=0), np.float64)
    np.testing.assert_allclose(d, ref, rtol=1e-4, atol=1e-4 * np.abs(ref).max())


def test_report_of_exact_sums_is_zero_everywhere(tmp_path, capsys):
    """Small integers: every sum is exact in float32, so the exact datapath is 0 ULP and 0 error."""
    rng = np.random.default_rng(4)
    f = _save(tmp_path, a=rng.integers(-4, 5, (3, 8)).astype(np.float32), b=rng.integers(-4, 5, (8, 4)).astype(np.float32))
    _gemm(tmp_path, [f["a"], f["b"]], "--format", E4, "--datapath", "exact", "--report")
    out = capsys.readouterr().out
    assert "M=3 K=8 N=4" in out and "exact(rounding=rne" in out
    assert "0: 12, 1: 0, 2: 0, 3-7: 0, 8+: 0; Inf/NaN: 0" in out and "0 of 12" in out
    nonzero = int((np.load(f["a"]) @ np.load(f["b"]) != 0).sum())
    assert out.count(f"max 0.000e+00, mean 0.000e+00 over {nonzero:,} outputs") == 2


def test_ulp_distance():
    codes = np.array([0x3F800000, 0x00000000, 0x80000001, 0x7F800000])
    other = np.array([0x3F800003, 0x80000000, 0x00000001, 0x7F800000])
    np.testing.assert_array_equal(ulp_distance(codes, other, F32), [3, 0, 2, -1])


def test_vectors_gemm_expected_outputs_are_matmul(tmp_path):
    out = tmp_path / "g.hex"
    assert main(["vectors", "--op", "gemm", "--format", E4, "--datapath", "ada-fp8", "--m", "2", "--n", "3", "--k", "20",
                 "--count", "2", "--seed", "5", "--out", str(out)]) == 0
    v = vectors.read(out)
    h = v.header
    assert (h["op"], h["datapath"], h["acc"], h["cases"], h["m"], h["n"], h["k"]) == ("gemm", "ada-fp8", "float32", 12, 2, 3, 20)
    col = v.column
    a = np.stack([col(f"a_{x}") for x in range(20)], 1).astype(np.int64)
    b = np.stack([col(f"b_{x}") for x in range(20)], 1).astype(np.int64)
    for t in range(2):
        rows = np.flatnonzero(col("tile") == t)
        i, j = col("row")[rows].astype(int), col("col")[rows].astype(int)
        a_t, b_t = np.zeros((2, 20), np.int64), np.zeros((20, 3), np.int64)
        a_t[i], b_t[:, j] = a[rows], b[rows].T
        c_t = np.zeros((2, 3), np.int64)
        c_t[i, j] = col("c")[rows]
        d, flags = matmul(a_t, b_t, c_t, fmt_a=E4, datapath=PRESETS["ada-fp8"].datapath)
        np.testing.assert_array_equal(col("d")[rows], d[i, j])
        np.testing.assert_array_equal(col("flags")[rows], flags[i, j])
    assert vectors.regenerate_command(h, "g.hex") == (f"fp8kit vectors --op gemm --format {E4},{E4} --acc float32 "
                                                       "--datapath ada-fp8 --m 2 --n 3 --k 20 --count 2 --seed 5 --out g.hex")


def test_memory_estimate_bounds_the_gemm_peak():
    import tracemalloc

    vectors.generate("gemm", fmt=E4, datapath="hopper-fp8", m=2, n=2, k=4, count=1, level=2)  # numba loaded
    tracemalloc.start()
    try:
        vectors.generate("gemm", fmt=E4, datapath="hopper-fp8", m=16, n=16, k=64, count=4, level=2)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= vectors.memory_estimate("gemm", 4, 64, outputs=256)


def test_replay_refuses_gemm_vectors(tmp_path, capsys):
    out = tmp_path / "g.hex"
    assert main(["vectors", "--op", "gemm", "--format", E4, "--datapath", "exact", "--m", "1", "--n", "1", "--k", "4",
                 "--out", str(out)]) == 0
    assert main(["replay", str(out)]) == 2
    assert "op gemm has no RTL module here" in capsys.readouterr().err
