"""fp8kit.rtlspec.manifest: the source manifest is derived from the Verilog in the RTL directory."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fp8kit.rtlspec import manifest
from fp8kit.rtlspec.manifest import SIM_TOPS, include_dirs, scan, sources_for, toplevels

RTL = Path(__file__).resolve().parents[1] / "rtl"


@pytest.fixture
def rtl_copy(tmp_path):
    dst = tmp_path / "rtl"
    shutil.copytree(RTL, dst, ignore=shutil.ignore_patterns("lint", "*.md"))
    return dst


def _leaf(name: str) -> str:
    return f"module {name} (\n  input wire [7:0] a_i,\n  output wire [7:0] y_o\n);\n  assign y_o = a_i;\nendmodule\n"


def test_checkout_sources_leaves_first():
    assert [p.name for p in sources_for("fp8_mac")][-1] == "fp8_mac.v"
    for top in toplevels():
        names = [p.name for p in sources_for(top)]
        assert names[-1] == f"{top}.v" and len(set(names)) == len(names)
        for child in scan().module(top).instances:
            assert names.index(f"{child}.v") < names.index(f"{top}.v")
    assert {"lfsr32.v", "fp8_fma.v"} <= {p.name for p in sources_for("fp8_mac")}
    assert set(SIM_TOPS) <= set(toplevels()) and manifest.sim_tops() == SIM_TOPS
    assert include_dirs() == [RTL / "include"]
    assert sorted(toplevels()) == sorted(p.stem for p in RTL.glob("*.v"))


def test_every_sim_top_has_a_bench():
    root = RTL.parent
    for top in SIM_TOPS:
        assert (root / "verif" / top / f"tb_{top}.py").is_file(), top
    benches = {p.parent.name for p in (root / "verif").glob("*/tb_*.py") if p.stem == f"tb_{p.parent.name}"}
    assert benches <= set(SIM_TOPS)


def test_headers_are_found_and_nested(rtl_copy):
    (rtl_copy / "include" / "zz_outer.vh").write_text('`include "zz_inner.vh"\n')
    (rtl_copy / "include" / "zz_inner.vh").write_text("// nothing\n")
    (rtl_copy / "zz_user.v").write_text('`include "zz_outer.vh"\n' + _leaf("zz_user"))
    m = scan(rtl_copy)
    assert m.module("zz_user").includes == ("include/zz_inner.vh", "include/zz_outer.vh")
    assert m.include_dirs("zz_user") == ("include",)
    assert "include/zz_inner.vh" in m.headers()


def test_a_new_leaf_is_picked_up_without_an_edit(rtl_copy):
    """A leaf file and an instance of it: the instantiating module and those above list it first."""
    (rtl_copy / "lzc_new.v").write_text(_leaf("lzc_new"))
    fma = rtl_copy / "fp8_fma.v"
    text = fma.read_text()
    cut = text.rindex("endmodule")
    fma.write_text(text[:cut] + "  wire [7:0] lz_y;\n  lzc_new u_lzc_new (.a_i(8'd0), .y_o(lz_y));\n"
                   + text[cut:])
    names = [p.name for p in sources_for("fp8_mac", rtl_copy)]
    assert names.index("lzc_new.v") < names.index("fp8_fma.v") < names.index("fp8_mac.v")
    assert "lfsr32.v" in names
    assert [p.name for p in sources_for("lzc_new", rtl_copy)] == ["lzc_new.v"]
    assert "lzc_new" in toplevels(rtl_copy) and "lzc_new" not in SIM_TOPS


def test_simulated_modules_are_those_a_sim_top_reaches(rtl_copy):
    (rtl_copy / "zz_alone.v").write_text(_leaf("zz_alone"))
    reached = manifest.simulated(rtl_copy)
    assert "zz_alone" not in reached and set(SIM_TOPS) <= set(reached)
    assert set(reached) == {n for t in SIM_TOPS for n in scan(rtl_copy).closure(t)}
    assert reached[0] == SIM_TOPS[0] and [t for t in reached if t in SIM_TOPS] == list(SIM_TOPS)
    for name in reached:  # leaves first
        assert all(reached.index(c) < reached.index(name) for c in scan(rtl_copy).module(name).instances)


def test_instances_in_comments_and_strings_do_not_count(rtl_copy):
    (rtl_copy / "zz_a.v").write_text(
        '// lfsr32 #(.SEED(1)) u_x (\n/* fp8_fma u_y ( */\n' + _leaf("zz_a").replace(
            "endmodule", 'initial $display("int8_mac u_z (");\nendmodule'))
    assert scan(rtl_copy).module("zz_a").instances == ()


@pytest.mark.parametrize("name, text, match", [
    ("two.v", _leaf("two") + _leaf("three"), r"two\.v: defines module\(s\) two, three; one module per file"),
    ("named.v", _leaf("other"), r"named\.v: defines module\(s\) other.*\(module named\)"),
    ("empty.v", "// nothing\n", r"empty\.v: defines no module"),
    ("hdr.v", '`include "no_such.vh"\n' + _leaf("hdr"), r"hdr\.v includes 'no_such\.vh', which is in none"),
])
def test_bad_rtl_is_refused(rtl_copy, name, text, match):
    (rtl_copy / name).write_text(text)
    with pytest.raises(ValueError, match=match):
        scan(rtl_copy)


def test_instantiation_cycle_is_refused(rtl_copy):
    (rtl_copy / "cyc_a.v").write_text(_leaf("cyc_a").replace("endmodule", "cyc_b u_b (.a_i(a_i), .y_o());\nendmodule"))
    (rtl_copy / "cyc_b.v").write_text(_leaf("cyc_b").replace("endmodule", "cyc_a u_a (.a_i(a_i), .y_o());\nendmodule"))
    with pytest.raises(ValueError, match="cycle: cyc_a -> cyc_b -> cyc_a"):
        scan(rtl_copy)


def test_a_copy_without_the_toplevel_file_lists_the_expected_paths(rtl_copy):
    """The simulator is then the one to say which file is missing."""
    (rtl_copy / "fp8_mul.v").unlink()
    assert sources_for("fp8_mul", rtl_copy) == [rtl_copy / p.name for p in sources_for("fp8_mul")]
    assert sources_for("fp8_mac", tmp := rtl_copy / "absent") == [tmp / p.name for p in sources_for("fp8_mac")]


def test_unknown_toplevel_names_the_known_ones():
    with pytest.raises(KeyError, match="no sources listed for toplevel 'nope'; known: .*fp8_mac"):
        sources_for("nope")


def test_rescan_after_a_change(rtl_copy):
    assert "zz_late" not in toplevels(rtl_copy)
    (rtl_copy / "zz_late.v").write_text(_leaf("zz_late"))
    assert "zz_late" in toplevels(rtl_copy)


def test_legacy_manifest_mapping_and_reexport():
    from verif.common import manifest as legacy

    assert legacy.sources_for is sources_for and legacy.MANIFEST is manifest.MANIFEST
    assert list(manifest.MANIFEST) == list(SIM_TOPS) and len(manifest.MANIFEST) == len(SIM_TOPS)
    assert manifest.MANIFEST["fp8_mac"] == tuple(p.name for p in sources_for("fp8_mac"))
    assert manifest.MANIFEST["lfsr32"] == ("lfsr32.v",)


def test_query_command(capsys, rtl_copy):
    assert manifest.main(["toplevels", "--sep", " "]) == 0
    assert capsys.readouterr().out.split() == list(toplevels())
    assert manifest.main(["sim-tops"]) == 0
    assert capsys.readouterr().out.split() == list(SIM_TOPS)
    assert manifest.main(["sources", "fp8_mac", "--rtl-dir", str(rtl_copy)]) == 0
    assert capsys.readouterr().out.split() == [str(p) for p in sources_for("fp8_mac", rtl_copy)]
    assert manifest.main(["includes", "fp8_mul"]) == 0
    assert capsys.readouterr().out.split() == [str(RTL / "include")]
    assert manifest.main(["sources", "nope"]) == 2
    assert "no sources listed for toplevel 'nope'" in capsys.readouterr().err
    assert manifest.main(["core"]) == 0
    assert capsys.readouterr().out == manifest.render_core()
