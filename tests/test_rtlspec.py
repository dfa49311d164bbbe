"""fp8kit.rtlspec.params: the generated RTL include file is fresh, and rtl-params prints rtl_params()."""

from __future__ import annotations

import re

import pytest

from fp8kit.cli import main
from refmodel.encodings import CodeClass, Flag, RoundingMode, Specials
from refmodel.formats import get_format
from fp8kit.rtlspec.defs import DEFS_PATH, render_defs


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


def test_mx_dot_rtl_params_from_formats():
    from fp8kit.rtlspec.params import mx_dot_rtl_params

    assert mx_dot_rtl_params("mxfp8_e5m2") == {"K": 32, "ELEM_EXP_W": 5, "ELEM_MAN_W": 2, "ELEM_BIAS": 15,
                                                "ELEM_SPECIALS": 0, "ELEM_INT8": 0, "PIPE": 0}
    assert mx_dot_rtl_params("mxfp4_e2m1", k=16, pipe=2) == {"K": 16, "ELEM_EXP_W": 2, "ELEM_MAN_W": 1,
                                                             "ELEM_BIAS": 1, "ELEM_SPECIALS": 3, "ELEM_INT8": 0,
                                                             "PIPE": 2}
    assert mx_dot_rtl_params("mxint8") == {"K": 32, "ELEM_INT8": 1, "PIPE": 0}


@pytest.mark.parametrize("kwargs, match", [
    ({"mx_type": "nvfp4"}, "E8M0-scaled OCP MX types; nvfp4"),
    ({"mx_type": "mxfp9"}, "unknown MX type 'mxfp9'"),
    ({"mx_type": "mxint8", "k": 0}, "mx_dot rejects K=0; allowed: >= 1"),
    ({"mx_type": "mxint8", "pipe": 3}, "mx_dot rejects PIPE=3; allowed: 0, 1 or 2"),
])
def test_mx_dot_rtl_params_errors(kwargs, match):
    from fp8kit.rtlspec.params import mx_dot_rtl_params

    with pytest.raises(ValueError, match=match):
        mx_dot_rtl_params(**kwargs)


def test_cli_rtl_params_mx_type(capsys):
    assert main(["rtl-params", "mxint8"]) == 0
    assert capsys.readouterr().out.split() == [".K(32),", ".ELEM_INT8(1),", ".PIPE(0)"]


def test_unsigned_format_rtl_params_and_operand_refusal():
    from fp8kit.rtlspec.params import fma_rtl_params, mul_rtl_params

    assert get_format("ue5m3").rtl_params("A_") == {"A_EXP_W": 5, "A_MAN_W": 3, "A_BIAS": 15, "A_SPECIALS": 1,
                                                   "A_SIGNED": 0}
    assert "SIGNED" not in get_format("float8_e4m3fn").rtl_params()  # signed: the RTL default
    assert mul_rtl_params("e4m3fn", "float8_e5m2") == {**get_format("e4m3fn").rtl_params("A_"),
                                                       **get_format("float8_e5m2").rtl_params("B_")}
    for bad in ("float8_e5m3fnu", "float8_e8m0fnu", "float32"):
        with pytest.raises(ValueError, match=f"{bad} cannot be an RTL operand"):
            mul_rtl_params("e4m3fn", bad)
        with pytest.raises(ValueError, match=f"{bad} cannot be an RTL operand"):
            fma_rtl_params(bad, "e4m3fn", "float32")


def test_fma_producer_refuses_what_fp8_fma_rejects():
    """The issue's example: ACC_EXP_W=12 and SR_BITS=40 are refused by the producer, as the RTL does."""
    from refmodel.formats import Format
    from fp8kit.rtlspec.params import fma_rtl_params, mac_rtl_params

    with pytest.raises(ValueError, match=r"into e12m3, sr bits 40: fp8_fma rejects ACC_EXP_W=12; allowed: 2\.\.\.11; "
                                         r"SR_BITS=40; allowed: 1\.\.\.32"):
        fma_rtl_params("e4m3fn", "e4m3fn", Format.custom(12, 3), 40)
    for sr in (0, 33):
        with pytest.raises(ValueError, match=rf"SR_BITS={sr}; allowed: 1\.\.\.32"):
            fma_rtl_params("e4m3fn", "e4m3fn", "float32", sr)
    with pytest.raises(ValueError, match=r"fp8_mac rejects SEED=0; allowed: non-zero"):
        mac_rtl_params("e4m3fn", "e4m3fn", "float32", 16, seed=0)


def test_each_module_has_one_producer():
    from fp8kit.rtlspec.legality import RTL_DEFAULTS
    from fp8kit.rtlspec.manifest import SIM_TOPS
    from fp8kit.rtlspec.params import (PRODUCERS, fma_rtl_params, int8_mac_rtl_params, lfsr32_rtl_params,
                                       mac_rtl_params, mul_rtl_params)

    assert set(SIM_TOPS) <= set(PRODUCERS) <= set(RTL_DEFAULTS)  # the leaves' parameters are derived inside
    fma = fma_rtl_params("float8_e4m3fn", "float8_e5m2", "float16", 4)
    assert fma == {**mul_rtl_params("float8_e4m3fn", "float8_e5m2"), "ACC_EXP_W": 5, "ACC_MAN_W": 10, "SR_BITS": 4}
    assert mac_rtl_params("float8_e4m3fn", "float8_e5m2", "float16", 4, seed=9) == {**fma, "SEED": 9}
    assert mac_rtl_params("float8_e4m3fn", "float8_e5m2", "float16", 4)["SEED"] == 1
    assert int8_mac_rtl_params() == {}
    assert PRODUCERS["fp8kit_cost_mac"]("float8_e4m3fn", "float8_e5m2", "float16", 4, RoundingMode.SR) == \
        {**fma, "RM": 5}
    with pytest.raises(ValueError, match=r"fp8kit_cost_mac rejects RM=7; allowed: a rounding mode 0\.\.\.6"):
        PRODUCERS["fp8kit_cost_mac"]("float8_e4m3fn", "float8_e5m2", "float16", 4, 7)
    assert lfsr32_rtl_params(0xDEADBEEF) == {"SEED": 0xDEADBEEF}
    with pytest.raises(ValueError, match="lfsr32 rejects SEED=0"):
        lfsr32_rtl_params(0)
    with pytest.raises(ValueError, match=r"mx_dot rejects ELEM_EXP_W=8; allowed: 1\.\.\.6"):
        from fp8kit.rtlspec.legality import check_rtl_params

        check_rtl_params("mx_dot", get_format("bfloat16").rtl_params("ELEM_"))


def test_ops_map_onto_the_contract():
    from fp8kit import vectors
    from fp8kit.rtlspec.manifest import SIM_TOPS
    from fp8kit.rtlspec.params import OPS, PRODUCERS

    assert vectors.OPS is OPS
    assert set(OPS.values()) <= set(PRODUCERS) and set(OPS.values()) <= set(SIM_TOPS)


@pytest.mark.parametrize("op", ["mul", "fma", "mac", "mx_dot", "int8_mac"])
def test_vector_headers_carry_legal_rtl_params(op):
    from fp8kit import vectors
    from fp8kit.rtlspec.legality import check_rtl_params
    from fp8kit.rtlspec.params import OPS

    kw = {"k": 4} if op == "mx_dot" else {}
    head = vectors.generate(op, level=1, **kw).header
    check_rtl_params(OPS[op], head["rtl_params"])
    assert vectors.rtl_params(head) == head["rtl_params"]
