"""rtl/gemm_tile.v on Icarus through cocotb: whole GEMMs against refmodel.gemm, and the bench's own pieces.

Each gemm_tile case of the quick regression (``verif.regress.plan.GEMM_TILES``: the seven fp8_dpa units of
``DPA_UNITS`` as tiles of 1x4 ... 4x4, with their PIPE) runs here and must close its coverage; the slow
test runs the full level's (a 64x64x256 GEMM each, 128x128x256 for hopper-fp8).  Planted bugs (the
accumulator not fed back, flags not sticky, a step taken while one is in flight, a D row taken without
ready_i) must be caught.  The zero-padding rule of a short last step (``pads_exactly``) and the tiling are
checked against the model without a simulator.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from fp8kit import paths
from fp8kit.rtlspec.params import gemm_tile_rtl_params
from fp8kit.vectors.dpa import config
from refmodel.codec import encode
from refmodel.datapath import FusedDot
from refmodel.formats import get_format
from verif import coverage
from verif.common import SimFailure, run_sim
from verif.gemm_tile.jobs import GemmShape, TileConfig, expected, gemms, pads_exactly, random_gemm, tile_jobs
from verif.regress.plan import DPA_UNITS, plan

QUICK = {c.id: c for c in plan("quick") if c.op == "gemm_tile"}
FULL = {c.id: c for c in plan("full") if c.op == "gemm_tile"}


def _run(case, **kw):
    env = dict(case.env)
    result = run_sim("gemm_tile", case.tb_module, dict(case.params), extra_env=env, expected_tests=1, **kw)
    report = result.report
    assert report["mismatches"] == 0 and report["vectors"] > 0, report
    assert coverage.missed(report["bins"], report["hits"]) == []
    return report


@pytest.mark.rtl
@pytest.mark.parametrize("case_id", sorted(QUICK))
def test_gemm_tile(case_id):
    _run(QUICK[case_id])


@pytest.mark.rtl
@pytest.mark.slow
@pytest.mark.parametrize("case_id", sorted(FULL))
def test_gemm_tile_full(case_id):
    report = _run(FULL[case_id])
    assert report["vectors"] >= 64 * 64


PLANTED = {
    "accumulator_not_fed_back": (".c_i(acc_q),", ".c_i({C_W{1'b0}}),"),
    "flags_not_sticky": ("flags_d = flags_q | res_flags;", "flags_d = res_flags;"),
    "step_taken_in_flight": ("((phase_q == P_STEP) & ~busy_q)", "(phase_q == P_STEP)"),
    "row_taken_without_ready": ("wire d_go = valid_o & ready_i;", "wire d_go = valid_o;"),
}


@pytest.mark.rtl
@pytest.mark.parametrize("bug", sorted(PLANTED))
def test_planted_bug_is_caught(bug, tmp_path):
    """Each planted bug makes the bench report mismatches (wrong outputs or the documented timing)."""
    rtl = tmp_path / "rtl"
    shutil.copytree(paths.rtl_dir(), rtl)
    src = rtl / "gemm_tile.v"
    old, new = PLANTED[bug]
    text = src.read_text()
    assert text.count(old) == 1
    src.write_text(text.replace(old, new))
    unit, _ = DPA_UNITS["hopper-fp8-f16/e5m2-x-e5m2"]
    cfg = TileConfig(unit, 2, 2, 2, (GemmShape(4, 4, 3 * unit.lanes + 7), GemmShape(3, 3, 2 * unit.lanes, False)),
                     directed=False)
    with pytest.raises(SimFailure) as err:
        run_sim("gemm_tile", "verif.gemm_tile.tb_gemm_tile", cfg.rtl_params(), rtl_dir=rtl,
                extra_env={"FP8KIT_GEMM_TILE": cfg.to_json()}, expected_tests=1, build_dir=tmp_path / "build")
    report = err.value.result.report
    assert report["mismatches"] > 0, report


# ------------------------------------------------------------------ without a simulator

def _padded(unit, a, b, c, sa=None, sb=None):
    """The model on K zero-padded to a multiple of LANES (what the tile computes)."""
    k = a.shape[1]
    kp = -(-k // unit.lanes) * unit.lanes
    return expected(unit, np.pad(a, ((0, 0), (0, kp - k))), np.pad(b, ((0, kp - k), (0, 0))), c, sa, sb)


@pytest.mark.parametrize("name", list(DPA_UNITS))
def test_padding_is_exact_for_every_unit_of_the_plan(name):
    """Every regression unit pads exactly (zero_exp <= the accumulator's emin, or None); checked on
    random GEMMs and on the case the rule is about: a tiny live accumulator under tiny products."""
    unit, _ = DPA_UNITS[name]
    assert pads_exactly(unit)
    rng = np.random.default_rng(7)
    k = 2 * unit.lanes + 3
    g = random_gemm(unit, GemmShape(9, 7, k), rng, "padding")
    d, f = _padded(unit, g.a, g.b, g.c, g.scale_a, g.scale_b)
    np.testing.assert_array_equal(d, g.d)
    np.testing.assert_array_equal(f, g.flags)
    fc = unit.acc
    a = np.full((2, k), 1, np.int64)  # the smallest subnormal elements (or the min normal)
    b = np.full((k, 2), 1, np.int64)
    c = np.array([[1, 1 | fc.sign_mask], [1 << fc.man_bits, 0]], np.int64)  # subnormal, min normal and zero C
    sa = np.full((2, 3), 127) if unit.scaled else None
    sb = np.full((3, 2), 127) if unit.scaled else None
    want = expected(unit, a, b, c, sa, sb)
    got = _padded(unit, a, b, c, sa, sb)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])


def test_padding_is_not_exact_above_the_accumulators_emin():
    """zero_exp above the accumulator's emin: the padded lanes raise the largest exponent over a live C
    and truncate a product the short step keeps; the bench refuses such a K."""
    step = FusedDot(lanes=4, frac_bits=5, step_fmt="float16", rounding="rne", zero_exp=-5, nan="canonical")
    unit = config(step, "float8_e4m3fn", "float8_e4m3fn", "float16")
    assert not pads_exactly(unit)
    f8, f16 = get_format("float8_e4m3fn"), get_format("float16")
    a = encode(np.array([[2.0**-6]]), f8).astype(np.int64)  # the product 2**-12
    b = a.T.copy()
    c = encode(np.array([[2.0**-10]]), f16).astype(np.int64)  # live, below 2**zero_exp
    short, short_flags = expected(unit, a, b, c)
    padded, padded_flags = _padded(unit, a, b, c)
    assert int(short[0, 0]) == int(encode(np.array([2.0**-10 + 2.0**-12]), f16)[0]) and int(short_flags[0, 0]) == 0
    assert int(padded[0, 0]) == int(c[0, 0]) and int(padded_flags[0, 0]) != 0  # truncated away, NX
    cfg = TileConfig(unit, 2, 2, 0, (GemmShape(2, 2, 5),))
    with pytest.raises(ValueError, match="K is not a multiple of LANES=4, and zero padding is not exact"):
        cfg.check()
    TileConfig(unit, 2, 2, 0, (GemmShape(2, 2, 8),)).check()


def test_tile_jobs_carry_the_whole_gemm():
    """The words of every tile job unpack to the padded GEMM; every output is compared exactly once."""
    unit, pipe = DPA_UNITS["blackwell-mxfp8/mxfp8_e4m3-x-mxfp8_e5m2"]
    cfg = TileConfig(unit, 3, 2, pipe, (GemmShape(7, 5, 2 * unit.lanes + 9, False),), directed=False)
    (g,) = gemms(cfg, 3)
    jobs = tile_jobs(cfg, g, 0)
    lanes, wa, wb = unit.lanes, unit.element("a").bits, unit.element("b").bits
    assert len(jobs) == 3 * 3 and all(len(j.steps) == 3 and j.short and j.c_rows is None for j in jobs)
    seen = np.zeros(g.d.shape, int)
    for job in jobs:
        for s, (aw, bw, saw, sbw) in enumerate(job.steps):
            for i in range(cfg.rows):
                for k in range(lanes):
                    r, col = job.r0 + i, s * lanes + k
                    want = g.a[r, col] if r < 7 and col < g.a.shape[1] else 0
                    assert (aw >> ((i * lanes + k) * wa)) & ((1 << wa) - 1) == want
                want_s = g.scale_a[job.r0 + i, s] if job.r0 + i < 7 else 127
                assert (saw >> (8 * i)) & 0xFF == want_s
            for j in range(cfg.cols):
                col = job.c0 + j
                for k in range(lanes):
                    row = s * lanes + k
                    want = g.b[row, col] if col < 5 and row < g.b.shape[0] else 0
                    assert (bw >> ((j * lanes + k) * wb)) & ((1 << wb) - 1) == want
                assert (sbw >> (8 * j)) & 0xFF == (g.scale_b[s, col] if col < 5 else 127)
        rr, cc = np.nonzero(job.live)
        seen[job.r0 + rr, job.c0 + cc] += 1
        np.testing.assert_array_equal(job.d[job.live], g.d[job.r0 + rr, job.c0 + cc])
    assert (seen == 1).all()


def test_config_round_trip_and_refusals():
    unit, pipe = DPA_UNITS["l8-f10-rtz/e3m2fn-x-e2m3fn/bfloat16"]
    cfg = TileConfig(unit, 1, 4, pipe, (GemmShape(3, 5, 20), GemmShape(2, 2, 8, False)), bubble=0, stall=50)
    back = TileConfig.from_json(cfg.to_json())
    assert back == cfg and back.rtl_params() == {"ROWS": 1, "COLS": 4, **unit.rtl_params(pipe)}
    assert gemm_tile_rtl_params(unit, 1, 4, pipe) == back.rtl_params()
    with pytest.raises(ValueError, match=r"gemm_tile rejects ROWS=0; allowed: 1\.\.\.64"):
        gemm_tile_rtl_params(unit, 0, 4)
    with pytest.raises(ValueError, match=r"PIPE=3; allowed: 0, 1 or 2"):
        gemm_tile_rtl_params(unit, 2, 2, 3)
    with pytest.raises(ValueError, match=r"every dimension must be >= 1"):
        TileConfig(unit, 2, 2, 0, (GemmShape(0, 2, 8),)).check()
    with pytest.raises(ValueError, match=r"stall=100; allowed: 0\.\.\.99 percent"):
        TileConfig(unit, 2, 2, 0, (), stall=100).check()
    bins = coverage.defined("gemm_tile", config=cfg)
    assert {"steps:2-7", "steps:short", "c:loaded", "c:zero", "tile:partial", "drain:stall", "input:wait"} <= bins
    assert "input:bubble" not in bins and "drain:burst" not in bins  # no bubbles; ROWS = 1
