"""The sweep driver: chunks, shards, worker processes, the harness stream, checkpoints, progress.

A sweep's index space [0, size) is cut into chunks of ``sweep.chunk`` vectors; shard i/n takes the
chunks k with k % n == i - 1. Model-side sweeps (encode, sr) check whole chunks in worker
processes. RTL sweeps compute each chunk's expected records in worker processes, in order, and a
writer thread streams them into one harness process that compares in simulation. After every
chunk ``<out>/<key>.json`` (``<key>.shard<i>of<n>.json`` for a shard) records the chunks done, the counts and the first mismatches, so
``--resume`` continues where a run stopped. A checkpoint carries the SHA-256 of everything else in
it (the sweep's arguments, its chunk list and its counts); ``--resume`` refuses one whose checksum,
sweep or chunk list does not hold. The harness runs in its own process group (``fp8kit.procs``)
and is killed on an error or an interrupt; an interrupt raises ``procs.Interrupted`` naming the
checkpoint and the chunks it keeps.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import hashlib
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

from fp8kit import procs
from verif.regress.plan import parse_shard

__all__ = ["SweepResult", "check_sizes", "load_checkpoint", "parse_shard", "run_one", "run_sweep"]

MAX_EXAMPLES = 20
"""Mismatches kept in the checkpoint and printed per sweep."""

MAX_JOBS = 64
"""The most worker processes (``--jobs``): each holds up to two chunks of records in memory."""

CHECKSUM = "sha256"
"""The checkpoint field holding the SHA-256 of its other fields' canonical JSON."""


@dataclasses.dataclass
class SweepResult:
    """Totals of one sweep over the chunks of this shard (including resumed ones)."""

    key: str
    vectors: int
    mismatches: int
    seconds: float
    examples: list[dict]
    chunks_done: int
    chunks_total: int
    checkpoint: Path


def _chunk_range(sweep, k: int) -> tuple[int, int]:
    start = k * sweep.chunk
    return start, min(sweep.chunk, sweep.size - start)


def _check_job(sweep, k: int):
    start, count = _chunk_range(sweep, k)
    n, bad = sweep.check(start, count)
    return k, n, [(m.index, m.got, m.want) for m in bad]


def _expected_job(sweep, k: int, cache: str | None):
    start, count = _chunk_range(sweep, k)
    path = Path(cache) / sweep.key / f"{k}.npy" if cache else None
    if path is not None and path.exists():
        return k, np.load(path)
    want = sweep.expected(start, count)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path.with_suffix(".tmp.npy"), want)
        os.replace(path.with_suffix(".tmp.npy"), path)
    return k, want


def _ordered(pool, fn, jobs, window: int):
    """Results of ``fn(*job)`` in job order, at most ``window`` in flight (bounded memory)."""
    pending = collections.deque()
    it = iter(jobs)
    for job in it:
        pending.append(pool.apply_async(fn, job))
        if len(pending) >= window:
            break
    while pending:
        res = pending.popleft().get()
        nxt = next(it, None)
        if nxt is not None:
            pending.append(pool.apply_async(fn, nxt))
        yield res


