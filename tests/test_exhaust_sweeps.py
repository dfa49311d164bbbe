"""fp8kit exhaust: bounded slices of every sweep, and proof that a wrong result cannot pass.

The model-side slices (encode, sr) run in the default suite; the RTL slices build the Verilator
C++ harness (marker ``lint``: needs Verilator and g++) and run one chunk of each op through it.
The full sweeps are the nightly level (docs/verification.md).
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import shutil
import signal

import numpy as np
import pytest

from fp8kit.cli import main
from refmodel.encodings import RoundingMode
from refmodel.formats import get_format
from verif.exhaust import model
from fp8kit.cli.exhaust import build_sweeps
from verif.exhaust.model import EncodeSweep, SrSweep
from verif.exhaust.rtl import DPA_SCALE_PAIRS, DpaLaneSweep
from verif.exhaust.sweep import _worker_pool, parse_shard, run_one, run_sweep

E4M3 = get_format("float8_e4m3fn")


# ------------------------------------------------------------------------------ encode
@pytest.mark.parametrize("mode", ["rne", "rtz", "rup", "rto"])
@pytest.mark.parametrize("start", [0x3F800000, 0x7F700000, 0xC3E00000, 0xFFF00000])
def test_encode_slice_has_no_mismatch(mode, start):
    n, bad = EncodeSweep(E4M3, RoundingMode[mode.upper()], False).check(start, 1 << 20)
    assert (n, bad) == (1 << 20, [])


def test_encode_slice_saturating_fnuz():
    n, bad = EncodeSweep(get_format("float8_e5m2fnuz"), RoundingMode.RDN, True).check(0xC7000000, 1 << 20)
    assert (n, bad) == (1 << 20, [])


def _corrupt(monkeypatch, predicate):
    """Make the fast path return code ^ 1 wherever ``predicate(x, kwargs)`` holds."""
    real = model.encode

    def wrong(x, fmt, **kw):
        codes = real(x, fmt, **kw)
        hit = predicate(np.asarray(x), kw)
        codes[hit] ^= 1
        return codes

    monkeypatch.setattr(model, "encode", wrong)


def test_encode_catches_one_wrong_code_inside_a_run(monkeypatch):
    bad_bits = 0x3F812345  # inside the run of 1.0's code under rne
    _corrupt(monkeypatch, lambda x, kw: x.view(np.uint32) == bad_bits)
    _, bad = EncodeSweep(E4M3, RoundingMode.RNE, False).check(0x3F800000, 1 << 20)
    assert [m.index for m in bad] == [bad_bits]
    assert bad[0].got == bad[0].want ^ 1


# ---------------------------------------------------------------------------------- sr
def test_sr_float16_slice_has_no_mismatch():
    n, bad = SrSweep(E4M3, False).check(0x3C00 << 8, 1 << 16)  # float16 1.0 upwards, every word
    assert (n, bad) == (1 << 16, [])


def test_sr_catches_one_wrong_word(monkeypatch):
    # float16 0x3C01 (1 + 2**-10) with r = 200: t = 2, so t + r < 256 rounds down; flip it
    def hit(x, kw):
        r = np.broadcast_to(np.asarray(kw.get("rand", 0)), x.shape)
        return (x.astype(np.float32).view(np.uint32) == np.float32(1 + 2**-10).view(np.uint32)) & (r == 200)

    _corrupt(monkeypatch, hit)
    index = (0x3C01 << 8) | 200
    _, bad = SrSweep(E4M3, False).check(0x3C00 << 8, 1 << 12)
    assert [m.index for m in bad] == [index]


def test_sr_t_matches_the_definition():
    x = np.array([1 + 2**-10, 1 + 2**-4 + 2**-6, 3.0, 2.0**-9 * 1.5], np.float32)
    # e4m3fn: quantum 2**-3 at 1..2, 2**-2 at 2..4, 2**-9 (subnormal) below 2**-6
    want = [2, 160, 0, 128]
    assert model._sr_t(x, E4M3).tolist() == want


# ------------------------------------------------------------------------- driver
@dataclasses.dataclass(frozen=True)
class _CountSweep:
    """A stand-in sweep of 10 chunks of 8 vectors; index 42 is a mismatch."""

    op = "count"
    key = "count"
    args = "--op count"
    size = 80
    chunk = 8

    def check(self, start, count):
        return count, [model.Mismatch(42, 1, 0)] if start <= 42 < start + count else []

    def describe(self, index):
        return f"index {index}"


def test_shards_partition_and_resume(tmp_path):
    s = _CountSweep()
    first = run_sweep(s, tmp_path, shard=(2, 3), jobs=1, max_chunks=2, quiet=True)
    assert (first.vectors, first.chunks_done, first.chunks_total) == (16, 2, 3)  # chunks 1, 4 of 1, 4, 7
    done = run_sweep(s, tmp_path, shard=(2, 3), jobs=1, resume=True, quiet=True)
    assert (done.vectors, done.chunks_done, done.mismatches) == (24, 3, 0)
    other = run_sweep(s, tmp_path / "b", shard=(3, 3), jobs=1, quiet=True)  # chunks 2, 5, 8: index 42 is in 5
    assert other.mismatches == 1
    ckpt = json.loads((tmp_path / "b" / "count.shard3of3.json").read_text())
    assert ckpt["done"] == [2, 5, 8]
    assert ckpt["examples"][0]["repro"] == "fp8kit exhaust --op count --only-index 42"
    path = tmp_path / "count.shard2of3.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "chunk": 16}))
    with pytest.raises(ValueError, match="another sweep or shard"):
        run_sweep(s, tmp_path, shard=(2, 3), jobs=1, resume=True, quiet=True)


def _worker_signals():
    return signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)


def test_pool_workers_die_of_sigterm_without_python_and_leave_nothing_behind(tmp_path):
    """The parent's Python SIGTERM handler (the CLI's) must not reach the workers, and a finished sweep
    leaves no worker alive: ten back-to-back two-worker sweeps (the nightly level hung between two)."""
    previous = signal.signal(signal.SIGTERM, lambda *_: None)
    try:
        with _worker_pool(2) as pool:
            assert pool.apply(_worker_signals) == (signal.SIG_IGN, signal.SIG_DFL)
        for i in range(10):
            res = run_sweep(_CountSweep(), tmp_path / str(i), jobs=2, quiet=True)
            assert (res.vectors, res.mismatches) == (80, 1)
            assert multiprocessing.active_children() == []
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_pool_is_terminated_when_the_block_fails():
    with pytest.raises(RuntimeError, match="boom"):
        with _worker_pool(2) as pool:
            workers = list(pool._pool)
            raise RuntimeError("boom")
    assert all(w.exitcode is not None for w in workers)


@pytest.mark.parametrize("text", ["0/2", "3/2", "1", "a/b"])
def test_bad_shard(text):
    with pytest.raises(ValueError, match="--shard"):
        parse_shard(text)


@pytest.mark.parametrize("op,config,match", [
    ("fma", "float8_e4m3fn,e5m7", "A,B,ACC"),
    ("fma", "float8_e4m3fn,float8_e4m3fn,float32", "2\\*\\*40"),
    ("mul", "float8_e8m0fnu,float8_e4m3fn", "cannot be a multiplier operand"),
    ("encode", "nosuch", "unknown format"),
    ("int8_mac", "int4", "int8"),
    ("mx_lane", "mxfp9", "MX"),
    ("divide", "x", "unknown op"),
])
def test_bad_configs(op, config, match):
    with pytest.raises(ValueError, match=match):
        build_sweeps(op, config)


def test_encode_refuses_sr():
    with pytest.raises(ValueError, match="--op sr"):
        build_sweeps("encode", "float8_e4m3fn", "sr")


def test_cli_encode_slice(tmp_path, capsys):
    rc = main(["exhaust", "--op", "encode", "--config", "float8_e5m2", "--rounding", "rmm", "--sat", "1",
               "--max-chunks", "1", "--out", str(tmp_path)])
    assert rc == 0
    rows = json.loads((tmp_path / "summary.json").read_text())
    assert rows[0]["vectors"] == 1 << 24 and rows[0]["mismatches"] == 0
    assert "0 mismatches" in capsys.readouterr().out


def test_cli_only_index_model(capsys):
    rc = main(["exhaust", "--op", "encode", "--config", "float8_e4m3fn", "--rounding", "rne", "--sat", "0",
               "--only-index", str(0x43E00000)])
    assert rc == 0 and '"ok": true' in capsys.readouterr().out


# ------------------------------------------------------------------------------- RTL
HAVE_TOOLS = shutil.which("g++") is not None


@pytest.mark.parametrize("op,config,rounding", [
    ("mul", "float8_e4m3fn,float8_e5m2", "all"),
    ("mul", "float6_e3m2fn,float4_e2m1fn", "all"),
    ("fma", "float8_e4m3fn,float8_e4m3fn,e5m7", "rne"),
    ("fma", "float8_e5m2,float8_e5m2,e5m7", "sr"),
    ("int8_mac", "int8", "all"),
    ("mx_lane", "mxfp4_e2m1", "all"),
])
@pytest.mark.lint
@pytest.mark.skipif(not HAVE_TOOLS, reason="needs g++ and Verilator")
def test_rtl_slice_through_the_harness(tmp_path, op, config, rounding):
    for sweep in build_sweeps(op, config, rounding, "1"):
        res = run_sweep(sweep, tmp_path, jobs=1, max_chunks=1, quiet=True, shard=(1, 7))
        assert res.vectors == min(sweep.chunk, sweep.size) and res.mismatches == 0, res.examples[:3]


def _wrong(base):
    """A sweep class whose expected stream is off by one bit at every 4099th vector."""

    @dataclasses.dataclass(frozen=True)
    class Wrong(base):
        def expected(self, start, count):
            want = super().expected(start, count)
            want[(np.arange(start, start + count) % 4099) == 0] ^= np.uint64(1)
            return want

    Wrong.__qualname__ = Wrong.__name__ = f"Wrong{base.__name__}"
    globals()[Wrong.__name__] = Wrong  # picklable for the worker processes
    return Wrong


@pytest.mark.lint
@pytest.mark.skipif(not HAVE_TOOLS, reason="needs g++ and Verilator")
def test_rtl_harness_reports_a_wrong_stream(tmp_path):
    from verif.exhaust.rtl import FmaSweep

    good = build_sweeps("fma", "float8_e4m3fn,float8_e4m3fn,e5m7", "rtz", "0")[0]
    bad = _wrong(FmaSweep)(**{f.name: getattr(good, f.name) for f in dataclasses.fields(good)})
    res = run_sweep(bad, tmp_path, jobs=1, max_chunks=1, quiet=True)
    assert res.mismatches == -(-good.chunk // 4099)
    first = res.examples[0]
    assert first["index"] == 0 and "--only-index 0" in first["repro"]
    assert run_one(good, 0)["ok"] and not run_one(bad, 0)["ok"]


def test_levels_list(capsys):
    assert main(["exhaust", "--level", "ci", "--list"]) == 0
    ci = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0].split("-")[0] for line in ci] == ["encode", "sr", "mul", "fma", "fma", "int8_mac", "mx_lane",
                                                                 "dpa_lane"]
    assert main(["exhaust", "--level", "nightly", "--list"]) == 0
    nightly = capsys.readouterr().out
    assert "encode-float8_e8m0fnu-rto-sat1" in nightly and "mul-float8_e3m4-float8_e5m2fnuz" in nightly
    assert "fma-float8_e5m2-float8_e5m2-e5m7-sr-sat1-r8-step64: 2,147,483,648 vectors" in nightly
    assert "dpa_lane-fp6: 201,129,984 vectors in 48 chunks" in nightly and "dpa_lane-mxfp6-x-mxfp4" in nightly
    assert main(["exhaust", "--level", "ci", "--op", "mul"]) == 2
    assert "fp8kit: error: --level runs a preset list" in capsys.readouterr().err


def test_harness_cache_key_covers_the_include_files(tmp_path, monkeypatch):
    """An edit to a shared `include leaf alone (rtl/include/fp8kit_class.vh) must rebuild the harness."""
    from verif.exhaust import rtl as exhaust_rtl

    inc = tmp_path / "include"
    inc.mkdir()
    (inc / "leaf.vh").write_text("`define X 1\n")
    monkeypatch.setattr(exhaust_rtl, "include_dirs", lambda: [inc])
    before = exhaust_rtl.harness_tag(["verilator"], "fp8_mul", {"A_EXP_W": 4}, {})
    assert exhaust_rtl.harness_tag(["verilator"], "fp8_mul", {"A_EXP_W": 4}, {}) == before
    (inc / "leaf.vh").write_text("`define X 2\n")
    assert exhaust_rtl.harness_tag(["verilator"], "fp8_mul", {"A_EXP_W": 4}, {}) != before


