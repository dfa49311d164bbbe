"""The fast codec against the exact oracle, ml_dtypes and the spec's facts."""

from __future__ import annotations

import math
from fractions import Fraction

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

from refmodel import Format, decode, encode, get_format, registered_formats
from refmodel.boundaries import boundary_values
from refmodel.encodings import RoundingMode
from refmodel.oracle.codec import decode_exact, encode_exact
from refmodel.peer_facts import (
    ml_dtypes_double_rounds_float64,
    ml_dtypes_e8m0_subnormal_rounds_up,
    ml_dtypes_version,
)
from refmodel.selfcheck import ml_dtypes_type, rne_disagrees_with_ml_dtypes

NARROW = [f for f in registered_formats() if f.bits <= 8]
SIXTEEN = [f for f in registered_formats() if f.bits == 16]
ML_NARROW = [f for f in NARROW if ml_dtypes_type(f) is not None]  # those the installed ml_dtypes has
MODES = [m.label for m in RoundingMode if m is not RoundingMode.SR]
CUSTOM = [
    Format.custom(5, 7),  # e5m7, a narrow accumulator
    Format.custom(6, 5, specials="fn"),
    Format.custom(4, 3, bias=3, specials="fnuz"),
    Format.custom(3, 2, bias=-2, specials="none"),
    Format.custom(2, 5, bias=9),
    Format.custom(5, 0, specials="fn"),
    Format.custom(4, 0, specials="scale"),
    Format.custom(4, 2, bias=5, specials="fn", signed=False),  # unsigned, as UE5M3
]
ids = lambda f: f.name  # noqa: E731


def _oracle_codes(values, fmt, mode="rne", **kw):
    return np.array([encode_exact(float(v), fmt, mode, **kw) for v in values], np.int64)


# ------------------------------------------------------------------------- decode
@pytest.mark.parametrize("fmt", NARROW + CUSTOM, ids=ids)
def test_every_code_decodes_as_the_oracle_says(fmt):
    codes = np.arange(fmt.code_count)
    got = decode(codes, fmt, np.float64)
    for code, value in zip(codes.tolist(), got.tolist()):
        ref = decode_exact(code, fmt)
        if ref.kind == "nan":
            assert math.isnan(value), hex(code)
            assert (math.copysign(1, value) < 0) == ref.negative or fmt.specials.name in ("FNUZ", "SCALE")
        elif ref.kind == "inf":
            assert value == (-math.inf if ref.negative else math.inf), hex(code)
        else:
            assert value == (-1 if ref.negative else 1) * ref.magnitude, hex(code)
            assert math.copysign(1, value) == (-1 if ref.negative else 1), hex(code)


@pytest.mark.parametrize("fmt", ML_NARROW, ids=ids)
def test_decode_matches_ml_dtypes(fmt):
    codes = np.arange(fmt.code_count, dtype=np.uint8)
    want = codes.view(ml_dtypes_type(fmt)).astype(np.float32)
    got = decode(codes, fmt)
    assert_array_equal(got.view(np.uint32) & ~np.uint32(0x003FFFFF) | np.isnan(got) * 0, want.view(np.uint32) & ~np.uint32(0x003FFFFF) | np.isnan(want) * 0)
    assert_array_equal(np.isnan(got), np.isnan(want))


@pytest.mark.parametrize("fmt", NARROW + SIXTEEN + CUSTOM, ids=ids)
def test_every_code_re_encodes_to_itself(fmt):
    codes = np.arange(fmt.code_count)
    values = decode(codes, fmt, np.float64)
    want = codes.copy()
    for i in np.flatnonzero(np.isnan(values)):
        want[i] = fmt.nan_code(bool(np.signbit(values[i])))
    for mode in MODES:
        assert_array_equal(encode(values, fmt, rounding=mode), want, err_msg=mode)
    if fmt.bits <= 16 and fmt.max_finite < 3e38 and fmt.min_positive >= 2.0**-126:
        assert_array_equal(encode(values.astype(np.float32), fmt), want)


