"""fp8_dpa against one step of refmodel's FusedDot: `fp8kit vectors --op dpa` files replayed in the $readmemh bench.

Vectors come from fp8kit.vectors (level 1: fp8kit.vectors.dpa's directed rows, every alignment distance
around F, cancellation, carries, specials, scale extremes; level 2 adds its seeded random steps); the bench
(written by verif.replay.bench) compares in the simulator with PIPE = 0. Every unit of the regression
(verif.regress.plan.DPA_UNITS) is replayed, and a planted truncation off-by-one in a copy of rtl/ is caught.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fp8kit import vectors as vec
from fp8kit.cli import main
from fp8kit.vectors.dpa import DpaConfig
from verif.regress.plan import DPA_UNITS
from verif.replay import replay

from planted import planted_rtl


def _unit_args(unit: DpaConfig) -> dict:
    """generate()'s arguments for a unit, as fused-dot parameters."""
    dp = unit.datapath
    return {"datapath": "fused-dot", "fmt": unit.fmt_a, "fmt_b": unit.fmt_b, "acc": unit.acc_fmt,
            "rounding": dp.rounding.label, "unit": {"lanes": dp.lanes, "frac_bits": dp.frac_bits,
                                                    "step_man_bits": dp.step_fmt.man_bits,
                                                    "zero_exp": "none" if dp.zero_exp is None else dp.zero_exp,
                                                    "nan": dp.nan}}


@pytest.mark.rtl
@pytest.mark.parametrize("name", list(DPA_UNITS))
def test_fp8_dpa_replay(tmp_path: Path, name: str) -> None:
    unit, _ = DPA_UNITS[name]
    v = vec.generate("dpa", level=2, count=600, seed=5, **_unit_args(unit))
    assert DpaConfig.from_json(json.dumps(v.header["unit"])) == unit
    n, bad, out = replay(vec.write(v, tmp_path / "dpa.hex"))
    assert n == v.header["cases"] > 600
    assert bad == 0, "\n".join(out.splitlines()[:30])


@pytest.mark.rtl
def test_planted_truncation_off_by_one_is_caught(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """fp8_dpa keeping FRAC_W - 1 fraction bits below the largest exponent: the level-1 file alone reports it."""
    rtl = planted_rtl(tmp_path)
    path = vec.write(vec.generate("dpa", datapath="hopper-fp8", fmt="float8_e4m3fn,float8_e5m2"), tmp_path / "d.hex")
    assert replay(path).mismatches == 0
    n, bad, out = replay(path, rtl_dir=rtl)
    assert n == vec.read_header(path)["cases"] and bad > 10, out[-2000:]
    assert main(["replay", str(path), "--rtl-dir", str(rtl), "--max-report", "1"]) == 1
    assert capsys.readouterr().out.count("MISMATCH") == 1
    assert main(["replay", str(path), "--rtl-dir", str(tmp_path / "nope")]) == 2
    assert "is not a directory" in capsys.readouterr().err
