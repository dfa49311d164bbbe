"""verif.replay: every op's vector file replays on its RTL with no mismatch, and a corrupted file fails.

Sizes are bounded so that each test takes a few seconds on Icarus; the fp8_fma and mx_dot
per-configuration suites are tests/rtl/test_fp8_fma_replay.py and test_mx_dot_replay.py.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from fp8kit import procs
from fp8kit import vectors as vec
from fp8kit.cli import main
from verif.common.manifest import include_dirs, sources_for
from verif.common.runner import SimToolError
from verif.replay import bench, replay

# The mismatch line of each op's bench, as the hand-written benches printed it (fp8kit replay's report).
_MISMATCH = {
    "mul": r"MISMATCH case \d+: a=[0-9a-f]{2} b=[0-9a-f] expected sign=[01] exp=[0-9a-f]{2} sig=[0-9a-f]{2} class=\d "
           r"got sign=[01] exp=[0-9a-f]{2} sig=[0-9a-f]{2} class=\d$",
    "fma": r"MISMATCH case \d+: a=[0-9a-f]{2} b=[0-9a-f]{2} acc=[0-9a-f]{4} rm=\d rand=[0-9a-f]{4} sat=[01] "
           r"expected res=[0-9a-f]{4} flags=[01]{5} got res=[0-9a-f]{4} flags=[01]{5}$",
    "mac": r"MISMATCH case \d+: first=[01] a=[0-9a-f]{2} b=[0-9a-f]{2} rm=\d sat=[01] expected rand=[0-9a-f]{3} "
           r"acc=[0-9a-f]{8} flags=[01]{5} got rand=[0-9a-f]{3} acc=[0-9a-f]{8} flags=[01]{5}$",
    "int8_mac": r"MISMATCH case \d+: first=[01] a=[0-9a-f]{2} b=[0-9a-f]{2} sat=[01] rep=\d+ expected "
                r"acc=[0-9a-f]{8} ovf=[01] got acc=[0-9a-f]{8} ovf=[01] valid_o=[01]$",
    "mx_dot": r"MISMATCH case \d+: scale_a=[0-9a-f]{2} scale_b=[0-9a-f]{2} expected res=[0-9a-f]{8} flags=[01]{5} "
              r"got res=[0-9a-f]{8} flags=[01]{5}$",
    "dpa": r"MISMATCH case \d+: a=[0-9a-f]{4} b=[0-9a-f]{4} scale_a=[0-9a-f]{2} scale_b=[0-9a-f]{2} c=[0-9a-f]{4} "
           r"expected res=[0-9a-f]{4} flags=[01]{5} got res=[0-9a-f]{4} flags=[01]{5}$",
}


def _keep_rows(v: vec.Vectors, keep: np.ndarray) -> vec.Vectors:
    return vec.Vectors({**v.header, "cases": int(keep.sum())}, v.rows[keep])


def _keep_streams(v: vec.Vectors, streams: np.ndarray) -> vec.Vectors:
    """Whole streams (a stream starts at a row with first = 1) of a mac or int8_mac file."""
    ids = np.cumsum(v.column("first")) - 1
    return _keep_rows(v, np.isin(ids, streams))


def _int8_bounded() -> vec.Vectors:
    """Level 1 less all but two of its 16 long limit streams (131,000 clocks each on Icarus)."""
    v = vec.generate("int8_mac", level=2, count=2000, seed=5)
    ids = np.cumsum(v.column("first")) - 1
    long_streams = np.unique(ids[v.column("rep") > 1])
    return _keep_streams(v, np.union1d(np.setdiff1d(ids, long_streams), long_streams[[1, 14]]))


def _small(op: str) -> vec.Vectors:
    """A few hundred cases of each op, for the corruption checks."""
    if op == "mul":
        return vec.generate("mul", fmt="float6_e3m2fn", fmt_b="float4_e2m1fn")
    if op == "fma":
        v = vec.generate("fma", fmt="float8_e5m2", acc="float16", rounding="rdn,sr")
        return _keep_rows(v, np.arange(v.rows.shape[0]) % 97 == 0)
    if op == "mac":
        return _keep_streams(vec.generate("mac", rounding="sr", sr_bits=9, lfsr_seed=0x1234), np.arange(0, 800, 7))
    if op == "int8_mac":
        v = vec.generate("int8_mac")
        return _keep_streams(v, np.arange(98))
    if op == "dpa":
        return vec.generate("dpa", datapath="fused-dot", fmt="float4_e2m1fn", acc="float16", rounding="rne",
                            unit={"lanes": 4, "frac_bits": 5}, level=2, count=150)
    return vec.generate("mx_dot", fmt="mxint8", k=4, level=2, count=200)


@pytest.mark.rtl
@pytest.mark.parametrize("op, make", [
    ("mul", lambda: vec.generate("mul", fmt="float8_e4m3fn", fmt_b="float8_e5m2")),
    ("fma", lambda: _keep_rows(v := vec.generate("fma", fmt="float8_e4m3fn", acc="bfloat16", level=2, count=1000),
                               np.arange(v.rows.shape[0]) % 40 == 0)),
    ("mac", lambda: vec.generate("mac", acc="float16", rounding="sr", level=2, count=300)),
    ("int8_mac", _int8_bounded),
    ("mx_dot", lambda: vec.generate("mx_dot", fmt="mxfp4_e2m1", level=2, count=300)),
    ("dpa", lambda: vec.generate("dpa", datapath="blackwell-mxfp8", level=2, count=300)),
])
def test_replay_matches_rtl(tmp_path: Path, op: str, make) -> None:
    v = make()
    n, bad, out = replay(vec.write(v, tmp_path / f"{op}.hex"))
    assert n == v.header["cases"] > 0
    assert bad == 0, "\n".join(out.splitlines()[:30])


@pytest.mark.rtl
@pytest.mark.parametrize("op", list(vec.OPS))
def test_corrupted_expected_value_is_caught(tmp_path: Path, op: str) -> None:
    v = _small(op)
    assert replay(vec.write(v, tmp_path / "good.hex")).mismatches == 0
    rows = v.rows.copy()
    victim = rows.shape[0] // 2
    rows[victim, -1] ^= np.uint64(1)  # the last column is an expected output (flags, ovf, class)
    n, bad, out = replay(vec.write(vec.Vectors(v.header, rows), tmp_path / "bad.hex"))
    assert (n, bad) == (rows.shape[0], 1)
    assert f"MISMATCH case {victim}:" in out
    assert re.search(_MISMATCH[op], out, re.MULTILINE), out[-2000:]


@pytest.mark.rtl
def test_cli_replay(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = vec.write(_small("mac"), tmp_path / "mac.hex")
    assert main(["replay", str(good)]) == 0
    assert capsys.readouterr().out.rstrip().endswith(" mismatches")
    v = _small("mul")
    rows = v.rows.copy()
    rows[:3, 4] ^= np.uint64(1)
    bad = vec.write(vec.Vectors(v.header, rows), tmp_path / "mul.hex")
    assert main(["replay", str(bad), "--max-report", "2"]) == 1
    out = capsys.readouterr().out
    assert out.count("MISMATCH") == 2 and out.rstrip().endswith(f"{rows.shape[0]} vectors, 3 mismatches")
    assert main(["replay", str(tmp_path / "missing.hex")]) == 2


def test_missing_simulator_names_the_install_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = vec.write(_small("mul"), tmp_path / "mul.hex")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SimToolError, match=r"apt-get install iverilog"):
        replay(path)
    with pytest.raises(SimToolError, match=r"apt-get install verilator"):
        replay(path, simulator="verilator")
    with pytest.raises(ValueError, match="unknown simulator"):
        replay(path, simulator="vcs")


@pytest.mark.lint
@pytest.mark.slow
@pytest.mark.parametrize("op", ["mul", "fma", "mac", "int8_mac", "mx_dot", "dpa"])
def test_replay_on_verilator(tmp_path: Path, op: str) -> None:
    """The same benches under Verilator --binary (about 10 s of build each)."""
    kwargs = {"fma": {"fmt": "float8_e5m2", "acc": "bfloat16"}, "mac": {"fmt": "float8_e5m2", "acc": "bfloat16"},
              "dpa": {"datapath": "hopper-fp8", "fmt": "float8_e4m3fn,float8_e5m2"}}
    v = vec.generate(op, **kwargs.get(op, {}))
    n, bad, out = replay(vec.write(v, tmp_path / f"{op}.hex"), simulator="verilator")
    assert n == v.header["cases"] and bad == 0, "\n".join(out.splitlines()[:30])


@pytest.mark.lint
@pytest.mark.parametrize("op, kwargs", [
    ("mul", {"fmt": "float6_e3m2fn", "fmt_b": "float4_e2m1fn"}),
    ("fma", {"fmt": "float8_e5m2", "acc": "bfloat16", "rounding": "rne,sr", "sr_bits": 7}),
    ("mac", {"acc": "float16", "rounding": "sr", "lfsr_seed": 0xDEADBEEF}),
    ("int8_mac", {}),
    ("mx_dot", {"fmt": "mxfp8_e4m3", "k": 4}),
    ("mx_dot", {"fmt": "mxint8", "k": 3}),
    ("dpa", {"datapath": "blackwell-mxfp8"}),
    ("dpa", {"datapath": "fused-dot", "fmt": "float4_e2m1fn", "unit": {"lanes": 1, "frac_bits": 3}}),
])
def test_generated_bench_is_lint_clean(tmp_path: Path, op: str, kwargs) -> None:
    """The bench written from a file's columns passes verilator --lint-only -Wall with its DUT."""
    verilator = procs.require("verilator", "install Verilator (apt-get install verilator)")
    v = vec.generate(op, **kwargs)
    path = bench.write(v.header, vec.rtl_params(v.header), tmp_path)
    assert path.name == f"tb_{vec.OPS[op]}_replay.v"
    cmd = [verilator, "--lint-only", "-Wall", "--timing", *(f"-I{d}" for d in include_dirs()),
           "--top-module", path.stem, str(path), *map(str, sources_for(vec.OPS[op]))]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, f"verilator lint of the {op} bench:\n{res.stdout}{res.stderr}"
    assert max(map(len, path.read_text().splitlines())) <= 100


