"""Replay a vector file (``fp8kit.vectors``) through its RTL module in a pure-Verilog bench.

The bench of a file (``tb_<module>_replay``) is written into the build directory from the file's
column description (:mod:`verif.replay.bench`); it loads the file with ``$readmemh``, compares every
output in the simulator and ends with the line ``<N> vectors, <M> mismatches``.  The driver takes
the DUT parameters from the file's header, recomputed by refmodel (``fp8kit.vectors.rtl_params``),
writes and builds the bench with Icarus (``iverilog -g2005 -P...``, the default) or Verilator (``verilator
--binary -G...``: a build of seconds, then a hundred times Icarus' speed on the datapath modules),
runs it, and checks that the bench saw every case.  The file is read and checked in full first
(``fp8kit.vectors.read``: header, every case line, the checksum), so a damaged file is refused as
such and never reported as an RTL mismatch.  The build and the run go through ``fp8kit.procs``
(their own process group, killed with their children on a timeout or an interrupt).
"""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path
from typing import Any, NamedTuple

from fp8kit import procs
from fp8kit import vectors as vec

from ..common.manifest import include_dirs, sources_for
from . import bench
from ..common.runner import SimToolError

__all__ = ["SIMULATORS", "ReplayResult", "build", "replay", "run", "timed_replay"]

SIMULATORS = ("icarus", "verilator")
_INSTALL = {"iverilog": "Icarus Verilog (apt-get install iverilog)", "vvp": "Icarus Verilog (apt-get install iverilog)",
            "verilator": "Verilator (apt-get install verilator)"}
_SUMMARY = re.compile(r"^(\d+) vectors, (\d+) mismatches$", re.MULTILINE)
_TIMEOUT_HINT = "--timeout SECONDS (fp8kit replay) or timeout= (verif.replay.replay)"


class ReplayResult(NamedTuple):
    """``vectors`` cases compared, ``mismatches`` among them, and the simulator's output."""

    vectors: int
    mismatches: int
    output: str


def _tool(name: str) -> str:
    return procs.require(name, f"install {_INSTALL[name]}", error=SimToolError)


def _check_simulator(simulator: str) -> str:
    if simulator not in SIMULATORS:
        raise ValueError(f"unknown simulator {simulator!r}; allowed: {', '.join(SIMULATORS)}")
    return simulator


def build(header: dict[str, Any], workdir: str | Path, *, max_report: int = 20, simulator: str = "icarus",
          timeout: float | None = None, rtl_dir: str | Path | None = None) -> Path:
    """Write the bench for a vector header into ``workdir`` and compile it there; return the executable.

    The executable is the vvp file (Icarus) or the Verilator binary.  ``rtl_dir`` takes the DUT's
    files and the include directory from another copy of ``rtl/`` (default the checkout's).

    Raises:
        SimToolError: the simulator is missing.
        ValueError: an unknown simulator, parameters that disagree with refmodel, an unknown op, an
            ``rtl_dir`` that is not a directory.
        fp8kit.procs.StepTimeout: the build ran past ``timeout`` seconds (it was killed).
        RuntimeError: the compiler failed (its output is in the message).
    """
    _check_simulator(simulator)
    _check_rtl_dir(rtl_dir)
    dut = vec.rtl_params(header)
    params = {**dut, "MAX_CASES": max(int(header["cases"]), 1), "MAX_REPORT": int(max_report)}
    module = vec.OPS[header["op"]]  # rtl_params refused an unknown op
    top = bench.top_name(module)
    workdir = Path(workdir)
    sources = [str(bench.write(header, dut, workdir)), *map(str, sources_for(module, rtl_dir))]
    includes = [f"-I{d}" for d in include_dirs(rtl_dir)]
    if simulator == "icarus":
        out = workdir / f"{top}.vvp"
        cmd = [_tool("iverilog"), "-g2005", *includes, "-s", top, *(f"-P{top}.{k}={v}" for k, v in params.items()),
               "-o", str(out), *sources]
    else:
        obj = workdir / f"obj_{top}"
        out = obj / f"V{top}"
        cmd = [_tool("verilator"), "--binary", "-Wno-fatal", "-Wno-lint", "-Wno-style", *includes, "--top-module", top,
               *(f"-G{k}={v}" for k, v in params.items()), "-Mdir", str(obj), *sources]
    tool = "iverilog" if simulator == "icarus" else "verilator"
    proc = procs.run(cmd, step=f"{tool} build of {top}", timeout=timeout, raise_hint=_TIMEOUT_HINT)
    if proc.returncode:
        raise RuntimeError(f"{simulator} build failed ({proc.returncode}):\n{proc.stdout[-4000:]}{proc.stderr[-4000:]}")
    return out


