"""fp8kit regress: the plan, selection and sharding, and end-to-end runs (passing and failing)."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from rich.console import Console

from fp8kit.cli import main
from refmodel.encodings import RoundingMode
from verif.regress.plan import parse_shard, plan, select
from verif.regress.runner import RegressOptions, regress

ROOT = Path(__file__).resolve().parents[1]


def test_quick_plan_spans_modules_formats_accumulators_modes():
    cases = plan("quick")
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)) and ids == sorted(ids)
    fma = [c for c in cases if c.op == "fma"]
    assert len(fma) == 3 * 3 * len(RoundingMode)
    assert {c.id.rsplit("/", 1)[1] for c in fma} == {m.label for m in RoundingMode}
    assert {dict(c.env)["FP8KIT_ACC"] for c in fma} == {"float32", "bfloat16", "float16"}
    assert {c.op for c in cases} == {"lfsr32", "int8_mac", "mul", "fma", "mac", "mx_dot", "dpa", "gemm_tile"}
    mx = [c for c in cases if c.op == "mx_dot"]
    assert {dict(c.params)["PIPE"] for c in mx} == {0, 1, 2} and len(mx) == 6


def test_full_plan_is_bigger_and_exhaustive_for_products():
    quick, full = plan("quick"), plan("full")
    assert len(full) > len(quick)
    mul = [c for c in full if c.op == "mul"]
    assert len(mul) >= 81 and all(dict(c.env)["FP8KIT_MUL_PAIRS"] == "0" for c in mul)
    fma = [c for c in full if c.op == "fma"]
    # >= 10^6 random vectors per operand pair x accumulator over the seven modes
    assert all(int(dict(c.env)["FP8KIT_FMA_VECTORS"]) * len(RoundingMode) >= 1_000_000 for c in fma)
    mac = [c for c in full if c.op == "mac"]
    assert all(2 * int(dict(c.env)["FP8KIT_MAC_STEPS"]) * len(RoundingMode) >= 1_000_000 for c in mac)


@pytest.mark.parametrize("level", ["quick", "full"])
def test_every_case_is_a_legal_rtl_parameter_set(level):
    """Every case's parameters pass its toplevel's elaboration checks (the full plan once held unsigned
    UE5M3 products whose A_SIGNED/B_SIGNED fp8_mul does not have)."""
    from fp8kit.rtlspec.legality import check_rtl_params
    from fp8kit.rtlspec.manifest import SIM_TOPS

    for case in plan(level):
        assert case.toplevel in SIM_TOPS
        check_rtl_params(case.toplevel, dict(case.params))


def test_shards_partition_the_cases():
    cases = plan("quick")
    shards = [select(cases, shard=(i, 4)) for i in range(1, 5)]
    assert sorted(c.id for s in shards for c in s) == [c.id for c in cases]
    assert all(shards)


def test_only_globs_and_seeds():
    cases = select(plan("quick"), only=["fp8_fma/*/float16/sr", "int8_mac/*"])
    assert [c.id for c in cases] == ["fp8_fma/e4m3fn-x-e4m3fn/float16/sr", "fp8_fma/e4m3fn-x-e5m2/float16/sr",
                                     "fp8_fma/e5m2-x-e5m2/float16/sr", "int8_mac/streams"]
    assert cases[0].seed(1) == cases[0].seed(1) != cases[0].seed(2)
    assert cases[0].seed(1) != cases[1].seed(1)


@pytest.mark.parametrize("text, match", [("3", "i/n"), ("0/2", "1 <= i <= n"), ("3/2", "1 <= i <= n"),
                                         ("a/b", "i/n")])
def test_bad_shard(text, match):
    with pytest.raises(ValueError, match=match):
        parse_shard(text)


def test_bad_arguments_exit_2(capsys, tmp_path):
    assert main(["regress", "--level", "nightly", "--out", str(tmp_path)]) == 2
    assert "fp8kit: error: argument --level: invalid choice: 'nightly' (choose from 'quick', 'full')" in \
        capsys.readouterr().err
    assert main(["regress", "--only", "nope/*", "--out", str(tmp_path)]) == 2
    assert "fp8kit: error: --only 'nope/*' matches no case" in capsys.readouterr().err
    assert main(["regress", "--shard", "5/4", "--out", str(tmp_path)]) == 2
    assert main(["regress", "--sim", "xsim", "--out", str(tmp_path)]) == 2
    assert "fp8kit: error: unknown simulator 'xsim'" in capsys.readouterr().err


def test_list(capsys):
    assert main(["regress", "--list", "--only", "mx_dot/*"]) == 0
    assert capsys.readouterr().out.split() == sorted(c.id for c in plan("quick") if c.op == "mx_dot")


def _run(tmp_path: Path, only: list[str], rtl_dir: str = "", sim: str = "icarus") -> tuple[int, str, Path]:
    out = tmp_path / "out"
    console = Console(record=True, width=200)
    rc = regress(RegressOptions(only=tuple(only), out=out, jobs="1", rtl_dir=rtl_dir, sim=sim), console)
    return rc, console.export_text(), out


@pytest.mark.rtl
def test_passing_run_writes_summary_junit_and_coverage(tmp_path):
    rc, text, out = _run(tmp_path, ["mx_dot/mxfp4_e2m1/*", "fp8_fma/e4m3fn-x-e4m3fn/float16/rtz"])
    assert rc == 0, text
    rows = json.loads((out / "summary.json").read_text())
    assert [r["id"] for r in rows] == ["fp8_fma/e4m3fn-x-e4m3fn/float16/rtz", "mx_dot/mxfp4_e2m1/pipe1"]
    assert all(r["outcome"] == "PASS" and r["mismatches"] == 0 and r["vectors"] >= 400 for r in rows)
    fma = rows[0]
    hit, defined = map(int, fma["coverage"].split("/"))
    assert hit == defined > 20
    assert "--only 'fp8_fma/e4m3fn-x-e4m3fn/float16/rtz'" in fma["repro"]
    suite = ET.parse(out / "junit.xml").getroot()
    assert sum(int(s.get("tests")) for s in suite.iter("testsuite")) == 2
    cov = json.loads((out / "coverage.json").read_text())
    assert set(cov) == {"fma", "mx_dot"} and not cov["fma"]["missed"]
    assert "2 passed, 0 failed" in text


@pytest.mark.rtl
def test_failing_run_reports_mismatch_repro_and_waves(tmp_path):
    rtl = tmp_path / "rtl"
    shutil.copytree(ROOT / "rtl", rtl)
    src = (rtl / "fp8_fma.v").read_text()
    good = "default: begin inc = rbit & (stk | keep[0]); inc2 = rbit2; end"
    assert good in src
    (rtl / "fp8_fma.v").write_text(src.replace(good, "default: begin inc = rbit & stk; inc2 = rbit2; end"))
    rc, text, out = _run(tmp_path, ["fp8_fma/e4m3fn-x-e4m3fn/float16/rne"], rtl_dir=str(rtl))
    assert rc == 1
    (row,) = json.loads((out / "summary.json").read_text())
    assert row["outcome"] == "FAIL" and row["mismatches"] > 0
    assert "expected" in row["message"] and "got" in row["message"]
    assert f"--rtl-dir {rtl}" in row["repro"]
    assert list(Path(row["waves"]).glob("*.fst")), "no waveform kept for the failing case"
    assert "reproduce: fp8kit regress" in text


def _break_fp8_mul(rtl: Path, fault: str) -> str:
    """Put ``fault`` into ``rtl/fp8_mul.v``; return the line the simulator must report."""
    path = rtl / "fp8_mul.v"
    text = path.read_text()
    if fault == "missing":
        path.unlink()
        return f"{path}: No such file or directory"
    if fault == "parameter":  # the design no longer has the A_EXP_W that refmodel sets
        path.write_text(text.replace("A_EXP_W", "A_EXPW"))
        return "fp8_mul: parameter(s) A_EXP_W not found in the design"
    lines = text.splitlines(keepends=True)
    k = next(i for i, ln in enumerate(lines) if ln.startswith("  localparam"))
    lines[k] = lines[k].rstrip("\n") + " oops;\n"
    path.write_text("".join(lines))
    return f"{path}:{k + 1}: syntax error" if fault == "syntax" else f"%Error: {path}:{k + 1}:"


@pytest.mark.parametrize("fault, sim", [
    pytest.param("syntax", "icarus", marks=pytest.mark.rtl), pytest.param("missing", "icarus", marks=pytest.mark.rtl),
    pytest.param("parameter", "icarus", marks=pytest.mark.rtl),
    pytest.param("verilator-syntax", "verilator", marks=pytest.mark.lint)])
def test_build_failure_shows_the_simulator_error(tmp_path, fault, sim):
    rtl = tmp_path / "rtl"
    shutil.copytree(ROOT / "rtl", rtl)
    expected = _break_fp8_mul(rtl, fault)
    rc, text, out = _run(tmp_path, ["fp8_mul/e4m3fn-x-e4m3fn"], rtl_dir=str(rtl), sim=sim)
    assert rc == 1
    (row,) = json.loads((out / "summary.json").read_text())
    assert (row["outcome"], row["vectors"]) == ("FAIL", 0)
    assert row["message"].startswith(f"fp8_mul: {sim} build failed: " if fault != "parameter" else expected)
    assert expected in row["message"]
    failure = next(ET.parse(out / "junit.xml").getroot().iter("failure"))
    assert expected in failure.get("message")
    assert "build log: " in failure.text and "reproduce: fp8kit regress" in failure.text
    assert f"FAIL fp8_mul/e4m3fn-x-e4m3fn: {row['message']}" in " ".join(text.split())
    if fault == "syntax":
        assert "syntax error" in row["message"] and "Command failed with return code: 2" in row["message"]


def test_interrupt_marks_the_junit_so_it_cannot_read_as_a_pass(tmp_path, monkeypatch, capsys):
    def interrupted_session(args, plugins):  # what pytest leaves after Ctrl-C before any case ended
        junit = Path(args[args.index("--junitxml") + 1])
        junit.write_text('<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="0" '
                         'failures="0" skipped="0" tests="0" time="1.0"/></testsuites>')
        return pytest.ExitCode.INTERRUPTED

    monkeypatch.setattr(pytest, "main", interrupted_session)
    out = tmp_path / "out"
    assert main(["regress", "--only", "int8_mac/*", "--jobs", "1", "--out", str(out)]) == 130
    err = capsys.readouterr().err
    assert f"fp8kit: interrupted; kept: {out / 'junit.xml'}, {out / 'summary.json'}" in err
    suite = ET.parse(out / "junit.xml").getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("errors")) == ("1", "1")
    error = suite.find("testcase/error")
    assert error.get("message") == "the regression was interrupted after 0 of 1 cases; the run is incomplete"
    assert json.loads((out / "summary.json").read_text()) == []


def test_out_that_is_a_file_is_refused_before_anything_runs(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("")
    assert main(["regress", "--only", "int8_mac/*", "--out", str(afile)]) == 2
    assert f"fp8kit: error: --out '{afile}' is a file, not a directory" in capsys.readouterr().err
