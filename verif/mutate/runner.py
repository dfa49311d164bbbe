"""Running mutants: the cases a mutant of a file runs (in kill order), the compile check, the worker
process that runs the cases, and :func:`mutate`, the ``fp8kit mutate`` command."""

from __future__ import annotations

import dataclasses
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from fp8kit import paths
from fp8kit import procs
from verif.common.manifest import MANIFEST, include_dirs, sources_for
from verif.common.runner import error_lines
from verif.mutate.catalogue import DEFAULT_MAX_PER_MODULE, MODULES, OWN_CASES_ONLY, RTL, equivalent_reason, generate
from verif.mutate.mutant import Mutant
from verif.mutate.report import status_style, write_report
from verif.regress.plan import Case, plan

__all__ = ["MutateOptions", "Outcome", "affected_cases", "compile_check", "mutate", "run_cases"]

def _spread(cases: Sequence[Case]) -> list[Case]:
    """``cases`` reordered so that neighbours differ: each next case shares the fewest id parts
    (``/``-separated) with the cases already taken; ties keep plan order."""
    left = list(cases)
    seen: dict[tuple[int, str], int] = {}
    out = []
    while left:
        best = min(range(len(left)), key=lambda k: (sum(seen.get((i, p), 0) for i, p in
                                                       enumerate(left[k].id.split("/"))), k))
        c = left.pop(best)
        for i, p in enumerate(c.id.split("/")):
            seen[(i, p)] = seen.get((i, p), 0) + 1
        out.append(c)
    return out


def affected_cases(module: str, level: str = "quick") -> list[Case]:
    """The cases of ``level`` whose toplevel's sources include ``rtl/<module>.v``, in kill order:
    the module's own cases first, then the others, each spread over configurations. The cases of a
    top in :data:`~verif.mutate.catalogue.OWN_CASES_ONLY` run only for its own file's mutants."""
    name = f"{module}.v"
    cases = [c for c in plan(level) if name in MANIFEST[c.toplevel]
             and (c.toplevel == module or c.toplevel not in OWN_CASES_ONLY)]
    return _spread([c for c in cases if c.toplevel == module]) + _spread([c for c in cases if c.toplevel != module])


@dataclasses.dataclass
class MutateOptions:
    """The command line of ``fp8kit mutate``."""

    modules: tuple[str, ...] = ()
    max_per_module: int | None = DEFAULT_MAX_PER_MODULE
    seed: int = 1
    out: Path = Path("mutate_out")
    jobs: int = 0
    timeout: float = 60.0
    list_only: bool = False


@dataclasses.dataclass
class Outcome:
    """What running one mutant gave.

    Attributes:
        status: one of :data:`STATUSES`.
        case: the killing case (killed), the case that ran past the timeout (timeout), else "".
        cases_run: cases that ran to completion.
        seconds: wall time spent on the mutant.
        message: the compiler's error (stillborn), the first mismatch or failure (killed), the
            reason (equivalent).
    """

    status: str
    case: str = ""
    cases_run: int = 0
    seconds: float = 0.0
    message: str = ""


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def _copy_rtl(dest: Path, src: Path = RTL) -> Path:
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("*.core", "*.md"))
    return dest


def compile_check(rtl_dir: Path, cases: Sequence[Case], timeout: float) -> str:
    """"" if every toplevel and parameter set of ``cases`` compiles from ``rtl_dir`` with
    ``iverilog -g2005``, else the reason (the first error lines, or the timeout)."""
    builds = sorted({(c.toplevel, c.params) for c in cases})
    for top, params in builds:
        srcs = [str(p) for p in sources_for(top, rtl_dir)]
        incs = [f"-I{d}" for d in include_dirs(rtl_dir)]
        cmd = ["iverilog", "-g2005", "-o", os.devnull, *incs, *(f"-P{top}.{k}={v}" for k, v in params), "-s", top,
               *srcs]
        try:
            r = procs.run(cmd, step=f"iverilog compile check of {top}", timeout=timeout, raise_hint="--timeout SECONDS")
        except procs.StepTimeout as exc:
            return str(exc)
        if r.returncode:
            return f"{top} {dict(params)}: " + " | ".join(error_lines(r.stderr + r.stdout, strip=f"{rtl_dir}{os.sep}"))
    return ""


