"""rtl/fp8_mac.v on Icarus against refmodel.arith.mac: streams in every rounding mode, sr from the LFSR.

Every run also streams NaN multiplicands (sticky NV for a signalling NaN only); the
signalling-NaN configurations give it e5m2, float16 and bfloat16 operands.
"""

from __future__ import annotations

import pytest

from fp8kit.rtlspec.params import fma_rtl_params
from verif.common import run_sim

CONFIGS = [
    ("float8_e4m3fn", "float8_e4m3fn", "bfloat16", 0x00000001),
    ("float8_e4m3fn", "float8_e5m2", "float32", 0xACE1ACE1),
    ("float8_e5m2", "float8_e5m2", "float16", 0x12345678),
]


SNAN_CONFIGS = [("float16", "float8_e5m2", "float32", 0x00000001), ("bfloat16", "float8_e5m2", "bfloat16", 0x0000BEEF)]


def _run(fmt_a: str, fmt_b: str, acc: str, seed: int, steps: int, modes: str = "0,1,2,3,4,5,6") -> None:
    run_sim(
        "fp8_mac",
        "verif.fp8_mac.tb_fp8_mac",
        {**fma_rtl_params(fmt_a, fmt_b, acc, 16), "SEED": seed},
        extra_env={"FP8KIT_FMT_A": fmt_a, "FP8KIT_FMT_B": fmt_b, "FP8KIT_ACC": acc, "FP8KIT_SR_BITS": "16",
                   "FP8KIT_LFSR_SEED": str(seed), "FP8KIT_MAC_STEPS": str(steps), "FP8KIT_MODES": modes},
        expected_tests=2,
    )


@pytest.mark.rtl
@pytest.mark.parametrize("fmt_a, fmt_b, acc, seed", CONFIGS, ids=[f"{a}x{b}-{c}" for a, b, c, _ in CONFIGS])
def test_fp8_mac(fmt_a, fmt_b, acc, seed):
    _run(fmt_a, fmt_b, acc, seed, 150)


@pytest.mark.rtl
@pytest.mark.parametrize("fmt_a, fmt_b, acc, seed", SNAN_CONFIGS, ids=[f"{a}x{b}-{c}" for a, b, c, _ in SNAN_CONFIGS])
def test_fp8_mac_signalling_nan_operands(fmt_a, fmt_b, acc, seed):
    _run(fmt_a, fmt_b, acc, seed, 20, modes="0,5")
