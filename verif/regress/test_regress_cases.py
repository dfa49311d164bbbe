"""The pytest side of ``fp8kit regress``: one test per plan case, run under pytest-xdist.

Not part of the project's own test suite: ``verif.regress.runner`` collects this file with the
selection in the environment (``FP8KIT_REGRESS_LEVEL``, ``_ONLY``, ``_SHARD``, ``_SEED``, ``_OUT``,
``_SIM``, ``_DUT``, ``_RTL_DIR``). Each test records ``vectors``, ``mismatches``, ``coverage`` (hit/defined),
``seed`` and ``repro`` (the command that reruns it) as JUnit properties, writes the case's
coverage to ``<out>/coverage/<case>.json``, and on failure reruns the case with waveforms into
``<out>/waves/<case>/``. A case whose build fails fails with the simulator's first error lines.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from verif.common import SimBuildError, SimFailure
from verif.regress.plan import Case, parse_shard, plan, select


def _env(name: str, default: str = "") -> str:
    """A run setting; read at each use, since one process may run several regressions."""
    return os.environ.get(f"FP8KIT_REGRESS_{name}", default)


def _cases() -> list[Case]:
    if _env("DUT"):
        from verif.byo import load_dut

        cases = load_dut(_env("DUT")).cases(_env("LEVEL", "quick"))
    else:
        cases = plan(_env("LEVEL", "quick"))
    only = [p for p in _env("ONLY").split(",") if p]
    return select(cases, only=only, shard=parse_shard(_env("SHARD", "1/1")))


def pytest_generate_tests(metafunc) -> None:
    if "case" in metafunc.fixturenames:
        cases = _cases()
        metafunc.parametrize("case", cases, ids=[c.id for c in cases])


def safe_name(case_id: str) -> str:
    """A file name for a case id."""
    return case_id.replace("/", "__")


def repro_command(case: Case) -> str:
    """The one-line command that reruns this case alone with the same seed."""
    extra = (f" --dut {_env('DUT')}" if _env("DUT") else "") + (
        f" --rtl-dir {_env('RTL_DIR')}" if _env("RTL_DIR") else "")
    return (f"fp8kit regress --level {_env('LEVEL', 'quick')} --seed {_seed()} --sim {_env('SIM', 'icarus')}{extra} "
            f"--only '{case.id}'")


def _seed() -> int:
    return int(_env("SEED", "1"), 0)


def _run(case: Case, build_dir: Path, waves: bool):
    rtl_dir = Path(_env("RTL_DIR")) if _env("RTL_DIR") else None  # fp8kit regress --rtl-dir
    return case.run(_seed(), build_dir, rtl_dir=rtl_dir, waves=waves, sim=_env("SIM", "icarus"))


def test_case(case: Case, record_property) -> None:
    name = safe_name(case.id)
    out = Path(_env("OUT", "regress_out"))
    record_property("seed", case.seed(_seed()))
    record_property("repro", repro_command(case))
    try:
        result, failure = _run(case, out / "sim" / name, waves=False), None
    except SimFailure as exc:
        result, failure = exc.result, exc
    except SimBuildError as exc:
        pytest.fail(f"{exc}\nreproduce: {repro_command(case)}", pytrace=False)
    report = result.report
    bins, hits = report.get("bins", []), report.get("hits", {})
    hit = sum(1 for b in bins if hits.get(b))
    cov_dir = out / "coverage"
    cov_dir.mkdir(parents=True, exist_ok=True)
    (cov_dir / f"{name}.json").write_text(json.dumps({"case": case.id, "op": case.op, "bins": bins, "hits": hits}))
    record_property("vectors", report.get("vectors", 0))
    record_property("mismatches", report.get("mismatches", 0))
    record_property("coverage", f"{hit}/{len(bins)}")
    if failure is not None:
        waves_dir = out / "waves" / name
        try:
            _run(case, waves_dir, waves=True)
        except SimFailure:
            pass
        record_property("waves", str(waves_dir))
        first = report.get("examples", [])
        detail = f"{report.get('mismatches', 0)} mismatches; first: {first[0]}" if first else str(failure)
        pytest.fail(f"{detail}\n{failure}\nreproduce: {repro_command(case)}\nwaveforms: {waves_dir}", pytrace=False)
    if not report:
        pytest.fail(f"{case.id}: the bench wrote no report (vectors and mismatches unknown)", pytrace=False)
