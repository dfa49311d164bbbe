"""Bring your own DUT (verif.byo): the TOML checks, the cases, and acme_fma8 run through the suite."""

from __future__ import annotations

import copy
import json
import re
import tomllib
from pathlib import Path

import pytest
from rich.console import Console

from fp8kit.cli import main
from fp8kit.rtlspec.params import fma_rtl_params
from verif.byo import VECTORS, load_dut
from verif.common import SimFailure, run_sim, sources_for
from verif.regress.runner import RegressOptions, regress

ROOT = Path(__file__).resolve().parents[1]
ACME = ROOT / "examples" / "byo_dut" / "acme_fma8.toml"


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


def _acme() -> dict:
    """acme_fma8.toml as a dict, with its source made absolute (the copies live in tmp_path)."""
    doc = tomllib.loads(ACME.read_text())
    doc["dut"]["sources"] = [str(ACME.parent / s) for s in doc["dut"]["sources"]]
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
    ("op", _set("dut.op", "mac"), r"dut\.op: unknown op 'mac'; allowed: fma"),
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


def test_cli_lists_cases_and_refuses_bad_descriptions(tmp_path, capsys):
    assert main(["regress", "--dut", str(ACME), "--list"]) == 0
    assert capsys.readouterr().out.split() == [c.id for c in load_dut(ACME).cases("quick")]
    doc = _acme()
    doc["dut"]["op"] = "mac"
    assert main(["regress", "--dut", str(_write(tmp_path, doc)), "--list"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fp8kit: error: ") and "dut.op: unknown op 'mac'; allowed: fma" in err


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
