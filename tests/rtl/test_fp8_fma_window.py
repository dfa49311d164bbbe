"""``fp8kit.rtlspec.params.check_fma_window`` is fp8_fma's own bias check: the RTL stops on exactly the parameter
sets the model refuses (bfloat16 products into a float32 accumulator, say), and takes the ones at the
boundary. Each case elaborates ``rtl/fp8_fma.v`` with Icarus and runs its initial checks."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from refmodel.formats import Format, get_format
from fp8kit.rtlspec.manifest import include_dirs, sources_for
from fp8kit.rtlspec.params import check_fma_window, fma_rtl_params, fma_widths

ROOT = Path(__file__).resolve().parents[2]


def _margin(fa: Format, fb: Format, acc: Format, sr_bits: int) -> int:
    """How many bits the window's top clears the subnormal boundary by (< 0: the RTL stops)."""
    w = fma_widths(fa, fb, acc, sr_bits)
    return (1 - fa.bias) + (1 - fb.bias) - fa.man_bits - fb.man_bits - w.s - 2 + w.fw - (1 - acc.bias)


def _boundary(margin: int) -> tuple[Format, Format, Format]:
    """E8M3 operands with the biases that put the float16 accumulator's window margin at ``margin``."""
    acc = get_format("float16")
    base = _margin(Format.custom(8, 3, bias=0), Format.custom(8, 3, bias=0), acc, 16)
    fa = Format.custom(8, 3, bias=(base - margin) // 2)
    fb = Format.custom(8, 3, bias=base - margin - fa.bias)
    assert _margin(fa, fb, acc, 16) == margin
    return fa, fb, acc


def _elaborate(params: dict[str, int], tmp_path: Path) -> subprocess.CompletedProcess:
    iverilog = shutil.which("iverilog")
    if iverilog is None:
        pytest.fail("iverilog not found on PATH: install it with `apt-get install iverilog` (or `make tools`)")
    out = tmp_path / "fma.vvp"
    rtl = ROOT / "rtl"
    cmd = [iverilog, "-g2005", *[f"-I{d}" for d in include_dirs(rtl)], "-s", "fp8_fma", "-o", str(out),
           *[f"-Pfp8_fma.{k}={v}" for k, v in params.items()], *map(str, sources_for("fp8_fma", rtl))]
    build = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, build.stderr
    return subprocess.run(["vvp", "-n", str(out)], capture_output=True, text=True, timeout=120)


def test_bfloat16_products_into_float32_are_refused():
    with pytest.raises(ValueError, match=r"bfloat16 \(bias 127\) x bfloat16 \(bias 127\).*float32 accumulator"):
        fma_rtl_params("bfloat16", "bfloat16", "float32")


@pytest.mark.rtl
@pytest.mark.parametrize("margin", [-1, 0])
def test_the_rtl_stops_where_the_model_refuses(margin, tmp_path):
    fa, fb, acc = _boundary(margin)
    refused = margin < 0
    if refused:
        with pytest.raises(ValueError, match="below the float16 accumulator window"):
            check_fma_window(fa, fb, acc, 16)
        with pytest.raises(ValueError, match="below the float16 accumulator window"):
            fma_rtl_params(fa, fb, acc, 16)
        # the legal neighbour's set with these biases: what the producer refuses, to show the RTL stops too
        params = {**fma_rtl_params(*_boundary(0), 16), "A_BIAS": fa.bias, "B_BIAS": fb.bias}
    else:
        check_fma_window(fa, fb, acc, 16)
        params = fma_rtl_params(fa, fb, acc, 16)
    run = _elaborate(params, tmp_path)
    stopped = "too large for this accumulator" in run.stdout + run.stderr
    assert stopped == refused, (margin, run.stdout, run.stderr)
