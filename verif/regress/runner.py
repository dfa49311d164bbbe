"""``fp8kit regress``: run the plan under pytest-xdist with a live display, then summarise.

Output directory (``--out``, default ``regress_out``): ``junit.xml``; ``summary.json`` (one row per
case: id, outcome, vectors, mismatches, coverage, seconds, seed, repro, waves);
``coverage.json`` and ``coverage.txt`` (bins per op, hit counts, the missed ones); ``coverage/``
(one file per case, mergeable with ``verif.coverage.merge``); ``sim/`` (build directories) and
``waves/`` (FST waveforms of failing cases, rerun with dumping on).

Exit status: 0 when every case passed with zero mismatches and, on a whole-level run (no
``--only``, no ``--shard``, no ``--dut``), every defined coverage bin was hit; 1 otherwise. Bad
arguments raise ``ValueError`` and a missing tool :class:`fp8kit.procs.ToolMissing` (``fp8kit``
exits 2), before anything runs. An interrupt rewrites ``junit.xml`` with an ``<error>`` testcase
named ``interrupted`` (so that CI cannot read the partial run as a pass), writes ``summary.json``
of the finished cases and raises :class:`fp8kit.procs.Interrupted` naming both (exit 130).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from fp8kit.procs import Interrupted, ToolMissing
from verif import coverage
from verif.common.runner import check_simulator
from verif.regress.plan import LEVELS, parse_shard, plan, select

__all__ = ["RegressOptions", "regress"]

CASES_FILE = Path(__file__).with_name("test_regress_cases.py")


@dataclasses.dataclass
class RegressOptions:
    """The command line of ``fp8kit regress``."""

    level: str = "quick"
    jobs: str = "auto"
    seed: int = 1
    shard: str = "1/1"
    only: tuple[str, ...] = ()
    out: Path = Path("regress_out")
    sim: str = "icarus"
    dut: str = ""
    rtl_dir: str = ""
    list_only: bool = False


@dataclasses.dataclass
class Row:
    id: str
    outcome: str
    vectors: int
    mismatches: int
    coverage: str
    seconds: float
    seed: int
    repro: str
    waves: str
    message: str


class _Live:
    """pytest plugin (controller side): a progress bar and one line per finished case."""

    def __init__(self, console: Console, total: int) -> None:
        self.console = console
        self.rows: list[Row] = []
        self.progress = Progress(TextColumn("regress"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[state]}"),
                                 TimeElapsedColumn(), console=console, transient=True)
        self.task = self.progress.add_task("cases", total=total, state="")
        self.failed = 0

    def pytest_sessionstart(self, session) -> None:
        self.progress.start()

    def pytest_runtest_logreport(self, report) -> None:
        if not (report.when == "call" or (report.when == "setup" and not report.passed)):
            return
        props = dict(report.user_properties)
        case_id = report.nodeid.split("[", 1)[-1].rstrip("]")
        outcome = "PASS" if report.passed else ("SKIP" if report.skipped else "FAIL")
        crash = getattr(getattr(report.longrepr, "reprcrash", None), "message", None)
        lines = [] if report.passed else (crash or str(report.longrepr)).strip().splitlines()
        log = next((ln for ln in str(report.longrepr).splitlines() if ln.startswith("build log: ")), "")
        message = (lines[0].removeprefix("Failed: ")[:300] if lines else "") + (f" ({log})" if log else "")
        row = Row(case_id, outcome, int(props.get("vectors", 0)), int(props.get("mismatches", 0)),
                  str(props.get("coverage", "-")), float(report.duration), int(props.get("seed", 0)),
                  str(props.get("repro", "")), str(props.get("waves", "")), message)
        self.rows.append(row)
        self.failed += outcome != "PASS"
        style = "green" if outcome == "PASS" else "bold red"
        if row.coverage == "0/0":
            row.coverage = "-"
        self.console.print(f"[{style}]{outcome}[/] {row.id}  {row.vectors:,} vectors, {row.mismatches} mismatches, "
                           f"coverage {row.coverage}, {row.seconds:.1f} s")
        self.progress.update(self.task, advance=1, state=f"{self.failed} failed" if self.failed else "")

    def pytest_sessionfinish(self, session) -> None:
        self.progress.stop()


def _coverage_report(out: Path) -> tuple[dict, list[str]]:
    """Merge the per-case coverage files by op; return (per-op summary, missed bins as op:bin)."""
    by_op: dict[str, list] = {}
    for f in sorted((out / "coverage").glob("*.json")):
        data = json.loads(f.read_text())
        by_op.setdefault(data["op"], []).append((data["bins"], data["hits"]))
    summary, missed_all = {}, []
    for op, runs in sorted(by_op.items()):
        bins, hits = coverage.merge(runs)
        missed = coverage.missed(bins, hits)
        summary[op] = {"defined": len(bins), "hit": len(bins) - len(missed), "missed": missed,
                       "hits": {b: hits.get(b, 0) for b in sorted(bins)}}
        missed_all += [f"{op}:{b}" for b in missed]
    return summary, missed_all


def _write_coverage_text(path: Path, summary: dict) -> None:
    lines = []
    for op, s in summary.items():
        lines.append(f"== {op}: {s['hit']}/{s['defined']} bins hit")
        lines += [f"  {count:>10,}  {b}" for b, count in s["hits"].items()]
        lines += [f"  MISSED      {b}" for b in s["missed"]]
    path.write_text("\n".join(lines) + "\n")


def _check_pytest(jobs: str) -> None:
    """Fail unless pytest (and for ``jobs`` other than 1, pytest-xdist) is installed."""
    from importlib.util import find_spec

    if find_spec("pytest") is None:
        raise ToolMissing("pytest is not installed: pip install 'fp8kit[sim]'")
    if jobs != "1" and find_spec("xdist") is None:
        raise ToolMissing("pytest-xdist is not installed: pip install 'fp8kit[sim]' (or use --jobs 1)")


def _mark_interrupted(junit: Path, done: int, total: int) -> None:
    """Rewrites ``junit`` with an ``<error>`` testcase ``interrupted`` added to its first suite (a fresh
    file if it is missing or unreadable), the suite's ``tests`` and ``errors`` counts raised to match."""
    try:
        root = ET.parse(junit).getroot()
    except (OSError, ET.ParseError):
        root = ET.Element("testsuites")
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    if suite is None:
        suite = ET.SubElement(root, "testsuite", name="fp8kit-regress")
    case = ET.SubElement(suite, "testcase", classname="fp8kit.regress", name="interrupted", time="0")
    text = f"the regression was interrupted after {done} of {total} cases; the run is incomplete"
    ET.SubElement(case, "error", type="interrupted", message=text).text = text
    for key in ("tests", "errors"):
        suite.set(key, str(int(suite.get(key, "0")) + 1))
    ET.ElementTree(root).write(junit, encoding="utf-8", xml_declaration=True)


