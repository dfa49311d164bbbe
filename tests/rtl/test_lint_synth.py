"""Every module in rtl/: Verilator -Wall lint, Icarus -g2005 compile, Yosys synth with no latches.

Parametrised over the rtl/*.v files that exist, one module per file named after it.
A missing tool fails (never skips) with the install command.
"""

from __future__ import annotations

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
    for name in ("lfsr32", "int8_mac", "fp8_mul"):
        assert name in MODULES


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
