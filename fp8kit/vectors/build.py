"""generate: one op's vectors (its cases from the op's module, refmodel's expected outputs, the header)."""

from __future__ import annotations

import dataclasses
import json
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np

from refmodel import arith, mx
from refmodel.encodings import RoundingMode, parse_rounding

from fp8kit.rtlspec.params import (fma_rtl_params, int8_mac_rtl_params, mac_rtl_params, mul_rtl_params,
                                   mx_dot_rtl_params)
from fp8kit.vectors import dpa, fma, gemm, int8_mac, mac, mul, mx_dot
from fp8kit.vectors.io import ALL_OPS, FILE_VERSION, MEMORY_LIMIT_GIB, OPS, ROUNDED_OPS, Vectors

__all__ = ["BYTES_PER_WORD", "LEVEL1_BOUND", "generate", "memory_estimate", "parse_roundings", "rtl_params"]


def _fp8kit_version() -> str:
    try:
        return version("fp8kit")
    except PackageNotFoundError:
        return "unknown (not installed)"


def parse_roundings(rounding: Any) -> list[RoundingMode]:
    """``None`` or ``"all"`` -> every mode; ``"rne,sr"`` or a sequence -> those modes, in order.

    Raises:
        ValueError: an unknown name, listing the allowed ones (and ``all``), or an empty list.
    """
    if rounding is None or (isinstance(rounding, str) and rounding.strip().lower() == "all"):
        return list(RoundingMode)
    items = rounding.split(",") if isinstance(rounding, str) else list(rounding)
    try:
        modes = [parse_rounding(r) for r in items if not (isinstance(r, str) and not r.strip())]
    except ValueError as exc:
        raise ValueError(f"{exc}, or all") from None
    if not modes:
        raise ValueError("no rounding mode given; allowed: " + ", ".join(m.label for m in RoundingMode) + ", all")
    return list(dict.fromkeys(modes))


def _check_count(level: Any, count: Any) -> tuple[int, int]:
    if isinstance(level, bool) or not isinstance(level, (int, np.integer)) or int(level) not in (1, 2):
        raise ValueError(f"level must be 1 (boundaries) or 2 (boundaries + random), got {level!r}")
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or int(count) < 0:
        raise ValueError(f"count must be an integer >= 0, got {count!r}")
    if int(level) == 1 and int(count) > 0:
        raise ValueError(f"count={count} random cases need level 2 (level 1 is the boundary set only)")
    return int(level), int(count)


BYTES_PER_WORD = {"mul": 24, "fma": 26, "mac": 26, "int8_mac": 72, "mx_dot": 52, "gemm": 40, "dpa": 64}
"""Peak bytes per word (one column of one case) of :func:`generate`, measured with ``tracemalloc``."""

DPA_FIXED_BYTES = 32 << 20
"""dpa: the peak of one chunk of model calls (:data:`fp8kit.vectors.dpa._CHUNK` rows), on top of the words."""

LEVEL1_BOUND = 1 << 18
"""At least the level-1 cases of mul, fma, mac or int8_mac (fma's largest set has 220,640)."""

_MAX_COLUMNS = 8
"""The most columns of a mul, fma, mac or int8_mac case."""


def _check_int(name: str, value: Any, low: int, high: int | None = None) -> int:
    """``value`` as an int in ``[low, high]``; bools, floats and strings are refused.

    Raises:
        ValueError: naming ``name``, the value (repr) and the allowed range.
    """
    bound = f">= {low}" if high is None else f"in {low}...{high}"
    if (isinstance(value, bool) or not isinstance(value, (int, np.integer))
            or value < low or (high is not None and value > high)):
        raise ValueError(f"{name} must be an integer {bound}, got {value!r}")
    return int(value)


def memory_estimate(op: str, count: int, k: int = 32, mx_type: Any = "mxfp8_e4m3", outputs: int = 1) -> int:
    """The peak bytes of :func:`generate` for ``op`` with ``count`` random cases (``k``, ``mx_type``: mx_dot;
    ``k``: dpa's lanes).

    ``(level-1 cases + count) x words per case x BYTES_PER_WORD[op]``, where mx_dot has its
    level-1 blocks counted exactly and ``2k + 4`` words per case, gemm ``count`` tiles of ``outputs``
    cases of ``2k + 6`` words, dpa at most :func:`fp8kit.vectors.dpa.level1_bound` level-1 rows of
    ``2k + 5`` words plus :data:`DPA_FIXED_BYTES`, and the other ops at most :data:`LEVEL1_BOUND`
    level-1 cases of at most 8 words.
    """
    if op == "dpa":
        return (dpa.level1_bound(k) + count) * (2 * k + 5) * BYTES_PER_WORD[op] + DPA_FIXED_BYTES
    if op == "gemm":
        return count * outputs * (2 * k + 6) * BYTES_PER_WORD[op]
    if op == "mx_dot":
        return (mx_dot.level1_cases(mx.get_mx_type(mx_type)) + count) * (2 * k + 4) * BYTES_PER_WORD[op]
    return (LEVEL1_BOUND + count) * _MAX_COLUMNS * BYTES_PER_WORD[op]


