"""The cost model against Yosys synthesis of the RTL, and the switching-activity energy.

Needs Yosys (a missing Yosys fails with the install command, it never skips).
Each synthesis here takes seconds; the full refit is ``slow``.
"""

from __future__ import annotations

import json

import pytest

from fp8kit.cli import main
from fp8kit.cost.model import KINDS, area, load_calibration
from fp8kit.cost.energy import simulate_energy
from fp8kit.cost.priors import primitive_priors
from fp8kit.cost.synth import GATE_GE, cache_dir, synth, yosys_path
from fp8kit.cost.table import datapaths, run_fit

SMALL = [("int8", "float32"), ("e4m3fn", "bfloat16"), ("float4_e2m1fn", "bfloat16"), ("mxfp4_e2m1", "float32")]


@pytest.fixture(scope="module")
def cache():
    """The user's synthesis cache (``fp8kit.cost.synth.cache_dir()``), shared with the `fp8kit cost --synth`/`--fit`
    doc examples so CI synthesizes each configuration once; entries are keyed by the Yosys script, the
    RTL sources and the Yosys version, so a changed RTL file is synthesized again."""
    yosys_path()  # fails with the install command when Yosys is missing
    return cache_dir()


@pytest.mark.synth
@pytest.mark.parametrize("fmt, acc", SMALL, ids=[f"{f}-{a}" for f, a in SMALL])
def test_model_within_15_percent_of_synthesis(fmt, acc, tmp_path):
    yosys_path()  # fails with the install command when Yosys is missing
    (dp,) = datapaths([fmt], [acc], mx_k=8)
    cache = tmp_path / "cache"  # its own: the first run must synthesize, the second read the cache
    res = synth(dp, cache=cache)
    assert not res.cached and set(res.cells) <= set(GATE_GE)
    err = area(dp).total / res.ge - 1
    assert abs(err) <= 0.15, f"{dp.label}: model {area(dp).total:.0f} GE, synthesis {res.ge:.0f} GE ({err:+.1%})"
    assert synth(dp, cache=cache).cached


@pytest.mark.synth
def test_energy_from_a_netlist_that_matches_the_golden_model(cache):
    int8, e4m3 = datapaths(["int8", "e4m3fn"], ["bfloat16+sr8"])
    e_int8 = simulate_energy(int8, synth(int8, cache=cache), lanes=16, cycles=32)
    e_fp = simulate_energy(e4m3, synth(e4m3, cache=cache), lanes=16, cycles=32, dist="uniform")
    assert e_int8.checked == e_fp.checked == 16 * 32
    assert 0 < e_int8.toggle_rate < 1 and 0 < e_fp.toggle_rate < 1
    assert 100 < e_int8.units_per_mac < 5000 and 100 < e_fp.units_per_mac < 5000
    with pytest.raises(ValueError, match="unknown operand distribution 'cauchy'; allowed: gaussian, uniform"):
        simulate_energy(int8, synth(int8, cache=cache), dist="cauchy")


