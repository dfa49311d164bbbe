"""fp8kit mutate: the mutant generator (determinism, masking, every operator), the named mutants,
compiling mutants of the real RTL, the kill order of the cases, errors, and one end-to-end kill."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fp8kit.cli import main
from verif import mutate as M
from verif.common.manifest import MANIFEST, SIM_TOPS
from verif.mutate.runner import _copy_rtl, _run_one
from verif.regress.plan import DPA_UNITS

SNIPPET = """\
// SPDX-License-Identifier: Apache-2.0
// a + b & c | d ^ e == f != g < h <= i > j >= k << l >> m ~n !o 4'd3 7
`include "fp8kit_defs.vh"
module snip #(
  parameter W = 4
) (
  input  wire [W-1:0] a_i,
  output reg  [W-1:0] y_o
);
`ifndef SYNTHESIS
  initial if (W < 1 + 2) $display("W + 1 = %0d", W + 1);
`endif
  /* a - b */
  wire [W-1:0] t = {{(W-1){1'b0}}, a_i[0]};
  always @* begin
    y_o = t + a_i;
    y_o = t & a_i;
    y_o = t ^ a_i;
    y_o = (t == a_i) && (t < a_i);
    y_o = (t >= a_i) || (t <= a_i);
    y_o = t << 2'd1;
    y_o = ~t;
    y_o = ~|t;
    y_o = &t;
    y_o = 4'b1010;
    y_o = a_i[W-1:1];
  end
endmodule
"""


def _mutated_lines(mutants, text):
    return {(mu.operator, *mu.changed_lines(text)) for mu in mutants}


def test_every_operator_on_a_snippet():
    got = _mutated_lines(M.operator_mutants("snip", SNIPPET), SNIPPET)
    want = {
        ("arith", "y_o = t + a_i;", "y_o = t - a_i;"),
        ("logic", "y_o = t & a_i;", "y_o = t | a_i;"),
        ("logic", "y_o = t ^ a_i;", "y_o = t | a_i;"),
        ("cmp", "y_o = (t == a_i) && (t < a_i);", "y_o = (t != a_i) && (t < a_i);"),
        ("logic", "y_o = (t == a_i) && (t < a_i);", "y_o = (t == a_i) || (t < a_i);"),
        ("cmp", "y_o = (t == a_i) && (t < a_i);", "y_o = (t == a_i) && (t <= a_i);"),
        ("cmp", "y_o = (t >= a_i) || (t <= a_i);", "y_o = (t > a_i) || (t <= a_i);"),
        ("logic", "y_o = (t >= a_i) || (t <= a_i);", "y_o = (t >= a_i) && (t <= a_i);"),
        ("cmp", "y_o = (t >= a_i) || (t <= a_i);", "y_o = (t >= a_i) || (t < a_i);"),
        ("shift", "y_o = t << 2'd1;", "y_o = t >> 2'd1;"),
        ("const", "y_o = t << 2'd1;", "y_o = t << 2'd2;"),
        ("const", "y_o = t << 2'd1;", "y_o = t << 2'd0;"),
        ("not", "y_o = ~t;", "y_o = t;"),
        ("not", "y_o = ~|t;", "y_o = |t;"),
        ("logic", "y_o = &t;", "y_o = |t;"),
        ("const", "y_o = 4'b1010;", "y_o = 4'b1011;"),
        ("const", "y_o = 4'b1010;", "y_o = 4'b1001;"),
        # a part select's MSB is only lowered; its LSB moves both ways
        ("const", "y_o = a_i[W-1:1];", "y_o = a_i[W-2:1];"),
        ("const", "y_o = a_i[W-1:1];", "y_o = a_i[W-1:2];"),
        ("const", "y_o = a_i[W-1:1];", "y_o = a_i[W-1:0];"),
        # the wire's value: the bit select and the literal, never the range or the replication count
        ("const", "wire [W-1:0] t = {{(W-1){1'b0}}, a_i[0]};", "wire [W-1:0] t = {{(W-1){1'b1}}, a_i[0]};"),
        ("const", "wire [W-1:0] t = {{(W-1){1'b0}}, a_i[0]};", "wire [W-1:0] t = {{(W-1){1'b0}}, a_i[1]};"),
    }
    assert got == want


def test_literals_keep_their_width_and_range():
    text = "module m (output wire [7:0] y_o);\n  assign y_o = 8'hff + 8'h00 + 3'b1_01 + 0;\nendmodule\n"
    got = sorted(mu.changed_lines(text)[1] for mu in M.operator_mutants("m", text) if mu.operator == "const")
    assert got == ["assign y_o = 8'hfe + 8'h00 + 3'b1_01 + 0;", "assign y_o = 8'hff + 8'h00 + 3'b100 + 0;",
                   "assign y_o = 8'hff + 8'h00 + 3'b110 + 0;", "assign y_o = 8'hff + 8'h00 + 3'b1_01 + 1;",
                   "assign y_o = 8'hff + 8'h01 + 3'b1_01 + 0;"]


def test_nonblocking_assignment_and_part_selects_are_not_operators():
    text = ("module m (input wire clk_i, input wire [7:0] a_i, output reg [3:0] q_o);\n"
            "  always @(posedge clk_i) q_o <= a_i[4 +: 4];\nendmodule\n")
    assert [mu.description for mu in M.operator_mutants("m", text)] == ["4 -> 5", "4 -> 3"]


def _comment_spans(text):
    return [m.span() for m in re.finditer(r"//[^\n]*|/\*.*?\*/", text, re.DOTALL)]


def _comments(text):
    return [text[s:e] for s, e in _comment_spans(text)]


@pytest.mark.parametrize("module", M.MODULES)
def test_mutants_never_touch_comments_directives_or_checks(module):
    text = (M.RTL / f"{module}.v").read_text()
    protected = _comment_spans(text)
    protected += [m.span() for m in re.finditer(r"(?m)^[ \t]*`.*$", text)]
    protected += [m.span() for m in re.finditer(r"(?s)`ifndef SYNTHESIS.*?`endif", text)]
    for mu in M.operator_mutants(module, text):
        for start, end, _ in mu.edits:
            assert not any(s < end and start < e for s, e in protected), (mu.id, text[start:end])
        assert _comments(mu.apply(text)) == _comments(text), mu.id