def _select(opts: RegressOptions, console: Console) -> tuple[list, tuple[int, int]]:
    """The selected cases and the shard; prints a BYO DUT's description unless listing.

    Raises:
        ValueError: a bad level, shard, ``--rtl-dir``, ``--dut`` file or selection.
    """
    if opts.level not in LEVELS:
        raise ValueError(f"unknown level {opts.level!r}; allowed: {', '.join(LEVELS)}")
    shard = parse_shard(opts.shard)
    if opts.rtl_dir and not Path(opts.rtl_dir).is_dir():
        raise ValueError(f"--rtl-dir {opts.rtl_dir!r} is not a directory")
    if opts.dut:
        from verif.byo import load_dut

        spec = load_dut(opts.dut)
        if not opts.list_only:
            console.print(spec.describe(), highlight=False)
        all_cases = spec.cases(opts.level)
    else:
        all_cases = plan(opts.level)
    return select(all_cases, only=opts.only, shard=shard), shard


def regress(opts: RegressOptions, console: Console | None = None) -> int:
    """Run the regression; return the exit status (see the module docstring).

    Raises:
        ValueError: bad options (before anything runs).
        fp8kit.procs.ToolMissing: the simulator, pytest or pytest-xdist is missing.
        fp8kit.procs.Interrupted: the run was interrupted (after marking ``junit.xml``).
    """
    console = console or Console()
    cases, shard = _select(opts, console)
    if opts.list_only:
        for c in cases:
            console.print(c.id, highlight=False)
        return 0
    check_simulator(opts.sim)
    _check_pytest(opts.jobs)
    out = opts.out.resolve()
    for sub in ("coverage", "waves"):
        shutil.rmtree(out / sub, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    env = {"FP8KIT_REGRESS_LEVEL": opts.level, "FP8KIT_REGRESS_SEED": str(opts.seed), "FP8KIT_REGRESS_OUT": str(out),
           "FP8KIT_REGRESS_SIM": opts.sim, "FP8KIT_REGRESS_ONLY": ",".join(opts.only),
           "FP8KIT_REGRESS_SHARD": opts.shard, "FP8KIT_REGRESS_DUT": str(Path(opts.dut).resolve()) if opts.dut else "",
           "FP8KIT_REGRESS_RTL_DIR": str(Path(opts.rtl_dir).resolve()) if opts.rtl_dir else ""}
    os.environ.update(env)
    console.print(f"fp8kit regress: level {opts.level}, {len(cases)} cases (shard {opts.shard}), seed {opts.seed}, "
                  f"simulator {opts.sim}, {opts.jobs} jobs -> {out}", highlight=False)
    live = _Live(console, len(cases))
    # -c os.devnull: no pytest configuration of the checkout or of a project around the install applies;
    # rootdir: the directory that holds the verif package
    args = [str(CASES_FILE), "-c", os.devnull, "--rootdir", str(CASES_FILE.parents[2]), "-p", "no:cacheprovider",
            "-p", "no:terminal", "--junitxml", str(out / "junit.xml"), "-o", "junit_family=xunit1"]
    if opts.jobs != "1":
        args += ["-n", opts.jobs]
    import pytest

    t0 = time.perf_counter()
    try:
        rc = pytest.main(args, plugins=[live])
    except KeyboardInterrupt:  # a second interrupt while pytest was already stopping
        rc = pytest.ExitCode.INTERRUPTED
    wall = time.perf_counter() - t0
    if rc == pytest.ExitCode.INTERRUPTED:
        live.progress.stop()
        _mark_interrupted(out / "junit.xml", len(live.rows), len(cases))
        rows = sorted(live.rows, key=lambda r: r.id)
        (out / "summary.json").write_text(json.dumps([dataclasses.asdict(r) for r in rows], indent=1))
        console.print(f"[bold red]interrupted[/] after {len(rows)} of {len(cases)} cases; "
                      f"{out / 'junit.xml'} records the interruption as an error", highlight=False)
        raise Interrupted([str(out / "junit.xml"), str(out / "summary.json")])

    summary, missed = _coverage_report(out)
    (out / "coverage.json").write_text(json.dumps(summary, indent=1))
    _write_coverage_text(out / "coverage.txt", summary)
    rows = sorted(live.rows, key=lambda r: r.id)
    (out / "summary.json").write_text(json.dumps([dataclasses.asdict(r) for r in rows], indent=1))

    table = Table(title=f"fp8kit regress ({opts.level}): {len(rows)} cases in {wall:.0f} s")
    for col in ("case", "result", "vectors", "mismatches", "coverage", "s"):
        table.add_column(col, justify="left" if col in ("case", "result") else "right")
    for r in rows:
        table.add_row(r.id, r.outcome if r.outcome == "PASS" else f"[bold red]{r.outcome}[/]", f"{r.vectors:,}",
                      str(r.mismatches), r.coverage, f"{r.seconds:.1f}")
    console.print(table)
    cov = Table(title="functional coverage (bins hit / defined, by op)")
    cov.add_column("op")
    cov.add_column("bins", justify="right")
    cov.add_column("missed")
    for op, s in summary.items():
        if not s["defined"]:
            continue
        cov.add_row(op, f"{s['hit']}/{s['defined']}", ", ".join(s["missed"][:6]) + (" ..." if len(s["missed"]) > 6 else ""))
    console.print(cov)

    failed = [r for r in rows if r.outcome != "PASS" or r.mismatches]
    whole = not opts.only and shard == (1, 1) and not opts.dut and not opts.rtl_dir
    vectors = sum(r.vectors for r in rows)
    mism = sum(r.mismatches for r in rows)
    console.print(f"{len(rows) - len(failed)} passed, {len(failed)} failed; {vectors:,} vectors, {mism} mismatches; "
                  f"JUnit {out / 'junit.xml'}, coverage {out / 'coverage.txt'}", highlight=False)
    for r in failed:
        console.print(f"[bold red]FAIL[/] {r.id}: {r.message}\n  reproduce: {r.repro}"
                      + (f"\n  waveforms: {r.waves}" if r.waves else ""), highlight=False)
    if len(rows) < len(cases):
        console.print(f"[bold red]only {len(rows)} of {len(cases)} cases reported a result[/]")
    bad_cov = whole and bool(missed)
    if bad_cov:
        console.print(f"[bold red]coverage not closed: {len(missed)} bins missed[/]: {', '.join(missed[:20])}")
    elif missed:
        console.print(f"{len(missed)} bins not hit in this partial run (closure is checked on whole-level runs)")
    return 0 if (rc == 0 and not failed and len(rows) == len(cases) and not bad_cov) else 1
