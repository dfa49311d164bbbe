"""fp8_fma against refmodel.arith.fma: vectors replayed in a pure-Verilog bench on Icarus.

The generator (verif/fp8_fma/gen_vectors.py) writes refmodel's expected codes and flags; the bench
(verif/fp8_fma/tb_fp8_fma_replay.v) compares and prints "<N> vectors, <M> mismatches".
Parameters come from refmodel (rtlgen.fma_rtl_params over Format.rtl_params), the one source of truth.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from refmodel.rtlgen import fma_rtl_params

ROOT = Path(__file__).resolve().parents[2]
RTL = ROOT / "rtl"
GEN = ROOT / "verif" / "fp8_fma" / "gen_vectors.py"
TB = ROOT / "verif" / "fp8_fma" / "tb_fp8_fma_replay.v"
SR_BITS = 16

CONFIGS = [
    ("float8_e4m3fn", "float8_e4m3fn", "float32"),
    ("float8_e4m3fn", "float8_e4m3fn", "bfloat16"),
    ("float8_e4m3fn", "float8_e4m3fn", "float16"),
    ("float8_e5m2", "float8_e5m2", "float32"),
    ("float8_e4m3fn", "float8_e5m2", "float32"),
]


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found: install Icarus Verilog (apt-get install iverilog)")
    return path


def replay(tmp_path: Path, fmt_a: str, fmt_b: str, acc_fmt: str, *, random: int, structured: int | None,
           seed: int = 1) -> tuple[int, int, str]:
    """Generate, compile, simulate; return (vectors, mismatches, simulator output)."""
    iverilog, vvp = _tool("iverilog"), _tool("vvp")
    vectors = tmp_path / "vectors.hex"
    cmd = [sys.executable, str(GEN), "--fmt-a", fmt_a, "--fmt-b", fmt_b, "--acc-fmt", acc_fmt,
           "--random", str(random), "--seed", str(seed), "--sr-bits", str(SR_BITS), "--out", str(vectors)]
    if structured is not None:
        cmd += ["--structured-limit", str(structured)]
    subprocess.run(cmd, check=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": ""}, capture_output=True)
    n_cases = int(next(ln for ln in vectors.read_text().splitlines() if not ln.startswith("//")), 16)
    params = {**fma_rtl_params(fmt_a, fmt_b, acc_fmt, SR_BITS), "MAX_CASES": n_cases}
    sim = tmp_path / "tb.vvp"
    overrides = [f"-Ptb_fp8_fma_replay.{k}={v}" for k, v in params.items()]
    subprocess.run([iverilog, "-g2005", "-I", str(RTL / "include"), *overrides, "-o", str(sim),
                    str(TB), str(RTL / "fp8_fma.v")], check=True, capture_output=True, text=True)
    out = subprocess.run([vvp, "-n", str(sim), f"+vectors={vectors}"], check=True, capture_output=True,
                         text=True).stdout
    m = re.search(r"^(\d+) vectors, (\d+) mismatches$", out, re.M)
    assert m, f"no summary line in simulator output:\n{out[-4000:]}"
    return int(m.group(1)), int(m.group(2)), out


def _ids(cfg: tuple[str, str, str]) -> str:
    return "-".join(x.replace("float8_", "") for x in cfg)


@pytest.mark.rtl
@pytest.mark.parametrize("cfg", CONFIGS, ids=_ids)
def test_fp8_fma_replay(tmp_path: Path, cfg: tuple[str, str, str]) -> None:
    n, bad, out = replay(tmp_path, *cfg, random=6000, structured=14000)
    assert n >= 20000
    assert bad == 0, "\n".join(out.splitlines()[:40])


@pytest.mark.rtl
@pytest.mark.slow
@pytest.mark.parametrize("cfg", CONFIGS, ids=_ids)
def test_fp8_fma_replay_full(tmp_path: Path, cfg: tuple[str, str, str]) -> None:
    n, bad, out = replay(tmp_path, *cfg, random=100000, structured=None, seed=2)
    assert n >= 100000
    assert bad == 0, "\n".join(out.splitlines()[:40])