def _check_memory(op: str, count: int, k: int, mx_type: Any, outputs: int = 1) -> None:
    """Refuses sizes whose :func:`memory_estimate` is over :data:`MEMORY_LIMIT_GIB`, with the sizes that fit.

    Raises:
        ValueError: naming count (and k), the estimate, the limit and how to proceed.
    """
    limit = MEMORY_LIMIT_GIB << 30
    need = memory_estimate(op, count, k, mx_type, outputs)
    if need <= limit:
        return
    base = memory_estimate(op, 0, k, mx_type, outputs)
    sizes = f"count={count} (--count)" + (f" and k={k} (--k)" if op in ("mx_dot", "gemm") else
                                          f" and {k} lanes" if op == "dpa" else "")
    if base > limit:  # level 1 alone is too big: only a smaller block helps
        per_lane = 2 * BYTES_PER_WORD[op] * mx_dot.level1_cases(mx.get_mx_type(mx_type))
        advice = f"use k <= {(limit - 2 * per_lane) // per_lane}"
    else:
        fits = (limit - base) // (memory_estimate(op, 1, k, mx_type, outputs) - base)
        advice = f"use count <= {fits:,} and more files with other seeds (--seed) for more random cases"
    raise ValueError(f"{op} vectors with {sizes} need about {need / 2**30:.1f} GiB of memory; the limit is "
                     f"{MEMORY_LIMIT_GIB} GiB (docs/vectors.md, Limits): {advice}")


