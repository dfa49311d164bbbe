"""Bring your own DUT (verif.byo): the TOML checks, the cases, and acme_fma8 (fma) and acme_dot16 (dpa: a
dot-product unit, rtl/fp8_dpa.v wrapped behind ports of its own) run through the suite."""

from __future__ import annotations

import copy
import json
import re
import tomllib
from pathlib import Path

import pytest
from rich.console import Console

from fp8kit.cli import main
from fp8kit.rtlspec.params import dpa_rtl_params, fma_rtl_params
from refmodel.encodings import RoundingMode
from verif.byo import DPA_VECTORS, VECTORS, load_dut
from verif.common import SimFailure, run_sim, sources_for
from verif.regress.runner import RegressOptions, regress

from planted import planted_rtl

ROOT = Path(__file__).resolve().parents[1]
ACME = ROOT / "examples" / "byo_dut" / "acme_fma8.toml"
DOT = ROOT / "examples" / "byo_dut" / "acme_dot16.toml"


def _value(v) -> str:
    return json.dumps(v)  # JSON strings, integers and lists of strings are TOML too


def _toml(doc: dict) -> str:
    """A TOML text for a two-level dict of tables (``dut.parameters`` as a sub-table)."""
    lines = []
    for name, table in doc.items():
        if not isinstance(table, dict):
            lines.append(f"{name} = {_value(table)}")
            continue
        lines.append(f"[{name}]")
        lines += [f"{k} = {_value(v)}" for k, v in table.items() if not isinstance(v, dict)]
        for k, v in table.items():
            if isinstance(v, dict):
                lines.append(f"[{name}.{k}]")
                lines += [f"{kk} = {_value(vv)}" for kk, vv in v.items()]
    return "\n".join(lines) + "\n"


def _acme(path: Path = ACME) -> dict:
    """acme_fma8.toml (or another example) as a dict, with its sources made absolute (the copies live in tmp_path)."""
    doc = tomllib.loads(path.read_text())
    doc["dut"]["sources"] = [str((path.parent / s).resolve()) for s in doc["dut"]["sources"]]
    return doc


def _write(tmp_path: Path, doc: dict, name: str = "dut.toml") -> Path:
    path = tmp_path / name
    path.write_text(_toml(doc))
    return path


def _set(key: str, value):
    def edit(doc):
        *tables, last = key.split(".")
        t = doc
        for name in tables:
            t = t.setdefault(name, {})
        t[last] = value
    return edit


def _del(key: str):
    def edit(doc):
        table, last = key.split(".")
        del doc[table][last]
    return edit


def _comb(doc):
    doc["dut"]["latency"] = 0


