"""Bad input gets a clear error naming the value and what is allowed."""

from __future__ import annotations

import numpy as np
import pytest

from refmodel import Format, decode, encode, get_format
from refmodel.encodings import parse_rounding


def test_unknown_and_ambiguous_format_names():
    with pytest.raises(ValueError, match=r"unknown format 'float9'.*float8_e4m3fn"):
        get_format("float9")
    with pytest.raises(ValueError, match=r"'e4m3' is ambiguous.*float8_e4m3fn.*float8_e4m3fnuz.*float8_e4m3b11fnuz"):
        get_format("e4m3")
    with pytest.raises(ValueError, match="unknown format"):
        encode([1.0], "nope")
    # a plain eXmY never picks an unsigned format: the signed custom one is named beside it
    with pytest.raises(ValueError, match=r"'e5m3' is ambiguous: the unsigned float8_e5m3fnu or the signed Format.custom\(5, 3\)"):
        get_format("e5m3")


def test_format_lookup_by_alias_short_name_and_dtype():
    import ml_dtypes

    assert get_format("ocp_e4m3").name == "float8_e4m3fn"
    assert get_format("OCP_E5M2").name == "float8_e5m2"
    assert get_format("e4m3fn").name == "float8_e4m3fn"
    assert get_format("e2m1").name == "float4_e2m1fn"
    assert get_format("ue5m3").name == get_format("e5m3fnu").name == "float8_e5m3fnu"
    if hasattr(ml_dtypes, "float8_e5m3fnu"):  # ml_dtypes >= 0.7
        assert get_format(ml_dtypes.float8_e5m3fnu).name == "float8_e5m3fnu"
    assert Format.custom(5, 3, specials="fn", signed=False).name == "e5m3_fnu"
    assert get_format(ml_dtypes.float8_e5m2fnuz).name == "float8_e5m2fnuz"
    assert get_format(np.dtype(ml_dtypes.bfloat16)).name == "bfloat16"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(exp_bits=0, man_bits=3), "exp_bits must be >= 1"),
        (dict(exp_bits=8, man_bits=8), "at most 16 bits"),
        (dict(exp_bits=4, man_bits=-1), "man_bits must be >= 0"),
        (dict(exp_bits=4, man_bits=0, specials="ieee"), "needs man_bits >= 1"),
        (dict(exp_bits=4, man_bits=3, specials="weird"), "unknown specials 'weird'"),
        (dict(exp_bits=4, man_bits=3, specials="scale"), "scale"),
        (dict(exp_bits=4, man_bits=3, specials="ieee", signed=False), "unsigned formats need specials 'fn' or 'scale'"),
        (dict(exp_bits=4, man_bits=3, specials="fnuz", signed=False), "not 'fnuz'"),
    ],
)
def test_custom_format_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Format.custom(**kwargs)


def test_code_out_of_range_and_non_integer_codes():
    with pytest.raises(ValueError, match=r"code 256 is out of range for float8_e4m3fn: allowed 0...255"):
        decode(np.array([1, 256]), "float8_e4m3fn")
    with pytest.raises(ValueError, match=r"code -1 is out of range"):
        decode([-1], "float8_e5m2")
    with pytest.raises(ValueError, match=r"code 64 is out of range for float6_e2m3fn: allowed 0...63"):
        decode(np.array([64], np.uint8), "float6_e2m3fn")
    with pytest.raises(TypeError, match="codes must be integers"):
        decode([1.5], "float8_e4m3fn")


def test_decode_dtype_must_hold_every_value():
    with pytest.raises(ValueError, match="float16 cannot hold every bfloat16 value exactly"):
        decode([0], "bfloat16", np.float16)
    with pytest.raises(ValueError, match="cannot hold every float8_e8m0fnu value"):
        decode([0], "float8_e8m0fnu", np.float16)
    with pytest.raises(ValueError, match="cannot decode into dtype int32"):
        decode([0], "float8_e4m3fn", np.int32)


@pytest.mark.parametrize(
    "x, error, match",
    [
        (np.array([1 + 2j]), TypeError, "complex input"),
        (np.array(["1.0"]), TypeError, "not numeric"),
        (np.array([True]), TypeError, "boolean input"),
    ],
)
def test_non_numeric_input(x, error, match):
    with pytest.raises(error, match=match):
        encode(x, "float8_e4m3fn")


def test_sr_argument_errors():
    x = np.ones(3)
    with pytest.raises(ValueError, match=r"needs sr_bits \(1...32\)"):
        encode(x, "float8_e4m3fn", rounding="sr", rand=[0, 0, 0])
    with pytest.raises(ValueError, match="needs random bits"):
        encode(x, "float8_e4m3fn", rounding="sr", sr_bits=8)
    with pytest.raises(ValueError, match="sr_bits must be in 1...32, got 33"):
        encode(x, "float8_e4m3fn", rounding="sr", sr_bits=33, rand=[0, 0, 0])
    with pytest.raises(ValueError, match="sr_bits must be in 1...32, got 0"):
        encode(x, "float8_e4m3fn", rounding="sr", sr_bits=0, rand=[0, 0, 0])
    with pytest.raises(ValueError, match=r"random integer 256 is outside \[0, 2\*\*8\)"):
        encode(x, "float8_e4m3fn", rounding="sr", sr_bits=8, rand=[0, 256, 1])
    with pytest.raises(ValueError, match=r"random integer -1 is outside"):
        encode(x, "float8_e4m3fn", rounding="sr", sr_bits=8, rand=[0, -1, 1])
    with pytest.raises(TypeError, match="rand must hold integers"):
        encode(x, "float8_e4m3fn", rounding="sr", sr_bits=8, rand=[0.5, 0, 0])
    with pytest.raises(ValueError, match="does not broadcast"):
        encode(x, "float8_e4m3fn", rounding="sr", sr_bits=8, rand=[0, 1])
    with pytest.raises(ValueError, match="only used with rounding='sr', not 'rne'"):
        encode(x, "float8_e4m3fn", rand=[0, 0, 0])


def test_unknown_rounding_and_options():
    with pytest.raises(ValueError, match=r"unknown rounding mode 'nearest'; allowed: rne \(0\)"):
        encode([1.0], "float8_e4m3fn", rounding="nearest")
    with pytest.raises(ValueError, match="unknown rounding mode 7"):
        parse_rounding(7)
    with pytest.raises(ValueError, match="nan must be one of"):
        encode([1.0], "float8_e4m3fn", nan="quiet")
    with pytest.raises(ValueError, match="e8m0_rule='even' applies to formats without mantissa bits"):
        encode([1.0], "float8_e4m3fn", e8m0_rule="even")
    with pytest.raises(ValueError, match="cannot be combined with rounding='rtz'"):
        encode([1.0], "float8_e8m0fnu", e8m0_rule="even", rounding="rtz")


def test_nan_into_a_format_without_nan():
    with pytest.raises(ValueError, match=r"NaN at index \(1,\) cannot be encoded in float4_e2m1fn, which has no NaN"):
        encode(np.array([1.0, np.nan]), "float4_e2m1fn")
    with pytest.raises(ValueError, match="float6_e3m2fn, which has no NaN"):
        encode(np.array([np.nan], np.float16), "float6_e3m2fn")