def generate(
    op: str,
    *,
    fmt: Any = None,
    fmt_b: Any = None,
    acc: Any = None,
    rounding: Any = None,
    sr_bits: int = 16,
    lfsr_seed: int = 1,
    k: int | None = None,
    level: int = 1,
    count: int = 0,
    seed: int = 1,
    datapath: str | None = None,
    m: int | None = None,
    n: int | None = None,
    unit: dict[str, Any] | None = None,
) -> Vectors:
    """The vectors of one operation: inputs and refmodel's expected outputs.

    Args:
        op: ``mul``, ``fma``, ``mac``, ``mx_dot``, ``int8_mac``, ``dpa`` or ``gemm``.
        fmt: operand a format (mul, fma, mac; default float8_e4m3fn) or the OCP MX type
            (mx_dot; default mxfp8_e4m3); dpa: an element format or an E8M0-scaled MX type (default
            the preset's first operand, float8_e4m3fn for fused-dot); not used by int8_mac.
        fmt_b: operand b format (mul, fma, mac, gemm, dpa); default ``fmt``.
        acc: accumulator format (fma, mac: default float32, IEEE specials and the IEEE bias as the RTL
            has them; gemm, dpa: default the preset's, float32 for fused-dot).
        rounding: fma and mac: ``None``/``"all"``, a comma list (``"rne,sr"``) or a sequence of
            names/codes; mx_dot takes only ``rne``; dpa with ``fused-dot``: ``rne`` or ``rtz``
            (default rtz); mul and int8_mac take none.
        sr_bits: R, the random bits of stochastic rounding (fma, mac).
        lfsr_seed: the SEED parameter of fp8_mac's LFSR (mac).
        k: the mx_dot block size, gemm's K (default 32 for both); dpa takes none (a step is
            ``lanes`` products).
        level: 1, every special and boundary combination (no randomness); 2, level 1 plus
            ``count`` random cases drawn with ``seed``.
        datapath, m, n: gemm: a preset, ``exact`` or ``fma-chain`` (``rounding``: one deterministic
            mode), the tile shape (M, N; K is ``k``); gemm is level 2 only, ``count`` random tiles
            (:mod:`fp8kit.vectors.gemm`). dpa: a preset whose datapath is one fp8_dpa step or
            ``fused-dot`` (:func:`fp8kit.vectors.dpa.resolve`).
        unit: dpa with ``fused-dot``: the unit's parameters (:data:`fp8kit.vectors.dpa.UNIT_KEYS`:
            ``lanes`` and ``frac_bits``, optionally ``step_man_bits``, ``zero_exp``, ``nan``).

    Level-1 contents per op: mul, every code pair (formats of more than 16 bits together:
    boundary codes x boundary codes); fma, :func:`boundary_codes` of a x those of
    b x (accumulator edges: +-0, min/max subnormal, min normal, 1.0, max finite, Inf, qNaN,
    sNaN; and per product its exact negation, +-1 code around it, the product itself and max
    finite of its sign), in every requested mode with sat 0 and 1, sr with the random words
    0, 1, 2**(R-1) and 2**R - 1; mac, streams of every boundary pair followed by its negation
    and 16-step growth, alternation and underflow streams, every mode and sat, sr from the
    LFSR; int8_mac, every edge pair, all 65,536 pairs in one stream, and both int32 limits
    reached and crossed by the largest and smallest steps, wrap and saturate; mx_dot, pairs of
    boundary elements, blocks of one edge value, cancelling blocks and edge-plus-tiny blocks,
    under edge scales (0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF) and float32 overflow/underflow
    scale pairs; dpa, :func:`fp8kit.vectors.dpa.dpa_structured` (every alignment distance
    F - 3 ... F + 3 of a second product and of C, cancellation, carries, ties, NaN/Inf/-0,
    overflow, underflow, scale extremes and the coverage witnesses).

    Returns:
        :class:`Vectors` whose header records everything needed to rebuild and replay them.

    Raises:
        ValueError: an unknown op, format, MX type or rounding mode, a mode the op does not
            take, an accumulator without IEEE specials, ``count < 0``, or ``count > 0`` at level 1.
    """
    if op not in ALL_OPS:
        raise ValueError(f"unknown op {op!r}; allowed: {', '.join(ALL_OPS)}")
    level, count = _check_count(level, count)
    seed = _check_int("seed", seed, 0)
    if op == "dpa":
        return _dpa(fmt, fmt_b, acc, rounding, datapath, unit, k, m, n, level, count, seed)
    if unit is not None:
        raise ValueError(f"op {op} takes no unit (lanes, frac_bits, ...: those are dpa's)")
    k = 32 if k is None else k
    if op == "gemm":
        return _gemm(fmt, fmt_b, acc, rounding, datapath, m, n, k, level, count, seed)
    if datapath is not None or m is not None or n is not None:
        raise ValueError(f"op {op} takes no datapath, m or n (those are gemm's)")
    if op == "mx_dot":
        k = _check_int("k (the mx_dot block size)", k, 1)
    _check_memory(op, count, k, "mxfp8_e4m3" if fmt is None or op != "mx_dot" else fmt)
    head: dict[str, Any] = {"op": op, "module": OPS[op]}
    if op in ("mul", "fma", "mac"):
        fa = arith.operand_format("float8_e4m3fn" if fmt is None else fmt)
        fb = fa if fmt_b is None else arith.operand_format(fmt_b)
        head.update(fmt_a=fa.name, fmt_b=fb.name)
    elif fmt_b is not None:
        raise ValueError(f"op {op} has no operand b format (fmt_b)")
    modes: list[RoundingMode] = []
    if op in ROUNDED_OPS:
        fc = arith.accumulator_format("float32" if acc is None else acc)
        modes = parse_roundings(rounding)
        sr_bits = _check_int("sr_bits", sr_bits, 1, 32)
        head.update(acc=fc.name, rounding=[m.label for m in modes], sr_bits=int(sr_bits))
        params = fma_rtl_params(fa, fb, fc, sr_bits)
    elif op == "mx_dot" and [m for m in ([] if rounding is None else parse_roundings(rounding))
                             if m is not RoundingMode.RNE]:
        raise ValueError("mx_dot rounds rne only (OCP MX dot, one rounding to float32)")
    elif op in ("mul", "int8_mac") and rounding is not None:
        raise ValueError(f"op {op} does not round: leave rounding unset")

    if op == "mul":
        cols, data = mul.cases(fa, fb, level, count, seed)
        params = mul_rtl_params(fa, fb)
    elif op == "fma":
        cols, data = fma.cases(fa, fb, fc, modes, sr_bits, level, count, seed)
    elif op == "mac":
        lfsr_seed = _check_int("lfsr_seed (the fp8_mac LFSR SEED)", lfsr_seed, 1, (1 << 32) - 1)
        head["lfsr_seed"] = lfsr_seed
        cols, data = mac.cases(fa, fb, fc, modes, sr_bits, lfsr_seed, level, count, seed)
        params = mac_rtl_params(fa, fb, fc, sr_bits, lfsr_seed)
    elif op == "mx_dot":
        t = mx.get_mx_type("mxfp8_e4m3" if fmt is None else fmt)
        params = mx_dot_rtl_params(t, k)
        del params["PIPE"]  # the replay bench drives the combinational build
        head.update(mx_type=t.name, k=k, element=t.element.name if t.element else "int8", rounding=["rne"])
        cols, data = mx_dot.cases(t, k, level, count, seed)
    else:
        if fmt is not None:
            raise ValueError("op int8_mac has fixed int8 x int8 + int32 operands: leave fmt unset")
        cols, data = int8_mac.cases(level, count, seed)
        params = int8_mac_rtl_params()
    return _finish(head, cols, data, level, seed, count, params)