def test_mul_all_sweeps_every_pair_of_8_bit_rtl_operands():
    """``--op mul --config all``: every ordered pair of registered 8-bit formats fp8_mul takes (the unsigned
    UE5M3 is not an fp8_mul operand), each pair's parameters legal for the RTL."""
    from refmodel import registered_formats
    from fp8kit.rtlspec.params import is_rtl_operand, mul_rtl_params

    sweeps = build_sweeps("mul", "all")
    names = {f.name for f in registered_formats() if f.bits == 8 and is_rtl_operand(f)}
    assert "float8_e5m3fnu" not in names and {"float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz"} <= names
    assert len(sweeps) == len(names) ** 2 == 49
    for s in sweeps:
        mul_rtl_params(s.fa, s.fb)


# -------------------------------------------------------------------------- dpa_lane
def _dpa_inputs(sweep, index):
    """The step inputs of one dpa_lane index: (A codes, B codes per lane, C code, scale_a, scale_b)."""
    from verif.exhaust.rtl import dpa_backgrounds

    out = int(sweep.outer[index >> sweep.inner_bits])
    inner = index & ((1 << sweep.inner_bits) - 1)
    _, bg_a, bg_b = dpa_backgrounds(sweep.unit)[(out >> 40) & 0xFF]
    a, b = bg_a.copy(), bg_b.copy()
    lane = (out >> 32) & 0xFF
    a[lane], b[lane] = inner >> sweep.wb, inner & ((1 << sweep.wb) - 1)
    return a, b, out & 0xFFFFFFFF, out >> 56, (out >> 48) & 0xFF


