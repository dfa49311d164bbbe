"""rtl/fp8kit.core is generated from the source manifest (fp8kit.rtlspec.manifest) and is fresh."""

from __future__ import annotations

import re
from pathlib import Path

from fp8kit.rtlspec import manifest

RTL = Path(__file__).resolve().parents[2] / "rtl"


def test_core_file_is_fresh():
    """The committed core equals the rendering; regenerate with
    `python -m fp8kit.rtlspec.manifest core --write`."""
    assert (RTL / "fp8kit.core").read_text() == manifest.render_core(manifest.scan(RTL))


def test_core_lists_every_source():
    text = (RTL / "fp8kit.core").read_text()
    assert text.startswith("CAPI=2:")
    listed = re.findall(r"^\s+- ([\w/]+\.(?:vh|v))\b", text, re.M)
    assert "include/fp8kit_defs.vh" in listed
    for name in listed:
        assert (RTL / name).is_file(), f"fp8kit.core lists {name}, which does not exist"
    missing = {p.name for p in RTL.glob("*.v")} - set(listed)
    assert not missing, f"fp8kit.core does not list {sorted(missing)}"
    assert re.search(r"^  lint:", text, re.M)
    sources = [n for n in listed if n.endswith(".v")]
    for top in manifest.toplevels(RTL):  # leaves first: every module after those it instantiates
        for child in manifest.scan(RTL).module(top).instances:
            assert sources.index(f"{child}.v") < sources.index(f"{top}.v")


def test_core_rendering_follows_a_new_leaf(tmp_path):
    for p in RTL.glob("*.v"):
        (tmp_path / p.name).write_text(p.read_text())
    (tmp_path / "include").mkdir()
    for p in (RTL / "include").glob("*.vh"):
        (tmp_path / "include" / p.name).write_text(p.read_text())
    (tmp_path / "aaa_leaf.v").write_text("module aaa_leaf (input wire a_i, output wire y_o);\n"
                                         "  assign y_o = a_i;\nendmodule\n")
    text = manifest.render_core(manifest.scan(tmp_path))
    assert "      - aaa_leaf.v\n" in text
    assert manifest.write_core(tmp_path) and (tmp_path / "fp8kit.core").read_text() == text
    assert not manifest.write_core(tmp_path)  # written once, then up to date