def test_snippet_protected_regions_have_no_mutants():
    lines = {mu.line for mu in M.operator_mutants("snip", SNIPPET)}
    assert min(lines) == 14  # nothing in comments, the include, the header, the SYNTHESIS check, /* */


def test_generation_is_deterministic_and_seeded():
    a = M.generate(max_per_module=10, seed=3)
    b = M.generate(max_per_module=10, seed=3)
    assert a == b
    c = M.generate(["fp8_fma"], max_per_module=10, seed=4)
    assert [m.id for m in c] != [m.id for m in a if m.module == "fp8_fma"]
    every = M.operator_mutants("fp8_fma", (M.RTL / "fp8_fma.v").read_text())
    ids = [m.id for m in a if m.module == "fp8_fma" and m.operator != "named"]
    assert len(ids) == 10 and ids == [m.id for m in every if m.id in set(ids)]  # a subset, in file order


def test_sample_sizes():
    named = M.generate(["lfsr32"], max_per_module=0)
    assert named and all(m.operator == "named" for m in named)
    every = M.generate(["lfsr32"], max_per_module=None)
    text = (M.RTL / "lfsr32.v").read_text()
    # every generic mutant and every named one (LEAP comes from the header: no generic mutant is leap_31)
    assert len(every) == len(M.operator_mutants("lfsr32", text)) + len(named)
    assert len({m.apply(text) for m in every}) == len(every)


