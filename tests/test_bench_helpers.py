"""The helpers the cocotb benches share: fp8kit.vectors.fma's bench stimulus and verif.common.tb's settings."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from refmodel import arith, decode
from refmodel.codec import classify
from refmodel.encodings import CodeClass, RoundingMode
from refmodel.formats import get_format, registered_formats
from fp8kit.vectors import fma
from fp8kit.vectors.codes import format_classes
from verif import coverage
from verif.common import tb


def test_format_classes_are_the_classes_of_the_codes():
    """One ``format_classes`` (the coverage model reads the vectors' one), equal to the classes the codes of
    each RTL operand format have."""
    from fp8kit.rtlspec.params import is_rtl_operand

    assert coverage.format_classes is format_classes
    for f in registered_formats():
        if f.bits <= 16 and is_rtl_operand(f):
            have = {CodeClass(int(c)) for c in np.unique(classify(np.arange(1 << f.bits), f))}
            assert set(format_classes(f)) == have, f.name


@pytest.mark.parametrize("fa, fb, fc", [("float8_e4m3fn", "float8_e5m2", "float32"),
                                        ("float8_e5m2fnuz", "float6_e2m3fn", "bfloat16")])
def test_directed_cases_hold_every_class_triple_in_every_mode(fa, fb, fc):
    fa, fb, fc = get_format(fa), get_format(fb), get_format(fc)
    modes = np.array([0, 5])
    acc, a, b, rm, rand, sat = fma.directed(fa, fb, fc, modes, 12, np.random.default_rng(1))
    assert len({x.size for x in (acc, a, b, rm, rand, sat)}) == 1
    assert rand.max() < 1 << 12 and set(sat.tolist()) == {0, 1}
    for m in modes:
        k = rm == m
        seen = set(zip(classify(a[k], fa).tolist(), classify(b[k], fb).tolist(), classify(acc[k], fc).tolist()))
        want = set(itertools.product(*(map(int, format_classes(f)) for f in (fa, fb, fc))))
        assert want <= seen, sorted(want - seen)


def test_directed_sr_words_sit_on_the_rounding_boundary():
    """Every inexact sr case gets r = 2**R - t (rounds away) or one less (rounds toward), alternately."""
    fa = fb = get_format("float8_e4m3fn")
    fc = get_format("bfloat16")
    acc, a, b, rm, rand, sat = fma.directed(fa, fb, fc, np.array([5]), 8, np.random.default_rng(2))

    def fma_sr(r):
        out = np.empty(acc.size, np.int64)
        for s in (0, 1):
            k = sat == s
            out[k] = arith.fma(acc[k], a[k], b[k], fmt_a=fa, fmt_b=fb, acc_fmt=fc, rounding=5, sr_bits=8,
                               rand=r[k], saturate=bool(s))[0]
        return out

    toward = fma_sr(np.zeros(acc.size, np.int64))
    inexact = fma_sr(np.full(acc.size, 255)) != toward
    away = fma_sr(rand) != toward
    assert inexact.sum() > 100
    # on the boundary: one step of r flips the rounding
    step = np.clip(np.where(away, rand - 1, rand + 1), 0, 255)
    np.testing.assert_array_equal(fma_sr(step)[inexact] != toward[inexact],
                                  ~away[inexact])
    assert 0.4 < away[inexact].mean() < 0.6


def test_bench_cases_are_directed_then_random_from_one_generator():
    fa = fb = get_format("float8_e4m3fn")
    fc = get_format("float16")
    modes = np.array([0, 1])
    got = fma.bench_cases(fa, fb, fc, modes, 16, 100, np.random.default_rng(5))
    rng = np.random.default_rng(5)
    d = fma.directed(fa, fb, fc, modes, 16, rng)
    s = fma.stimulus(fa, fb, fc, modes, 16, 100, rng)
    for x, y, z in zip(got, d, s):
        np.testing.assert_array_equal(x, np.concatenate([y, z]))
    assert got[0].size == d[0].size + 100
    np.testing.assert_array_equal(s[1], np.arange(100))  # operand a runs through its codes first


def test_env_format_and_modes(monkeypatch):
    monkeypatch.setenv("FP8KIT_FMT_A", "float8_e5m2")
    assert tb.env_format("FP8KIT_FMT_A") is get_format("float8_e5m2")
    monkeypatch.delenv("FP8KIT_ACC", raising=False)
    with pytest.raises(AssertionError, match="FP8KIT_ACC is not set"):
        tb.env_format("FP8KIT_ACC")
    monkeypatch.setenv("FP8KIT_FMT_B", "float8_nope")
    with pytest.raises(ValueError, match="float8_nope"):
        tb.env_format("FP8KIT_FMT_B")
    monkeypatch.delenv("FP8KIT_MODES", raising=False)
    assert tb.env_modes().tolist() == [int(m) for m in RoundingMode]
    assert tb.env_modes([RoundingMode.RNE, RoundingMode.SR]).tolist() == [0, 5]
    monkeypatch.setenv("FP8KIT_MODES", "5,0")
    assert tb.env_modes([1]).tolist() == [5, 0]


def test_mac_bench_streams_hold_the_promised_specials():
    """fp8kit.vectors.mac.bench_streams: one (rm, sat) stream per mode and saturation, a zero first
    product, the saturating stream ending in a quiet NaN multiplicand, the other in 0 * Inf; seeded."""
    from fp8kit.vectors.mac import bench_streams

    fa, fb = get_format("float8_e4m3fn"), get_format("float8_e5m2")
    streams = bench_streams(fa, fb, [0, 5], 50, np.random.default_rng(3))
    assert [(rm, sat) for rm, sat, *_ in streams] == [(0, 0), (0, 1), (5, 0), (5, 1)]
    for rm, sat, a, b in streams:
        assert a.shape == b.shape == (50,) and a[0] == 0
        assert (b[-1] == fb.nan_code(False)) if sat else (a[-1] == 0 and b[-1] == fb.inf_codes[0])
        assert np.isfinite(decode(a, fa)).all()
    again = bench_streams(fa, fb, [0, 5], 50, np.random.default_rng(3))
    assert all(np.array_equal(x[2], y[2]) and np.array_equal(x[3], y[3]) for x, y in zip(streams, again))


def test_int8_bench_streams_are_the_head_of_the_vector_files_level1():
    """The int8_mac bench drives level1_streams(long=False): exactly the first streams of the vector
    file's level 1 (every edge pair alone, wrapping then saturating), the long ones left out."""
    from fp8kit.vectors.int8_mac import level1_streams

    rows, ids, sats = level1_streams(long=False)
    full_rows, full_ids, full_sats = level1_streams()
    assert sats.size == 98 and np.array_equal(sats, np.repeat([0, 1], 49))
    assert np.array_equal(full_rows[:len(rows)], rows) and np.array_equal(full_ids[:len(ids)], ids)
    assert np.array_equal(full_sats[:sats.size], sats) and full_sats.size == sats.size + 17
    assert (rows[:, 2] == 1).all() and {int(x) for x in rows[:, 0]} == {-128, -127, -1, 0, 1, 126, 127}
