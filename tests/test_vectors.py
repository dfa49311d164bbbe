"""fp8kit.vectors: the file format, level-1 contents, values checked against the exact oracles, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from refmodel.oracle import arith as arith_oracle

from refmodel.oracle import mx as mx_oracle
from refmodel.oracle.gemm import matmul_exact, matmul_mx_exact
from refmodel.mx import MxArray
from fp8kit.vectors import dpa
from fp8kit import vectors as vec
from fp8kit.cli import main
from refmodel.encodings import RoundingMode
from refmodel.formats import get_format
from refmodel.int8 import int8_mac_stream_reference
from refmodel.lfsr import draws
from fp8kit.rtlspec.params import fma_rtl_params

HEADER_KEYS = {"op", "module", "level", "seed", "count", "cases", "rtl_params", "columns", "fp8kit", "file_version"}


def _stream_ids(v: vec.Vectors) -> np.ndarray:
    return np.cumsum(v.column("first")) - 1


@pytest.mark.parametrize("op, kw", [
    ("mul", dict(fmt="float4_e2m1fn", fmt_b="float6_e3m2fn", level=2, count=50, seed=3)),
    ("fma", dict(fmt="float8_e5m2", acc="bfloat16", rounding="rne,sr", sr_bits=5, level=2, count=300)),
    ("mac", dict(fmt="float6_e2m3fn", acc="float16", rounding="rtz", lfsr_seed=0xACE1)),
    ("int8_mac", dict(level=2, count=100, seed=9)),
    ("mx_dot", dict(fmt="mxfp4_e2m1", k=4, level=2, count=40)),
    ("dpa", dict(datapath="fused-dot", fmt="float4_e2m1fn", acc="float16", rounding="rne",
                 unit=dict(lanes=4, frac_bits=5), level=2, count=40)),
])
def test_file_round_trip_and_schema(tmp_path: Path, op: str, kw: dict) -> None:
    v = vec.generate(op, **kw)
    path = vec.write(v, tmp_path / "v.hex")
    lines = path.read_text().splitlines()
    assert lines[0].startswith(vec.MAGIC)
    header = json.loads(lines[0][len(vec.MAGIC):])
    assert HEADER_KEYS <= header.keys() and header["op"] == op and header["module"] == vec.OPS[op]
    body = [ln for ln in lines if not ln.startswith("//")]
    assert int(body[0], 16) == header["cases"] == len(body) - 1 == v.rows.shape[0]
    widths = np.array([c["width"] for c in header["columns"]], np.uint64)
    assert all(len(ln.split()) == len(widths) for ln in body[1:])
    assert (v.rows < (np.uint64(1) << widths)).all() and (widths <= 32).all()
    assert sum(ln.startswith("// column") for ln in lines) == len(widths)
    back = vec.read(path)
    assert back.header == v.header
    np.testing.assert_array_equal(back.rows, v.rows)
    assert vec.rtl_params(back.header) == header["rtl_params"]


def test_header_records_rtl_params_and_levels() -> None:
    v = vec.generate("mac", fmt="float8_e4m3fn", fmt_b="float8_e5m2", acc="bfloat16", rounding="sr", sr_bits=12,
                     lfsr_seed=77)
    assert v.header["rtl_params"] == {**fma_rtl_params("float8_e4m3fn", "float8_e5m2", "bfloat16", 12), "SEED": 77}
    assert v.header["level"] == 1 and v.header["seed"] is None and v.header["rounding"] == ["sr"]
    bad = {**v.header, "rtl_params": {**v.header["rtl_params"], "SEED": 78}}
    with pytest.raises(ValueError, match="differ from refmodel"):
        vec.rtl_params(bad)


def test_read_refuses_other_files(tmp_path: Path) -> None:
    other = tmp_path / "other.hex"
    other.write_text("// some other file\n1\n00\n")
    with pytest.raises(ValueError, match="not an fp8kit vector file"):
        vec.read(other)
    good = vec.write(vec.generate("mul", fmt="float4_e2m1fn"), tmp_path / "v.hex")
    good.write_text(good.read_text() + "0 0 0 0 0 0\n")
    with pytest.raises(ValueError, match=r"line 266: 1 line\(s\) after the last of the 256 cases: appended"):
        vec.read(good)


def test_checksum_covers_header_and_body(tmp_path: Path) -> None:
    v = vec.generate("mul", fmt="float4_e2m1fn")
    path = vec.write(v, tmp_path / "v.hex")
    header = json.loads(path.read_text().splitlines()[0][len(vec.MAGIC):])
    assert header["file_version"] == 2 and len(header[vec.CHECKSUM]) == 64
    text = path.read_text()
    path.write_bytes(text.replace("\n", "\r\n").encode())  # CRLF line ends mean nothing: accepted
    np.testing.assert_array_equal(vec.read(path).rows, v.rows)
    for old, new in (('"seed":null', '"seed":0'), ("\nf f 0 4 9 2\n", "\nf f 0 4 9 3\n"),
                     ("// column   0  a", "// column   0  A")):
        assert old in text
        path.write_text(text.replace(old, new, 1))
        with pytest.raises(ValueError, match="checksum mismatch"):
            vec.read(path)


def test_version_1_files_are_refused_with_the_command_that_regenerates_them(tmp_path: Path, capsys) -> None:
    v = vec.generate("mac", fmt="float6_e2m3fn", acc="float16", rounding="rtz,sr", sr_bits=5, lfsr_seed=0xACE1,
                     level=2, count=40, seed=3)
    path = vec.write(v, tmp_path / "v.hex")
    lines = path.read_text().splitlines(keepends=True)
    old = json.loads(lines[0][len(vec.MAGIC):])
    del old[vec.CHECKSUM]
    path.write_text(vec.MAGIC + json.dumps({**old, "file_version": 1}) + "\n" + "".join(lines[1:]))
    with pytest.raises(ValueError, match="before vector files carried a checksum") as info:
        vec.read(path)
    command = str(info.value).split("regenerate it: ")[1]
    assert main(command.split()[1:]) == 0
    again = vec.read(path)
    assert again.header == v.header
    np.testing.assert_array_equal(again.rows, v.rows)


def test_write_refuses_rows_that_do_not_match_the_header(tmp_path: Path) -> None:
    v = vec.generate("mul", fmt="float4_e2m1fn")
    with pytest.raises(ValueError, match=r"do not match the header's 256 cases x 6 columns"):
        vec.write(vec.Vectors(v.header, v.rows[:-1]), tmp_path / "v.hex")
    rows = v.rows.copy()
    rows[3, 0] = 16
    with pytest.raises(ValueError, match="case 3: a = 0x10 does not fit its 4 bits"):
        vec.write(vec.Vectors(v.header, rows), tmp_path / "v.hex")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("op, kw", [
    ("mul", dict(fmt="float8_e5m2", count=30000)),
    ("fma", dict(fmt="float8_e5m2", acc="float16", count=30000)),
    ("mac", dict(count=30000)),
    ("int8_mac", dict(count=30000)),
    ("mx_dot", dict(fmt="mxfp8_e5m2", k=64, count=3000)),
])
def test_memory_estimate_bounds_the_peak(op: str, kw: dict) -> None:
    """The estimate the size checks use is above the measured peak (tracemalloc sees numpy's buffers)."""
    import tracemalloc

    tracemalloc.start()
    try:
        v = vec.generate(op, level=2, **kw)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    estimate = vec.memory_estimate(op, kw["count"], kw.get("k", 32), kw.get("fmt", "mxfp8_e4m3"))
    assert peak <= estimate
    if op != "mx_dot":
        assert v.header["cases"] - kw["count"] <= vec.LEVEL1_BOUND and len(v.columns) <= 8


def test_level1_bound_holds_for_the_largest_sets() -> None:
    for kw in (dict(op="fma", fmt="float8_e5m2", acc="float16"), dict(op="fma", fmt="float16", acc="float32"),
               dict(op="mac", fmt="float8_e5m2", fmt_b="float16", acc="float32")):
        assert vec.generate(**kw).header["cases"] <= vec.LEVEL1_BOUND


# ------------------------------------------------------------------------ level 1
def test_boundary_codes() -> None:
    assert vec.boundary_codes("float8_e4m3fn").tolist() == [
        0x00, 0x01, 0x07, 0x08, 0x09, 0x38, 0x39, 0x7D, 0x7E, 0x7F,
        0x80, 0x81, 0x87, 0x88, 0x89, 0xB8, 0xB9, 0xFD, 0xFE, 0xFF]
    e5m2 = set(vec.boundary_codes("float8_e5m2").tolist())
    assert {0x7C, 0xFC, 0x7D, 0x7E, 0x7B, 0x3C} <= e5m2  # Inf, sNaN-like, qNaN, max, 1.0
    assert 0x80 in vec.boundary_codes("float8_e4m3fnuz")  # its NaN


def test_level1_mul_is_every_pair() -> None:
    v = vec.generate("mul", fmt="float8_e4m3fn", fmt_b="float8_e5m2")
    pairs = v.column("a") * 256 + v.column("b")
    np.testing.assert_array_equal(np.sort(pairs), np.arange(65536))


def test_level1_fma_contents() -> None:
    fc = get_format("float32")
    v = vec.generate("fma", fmt="float8_e4m3fn")
    a, b, acc, rm, rand, sat = (v.column(c).astype(np.int64) for c in ("a", "b", "acc", "rm", "rand", "sat"))
    assert set(a.tolist()) == set(vec.boundary_codes("float8_e4m3fn").tolist()) == set(b.tolist())
    edges = {0, 1, 0x7FFFFF, 0x800000, 0x3F800000, 0x7F7FFFFF, 0x7F800000, 0x7FC00000, 0x7F800001}
    assert edges | {x | fc.sign_mask for x in edges} <= set(acc.tolist())
    assert set(zip(rm.tolist(), sat.tolist())) == {(m, s) for m in range(7) for s in (0, 1)}
    assert set(rand[rm == RoundingMode.SR].tolist()) == {0, 1, 0x8000, 0xFFFF}
    one = (a == 0x38) & (b == 0x38)  # 1.0 * 1.0 meets -1.0 (exact cancellation) and max finite (overflow)
    assert {0xBF800000, 0xBF800001, 0xBF7FFFFF, 0x3F800000, 0x7F7FFFFF} <= set(acc[one].tolist())
    assert len(np.unique(np.stack([a, b, acc, rm, rand, sat]), axis=1).T) == v.rows.shape[0]


def test_level1_mac_streams_and_lfsr() -> None:
    v = vec.generate("mac", fmt="float8_e5m2", acc="float16", rounding="rne,sr", sr_bits=8, lfsr_seed=5)
    ids = _stream_ids(v)
    pos = np.arange(ids.size) - np.searchsorted(ids, ids)
    np.testing.assert_array_equal(v.column("rand"), draws(5, int(pos.max()) + 1, 8)[pos])
    n_pairs = vec.boundary_codes("float8_e5m2").size ** 2
    assert ids[-1] + 1 == 2 * 2 * (n_pairs + 4)  # modes x sat x (pair streams + growth streams)
    assert set(v.column("rm").tolist()) == {0, 5}
    flags = v.column("flags").astype(np.int64)
    assert (flags & 0b00100).any() and (flags & 0b10000).any()  # OF (max*max in float16) and NV (Inf - Inf)


def test_level1_int8_reaches_both_limits() -> None:
    v = vec.generate("int8_mac")
    acc, ovf, sat = vec.as_signed(v, "acc"), v.column("ovf"), v.column("sat")
    for limit in (2**31 - 1, -(2**31)):
        for s in (0, 1):
            assert ((acc == limit) & (ovf == 0) & (sat == s)).any()
    assert ((sat == 1) & (ovf == 1) & (acc == 2**31 - 1)).any()  # saturated
    assert ((sat == 0) & (ovf == 1) & (acc == -(2**31))).any()  # wrapped past the top
    assert (v.column("rep") > 100000).sum() >= 8


def test_level1_mx_dot_specials() -> None:
    v = vec.generate("mx_dot", fmt="mxfp8_e5m2")
    res = v.column("res")
    assert {0x7FC00000, 0x7F800000, 0xFF800000, 0x80000000, 0, 1} <= set(res.tolist())
    assert {0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF} <= set(v.column("scale_a").tolist())
    assert (v.column("flags") & 0b00110).any()  # OF or UF seen


# ------------------------------------------------------- values against the oracles
def _sample(n_rows: int, k: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).choice(n_rows, min(k, n_rows), replace=False)


def test_mul_values_match_oracle() -> None:
    v = vec.generate("mul", fmt="float8_e5m2", fmt_b="float6_e2m3fn")
    exp = vec.as_signed(v, "exp")
    for i in _sample(v.rows.shape[0], 300):
        p = arith_oracle.mul_exact(int(v.column("a")[i]), int(v.column("b")[i]), "float8_e5m2", "float6_e2m3fn")
        assert int(v.column("sign")[i]) == int(p.negative)
        if p.kind == "finite" and p.magnitude:
            sig, e = int(v.column("sig")[i]), int(exp[i])
            assert sig * 2.0 ** (e - 5) == p.magnitude


@pytest.mark.parametrize("acc", ["float32", "bfloat16"])
def test_fma_values_match_oracle(acc: str) -> None:
    v = vec.generate("fma", fmt="float8_e4m3fn", fmt_b="float8_e5m2", acc=acc, sr_bits=16, level=2, count=2000)
    cols = {c: v.column(c).astype(np.int64) for c in v.columns}
    for i in _sample(v.rows.shape[0], 400, seed=1):
        mode = RoundingMode(int(cols["rm"][i]))
        extra = dict(sr_bits=16, rand=int(cols["rand"][i])) if mode is RoundingMode.SR else {}
        want = arith_oracle.fma_exact(int(cols["acc"][i]), int(cols["a"][i]), int(cols["b"][i]), "float8_e4m3fn",
                                      "float8_e5m2", acc, mode, saturate=bool(cols["sat"][i]), **extra)
        assert want == (int(cols["res"][i]), int(cols["flags"][i])), i


def test_mac_values_match_oracle() -> None:
    v = vec.generate("mac", acc="bfloat16", rounding="sr,rup", sr_bits=7, lfsr_seed=3, level=2, count=200, seed=2)
    ids = _stream_ids(v)
    for s in np.random.default_rng(0).choice(ids[-1] + 1, 25, replace=False):
        rows = np.flatnonzero(ids == s)
        a, b, acc, flags = (v.column(c)[rows].astype(int).tolist() for c in ("a", "b", "acc", "flags"))
        mode = RoundingMode(int(v.column("rm")[rows[0]]))
        extra = dict(sr_bits=7, rands=draws(3, len(a), 7).tolist()) if mode is RoundingMode.SR else {}
        want = arith_oracle.mac_exact(a, b, "float8_e4m3fn", "float8_e4m3fn", "bfloat16", 0, mode,
                                      saturate=bool(v.column("sat")[rows[0]]), **extra)
        assert want == (acc, flags)


def test_int8_values_match_reference() -> None:
    v = vec.generate("int8_mac", level=2, count=500, seed=4)
    ids = _stream_ids(v)
    short = [s for s in np.unique(ids) if v.column("rep")[ids == s].max() == 1]
    for s in np.random.default_rng(0).choice(short, 40, replace=False):
        rows = np.flatnonzero(ids == s)
        accs, flags = int8_mac_stream_reference(vec.as_signed(v, "a")[rows].tolist(),
                                                vec.as_signed(v, "b")[rows].tolist(),
                                                saturate=bool(v.column("sat")[rows[0]]))
        assert accs == vec.as_signed(v, "acc")[rows].tolist()
        assert flags == v.column("ovf")[rows].astype(bool).tolist()


def test_mx_dot_values_match_oracle() -> None:
    v = vec.generate("mx_dot", fmt="mxfp6_e3m2", k=8, level=2, count=100)
    for i in _sample(v.rows.shape[0], 120):
        row = v.rows[i].astype(int).tolist()
        want = mx_oracle.dot_blocks_flags(row[16], row[:8], row[17], row[8:16], "mxfp6_e3m2", "mxfp6_e3m2")
        assert want == (row[18], row[19])


# --------------------------------------------------------------------------- dpa
_DPA_UNITS = [
    dict(datapath="hopper-fp8", fmt="float8_e4m3fn,float8_e5m2"),
    dict(datapath="blackwell-mxfp8", fmt="mxfp8_e5m2", fmt_b="mxfp8_e4m3"),
    dict(datapath="fused-dot", fmt="float6_e3m2fn", fmt_b="float6_e2m3fn", acc="bfloat16", rounding="rne",
         unit=dict(lanes=8, frac_bits=10, zero_exp=-130, nan="canonical")),
    dict(datapath="fused-dot", fmt="mxfp4_e2m1", acc="float16", unit=dict(lanes=3, frac_bits=4, step_man_bits=6)),
]


@pytest.mark.parametrize("kw", _DPA_UNITS, ids=lambda kw: kw["datapath"] + "/" + kw["fmt"])
def test_dpa_levels_are_the_shared_stimulus(kw: dict) -> None:
    """Level 1 is fp8kit.vectors.dpa's directed rows, level 2 adds its seeded random rows; the header
    holds the unit and the fp8_dpa parameters (PIPE left to the instance)."""
    name, cfg = dpa.resolve(kw["datapath"], kw["fmt"], kw.get("fmt_b"), kw.get("acc"), kw.get("rounding"),
                            kw.get("unit"))
    args = {k: v for k, v in kw.items() if k != "datapath"}
    one = vec.generate("dpa", datapath=kw["datapath"], **args)
    np.testing.assert_array_equal(one.rows.astype(np.int64), dpa.dpa_structured(cfg))
    two = vec.generate("dpa", datapath=kw["datapath"], level=2, count=60, seed=9, **args)
    np.testing.assert_array_equal(two.rows.astype(np.int64),
                                  np.concatenate([dpa.dpa_structured(cfg), dpa.dpa_random_cases(cfg, 60, 9)]))
    assert one.header["datapath"] == name and dpa.DpaConfig.from_json(json.dumps(one.header["unit"])) == cfg
    params = cfg.rtl_params()
    del params["PIPE"]
    assert one.header["rtl_params"] == params == vec.rtl_params(one.header)
    assert one.columns == [c.name for c in dpa.dpa_columns(cfg)]
    assert (one.header["level"], one.header["seed"], two.header["seed"], two.header["cases"]) == (1, None, 9,
                                                                                                   one.rows.shape[0] + 60)


@pytest.mark.parametrize("kw", _DPA_UNITS, ids=lambda kw: kw["datapath"] + "/" + kw["fmt"])
def test_dpa_values_match_oracle(kw: dict) -> None:
    """A sample of rows (directed and random) against refmodel.oracle.gemm's Fraction fused-dot step."""
    v = vec.generate("dpa", level=2, count=200, seed=3, **kw)
    cfg = dpa.DpaConfig.from_json(json.dumps(v.header["unit"]))
    lanes = cfg.lanes
    for i in _sample(v.rows.shape[0], 60, seed=2):
        row = v.rows[i].astype(np.int64)
        a, b, (sa, sb, c, res, flags) = row[:lanes], row[lanes:2 * lanes], row[2 * lanes:]
        if cfg.scaled:
            ma = MxArray(cfg.fmt_a, lanes, 1, (1, lanes), np.array([[sa]], np.uint8), a[None].astype(np.uint8))
            mb = MxArray(cfg.fmt_b, lanes, 0, (lanes, 1), np.array([[sb]], np.uint8), b[:, None].astype(np.uint8))
            want = matmul_mx_exact(ma, mb, np.array([[c]]), acc_fmt=cfg.acc, datapath=cfg.datapath)
        else:
            want = matmul_exact(a[None], b[:, None], np.array([[c]]), fmt_a=cfg.element("a"), fmt_b=cfg.element("b"),
                                acc_fmt=cfg.acc, datapath=cfg.datapath)
        assert (int(want[0][0, 0]), int(want[1][0, 0])) == (res, flags), i


def test_dpa_level1_contents() -> None:
    """Every alignment distance F-3 ... F+3 (a second product and C), NaN, Inf and -0 results, OF and UF."""
    v = vec.generate("dpa", datapath="hopper-fp8-f16", fmt="float8_e5m2")
    cfg = dpa.DpaConfig.from_json(json.dumps(v.header["unit"]))
    from verif import coverage

    rows = v.rows.astype(np.int64)
    hits = coverage.sample_dpa(rows, cfg)
    assert {f"align:d=F{j:+d}" for j in range(-2, 3)} <= {k for k, n in hits.items() if n}
    res, flags = v.column("res").astype(np.int64), v.column("flags").astype(np.int64)
    assert {0x7FFF, 0x7C00, 0xFC00, 0} <= set(res.tolist())  # NaN (all-ones), +-Inf, +0
    assert 0x8000 in set(v.column("c").tolist())  # C = -0 (the step's zero sum is +0)
    assert (flags & 0b10000).any() and (flags & 0b00100).any() and (flags & 0b00010).any()  # NV, OF, UF
    assert dpa.level1_bound(cfg.lanes) >= v.header["cases"]


@pytest.mark.parametrize("lanes", [1, 2, 5, 32, 256])
def test_dpa_level1_bound_holds(lanes: int) -> None:
    for fmt in ("float8_e5m2", "mxfp8_e4m3"):
        _, cfg = dpa.resolve("fused-dot", fmt, unit=dict(lanes=lanes, frac_bits=8))
        assert dpa.dpa_structured(cfg).shape[0] <= dpa.level1_bound(lanes)


@pytest.mark.parametrize("kw", [dict(datapath="hopper-fp8", count=3000),
                                dict(datapath="fused-dot", fmt="float4_e2m1fn", unit=dict(lanes=4, frac_bits=5),
                                     count=3000),
                                dict(datapath="fused-dot", unit=dict(lanes=128, frac_bits=20), count=600)])
def test_dpa_memory_estimate_bounds_the_peak(kw: dict) -> None:
    import tracemalloc

    vec.generate("dpa", datapath="hopper-fp8")  # the model's kernels compiled outside the measurement
    tracemalloc.start()
    try:
        v = vec.generate("dpa", level=2, **kw)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= vec.memory_estimate("dpa", kw["count"], v.header["unit"]["lanes"])


@pytest.mark.parametrize("argv", [
    ["--datapath", "ada-fp8", "--format", "float8_e5m2"],
    ["--datapath", "fused-dot", "--format", "mxfp6_e2m3", "--acc", "bfloat16", "--rounding", "rne", "--lanes", "4",
     "--frac-bits", "9", "--step-man-bits", "5", "--zero-exp", "-130", "--nan", "canonical", "--count", "30",
     "--seed", "4"],
    ["--datapath", "fused-dot", "--lanes", "2", "--frac-bits", "3"],
])
def test_cli_dpa_vectors_and_regenerate_command(tmp_path: Path, argv: list[str]) -> None:
    """fp8kit vectors --op dpa writes the file; the command its header gives writes the same file again."""
    first = tmp_path / "a.hex"
    assert main(["vectors", "--op", "dpa", *argv, "--out", str(first)]) == 0
    header = vec.read_header(first)
    assert header["op"] == "dpa" and header["module"] == "fp8_dpa"
    again = tmp_path / "b.hex"
    command = vec.regenerate_command(header, str(again))
    assert main(command.split()[1:]) == 0
    assert again.read_bytes() == first.read_bytes()


@pytest.mark.parametrize("kw, match", [
    (dict(), r"op dpa needs a datapath \(--datapath\): a preset whose datapath is one fp8_dpa step \(hopper-fp8, "
             r"hopper-fp8-f16, ada-fp8, blackwell-fp8, blackwell-mxfp8\) or fused-dot"),
    (dict(datapath="cdna3-fp8"), r"unknown dpa datapath 'cdna3-fp8'.*allowed: hopper-fp8, .*, fused-dot"),
    (dict(datapath="hopper-fp8-promote128"), r"unknown dpa datapath 'hopper-fp8-promote128'"),
    (dict(datapath="hopper-fp8", rounding="rne"), r"preset hopper-fp8 rounds as published \(rtz\)"),
    (dict(datapath="hopper-fp8", unit=dict(lanes=16)), r"preset hopper-fp8 fixes lanes"),
    (dict(datapath="hopper-fp8", fmt="float8_e4m3fnuz"), r"'float8_e4m3fnuz' is not an operand of preset hopper-fp8"),
    (dict(datapath="hopper-fp8", acc="float16"), r"accumulator 'float16' is not that of preset hopper-fp8"),
    (dict(datapath="hopper-fp8", k=16), r"op dpa takes no k, m or n"),
    (dict(datapath="fused-dot", unit=dict(lanes=4)), r"fused-dot needs frac_bits \(--frac-bits F"),
    (dict(datapath="fused-dot", unit=dict(frac_bits=4)), r"fused-dot needs lanes \(--lanes L"),
    (dict(datapath="fused-dot", unit=dict(lanes=4, frac_bits=5, width=3)), r"unknown fused-dot parameter 'width'"),
    (dict(datapath="fused-dot", unit=dict(lanes=300, frac_bits=5)), r"fp8_dpa rejects LANES=300; allowed: 1...256"),
    (dict(datapath="fused-dot", unit=dict(lanes=4, frac_bits=41)), r"FRAC_W=41; allowed: 1...40"),
    (dict(datapath="fused-dot", unit=dict(lanes=4, frac_bits=5, step_man_bits=11), acc="float16"),
     r"step_man_bits .* must be an integer in 1...10 \(the float16 accumulator's\), got 11"),
    (dict(datapath="fused-dot", unit=dict(lanes=4, frac_bits=5, nan="quiet")), r"nan must be one of canonical"),
    (dict(datapath="fused-dot", unit=dict(lanes=4, frac_bits=5), rounding="rup"), r"fp8_dpa rounds rne or rtz, got"),
    (dict(datapath="fused-dot", unit=dict(lanes=4, frac_bits=5), rounding="sr"), r"rounding must be one of rne, rtz"),
    (dict(datapath="fused-dot", unit=dict(lanes=4, frac_bits=5), fmt="float16"), r"A_EXP_W=5 / A_MAN_W=10"),
    (dict(datapath="fused-dot", unit=dict(lanes=4, frac_bits=5), fmt="mxfp8_e4m3", fmt_b="float8_e4m3fn"),
     r"scales both operands or neither"),
    (dict(datapath="fused-dot", unit=dict(lanes=4, frac_bits=5), fmt="mxint8"), r"floating-point MX types, not mxint8"),
    (dict(datapath="fused-dot", unit=dict(lanes=4, frac_bits=5), acc="float8_e4m3fn"), r"cannot be an accumulator"),
    (dict(datapath="fused-dot", unit=dict(lanes=4, frac_bits=5), fmt="a,b,c"), r"--format takes FMT or FMT_A,FMT_B"),
    (dict(datapath="fused-dot", unit=dict(lanes=4, frac_bits=5), level=2, count=10**8),
     r"dpa vectors with count=100000000 \(--count\) and 4 lanes need about .* GiB of memory; the limit is 4 GiB"),
])
def test_dpa_errors(kw: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        vec.generate("dpa", **kw)


def test_unit_is_dpa_only() -> None:
    with pytest.raises(ValueError, match=r"op fma takes no unit"):
        vec.generate("fma", unit=dict(lanes=4))


def test_dpa_header_unit_is_checked() -> None:
    v = vec.generate("dpa", datapath="fused-dot", unit=dict(lanes=2, frac_bits=3))
    with pytest.raises(ValueError, match=r"differ from refmodel"):
        vec.rtl_params({**v.header, "unit": {**v.header["unit"], "frac_bits": 4}})
    with pytest.raises(ValueError, match=r"the header's unit .* is not an fp8_dpa unit"):
        vec.rtl_params({**v.header, "unit": {**v.header["unit"], "lanes": 0}})


# ------------------------------------------------------------------------- errors
@pytest.mark.parametrize("kw, match", [
    (dict(op="fmaa"), "unknown op 'fmaa'; allowed: mul, fma, mac, mx_dot, int8_mac"),
    (dict(op="fma", fmt="float8_e9m9"), "float8_e9m9"),
    (dict(op="mx_dot", fmt="mxfp9"), "unknown MX type"),
    (dict(op="fma", rounding="rne,nearest"), r"unknown rounding mode 'nearest'; allowed: rne \(0\).*rto \(6\), or all"),
    (dict(op="mac", rounding=""), "no rounding mode given"),
    (dict(op="fma", acc="float8_e4m3fn"), "cannot be an accumulator"),
    (dict(op="mac", acc="float6_e3m2fn"), "cannot be an accumulator"),
    (dict(op="mul", level=2, count=-1), "count must be an integer >= 0"),
    (dict(op="mul", count=5), "need level 2"),
    (dict(op="mul", level=3), "level must be 1"),
    (dict(op="mul", rounding="rne"), "does not round"),
    (dict(op="mx_dot", rounding="rtz"), "rne only"),
    (dict(op="int8_mac", fmt="float8_e4m3fn"), "fixed int8"),
    (dict(op="fma", sr_bits=0), "sr_bits"),
    (dict(op="mac", lfsr_seed=0), "seed"),
    (dict(op="mac", lfsr_seed=2.5), r"lfsr_seed .* must be an integer in 1...4294967295, got 2.5"),
    (dict(op="mx_dot", k=2.5), r"k \(the mx_dot block size\) must be an integer >= 1, got 2.5"),
    (dict(op="mx_dot", k=100000), r"count=0 \(--count\) and k=100000 \(--k\) need about 71.5 GiB of memory; the limit is 4 GiB.*use k <= 5593"),
    (dict(op="fma", level=2, count=10**8), r"count=100000000 \(--count\) need about 19.4 GiB.*use count <= 20,386,737 "),
])
def test_errors(kw: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        vec.generate(**kw)


def test_cli_vectors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "m.hex"
    assert main(["vectors", "--op", "mul", "--format", "float4_e2m1fn", "--count", "10", "--seed", "2",
                 "--out", str(out)]) == 0
    header = vec.read_header(out)
    assert (header["level"], header["count"], header["seed"], header["cases"]) == (2, 10, 2, 266)
    assert main(["vectors", "--op", "fma", "--rounding", "nearest", "--out", str(out)]) == 2
    assert "allowed: rne (0)" in capsys.readouterr().err