def test_dpa_lane_layout():
    """The units, their sizes, every lane of a narrow unit, the boundary accumulators and the backgrounds."""
    from verif.exhaust.rtl import dpa_backgrounds, dpa_boundary_accumulators, dpa_lane_positions

    sweeps = {s.name: s for s in build_sweeps("dpa_lane", "all")}
    assert list(sweeps) == ["fp4", "fp6", "fp6-e2m3", "fp6-e3m2", "fp4-f24", "mxfp6-x-mxfp4"]
    fp4, fp6, mx = sweeps["fp4"], sweeps["fp6"], sweeps["mxfp6-x-mxfp4"]
    assert (fp4.unit.element("a").name, fp4.unit.lanes, fp4.unit.acc_fmt) == ("float4_e2m1fn", 4, "float16")
    assert (fp6.unit.element("a").name, fp6.unit.element("b").name) == ("float6_e3m2fn", "float6_e2m3fn")
    # float16: 31 exponent fields x 4 mantissas x 2 signs, +-Inf, +-quiet NaN, +-signalling NaN
    acc = dpa_boundary_accumulators(get_format("float16"), 10)
    assert acc.size == 31 * 4 * 2 + 6 and {0x0000, 0x8000, 0x0001, 0x03FF, 0x7BFF, 0x7C00, 0x7E00, 0x7C01} <= set(acc)
    # a 13-bit step in float32 adds the step's round bit and LSB (bits 9 and 10)
    assert {0x3F800200, 0x3F800400} <= set(dpa_boundary_accumulators(get_format("float32"), 13))
    assert fp4.size == 256 * 4 * 254 * 3 and fp6.size == 4096 * 8 * 2046 * 3
    assert mx.unit.scaled and mx.size == 64 * 16 * 3 * 2046 * 3 * len(DPA_SCALE_PAIRS)  # 3 lanes, 7 scale pairs
    assert fp4.scale_pairs == ((127, 127),) and (0, 0) in mx.scale_pairs and (255, 127) in mx.scale_pairs
    assert dpa_lane_positions(8) == tuple(range(8)) and dpa_lane_positions(32) == (0, 1, 30, 31)
    zero, spread, top = dpa_backgrounds(fp4.unit)
    assert zero[0] == "zero" and not zero[1].any() and not zero[2].any()
    assert spread[1].tolist() == [0x1, 0x3, 0x5, 0x7] and spread[2].tolist() == [0x2, 0xA, 0x2, 0xA]  # 0.5 ... 6 x +-1
    assert top[1].tolist() == top[2].tolist() == [0x7] * 4  # 6 x 6 in every lane
    a, b, c, sa, sb = _dpa_inputs(fp6, fp6.size - 1)  # the last index: top background, lane 7, the last accumulator
    assert a[7] == 63 and b[7] == 63 and a[0] == 0x1F and c == int(fp6.accumulators[-1]) and (sa, sb) == (127, 127)
    assert "lane 7" in fp6.describe(fp6.size - 1) and "background top" in fp6.describe(fp6.size - 1)
    assert _dpa_inputs(mx, mx.size - 1)[3:] == (127, 255) and "scale_b=0xFF" in mx.describe(mx.size - 1)


