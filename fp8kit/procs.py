"""Child processes that die with their children: each runs in its own process group.

Every external tool fp8kit starts (Yosys and the ABC it forks, iverilog/vvp/verilator builds and runs,
the exhaust harness, mutation workers) goes through :func:`run` or :func:`popen`. On a timeout or a
``KeyboardInterrupt`` the whole group is sent ``SIGTERM``, then ``SIGKILL`` after a short grace, and
reaped, so no grandchild (``berkeley-abc`` under ``yosys``, ``vvp`` under ``make``) keeps running.
A timeout raises :class:`StepTimeout`, whose message names the step, the limit and how to raise it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import weakref
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import Any

__all__ = ["Interrupted", "StepTimeout", "ToolMissing", "env_seconds", "run", "popen", "kill_group", "kill_all",
           "require", "thread_map", "die_with_children_on_sigterm"]

_GRACE_S = 2.0  # SIGTERM to SIGKILL

_LIVE: "weakref.WeakSet[subprocess.Popen]" = weakref.WeakSet()
"""Every child started through :func:`popen` (and so :func:`run`), for :func:`kill_all`."""
_LIVE_LOCK = threading.Lock()


class StepTimeout(RuntimeError):
    """A child process ran past its limit; its process group was killed.

    Attributes:
        step: what was running, e.g. ``"yosys synthesis of fp8_mul (e4m3)"``.
        timeout: the limit in seconds.
        raise_hint: how to raise the limit, e.g. ``"--synth-timeout SECONDS"``, or ``None``.
    """

    def __init__(self, step: str, timeout: float, raise_hint: str | None = None):
        self.step, self.timeout, self.raise_hint = step, timeout, raise_hint
        hint = f"; raise the limit with {raise_hint}" if raise_hint else ""
        super().__init__(f"{step} timed out after {timeout:g} s and was killed with its child processes{hint}")


class ToolMissing(RuntimeError):
    """An external tool (a simulator, Yosys, pytest-xdist) is missing or unsupported; the message says
    what to install. ``fp8kit`` reports it as an input error (exit 2): nothing ran."""


def require(name: str, hint: str, *, error: type[ToolMissing] = ToolMissing) -> str:
    """The path of the executable ``name`` found on ``PATH`` (as ``shutil.which`` finds it).

    Every lookup of an external tool goes through here, so a missing one is always reported the
    same way: ``<name> not found on PATH: <hint>``.

    Args:
        name: the executable, e.g. ``"iverilog"`` (or a path, checked as ``shutil.which`` does).
        hint: what to install, e.g. ``"install Icarus Verilog (apt-get install iverilog)"``.
        error: the exception raised, :class:`ToolMissing` or a subclass of it that a caller catches
            (``verif.common.SimToolError``, ``fp8kit.cost.synth.YosysMissing``).

    Returns:
        The tool's path.

    Raises:
        ToolMissing: (or ``error``) the tool is not found; the message names it and ``hint``.
        TypeError: ``error`` is not :class:`ToolMissing` or a subclass of it.
    """
    if not (isinstance(error, type) and issubclass(error, ToolMissing)):
        raise TypeError(f"error must be ToolMissing or a subclass of it, got {error!r}")
    path = shutil.which(name)
    if path is None:
        raise error(f"{name} not found on PATH: {hint}")
    return path


class Interrupted(KeyboardInterrupt):
    """A ``KeyboardInterrupt`` that says what the interrupted command kept.

    Raise it ``from`` the original interrupt; ``fp8kit`` prints ``interrupted; kept: <kept>`` (or
    ``interrupted; nothing kept`` for an empty list) and exits 130.

    Attributes:
        kept: the paths (or short descriptions) left behind that are complete and usable.
    """

    def __init__(self, kept: Sequence[str] = ()):
        self.kept = [str(k) for k in kept]
        super().__init__("kept: " + ", ".join(self.kept) if self.kept else "nothing kept")


def env_seconds(name: str, default: float | None) -> float | None:
    """The time limit in the environment variable ``name`` (seconds), or ``default`` when unset or empty.

    Raises:
        ValueError: the value is not a positive number; the message names the variable and the value.
    """
    text = os.environ.get(name, "")
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise ValueError(f"{name}={text!r}: must be a positive number of seconds (or unset for the default)")
    return value


def popen(cmd: Sequence[str], **kwargs: Any) -> subprocess.Popen:
    """``subprocess.Popen(cmd, **kwargs)`` with the child in a new session (its own process group).

    Callers that stream must call :func:`kill_group` on a timeout or interrupt.
    """
    if "start_new_session" in kwargs or "process_group" in kwargs or "preexec_fn" in kwargs:
        raise ValueError("procs.popen sets the process group itself; do not pass "
                         "start_new_session, process_group or preexec_fn")
    proc = subprocess.Popen(list(cmd), start_new_session=True, **kwargs)
    with _LIVE_LOCK:
        _LIVE.add(proc)
    return proc


def kill_all() -> None:
    """Kills the group of every child of :func:`popen`/:func:`run` still running, whichever thread waits on it."""
    with _LIVE_LOCK:
        live = [p for p in _LIVE if p.poll() is None]
    for proc in live:
        kill_group(proc)


def die_with_children_on_sigterm() -> None:
    """Makes ``SIGTERM`` kill this process's :func:`popen` children too, for a worker process.

    A child of :func:`popen` leads its own session, so killing the worker's group does not reach it:
    without this, a worker killed on a timeout would leave its simulator running. The handler sends
    ``SIGKILL`` to every live child group (no grace: the worker's parent is about to kill the worker)
    and exits with status 143 at once, skipping clean-up as the default action would.
    """
    def on_sigterm(signum, frame):
        with _LIVE_LOCK:
            live = [p for p in _LIVE if p.returncode is None]
        for proc in live:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, on_sigterm)


def thread_map(fn: Callable[[Any], Any], items: Iterable[Any], jobs: int) -> list[Any]:
    """``[fn(x) for x in items]`` on ``jobs`` threads, each waiting on its own child process.

    On the first exception in any thread, or an interrupt in the caller (Ctrl-C reaches only the
    main thread), every live child group is killed, so the other threads return at once instead of
    finishing their runs; the exception is raised.
    """
    pool = ThreadPoolExecutor(max(1, int(jobs)))
    try:
        futures = [pool.submit(fn, x) for x in items]
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        if any(f.exception() is not None for f in done):
            kill_all()
        return [f.result() for f in futures]  # raises the first failure in order
    except BaseException:
        kill_all()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def kill_group(proc: subprocess.Popen, grace: float = _GRACE_S) -> None:
    """Kills ``proc``'s process group: ``SIGTERM``, then ``SIGKILL`` after ``grace`` s; reaps ``proc``.

    A group that is already gone is not an error. The ``SIGKILL`` goes to the group even when ``proc``
    itself exited on ``SIGTERM``, so a grandchild that ignores ``SIGTERM`` is killed too.
    """
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)  # the child leads its own group (popen's new session)
        except (ProcessLookupError, PermissionError):
            break
        if sig == signal.SIGTERM:
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
    proc.wait()


def run(cmd: Sequence[str], *, step: str, timeout: float | None = None, raise_hint: str | None = None,
        **popen_kwargs: Any) -> subprocess.CompletedProcess:
    """Runs ``cmd`` to completion in its own process group and returns its captured text output.

    Args:
        cmd: the program and its arguments.
        step: names the step in a :class:`StepTimeout` message.
        timeout: seconds, or ``None`` for no limit.
        raise_hint: how the user raises ``timeout`` (an option or environment variable).
        **popen_kwargs: passed to ``subprocess.Popen`` (``cwd``, ``env``, ``input`` as ``stdin`` text
            via ``input=``); ``stdout``/``stderr`` default to pipes and ``text`` to ``True``.

    Returns:
        ``CompletedProcess`` with ``returncode``, ``stdout`` and ``stderr``; a non-zero exit is not raised.

    Raises:
        StepTimeout: ``timeout`` passed; the group was killed.
        KeyboardInterrupt: re-raised after the group was killed.
    """
    if timeout is not None and not timeout > 0:
        raise ValueError(f"timeout for {step} must be a positive number of seconds, got {timeout!r}")
    data = popen_kwargs.pop("input", None)
    if data is not None:
        popen_kwargs.setdefault("stdin", subprocess.PIPE)
    popen_kwargs.setdefault("stdout", subprocess.PIPE)
    popen_kwargs.setdefault("stderr", subprocess.PIPE)
    popen_kwargs.setdefault("text", True)
    proc = popen(cmd, **popen_kwargs)
    try:
        out, err = proc.communicate(data, timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        _drain(proc)
        raise StepTimeout(step, timeout, raise_hint) from None
    except BaseException:
        kill_group(proc)
        _drain(proc)
        raise
    return subprocess.CompletedProcess(list(cmd), proc.returncode, out, err)


def _drain(proc: subprocess.Popen) -> None:
    """Closes ``proc``'s pipes after a kill (the output is discarded)."""
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