def test_decode_of_all_uint8_codes_uses_pairs_and_handles_odd_lengths():
    rng = np.random.default_rng(5)
    codes = rng.integers(0, 256, 100_001).astype(np.uint8)
    want = np.take(decode(np.arange(256, dtype=np.uint8), "float8_e5m2"), codes)
    got = decode(codes, "float8_e5m2")
    assert_array_equal(got.view(np.uint32), want.view(np.uint32))


def test_decode_keeps_shape_and_dtypes():
    codes = np.array([[0x38, 0xB8], [0x00, 0x80]], np.uint8)
    got = decode(codes, "float8_e4m3fn", np.float64)
    assert got.shape == (2, 2) and got.dtype == np.float64
    assert got.tolist() == [[1.0, -1.0], [0.0, -0.0]] and math.copysign(1, got[1, 1]) < 0
    assert decode(codes, "float8_e4m3fn", ml_dtypes.bfloat16).dtype == ml_dtypes.bfloat16
    assert decode(np.array(0x3C00, np.uint16), "float16").item() == 1.0
    assert decode(np.array([0x3F800000], np.uint32), "float32").tolist() == [1.0]


# ------------------------------------------------------------------ every mode, boundaries
@pytest.mark.parametrize("fmt", NARROW + CUSTOM, ids=ids)
@pytest.mark.parametrize("saturate", [False, True])
def test_every_mode_matches_oracle_on_boundaries(fmt, saturate):
    x = boundary_values(fmt, include_specials=fmt.has_nan)
    if x.size > 12_000:  # wider customs: an even sample of the sorted boundaries
        x = np.concatenate([x[:: x.size // 12_000], x[-8:]])
    if not fmt.has_nan:
        x = np.concatenate([x, [0.0, -0.0, np.inf, -np.inf]])
    for mode in MODES:
        want = _oracle_codes(x, fmt, mode, saturate=saturate)
        assert_array_equal(encode(x, fmt, rounding=mode, saturate=saturate), want, err_msg=mode)
        with np.errstate(over="ignore"):
            exact32 = x.astype(np.float32).astype(np.float64) == x
        x32 = x[exact32 | np.isnan(x)].astype(np.float32)
        assert_array_equal(
            encode(x32, fmt, rounding=mode, saturate=saturate), want[exact32 | np.isnan(x)], err_msg=mode
        )


@pytest.mark.parametrize("fmt", SIXTEEN, ids=ids)
def test_sixteen_bit_targets_match_oracle_on_a_boundary_sample(fmt):
    x = boundary_values(fmt)
    x = np.concatenate([x[::97], x[-8:]])
    for mode in MODES:
        assert_array_equal(encode(x, fmt, rounding=mode), _oracle_codes(x, fmt, mode), err_msg=mode)


def test_canonical_nan_policy():
    x = np.array([np.nan, -np.nan, np.inf, -np.inf, 1e9, -1e9])
    assert encode(x, "float8_e5m2", nan="canonical").tolist() == [0x7E, 0x7E, 0x7C, 0xFC, 0x7C, 0xFC]
    assert encode(x, "float8_e4m3fn", nan="canonical").tolist() == [0x7F] * 6
    assert encode(x, "float8_e4m3fn").tolist() == [0x7F, 0xFF, 0x7F, 0xFF, 0x7F, 0xFF]
    want = [encode_exact(float(v), get_format("float8_e4m3fn"), nan="canonical") for v in x]
    assert encode(x, "float8_e4m3fn", nan="canonical").tolist() == want


# ------------------------------------------------------------------------ spec facts
@pytest.mark.parametrize(
    "fmt, value, mode, saturate, code",
    [
        ("float8_e4m3fn", 464.0, "rne", False, 0x7E),  # tie to even mantissa 110
        ("float8_e4m3fn", np.nextafter(464.0, 500), "rne", False, 0x7F),  # above: NaN
        ("float8_e4m3fn", 1e6, "rne", True, 0x7E),
        ("float8_e4m3fn", -1e6, "rtz", False, 0xFE),
        ("float8_e4m3fn", -1e6, "rdn", False, 0xFF),
        ("float8_e4m3fn", -1e6, "rup", False, 0xFE),
        ("float8_e4m3fn", 1e6, "rto", False, 0x7E),
        ("float8_e5m2", 61440.0, "rne", False, 0x7C),  # tie to even: Inf
        ("float8_e5m2", 61439.0, "rne", False, 0x7B),
        ("float8_e5m2", np.inf, "rne", True, 0x7B),
        ("float8_e5m2", -np.inf, "rtz", False, 0xFC),  # an infinite input stays infinite
        ("float8_e4m3fnuz", -0.0, "rne", False, 0x00),
        ("float8_e4m3fnuz", -1e-9, "rtz", False, 0x00),
        ("float8_e4m3fn", -1e-9, "rtz", False, 0x80),
        ("float8_e4m3fn", 2.0**-10, "rne", False, 0x00),  # half the smallest subnormal: tie to 0
        ("float8_e4m3fn", 3 * 2.0**-10, "rne", False, 0x02),  # 1.5 subnormal quanta: tie to 2
        ("float8_e4m3fn", 3 * 2.0**-11, "rne", False, 0x01),  # 0.75 subnormal quanta -> 1
        ("float8_e4m3fn", 2.0**-10, "rmm", False, 0x01),
        ("float8_e4m3fn", 2.0**-30, "rup", False, 0x01),
        ("float8_e4m3fn", 1.0625, "rto", False, 0x39),
        ("float4_e2m1fn", np.inf, "rne", False, 0x7),
        ("float4_e2m1fn", -7.0, "rne", False, 0xF),
        ("float6_e2m3fn", 7.75, "rup", False, 0x1F),
        ("float8_e8m0fnu", 0.75, "rne", False, 0x7F),
        ("float8_e8m0fnu", 1.5, "rne", False, 0x80),
        ("float8_e8m0fnu", 3.0, "rne", False, 0x81),
        ("float8_e8m0fnu", 0.0, "rne", False, 0xFF),
        ("float8_e8m0fnu", -2.0, "rne", False, 0xFF),
        ("float8_e8m0fnu", 2.0**-130, "rne", False, 0x00),
        ("float8_e8m0fnu", 2.0**128, "rne", False, 0xFF),
        ("float8_e8m0fnu", 2.0**128, "rne", True, 0xFE),
    ],
)
def test_spec_examples(fmt, value, mode, saturate, code):
    assert encode(np.float64(value), fmt, rounding=mode, saturate=saturate).item() == code
    assert encode_exact(float(value), get_format(fmt), mode, saturate=saturate) == code


@pytest.mark.parametrize(
    "rule, value, code",
    [("ml_dtypes", 0.75, 0x7F), ("even", 0.75, 0x7E), ("up", 0.75, 0x7F),
     ("ml_dtypes", 3.0, 0x81), ("even", 3.0, 0x80), ("up", 3.0, 0x81),
     ("even", 1.5, 0x80), ("up", 1.25, 0x80), ("ml_dtypes", 1.25, 0x7F), ("even", 1.25, 0x7F),
     ("even-significand", 0.75, 0x7F), ("even-significand", 3.0, 0x81), ("even-significand", 1.25, 0x7F),
     ("even-significand", 1.5, 0x80)],
)
def test_e8m0_rules(rule, value, code):
    got = encode(np.array([value, value], np.float32), "float8_e8m0fnu", e8m0_rule=rule)
    assert got.tolist() == [code, code]
    assert encode_exact(value, get_format("float8_e8m0fnu"), e8m0_rule=rule) == code


POLICY_FORMATS = ["float8_e5m2", "float8_e4m3fn", "float8_e4m3fnuz", "float8_e8m0fnu", "float16",
                  Format.custom(5, 0, specials="fn"), Format.custom(4, 2, bias=5, specials="fn", signed=False)]


@pytest.mark.parametrize("fmt", POLICY_FORMATS, ids=lambda f: get_format(f).name)
def test_policy_names_and_their_ml_dtypes_alias_give_the_same_codes_and_flags(fmt):
    """``nan="keep-sign"`` and ``e8m0_rule="even-significand"`` are the defaults; ``"ml_dtypes"`` means exactly
    the same, in the fast path and in the oracle (NaN of either sign, overflow to NaN, every tie)."""
    fmt = get_format(fmt)
    x = boundary_values(fmt)
    if not fmt.has_nan:
        x = x[~np.isnan(x)]
    rules = ["even-significand", "ml_dtypes"] if fmt.man_bits == 0 else [None]
    for mode in MODES:
        ruled = rules if mode == "rne" else [None]
        got = {(nan, rule): encode(x, fmt, rounding=mode, return_flags=True,
                                   **({"nan": nan} if nan else {}), **({"e8m0_rule": rule} if rule else {}))
               for nan in (None, "keep-sign", "ml_dtypes") for rule in ruled}
        codes, flags = got[(None, ruled[0])]
        for key, (c, f) in got.items():
            assert_array_equal(c, codes, err_msg=f"{mode} {key}")
            assert_array_equal(f, flags, err_msg=f"{mode} {key}")
        assert_array_equal(codes, _oracle_codes(x, fmt, mode, nan="ml_dtypes",
                                                **({"e8m0_rule": "ml_dtypes"} if ruled[0] else {})), err_msg=mode)
    if fmt.has_nan and fmt.signed and fmt.specials.name != "FNUZ":  # a NaN of each sign: keep-sign keeps it
        both = encode(np.array([np.nan, -np.nan]), fmt, nan="keep-sign")
        assert both[0] != both[1] and np.all(both == encode(np.array([np.nan, -np.nan]), fmt, nan="ml_dtypes"))


def test_e8m0_even_significand_sends_the_tie_below_the_smallest_power_to_zero():
    """What sets even-significand apart from "ties up": with a zero (e5m0 fn), the tie between 0 and 2**emin
    goes to the even significand 0; ties between two powers of two go up in magnitude."""
    fmt = Format.custom(5, 0, specials="fn")
    x = np.array([fmt.min_normal / 2, -fmt.min_normal / 2, 1.5, -3.0, 0.75])
    for rule in ("even-significand", "ml_dtypes"):
        assert_array_equal(encode(x, fmt, e8m0_rule=rule), encode(x, fmt))
        assert encode(x, fmt, e8m0_rule=rule).tolist() == [_oracle_codes([v], fmt, e8m0_rule=rule)[0] for v in x]
    codes = encode(x, fmt)
    assert codes[0] == 0 and codes[1] == fmt.sign_mask  # +-0
    assert decode(codes[2:], fmt, np.float64).tolist() == [2.0, -4.0, 1.0]


def test_encode_options_store_the_name_an_alias_stands_for():
    from refmodel.rounding import E8M0_RULES, NAN_POLICIES, POLICY_ALIASES, EncodeOptions, policy_name

    e8m0 = get_format("float8_e8m0fnu")
    assert EncodeOptions(e8m0, nan="ml_dtypes", e8m0_rule="ml_dtypes") == EncodeOptions(e8m0)
    opts = EncodeOptions(e8m0, nan="ml_dtypes", e8m0_rule="ml_dtypes")
    assert (opts.nan, opts.e8m0_rule) == ("keep-sign", "even-significand") == (NAN_POLICIES[0], E8M0_RULES[0])
    assert POLICY_ALIASES == {"nan": {"ml_dtypes": "keep-sign"}, "e8m0_rule": {"ml_dtypes": "even-significand"}}
    assert [policy_name("nan", n) for n in NAN_POLICIES] == list(NAN_POLICIES)
    assert [policy_name("e8m0_rule", n) for n in E8M0_RULES] == list(E8M0_RULES)


@pytest.mark.parametrize("kw, message", [
    ({"nan": "quiet"}, "nan must be one of 'keep-sign', 'canonical' (or 'ml_dtypes' for 'keep-sign'), got 'quiet'"),
    ({"nan": "keep_sign"}, "nan must be one of 'keep-sign', 'canonical' (or 'ml_dtypes' for 'keep-sign'), "
                           "got 'keep_sign' (did you mean 'keep-sign'?)"),
    ({"nan": None}, "nan must be one of 'keep-sign', 'canonical' (or 'ml_dtypes' for 'keep-sign'), got None"),
    ({"e8m0_rule": "odd"}, "e8m0_rule must be one of 'even-significand', 'even', 'up' "
                           "(or 'ml_dtypes' for 'even-significand'), got 'odd'"),
])
def test_an_unknown_policy_names_the_allowed_ones(kw, message):
    import re

    for call in (lambda: encode(np.array([1.0]), "float8_e8m0fnu", **kw),
                 lambda: encode_exact(1.0, get_format("float8_e8m0fnu"), **kw)):
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            call()


def test_cli_nan_choices_are_the_policies_and_their_alias(capsys):
    from fp8kit.cli import build_parser, main
    from refmodel.rounding import NAN_POLICIES, POLICY_ALIASES

    sub = next(a for a in build_parser()._subparsers._group_actions[0].choices["encode"]._actions
               if a.dest == "nan")
    assert sub.choices == [*NAN_POLICIES, *POLICY_ALIASES["nan"]] and sub.default == NAN_POLICIES[0]
    outs = []
    for argv in ([], ["--nan", "keep-sign"], ["--nan", "ml_dtypes"]):
        assert main(["encode", "float8_e5m2", *argv, "--", "-nan"]) == 0
        outs.append(capsys.readouterr().out)
    assert outs[0] == outs[1] == outs[2] and "0xfe" in outs[0].lower()


def test_e8m0_rules_match_oracle_on_boundaries():
    fmt = get_format("float8_e8m0fnu")
    x = boundary_values(fmt)
    for rule in ("even", "up"):
        want = _oracle_codes(x, fmt, e8m0_rule=rule)
        assert_array_equal(encode(x, fmt, e8m0_rule=rule), want, err_msg=rule)


# --------------------------------------------------------------------- hypothesis
@st.composite
def custom_formats(draw):
    spec = draw(st.sampled_from(["ieee", "fn", "fnuz", "none"]))
    exp_bits = draw(st.integers(1 if spec != "ieee" else 2, 6))
    man_bits = draw(st.integers(1 if spec == "ieee" else 0, min(8, 15 - exp_bits)))
    if spec == "fn" and exp_bits + man_bits < 2:
        man_bits = 1
    bias = draw(st.integers(-10, 40))
    return Format.custom(exp_bits, man_bits, bias=bias, specials=spec)


any_format = st.one_of(st.sampled_from(NARROW + SIXTEEN), custom_formats())


@given(fmt=any_format, value=st.floats(allow_nan=False, width=64), mode=st.sampled_from(MODES), sat=st.booleans())
def test_hypothesis_float64_matches_oracle(fmt, value, mode, sat):
    got = encode(np.float64(value), fmt, rounding=mode, saturate=sat).item()
    assert got == encode_exact(value, fmt, mode, saturate=sat)


@given(fmt=any_format, value=st.floats(allow_nan=False, width=32), mode=st.sampled_from(MODES), sat=st.booleans())
def test_hypothesis_float32_matches_oracle(fmt, value, mode, sat):
    got = encode(np.full(3, value, np.float32), fmt, rounding=mode, saturate=sat)
    assert got.tolist() == [encode_exact(float(value), fmt, mode, saturate=sat)] * 3


@given(
    fmt=st.sampled_from(NARROW + SIXTEEN + CUSTOM[:3]),
    values=st.lists(st.floats(allow_nan=False, width=32), min_size=1, max_size=8),
    mode=st.sampled_from(MODES),
    sat=st.booleans(),
    src=st.sampled_from([np.float32, np.float64]),
)
def test_hypothesis_table_paths_match_oracle(fmt, values, mode, sat, src):
    """Arrays of >= 2048 elements take the table paths (built from the general path)."""
    x = np.resize(np.array(values, src), 4096)
    got = encode(x, fmt, rounding=mode, saturate=sat)
    want = [encode_exact(float(v), fmt, mode, saturate=sat) for v in values]
    assert got[: len(values)].tolist() == want
    assert_array_equal(got, np.resize(np.array(want), 4096))


@given(
    fmt=st.sampled_from(NARROW + SIXTEEN),
    bits=st.integers(0, 0xFFFF),
    mode=st.sampled_from(MODES),
    src=st.sampled_from([np.float16, ml_dtypes.bfloat16]),
)
def test_hypothesis_16bit_inputs_match_oracle(fmt, bits, mode, src):
    x = np.array([bits], np.uint16).view(src)
    with np.errstate(invalid="ignore"):  # signalling NaN patterns
        wide = x.astype(np.float64)
    if not fmt.has_nan and np.isnan(wide).any():
        return
    got = encode(x, fmt, rounding=mode).item()
    assert got == encode_exact(float(wide[0]), fmt, mode)


# ------------------------------------------------------------------ vs ml_dtypes
def _double_rounding_cases(fmt: Format) -> np.ndarray:
    """The format's boundary values, then :func:`_near_midpoints`."""
    return np.concatenate([boundary_values(fmt, include_specials=False), _near_midpoints(fmt)])


def _near_midpoints(fmt: Format) -> np.ndarray:
    """float64 values just beside each midpoint that float32 would round onto the midpoint."""
    codes = np.arange(fmt.code_count)
    vals = np.unique(np.abs(decode(codes, fmt, np.float64)))
    vals = vals[np.isfinite(vals)]
    mids = (vals[:-1] + vals[1:]) / 2
    mids = np.concatenate([mids, -mids])
    return np.concatenate([mids + np.abs(mids) * 2.0**-40, mids - np.abs(mids) * 2.0**-40])


@pytest.mark.parametrize("fmt", ML_NARROW, ids=ids)
def test_rne_matches_ml_dtypes_on_ten_million_values(fmt):
    from refmodel.selfcheck import sample_float32

    mtype = ml_dtypes_type(fmt)
    with np.errstate(over="ignore"):  # E8M0's boundaries reach beyond float32
        edges = boundary_values(fmt).astype(np.float32)
    x = np.concatenate([sample_float32(10_200_000, seed=7), edges])
    keep = ~rne_disagrees_with_ml_dtypes(x, fmt) & (fmt.has_nan | ~np.isnan(x))
    x = x[keep]
    assert x.size >= 10_000_000
    with np.errstate(all="ignore"):
        want = x.astype(mtype).view(np.uint8)
    assert_array_equal(encode(x, fmt), want)


@pytest.mark.parametrize("fmt", NARROW, ids=ids)
def test_float64_input_is_rounded_once(fmt):
    """Values just beside each midpoint, which a detour through float32 would put on the midpoint."""
    x = _double_rounding_cases(fmt)
    want = _oracle_codes(x, fmt)
    assert_array_equal(encode(x, fmt), want)
    near = _near_midpoints(fmt)
    assert near.size > 0
    # rounded through float32 first, most of them would come out differently: the cases are real
    wrong = encode(near.astype(np.float32), fmt) != _oracle_codes(near, fmt)
    assert wrong.sum() >= near.size // 4


@pytest.mark.parametrize("fmt", ML_NARROW, ids=ids)
def test_ml_dtypes_float64_double_rounding_is_a_fact_of_versions_before_0_7(fmt):
    """jax-ml/ml_dtypes#401: ml_dtypes <= 0.6 casts float64 through float32; 0.7 rounds once."""
    mtype = ml_dtypes_type(fmt)
    x = _double_rounding_cases(fmt)
    want = _oracle_codes(x, fmt)
    with np.errstate(all="ignore"):
        peer = x.astype(mtype).view(np.uint8)
    if ml_dtypes_double_rounds_float64():
        with np.errstate(all="ignore"):
            via32 = x.astype(np.float32).astype(mtype).view(np.uint8)
        assert_array_equal(peer, via32)
        assert (peer != want).sum() > 0
    else:
        assert_array_equal(peer, want)


def test_ml_dtypes_e8m0_subnormal_rounding_is_a_fact_of_versions_before_0_7():
    fmt = get_format("float8_e8m0fnu")
    x = np.array([1.2 * 2.0**-127, 1.4999 * 2.0**-127], np.float32)
    assert encode(x, fmt).tolist() == [0x00, 0x00] == [encode_exact(float(v), fmt) for v in x]
    peer = x.astype(ml_dtypes.float8_e8m0fnu).view(np.uint8).tolist()
    assert rne_disagrees_with_ml_dtypes(x, fmt).all() == ml_dtypes_e8m0_subnormal_rounds_up()
    assert peer == ([0x01, 0x01] if ml_dtypes_e8m0_subnormal_rounds_up() else [0x00, 0x00])


def test_peer_facts_name_the_versions():
    assert ml_dtypes_double_rounds_float64((0, 6, 0)) and ml_dtypes_double_rounds_float64((0, 5, 0))
    assert not ml_dtypes_double_rounds_float64((0, 7, 0))
    assert ml_dtypes_e8m0_subnormal_rounds_up((0, 6, 0)) and not ml_dtypes_e8m0_subnormal_rounds_up((0, 7, 1))
    assert ml_dtypes_version("0.7.0rc1") == (0, 7, 0) and ml_dtypes_version("1.0") == (1, 0, 0)


# ------------------------------------------------------------------ input types
def test_every_input_dtype_is_rounded_from_its_exact_value():
    fmt = get_format("float8_e4m3fn")
    values = np.array([0.3, -17.77, 448.0, 1e-3, 2.0**-10, 465.0])
    for dtype in (np.float16, ml_dtypes.bfloat16, np.float32, np.float64, ml_dtypes.float8_e5m2):
        x = values.astype(dtype)
        want = [encode_exact(float(v), fmt) for v in x.astype(np.float64)]
        assert encode(x, fmt).tolist() == want, dtype
    assert encode([1, -2, 3], fmt).tolist() == [0x38, 0xC0, 0x44]
    assert encode(0.5, fmt).shape == ()


def test_shapes_are_preserved():
    x = np.linspace(-3, 3, 24, dtype=np.float32).reshape(2, 3, 4)
    assert encode(x, "float8_e5m2").shape == (2, 3, 4)
    assert encode(x[:, ::2], "float8_e5m2").tolist() == encode(np.ascontiguousarray(x[:, ::2]), "float8_e5m2").tolist()
    assert encode(x, "bfloat16").dtype == np.uint16
    assert encode(x.astype(np.float64), "float32").dtype == np.uint32


@pytest.mark.parametrize("fmt", NARROW + CUSTOM, ids=ids)
def test_classify_agrees_with_the_oracle(fmt):
    from refmodel.codec import classify
    from refmodel.encodings import CodeClass

    for code, cls in enumerate(classify(np.arange(fmt.code_count), fmt).tolist()):
        ref = decode_exact(code, fmt)
        if ref.kind == "finite":
            if ref.magnitude == 0:
                want = CodeClass.ZERO
            elif ref.magnitude < fmt.min_normal:
                want = CodeClass.SUBNORMAL
            else:
                want = CodeClass.NORMAL
        else:
            want = CodeClass.INF if ref.kind == "inf" else CodeClass.NAN
        assert cls == want, hex(code)


# ------------------------------------------------------------ integer inputs, exactly
_INT_EDGES = [0, 1, -1, 2**53 - 1, 2**53, 2**53 + 1, 2**53 + 2, 2**53 + 3, -(2**53) - 1, 2**62 + 1, 2**63 - 1, -(2**63),
              -(2**63) + 1, 2**24 + 1, 2**24 + 3, -(2**24) - 1, 65519, 65520, 448, 464, 465, 2**127 >> 70]
_INT_TARGETS = ["float32", "bfloat16", "float16", "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e8m0fnu",
                "float8_e5m3fnu", "float4_e2m1fn"]
_INT_MODES = ["rne", "rtz", "rdn", "rup", "rmm", "rto"]


def _oracle_int(v: int, fmt: str, mode: str, **kw) -> int:
    from refmodel.oracle.codec import OracleValue, encode_exact

    return encode_exact(OracleValue(v < 0, "finite", Fraction(abs(v))), get_format(fmt), mode, **kw)


@pytest.mark.parametrize("fmt", _INT_TARGETS)
@pytest.mark.parametrize("mode", _INT_MODES)
def test_integer_inputs_exact_at_the_edges(fmt, mode):
    """int64 edges (2**53 + 1 rounded up by rup, 2**63 - 1, -2**63) and uint64 up to 2**64 - 1, against the oracle."""
    ints = np.array(_INT_EDGES, np.int64)
    got = encode(ints, fmt, rounding=mode).tolist()
    assert got == [_oracle_int(v, fmt, mode) for v in _INT_EDGES]
    uints = [2**63, 2**64 - 1, 2**64 - 2**40, 2**63 + 1, 5]
    got = encode(np.array(uints, np.uint64), fmt, rounding=mode).tolist()
    assert got == [_oracle_int(v, fmt, mode) for v in uints]


def test_integer_input_of_the_issue():
    """2**53 + 1 into float32 with rup is above 2**53 (it returned 2**53, below the input)."""
    for mode, want in [("rup", 0x5A000001), ("rto", 0x5A000001), ("rtz", 0x5A000000), ("rne", 0x5A000000)]:
        assert encode(np.array([2**53 + 1], np.int64), "float32", rounding=mode).item() == want


@given(v=st.integers(-(2**63), 2**63 - 1), fmt=st.sampled_from(_INT_TARGETS), mode=st.sampled_from(_INT_MODES + ["sr"]),
       r=st.integers(0, 2**12 - 1), sat=st.booleans())
def test_integer_inputs_against_oracle(v, fmt, mode, r, sat):
    kw = {"sr_bits": 12, "rand": r} if mode == "sr" else {}
    got = encode(np.array([v], np.int64), fmt, rounding=mode, saturate=sat, **kw).item()
    assert got == _oracle_int(v, fmt, mode, saturate=sat, **kw)


def test_integers_not_exact_in_float64_are_named_where_float64_is_used():
    """mx.quantize reads integers through float64: 2**53 + 1 is refused by name, 2**53 + 2 (exact) accepted."""
    from refmodel.codec import as_float_array

    assert as_float_array(np.array([2**53 + 2, -(2**63)], np.int64)).tolist() == [2.0**53 + 2, -(2.0**63)]
    with pytest.raises(ValueError, match=r"integer input 9007199254740993 at index \(1,\) is not exact in float64"):
        as_float_array(np.array([0, 2**53 + 1], np.int64))
    with pytest.raises(ValueError, match=r"18446744073709551615"):
        as_float_array(np.array([2**64 - 1], np.uint64))


def test_sr_of_negative_float32_subnormals_into_unsigned_formats_is_nan():
    """The sr table path gave +0 for -1e-45 into UE5M3 in arrays of >= 2048 values (the general path: NaN)."""
    x = np.full(4096, -1e-45, np.float32)
    x[1::2] = np.float32(-(2.0**-140))
    got = encode(x, "float8_e5m3fnu", rounding="sr", sr_bits=1, rand=np.arange(4096) % 2)
    assert set(got.tolist()) == {0xFF}
    assert encode_exact(np.float32(-1e-45), "float8_e5m3fnu", "sr", sr_bits=1, rand=1) == 0xFF
