"""rtl/fp8_dpa.v on Icarus through cocotb: the regression's units against one step of refmodel's FusedDot.

Each unit of ``verif.regress.plan.DPA_UNITS`` runs its directed rows and 200 random steps; the slow
test 2,000 (FP8KIT_SLOW=bounded) or 20,000 (FP8KIT_SLOW=full) per unit.  A planted truncation
off-by-one (one fraction bit fewer kept below the largest exponent) must be caught.
"""

from __future__ import annotations

import os
import shutil

import pytest

from fp8kit import paths
from verif.common import SimFailure, run_sim
from verif.regress.plan import DPA_UNITS


@pytest.mark.rtl
@pytest.mark.parametrize("name", list(DPA_UNITS))
def test_fp8_dpa(name):
    _run(name, 200)


@pytest.mark.rtl
@pytest.mark.slow
@pytest.mark.parametrize("name", list(DPA_UNITS))
def test_fp8_dpa_many(name):
    _run(name, 20_000 if os.environ.get("FP8KIT_SLOW") == "full" else 2_000)


@pytest.mark.rtl
def test_planted_truncation_off_by_one_is_caught(tmp_path):
    """The products aligned with FRAC_W - 1 fraction bits instead of FRAC_W: the bench reports mismatches."""
    rtl = tmp_path / "rtl"
    shutil.copytree(paths.rtl_dir(), rtl)
    src = rtl / "fp8_dpa.v"
    text = src.read_text()
    planted = text.replace("wire [TW-1:0]  wide = {p_sig[k*PW +: PW], {FRAC_W{1'b0}}};",
                           "wire [TW-1:0]  wide = {1'b0, p_sig[k*PW +: PW], {(FRAC_W-1){1'b0}}};")
    assert planted != text
    src.write_text(planted)
    unit, pipe = DPA_UNITS["hopper-fp8/e4m3fn-x-e5m2"]
    with pytest.raises(SimFailure) as err:
        run_sim("fp8_dpa", "verif.fp8_dpa.tb_fp8_dpa", unit.rtl_params(pipe), rtl_dir=rtl,
                extra_env={"FP8KIT_DPA": unit.to_json(), "FP8KIT_DPA_CASES": "100"}, expected_tests=1,
                build_dir=tmp_path / "build")
    report = err.value.result.report
    assert report["mismatches"] > 10, report


def _run(name: str, cases: int) -> None:
    unit, pipe = DPA_UNITS[name]
    run_sim("fp8_dpa", "verif.fp8_dpa.tb_fp8_dpa", unit.rtl_params(pipe),
            extra_env={"FP8KIT_DPA": unit.to_json(), "FP8KIT_DPA_CASES": str(cases)}, expected_tests=1)
