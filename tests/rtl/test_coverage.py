"""verif.coverage: the fma bins a configuration defines are exactly reachable (docs/verification.md).

Tiny configurations are run on every input (acc x a x b, sat 0/1, sr with r = 0 and the largest r)
through the model, so every defined bin must be hit: a bin that no input can reach would keep a
whole-level regression from ever closing.
"""

from __future__ import annotations

import numpy as np
import pytest

from refmodel import arith, get_format
from refmodel.encodings import RoundingMode
from refmodel.formats import Format
from verif import coverage

E3M2_IEEE = Format.custom(3, 2, name="e3m2_ieee_acc")  # subnormal step 2**-4
SR_BITS = 4


def _exhaustive_hits(fa: Format, fb: Format, fc: Format, mode: RoundingMode) -> dict[str, int]:
    acc, a, b = (x.reshape(-1) for x in np.meshgrid(np.arange(fc.code_count), np.arange(fa.code_count),
                                                     np.arange(fb.code_count), indexing="ij"))
    words = [0, (1 << SR_BITS) - 1] if mode is RoundingMode.SR else [0]
    runs = []
    for sat in (0, 1):
        for r in words:
            rand = np.full(acc.size, r, np.int64)
            kw = {"sr_bits": SR_BITS, "rand": rand} if mode is RoundingMode.SR else {}
            res, flags = arith.fma(acc, a, b, fmt_a=fa, fmt_b=fb, acc_fmt=fc, rounding=mode, saturate=bool(sat), **kw)
            runs.append(((), coverage.sample_fma(acc, a, b, np.full(acc.size, int(mode)), np.full(acc.size, sat),
                                                 rand, res, flags, fmt_a=fa, fmt_b=fb, acc_fmt=fc,
                                                 sr_bits=SR_BITS)))
    return coverage.merge(runs)[1]


# products one binade finer than the accumulator's subnormal step (rmm cannot round one to zero),
# and three binades finer (every mode but rto can)
CONFIGS = [("float6_e3m2fn", "float4_e2m1fn"), ("float6_e3m2fn", "float6_e2m3fn")]


@pytest.mark.parametrize("mode", list(RoundingMode), ids=lambda m: m.label)
@pytest.mark.parametrize("fmt_a, fmt_b", CONFIGS, ids=[f"{a}x{b}" for a, b in CONFIGS])
def test_every_defined_fma_bin_is_reachable(fmt_a, fmt_b, mode):
    fa, fb = get_format(fmt_a), get_format(fmt_b)
    bins = coverage.defined("fma", fmt_a=fa, fmt_b=fb, acc=E3M2_IEEE, modes=[int(mode)])
    assert coverage.missed(bins, _exhaustive_hits(fa, fb, E3M2_IEEE, mode)) == []


@pytest.mark.parametrize("mode, reachable", [("rne", True), ("rtz", True), ("rdn", True), ("rup", True),
                                             ("rmm", False), ("sr", True), ("rto", False)])
def test_underflow_to_zero_follows_the_rounding_mode(mode, reachable):
    """The issue's case: e4m3fn x e5m2 into float16 under rto reported 124/125 for ever; rmm cannot
    reach it either (the smallest product, 2**-25, is half the subnormal step and rounds away)."""
    bins = coverage.defined("fma", fmt_a="float8_e4m3fn", fmt_b="float8_e5m2", acc="float16",
                            modes=[int(RoundingMode[mode.upper()])])
    assert ("edge:underflow_to_zero" in bins) is reachable
    assert "flags:rm=" + mode + ",UF" in bins  # a tiny inexact result exists in every mode


def test_underflow_to_zero_needs_half_the_step_under_rmm():
    one_binade = coverage.defined("fma", fmt_a="float6_e3m2fn", fmt_b="float4_e2m1fn", acc=E3M2_IEEE,
                                  modes=[int(RoundingMode.RMM)])
    three = coverage.defined("fma", fmt_a="float6_e3m2fn", fmt_b="float6_e2m3fn", acc=E3M2_IEEE,
                             modes=[int(RoundingMode.RMM)])
    assert "edge:underflow_to_zero" not in one_binade and "edge:underflow_to_zero" in three


def test_nan_codes_split_by_the_quiet_bit():
    e5m2 = get_format("float8_e5m2")
    assert coverage.nan_codes(e5m2, True).tolist() == [0x7D, 0xFD]
    assert coverage.nan_codes(e5m2, False).tolist() == [0x7E, 0x7F, 0xFE, 0xFF]
    assert coverage.nan_codes(get_format("float8_e4m3fn"), True).size == 0
    f32 = get_format("float32")
    assert set(coverage.nan_codes(f32, True).tolist()) >= {0x7F800001, 0xFF800001}
