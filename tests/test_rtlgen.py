"""refmodel.rtlgen: the generated RTL include file is fresh, and rtl-params prints rtl_params()."""

from __future__ import annotations

import re

from refmodel.cli import main
from refmodel.encodings import CodeClass, Flag, RoundingMode, Specials
from refmodel.formats import get_format
from refmodel.rtlgen import DEFS_PATH, render_defs


def test_defs_file_is_fresh():
    assert DEFS_PATH.exists(), "run `fp8kit gen-rtl-defs`"
    assert DEFS_PATH.read_text() == render_defs(), (
        "rtl/include/fp8kit_defs.vh is stale: run `fp8kit gen-rtl-defs` and commit it"
    )


def _defines(text: str) -> dict[str, int]:
    return {m[1]: int(m[2]) for m in re.finditer(r"`define (\w+) (?:\d+'d)?(\d+)$", text, re.M)}


def test_defs_hold_every_encoding():
    text = render_defs()
    assert "do not edit" in text and "fp8kit gen-rtl-defs" in text
    d = _defines(text)
    for m in RoundingMode:
        assert d[f"FP8KIT_RM_{m.name}"] == int(m)
    for f in Flag:
        assert 1 << d[f"FP8KIT_FLAG_{f.name}_BIT"] == int(f)
    for s in Specials:
        assert d[f"FP8KIT_SPECIALS_{s.name}"] == int(s)
    for c in CodeClass:
        assert d[f"FP8KIT_CLASS_{c.name}"] == int(c)


def test_cli_rtl_params(capsys):
    assert main(["rtl-params", "float8_e5m2", "--prefix", "B_"]) == 0
    out = capsys.readouterr().out
    got = {m[1]: int(m[2]) for m in re.finditer(r"\.(\w+)\((\d+)\)", out)}
    assert got == get_format("float8_e5m2").rtl_params("B_")


def test_cli_rtl_params_unknown_format(capsys):
    assert main(["rtl-params", "float8_nope"]) == 2
    assert "float8_e4m3fn" in capsys.readouterr().err


def test_cli_gen_rtl_defs_reports_up_to_date(capsys):
    assert main(["gen-rtl-defs"]) == 0
    assert "up to date" in capsys.readouterr().out
