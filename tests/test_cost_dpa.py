"""fp8kit.cost.dpa / ``fp8kit cost --dpa``: the fp8_dpa rows over L and F, their GEMM error, the Pareto front.

The model against Yosys is checked here too (marker ``synth``): two L = 4 steps from a fresh cache in the
default suite (about 15 s), every calibration point and preset in the slow suite, every row of the
sweep under ``FP8KIT_SLOW=full``.
"""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pytest

from conftest import slow_scale
from fp8kit.cli import main
from fp8kit.cost.dpa import (CALIBRATION_POINTS, DPA_FRACS, DPA_LANES, DPA_ROW_KEYS, calibration_dpa, dpa_datapaths,
                             dpa_table, exact_reference, gemm_errors, pareto_front, parse_int_list, preset_datapaths,
                             sweep_dot)
from fp8kit.cost.model import Calibration, Datapath, area, dpa_widths
from fp8kit.rtlspec.params import dpa_rtl_params
from refmodel.datapath import FusedDot
from refmodel.formats import get_format
from refmodel.presets import PRESETS

E4M3, E5M2, F32 = get_format("float8_e4m3fn"), get_format("float8_e5m2"), get_format("float32")


# ------------------------------------------------------------------------------ the sweep's rows
def test_sweep_covers_the_issue_grid_and_derives_from_fused_dot():
    dps = dpa_datapaths()
    assert len(dps) == len(DPA_LANES) * len(DPA_FRACS) == 4 * 21
    assert {(d.dot.lanes, d.dot.frac_bits) for d in dps} == {(n, f) for n in (4, 8, 16, 32) for f in range(10, 31)}
    for d in dps:
        assert d.kind == "fp8_dpa" and d.fmt == d.fmt_b == E4M3 and d.acc == F32 and d.per == d.dot.lanes
        step = d.dot.step_fmt
        assert (step.exp_bits, step.bias, step.man_bits) == (8, 127, min(d.dot.frac_bits, 23))
        p = dpa_rtl_params(d.dot, d.fmt, d.fmt_b, d.acc, 0)  # the same parameters Yosys gets
        assert (p["LANES"], p["FRAC_W"], p["STEP_MAN_W"], p["RM"], p["ZERO_EXP"]) == (
            d.dot.lanes, d.dot.frac_bits, step.man_bits, 1, -133)


def test_nvidia_presets_are_rows_of_the_sweep():
    assert sweep_dot(32, 13) == PRESETS["hopper-fp8"].datapath
    assert sweep_dot(32, 25) == PRESETS["blackwell-fp8"].datapath
    ada = PRESETS["ada-fp8"].datapath
    assert sweep_dot(16, 13) != ada and sweep_dot(16, 13) == FusedDot(16, 13, ada.step_fmt, ada.rounding, -133)
    assert [name for name, _ in preset_datapaths()] == ["hopper-fp8", "ada-fp8", "blackwell-fp8"]
    rows = dpa_table(dpa_datapaths([16, 32], [13, 25]), preset_datapaths(), k=64)
    assert [(r["lanes"], r["frac_bits"], r["preset"], r["sweep"]) for r in rows] == [
        (16, 13, None, True), (16, 25, None, True), (32, 13, "hopper-fp8", True), (32, 25, "blackwell-fp8", True),
        (16, 13, "ada-fp8", False)]
    # ada's zero exponent changes neither the area nor, on these operands, the error
    assert rows[4]["ge_model"] == pytest.approx(rows[0]["ge_model"])
    assert rows[4]["err_uniform_norm"] == pytest.approx(rows[0]["err_uniform_norm"], rel=1e-9)


def test_widths_follow_the_rtl_localparams():
    # rtl/fp8_dpa.v: PW = A_MAN_W + B_MAN_W + 2, TW = PW + FRAC_W, CTW = ACC_MAN_W + 1 + FRAC_W,
    # SW = FRAC_W + 3 + clog2(LANES + 1), QW = EW + STEP_MAN_W + 2 with EW = 14
    w = dpa_widths(Datapath("fp8_dpa", E4M3, F32, dot=PRESETS["hopper-fp8"].datapath, fmt_b=E5M2))
    assert (w.pman, w.pw, w.tw, w.ctw, w.tsw, w.csw, w.sw, w.lzw, w.rsw, w.step, w.cw, w.qw) == (
        5, 7, 20, 37, 5, 6, 22, 5, 5, 13, 32, 29)
    w = dpa_widths(Datapath("fp8_dpa", E4M3, F32, dot=sweep_dot(4, 30)))
    assert (w.pw, w.tw, w.sw, w.step) == (8, 38, 36, 23)
    assert 9 <= w.ed <= 14  # emax - e + PMAN over float32's exponents and the zero exponent -133