@pytest.mark.parametrize("op", list(vec.OPS))
def test_bench_reads_every_column_of_the_file(op: str) -> None:
    """Each column's word is read at its offset in the case, and the bench holds the file's word count."""
    v = _small(op)
    text = bench.render(v.header, vec.rtl_params(v.header))
    cols = v.header["columns"]
    assert f"localparam integer WPC = {len(cols)};" in text
    assert f"module tb_{vec.OPS[op]}_replay;" in text
    for j, c in enumerate(cols):
        lane = re.fullmatch(r"(.+)_(\d+)", c["name"])
        if lane and lane[2] != "0" and op in ("mx_dot", "dpa"):
            continue  # lane j of a group is read at the group's first word + j
        assert re.search(rf"= mem\[{1 + j} \+ WPC\*i(?: \+ j)?\]", text), c["name"]


def test_bench_refuses_a_column_it_cannot_place() -> None:
    v = _small("fma")
    header = {**v.header, "columns": [*v.header["columns"], {"name": "extra", "width": 4, "role": "out",
                                                               "doc": "", "signed": False}]}
    with pytest.raises(ValueError, match=r"no place for column 'extra'"):
        bench.render(header, vec.rtl_params(v.header))
    with pytest.raises(ValueError, match=r"no replay bench for op 'div'"):
        bench.render({**v.header, "op": "div"}, {})