def test_dpa_lane_expected_is_the_model_step():
    """Sampled records equal the bench's expected rows (``fp8kit.vectors.dpa.dpa_expected``) and the Fraction
    oracle (``refmodel.oracle.gemm.matmul_exact``). The model runs in a fork-server worker, as in a sweep."""
    from concurrent.futures import ProcessPoolExecutor

    from fp8kit.vectors.dpa import dpa_expected
    from refmodel.mx import MxArray
    from refmodel.oracle.gemm import matmul_exact, matmul_mx_exact

    rng = np.random.default_rng(16)
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("forkserver")) as ex:
        for sweep in build_sweeps("dpa_lane", "all"):
            idx = [int(i) for i in rng.integers(0, sweep.size, 40)] + [0, sweep.size - 1]
            got = [int(r[0]) for r in ex.map(sweep.expected, idx, [1] * len(idx))]
            chunk = [int(r) for r in ex.submit(sweep.expected, idx[0] & ~4095, 4096).result()]
            assert chunk[idx[0] & 4095] == got[0]
            rows = [_dpa_inputs(sweep, i) for i in idx]
            a, b = np.array([r[0] for r in rows]), np.array([r[1] for r in rows])
            c, sa, sb = (np.array([r[k] for r in rows], np.int64) for k in (2, 3, 4))
            res, flags = ex.submit(dpa_expected, sweep.unit, a, b, sa, sb, c).result()
            assert got == [int(r) | int(f) << 32 for r, f in zip(res, flags)], sweep.name
            u = sweep.unit
            for k in range(12):
                if u.scaled:
                    ma = MxArray(u.fmt_a, u.lanes, 1, (1, u.lanes), sa[k:k + 1, None].astype(np.uint8),
                                 a[k:k + 1].astype(np.uint8))
                    mb = MxArray(u.fmt_b, u.lanes, 0, (u.lanes, 1), sb[None, k:k + 1].astype(np.uint8),
                                 b[k:k + 1].T.astype(np.uint8))
                    d, f = matmul_mx_exact(ma, mb, c[k:k + 1, None], acc_fmt=u.acc, datapath=u.datapath)
                else:
                    d, f = matmul_exact(a[k:k + 1], b[k:k + 1].T, c[k:k + 1, None], fmt_a=u.element("a"),
                                        fmt_b=u.element("b"), acc_fmt=u.acc, datapath=u.datapath)
                assert got[k] == int(d[0, 0]) | int(f[0, 0]) << 32, (sweep.name, idx[k])


