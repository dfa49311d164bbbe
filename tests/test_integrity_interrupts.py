"""Interrupts and timeouts of the file-driven commands: Ctrl-C on exhaust keeps a checkpoint that
--resume continues and exits 130 without a traceback; a replay step past its timeout is killed and named."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fp8kit import procs
from fp8kit import vectors as vec
from verif.replay import replay

_SWEEP = ["exhaust", "--op", "encode", "--config", "float8_e5m2", "--rounding", "rmm", "--sat", "1", "--jobs", "1"]


def test_ctrl_c_on_exhaust_keeps_the_checkpoint(tmp_path: Path) -> None:
    out = tmp_path / "out"
    ckpt = out / "encode-float8_e5m2-rmm-sat1.json"
    proc = subprocess.Popen([sys.executable, "-m", "fp8kit.cli", *_SWEEP, "--out", str(out)], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not ckpt.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
        assert ckpt.exists(), "no chunk was checkpointed"
        os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole foreground group
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            procs.kill_group(proc)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    done = len(json.loads(ckpt.read_text())["done"])
    assert f"fp8kit: interrupted; kept: {ckpt} ({done}/256 chunks of encode-float8_e5m2-rmm-sat1 done; " \
           "--resume continues)" in err
    from fp8kit.cli import main

    assert main([*_SWEEP, "--out", str(out), "--resume", "--max-chunks", "1"]) == 0
    assert len(json.loads(ckpt.read_text())["done"]) == done + 1


@pytest.mark.rtl
def test_replay_step_past_its_timeout_is_killed_and_named(tmp_path: Path) -> None:
    path = vec.write(vec.generate("mul", fmt="float8_e4m3fn", fmt_b="float8_e5m2"), tmp_path / "mul.hex")
    with pytest.raises(procs.StepTimeout, match=r"iverilog build of tb_fp8_mul_replay timed out after 0\.001 s.*"
                                                r"--timeout SECONDS"):
        replay(path, timeout=0.001)
    with pytest.raises(ValueError, match=r"timeout \(--timeout\) must be a positive number of seconds, got 0"):
        replay(path, timeout=0)
