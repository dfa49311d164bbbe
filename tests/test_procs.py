"""fp8kit.procs: children run in their own process group and die with it on timeout or interrupt."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

import pytest

from fp8kit import procs

# A child that starts a grandchild which sleeps (and ignores SIGTERM), prints its pid, then sleeps too.
_SPAWNER = """
import subprocess, sys, time
g = subprocess.Popen([sys.executable, "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"])
print(g.pid, flush=True)
time.sleep(60)
"""


def _gone(pid: int, within: float = 5.0) -> bool:
    """True once ``pid`` no longer exists (or is a zombie awaiting a reaper that is not us)."""
    end = time.monotonic() + within
    while time.monotonic() < end:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split(")")[-1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


def _grandchild_pid(tmp_path) -> tuple[list[str], "os.PathLike"]:
    pidfile = tmp_path / "gpid"
    script = _SPAWNER.replace("print(g.pid, flush=True)", f"open({str(pidfile)!r}, 'w').write(str(g.pid))")
    return [sys.executable, "-c", script], pidfile


def _wait_for(path, within: float = 10.0) -> int:
    end = time.monotonic() + within
    while time.monotonic() < end:
        if path.exists() and path.read_text():
            return int(path.read_text())
        time.sleep(0.05)
    raise AssertionError(f"{path} never written")


def test_run_returns_captured_text():
    res = procs.run([sys.executable, "-c", "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"],
                    step="echo")
    assert (res.returncode, res.stdout, res.stderr) == (3, "out\n", "err\n")


def test_run_passes_input():
    res = procs.run([sys.executable, "-c", "import sys; print(sys.stdin.read().upper())"], step="upper", input="abc")
    assert res.stdout == "ABC\n"


def test_child_runs_in_its_own_group():
    res = procs.run([sys.executable, "-c", "import os; print(os.getpgid(0))"], step="pgid")
    assert int(res.stdout) != os.getpgid(0)


def test_timeout_kills_the_grandchild(tmp_path):
    cmd, pidfile = _grandchild_pid(tmp_path)
    t0 = time.monotonic()
    with pytest.raises(procs.StepTimeout) as info:
        procs.run(cmd, step="fake synthesis", timeout=1.5, raise_hint="--synth-timeout SECONDS")
    assert time.monotonic() - t0 < 15
    gpid = _wait_for(pidfile)
    assert _gone(gpid), f"grandchild {gpid} survived the timeout"
    msg = str(info.value)
    assert "fake synthesis" in msg and "1.5 s" in msg and "--synth-timeout SECONDS" in msg
    assert (info.value.step, info.value.timeout, info.value.raise_hint) == ("fake synthesis", 1.5,
                                                                            "--synth-timeout SECONDS")
    assert isinstance(info.value, RuntimeError)


def test_timeout_message_without_hint():
    with pytest.raises(procs.StepTimeout, match=r"^nap timed out after 0.2 s and was killed with its child processes$"):
        procs.run([sys.executable, "-c", "import time; time.sleep(30)"], step="nap", timeout=0.2)


def test_keyboard_interrupt_kills_the_group(tmp_path):
    cmd, pidfile = _grandchild_pid(tmp_path)
    main_thread = threading.get_ident()

    def interrupt():
        _wait_for(pidfile)
        signal.pthread_kill(main_thread, signal.SIGINT)

    threading.Thread(target=interrupt, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        procs.run(cmd, step="interrupted step", timeout=60)
    assert _gone(_wait_for(pidfile)), "grandchild survived the interrupt"


def test_kill_group_on_a_popen(tmp_path):
    cmd, pidfile = _grandchild_pid(tmp_path)
    proc = procs.popen(cmd)
    gpid = _wait_for(pidfile)
    procs.kill_group(proc, grace=0.2)
    assert proc.returncode is not None
    assert _gone(gpid)
    procs.kill_group(proc)  # a group already gone is not an error


# A worker (as fp8kit mutate's) whose own child is started through procs.popen, so in another session.
_WORKER = """
import sys, time
from fp8kit import procs
if {arm}:
    procs.die_with_children_on_sigterm()
