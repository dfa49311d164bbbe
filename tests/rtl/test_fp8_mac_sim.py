"""rtl/fp8_mac.v on Icarus against refmodel.arith.mac: streams in every rounding mode, sr from the LFSR."""

from __future__ import annotations

import pytest

from refmodel.rtlgen import fma_rtl_params
from verif.common import run_sim

CONFIGS = [
    ("float8_e4m3fn", "float8_e4m3fn", "bfloat16", 0x00000001),
    ("float8_e4m3fn", "float8_e5m2", "float32", 0xACE1ACE1),
    ("float8_e5m2", "float8_e5m2", "float16", 0x12345678),
]


@pytest.mark.rtl
@pytest.mark.parametrize("fmt_a, fmt_b, acc, seed", CONFIGS, ids=[f"{a}x{b}-{c}" for a, b, c, _ in CONFIGS])
def test_fp8_mac(fmt_a, fmt_b, acc, seed):
    run_sim(
        "fp8_mac",
        "verif.fp8_mac.tb_fp8_mac",
        {**fma_rtl_params(fmt_a, fmt_b, acc, 16), "SEED": seed},
        extra_env={"FP8KIT_FMT_A": fmt_a, "FP8KIT_FMT_B": fmt_b, "FP8KIT_ACC": acc, "FP8KIT_SR_BITS": "16",
                   "FP8KIT_LFSR_SEED": str(seed), "FP8KIT_MAC_STEPS": "150"},
        expected_tests=1,
    )