def test_named_mutants():
    text = (M.RTL / "fp8_fma.v").read_text()
    by_name = {m.id: m for m in M.targeted_mutants("fp8_fma", text)}
    assert by_name["fp8_fma/tie_away"].changed_lines(text)[1] == "default: begin inc = rbit; inc2 = rbit2; end"
    stuck = by_name["fp8_fma/flags_o_nv_sa1"].apply(text)
    assert "output wire [4:0] flags_o" in stuck
    assert "assign flags_o = flags_o_mutant | 5'b10000;" in stuck
    assert "flags_o_mutant[`FP8KIT_FLAG_NV_BIT] = nv;" in stuck
    assert "fp8_fma/flags_o_dz_sa0" not in by_name and "fp8_fma/flags_o_dz_sa1" in by_name
    with pytest.raises(ValueError, match="tie_away.*occurs 0 times"):
        M.targeted_mutants("fp8_fma", text.replace("inc = rbit & (stk | keep[0])", "inc = rbit & (keep[0] | stk)"))


def test_fp8_dpa_named_mutants():
    """The truncation off-by-one is the one tests/rtl/test_fp8_dpa_sim.py plants; flags stuck at 0 and 1 (DZ
    stuck at 0 left out) reach both output branches (PIPE 2's register and the combinational one)."""
    text = (M.RTL / "fp8_dpa.v").read_text()
    by_name = {m.id: m for m in M.targeted_mutants("fp8_dpa", text)}
    assert by_name["fp8_dpa/trunc_off_by_one"].changed_lines(text)[1] == (
        "wire [TW-1:0]  wide = {1'b0, p_sig[k*PW +: PW], {(FRAC_W-1){1'b0}}};")
    stuck = by_name["fp8_dpa/flags_o_uf_sa1"].apply(text)
    assert "assign flags_o = flags_o_mutant | 5'b00010;" in stuck
    assert "flags_o_mutant <= flags_d;" in stuck and "flags_o_mutant = flags_d;" in stuck
    assert "fp8_dpa/flags_o_dz_sa0" not in by_name and len(by_name) == 24 + 9


def test_lint_sink_mutants_are_equivalent():
    """A mutant of an ``unused_*`` wire's value is equivalent when the name occurs nowhere else (no loads); not
    when something reads it, and not for a wire of another name."""
    text = ("module m (input wire [1:0] a_i, output wire y_o);\n  wire unused_a = a_i[0] ^ a_i[1];\n"
            "  wire unused_b = a_i[0];\n  assign y_o = unused_b; // unused_a\n  wire keep = a_i[1];\nendmodule\n")
    reasons = {mu.changed_lines(text): M.equivalent_reason("m", text, *mu.changed_lines(text))
               for mu in M.operator_mutants("m", text)}
    assert reasons[("wire unused_a = a_i[0] ^ a_i[1];", "wire unused_a = a_i[0] | a_i[1];")].startswith(
        "unused_a is a lint sink")
    assert reasons[("wire unused_b = a_i[0];", "wire unused_b = a_i[1];")] is None  # y_o reads it
    assert reasons[("wire keep = a_i[1];", "wire keep = a_i[0];")] is None
    dpa = (M.RTL / "fp8_dpa.v").read_text()
    assert M.equivalent_reason("fp8_dpa", dpa, "wire           unused_kept_top = ^kept[TW-1:FRAC_W+2];",
                               "wire           unused_kept_top = ^kept[TW-2:FRAC_W+2];")


def test_errors():
    with pytest.raises(ValueError, match="unknown module 'fp8_div'; known: lfsr32"):
        M.generate(["fp8_div"])
    with pytest.raises(ValueError, match="--max-per-module must be >= 0, got -2"):
        M.generate(max_per_module=-2)


def test_cli_list_and_bad_arguments(capsys):
    assert main(["mutate", "--module", "int8_mac", "--max-per-module", "2", "--list"]) == 0
    out = capsys.readouterr().out
    assert "int8_mac/ovf_sa1" in out and "fp8_fma" not in out
    assert main(["mutate", "--module", "nope", "--list"]) == 2
    assert "fp8kit: error: unknown module 'nope'" in capsys.readouterr().err
    assert main(["mutate", "--jobs", "-1"]) == 2
    assert "fp8kit: error: argument --jobs/-j: '-1' is out of range; allowed: 0...1024" in capsys.readouterr().err
    assert main(["mutate", "--timeout", "0"]) == 2
    assert "fp8kit: error: argument --timeout: '0' is out of range; allowed: a finite number > 0" in capsys.readouterr().err