BAD = [
    ("op", _set("dut.op", "mac"), r"dut\.op: unknown op 'mac'; allowed: fma, dpa"),
    ("dpa-table-for-fma", _set("dpa.lanes", 4), r"\[dpa\]: the fused-dot unit's table is for op 'dpa' only"),
    ("lane-list-for-fma", _set("ports.a", ["x0", "x1"]), r"ports\.a: .*a list of lane ports is for op 'dpa'"),
    ("role", _set("ports.enable", "en"), r"ports\.enable: unknown key; allowed: clk, rst, rst_n, valid_in"),
    ("missing-port", _del("ports.acc"), (r"ports: missing role\(s\) acc: op 'fma' with latency 2 needs a, b, acc, "
                                        r"result, clk")),
    ("missing-clk", _del("ports.clk"), r"missing role\(s\) clk"),
    ("mode-name", _set("rounding.nearest", 4), (r"rounding\.nearest: unknown key; allowed: rne, rtz, rdn, rup, rmm, "
                                               r"sr, rto")),
    ("flag-name", _set("flags.INEXACT", 3), r"flags\.INEXACT: unknown key; allowed: NV, DZ, OF, UF, NX"),
    ("latency-neg", _set("dut.latency", -1), r"dut\.latency: must be an integer >= 0, got -1"),
    ("latency-str", _set("dut.latency", "2"), r"dut\.latency: must be an integer >= 0, got '2'"),
    ("latency-missing", _del("dut.latency"), r"dut\.latency: missing"),
    ("source", _set("dut.sources", ["nope.v"]), r"dut\.sources: 'nope\.v' does not exist"),
    ("sources-empty", _set("dut.sources", []), r"dut\.sources: must be a non-empty list"),
    ("format", _set("formats.a", "float9"), r"formats\.a: unknown format 'float9'.*; valid names: float8_e4m3fn"),
    ("acc-specials", _set("formats.acc", "float8_e4m3fn"), (r"formats\.acc: float8_e4m3fn cannot be an accumulator: "
                                                           r"accumulators need Inf and NaN")),
    ("operand-scale", _set("formats.b", "float8_e8m0fnu"), r"formats\.b: float8_e8m0fnu cannot be a multiplier"),
    ("toplevel", _set("dut.toplevel", "acme fma"), r"dut\.toplevel: must be a Verilog identifier"),
    ("param", _set("dut.parameters.WIDTH", "8"), r"dut\.parameters\.WIDTH: must be an integer"),
    ("table", _set("timing.latency", 2), (r"\[timing\]: unknown table; allowed: dut, formats, ports, rounding, "
                                         r"flags, tie")),
    ("sr-no-rand", _set("rounding.sr", 7), r"rounding\.sr: stochastic rounding needs the random bits: map a rand"),
    ("rm-code", _set("rounding.rmm", 1), r"rounding: two modes share a code"),
    ("rm-code-neg", _set("rounding.rne", -1), r"rounding\.rne: must be an integer >= 0, got -1"),
    ("no-rm", _del("ports.rm"), r"no rm port, but \[rounding\] lists 4 modes"),
    ("flag-bit", _set("flags.NX", 0), r"flags: two flags share a bit"),
    ("flags-no-port", _del("ports.flags"), r"flags: bit indices given, but \[ports\] maps no flags port"),
    ("rst-both", _set("ports.rst", "reset"), r"map rst \(active high\) or rst_n \(active low\), not both"),
    ("port-twice", _set("ports.sat", "x"), r"port 'x' is mapped to several roles \(a, sat\)"),
    ("port-name", _set("ports.a", "x[3:0]"), r"ports\.a: must be a Verilog identifier"),
    ("comb-clocked", _comb, r"role\(s\) clk, rst_n, valid_in, valid_out need a clocked DUT, but dut\.latency is 0"),
    ("tie-mapped", _set("tie.x", 0), r"tie: 'x' is already mapped in \[ports\]"),
]