_LIVE: set[subprocess.Popen] = set()
_LIVE_LOCK = threading.Lock()


def _kill(proc: subprocess.Popen) -> None:
    """Kills the worker's process group (the worker and every simulator it started)."""
    procs.kill_group(proc, grace=0.5)


def run_cases(rtl_dir: Path, cases: Sequence[Case], work: Path, timeout: float, log: Path,
              pristine: Path | None = None) -> Outcome:
    """Run ``cases`` in order on the RTL in ``rtl_dir`` (one worker process), stopping at the first
    failure: ``killed`` (with the case), ``timeout`` (a case ran longer than ``timeout`` s: the
    worker is killed), ``survived``, or ``error`` (the worker died without a verdict; see ``log``).

    A failure that the bench did not report as a mismatch (fewer cocotb tests ran than expected, a
    test raised, the build failed) kills only if the same case passes on ``pristine``, the unmutated
    copy of the run, right after: else the bench or the checkout broke under the run (another
    edit in a shared working tree, say) and the outcome is ``error``, not a kill. Without
    ``pristine`` (the unmutated run itself) every failure counts.
    """
    t0 = time.perf_counter()
    request = {"rtl_dir": str(rtl_dir), "work": str(work), "log": str(log), "cases": [c.id for c in cases],
               "pristine": str(pristine) if pristine is not None else ""}
    root = paths.checkout_root()  # from a checkout, the worker imports its verif whether installed or not
    path = [str(root)] if root else []
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*path, os.environ.get("PYTHONPATH", "")])}
    proc = procs.popen([sys.executable, "-c", "from verif.mutate.runner import _worker; _worker()"], env=env,
                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    with _LIVE_LOCK:
        _LIVE.add(proc)
    lines: queue.Queue = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(ln) for ln in proc.stdout] + [lines.put(None)], daemon=True)
    reader.start()
    try:
        proc.stdin.write(json.dumps(request))
        proc.stdin.close()
        for k, case in enumerate(cases):
            try:
                line = lines.get(timeout=timeout)
            except queue.Empty:
                return Outcome("timeout", case.id, k, time.perf_counter() - t0, f"no result in {timeout:.0f} s")
            if line is None:
                return Outcome("error", case.id, k, time.perf_counter() - t0, f"the worker died; see {log}")
            result = json.loads(line)
            if result.get("error"):
                return Outcome("error", case.id, k, time.perf_counter() - t0, result["message"])
            if not result["ok"]:
                return Outcome("killed", case.id, k + 1, time.perf_counter() - t0, result["message"])
        return Outcome("survived", "", len(cases), time.perf_counter() - t0)
    finally:
        _kill(proc)
        reader.join()
        proc.stdout.close()
        with _LIVE_LOCK:
            _LIVE.discard(proc)


def _worker() -> None:
    """The worker process of :func:`run_cases`: reads the request (JSON) on stdin, runs each case
    with ``Case.run`` exactly as ``fp8kit regress`` does (run seed 1) but with the sources taken
    from ``rtl_dir``, and writes one JSON line per case on stdout (``error``: the failure was no
    mismatch and the case fails on the pristine copy too; see :func:`run_cases`); simulator output
    goes to the log."""
    procs.die_with_children_on_sigterm()  # a timed-out worker takes its vvp with it
    request = json.loads(sys.stdin.read())
    proto = os.fdopen(os.dup(1), "w")
    log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    cases = {c.id: c for c in plan("quick")}
    rtl_dir, work = Path(request["rtl_dir"]), Path(request["work"])
    pristine = Path(request["pristine"]) if request.get("pristine") else None
    for case_id in request["cases"]:
        ok, message, mismatch = _run_case(cases[case_id], rtl_dir, work / _safe(case_id))
        error = False
        if not ok and not mismatch and pristine is not None:
            clean, why, _ = _run_case(cases[case_id], pristine, work / f"{_safe(case_id)}-unmutated")
            if not clean:
                error = True
                message = (f"not scored: the unmutated RTL fails {case_id} too now, so the bench or the checkout "
                           f"broke under the run ({why})")[:400]
        print(json.dumps({"case": case_id, "ok": ok, "message": message, "error": error}), file=proto, flush=True)
        if not ok:
            return