def test_model_grows_with_lanes_and_fraction_bits():
    cal = Calibration.identity()
    for n in DPA_LANES:
        per = [area(d, cal).per_mac for d in dpa_datapaths([n], DPA_FRACS)]
        assert all(b > a for a, b in zip(per, per[1:])), n
    for f in DPA_FRACS:
        tot = [area(d, cal).total for d in dpa_datapaths(DPA_LANES, [f])]
        assert all(b > a for a, b in zip(tot, tot[1:])), f
    # the normaliser and rounding are shared by the lanes: per MAC, L = 32 is cheaper than L = 4
    (a4, a32) = (area(d).per_mac for d in dpa_datapaths([4, 32], [13]))
    assert a32 < a4
    b = area(dpa_datapaths([32], [13])[0]).blocks
    assert set(b) == {"multiplier", "exponent", "align", "tree", "normalise", "round", "specials"}


def test_datapath_follows_the_rtl_contract():
    with pytest.raises(ValueError, match="needs a refmodel.datapath.FusedDot"):
        Datapath("fp8_dpa", E4M3, F32)
    with pytest.raises(ValueError, match="no grouped terms"):
        Datapath("fp8_dpa", E4M3, F32, dot=FusedDot(32, 13, F32, "rtz", -133, group=16))
    with pytest.raises(ValueError, match=r"FRAC_W=41; allowed: 1\.\.\.40"):
        Datapath("fp8_dpa", E4M3, F32, dot=FusedDot(32, 41, F32, "rtz", -133))
    with pytest.raises(ValueError, match="only an fp8_dpa datapath"):
        Datapath("fp_mac", E4M3, F32, dot=sweep_dot(4, 10))
    assert Datapath("fp8_dpa", E4M3, F32, dot=sweep_dot(4, 10), fmt_b=E5M2).format_name == \
        "float8_e4m3fn:float8_e5m2"


# ---------------------------------------------------------------------------------- the error
def test_error_falls_with_fraction_bits_and_saturates_at_the_step_format():
    dps = dpa_datapaths([8], [10, 13, 16, 20, 23, 30])
    errs = gemm_errors(dps, k=1024, mn=16)
    uni = [e["uniform"].norm for e in errs]
    assert all(b < a for a, b in zip(uni[:5], uni[1:5])), uni
    assert uni[0] > 0.05  # E8M10 steps stall a long all-positive sum: products fall below the kept bits
    assert uni[-1] < 1e-6 and uni[-1] == pytest.approx(uni[-2], rel=0.5)  # rtz to float32 dominates past F = 23
    for e in errs:
        assert e["normal"].outputs == e["uniform"].outputs == 256
        assert e["uniform"].norm <= e["uniform"].max  # every uniform output is positive: no cancellation


def test_every_row_sees_the_same_operands_and_the_seed_changes_them():
    a = gemm_errors(dpa_datapaths([4], [12]), k=256, mn=8, seed=3)[0]
    b = gemm_errors(dpa_datapaths([4], [12]), k=256, mn=8, seed=3)[0]
    c = gemm_errors(dpa_datapaths([4], [12]), k=256, mn=8, seed=4)[0]
    assert a == b and a != c


def test_reference_refuses_to_be_inexact():
    av = np.array([[57344.0, 2.0**-16]])
    with pytest.raises(ValueError, match=r"not exact for float8_e5m2 x float8_e5m2 at K = 2: the sums span"):
        exact_reference(av, av.T, E5M2, E5M2)
    x = np.array([[448.0, 2.0**-9, 3.0]])
    assert exact_reference(x, x.T, E4M3, E4M3)[0, 0] == 448.0**2 + 2.0**-18 + 9.0


def test_pareto_front():
    pts = [(1.0, 5.0), (2.0, 4.0), (2.0, 6.0), (3.0, 4.0), (4.0, 1.0), (0.5, 9.0)]
    assert pareto_front(pts) == [5, 0, 1, 4]
    assert pareto_front([]) == []


def test_parse_int_list():
    assert parse_int_list("10-12,4,8", "--x", 1, 40) == [10, 11, 12, 4, 8]
    assert parse_int_list("4,4", "--x", 1, 40) == [4]
    for text, words in (("30-10", "empty"), ("x", "not an integer"), ("0", "1...40"), ("", "not an integer")):
        with pytest.raises(ValueError, match="--x") as info:
            parse_int_list(text, "--x", 1, 40)
        assert words in str(info.value)


# ------------------------------------------------------------------------------------ the command
SMALL = ["cost", "--dpa", "--lanes", "4,32", "--frac-bits", "10,13,25", "--dpa-k", "256"]