@pytest.mark.parametrize("edit, match", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_description_names_key_and_allowed_values(tmp_path, edit, match):
    doc = copy.deepcopy(_acme())
    edit(doc)
    with pytest.raises(ValueError, match=match):
        load_dut(_write(tmp_path, doc))


def test_unreadable_description(tmp_path):
    with pytest.raises(ValueError, match="no such DUT description"):
        load_dut(tmp_path / "missing.toml")
    (tmp_path / "bad.toml").write_text("[dut\n")
    with pytest.raises(ValueError, match="not valid TOML"):
        load_dut(tmp_path / "bad.toml")


def test_acme_cases():
    spec = load_dut(ACME)
    cases = spec.cases("quick")
    assert [c.id for c in cases] == ["byo/acme_fma8/rne", "byo/acme_fma8/rtz", "byo/acme_fma8/rdn",
                                     "byo/acme_fma8/rup"]
    for c in cases:
        assert c.op == "fma" and c.toplevel == "acme_fma8" and c.tb_module == "verif.byo.tb_fma"
        assert c.sources == (str(ACME.parent / "acme_fma8.v"),) and c.params == () and c.expected_tests == 1
        assert dict(c.env)["FP8KIT_BYO_SPEC"] == str(ACME)
    assert [dict(c.env)["FP8KIT_MODES"] for c in cases] == ["0", "1", "2", "3"]
    assert {dict(c.env)["FP8KIT_FMA_VECTORS"] for c in cases} == {str(VECTORS["quick"])}
    assert all(int(dict(c.env)["FP8KIT_FMA_VECTORS"]) >= 100_000 for c in spec.cases("full"))
    assert spec.describe() == ("acme_fma8 (fma, float8_e4m3fn x float8_e4m3fn + float32, latency 2): modes rne rtz "
                               "rdn rup (not supported, not run: rmm sr rto); flags NV OF UF NX (not provided, "
                               "masked: DZ)")
    with pytest.raises(ValueError, match="unknown regression level 'nightly'"):
        spec.cases("nightly")


BAD_DPA = [
    ("no-dpa-table", lambda d: d.pop("dpa"), r"\[dpa\]: missing table"),
    ("no-lanes", _del("dpa.lanes"), r"dpa\.lanes: missing \(the products per step\), or name a preset \(hopper-fp8, "),
    ("no-frac-bits", _del("dpa.frac_bits"), r"dpa\.frac_bits: missing \(the fraction bits kept below"),
    ("dpa-key", _set("dpa.width", 8), r"dpa\.width: unknown key; allowed: preset, lanes, frac_bits, step_man_bits, "
                                     r"zero_exp, nan"),
    ("lanes-zero", _set("dpa.lanes", 0), r"dpa\.lanes: must be an integer >= 1, got 0"),
    ("lanes-huge", _set("dpa.lanes", 5000), r"\[dpa\]: lanes must be an integer in 1...4096, got 5000"),
    ("zero-exp-word", _set("dpa.zero_exp", "none"), r"dpa\.zero_exp: must be an integer, got 'none'"),
    ("step-too-wide", _set("dpa.step_man_bits", 24), r"\[dpa\]: step_man_bits .* 1...23 \(the float32 accumulator's\)"),
    ("nan-style", _set("dpa.nan", "quiet"), r"\[dpa\]: nan must be one of canonical, all-ones, got 'quiet'"),
    ("preset-and-keys", _set("dpa.preset", "ada-fp8"), r"dpa\.lanes: preset 'ada-fp8' sets it: give a preset or"),
    ("preset-unknown", lambda d: d.__setitem__("dpa", {"preset": "cdna3-fp8"}),
     r"dpa\.preset: unknown preset 'cdna3-fp8' for a fused-dot unit .*allowed: hopper-fp8, .*hopper-fp16"),
    ("preset-two-modes", lambda d: d.__setitem__("dpa", {"preset": "ada-fp8"}),
     r"rounding: preset ada-fp8 rounds rtz only: list rtz alone"),
    ("preset-format", [lambda d: d.__setitem__("dpa", {"preset": "ada-fp8"}), _set("formats.a", "float8_e4m3fnuz"),
                       _del("rounding.rne"), _del("ports.rm")],
     r"dpa\.preset: format 'float8_e4m3fnuz' is not an operand of preset ada-fp8"),
    ("sr", [_set("rounding.sr", 7)],
     r"rounding\.sr: a fused-dot step \(op 'dpa'\) has no stochastic rounding; allowed: rne, rtz, rdn, rup, rmm, rto"),
    ("sat-role", _set("ports.sat", "sat"),
     r"ports\.sat: unknown key; allowed: clk, rst, rst_n, valid_in, valid_out, a, b, scale_a, scale_b, acc, rm, "
     r"result, flags"),
    ("scale-unscaled", _set("ports.scale_a", "sx"), r"ports\.scale_a: the block scales need MX types in \[formats\]"),
    ("formats-mixed", _set("formats.a", "mxfp8_e4m3"), r"formats: a dpa unit scales both operands or neither"),
    ("formats-mxint8", [_set("formats.a", "mxint8"), _set("formats.b", "mxint8")],
     r"formats: a dpa unit takes E8M0-scaled floating-point MX types, not mxint8"),
    ("scaled-no-scales", [_set("formats.a", "mxfp8_e4m3"), _set("formats.b", "mxfp8_e5m2")],
     r"ports: missing role\(s\) scale_a, scale_b: op 'dpa' with latency 2 and block-scaled formats needs"),
    ("acc-specials", _set("formats.acc", "float8_e4m3fn"), r"formats\.acc: float8_e4m3fn cannot be an accumulator"),
    ("lane-list-length", _set("ports.a", ["x0", "x1", "x2"]), r"ports\.a: lists 3 ports; the unit has 16 lanes"),
    ("lane-list-twice", _set("ports.b", ["y0"] * 16), r"ports: port 'y0' is mapped to several lanes of b"),
    ("lane-list-name", _set("ports.b", ["y0"] * 15 + ["y[15]"]), r"ports\.b\[15\]: must be a Verilog identifier"),
]


def _apply(doc: dict, edits) -> None:
    for edit in edits if isinstance(edits, list) else [edits]:
        edit(doc)


@pytest.mark.parametrize("edits, match", [b[1:] for b in BAD_DPA], ids=[b[0] for b in BAD_DPA])
def test_bad_dpa_description_names_key_and_allowed_values(tmp_path, edits, match):
    doc = copy.deepcopy(_acme(DOT))
    _apply(doc, edits)
    with pytest.raises(ValueError, match=match):
        load_dut(_write(tmp_path, doc))


def test_dot_cases_and_description():
    spec = load_dut(DOT)
    cases = spec.cases("quick")
    assert [c.id for c in cases] == ["byo/acme_dot16/rne", "byo/acme_dot16/rtz"]
    for c in cases:
        assert c.op == "dpa" and c.toplevel == "acme_dot16" and c.tb_module == "verif.byo.tb_dpa"
        env = dict(c.env)
        assert env["FP8KIT_DPA_CASES"] == str(DPA_VECTORS["quick"]) and env["FP8KIT_BYO_SPEC"] == str(DOT)
        assert c.sources[0] == str(DOT.parent / "acme_dot16.v") and c.sources[1].endswith("rtl/fp8_dpa.v")
    assert {dict(c.env)["FP8KIT_DPA_CASES"] for c in spec.cases("full")} == {str(DPA_VECTORS["full"])}
    assert spec.describe() == ("acme_dot16 (dpa, 16 lanes of float8_e4m3fn x float8_e5m2 into float32, F = 13, step "
                               "e8m13, zero exponent -132, NaN all-ones, latency 2): modes rne rtz (not supported, not "
                               "run: rdn rup rmm rto); flags NV OF UF NX (not provided, masked: DZ)")
    assert spec.ports["a"] == "x" and spec.rounding == {RoundingMode.RTZ: 0, RoundingMode.RNE: 1}
    assert spec.dpa_unit(RoundingMode.RTZ).datapath.rounding is RoundingMode.RTZ
    with pytest.raises(ValueError, match="no dpa unit rounding rup"):
        spec.dpa_unit(RoundingMode.RUP)


def test_dot_wrapper_instances_are_the_described_unit():
    """acme_dot16.v hard-codes its two fp8_dpa instances; they are dpa_rtl_params of the description's unit
    in rtz and rne (PIPE = latency), in that order."""
    spec = load_dut(DOT)
    text = (DOT.parent / "acme_dot16.v").read_text()
    blocks = re.findall(r"fp8_dpa #\((.*?)\) u_(\w+)", text, re.S)
    assert [name for _, name in blocks] == ["rtz", "rne"]
    for body, name in blocks:
        got = {k: int(v) for k, v in re.findall(r"\.(\w+)\((-?\d+)\)", body)}
        unit = spec.dpa_unit(RoundingMode[name.upper()])
        assert got == dpa_rtl_params(unit.datapath, unit.fmt_a, unit.fmt_b, unit.acc_fmt, spec.latency)


def test_preset_description(tmp_path):
    doc = _acme(DOT)
    doc["dpa"] = {"preset": "ada-fp8"}
    del doc["rounding"]["rne"], doc["ports"]["rm"]
    spec = load_dut(_write(tmp_path, doc))
    assert spec.preset == "ada-fp8" and spec.modes == [RoundingMode.RTZ]
    assert spec.unit == load_dut(DOT).dpa_unit(RoundingMode.RTZ)
    assert spec.describe().startswith("acme_dot16 (dpa, preset ada-fp8: 16 lanes of float8_e4m3fn x float8_e5m2 "
                                      "into float32, F = 13, step e8m13, zero exponent -132, NaN all-ones, latency "
                                      "2): modes rtz; flags")


def test_cli_lists_cases_and_refuses_bad_descriptions(tmp_path, capsys):
    assert main(["regress", "--dut", str(ACME), "--list"]) == 0
    assert capsys.readouterr().out.split() == [c.id for c in load_dut(ACME).cases("quick")]
    doc = _acme()
    doc["dut"]["op"] = "mac"
    assert main(["regress", "--dut", str(_write(tmp_path, doc)), "--list"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fp8kit: error: ") and "dut.op: unknown op 'mac'; allowed: fma, dpa" in err
    assert main(["regress", "--dut", str(DOT), "--list"]) == 0
    assert capsys.readouterr().out.split() == ["byo/acme_dot16/rne", "byo/acme_dot16/rtz"]


def _sim(spec_path: Path, mode: str, build: Path):
    """Run one case of a description directly (no runner); return its report."""
    (case,) = [c for c in load_dut(spec_path).cases("quick") if c.id.endswith("/" + mode)]
    return run_sim(case.toplevel, case.tb_module, dict(case.params), sources=list(case.sources),
                   extra_env=dict(case.env), expected_tests=1, seed=7, build_dir=build).report


@pytest.mark.rtl
def test_regress_acme_passes(tmp_path):
    out = tmp_path / "out"
    console = Console(record=True, width=200)
    rc = regress(RegressOptions(dut=str(ACME), out=out, jobs="1"), console)
    text = console.export_text()
    assert rc == 0, text
    assert "acme_fma8 (fma, float8_e4m3fn x float8_e4m3fn + float32, latency 2)" in text
    rows = json.loads((out / "summary.json").read_text())
    assert [r["id"] for r in rows] == ["byo/acme_fma8/rdn", "byo/acme_fma8/rne", "byo/acme_fma8/rtz",
                                       "byo/acme_fma8/rup"]
    assert all(r["outcome"] == "PASS" and r["mismatches"] == 0 and r["vectors"] > 1000 for r in rows)
    cov = json.loads((out / "coverage.json").read_text())
    assert set(cov) == {"fma"} and not cov["fma"]["missed"] and cov["fma"]["defined"] > 100
    assert not [b for b in cov["fma"]["hits"] if b.endswith(",DZ")]
    report = json.loads((out / "sim" / "byo__acme_fma8__rne" / "report.json").read_text())
    assert report["notes"] == ["acme_fma8 provides no DZ flag: masked out of the comparison and of the flag coverage"]


MUTANTS = [
    ("rm-swapped", [_set("rounding.rtz", 1), _set("rounding.rne", 0)], "rne", r"rm=rne \(round_mode=0\)"),
    ("flags-swapped", [_set("flags.NV", 3), _set("flags.NX", 0)], "rtz",
     r"expected 0x[0-9A-F]+ (NX, got 0x[0-9A-F]+ NV|NV, got 0x[0-9A-F]+ NX)"),
    ("latency-3", [_set("dut.latency", 3)], "rne", r"out_valid high, but no operation was presented 3 cycles before"),
]


@pytest.mark.rtl
@pytest.mark.parametrize("edits, mode, match", [m[1:] for m in MUTANTS], ids=[m[0] for m in MUTANTS])
def test_wrong_description_fails(tmp_path, edits, mode, match):
    """A description that does not fit acme_fma8 makes the bench fail: the adapter is not vacuous."""
    doc = _acme()
    for edit in edits:
        edit(doc)
    with pytest.raises(SimFailure) as info:
        _sim(_write(tmp_path, doc), mode, tmp_path / "sim")
    report = info.value.result.report
    assert report["mismatches"] > 0
    assert any(re.search(match, line) for line in report["examples"]), report["examples"]


@pytest.mark.rtl
@pytest.mark.parametrize("key, value, match", [
    ("formats.acc", "bfloat16", (r"acme_fma8: port widths do not match .*acc = 'z' is 32 bits, expected 16; "
                                r"result = 'result' is 32 bits, expected 16")),
    ("ports.result", "res", r"acme_fma8 has no port 'res' \(\[ports\] result of .*\)"),
], ids=["width", "no-port"])
def test_port_map_checked_at_time_0(tmp_path, capfd, key, value, match):
    doc = _acme()
    _set(key, value)(doc)
    with pytest.raises(SimFailure):
        _sim(_write(tmp_path, doc), "rne", tmp_path / "sim")
    assert re.search(match, capfd.readouterr().out)


@pytest.mark.rtl
def test_clocked_without_valid_ports(tmp_path):
    """No valid ports (in_valid tied high): outputs are sampled exactly latency cycles after each input."""
    doc = _acme()
    del doc["ports"]["valid_in"], doc["ports"]["valid_out"]
    doc["tie"] = {"in_valid": 1}
    report = _sim(_write(tmp_path, doc), "rdn", tmp_path / "sim")
    assert report["mismatches"] == 0 and report["vectors"] > 1000


@pytest.mark.rtl
@pytest.mark.parametrize("mode", ["sr", "rmm"])
def test_combinational_dut_with_sat_and_rand(tmp_path, mode):
    """fp8kit's own rtl/fp8_fma.v (and its leaves, from the manifest) described as a foreign DUT: latency 0,
    sat and rand ports, sr mode."""
    doc = {
        "dut": {"toplevel": "fp8_fma", "sources": [str(p) for p in sources_for("fp8_fma")], "op": "fma", "latency": 0,
                "parameters": fma_rtl_params("float8_e5m2", "float8_e5m2", "bfloat16", 12)},
        "formats": {"a": "float8_e5m2", "b": "float8_e5m2", "acc": "bfloat16"},
        "ports": {"a": "a_i", "b": "b_i", "acc": "acc_i", "rm": "rm_i", "sat": "sat_i", "rand": "rand_i",
                  "result": "res_o", "flags": "flags_o"},
        "rounding": {"rne": 0, "rmm": 4, "sr": 5},
        "flags": {"NX": 0, "UF": 1, "OF": 2, "DZ": 3, "NV": 4},
    }
    report = _sim(_write(tmp_path, doc), mode, tmp_path / "sim")
    assert report["mismatches"] == 0 and report["vectors"] > 1000 and report["notes"] == []
    bins = report["bins"]
    assert all(report["hits"].get(b) for b in bins)
    assert ("sr:away" in bins) == (mode == "sr")


def test_byo_bench_imports_no_other_bench():
    """The BYO bench shares the fma stimulus through fp8kit.vectors.fma, not another bench's module."""
    import ast

    tree = ast.parse((ROOT / "verif" / "byo" / "tb_fma.py").read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    benches = {m for m in imported if m and m.startswith("verif.") and ".tb_" in m}
    assert benches == set() and "fp8kit.vectors.fma" in imported


@pytest.mark.rtl
def test_regress_dot_passes(tmp_path):
    """acme_dot16 (rtl/fp8_dpa.v wrapped: its own ports, active-high reset, mode codes and status bits) passes
    the quick level in both its modes and closes the dpa coverage."""
    out = tmp_path / "out"
    console = Console(record=True, width=200)
    rc = regress(RegressOptions(dut=str(DOT), out=out, jobs="1"), console)
    text = console.export_text()
    assert rc == 0, text
    assert "acme_dot16 (dpa, 16 lanes of float8_e4m3fn x float8_e5m2 into float32" in text
    rows = json.loads((out / "summary.json").read_text())
    assert [r["id"] for r in rows] == ["byo/acme_dot16/rne", "byo/acme_dot16/rtz"]
    assert all(r["outcome"] == "PASS" and r["mismatches"] == 0 and r["vectors"] > DPA_VECTORS["quick"] for r in rows)
    cov = json.loads((out / "coverage.json").read_text())
    assert set(cov) == {"dpa"} and not cov["dpa"]["missed"] and cov["dpa"]["defined"] >= 12
    report = json.loads((out / "sim" / "byo__acme_dot16__rtz" / "report.json").read_text())
    assert report["notes"] == ["acme_dot16 provides no DZ flag: masked out of the comparison and of the flag coverage"]


def _planted_rtl(tmp_path: Path):
    """A copy of rtl/ whose fp8_dpa keeps FRAC_W - 1 fraction bits below the largest exponent; the description
    is edited to take the unit from it."""
    rtl = planted_rtl(tmp_path)

    def edit(doc):
        doc["dut"]["sources"] = [s if s.endswith("acme_dot16.v") else str(rtl / Path(s).name)
                                 for s in doc["dut"]["sources"]]
    return edit


DPA_MUTANTS = [
    ("rm-swapped", lambda tmp: [_set("rounding.rtz", 1), _set("rounding.rne", 0)], "rne",
     r"rm=rne \(rnd=0\): expected 0x[0-9A-F]+ .*, got 0x[0-9A-F]+"),
    ("flags-swapped", lambda tmp: [_set("flags.NV", 0), _set("flags.NX", 3)], "rtz",
     r"expected 0x[0-9A-F]+ (NX, got 0x[0-9A-F]+ NV|NV, got 0x[0-9A-F]+ NX)"),
    ("latency-3", lambda tmp: [_set("dut.latency", 3)], "rtz",
     r"out_valid high, but no operation was presented 3 cycles before"),
    ("truncation-off-by-one", lambda tmp: [_planted_rtl(tmp)], "rtz", r"^x=\[[0-9A-F ]+\] y=\[[0-9A-F ]+\] acc_in=0x"),
]


@pytest.mark.rtl
@pytest.mark.parametrize("make, mode, match", [m[1:] for m in DPA_MUTANTS], ids=[m[0] for m in DPA_MUTANTS])
def test_wrong_dot_description_or_rtl_fails(tmp_path, make, mode, match):
    """A description that does not fit acme_dot16, or a planted datapath bug under it, makes the bench fail."""
    doc = _acme(DOT)
    _apply(doc, make(tmp_path))
    with pytest.raises(SimFailure) as info:
        _sim(_write(tmp_path, doc), mode, tmp_path / "sim")
    report = info.value.result.report
    assert report["mismatches"] > 0
    assert any(re.search(match, line) for line in report["examples"]), report["examples"]


def _fp8_dpa_doc(unit, *, ports: dict, parameters: dict, sources: list[str], toplevel: str = "fp8_dpa") -> dict:
    dp = unit.datapath
    return {
        "dut": {"toplevel": toplevel, "sources": sources, "op": "dpa", "latency": 0, "parameters": parameters},
        "formats": {"a": unit.fmt_a, "b": unit.fmt_b, "acc": unit.acc_fmt},
        "dpa": {"lanes": dp.lanes, "frac_bits": dp.frac_bits, "step_man_bits": dp.step_fmt.man_bits, "nan": dp.nan,
                **({} if dp.zero_exp is None else {"zero_exp": dp.zero_exp})},
        "ports": ports,
        "rounding": {dp.rounding.label: int(dp.rounding)},
        "flags": {"NX": 0, "UF": 1, "OF": 2, "DZ": 3, "NV": 4},
    }


@pytest.mark.rtl
def test_block_scaled_combinational_dut(tmp_path):
    """rtl/fp8_dpa.v itself (blackwell-mxfp8's step, PIPE 0) described as a foreign DUT by preset: latency 0,
    E8M0 scale ports, no rm port, the unused clock, reset and valid tied."""
    from verif.regress.plan import DPA_UNITS

    unit, _ = DPA_UNITS["blackwell-mxfp8/mxfp8_e4m3-x-mxfp8_e5m2"]
    doc = _fp8_dpa_doc(unit, sources=[str(p) for p in sources_for("fp8_dpa")],
                       parameters=dpa_rtl_params(unit.datapath, unit.fmt_a, unit.fmt_b, unit.acc_fmt, 0),
                       ports={"a": "a_i", "b": "b_i", "scale_a": "scale_a_i", "scale_b": "scale_b_i", "acc": "c_i",
                              "result": "res_o", "flags": "flags_o"})
    doc["dpa"] = {"preset": "blackwell-mxfp8"}
    doc["tie"] = {"clk_i": 0, "rst_ni": 1, "valid_i": 1}
    report = _sim(_write(tmp_path, doc), "rtz", tmp_path / "sim")
    assert report["mismatches"] == 0 and report["vectors"] > DPA_VECTORS["quick"] and report["notes"] == []
    assert {"scale:a=0xFF", "scale:b=0x00"} <= set(report["bins"])
    assert all(report["hits"].get(b) for b in report["bins"])


_LANES4 = """`default_nettype none
module lanes4 (
  input  wire [3:0]  p0, p1, p2, p3, q0, q1, q2, q3,
  input  wire [15:0] cin,
  output wire [15:0] out,
  output wire [4:0]  st
);
  fp8_dpa #({params}) u_fp8_dpa (
    .clk_i(1'b0), .rst_ni(1'b1), .valid_i(1'b1), .a_i({{p3, p2, p1, p0}}), .b_i({{q3, q2, q1, q0}}),
    .scale_a_i(8'd127), .scale_b_i(8'd127), .c_i(cin), .res_o(out), .flags_o(st), .valid_o()
  );
endmodule
"""


@pytest.mark.rtl
@pytest.mark.parametrize("reverse", [False, True], ids=["lane-order", "a-reversed"])
def test_lane_ports(tmp_path, reverse):
    """A unit with one port per lane (a 4-lane FP4 step into float16 behind ports p0..p3, q0..q3): [ports] lists
    them lane 0 first. The step is symmetric in its lanes, so only the pairing matters: a's list reversed
    against b's pairs the wrong elements and fails."""
    from verif.regress.plan import DPA_UNITS

    unit, _ = DPA_UNITS["l4-f5-rne/e2m1fn/float16"]
    params = dpa_rtl_params(unit.datapath, unit.fmt_a, unit.fmt_b, unit.acc_fmt, 0)
    src = tmp_path / "lanes4.v"
    src.write_text(_LANES4.format(params=", ".join(f".{k}({v})" for k, v in params.items())))
    order = [3, 2, 1, 0] if reverse else [0, 1, 2, 3]
    doc = _fp8_dpa_doc(unit, toplevel="lanes4", sources=[str(src), *(str(p) for p in sources_for("fp8_dpa"))],
                       parameters={}, ports={"a": [f"p{k}" for k in order], "b": [f"q{k}" for k in range(4)],
                                             "acc": "cin", "result": "out", "flags": "st"})
    path = _write(tmp_path, doc)
    assert load_dut(path).ports["a"] == tuple(f"p{k}" for k in order)
    if not reverse:
        report = _sim(path, "rne", tmp_path / "sim")
        assert report["mismatches"] == 0 and report["vectors"] > DPA_VECTORS["quick"]
        return
    with pytest.raises(SimFailure) as info:
        _sim(path, "rne", tmp_path / "sim")
    assert info.value.result.report["mismatches"] > 10
    assert any(line.startswith("a=[") for line in info.value.result.report["examples"])


@pytest.mark.parametrize("example", [ACME, DOT], ids=["acme_fma8", "acme_dot16"])
def test_docs_show_the_example_descriptions(example):
    """docs/byo-dut.md shows each example's TOML as it is in examples/byo_dut/ (less its leading comment)."""
    blocks = re.findall(r"```toml\n(.*?)```", (ROOT / "docs" / "byo-dut.md").read_text(), re.S)
    assert re.sub(r"\A(#[^\n]*\n)+", "", example.read_text()) in blocks
