"""The legality rules of every RTL module's parameter set, in one place.

Each rule mirrors one elaboration check of the module (the `` `ifndef SYNTHESIS`` ``initial``
block of ``rtl/<module>.v`` that prints the bad value and calls ``$fatal``), so a parameter set is
refused here before a simulator or Yosys is ever started. A test elaborates a sample of legal and
illegal sets with ``iverilog -g2005`` and checks that Icarus agrees with :func:`rtl_params_legal`
on every one, so the two cannot drift.

The producers of :mod:`fp8kit.rtlspec.params` (``mul_rtl_params``, ``fma_rtl_params``, ...) call
:func:`check_rtl_params` on what they return; so do the cost model, the vector generator and the
regression, through those producers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from refmodel.encodings import RoundingMode

__all__ = ["RTL_DEFAULTS", "accumulator_problems", "check_rtl_params", "fma_window", "fma_window_problem",
           "rtl_params_legal", "sr_bits_problems"]

RTL_DEFAULTS: dict[str, dict[str, int]] = {
    "fp8_mul": {"A_EXP_W": 4, "A_MAN_W": 3, "A_BIAS": 7, "A_SPECIALS": 1,
                "B_EXP_W": 4, "B_MAN_W": 3, "B_BIAS": 7, "B_SPECIALS": 1},
    "fp8_fma": {"A_EXP_W": 4, "A_MAN_W": 3, "A_BIAS": 7, "A_SPECIALS": 1,
                "B_EXP_W": 4, "B_MAN_W": 3, "B_BIAS": 7, "B_SPECIALS": 1,
                "ACC_EXP_W": 8, "ACC_MAN_W": 23, "SR_BITS": 16},
    "fp8_mac": {"A_EXP_W": 4, "A_MAN_W": 3, "A_BIAS": 7, "A_SPECIALS": 1,
                "B_EXP_W": 4, "B_MAN_W": 3, "B_BIAS": 7, "B_SPECIALS": 1,
                "ACC_EXP_W": 8, "ACC_MAN_W": 23, "SR_BITS": 16, "SEED": 1},
    "int8_mac": {},
    "lfsr32": {"SEED": 1},
    "mx_dot": {"K": 32, "ELEM_EXP_W": 4, "ELEM_MAN_W": 3, "ELEM_BIAS": 7, "ELEM_SPECIALS": 1, "ELEM_INT8": 0,
               "PIPE": 0},
    "fp8_dpa": {"LANES": 32, "A_EXP_W": 4, "A_MAN_W": 3, "A_BIAS": 7, "A_SPECIALS": 1,
                "B_EXP_W": 4, "B_MAN_W": 3, "B_BIAS": 7, "B_SPECIALS": 1, "SCALED": 0, "FRAC_W": 13,
                "ACC_EXP_W": 8, "ACC_MAN_W": 23, "ACC_BIAS": 127, "STEP_MAN_W": 13, "RM": 1, "HAS_ZERO_EXP": 1,
                "ZERO_EXP": -133, "NAN_ALL_ONES": 1, "PIPE": 0},
    "gemm_tile": {"ROWS": 2, "COLS": 2, "LANES": 4, "A_EXP_W": 4, "A_MAN_W": 3, "A_BIAS": 7, "A_SPECIALS": 1,
                  "B_EXP_W": 4, "B_MAN_W": 3, "B_BIAS": 7, "B_SPECIALS": 1, "SCALED": 0, "FRAC_W": 13,
                  "ACC_EXP_W": 8, "ACC_MAN_W": 23, "ACC_BIAS": 127, "STEP_MAN_W": 13, "RM": 1, "HAS_ZERO_EXP": 1,
                  "ZERO_EXP": -133, "NAN_ALL_ONES": 1, "PIPE": 0},
    "fp8_unpack": {"EXP_W": 4, "MAN_W": 3, "BIAS": 7, "SPECIALS": 1, "UNB_W": 6},
    "lzc": {"WIDTH": 8},
    "fp8kit_cost_mac": {"A_EXP_W": 4, "A_MAN_W": 3, "A_BIAS": 7, "A_SPECIALS": 1,
                        "B_EXP_W": 4, "B_MAN_W": 3, "B_BIAS": 7, "B_SPECIALS": 1,
                        "ACC_EXP_W": 8, "ACC_MAN_W": 23, "SR_BITS": 16, "RM": 0},
}
"""Each module's overridable parameters and their defaults in the RTL (a test reads them from
``rtl/<module>.v``, and another checks every module of the manifest is listed). Derived values (``localparam``, or ``mx_dot``'s ``ELEM_W``) are not listed: they
must not be overridden."""

_SPECIALS = "0 ieee, 1 fn, 2 fnuz or 3 none"
_Problems = Iterator[str]


def _clog2(n: int) -> int:
    """``mx_dot``'s ``clog2``: the bits to count ``n`` values (0 for n <= 1)."""
    return max(0, (int(n) - 1).bit_length())


def _operands(p: Mapping[str, int], sides: str = "AB") -> _Problems:
    """Both ``fp8_mul`` and ``fp8_fma``: EXP_W/MAN_W >= 1, SPECIALS 0...3, at most 31 bits."""
    for s in sides:
        for field in ("EXP_W", "MAN_W"):
            if p[f"{s}_{field}"] < 1:
                yield f"{s}_{field}={p[f'{s}_{field}']}; allowed: >= 1"
        if not 0 <= p[f"{s}_SPECIALS"] <= 3:
            yield f"{s}_SPECIALS={p[f'{s}_SPECIALS']}; allowed: {_SPECIALS}"
        bits = p[f"{s}_EXP_W"] + p[f"{s}_MAN_W"] + 1
        if bits > 31:
            yield f"{s} operand of {bits} bits ({s}_EXP_W={p[f'{s}_EXP_W']}, {s}_MAN_W={p[f'{s}_MAN_W']}); " \
                  "allowed: at most 31 bits"


def _fp8_mul(p: Mapping[str, int]) -> _Problems:
    yield from _operands(p)
    for s in "AB":
        exp_w, bias = p[f"{s}_EXP_W"], p[f"{s}_BIAS"]
        if 1 <= exp_w <= 30 and not 0 <= bias <= (1 << exp_w):
            yield f"{s}_BIAS={bias}; allowed: 0...2^{s}_EXP_W = {1 << exp_w}"


def _fp8_fma(p: Mapping[str, int]) -> _Problems:
    yield from _operands(p)
    yield from accumulator_problems(p["ACC_EXP_W"], p["ACC_MAN_W"])
    yield from sr_bits_problems(p["SR_BITS"])
    problem = fma_window_problem(p)
    if problem is not None:
        yield problem


def accumulator_problems(exp_w: int, man_w: int) -> _Problems:
    """``fp8_fma.v``'s accumulator check: ``ACC_EXP_W`` 2...11, ``ACC_MAN_W`` >= 1, at most 32 bits."""
    if not 2 <= exp_w <= 11:
        yield f"ACC_EXP_W={exp_w}; allowed: 2...11"
    if man_w < 1:
        yield f"ACC_MAN_W={man_w}; allowed: >= 1"
    if exp_w + man_w + 1 > 32:
        yield f"accumulator of {exp_w + man_w + 1} bits (ACC_EXP_W={exp_w}, ACC_MAN_W={man_w}); allowed: at most 32"


def sr_bits_problems(sr_bits: int) -> _Problems:
    """``fp8_fma.v``'s and ``fp8_mac.v``'s ``SR_BITS`` check: 1...32."""
    if not 1 <= sr_bits <= 32:
        yield f"SR_BITS={sr_bits}; allowed: 1...32"


def fma_window(p: Mapping[str, int]) -> dict[str, int]:
    """``fp8_fma.v``'s derived window widths (its ``localparam``s) for a full parameter set ``p``.

    Returns:
        ``PW`` product significand bits, ``S`` product LSB position in the window, ``DMAX``
        largest accumulator LSB position, ``FW`` window bits, ``RW`` remainder bits below the kept
        M+1, ``EW`` exponent arithmetic bits, ``CW`` accumulator code bits, ``M`` accumulator
        mantissa bits, ``R`` = ``SR_BITS``, ``EMIN`` and ``LP_MIN`` (the smallest product's LSB).
    """
    m, r = p["ACC_MAN_W"], p["SR_BITS"]
    pw = p["A_MAN_W"] + p["B_MAN_W"] + 2
    s = m + r + 4
    dmax = s + pw + r + 3
    fw = dmax + m + 3
    ew = max(p["ACC_EXP_W"], p["A_EXP_W"], p["B_EXP_W"]) + 10
    emin = 1 - ((1 << max(p["ACC_EXP_W"] - 1, 0)) - 1)
    lp_min = (1 - p["A_BIAS"]) + (1 - p["B_BIAS"]) - p["A_MAN_W"] - p["B_MAN_W"]
    return {"PW": pw, "S": s, "DMAX": dmax, "FW": fw, "RW": fw - 1 - m, "EW": ew,
            "CW": p["ACC_EXP_W"] + m + 1, "M": m, "R": r, "EMIN": emin, "LP_MIN": lp_min}


def fma_window_problem(p: Mapping[str, int]) -> str | None:
    """``fp8_fma.v``'s bias check on a full parameter set: the window's top must reach the
    accumulator's subnormal boundary however low the product sits (``LP_MIN - S - 2 + FW >= EMIN``).

    Returns:
        None if it holds, else what is wrong and what is allowed.
    """
    w = fma_window(p)
    if w["LP_MIN"] - w["S"] - 2 + w["FW"] >= w["EMIN"]:
        return None
    return (f"operand biases A_BIAS={p['A_BIAS']} / B_BIAS={p['B_BIAS']} too large for this accumulator: the "
            f"smallest product 2^{w['LP_MIN']} sits more than {w['FW'] - w['S'] - 2} bits under the accumulator's "
            f"2^{w['EMIN']}; allowed: LP_MIN - S - 2 + FW >= EMIN (use a wider accumulator exponent)")


def _lfsr32(p: Mapping[str, int]) -> _Problems:
    seed = p["SEED"]
    if not 0 <= seed < 1 << 32:
        yield f"SEED={seed}; allowed: a 32-bit value 1...0xFFFFFFFF"
    elif seed == 0:
        yield "SEED=0; allowed: non-zero (zero is the LFSR's lock-up state)"


def _fp8_mac(p: Mapping[str, int]) -> _Problems:
    yield from _fp8_fma(p)
    yield from _lfsr32(p)


def _int8_mac(p: Mapping[str, int]) -> _Problems:
    return iter(())


def _mx_dot(p: Mapping[str, int]) -> _Problems:
    k, e, m, int8 = p["K"], p["ELEM_EXP_W"], p["ELEM_MAN_W"], p["ELEM_INT8"]
    if k < 1:
        yield f"K={k}; allowed: >= 1"
    if int8 == 0 and (e < 1 or e > 6):
        yield f"ELEM_EXP_W={e}; allowed: 1...6"
    if int8 == 0 and (m < 0 or e + m > 31):
        yield f"ELEM_MAN_W={m}; allowed: 0...31-ELEM_EXP_W"
    if not 0 <= p["ELEM_SPECIALS"] <= 3:
        yield f"ELEM_SPECIALS={p['ELEM_SPECIALS']}; allowed: {_SPECIALS}"
    if int8 not in (0, 1):
        yield f"ELEM_INT8={int8}; allowed: 0 or 1"
    if not 0 <= p["PIPE"] <= 2:
        yield f"PIPE={p['PIPE']}; allowed: 0, 1 or 2"
    if k >= 1 and (int8 != 0 or 1 <= e <= 6 and m >= 0):
        tw = 15 if int8 != 0 else 2 * (m + 1) + 2 * ((1 << e) - 2)
        lsb0 = -12 if int8 != 0 else 2 - 2 * p["ELEM_BIAS"] - 2 * m
        aw = tw + 1 + _clog2(k)
        eoff = aw - 1 + lsb0 - 254
        if aw > 200 or not -2000 <= eoff <= 2000:
            yield (f"element format too wide: accumulator of {aw} bits, exponent offset {eoff} "
                   f"(ELEM_BIAS={p['ELEM_BIAS']}, K={k}); allowed: at most 200 bits and an offset in -2000...2000")


def _fp8_dpa(p: Mapping[str, int]) -> _Problems:
    if not 1 <= p["LANES"] <= 256:
        yield f"LANES={p['LANES']}; allowed: 1...256"
    for s in "AB":
        e, m = p[f"{s}_EXP_W"], p[f"{s}_MAN_W"]
        if not 1 <= e <= 5 or not 0 <= m <= 7:
            yield f"{s}_EXP_W={e} / {s}_MAN_W={m}; allowed: exponent 1...5, mantissa 0...7"
        if not 0 <= p[f"{s}_SPECIALS"] <= 3:
            yield f"{s}_SPECIALS={p[f'{s}_SPECIALS']}; allowed: {_SPECIALS}"
    if p["A_MAN_W"] + p["B_MAN_W"] < 1:
        yield "A_MAN_W + B_MAN_W = 0; allowed: >= 1"
    if not 1 <= p["FRAC_W"] <= 40:
        yield f"FRAC_W={p['FRAC_W']}; allowed: 1...40"
    e, m, step = p["ACC_EXP_W"], p["ACC_MAN_W"], p["STEP_MAN_W"]
    if not 5 <= e <= 8 or not 2 <= m <= 23 or not 1 <= step <= m:
        yield f"accumulator E{e}M{m} with STEP_MAN_W={step}; allowed: E5...E8, M2...M23, STEP_MAN_W 1...ACC_MAN_W"
    if p["RM"] not in (int(RoundingMode.RNE), int(RoundingMode.RTZ)):
        yield f"RM={p['RM']}; allowed: {int(RoundingMode.RNE)} (rne) or {int(RoundingMode.RTZ)} (rtz)"
    for name in ("SCALED", "HAS_ZERO_EXP", "NAN_ALL_ONES"):
        if p[name] not in (0, 1):
            yield f"{name}={p[name]}; allowed: 0 or 1"
    if not -2000 <= p["ZERO_EXP"] <= 2000:
        yield f"ZERO_EXP={p['ZERO_EXP']}; allowed: -2000...2000"
    if not 0 <= p["PIPE"] <= 2:
        yield f"PIPE={p['PIPE']}; allowed: 0, 1 or 2"


def _gemm_tile(p: Mapping[str, int]) -> _Problems:
    """``gemm_tile.v``'s own check (ROWS, COLS 1...64) and its units' (``fp8_dpa.v``, every parameter
    passed through)."""
    for name in ("ROWS", "COLS"):
        if not 1 <= p[name] <= 64:
            yield f"{name}={p[name]}; allowed: 1...64"
    yield from _fp8_dpa({k: p[k] for k in RTL_DEFAULTS["fp8_dpa"]})


def _fp8_unpack(p: Mapping[str, int]) -> _Problems:
    e, m = p["EXP_W"], p["MAN_W"]
    if e < 1 or m < 0 or e + m > 31:
        yield f"EXP_W={e} / MAN_W={m}; allowed: EXP_W >= 1, MAN_W >= 0, EXP_W + MAN_W <= 31"
    if not 0 <= p["SPECIALS"] <= 3:
        yield f"SPECIALS={p['SPECIALS']}; allowed: {_SPECIALS}"
    if not e + 1 <= p["UNB_W"] <= 32:
        yield f"UNB_W={p['UNB_W']}; allowed: EXP_W + 1 = {e + 1} ... 32"


def _lzc(p: Mapping[str, int]) -> _Problems:
    if p["WIDTH"] < 1:
        yield f"WIDTH={p['WIDTH']}; allowed: >= 1"


def _fp8kit_cost_mac(p: Mapping[str, int]) -> _Problems:
    """The synthesis wrapper: ``fp8_mac`` (default ``SEED``) with ``rm_i`` tied to ``RM``."""
    lo, hi = min(RoundingMode), max(RoundingMode)
    if not lo <= p["RM"] <= hi:
        yield f"RM={p['RM']}; allowed: a rounding mode {int(lo)}...{int(hi)}"
    yield from _fp8_fma(p)


_RULES: dict[str, Callable[[Mapping[str, int]], _Problems]] = {
    "fp8_mul": _fp8_mul, "fp8_fma": _fp8_fma, "fp8_mac": _fp8_mac, "int8_mac": _int8_mac, "lfsr32": _lfsr32,
    "mx_dot": _mx_dot, "fp8_dpa": _fp8_dpa, "fp8_unpack": _fp8_unpack, "lzc": _lzc, "fp8kit_cost_mac": _fp8kit_cost_mac,
    "gemm_tile": _gemm_tile,
}


def check_rtl_params(module: str, params: Mapping[str, int]) -> dict[str, int]:
    """Check a parameter set of ``module`` against its elaboration checks.

    Args:
        module: an RTL module with a parameter contract (:data:`RTL_DEFAULTS`).
        params: the overrides (unlisted parameters keep the RTL defaults).

    Returns:
        The complete parameter set: the RTL defaults updated with ``params`` (ints).

    Raises:
        ValueError: an unknown module, a parameter the module lacks (or a derived one), or a
            value the module's elaboration check rejects; the message names the module, the bad
            value and what is allowed.
    """
    if module not in RTL_DEFAULTS:
        raise ValueError(f"no parameter contract for RTL module {module!r}; known: {', '.join(RTL_DEFAULTS)}")
    defaults = RTL_DEFAULTS[module]
    unknown = [k for k in params if k not in defaults]
    if unknown:
        allowed = ", ".join(defaults) if defaults else "none"
        raise ValueError(f"{module} has no parameter {', '.join(unknown)}; allowed: {allowed}")
    full = {**defaults, **{k: int(v) for k, v in params.items()}}
    problems = list(_RULES[module](full))
    if problems:
        raise ValueError(f"{module} rejects " + "; ".join(problems))
    return full


def rtl_params_legal(module: str, params: Mapping[str, int]) -> bool:
    """Whether ``module`` elaborates with ``params`` (:func:`check_rtl_params` raises no ValueError)."""
    try:
        check_rtl_params(module, params)
    except ValueError:
        return False
    return True
