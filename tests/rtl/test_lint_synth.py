"""Every module in rtl/: Verilator -Wall lint, Icarus -g2005 compile, Yosys synth with no latches.

Parametrised over the rtl/*.v files that exist, one module per file named after it.
A missing tool fails (never skips) with the install command.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RTL = ROOT / "rtl"
INCLUDE = RTL / "include"
WAIVERS = sorted((RTL / "lint").glob("*.vlt")) if (RTL / "lint").is_dir() else []
MODULES = sorted(p.stem for p in RTL.glob("*.v"))

INSTALL = {
    "verilator": "apt-get install verilator",
    "yosys": "apt-get install yosys",
    "iverilog": "apt-get install iverilog",
}


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found on PATH: install it with `{INSTALL[name]}` (or `make tools`)")
    return path


def _run(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_rtl_modules_found():
    for name in ("lfsr32", "int8_mac", "fp8_mul", "fp8_unpack", "lzc", "fp8kit_cost_mac"):
        assert name in MODULES


# the shared leaves and the modules that must use them instead of a copy of their logic
LEAF_USERS = {"fp8_unpack": ("fp8_mul", "fp8_fma", "mx_dot"), "lzc": ("fp8_fma", "mx_dot")}


@pytest.mark.parametrize("leaf", sorted(LEAF_USERS))
def test_datapaths_instantiate_the_shared_leaves(leaf):
    for user in LEAF_USERS[leaf]:
        text = (RTL / f"{user}.v").read_text()
        assert re.search(rf"^\s*{leaf}\s*#\(", text, re.M), f"{user}.v does not instantiate {leaf}"
    assert not (INCLUDE / "fp8kit_class.vh").exists(), "the class function is fp8_unpack's now"


@pytest.mark.rtl
@pytest.mark.parametrize("width", [1, 2, 5, 8, 11])
def test_lzc_counts_every_input(width, tmp_path):
    """lzc against Python's bit_length on every input of a few widths (WIDTH when the input is zero)."""
    iverilog = _tool("iverilog")
    cnt_w = (width).bit_length()
    tb = tmp_path / "tb_lzc.v"
    tb.write_text(f"""`timescale 1ns / 1ps
module tb_lzc;
  reg  [{width - 1}:0] x;
  wire [{cnt_w - 1}:0] cnt;
  wire zero;
  integer v;
  lzc #(.WIDTH({width})) u_lzc (.in_i(x), .cnt_o(cnt), .zero_o(zero));
  initial begin
    for (v = 0; v < {1 << width}; v = v + 1) begin
      x = v;
      #1 $display("%0d %0d %0d", v, cnt, zero);
    end
  end
endmodule
""")
    res = _run([iverilog, "-g2005", f"-I{INCLUDE}", "-o", str(tmp_path / "a.vvp"), str(tb), str(RTL / "lzc.v")])
    assert res.returncode == 0, res.stdout + res.stderr
    out = _run([shutil.which("vvp") or "vvp", str(tmp_path / "a.vvp")]).stdout.split("\n")
    rows = [tuple(map(int, line.split())) for line in out if line.strip()]
    assert len(rows) == 1 << width
    for v, cnt, zero in rows:
        assert (cnt, zero) == (width - v.bit_length(), int(v == 0)), (width, v, cnt, zero)


@pytest.mark.lint
@pytest.mark.parametrize("module", MODULES)
def test_verilator_lint(module):
    verilator = _tool("verilator")
    cmd = [verilator, "--lint-only", "-Wall", f"-I{INCLUDE}", "-y", str(RTL), "--top-module", module,
           *map(str, WAIVERS), str(RTL / f"{module}.v")]
    res = _run(cmd)
    assert res.returncode == 0, f"verilator lint of {module}:\n{res.stdout}{res.stderr}"


@pytest.mark.rtl
@pytest.mark.parametrize("module", MODULES)
def test_iverilog_compiles(module, tmp_path):
    iverilog = _tool("iverilog")
    res = _run([iverilog, "-g2005", f"-I{INCLUDE}", f"-y{RTL}", "-s", module, "-o",
                str(tmp_path / "a.vvp"), str(RTL / f"{module}.v")])
    assert res.returncode == 0, f"iverilog -g2005 of {module}:\n{res.stdout}{res.stderr}"


@pytest.mark.synth
@pytest.mark.parametrize("module", MODULES)
def test_yosys_synth_no_latches(module):
    yosys = _tool("yosys")
    files = " ".join(str(p) for p in sorted(RTL.glob("*.v")))
    script = (
        f"read_verilog -D SYNTHESIS -I{INCLUDE} {files}; synth -top {module}; "
        "select -assert-none t:$_DLATCH*; check -assert; stat"
    )
    res = _run([yosys, "-q", "-p", script])
    assert res.returncode == 0, f"yosys synth of {module}:\n{res.stdout[-4000:]}{res.stderr[-4000:]}"