def test_affected_cases_in_kill_order():
    fma = M.affected_cases("fp8_fma")
    ids = [c.id for c in fma]
    assert len(ids) == 63 + 21 and ids[:63] == sorted(ids[:63], key=ids.index)
    assert all(i.startswith("fp8_fma/") for i in ids[:63]) and all(i.startswith("fp8_mac/") for i in ids[63:])
    assert len({i.rsplit("/", 1)[1] for i in ids[:7]}) == 7  # the first seven cover every rounding mode
    assert [c.toplevel for c in M.affected_cases("lfsr32")][:2] == ["lfsr32", "lfsr32"]
    assert {c.toplevel for c in M.affected_cases("lfsr32")} == {"lfsr32", "fp8_mac"}
    assert {c.toplevel for c in M.affected_cases("mx_dot")} == {"mx_dot"}
    dpa = M.affected_cases("fp8_dpa")  # its own bench's units, every one
    assert {c.toplevel for c in dpa} == {"fp8_dpa"} and len(dpa) == len(DPA_UNITS)
    assert "fp8_dpa" in {c.toplevel for c in M.affected_cases("fp8_unpack")} | {c.toplevel for c in M.affected_cases("lzc")}


def test_own_cases_only_tops_run_only_for_their_own_file():
    """A top of OWN_CASES_ONLY (gemm_tile: whole GEMMs) runs for its own mutants, never for those of the modules
    below it; every other top that reaches a file runs for it."""
    for top in M.OWN_CASES_ONLY:
        assert top in SIM_TOPS or top not in M.MODULES
    for module in M.MODULES:
        tops = {c.toplevel for c in M.affected_cases(module)}
        reach = {t for t in SIM_TOPS if f"{module}.v" in MANIFEST[t]}
        assert tops == {t for t in reach if t == module or t not in M.OWN_CASES_ONLY}, module


@pytest.mark.rtl
def test_named_mutants_compile(tmp_path):
    for module in M.MODULES:
        text = (M.RTL / f"{module}.v").read_text()
        cases = M.affected_cases(module)
        for mu in M.targeted_mutants(module, text):
            rtl = _copy_rtl(tmp_path / mu.id.replace("/", "_"))
            (rtl / f"{module}.v").write_text(mu.apply(text))
            assert M.compile_check(rtl, cases, 60) == "", mu.id


@pytest.mark.rtl
def test_stillborn_mutant_is_reported(tmp_path):
    rtl = _copy_rtl(tmp_path / "rtl")
    path = rtl / "int8_mac.v"
    path.write_text(path.read_text().replace("assign ovf_o   = ovf_q;", "assign ovf_o   = ovf_q +;"))
    assert M.compile_check(rtl, M.affected_cases("int8_mac"), 60).startswith("int8_mac {}: ")
    # compiles with the default parameters, not with every parameter set of the regression
    text = (M.RTL / "fp8_unpack.v").read_text()
    path = rtl / "fp8_unpack.v"
    assert text.count("man = code_i[MAN_W-1:0]") == 1
    path.write_text(text.replace("man = code_i[MAN_W-1:0]", "man = code_i[MAN_W-2:0]"))
    assert M.compile_check(rtl, [], 60) == ""
    reason = M.compile_check(rtl, M.affected_cases("fp8_mul"), 60)
    assert reason.startswith("fp8_mul {") and "MAN_W': 1" in reason