def test_dpa_lane_regression_units_and_unknown_names():
    with pytest.raises(ValueError, match="unknown dpa_lane unit 'fp5'; known: fp4, fp6"):
        build_sweeps("dpa_lane", "fp5")
    (hopper, mx) = build_sweeps("dpa_lane", "hopper-fp8/e4m3fn-x-e5m2,blackwell-mxfp8/mxfp8_e4m3-x-mxfp8_e5m2")
    assert hopper.positions == (0, 1, 30, 31) and hopper.key == "dpa_lane-hopper-fp8_e4m3fn-x-e5m2"
    assert hopper.size == 65536 * 4 * 3066 * 3  # 4 of its 32 lanes; E8M13 step into float32
    assert mx.unit.scaled and mx.size == 65536 * 4 * 2046 * 3 * len(DPA_SCALE_PAIRS)


@pytest.mark.lint
@pytest.mark.parametrize("config,shard", [("fp4", (1, 1)), ("fp6-e2m3", (1, 1)), ("hopper-fp8/e4m3fn-x-e5m2", (1, 1)),
                                          ("mxfp6-x-mxfp4", (6, 32))])
def test_dpa_lane_slice_through_the_harness(tmp_path, config, shard):
    """One chunk through the real harness: narrow ports (FP4, 16 bits), a float32 accumulator with an E8M13
    step (FP6), 256-bit ports (32 FP8 lanes: Verilator's wide words), and block scales (chunk 5 of the MX
    unit: the scale pair 2**-127 x 2**-127)."""
    (sweep,) = build_sweeps("dpa_lane", config)
    res = run_sweep(sweep, tmp_path, jobs=1, max_chunks=1, quiet=True, shard=shard)
    assert res.vectors == min(sweep.chunk, sweep.size) and res.mismatches == 0, res.examples[:3]
    if sweep.unit.scaled:
        assert _dpa_inputs(sweep, 5 * sweep.chunk)[3:] == (0, 0)