def _check_rtl_dir(rtl_dir: str | Path | None) -> None:
    if rtl_dir is not None and not Path(rtl_dir).is_dir():
        raise ValueError(f"rtl_dir (--rtl-dir) {str(rtl_dir)!r} is not a directory")


def run(sim: str | Path, vector_file: str | Path, cases: int, *, timeout: float | None = None) -> ReplayResult:
    """Run a built bench (a ``.vvp`` file on vvp, else the Verilator binary) and parse its summary line.

    Raises:
        SimToolError: vvp is missing.
        fp8kit.procs.StepTimeout: the run passed ``timeout`` seconds (it was killed).
        RuntimeError: the simulation failed, printed no summary, or counted other than ``cases``
            vectors (a harness that skipped cases must not pass).
    """
    plusarg = f"+vectors={Path(vector_file).resolve()}"
    vvp = str(sim).endswith(".vvp")
    cmd = [_tool("vvp"), "-n", str(sim), plusarg] if vvp else [str(sim), plusarg]
    step = f"{'vvp' if vvp else 'verilated'} run of {Path(sim).stem.lstrip('V')}"
    proc = procs.run(cmd, step=step, timeout=timeout, raise_hint=_TIMEOUT_HINT)
    output = proc.stdout + proc.stderr
    found = _SUMMARY.findall(output)
    if proc.returncode or len(found) != 1:
        raise RuntimeError(f"{cmd[0]} exited {proc.returncode} without one summary line:\n{output[-4000:]}")
    n, bad = (int(x) for x in found[0])
    if n != cases:
        raise RuntimeError(f"the bench compared {n} vectors, the file holds {cases}:\n{output[-4000:]}")
    return ReplayResult(n, bad, output)


def replay(vector_file: str | Path, *, max_report: int = 20, workdir: str | Path | None = None,
           simulator: str = "icarus", timeout: float | None = None, rtl_dir: str | Path | None = None) -> ReplayResult:
    """Check the RTL module named in a vector file against every case of it.

    Args:
        vector_file: a file written by :func:`fp8kit.vectors.write` (``fp8kit vectors``); it is
            read and checked in full (:func:`fp8kit.vectors.read`) before anything is built.
        max_report: mismatches printed in full (all are counted), 0 or more.
        workdir: where the compiled bench goes; default a temporary directory.
        simulator: ``icarus`` (default) or ``verilator``.
        timeout: seconds each of the build and the run may take (``None``: no limit).
        rtl_dir: another copy of ``rtl/`` to take the DUT from (a modified or mutated RTL); default the
            checkout's.

    Returns:
        :class:`ReplayResult`; ``mismatches == 0`` means the RTL matches refmodel on every case.

    Raises:
        SimToolError: the simulator is missing (the message names ``apt-get install iverilog``
            or ``verilator``).
        ValueError: not a vector file or a damaged one (an appended or missing line, a removed
            word, a digit that is not hex, an edited header: the message names the file and the
            line), an unknown simulator, a bad ``max_report`` or ``timeout``, or parameters that
            disagree with refmodel.
        fp8kit.procs.StepTimeout: the build or the run passed ``timeout`` (it was killed).
        RuntimeError: compilation or simulation failed, or not every case was compared.
    """
    _check_rtl_dir(rtl_dir)
    header = _checked(vector_file, simulator, max_report, timeout)
    with tempfile.TemporaryDirectory() as tmp:
        sim = build(header, tmp if workdir is None else workdir, max_report=max_report, simulator=simulator,
                    timeout=timeout, rtl_dir=rtl_dir)
        return run(sim, vector_file, int(header["cases"]), timeout=timeout)


def _checked(vector_file: str | Path, simulator: str, max_report: Any, timeout: Any) -> dict[str, Any]:
    """The header of a fully checked vector file, after the other arguments are checked."""
    _check_simulator(simulator)
    if isinstance(max_report, bool) or not isinstance(max_report, int) or max_report < 0:
        raise ValueError(f"max_report (--max-report) must be an integer >= 0, got {max_report!r}")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0):
        raise ValueError(f"timeout (--timeout) must be a positive number of seconds, got {timeout!r}")
    return vec.read(vector_file).header


def timed_replay(vector_file: str | Path, workdir: str | Path, simulator: str = "icarus",
                 timeout: float | None = None) -> tuple[ReplayResult, float, float]:
    """:func:`replay` with the wall-clock seconds of the build and of the simulation, separately."""
    header = _checked(vector_file, simulator, 20, timeout)
    t0 = time.perf_counter()
    sim = build(header, workdir, simulator=simulator, timeout=timeout)
    t1 = time.perf_counter()
    result = run(sim, vector_file, int(header["cases"]), timeout=timeout)
    return result, t1 - t0, time.perf_counter() - t1