def _finish(head: dict[str, Any], cols, data, level: int, seed: int, count: int, params) -> Vectors:
    """The vectors of ``data`` (one array per column) with the header's common fields added."""
    rows = np.stack([np.asarray(d).astype(np.uint64) for d in data], axis=1)
    head.update(level=level, seed=seed if level == 2 else None, count=count, cases=int(rows.shape[0]),
                rtl_params=params, columns=[dataclasses.asdict(c) for c in cols],
                fp8kit=_fp8kit_version(), file_version=FILE_VERSION)
    return Vectors(head, rows)


def _gemm(fmt, fmt_b, acc, rounding, datapath, m, n, k, level: int, count: int, seed: int) -> Vectors:
    """gemm's vectors: ``count`` random tiles through a datapath (no RTL module, no level 1)."""
    if level != 2 or count < 1:
        raise ValueError(f"gemm vectors are random tiles: level 2 with count >= 1 tiles, got level {level}, count {count}")
    if datapath is None or m is None or n is None:
        raise ValueError("op gemm needs a datapath (--datapath), m and n (--m, --n)")
    m, n, k = (_check_int(f"{x} (the gemm tile size)", v, 1, 1 << 16) for x, v in (("m", m), ("n", n), ("k", k)))
    _check_memory("gemm", count, k, None, m * n)
    s = gemm.resolve(datapath, fmt if fmt_b is None else f"{fmt},{fmt_b}", acc, rounding)
    cols, data = gemm.cases(s, m, n, k, count, seed)
    head = {"op": "gemm", "module": None, "datapath": s.name, "fmt_a": s.operands[0], "fmt_b": s.operands[1],
            "acc": s.acc.name, "rounding": [s.datapath.rounding.label] if s.name in gemm.DATAPATHS else None,
            "m": m, "n": n, "k": k}
    return _finish(head, cols, data, level, seed, count, None)


def _dpa(fmt, fmt_b, acc, rounding, datapath, unit, k, m, n, level: int, count: int, seed: int) -> Vectors:
    """dpa's vectors: one fp8_dpa step per case, of a preset's step or a fused-dot unit."""
    if k is not None or m is not None or n is not None:
        raise ValueError("op dpa takes no k, m or n: a step has the unit's lanes products (--lanes, or the preset's)")
    if datapath is None:
        raise ValueError(f"op dpa needs a datapath (--datapath): a preset whose datapath is one fp8_dpa step "
                         f"({', '.join(dpa.step_presets())}) or {dpa.FUSED_DOT} with --lanes and --frac-bits")
    name, cfg = dpa.resolve(datapath, fmt, fmt_b, acc, rounding, unit)
    _check_memory("dpa", count, cfg.lanes, None)
    params = cfg.rtl_params()
    del params["PIPE"]  # the replay bench drives the combinational build
    head = {"op": "dpa", "module": OPS["dpa"], "datapath": name, "unit": json.loads(cfg.to_json())}
    cols, data = dpa.cases(cfg, level, count, seed)
    return _finish(head, cols, data, level, seed, count, params)


def rtl_params(header: dict[str, Any]) -> dict[str, int]:
    """The replay bench's DUT parameters for a header, recomputed from refmodel (fp8kit.rtlspec).

    Raises:
        ValueError: the header's own ``rtl_params`` differ (the file was written by another
            model version, or edited), or its op is unknown.
    """
    op = header.get("op")
    if op == "mul":
        fresh = mul_rtl_params(header["fmt_a"], header["fmt_b"])
    elif op in ROUNDED_OPS:
        fresh = (mac_rtl_params(header["fmt_a"], header["fmt_b"], header["acc"], header["sr_bits"], header["lfsr_seed"])
                 if op == "mac" else fma_rtl_params(header["fmt_a"], header["fmt_b"], header["acc"], header["sr_bits"]))
    elif op == "mx_dot":
        fresh = mx_dot_rtl_params(header["mx_type"], header["k"])
        del fresh["PIPE"]
    elif op == "int8_mac":
        fresh = int8_mac_rtl_params()
    elif op == "dpa":
        try:
            fresh = dpa.DpaConfig.from_json(json.dumps(header["unit"])).rtl_params()
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"the header's unit {header.get('unit')!r} is not an fp8_dpa unit: {exc}") from None
        del fresh["PIPE"]
    elif op == "gemm":
        raise ValueError(f"op gemm has no RTL module here: its vectors check an accelerator's own simulator "
                         f"(docs/vectors.md); replay takes {', '.join(OPS)}")
    else:
        raise ValueError(f"unknown op {op!r} in the vector header; allowed: {', '.join(OPS)}")
    if fresh != header.get("rtl_params"):
        raise ValueError(f"the header's rtl_params {header.get('rtl_params')} differ from refmodel's {fresh}")
    return fresh