def _run_case(case: Case, rtl_dir: Path, work: Path) -> tuple[bool, str, bool]:
    """Run one case on ``rtl_dir``: (passed, the first mismatch or the failure in one line, whether the
    bench reported a mismatch)."""
    from verif.common import SimFailure

    try:
        case.run(1, work, rtl_dir=rtl_dir)
    except SimFailure as exc:
        report = exc.result.report
        examples = report.get("examples", [])
        return False, (examples[0] if examples else str(exc)).splitlines()[0][:300], bool(report.get("mismatches"))
    except RuntimeError as exc:  # cocotb's runner: the build failed, as the regression would see it
        return False, f"{type(exc).__name__}: {exc}".splitlines()[0][:300], False
    return True, "", False


def _check_options(opts: MutateOptions) -> None:
    if opts.jobs < 0:
        raise ValueError(f"--jobs must be >= 1 (0: one per CPU), got {opts.jobs}")
    if not opts.timeout > 0:
        raise ValueError(f"--timeout must be > 0 seconds, got {opts.timeout}")
    for tool in ("iverilog", "vvp"):
        procs.require(tool, "`apt-get install iverilog` (or `make tools`)")


def _run_one(mutant: Mutant | None, cases: Sequence[Case], scratch: Path, logs: Path, timeout: float,
             pristine: Path | None = None) -> Outcome:
    """Apply ``mutant`` (None: the unmutated RTL) to a fresh copy of ``pristine`` (the run's snapshot of
    rtl/; None: rtl/ itself), compile, run ``cases`` (a mutant's failure that is no mismatch is checked on
    ``pristine``: :func:`run_cases`)."""
    name = _safe(mutant.id if mutant else "baseline")
    work = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=scratch))
    try:
        rtl_dir = _copy_rtl(work / "rtl", pristine or RTL)
        if mutant is not None:
            path = rtl_dir / f"{mutant.module}.v"
            path.write_text(mutant.apply(path.read_text()))
        t0 = time.perf_counter()
        reason = compile_check(rtl_dir, cases, timeout)
        if reason:
            return Outcome("stillborn", seconds=time.perf_counter() - t0, message=reason)
        return run_cases(rtl_dir, cases, work / "sim", timeout, logs / f"{name}.log",
                         pristine if mutant is not None else None)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _baseline(modules: Sequence[str], jobs: int, scratch: Path, logs: Path, timeout: float,
              pool: ThreadPoolExecutor, pristine: Path) -> Outcome | None:
    """Run every affected case on the unmutated RTL in ``jobs`` interleaved chunks; the first
    failing chunk's :class:`Outcome`, or None when all pass."""
    cases = {c.id: c for m in modules for c in affected_cases(m)}
    ordered = sorted(cases.values(), key=lambda c: c.id)
    chunks = [ordered[k::jobs] for k in range(jobs) if ordered[k::jobs]]
    for out in pool.map(lambda ch: _run_one(None, ch, scratch, logs, timeout, pristine), chunks):
        if out.status != "survived":
            return out
    return None


