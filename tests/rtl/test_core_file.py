"""rtl/fp8kit.core lists every RTL source and the include file, and nothing that does not exist."""

from __future__ import annotations

import re
from pathlib import Path

RTL = Path(__file__).resolve().parents[2] / "rtl"


def test_core_lists_every_source():
    text = (RTL / "fp8kit.core").read_text()
    assert text.startswith("CAPI=2:")
    listed = set(re.findall(r"^\s+- ([\w/]+\.(?:vh|v))\b", text, re.M))
    assert "include/fp8kit_defs.vh" in listed
    for name in listed:
        assert (RTL / name).is_file(), f"fp8kit.core lists {name}, which does not exist"
    missing = {p.name for p in RTL.glob("*.v")} - listed
    assert not missing, f"fp8kit.core does not list {sorted(missing)}"
    assert re.search(r"^  lint:", text, re.M)
