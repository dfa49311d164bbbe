"""fp8kit.rtlspec.legality is each RTL module's elaboration checks: for a sample of legal and illegal
parameter sets its answer equals whether ``iverilog -g2005`` elaborates the module (and its time-0
``initial`` checks pass under ``vvp``), so the two cannot drift. The RTL defaults it assumes are
read back from the Verilog."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from fp8kit.rtlspec import manifest
from fp8kit.rtlspec.legality import RTL_DEFAULTS, check_rtl_params, rtl_params_legal

RTL = Path(__file__).resolve().parents[2] / "rtl"

BF16 = {"EXP_W": 8, "MAN_W": 7, "BIAS": 127, "SPECIALS": 0}
SAMPLES: dict[str, list[dict[str, int]]] = {
    "fp8_mul": [{}, {"A_EXP_W": 0}, {"B_MAN_W": 0}, {"A_BIAS": -1}, {"A_BIAS": 16}, {"A_BIAS": 17},
                {"B_EXP_W": 5, "B_MAN_W": 2, "B_BIAS": 15, "B_SPECIALS": 0}, {"A_EXP_W": 8, "A_MAN_W": 22},
                {"A_EXP_W": 8, "A_MAN_W": 23}, {"A_SPECIALS": 4}, {"B_SPECIALS": -1}, {"B_SPECIALS": 3}],
    "fp8_fma": [{}, {"A_MAN_W": 0}, {"B_EXP_W": 0}, {"A_SPECIALS": 4}, {"ACC_EXP_W": 1}, {"ACC_EXP_W": 5,
                "ACC_MAN_W": 10}, {"ACC_EXP_W": 11, "ACC_MAN_W": 20}, {"ACC_EXP_W": 11, "ACC_MAN_W": 21},
                {"ACC_EXP_W": 12, "ACC_MAN_W": 3}, {"ACC_EXP_W": 12, "ACC_MAN_W": 3, "SR_BITS": 40},
                {"ACC_MAN_W": 0}, {"SR_BITS": 0}, {"SR_BITS": 1}, {"SR_BITS": 32}, {"SR_BITS": 33},
                {f"{s}_{k}": v for s in "AB" for k, v in BF16.items()},
                {**{f"{s}_{k}": v for s in "AB" for k, v in BF16.items()}, "ACC_EXP_W": 11, "ACC_MAN_W": 20},
                {"A_EXP_W": 8, "A_MAN_W": 23}],
    "fp8_mac": [{}, {"SR_BITS": 33}, {"SR_BITS": 0}, {"SEED": 0}, {"SEED": 0xFFFFFFFF}, {"ACC_EXP_W": 12},
                {"ACC_EXP_W": 5, "ACC_MAN_W": 10, "SR_BITS": 4, "SEED": 7}],
    "int8_mac": [{}],
    "lfsr32": [{}, {"SEED": 0}, {"SEED": 0xDEADBEEF}],
    "mx_dot": [{}, {"K": 0}, {"K": 1}, {"PIPE": 3}, {"PIPE": 2}, {"PIPE": -1}, {"ELEM_EXP_W": 7},
               {"ELEM_EXP_W": 0}, {"ELEM_EXP_W": 6, "ELEM_MAN_W": 0, "K": 4}, {"ELEM_MAN_W": -1},
               {"ELEM_INT8": 1, "K": 4}, {"ELEM_INT8": 2}, {"ELEM_SPECIALS": 4}, {"ELEM_BIAS": 500, "K": 4},
               {"ELEM_BIAS": 1000, "K": 4}],
    "fp8_dpa": [{}, {"LANES": 0}, {"LANES": 1, "FRAC_W": 1}, {"LANES": 257}, {"FRAC_W": 41}, {"FRAC_W": 40, "LANES": 4},
                {"A_EXP_W": 6}, {"B_MAN_W": 8}, {"A_MAN_W": 0, "B_MAN_W": 0}, {"A_MAN_W": 0, "LANES": 2},
                {"ACC_MAN_W": 1, "STEP_MAN_W": 1}, {"STEP_MAN_W": 24}, {"ACC_EXP_W": 5, "ACC_MAN_W": 10, "STEP_MAN_W": 10},
                {"RM": 2}, {"RM": 0}, {"SCALED": 2}, {"SCALED": 1, "LANES": 4}, {"ZERO_EXP": -2001},
                {"HAS_ZERO_EXP": 0, "NAN_ALL_ONES": 0, "LANES": 2}, {"PIPE": 3}, {"PIPE": 2, "LANES": 2}],
    "gemm_tile": [{}, {"ROWS": 0}, {"COLS": 65}, {"ROWS": 64, "COLS": 1, "LANES": 1}, {"ROWS": 1, "COLS": 64, "LANES": 1},
                  {"ROWS": 65, "LANES": 1}, {"ROWS": 1, "COLS": 1, "LANES": 0}, {"ROWS": 1, "COLS": 3, "FRAC_W": 41},
                  {"ROWS": 3, "COLS": 1, "SCALED": 1, "PIPE": 2}, {"PIPE": 3}, {"RM": 2}, {"STEP_MAN_W": 24}],
    "fp8_unpack": [{}, {"EXP_W": 0}, {"MAN_W": 0}, {"MAN_W": -1}, {"EXP_W": 8, "MAN_W": 23, "UNB_W": 10},
                   {"EXP_W": 8, "MAN_W": 24, "UNB_W": 10}, {"SPECIALS": 4}, {"UNB_W": 5}, {"UNB_W": 32},
                   {"UNB_W": 33}],
    "lzc": [{}, {"WIDTH": 1}, {"WIDTH": 0}, {"WIDTH": 33}],
    "fp8kit_cost_mac": [{}, {"RM": 6}, {"RM": 7}, {"RM": -1}, {"SR_BITS": 0}, {"ACC_EXP_W": 12}],
}


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found on PATH: install it with `apt-get install iverilog` (or `make tools`)")
    return path


def _elaborates(module: str, params: dict[str, int], tmp_path: Path) -> tuple[bool, str]:
    out = tmp_path / f"{module}.vvp"
    cmd = [_tool("iverilog"), "-g2005", *[f"-I{d}" for d in manifest.include_dirs(RTL)], "-s", module,
           "-o", str(out), *[f"-P{module}.{k}={v}" for k, v in params.items()],
           *map(str, manifest.sources_for(module, RTL))]
    build = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if build.returncode != 0:
        return False, build.stdout + build.stderr
    run = subprocess.run([_tool("vvp"), "-n", str(out)], capture_output=True, text=True, timeout=120)
    text = run.stdout + run.stderr
    return run.returncode == 0 and "FATAL" not in text, text


def test_samples_cover_every_module_both_ways():
    assert set(SAMPLES) == set(RTL_DEFAULTS)
    for module, sets in SAMPLES.items():
        answers = {rtl_params_legal(module, p) for p in sets}
        assert answers == ({True} if module == "int8_mac" else {True, False}), module


def test_every_module_of_the_manifest_has_a_contract():
    """A new RTL module (a leaf too) gets its defaults and rules here, and samples above."""
    assert set(RTL_DEFAULTS) == set(manifest.toplevels(RTL))


@pytest.mark.rtl
@pytest.mark.parametrize("module, params", [(m, p) for m, sets in SAMPLES.items() for p in sets],
                         ids=lambda x: x if isinstance(x, str) else ",".join(f"{k}={v}" for k, v in x.items()) or "default")
def test_legality_equals_icarus(module, params, tmp_path):
    legal = rtl_params_legal(module, params)
    elaborated, log = _elaborates(module, params, tmp_path)
    assert legal == elaborated, f"{module} {params}: Python says {'legal' if legal else 'illegal'}, Icarus " \
                                f"{'elaborates' if elaborated else 'refuses'}:\n{log[-2000:]}"


_PARAM = re.compile(r"parameter\s+(?:integer\s+|\[[^\]]*\]\s*)?(\w+)\s*=\s*([^,\n]+?)\s*(?:,|\n|\))")


def _literal(text: str) -> int | None:
    m = re.fullmatch(r"(?:\d+)?'([hdb])([0-9a-fA-F_]+)|(-?\d+)", text.strip())
    if m is None:
        return None  # an expression: a derived value, not part of the contract
    if m.group(3) is not None:
        return int(m.group(3))
    return int(m.group(2).replace("_", ""), {"h": 16, "d": 10, "b": 2}[m.group(1)])


@pytest.mark.parametrize("module", sorted(RTL_DEFAULTS))
def test_defaults_are_the_rtl_defaults(module):
    text = (RTL / f"{module}.v").read_text()
    text = re.sub(r"//[^\n]*", "", text)
    header = text[text.index(f"module {module}"):]
    header = header[:header.index(";")]
    found = {name: _literal(value) for name, value in _PARAM.findall(header)}
    assert {k: v for k, v in found.items() if v is not None} == RTL_DEFAULTS[module]


def test_the_issue_example_is_refused():
    with pytest.raises(ValueError, match=r"fp8_fma rejects ACC_EXP_W=12; allowed: 2\.\.\.11; "
                                         r"SR_BITS=40; allowed: 1\.\.\.32"):
        check_rtl_params("fp8_fma", {"ACC_EXP_W": 12, "ACC_MAN_W": 3, "SR_BITS": 40})


def test_accumulator_width_is_refused():
    with pytest.raises(ValueError, match=r"accumulator of 33 bits \(ACC_EXP_W=11, ACC_MAN_W=21\); allowed: at most 32"):
        check_rtl_params("fp8_fma", {"ACC_EXP_W": 11, "ACC_MAN_W": 21})


def test_unknown_module_and_parameter_are_refused():
    with pytest.raises(ValueError, match="no parameter contract for RTL module 'nope'; known: fp8_mul"):
        check_rtl_params("nope", {})
    with pytest.raises(ValueError, match="mx_dot has no parameter ELEM_W; allowed: K, ELEM_EXP_W"):
        check_rtl_params("mx_dot", {"ELEM_W": 8})
    with pytest.raises(ValueError, match="int8_mac has no parameter X; allowed: none"):
        check_rtl_params("int8_mac", {"X": 1})
    assert check_rtl_params("lfsr32", {}) == {"SEED": 1}
