"""The sweep driver: chunks, shards, worker processes, the harness stream, checkpoints, progress.

A sweep's index space [0, size) is cut into chunks of ``sweep.chunk`` vectors; shard i/n takes the
chunks k with k % n == i - 1. Model-side sweeps (encode, sr) check whole chunks in worker
processes. RTL sweeps compute each chunk's expected records in worker processes, in order, and a
writer thread streams them into one harness process that compares in simulation. After every
chunk ``<out>/<key>.json`` (``<key>.shard<i>of<n>.json`` for a shard) records the chunks done, the counts and the first mismatches, so
``--resume`` continues where a run stopped.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import multiprocessing
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

from verif.regress.plan import parse_shard

__all__ = ["SweepResult", "parse_shard", "run_one", "run_sweep"]

MAX_EXAMPLES = 20
"""Mismatches kept in the checkpoint and printed per sweep."""


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


class _Checkpoint:
    def __init__(self, path: Path, sweep, shard: tuple[int, int], resume: bool) -> None:
        self.path = path
        self.state = {"key": sweep.key, "args": sweep.args, "size": sweep.size, "chunk": sweep.chunk,
                      "shard": f"{shard[0]}/{shard[1]}", "done": [], "vectors": 0, "mismatches": 0,
                      "seconds": 0.0, "examples": []}
        if resume and path.exists():
            old = json.loads(path.read_text())
            same = all(old.get(f) == self.state[f] for f in ("key", "size", "chunk", "shard"))
            if not same:
                raise ValueError(f"{path} belongs to another sweep or shard; use another --out or drop --resume")
            self.state = old
        self.done = set(self.state["done"])

    def add(self, k: int, vectors: int, bad: int, examples: list[dict], seconds: float) -> None:
        st = self.state
        self.done.add(k)
        st["done"] = sorted(self.done)
        st["vectors"] += vectors
        st["mismatches"] += bad
        st["seconds"] += seconds
        st["examples"] = (st["examples"] + examples)[:MAX_EXAMPLES]
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(st, indent=1))
        os.replace(tmp, self.path)


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


def run_sweep(sweep, out: Path, *, shard: tuple[int, int] = (1, 1), resume: bool = False, jobs: int = 2,
              cache: Path | None = None, quiet: bool = False, max_chunks: int | None = None) -> SweepResult:
    """Run (or continue) one sweep over this shard's chunks; ``max_chunks`` stops early (CI slices).

    Raises:
        ValueError: a checkpoint of another sweep under ``--resume``.
        verif.exhaust.rtl.HarnessError: the harness cannot be built or stops early.
    """
    out.mkdir(parents=True, exist_ok=True)
    name = sweep.key if shard == (1, 1) else f"{sweep.key}.shard{shard[0]}of{shard[1]}"
    ckpt = _Checkpoint(out / f"{name}.json", sweep, shard, resume)
    n_chunks = -(-sweep.size // sweep.chunk)
    mine = [k for k in range(n_chunks) if k % shard[1] == shard[0] - 1]
    todo = [k for k in mine if k not in ckpt.done][:max_chunks]
    progress = _Progress(sweep, len(todo), quiet)
    ctx = multiprocessing.get_context("fork")
    t_last = time.perf_counter()
    if hasattr(sweep, "check"):
        with ctx.Pool(jobs) as pool:
            for k, n, bad in _ordered(pool, _check_job, [(sweep, k) for k in todo], 2 * jobs):
                now = time.perf_counter()
                ckpt.add(k, n, len(bad), [_example(sweep, *m) for m in bad], now - t_last)
                t_last = now
                progress.step(n, ckpt.state["mismatches"])
    elif todo:
        exe = sweep.harness()
        with ctx.Pool(jobs) as pool:
            _stream(sweep, exe, pool, todo, cache, ckpt, progress)
    progress.close()
    st = ckpt.state
    return SweepResult(sweep.key, st["vectors"], st["mismatches"], st["seconds"], st["examples"], len(ckpt.done),
                       len(mine))


def _stream(sweep, exe: Path, pool, todo: list[int], cache, ckpt: _Checkpoint, progress: _Progress) -> None:
    with subprocess.Popen([str(exe)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0) as proc:
        done, rc, errors = _feed_and_read(sweep, proc, pool, todo, cache, ckpt, progress)
    if errors:
        raise errors[0]
    if rc != 0 or done != len(todo):
        from .rtl import HarnessError

        raise HarnessError(f"{sweep.key}: harness {exe} exited with {rc} after {done} of {len(todo)} chunks")


def _feed_and_read(sweep, proc, pool, todo, cache, ckpt: _Checkpoint, progress: _Progress):
    """A writer thread streams the setup table and the chunks; this thread reads the verdicts."""
    outer = np.ascontiguousarray(sweep.outer, np.uint64)
    errors: list[Exception] = []

    def writer() -> None:
        try:
            proc.stdin.write(np.uint64(outer.size).tobytes() + outer.tobytes())
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
    want = int(sweep.expected(index, 1)[0])
    exe = sweep.harness()
    outer = np.ascontiguousarray(sweep.outer, np.uint64)
    data = (np.uint64(outer.size).tobytes() + outer.tobytes() + np.array([index, 1, want], np.uint64).tobytes())
    run = subprocess.run([str(exe)], input=data, capture_output=True, check=False)
    lines = run.stdout.decode().split("\n")
    got = want
    for line in lines:
        if line.startswith("M "):
            got = int(line.split()[2], 16)
    if run.returncode != 0 or not any(line.startswith("C ") for line in lines):
        from .rtl import HarnessError

        raise HarnessError(f"harness {exe} failed: {run.stderr.decode()[-2000:]}")
    return {"input": sweep.describe(index), "ok": got == want, "got": f"0x{got:X}", "want": f"0x{want:X}"}