def test_no_hand_written_bench_is_left() -> None:
    """The benches are written from the columns at replay time; none is kept beside the driver."""
    assert sorted(Path(bench.__file__).parent.glob("*.v")) == []


def test_cli_reports_a_missing_simulator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = vec.write(_small("mul"), tmp_path / "mul.hex")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["replay", str(path)]) == 2
    assert capsys.readouterr().err.strip() == ("fp8kit: error: iverilog not found on PATH: install Icarus Verilog "
                                               "(apt-get install iverilog)")


@pytest.mark.lint
def test_verilator_reports_mismatches_as_icarus_does(tmp_path: Path) -> None:
    """The mismatch lines are the same text on Verilator (the hand-written benches' concatenated
    format strings printed numbers there)."""
    v = _small("mul")
    rows = v.rows.copy()
    rows[[5, 70], -1] ^= np.uint64(1)
    path = vec.write(vec.Vectors(v.header, rows), tmp_path / "bad.hex")
    icarus = replay(path, max_report=5)
    verilator = replay(path, max_report=5, simulator="verilator")
    assert (verilator.vectors, verilator.mismatches) == (icarus.vectors, icarus.mismatches) == (rows.shape[0], 2)
    lines = [ln for ln in verilator.output.splitlines() if ln.startswith("MISMATCH")]
    assert lines == [ln for ln in icarus.output.splitlines() if ln.startswith("MISMATCH")]
    assert [ln.split(":")[0] for ln in lines] == ["MISMATCH case 5", "MISMATCH case 70"]
    assert all(re.fullmatch(_MISMATCH["mul"], ln) for ln in lines), lines