@dataclasses.dataclass(frozen=True)
class WrongDpaLaneSweep(DpaLaneSweep):
    """A dpa_lane sweep whose expected stream has its NX flag flipped at every 4099th vector (module level:
    the fork-server workers unpickle it by name)."""

    def expected(self, start, count):
        want = super().expected(start, count)
        want[(np.arange(start, start + count) % 4099) == 0] ^= np.uint64(1 << 32)
        return want


@pytest.mark.lint
def test_dpa_lane_harness_reports_a_wrong_stream(tmp_path, capsys):
    (good,) = build_sweeps("dpa_lane", "fp4")
    bad = WrongDpaLaneSweep(good.name, good.unit)
    res = run_sweep(bad, tmp_path, jobs=1, quiet=True)
    assert res.mismatches == -(-good.size // 4099)
    first = res.examples[1]
    assert first["index"] == 4099 and first["repro"] == "fp8kit exhaust --op dpa_lane --config fp4 --only-index 4099"
    assert int(first["got"], 16) ^ int(first["want"], 16) == 1 << 32
    assert run_one(good, 4099)["ok"] and not run_one(bad, 4099)["ok"]
    assert main(["exhaust", "--op", "dpa_lane", "--config", "fp4", "--only-index", "4099"]) == 0
    assert '"ok": true' in capsys.readouterr().out