def mutate(opts: MutateOptions, console=None) -> int:
    """Run ``fp8kit mutate``: list or run the mutants, write ``<out>/mutants.json`` and
    ``<out>/survivors.diff``, print the table, the score and every survivor's diff.

    ``mutants.json``: ``{"score", "counts", "seconds", "options", "mutants": [{id, module, line,
    operator, description, status, case, cases_run, seconds, message, diff}]}``; worker logs go to
    ``<out>/logs/``.

    Returns:
        0 when no mutant survived or erred, 1 otherwise, 2 for an unmutated RTL that fails its own
        cases (the score would mean nothing).

    Raises:
        ValueError: bad options or module names (checked before anything runs).
        fp8kit.procs.ToolMissing: iverilog/vvp not installed.
        fp8kit.procs.Interrupted: on an interrupt, after killing every worker's process group;
            the logs of the mutants that finished are kept.
    """
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    _check_options(opts)
    modules = tuple(dict.fromkeys(opts.modules)) or MODULES
    mutants = generate(modules, max_per_module=opts.max_per_module, seed=opts.seed)
    if opts.list_only:
        table = Table(title=f"fp8kit mutate: {len(mutants)} mutants", title_justify="left")
        for col in ("id", "line", "description"):
            table.add_column(col)
        for mu in mutants:
            table.add_row(mu.id, str(mu.line), mu.description)
        console.print(table)
        return 0

    jobs = opts.jobs or os.cpu_count() or 1
    out = opts.out.resolve()
    shutil.rmtree(out / "logs", ignore_errors=True)
    (out / "logs").mkdir(parents=True)
    scratch = Path(tempfile.mkdtemp(prefix="fp8kit-mutate-"))
    # a snapshot of rtl/: every mutant starts from it (another edit to rtl/ during the run changes
    # nothing), and a failure that is no mismatch is checked on it (run_cases)
    pristine = _copy_rtl(scratch / "pristine-rtl")
    mutants = generate(modules, max_per_module=opts.max_per_module, seed=opts.seed, rtl=pristine)
    texts = {m: (pristine / f"{m}.v").read_text() for m in modules}
    plans = {m: affected_cases(m) for m in modules}
    console.print(f"fp8kit mutate: {len(mutants)} mutants of {', '.join(modules)}; sample seed {opts.seed}, "
                  f"{jobs} jobs, {opts.timeout:.0f} s per case -> {out}", highlight=False)
    t0 = time.perf_counter()
    rows: dict[str, dict] = {}
    try:
        with ThreadPoolExecutor(jobs) as pool:
            bad = _baseline(modules, jobs, scratch, out / "logs", opts.timeout, pool, pristine)
            if bad is not None:
                console.print(f"[bold red]error:[/] the unmutated RTL fails: {bad.status} {bad.case} {bad.message} "
                              "(fix it before scoring mutants)", highlight=False)
                return 2
            console.print(f"unmutated RTL: {len({c.id for p in plans.values() for c in p})} cases pass "
                          f"({time.perf_counter() - t0:.0f} s)", highlight=False)

            def one(mu: Mutant) -> tuple[Mutant, Outcome]:
                before, after = mu.changed_lines(texts[mu.module])
                reason = equivalent_reason(mu.module, texts[mu.module], before, after)
                if reason is not None:
                    return mu, Outcome("equivalent", message=reason)
                return mu, _run_one(mu, plans[mu.module], scratch, out / "logs", opts.timeout, pristine)

            for k, (mu, res) in enumerate(pool.map(one, mutants), 1):
                rows[mu.id] = {**{f: getattr(mu, f) for f in ("id", "module", "line", "operator", "description")},
                               **dataclasses.asdict(res), "diff": mu.diff(texts[mu.module])}
                style = status_style(res.status)
                console.print(f"[{k}/{len(mutants)}] [{style}]{res.status:<10}[/] {mu.id}  {mu.description}"
                              + (f"  <- {res.case}" if res.case else "") + f"  ({res.seconds:.0f} s)",
                              highlight=False)
    except KeyboardInterrupt:
        raise procs.Interrupted([str(out / "logs")]) from None
    finally:
        with _LIVE_LOCK:
            for proc in list(_LIVE):
                _kill(proc)
        shutil.rmtree(scratch, ignore_errors=True)
    wall = time.perf_counter() - t0
    return write_report(list(rows.values()), opts, wall, out, console)
