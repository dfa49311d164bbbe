"""rtl/fp8_mul.v on Icarus: every code pair against refmodel.arith.mul, per operand-format pair.

Parameters come from the producer fp8kit.rtlspec.params.mul_rtl_params (Format.rtl_params()) only; the bench checks them at time 0.
"""

from __future__ import annotations

import pytest

from fp8kit.rtlspec.params import mul_rtl_params
from verif.common import run_sim

PAIRS = [
    ("float8_e4m3fn", "float8_e4m3fn"),
    ("float8_e5m2", "float8_e5m2"),
    ("float8_e4m3fn", "float8_e5m2"),
    ("float8_e4m3fnuz", "float8_e5m2fnuz"),
    ("float6_e3m2fn", "float4_e2m1fn"),
    ("float8_e3m4", "float6_e2m3fn"),
]


@pytest.mark.rtl
@pytest.mark.parametrize("fmt_a,fmt_b", PAIRS, ids=[f"{a}-x-{b}" for a, b in PAIRS])
def test_fp8_mul_exhaustive(fmt_a, fmt_b):
    run_sim(
        "fp8_mul",
        "verif.fp8_mul.tb_fp8_mul",
        mul_rtl_params(fmt_a, fmt_b),
        extra_env={"FP8KIT_FMT_A": fmt_a, "FP8KIT_FMT_B": fmt_b, "FP8KIT_MUL_PAIRS": "0"},
        expected_tests=1,
    )
