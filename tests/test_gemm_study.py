"""fp8kit study accumulation and bench/bench_gemm.py: tiny runs with sane, exact-where-they-must-be numbers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fp8kit.cli import main
from fp8kit.studies.accumulation import accumulation_study

ROOT = Path(__file__).resolve().parent.parent


def test_tiny_study_exact_and_growth_and_promotion():
    rows = accumulation_study(ks=(64, 1024), presets=("hopper-fp8", "exact"), every=(32,), trials=2, m=4, n=4,
                              dist="uniform")
    by = {(r.datapath, r.k): r for r in rows}
    assert len(rows) == 6 and all(r.outputs == 32 for r in rows)
    # Exact rne into float32 is correctly rounded: at most half an ULP of float32 (relative 2**-24)
    assert all(by["exact", k].max <= 2.0**-24 for k in (64, 1024))
    # hopper-fp8 truncates every step: on all-positive inputs the error grows with K, and is far from float32
    hop_short, hop_long = by["hopper-fp8", 64], by["hopper-fp8", 1024]
    assert hop_long.mean > 4 * hop_short.mean and hop_long.max > 1e-3
    # promotion every 32 into float32 bounds it to the error of one 32-element run
    promoted = by["hopper-fp8 promote every 32", 1024]
    assert promoted.max < hop_long.max / 10 and promoted.mean <= by["hopper-fp8 promote every 32", 64].mean * 2
    assert all(0 <= r.mean <= r.max < 1 for r in rows)


def test_study_errors():
    with pytest.raises(ValueError, match="every K must lie in 1...131072"):
        accumulation_study(ks=(1 << 18,))
    with pytest.raises(ValueError, match="dist must be one of normal, uniform"):
        accumulation_study(ks=(16,), dist="laplace")
    with pytest.raises(ValueError, match="unknown datapath preset 'volta'"):
        accumulation_study(ks=(16,), presets=("volta",))
    with pytest.raises(ValueError, match="does not take float8_e4m3fn operands"):
        accumulation_study(ks=(16,), presets=("hopper-fp16",))
    with pytest.raises(ValueError, match="trials must be an integer in 1...4096"):
        accumulation_study(ks=(16,), trials=0)


def test_study_cli_writes_table_and_plot(capsys, tmp_path):
    out = tmp_path / "plots"
    code = main(["study", "accumulation", "--k", "32,128", "--trials", "1", "--m", "2", "--n", "2",
                 "--presets", "exact,blackwell-fp8", "--every", "64", "--dist", "normal", "--out", str(out)])
    text = capsys.readouterr().out
    assert code == 0
    assert "K=128" in text and "blackwell-fp8" in text and "promote every 64" in text
    png = out / "accumulation-normal.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bench_gemm_quick_runs():
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_gemm.py"), "--quick"], capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    for row in ("np.matmul float32", "Exact rne, E5M2", "preset blackwell-mxfp8", "FmaChain rne"):
        assert row in done.stdout
    assert "outputs differ from Exact rne" in done.stdout  # ml_dtypes is a dependency: its row always runs
