"""mx_dot against refmodel.mx.dot: vectors replayed in a pure-Verilog bench on Icarus.

The generator (verif/mx_dot/gen_vectors.py) writes refmodel's expected codes and flags; the bench
(verif/mx_dot/tb_mx_dot_replay.v) compares and prints "<N> vectors, <M> mismatches".
Parameters come from refmodel.rtlgen.mx_dot_rtl_params (the Formats), the one source of truth.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from refmodel.rtlgen import mx_dot_rtl_params

ROOT = Path(__file__).resolve().parents[2]
RTL = ROOT / "rtl"
GEN = ROOT / "verif" / "mx_dot" / "gen_vectors.py"
TB = ROOT / "verif" / "mx_dot" / "tb_mx_dot_replay.v"
K = 32

CONFIGS = ["mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e3m2", "mxfp6_e2m3", "mxfp4_e2m1", "mxint8"]


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found: install Icarus Verilog (apt-get install iverilog)")
    return path


def _params(mx_type: str) -> dict[str, int]:
    """mx_dot's parameters less PIPE (the replay bench builds it combinational)."""
    params = mx_dot_rtl_params(mx_type, K)
    del params["PIPE"]
    return params


def replay(tmp_path: Path, mx_type: str, *, random: int, seed: int = 1) -> tuple[int, int, str]:
    """Generate, compile, simulate; return (vectors, mismatches, simulator output)."""
    iverilog, vvp = _tool("iverilog"), _tool("vvp")
    vectors = tmp_path / "vectors.hex"
    cmd = [sys.executable, str(GEN), "--mx-type", mx_type, "--k", str(K), "--random", str(random),
           "--seed", str(seed), "--out", str(vectors)]
    subprocess.run(cmd, check=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": ""}, capture_output=True)
    n_cases = int(next(ln for ln in vectors.read_text().splitlines() if not ln.startswith("//")), 16)
    params = {**_params(mx_type), "MAX_CASES": n_cases}
    sim = tmp_path / "tb.vvp"
    overrides = [f"-Ptb_mx_dot_replay.{k}={v}" for k, v in params.items()]
    subprocess.run([iverilog, "-g2005", "-I", str(RTL / "include"), *overrides, "-o", str(sim),
                    str(TB), str(RTL / "mx_dot.v")], check=True, capture_output=True, text=True)
    out = subprocess.run([vvp, "-n", str(sim), f"+vectors={vectors}"], check=True, capture_output=True,
                         text=True).stdout
    m = re.search(r"^(\d+) vectors, (\d+) mismatches$", out, re.M)
    assert m, f"no summary line in simulator output:\n{out[-4000:]}"
    return int(m.group(1)), int(m.group(2)), out


@pytest.mark.rtl
@pytest.mark.parametrize("mx_type", CONFIGS)
def test_mx_dot_replay(tmp_path: Path, mx_type: str) -> None:
    n, bad, out = replay(tmp_path, mx_type, random=2400)
    assert n > 0 and n >= 2000
    assert bad == 0, "\n".join(out.splitlines()[:40])