def test_cli_json_schema_and_front(capsys):
    assert main([*SMALL, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [list(r) for r in rows] == [list(DPA_ROW_KEYS)] * 7
    assert [(r["lanes"], r["frac_bits"], r["preset"]) for r in rows] == [
        (4, 10, None), (4, 13, None), (4, 25, None), (32, 10, None), (32, 13, "hopper-fp8"), (32, 25, "blackwell-fp8"),
        (16, 13, "ada-fp8")]
    for r in rows:
        assert r["ge_synth"] is None and r["err_pct"] is None
        assert r["ge_model"] == pytest.approx(sum(r["blocks"].values()))
        assert r["ge_step_model"] == pytest.approx(r["ge_model"] * r["lanes"])
        assert all(math.isfinite(r[k]) and r[k] >= 0 for k in DPA_ROW_KEYS if k.startswith("err_") and k != "err_pct")
    front = [r for r in rows if r["pareto"]]
    assert front and all(not any(o["ge_model"] <= r["ge_model"] and o["err_normal_norm"] < r["err_normal_norm"]
                                 for o in rows) for r in front)


def test_cli_table_csv_and_plot(tmp_path, capsys):
    assert main(SMALL) == 0
    out = capsys.readouterr().out
    for word in ("hopper-fp8", "blackwell-fp8", "ada-fp8", "e8m13", "GE/MAC model", "uniform norm"):
        assert word in out
    assert main([*SMALL, "--csv"]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(table) == 7 and table[4]["preset"] == "hopper-fp8" and float(table[4]["ge_tree"]) > 0
    prefix = str(tmp_path / "img" / "cost")
    assert main([*SMALL, "--plot", prefix]) == 0
    for suffix in ("-dpa-pareto.png", "-dpa-area.png"):
        assert (tmp_path / "img" / f"cost{suffix}").stat().st_size > 10_000


def test_cli_e4m3_by_e5m2_rows(capsys):
    assert main(["cost", "--dpa", "--formats", "e4m3fn:float8_e5m2", "--lanes", "32", "--frac-bits", "13", "--dpa-k", "64",
                 "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["format"], r["preset"]) for r in rows] == [("float8_e4m3fn:float8_e5m2", "hopper-fp8"),
                                                          ("float8_e4m3fn:float8_e5m2", "ada-fp8"),
                                                          ("float8_e4m3fn:float8_e5m2", "blackwell-fp8")]


@pytest.mark.parametrize("argv, words", [
    (["--dpa", "--lanes", "0"], ["--lanes", "0", "1...256"]),
    (["--dpa", "--frac-bits", "30-10"], ["--frac-bits", "empty"]),
    (["--dpa", "--frac-bits", "41"], ["--frac-bits", "41", "1...40"]),
    (["--dpa", "--formats", "float16"], ["float16", "mantissa"]),
    (["--dpa", "--formats", "nope"], ["nope"]),
    (["--dpa", "--energy"], ["--energy", "fp8_dpa"]),
    (["--dpa", "--accs", "float16"], ["--accs", "float32"]),
    (["--dpa", "--fit"], ["--fit", "without --dpa"]),
    (["--lanes", "4"], ["--lanes", "--dpa"]),
    (["--frac-bits", "10", "--dpa-k", "64"], ["--frac-bits", "--dpa-k", "--dpa"]),
    (["--dpa", "--formats", "float8_e5m2", "--lanes", "4", "--frac-bits", "10"], ["not exact", "float8_e5m2", "K = 4096"]),
    (["--dpa", "--dpa-k", "0"], ["--dpa-k", "1...131072"]),
])
def test_bad_input_names_value_and_allowed(argv, words, capsys):
    assert main(["cost", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fp8kit: error:") and "Traceback" not in err
    for w in words:
        assert w in err, (w, err)


# -------------------------------------------------------------------------- against synthesis
def _within(dp, res) -> None:
    err = area(dp).total / res.ge - 1
    assert abs(err) <= 0.15, f"{dp.label}: model {area(dp).total:,.0f} GE, synthesis {res.ge:,.0f} GE ({err:+.1%})"


@pytest.mark.synth
@pytest.mark.parametrize("frac", [10, 30])
def test_model_within_15_percent_of_synthesis(frac, tmp_path):
    from fp8kit.cost.synth import GATE_GE, synth, yosys_path

    yosys_path()  # fails with the install command when Yosys is missing
    (dp,) = dpa_datapaths([4], [frac])
    res = synth(dp, cache=tmp_path / "cache")  # its own cache: this run synthesizes
    assert not res.cached and set(res.cells) <= set(GATE_GE)
    _within(dp, res)
    assert "&fraig,-x,-C,1000" in (next((tmp_path / "cache").glob("*/synth.ys"))).read_text()


@pytest.mark.synth
@pytest.mark.slow
def test_model_within_15_percent_of_synthesis_over_the_sweep():
    """Bounded (CI's slow run): the calibration points and the presets; ``FP8KIT_SLOW=full``: every row
    (about 30 minutes cold on two busy cores, then cached)."""
    from fp8kit.cost.synth import cache_dir, synth, yosys_path

    yosys_path()
    dps = calibration_dpa() + [dp for _, dp in preset_datapaths()]
    if slow_scale() == "full":
        dps += dpa_datapaths()
    assert len(calibration_dpa()) == len(CALIBRATION_POINTS)
    for dp in dict.fromkeys(dps):
        _within(dp, synth(dp, cache=cache_dir()))