def _digest(state: dict) -> str:
    """SHA-256 (hex) of a checkpoint's fields but ``sha256``, as JSON with sorted keys."""
    fields = {k: v for k, v in state.items() if k != CHECKSUM}
    return hashlib.sha256(json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _shard_chunks(sweep, shard: tuple[int, int]) -> list[int]:
    """The chunks of ``sweep`` in shard ``i/n``: k with k % n == i - 1."""
    return [k for k in range(-(-sweep.size // sweep.chunk)) if k % shard[1] == shard[0] - 1]


def _fresh_state(sweep, shard: tuple[int, int]) -> dict:
    return {"key": sweep.key, "args": sweep.args, "size": sweep.size, "chunk": sweep.chunk,
            "shard": f"{shard[0]}/{shard[1]}", "done": [], "vectors": 0, "mismatches": 0,
            "seconds": 0.0, "examples": []}


def load_checkpoint(path: str | Path, sweep, shard: tuple[int, int] = (1, 1)) -> dict:
    """The checkpoint at ``path`` of ``sweep`` (shard ``i/n``) as ``--resume`` reads it.

    Raises:
        ValueError: naming the file: what ``--resume`` refuses (see :func:`_load`).
    """
    return _load(Path(path), _fresh_state(sweep, shard), _shard_chunks(sweep, shard))


class _Checkpoint:
    def __init__(self, path: Path, sweep, shard: tuple[int, int], resume: bool, mine: list[int]) -> None:
        self.path = path
        self.state = _fresh_state(sweep, shard)
        if resume and path.exists():
            self.state = _load(path, self.state, mine)
        self.done = set(self.state["done"])

    def add(self, k: int, vectors: int, bad: int, examples: list[dict], seconds: float) -> None:
        st = self.state
        self.done.add(k)
        st["done"] = sorted(self.done)
        st["vectors"] += vectors
        st["mismatches"] += bad
        st["seconds"] += seconds
        st["examples"] = (st["examples"] + examples)[:MAX_EXAMPLES]
        st[CHECKSUM] = _digest(st)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(st, indent=1))
        os.replace(tmp, self.path)


def _load(path: Path, fresh: dict, mine: list[int]) -> dict:
    """The checkpoint at ``path`` if it is intact and belongs to the sweep and shard of ``fresh``.

    Raises:
        ValueError: naming the file: not a checkpoint (not a file, not JSON, not an object), no
            another sweep or shard, no checksum or one that differs (the file was edited), or a
            chunk list or count that this shard cannot have.
    """
    how = "rerun without --resume (or with another --out) to start the sweep again"
    try:
        old = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"checkpoint {path} cannot be read ({exc}); {how}") from None
    if not isinstance(old, dict):
        raise ValueError(f"checkpoint {path} holds a JSON {type(old).__name__}, not a checkpoint; {how}")
    if any(old.get(f) != fresh[f] for f in ("key", "args", "size", "chunk", "shard")):
        raise ValueError(f"{path} belongs to another sweep or shard; use another --out or drop --resume")
    if CHECKSUM not in old:
        raise ValueError(f"checkpoint {path} has no {CHECKSUM} checksum (written before checkpoints carried "
                         f"one, or edited); {how}")
    if old[CHECKSUM] != _digest(old):
        raise ValueError(f"checkpoint {path}: checksum mismatch: it was edited after fp8kit wrote it "
                         f"(its done list, counts or arguments); {how}")
    done, vectors, bad = old.get("done"), old.get("vectors"), old.get("mismatches")
    if not (isinstance(done, list) and done == sorted(set(done)) and set(done) <= set(mine)
            and all(type(k) is int for k in done)):
        raise ValueError(f"checkpoint {path}: its done list is not a sorted set of this shard's chunks; {how}")
    most = sum(min(fresh["chunk"], fresh["size"] - k * fresh["chunk"]) for k in done)
    if not (type(vectors) is int and type(bad) is int and 0 <= bad <= vectors <= most):
        raise ValueError(f"checkpoint {path}: {vectors!r} vectors and {bad!r} mismatches cannot come from "
                         f"{len(done)} chunks of at most {fresh['chunk']:,} vectors; {how}")
    return old


def _example(sweep, index: int, got: int, want: int) -> dict:
    return {"index": index, "got": f"0x{got:X}", "want": f"0x{want:X}", "input": sweep.describe(index),
            "repro": f"fp8kit exhaust {sweep.args} --only-index {index}"}


class _Progress:
    def __init__(self, sweep, total_chunks: int, quiet: bool) -> None:
        self.sweep, self.total, self.quiet = sweep, total_chunks, quiet
        self.t0 = time.perf_counter()
        self.vectors = 0
        self.chunks = 0
        self.tty = sys.stderr.isatty()

    def step(self, vectors: int, bad_total: int) -> None:
        self.vectors += vectors
        self.chunks += 1
        if self.quiet:
            return
        dt = time.perf_counter() - self.t0
        rate = self.vectors / dt if dt > 0 else 0.0
        eta = dt / self.chunks * (self.total - self.chunks)
        line = (f"{self.sweep.key}: chunk {self.chunks}/{self.total}, {self.vectors:,} vectors, "
                f"{bad_total} mismatches, {rate / 1e6:.1f} M/s, eta {eta:.0f} s")
        print(("\r" + line) if self.tty else line, end="" if self.tty else "\n", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.tty and not self.quiet:
            print(file=sys.stderr)


def check_sizes(jobs: int, max_chunks: int | None) -> None:
    """Refuses ``jobs`` outside 1...MAX_JOBS and a ``max_chunks`` that is not None or >= 1."""
    if isinstance(jobs, bool) or not isinstance(jobs, int) or not 1 <= jobs <= MAX_JOBS:
        raise ValueError(f"--jobs must be an integer in 1...{MAX_JOBS}, got {jobs!r}")
    if max_chunks is not None and (isinstance(max_chunks, bool) or not isinstance(max_chunks, int) or max_chunks < 1):
        raise ValueError(f"--max-chunks must be an integer >= 1 (leave it out for every chunk), got {max_chunks!r}")


def _quiet_worker() -> None:
    """Pool workers leave Ctrl-C to the parent (no worker tracebacks) and die of ``SIGTERM`` at once.

    The CLI's ``SIGTERM`` handler, inherited through the fork, is a Python handler; a worker must not
    depend on running Python code to die when the parent terminates the pool.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextlib.contextmanager
def _worker_pool(jobs: int, method: str = "fork"):
    """A pool of ``jobs`` workers: closed and joined when the block ends normally, terminated otherwise.

    ``method`` is the multiprocessing start method: ``fork`` (default), or ``forkserver`` for sweeps
    whose model runs numba's parallel kernels (``refmodel.gemm``): GNU OpenMP aborts a child forked
    from a process that has used it ("fork() called from a process already using GNU OpenMP"), and
    the process that starts the pool (a test session, ``--only-index``) may have; the fork server is
    a fresh interpreter that never has.

    ``Pool.__exit__`` always terminates, and ``terminate()`` racing the pool's worker-handler thread can
    leave an idle worker un-signalled while the parent joins it: the sweep then hangs between two sweeps
    (seen after the eighth encode sweep of the nightly level). On success nothing is left to terminate:
    ``close()`` lets each worker take its sentinel and exit, and ``join()`` waits for them.
    """
    pool = multiprocessing.get_context(method).Pool(jobs, initializer=_quiet_worker)
    finished = False
    try:
        yield pool
        finished = True
    finally:
        if finished:
            pool.close()
        else:
            pool.terminate()
        pool.join()


def run_sweep(sweep, out: Path, *, shard: tuple[int, int] = (1, 1), resume: bool = False, jobs: int = 2,
              cache: Path | None = None, quiet: bool = False, max_chunks: int | None = None) -> SweepResult:
    """Run (or continue) one sweep over this shard's chunks; ``max_chunks`` stops early (CI slices).

    Raises:
        ValueError: ``jobs`` outside 1...MAX_JOBS, ``max_chunks`` < 1, or under ``resume`` a
            checkpoint that is damaged, edited (checksum) or of another sweep.
        fp8kit.procs.ToolMissing: Verilator or g++ is not installed.
        verif.exhaust.rtl.HarnessError: the harness cannot be built or stops early.
        fp8kit.procs.Interrupted: Ctrl-C; it names the checkpoint and the chunks it keeps.
    """
    check_sizes(jobs, max_chunks)
    out.mkdir(parents=True, exist_ok=True)
    name = sweep.key if shard == (1, 1) else f"{sweep.key}.shard{shard[0]}of{shard[1]}"
    mine = _shard_chunks(sweep, shard)
    ckpt = _Checkpoint(out / f"{name}.json", sweep, shard, resume, mine)
    todo = [k for k in mine if k not in ckpt.done][:max_chunks]
    progress = _Progress(sweep, len(todo), quiet)
    try:
        _run_chunks(sweep, todo, jobs, cache, ckpt, progress)
    except KeyboardInterrupt as exc:
        progress.close()
        kept = f"{ckpt.path} ({len(ckpt.done)}/{len(mine)} chunks of {sweep.key} done; --resume continues)"
        raise procs.Interrupted([kept] if ckpt.done else []) from exc
    progress.close()
    st = ckpt.state
    return SweepResult(sweep.key, st["vectors"], st["mismatches"], st["seconds"], st["examples"], len(ckpt.done),
                       len(mine), ckpt.path)


def _run_chunks(sweep, todo: list[int], jobs: int, cache, ckpt: _Checkpoint, progress: _Progress) -> None:
    """Check the chunks ``todo`` in worker processes (model sweeps) or through the harness (RTL sweeps)."""
    t_last = time.perf_counter()
    if hasattr(sweep, "check"):
        with _worker_pool(jobs) as pool:
            for k, n, bad in _ordered(pool, _check_job, [(sweep, k) for k in todo], 2 * jobs):
                now = time.perf_counter()
                ckpt.add(k, n, len(bad), [_example(sweep, *m) for m in bad], now - t_last)
                t_last = now
                progress.step(n, ckpt.state["mismatches"])
    elif todo:
        exe = sweep.harness()
        with _worker_pool(jobs, getattr(sweep, "start_method", "fork")) as pool:
            _stream(sweep, exe, pool, todo, cache, ckpt, progress)


def _stream(sweep, exe: Path, pool, todo: list[int], cache, ckpt: _Checkpoint, progress: _Progress) -> None:
    proc = procs.popen([str(exe)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
    try:
        done, rc, errors = _feed_and_read(sweep, proc, pool, todo, cache, ckpt, progress)
    except BaseException:
        procs.kill_group(proc)  # an interrupt or an error: the harness must not outlive the sweep
        raise
    finally:
        proc.stdout.close()
    if errors:
        raise errors[0]
    if rc != 0 or done != len(todo):
        from .rtl import HarnessError

        raise HarnessError(f"{sweep.key}: harness {exe} exited with {rc} after {done} of {len(todo)} chunks")


def _setup(sweep) -> bytes:
    """What the harness reads before the first chunk: the setup table (its size, then its uint64
    values) and the sweep's ``prelude`` bytes if it has one (fp8_dpa: the backgrounds)."""
    outer = np.ascontiguousarray(sweep.outer, np.uint64)
    return np.uint64(outer.size).tobytes() + outer.tobytes() + getattr(sweep, "prelude", b"")


def _feed_and_read(sweep, proc, pool, todo, cache, ckpt: _Checkpoint, progress: _Progress):
    """A writer thread streams the setup table and the chunks; this thread reads the verdicts."""
    errors: list[Exception] = []

    def writer() -> None:
        try:
            proc.stdin.write(_setup(sweep))
            jobs = [(sweep, k, None if cache is None else str(cache)) for k in todo]
            for k, want in _ordered(pool, _expected_job, jobs, 3):
                start, count = _chunk_range(sweep, k)
                proc.stdin.write(np.array([start, count], np.uint64).tobytes())
                proc.stdin.write(np.ascontiguousarray(want, np.uint64).data)
        except Exception as exc:  # noqa: BLE001 - any failure of the feeder is re-raised by _stream
            errors.append(exc)
        finally:
            try:
                proc.stdin.close()
            except BrokenPipeError:
                pass

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    t_last = time.perf_counter()
    examples: list[dict] = []
    done = 0
    for raw in proc.stdout:
        parts = raw.decode().split()
        if parts[0] == "M":
            examples.append(_example(sweep, int(parts[1]), int(parts[2], 16), int(parts[3], 16)))
        elif parts[0] == "C":
            start, count, bad = int(parts[1]), int(parts[2]), int(parts[3])
            now = time.perf_counter()
            ckpt.add(start // sweep.chunk, count, bad, examples, now - t_last)
            t_last, examples = now, []
            done += 1
            progress.step(count, ckpt.state["mismatches"])
    thread.join()
    return done, proc.wait(), errors


def run_one(sweep, index: int) -> dict:
    """Check the single vector ``index`` of a sweep; returns its inputs, got, want and whether they agree."""
    if not 0 <= index < sweep.size:
        raise ValueError(f"--only-index {index} is outside [0, {sweep.size}) for {sweep.key}")
    if hasattr(sweep, "check"):
        _, bad = sweep.check(index, 1)
        want = got = None
        if bad:
            got, want = bad[0].got, bad[0].want
        return {"input": sweep.describe(index), "ok": not bad, "got": got, "want": want}
    method = getattr(sweep, "start_method", "fork")
    if method == "fork":
        want = int(sweep.expected(index, 1)[0])
    else:  # the model stays out of this process, as it does in a sweep (see _worker_pool)
        with _worker_pool(1, method) as pool:
            want = int(pool.apply(sweep.expected, (index, 1))[0])
    exe = sweep.harness()
    data = _setup(sweep) + np.array([index, 1, want], np.uint64).tobytes()
    run = procs.run([str(exe)], step=f"exhaust harness run of {sweep.key} index {index}", input=data, text=False)
    lines = run.stdout.decode().split("\n")
    got = want
    for line in lines:
        if line.startswith("M "):
            got = int(line.split()[2], 16)
    if run.returncode != 0 or not any(line.startswith("C ") for line in lines):
        from .rtl import HarnessError

        raise HarnessError(f"harness {exe} failed: {run.stderr.decode()[-2000:]}")
    return {"input": sweep.describe(index), "ok": got == want, "got": f"0x{got:X}", "want": f"0x{want:X}"}
