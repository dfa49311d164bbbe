"""Replay a vector file (``refmodel.vectors``) through its RTL module in a pure-Verilog bench on Icarus.

The benches (``verif/replay/tb_<module>_replay.v``) load the file with ``$readmemh``, compare every
output in the simulator and end with the line ``<N> vectors, <M> mismatches``.  The driver takes
the DUT parameters from the file's header, recomputed by refmodel (``refmodel.vectors.rtl_params``),
builds the bench with ``iverilog -g2005 -P...`` and checks that the bench saw every case.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, NamedTuple

from refmodel import vectors as vec

from ..common.manifest import INCLUDE_DIRS, ROOT, sources_for
from ..common.runner import SimToolError

__all__ = ["ReplayResult", "replay", "build", "run", "bench_path", "timed_replay"]

BENCH_DIR = Path(__file__).resolve().parent
_SUMMARY = re.compile(r"^(\d+) vectors, (\d+) mismatches$", re.M)


class ReplayResult(NamedTuple):
    """``vectors`` cases compared, ``mismatches`` among them, and the simulator's output."""

    vectors: int
    mismatches: int
    output: str


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise SimToolError(f"{name} not found on PATH: install Icarus Verilog (apt-get install iverilog)")
    return path


def bench_path(module: str) -> Path:
    """The replay bench of an RTL module."""
    return BENCH_DIR / f"tb_{module}_replay.v"


def build(header: dict[str, Any], out: "str | Path", *, max_report: int = 20) -> Path:
    """Compile the bench for a vector header into ``out`` (a vvp file); return its path.

    Raises:
        SimToolError: iverilog is missing.
        ValueError: the header's parameters disagree with refmodel's, or its op is unknown.
        RuntimeError: iverilog failed (its output is in the message).
    """
    iverilog = _tool("iverilog")
    module = vec.OPS[header["op"]]
    params = {**vec.rtl_params(header), "MAX_CASES": max(int(header["cases"]), 1), "MAX_REPORT": int(max_report)}
    top = f"tb_{module}_replay"
    cmd = [iverilog, "-g2005", *(f"-I{ROOT / d}" for d in INCLUDE_DIRS), "-s", top,
           *(f"-P{top}.{k}={v}" for k, v in params.items()), "-o", str(out),
           str(bench_path(module)), *map(str, sources_for(module))]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"iverilog failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return Path(out)


def run(sim: "str | Path", vector_file: "str | Path", cases: int) -> ReplayResult:
    """Run a compiled bench on a vector file of ``cases`` cases and parse its summary line.

    Raises:
        SimToolError: vvp is missing.
        RuntimeError: the simulation failed, printed no summary, or counted other than ``cases``
            vectors (a harness that skipped cases must not pass).
    """
    vvp = _tool("vvp")
    proc = subprocess.run([vvp, "-n", str(sim), f"+vectors={Path(vector_file).resolve()}"],
                          capture_output=True, text=True)
    output = proc.stdout + proc.stderr
    found = _SUMMARY.findall(output)
    if proc.returncode or len(found) != 1:
        raise RuntimeError(f"vvp exited {proc.returncode} without one summary line:\n{output[-4000:]}")
    n, bad = (int(x) for x in found[0])
    if n != cases:
        raise RuntimeError(f"the bench compared {n} vectors, the file holds {cases}:\n{output[-4000:]}")
    return ReplayResult(n, bad, output)


def replay(vector_file: "str | Path", *, max_report: int = 20, workdir: "str | Path | None" = None) -> ReplayResult:
    """Check the RTL module named in a vector file against every case of it.

    Args:
        vector_file: a file written by :func:`refmodel.vectors.write` (``fp8kit vectors``).
        max_report: mismatches printed in full (all are counted).
        workdir: where the compiled bench goes; default a temporary directory.

    Returns:
        :class:`ReplayResult`; ``mismatches == 0`` means the RTL matches refmodel on every case.

    Raises:
        SimToolError: Icarus Verilog is missing (the message names ``apt-get install iverilog``).
        ValueError: not a vector file, or parameters that disagree with refmodel.
        RuntimeError: compilation or simulation failed, or not every case was compared.
    """
    header = vec.read_header(vector_file)
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(workdir) if workdir is not None else Path(tmp)
        sim = build(header, where / f"replay_{header['op']}.vvp", max_report=max_report)
        return run(sim, vector_file, int(header["cases"]))


def timed_replay(vector_file: "str | Path", workdir: "str | Path") -> tuple[ReplayResult, float, float]:
    """:func:`replay` with the wall-clock seconds of compilation and of simulation, separately."""
    header = vec.read_header(vector_file)
    t0 = time.perf_counter()
    sim = build(header, Path(workdir) / f"replay_{header['op']}.vvp")
    t1 = time.perf_counter()
    result = run(sim, vector_file, int(header["cases"]))
    return result, t1 - t0, time.perf_counter() - t1
