"""The generated rtl/include/fp8kit_defs.vh is where the RTL reads its shared constants.

tests/test_rtlspec.py checks that the header is fresh and holds every encoding; these tests check
the values added for the RTL (the LFSR's polynomial and leap, from refmodel.lfsr) and that the
modules read the header instead of writing the values out.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fp8kit.rtlspec.defs import render_defs
from refmodel import lfsr

RTL = Path(__file__).resolve().parents[1] / "rtl"
MODULES = sorted(RTL.glob("*.v"))
_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)


def _code(path: Path) -> str:
    """The Verilog of ``path`` without its comments."""
    return _COMMENT.sub("", path.read_text())


def _defines(text: str) -> dict[str, str]:
    return {m[1]: m[2] for m in re.finditer(r"^`define (\w+) (\S+)$", text, re.M)}


def _value(literal: str) -> int:
    """The value of a Verilog literal: ``32'h80200003``, ``3'd5`` or ``32``."""
    m = re.fullmatch(r"(?:\d+)?'([hdb])([0-9a-fA-F_]+)|(\d+)", literal)
    assert m, literal
    if m[3] is not None:
        return int(m[3])
    return int(m[2].replace("_", ""), {"h": 16, "d": 10, "b": 2}[m[1]])


def test_defs_hold_the_lfsr_polynomial_and_leap():
    d = _defines(render_defs())
    assert _value(d["FP8KIT_LFSR_POLY"]) == lfsr.POLY
    assert _value(d["FP8KIT_LFSR_LEAP"]) == lfsr.LEAP
    # the polynomial is the 32-bit mask the model steps with
    assert d["FP8KIT_LFSR_POLY"].startswith("32'h")
    assert lfsr.step(1) == lfsr.POLY  # a 1 in bit 0 shifts out and feeds back the whole mask


def test_lfsr32_reads_polynomial_and_leap_from_the_header():
    code = _code(RTL / "lfsr32.v")
    assert re.search(r"localparam\s+\[31:0\]\s+POLY\s*=\s*`FP8KIT_LFSR_POLY\s*;", code)
    assert re.search(r"localparam\s+integer\s+LEAP\s*=\s*`FP8KIT_LFSR_LEAP\s*;", code)
    digits = f"{lfsr.POLY:08x}"
    assert digits not in code.lower().replace("_", ""), "lfsr32.v writes the polynomial out"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_every_module_includes_the_defs(path):
    assert re.search(r'^\s*`include\s+"fp8kit_defs\.vh"', path.read_text(), re.M), (
        f"{path.name} does not include fp8kit_defs.vh")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_every_macro_used_is_generated(path):
    defined = set(_defines(render_defs()))
    used = set(re.findall(r"`(FP8KIT_\w+)", _code(path)))
    assert used <= defined, f"{path.name} uses undefined {sorted(used - defined)}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_no_rounding_mode_literals(path):
    """rm_i is compared with `FP8KIT_RM_* codes, not with 3'dN (case labels or ==)."""
    code = _code(path)
    assert not re.search(r"rm_i\s*[!=]=\s*3'd\d", code), f"{path.name} compares rm_i with a literal"
    assert not re.search(r"^\s*3'd\d(\s*,\s*3'd\d)*\s*:", code, re.M), f"{path.name} has a literal case label"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_no_flag_vector_by_position(path):
    """flags are built bit by bit at `FP8KIT_FLAG_*_BIT, not as a 5-element concatenation."""
    code = _code(path)
    assert not re.search(r"flags\w*\s*=\s*\{[^{};]*,[^{};]*,[^{};]*,[^{};]*,[^{};]*\}", code), (
        f"{path.name} builds a flags vector by position")


def test_specials_codes_come_from_the_header():
    """The one operand unpacker compares SPECIALS with the generated codes."""
    code = _code(RTL / "fp8_unpack.v")
    for name in ("IEEE", "FN", "FNUZ"):
        assert f"`FP8KIT_SPECIALS_{name}" in code
