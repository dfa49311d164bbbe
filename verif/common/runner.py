"""``run_sim``: the one wrapper every RTL pytest entry point calls.

It builds the toplevel with Icarus Verilog through cocotb's own Python runner
(``cocotb_tools.runner``), in a build directory of its own per parameter set
(``sim_build/<toplevel>-<param-id>``, safe under xdist), runs the cocotb test
module with a seed derived from the pytest test id, and then checks the
results file itself: at least ``expected_tests`` tests ran and none failed.
cocotb reports a run in which zero tests ran as (0, 0), which must not pass.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path

from .manifest import INCLUDE_DIRS, ROOT, sources_for

__all__ = ["SimToolError", "run_sim", "param_id", "derive_seed"]

ICARUS_INSTALL = "install Icarus Verilog: `apt-get install iverilog` (or `make tools`)"


class SimToolError(RuntimeError):
    """A simulator or cocotb is missing; the message names the install command."""


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


def _require_tools() -> None:
    missing = [tool for tool in ("iverilog", "vvp") if shutil.which(tool) is None]
    if missing:
        raise SimToolError(f"{' and '.join(missing)} not found on PATH: {ICARUS_INSTALL}")


def run_sim(
    toplevel: str,
    tb_module: str,
    parameters: dict[str, int] | None = None,
    *,
    sources: Sequence[os.PathLike | str] | None = None,
    extra_env: Mapping[str, str] | None = None,
    expected_tests: int,
    seed: int | None = None,
    waves: bool = False,
) -> Path:
    """Build ``toplevel`` on Icarus, run the cocotb module ``tb_module``, and check the results.

    Args:
        toplevel: the Verilog module to simulate.
        tb_module: dotted name of the cocotb test module (e.g. ``verif.lfsr32.tb_lfsr32``).
        parameters: Verilog parameter overrides, normally from ``Format.rtl_params()``.
        sources: the Verilog files; default: the manifest's list for ``toplevel``.
        extra_env: configuration for the testbench (environment variables only).
        expected_tests: the least number of cocotb tests that must have run.
        seed: the cocotb random seed; default :func:`derive_seed`.
        waves: dump waveforms.

    Returns:
        The path of the results XML file.

    Raises:
        SimToolError: Icarus Verilog or cocotb is not installed.
        AssertionError: fewer than ``expected_tests`` tests ran, or any failed.
        ValueError: ``expected_tests`` is below 1.
    """
    if expected_tests < 1:
        raise ValueError(f"expected_tests must be >= 1, got {expected_tests}")
    _require_tools()
    try:
        from cocotb_tools.check_results import get_results
        from cocotb_tools.runner import get_runner
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise SimToolError(f"cocotb is not installed ({exc}): pip install -e '.[dev]'") from exc

    params = {k: int(v) for k, v in (parameters or {}).items()}
    srcs = [Path(s) for s in sources] if sources is not None else sources_for(toplevel)
    build_dir = ROOT / "sim_build" / f"{toplevel}-{param_id(params)}"
    run_seed = derive_seed(toplevel, params) if seed is None else int(seed)
    print(f"run_sim: {toplevel} {params} seed={run_seed} build_dir={build_dir}")

    runner = get_runner("icarus")
    runner.build(
        sources=srcs,
        includes=[ROOT / d for d in INCLUDE_DIRS],
        parameters=params,
        hdl_toplevel=toplevel,
        build_dir=build_dir,
        build_args=["-g2005"],
        timescale=("1ns", "1ps"),
        waves=waves,
        always=True,
    )
    results = runner.test(
        test_module=tb_module,
        hdl_toplevel=toplevel,
        seed=run_seed,
        extra_env=dict(extra_env or {}),
        build_dir=build_dir,
        test_dir=build_dir,
        results_xml=str(build_dir / "results.xml"),
        waves=waves,
    )
    n_tests, n_failed = get_results(Path(results))
    assert n_tests >= expected_tests, (
        f"{toplevel}: only {n_tests} cocotb test(s) ran, expected >= {expected_tests} (seed {run_seed})"
    )
    assert n_failed == 0, f"{toplevel}: {n_failed} of {n_tests} cocotb test(s) failed (seed {run_seed})"
    return Path(results)