g = procs.popen([sys.executable, "-c", "import time; time.sleep(60)"])
open({pidfile!r}, "w").write(str(g.pid))
time.sleep(60)
"""


@pytest.mark.parametrize("arm", [True, False])
def test_a_killed_worker_takes_its_popen_children_only_when_armed(tmp_path, arm):
    """Killing a worker's group misses the children it started through popen (their own sessions)
    unless the worker called die_with_children_on_sigterm: the vvp leak of a timed-out mutant."""
    pidfile = tmp_path / "gpid"
    worker = procs.popen([sys.executable, "-c", _WORKER.format(arm=arm, pidfile=str(pidfile))])
    gpid = _wait_for(pidfile)
    procs.kill_group(worker, grace=0.5)
    try:
        assert _gone(gpid, within=3.0) == arm
        if arm:
            assert worker.returncode == 143
    finally:
        if not arm:
            os.kill(gpid, signal.SIGKILL)


@pytest.mark.parametrize("timeout", [0, -1])
def test_run_refuses_a_non_positive_timeout(timeout):
    with pytest.raises(ValueError, match=rf"timeout for s must be a positive number of seconds, got {timeout}"):
        procs.run(["true"], step="s", timeout=timeout)


def test_popen_refuses_its_own_group_arguments():
    with pytest.raises(ValueError, match="start_new_session"):
        procs.popen(["true"], start_new_session=False)


def test_interrupted_is_a_keyboard_interrupt_naming_what_was_kept():
    exc = procs.Interrupted(["out/junit.xml", "out/summary.json"])
    assert isinstance(exc, KeyboardInterrupt)
    assert exc.kept == ["out/junit.xml", "out/summary.json"]
    assert str(exc) == "kept: out/junit.xml, out/summary.json"
    assert str(procs.Interrupted()) == "nothing kept"


def test_env_seconds(monkeypatch):
    monkeypatch.delenv("FP8KIT_X_TIMEOUT", raising=False)
    assert procs.env_seconds("FP8KIT_X_TIMEOUT", 5.0) == 5.0
    monkeypatch.setenv("FP8KIT_X_TIMEOUT", "2.5")
    assert procs.env_seconds("FP8KIT_X_TIMEOUT", None) == 2.5
    for bad in ("0", "-3", "soon", "inf", "nan"):
        monkeypatch.setenv("FP8KIT_X_TIMEOUT", bad)
        with pytest.raises(ValueError, match=rf"FP8KIT_X_TIMEOUT='{bad}': must be a positive number of seconds"):
            procs.env_seconds("FP8KIT_X_TIMEOUT", None)


def test_thread_map_kills_the_other_threads_children_when_one_fails():
    """One run fails: the exception reaches the caller at once, the other thread's sleep is killed."""
    import time

    def job(i):
        if i == 1:
            time.sleep(0.5)
            raise RuntimeError("run 1 failed")
        return procs.run([sys.executable, "-c", "import time; time.sleep(60)"], step=f"run {i}").returncode

    t0 = time.monotonic()
    with pytest.raises(RuntimeError, match="run 1 failed"):
        procs.thread_map(job, [0, 1], jobs=2)
    assert time.monotonic() - t0 < 15
    assert not [p for p in procs._LIVE if p.poll() is None]


class _OwnMissing(procs.ToolMissing):
    pass


def test_require_finds_the_tool_on_path(tmp_path, monkeypatch):
    tool = tmp_path / "fp8kit-fake-tool"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert procs.require("fp8kit-fake-tool", "unused") == str(tool)


def test_require_raises_tool_missing_naming_the_tool_and_the_hint(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(procs.ToolMissing) as info:
        procs.require("yosys", "apt-get install yosys")
    assert type(info.value) is procs.ToolMissing
    assert str(info.value) == "yosys not found on PATH: apt-get install yosys"
    with pytest.raises(_OwnMissing, match=r"^iverilog not found on PATH: install it$"):
        procs.require("iverilog", "install it", error=_OwnMissing)


@pytest.mark.parametrize("error", [RuntimeError, ValueError, "ToolMissing"])
def test_require_refuses_an_error_that_is_not_a_tool_missing(error):
    with pytest.raises(TypeError, match="must be ToolMissing or a subclass"):
        procs.require("sh", "unused", error=error)


def test_exhaust_harness_reports_a_missing_compiler_as_tool_missing(tmp_path, monkeypatch):
    """The exhaust harness's tool lookup goes through procs.require: ToolMissing (fp8kit exits 2), not HarnessError."""
    from verif.exhaust.rtl import HarnessError, verilator_command

    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(procs.ToolMissing, match=r"^g\+\+ not found on PATH: install Verilator and a C\+\+ compiler") as info:
        verilator_command()
    assert not isinstance(info.value, HarnessError)


def test_mutate_reports_a_missing_simulator_through_require(tmp_path, monkeypatch):
    from verif.mutate import MutateOptions
    from verif.mutate.runner import _check_options

    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(procs.ToolMissing, match=r"^iverilog not found on PATH: `apt-get install iverilog` \(or `make tools`\)$"):
        _check_options(MutateOptions())