@pytest.mark.synth
def test_cli_synth_and_energy_json(cache, capsys):
    assert main(["cost", "--formats", "int8,e4m3fn", "--accs", "bfloat16", "--energy", "--json",
                 "--cache-dir", str(cache)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["ratio_int8_synth"] == 1.0 and rows[0]["energy_ratio_int8"] == 1.0
    fp = rows[1]
    assert abs(fp["err_pct"]) <= 15
    # published work finds FP8/INT8 energy ratios below the area ratios; so does this netlist
    assert fp["energy_ratio_int8"] < fp["ratio_int8_synth"]


@pytest.mark.synth
def test_primitive_priors_are_plausible(cache):
    pri = primitive_priors(cache=cache)
    assert set(pri) == set(KINDS)
    assert 1.0 < pri["add"] < 2.0  # Yosys' lookahead carry unit costs more than a ripple of full adders
    for k in ("inc", "mux", "logic", "mul", "reg"):
        assert 0.7 < pri[k] < 1.4, (k, pri[k])


@pytest.mark.synth
@pytest.mark.slow
def test_refit_reproduces_the_checked_in_calibration(tmp_path, cache):
    cal = run_fit(cache=cache, out=tmp_path / "cal.json")
    ref = load_calibration()
    assert cal.meta["max_abs_err_pct"] <= 15.5  # 15.27 % with the fp8_dpa points (docs/cost-model.md)
    if cal.meta["yosys"] == ref.meta["yosys"]:
        assert dict(cal.constants) == pytest.approx(dict(ref.constants), abs=2e-3)


FAKE_YOSYS = """#!/bin/sh
# a Yosys that hangs in "ABC": it starts a child that ignores SIGTERM, writes its pid, and sleeps
case "$1" in -V) echo "Yosys 0.0 (fake)"; exit 0;; esac
sh -c 'trap "" TERM; echo $$ > "$FAKE_ABC_PID"; exec sleep 60' &
wait
"""


def test_a_hanging_synthesis_is_killed_with_its_children(tmp_path, monkeypatch, capsys):
    import os
    import time

    yosys = tmp_path / "yosys"
    yosys.write_text(FAKE_YOSYS)
    yosys.chmod(0o755)
    monkeypatch.setenv("FP8KIT_YOSYS", str(yosys))
    monkeypatch.setenv("FAKE_ABC_PID", str(tmp_path / "abc.pid"))
    t0 = time.monotonic()
    assert main(["cost", "--formats", "int8", "--synth", "--synth-timeout", "1.5",
                 "--cache-dir", str(tmp_path / "cache")]) == 1
    assert time.monotonic() - t0 < 20
    err = capsys.readouterr().err
    assert ("fp8kit: error: yosys synthesis of int8_mac int8 x int32 timed out after 1.5 s and was killed with "
            "its child processes; raise the limit with --synth-timeout SECONDS") in err
    assert "Traceback" not in err
    pid = int((tmp_path / "abc.pid").read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split(")")[-1].split()[0] == "Z":
                    break
        except (ProcessLookupError, FileNotFoundError):
            break
        time.sleep(0.05)
    else:
        raise AssertionError(f"the fake ABC process {pid} survived the timeout")
    assert not list((tmp_path / "cache").glob("*/meta.json")), "a killed run must not be cached"


@pytest.mark.parametrize("signame, rc, word", [("SIGINT", 130, "interrupted"), ("SIGTERM", 143, "terminated")])
def test_a_signal_kills_the_synthesis_with_its_children(tmp_path, signame, rc, word):
    """Ctrl-C, or ``kill`` (a cancelled CI job): the Yosys group is killed even though the runs wait in
    worker threads, fp8kit exits 130 or 143 naming what it kept, no traceback."""
    import os
    import signal
    import subprocess
    import sys
    import time

    yosys = tmp_path / "yosys"
    yosys.write_text(FAKE_YOSYS)
    yosys.chmod(0o755)
    env = {**os.environ, "FP8KIT_YOSYS": str(yosys), "FAKE_ABC_PID": str(tmp_path / "abc.pid")}
    proc = subprocess.Popen([sys.executable, "-m", "fp8kit.cli", "cost", "--formats", "int8", "--synth",
                             "--cache-dir", str(tmp_path / "cache")], env=env, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "abc.pid").exists():
            assert time.monotonic() < deadline and proc.poll() is None, "the fake synthesis never started"
            time.sleep(0.05)
        pid = int((tmp_path / "abc.pid").read_text())
        proc.send_signal(getattr(signal, signame))
        err = proc.communicate(timeout=30)[1]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == rc, err
    assert f"fp8kit: {word}; " in err and "Traceback" not in err
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split(")")[-1].split()[0] == "Z":
                    break
        except FileNotFoundError:
            break
        time.sleep(0.05)
    else:
        raise AssertionError(f"the fake ABC process {pid} survived {signame}")


def test_priors_and_energy_keep_their_names_in_cost_synth():
    """The split modules hold the objects; the old ``refmodel.cost_synth`` hands out the same ones."""
    import subprocess
    import sys

    code = ("import warnings\nwarnings.simplefilter('ignore')\nimport refmodel.cost_synth as old\n"
            "from fp8kit.cost import energy, priors, synth\n"
            "assert old.simulate_energy is energy.simulate_energy and old.primitive_priors is priors.primitive_priors\n"
            "assert old.synth is synth.synth and old.GATE_GE is synth.GATE_GE\n")
    subprocess.run([sys.executable, "-c", code], check=True)
