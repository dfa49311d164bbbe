"""rtl/fp8_fma.v on Icarus through cocotb: e4m3fn, e5m2 and the mixed pair into float32, bfloat16, float16.

The default run drives 4,096 vectors per configuration (every operand code, edge and random
accumulators, every mode, sat 0/1); FP8KIT_SLOW=full with -m slow drives 100,000.
Operands with signalling NaNs (e5m2, float16, bfloat16) also run a short bench each: NV for a
signalling NaN multiplicand or accumulator (IEEE 754-2019 section 7.2), none for a quiet one.
"""

from __future__ import annotations

import os

import pytest

from fp8kit.rtlspec.params import fma_rtl_params
from verif.common import run_sim

PAIRS = [("float8_e4m3fn", "float8_e4m3fn"), ("float8_e5m2", "float8_e5m2"), ("float8_e4m3fn", "float8_e5m2")]
ACCS = ["float32", "bfloat16", "float16"]
CONFIGS = [(a, b, c) for a, b in PAIRS for c in ACCS]
SNAN_CONFIGS = [("float16", "bfloat16", "float32"), ("float8_e5m2", "float16", "float16"),
                ("bfloat16", "float8_e4m3fn", "bfloat16")]


def _run(fmt_a: str, fmt_b: str, acc: str, vectors: int, **env: str) -> None:
    run_sim("fp8_fma", "verif.fp8_fma.tb_fp8_fma", fma_rtl_params(fmt_a, fmt_b, acc, 16),
            extra_env={"FP8KIT_FMT_A": fmt_a, "FP8KIT_FMT_B": fmt_b, "FP8KIT_ACC": acc, "FP8KIT_SR_BITS": "16",
                       "FP8KIT_FMA_VECTORS": str(vectors), **env},
            expected_tests=2)


@pytest.mark.rtl
@pytest.mark.parametrize("fmt_a, fmt_b, acc", CONFIGS, ids=[f"{a}x{b}-{c}" for a, b, c in CONFIGS])
def test_fp8_fma(fmt_a, fmt_b, acc):
    _run(fmt_a, fmt_b, acc, 4096)


@pytest.mark.rtl
@pytest.mark.parametrize("fmt_a, fmt_b, acc", SNAN_CONFIGS, ids=[f"{a}x{b}-{c}" for a, b, c in SNAN_CONFIGS])
def test_fp8_fma_signalling_nan_operands(fmt_a, fmt_b, acc):
    _run(fmt_a, fmt_b, acc, 64, FP8KIT_MODES="0,5,6", FP8KIT_NAN_VECTORS="128")


@pytest.mark.rtl
@pytest.mark.slow
@pytest.mark.parametrize("fmt_a, fmt_b, acc", CONFIGS, ids=[f"{a}x{b}-{c}" for a, b, c in CONFIGS])
def test_fp8_fma_full(fmt_a, fmt_b, acc):
    _run(fmt_a, fmt_b, acc, 100_000 if os.environ.get("FP8KIT_SLOW") == "full" else 8192)