@pytest.mark.rtl
def test_tie_rule_mutant_is_killed_and_the_rtl_survives(tmp_path):
    text = (M.RTL / "fp8_fma.v").read_text()
    mutant = next(m for m in M.targeted_mutants("fp8_fma", text) if m.id == "fp8_fma/tie_away")
    cases = [c for c in M.affected_cases("fp8_fma") if c.id == "fp8_fma/e4m3fn-x-e4m3fn/bfloat16/rne"]
    assert len(cases) == 1
    killed = _run_one(mutant, cases, tmp_path, tmp_path, 120)
    assert (killed.status, killed.case) == ("killed", cases[0].id)
    assert "expected" in killed.message
    clean = _run_one(None, cases, tmp_path, tmp_path, 120)
    assert clean.status == "survived" and clean.cases_run == 1
    assert not [p for p in Path(tmp_path).iterdir() if p.is_dir()]  # the scratch copies are gone


@pytest.mark.rtl
def test_truncation_off_by_one_is_killed_by_the_fp8_dpa_bench(tmp_path):
    """The planted fault of issue 16 as a mutant: the first fp8_dpa case in kill order catches it."""
    text = (M.RTL / "fp8_dpa.v").read_text()
    mutant = next(m for m in M.targeted_mutants("fp8_dpa", text) if m.id == "fp8_dpa/trunc_off_by_one")
    cases = M.affected_cases("fp8_dpa")[:1]
    killed = _run_one(mutant, cases, tmp_path, tmp_path, 120)
    assert (killed.status, killed.case, killed.cases_run) == ("killed", cases[0].id, 1)
    assert "expected" in killed.message


@pytest.mark.rtl
def test_a_failure_that_is_no_mismatch_kills_only_if_the_unmutated_rtl_passes(tmp_path):
    """A case that fails without a mismatch (here its build) is re-run on the pristine copy: a kill when that
    passes, an unscored error when it fails too (the bench or the checkout broke under the run)."""
    from verif.mutate.runner import run_cases

    cases = M.affected_cases("int8_mac")[:1]
    good = _copy_rtl(tmp_path / "good")
    broken = _copy_rtl(tmp_path / "broken")
    path = broken / "int8_mac.v"
    path.write_text(path.read_text().replace("assign ovf_o   = ovf_q;", "assign ovf_o   = ovf_q +;"))
    killed = run_cases(broken, cases, tmp_path / "w1", 120, tmp_path / "w1.log", pristine=good)
    assert (killed.status, killed.case) == ("killed", cases[0].id) and "Error" in killed.message
    error = run_cases(broken, cases, tmp_path / "w2", 120, tmp_path / "w2.log", pristine=broken)
    assert (error.status, error.case, error.cases_run) == ("error", cases[0].id, 0)
    assert error.message.startswith(f"not scored: the unmutated RTL fails {cases[0].id} too now")
    unchecked = run_cases(broken, cases, tmp_path / "w3", 120, tmp_path / "w3.log")  # the unmutated run itself
    assert unchecked.status == "killed"


def test_equivalent_mutants_are_still_generated():
    """Every EQUIVALENT entry names a mutant the generator still makes (the RTL did not move under it)."""
    made = set()
    for module in M.MODULES:
        text = (M.RTL / f"{module}.v").read_text()
        made |= {(module, *mu.changed_lines(text)) for mu in M.operator_mutants(module, text)
                 + M.targeted_mutants(module, text)}
    assert set(M.EQUIVALENT) <= made, set(M.EQUIVALENT) - made


def test_the_package_keeps_the_public_names_of_the_module():
    """``verif.mutate`` was one module; it hands out the same objects as the modules that hold them now."""
    from verif.mutate import catalogue, mask, mutant, operators, report, runner

    for mod in (catalogue, mask, mutant, operators, report, runner):
        for name in mod.__all__:
            if name in M.__all__:
                assert getattr(M, name) is getattr(mod, name), (mod.__name__, name)
    assert {"MutateOptions", "mutate", "generate", "Mutant", "TARGETED", "EQUIVALENT", "MODULES"} <= set(M.__all__)
    assert all(hasattr(M, name) for name in M.__all__)
