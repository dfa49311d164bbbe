"""Test vectors for the RTL: refmodel's expected outputs as ``$readmemh``-ready hex files.

One function builds the cases of an operation (:func:`generate`), :func:`write` and
:func:`read` move them through a file, and ``verif.replay`` checks the RTL against a file in
a pure-Verilog bench.  Every expected value comes from refmodel (``arith.mul``, ``arith.fma``,
``arith.mac``, ``int8.int8_mac_stream``, ``mx.dot``); formats come from ``get_format``, RTL
parameters from ``fp8kit.rtlspec`` and rounding codes from ``RoundingMode``.

File layout (docs/vectors.md)::

    // fp8kit-vectors {"op": "fma", ...one line of JSON...}
    // column  0  a     8 bits  in        operand a code (float8_e4m3fn)
    // ...
    <number of cases, hex>
    <one case per line: whitespace-separated hex words, one per column>

Every word is unsigned hex of at most 32 bits; a signed column (``signed`` in its header
entry) holds the two's complement of its value in its width.  ``$readmemh`` skips the
``//`` lines, so a bench reads the count at word 0 and case ``i`` column ``j`` at word
``1 + i * len(columns) + j``.  The header's ``sha256`` field is the SHA-256 of the header's
other fields and of every byte after line 1; :func:`read` refuses a file whose checksum, case
count or case lines disagree with its header.

Levels, in the manner of TestFloat: level 1 is every special and boundary combination of the
operation (deterministic: no seed); level 2 is level 1 plus ``count`` seeded random cases.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from refmodel import arith, mx

from fp8kit import userpaths
from refmodel.codec import classify, decode, encode
from refmodel.encodings import CodeClass, RoundingMode, Specials, parse_rounding
from refmodel.formats import Format, get_format
from refmodel.int8 import ACC_MAX, ACC_MIN, int8_mac_stream
from refmodel.lfsr import draws
from fp8kit.rtlspec.params import fma_rtl_params, mul_rtl_params, mx_dot_rtl_params

__all__ = [
    "BYTES_PER_WORD",
    "CHECKSUM",
    "FILE_VERSION",
    "MAGIC",
    "MEMORY_LIMIT_GIB",
    "OPS",
    "Column",
    "Vectors",
    "as_signed",
    "boundary_codes",
    "generate",
    "memory_estimate",
    "mx_dot_random_cases",
    "parse_roundings",
    "read",
    "read_header",
    "regenerate_command",
    "rtl_params",
    "write",
]

OPS: dict[str, str] = {"mul": "fp8_mul", "fma": "fp8_fma", "mac": "fp8_mac", "mx_dot": "mx_dot",
                       "int8_mac": "int8_mac"}
"""Operation name -> the RTL module its vectors check."""

MAGIC = "// fp8kit-vectors "
"""The start of a vector file's first line; the JSON header follows on the same line."""

FILE_VERSION = 2
"""The layout version: 2 added the ``sha256`` header field (version 1 files are refused)."""

CHECKSUM = "sha256"
"""The header field holding the SHA-256 of the header's other fields and the body (see :func:`write`)."""
_ROUNDED_OPS = ("fma", "mac")


@dataclasses.dataclass(frozen=True)
class Column:
    """One word of a case: name, bit width, ``in`` (stimulus) or ``out`` (expected), meaning."""

    name: str
    width: int
    role: str
    doc: str
    signed: bool = False


@dataclasses.dataclass
class Vectors:
    """A header (the file's JSON) and the cases: uint64 words of shape ``(cases, columns)``."""

    header: dict[str, Any]
    rows: np.ndarray

    @property
    def columns(self) -> list[str]:
        return [c["name"] for c in self.header["columns"]]

    def column(self, name: str) -> np.ndarray:
        """The words of one column (signed columns as their two's complement), uint64.

        Raises:
            KeyError: no such column (the message lists them).
        """
        try:
            return self.rows[:, self.columns.index(name)]
        except ValueError:
            raise KeyError(f"no column {name!r}; columns: {', '.join(self.columns)}") from None


# ----------------------------------------------------------------------------- helpers
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


def boundary_codes(fmt: Any) -> np.ndarray:
    """The special and boundary codes of a sign/exponent/mantissa format, both signs, ascending.

    Magnitudes: zero, the smallest and largest subnormal, the smallest normal and its
    successor, 1.0 and its successor, the largest finite value and its predecessor, Inf, and
    two NaNs (the quiet-bit NaN and the lowest-payload one; fn: the single NaN magnitude),
    each where the format has it; then every one of them with the sign bit set (for fnuz the
    -0 code is its NaN).
    """
    f = get_format(fmt)
    m = f.man_bits
    one = f.bias << m
    mags = [0, 1, (1 << m) - 1, 1 << m, (1 << m) + 1, one, one + 1, f.max_code - 1, f.max_code]
    if f.has_inf:
        mags += [f.inf_codes[0], f.inf_codes[0] | 1, f.nan_code(False)]
    elif f.specials is Specials.FN:
        mags.append(f.mag_mask)
    mags = [x for x in mags if 0 <= x <= f.mag_mask]
    return np.array(sorted(set(mags) | {x | f.sign_mask for x in mags}), np.int64)


def _acc_boundary(fc: Format) -> np.ndarray:
    """Accumulator edges: +-0, min/max subnormal, min normal, 1.0, max finite, Inf, qNaN, sNaN."""
    m = fc.man_bits
    inf = fc.inf_codes[0]
    mags = [0, 1, (1 << m) - 1, 1 << m, fc.bias << m, fc.max_code, inf, fc.nan_code(False), inf | 1]
    return np.array(sorted(set(mags) | {x | fc.sign_mask for x in mags}), np.int64)


def _check_count(level: Any, count: Any) -> tuple[int, int]:
    if isinstance(level, bool) or not isinstance(level, (int, np.integer)) or int(level) not in (1, 2):
        raise ValueError(f"level must be 1 (boundaries) or 2 (boundaries + random), got {level!r}")
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or int(count) < 0:
        raise ValueError(f"count must be an integer >= 0, got {count!r}")
    if int(level) == 1 and int(count) > 0:
        raise ValueError(f"count={count} random cases need level 2 (level 1 is the boundary set only)")
    return int(level), int(count)


def _random_codes(rng: np.random.Generator, f: Format, n: int, finite: float = 0.0) -> np.ndarray:
    """Uniform codes; with probability ``finite`` a NaN/Inf draw is replaced by a uniform finite code."""
    codes = rng.integers(0, f.code_count, n)
    special = classify(codes, f) >= CodeClass.INF
    finite_codes = np.flatnonzero(classify(np.arange(f.code_count), f) < CodeClass.INF)
    swap = special & (rng.random(n) < finite)
    codes[swap] = rng.choice(finite_codes, int(swap.sum()))
    return codes


# ----------------------------------------------------------------------------- limits
MEMORY_LIMIT_GIB = 4
"""The most memory :func:`generate` or :func:`read` may need, estimated before any work (docs/vectors.md, Limits)."""

BYTES_PER_WORD = {"mul": 24, "fma": 26, "mac": 26, "int8_mac": 72, "mx_dot": 52}
"""Peak bytes per word (one column of one case) of :func:`generate`, measured with ``tracemalloc``."""

READ_BYTES_PER_WORD = 32
"""Peak bytes per word of :func:`read`: the file's bytes and text, its lines and the uint64 words."""

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


def memory_estimate(op: str, count: int, k: int = 32, mx_type: Any = "mxfp8_e4m3") -> int:
    """The peak bytes of :func:`generate` for ``op`` with ``count`` random cases (``k``, ``mx_type``: mx_dot).

    ``(level-1 cases + count) x words per case x BYTES_PER_WORD[op]``, where mx_dot has its
    level-1 blocks counted exactly and ``2k + 4`` words per case, and the other ops at most
    :data:`LEVEL1_BOUND` level-1 cases of at most 8 words.
    """
    if op == "mx_dot":
        return (_mx_level1_cases(mx.get_mx_type(mx_type)) + count) * (2 * k + 4) * BYTES_PER_WORD[op]
    return (LEVEL1_BOUND + count) * _MAX_COLUMNS * BYTES_PER_WORD[op]


def _check_memory(op: str, count: int, k: int, mx_type: Any) -> None:
    """Refuses sizes whose :func:`memory_estimate` is over :data:`MEMORY_LIMIT_GIB`, with the sizes that fit.

    Raises:
        ValueError: naming count (and k), the estimate, the limit and how to proceed.
    """
    limit = MEMORY_LIMIT_GIB << 30
    need = memory_estimate(op, count, k, mx_type)
    if need <= limit:
        return
    base = memory_estimate(op, 0, k, mx_type)
    sizes = f"count={count} (--count)" + (f" and k={k} (--k)" if op == "mx_dot" else "")
    if base > limit:  # level 1 alone is too big: only a smaller block helps
        per_lane = 2 * BYTES_PER_WORD[op] * _mx_level1_cases(mx.get_mx_type(mx_type))
        advice = f"use k <= {(limit - 2 * per_lane) // per_lane}"
    else:
        fits = (limit - base) // (memory_estimate(op, 1, k, mx_type) - base)
        advice = f"use count <= {fits:,} and more files with other seeds (--seed) for more random cases"
    raise ValueError(f"{op} vectors with {sizes} need about {need / 2**30:.1f} GiB of memory; the limit is "
                     f"{MEMORY_LIMIT_GIB} GiB (docs/vectors.md, Limits): {advice}")


# ----------------------------------------------------------------------------- mul
def _mul(fa: Format, fb: Format, level: int, count: int, seed: int):
    if fa.bits + fb.bits <= 16:
        a, b = np.divmod(np.arange(fa.code_count * fb.code_count, dtype=np.int64), fb.code_count)
    else:  # too many pairs to list: boundary codes only
        a, b = (x.ravel() for x in np.meshgrid(boundary_codes(fa), boundary_codes(fb), indexing="ij"))
    if level == 2:
        rng = np.random.default_rng(seed)
        a = np.concatenate([a, rng.integers(0, fa.code_count, count)])
        b = np.concatenate([b, rng.integers(0, fb.code_count, count)])
    p = arith.mul(a, b, fa, fb)
    exp_w = max(fa.exp_bits, fb.exp_bits) + 2
    sig_w = fa.man_bits + fb.man_bits + 2
    cols = [Column("a", fa.bits, "in", f"operand a code ({fa.name})"),
            Column("b", fb.bits, "in", f"operand b code ({fb.name})"),
            Column("sign", 1, "out", "sign of the product (0 for NaN)"),
            Column("exp", exp_w, "out", "ea + eb, unbiased (0 for Inf/NaN)", signed=True),
            Column("sig", sig_w, "out", "product of the integer significands (0 for zero/Inf/NaN)"),
            Column("class", 3, "out", "CodeClass: 0 zero, 1 subnormal, 2 normal, 3 inf, 4 nan")]
    data = [a, b, p.sign, p.exp.astype(np.int64) & ((1 << exp_w) - 1), p.sig, p.cls]
    return cols, data


# ----------------------------------------------------------------------------- fma
def _sr_edges(sr_bits: int) -> np.ndarray:
    return np.array(sorted({0, 1, 1 << (sr_bits - 1), (1 << sr_bits) - 1}), np.int64)


def _fma_structured(fa: Format, fb: Format, fc: Format) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boundary a x boundary b x (accumulator edges + per-product cancellation/overflow accumulators)."""
    aa, bb = (x.ravel() for x in np.meshgrid(boundary_codes(fa), boundary_codes(fb), indexing="ij"))
    with np.errstate(invalid="ignore"):
        p = decode(aa, fa, np.float64) * decode(bb, fb, np.float64)
    live = np.isfinite(p) & (p != 0)
    p = np.where(live, p, 1.0)
    neg = encode(-p, fc, rounding="rne", saturate=True).astype(np.int64)  # exact when representable
    same = encode(p, fc, rounding="rne", saturate=True).astype(np.int64)
    near_up = neg + 1  # magnitude one code above the cancelling value
    near_down = np.where(neg & fc.mag_mask, neg - 1, neg)
    top = np.where(p < 0, fc.max_code | fc.sign_mask, fc.max_code)  # overflow in directed modes
    derived = np.stack([neg, same, near_up, near_down, top], axis=1)
    derived = np.where(live[:, None], derived, 0)
    fixed = np.broadcast_to(_acc_boundary(fc), (aa.size, _acc_boundary(fc).size))
    accs = np.concatenate([fixed, derived], axis=1)
    cases = np.stack([np.repeat(aa, accs.shape[1]), np.repeat(bb, accs.shape[1]), accs.ravel()], axis=1)
    cases = np.unique(cases, axis=0)
    return cases[:, 0], cases[:, 1], cases[:, 2]


def _fma_random(fa: Format, fb: Format, fc: Format, n: int, rng: np.random.Generator):
    """Half cancellations/near-cancellations and scaled neighbours of the product, half uniform codes."""
    n1 = n // 2
    a = rng.integers(0, fa.code_count, n1)
    b = rng.integers(0, fb.code_count, n1)
    with np.errstate(invalid="ignore"):
        prod = decode(a, fa, np.float64) * decode(b, fb, np.float64)
    prod = np.where(np.isfinite(prod), prod, 1.0)
    kind = rng.integers(0, 4, n1)
    scale = np.ldexp(1.0, rng.integers(-40, 41, n1))
    val = np.select([kind == 0, kind == 1, kind == 2], [-prod, prod * scale, -prod * scale],
                    -prod * (1 + np.ldexp(1.0, -rng.integers(1, 30, n1))))
    c = encode(val, fc, rounding="rne", saturate=True).astype(np.int64)
    c = np.clip(c + np.where(kind == 0, rng.integers(-3, 4, n1), 0), 0, fc.code_count - 1)
    n2 = n - n1
    return (np.concatenate([a, rng.integers(0, fa.code_count, n2)]),
            np.concatenate([b, rng.integers(0, fb.code_count, n2)]),
            np.concatenate([c, rng.integers(0, fc.code_count, n2)]))


def _fma(fa, fb, fc, modes, sr_bits, level, count, seed):
    a0, b0, c0 = _fma_structured(fa, fb, fc)
    edges = _sr_edges(sr_bits)
    combos = [(int(m), r, s) for m in modes for s in (0, 1)
              for r in (edges if m is RoundingMode.SR else [-1])]
    rm = np.repeat([c[0] for c in combos], a0.size)
    rand = np.repeat([c[1] for c in combos], a0.size)
    sat = np.repeat([c[2] for c in combos], a0.size)
    a, b, c = (np.tile(x, len(combos)) for x in (a0, b0, c0))
    # modes that ignore rand_i still see every edge word, in turn
    rand = np.where(rand < 0, edges[np.arange(rand.size) % edges.size], rand)
    if level == 2:
        rng = np.random.default_rng(seed)
        ra, rb, rc = _fma_random(fa, fb, fc, count, rng)
        a, b, c = np.concatenate([a, ra]), np.concatenate([b, rb]), np.concatenate([c, rc])
        rm = np.concatenate([rm, rng.choice([int(m) for m in modes], count)])
        rand = np.concatenate([rand, rng.integers(0, 1 << sr_bits, count)])
        sat = np.concatenate([sat, rng.integers(0, 2, count)])
    res, flags = arith.fma_ops(c, a, b, rm, sat, rand, fmt_a=fa, fmt_b=fb, acc_fmt=fc, sr_bits=sr_bits)
    cols = [Column("a", fa.bits, "in", f"operand a code ({fa.name})"),
            Column("b", fb.bits, "in", f"operand b code ({fb.name})"),
            Column("acc", fc.bits, "in", f"accumulator code ({fc.name})"),
            Column("rm", 3, "in", "rounding mode (RoundingMode: 0 rne, 1 rtz, 2 rdn, 3 rup, 4 rmm, 5 sr, 6 rto)"),
            Column("rand", sr_bits, "in", "random integer r of sr (read only when rm = 5)"),
            Column("sat", 1, "in", "saturate results that overflow by rounding"),
            Column("res", fc.bits, "out", f"acc + a*b rounded once ({fc.name} code)"),
            Column("flags", 5, "out", "{NV, DZ, OF, UF, NX}")]
    return cols, [a, b, c, rm, rand, sat, res, flags]


# ----------------------------------------------------------------------------- mac
def _mac_streams(fa: Format, fb: Format) -> list[tuple[np.ndarray, np.ndarray]]:
    """Level-1 streams, as (a, b) arrays of shape (streams, length), one array pair per length.

    Length 2: every boundary pair (a, b) followed by (a, -b), which cancels it (or gives
    Inf - Inf).  Length 16: +max*max, +-max*max alternating, minsub*minsub, 1*1, each repeated.
    """
    ba, bb = (x.ravel() for x in np.meshgrid(boundary_codes(fa), boundary_codes(fb), indexing="ij"))
    pairs = (np.stack([ba, ba], axis=1), np.stack([bb, bb ^ fb.sign_mask], axis=1))
    one_a, one_b = fa.bias << fa.man_bits, fb.bias << fb.man_bits
    alt = np.array([0, fb.sign_mask] * 8)
    grow_a = np.array([[fa.max_code] * 16, [fa.max_code] * 16, [1] * 16, [one_a] * 16])
    grow_b = np.array([[fb.max_code] * 16, fb.max_code | alt, [1] * 16, [one_b] * 16])
    return [pairs, (grow_a, grow_b)]


def _mac(fa, fb, fc, modes, sr_bits, lfsr_seed, level, count, seed):
    streams = [(m, s, a, b) for m in modes for s in (0, 1) for a, b in _mac_streams(fa, fb)]
    n_level1 = len(streams)
    if level == 2 and count:
        rng = np.random.default_rng(seed)
        n_streams = -(-count // 32)
        a = _random_codes(rng, fa, n_streams * 32, finite=0.9).reshape(n_streams, 32)
        b = _random_codes(rng, fb, n_streams * 32, finite=0.9).reshape(n_streams, 32)
        pick = rng.integers(0, len(modes) * 2, n_streams)
        for j in np.unique(pick):
            mode, s = modes[j // 2], int(j % 2)
            streams.append((mode, s, a[pick == j], b[pick == j]))
    parts = []
    for mode, s, a, b in streams:
        extra = dict(sr_bits=sr_bits, lfsr_seed=lfsr_seed) if mode is RoundingMode.SR else {}
        out = arith.mac(a, b, fmt_a=fa, fmt_b=fb, acc_fmt=fc, rounding=mode, saturate=bool(s), **extra)
        n, length = a.shape
        first = np.zeros((n, length), np.int64)
        first[:, 0] = 1
        rand = np.broadcast_to(draws(lfsr_seed, length, sr_bits), (n, length))
        parts.append(np.stack([first, a, b, np.full((n, length), int(mode)), np.full((n, length), s), rand,
                               out.acc, out.flags], axis=-1).reshape(-1, 8).astype(np.int64))
    rows = np.concatenate(parts)
    if level == 2:  # random streams are cut after `count` operations; a cut stream stays valid
        rows = rows[:sum(p.shape[0] for p in parts[:n_level1]) + count]
    cols = [Column("first", 1, "in", "1: clear (acc +0, flags 0, LFSR reloaded) before this operation"),
            Column("a", fa.bits, "in", f"operand a code ({fa.name})"),
            Column("b", fb.bits, "in", f"operand b code ({fb.name})"),
            Column("rm", 3, "in", "rounding mode (RoundingMode code)"),
            Column("sat", 1, "in", "saturate results that overflow by rounding"),
            Column("rand", sr_bits, "out", "low SR_BITS of the LFSR word this operation uses"),
            Column("acc", fc.bits, "out", f"accumulator after the operation ({fc.name} code)"),
            Column("flags", 5, "out", "{NV, DZ, OF, UF, NX}, sticky since the clear")]
    return cols, list(rows.T)


# ------------------------------------------------------------------------ int8_mac
def _reach(target: int) -> list[tuple[int, int, int]]:
    """(a, b, repeat) rows that take the accumulator from 0 to ``target`` without leaving int32."""
    if target >= 0:
        q, r = divmod(target, 16384)
        rows = [(-128, -128, q), (127, 1, r // 127), (1, r % 127, 1)]
    else:
        q, r = divmod(-target, 16256)
        rows = [(-128, 127, q), (-128, 1, r // 128), (-1, r % 128, 1)]
    return [row for row in rows if row[2] > 0 and row[0] * row[1] != 0]


def _int8_streams() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Level-1 streams as ``(rows (n, 3) of a, b, repeat; stream id per row; sat per stream)``.

    Every pair of {-128, -127, -1, 0, 1, 126, 127} alone after a clear, wrap and saturate;
    one wrap stream of all 65,536 pairs; and, per limit and saturation, the accumulator
    driven to one step short of the limit (or of one past it) by the largest or the smallest
    step, then that step twice (landing on the limit or one past it, then further out) and
    one step back.
    """
    edge = np.array([-128, -127, -1, 0, 1, 126, 127])
    ea, eb = (x.ravel() for x in np.meshgrid(edge, edge, indexing="ij"))
    singles = np.stack([np.tile(ea, 2), np.tile(eb, 2), np.ones(2 * ea.size, np.int64)], axis=1)
    streams = [(int(s), row[None]) for s, row in zip(np.repeat([0, 1], ea.size), singles)]
    a, b = np.divmod(np.arange(65536), 256)
    streams.append((0, np.stack([a - 128, b - 128, np.ones(65536, np.int64)], axis=1)))
    for s in (0, 1):
        for limit, big, small, back in ((ACC_MAX, (-128, -128), (1, 1), (127, -128)),
                                        (ACC_MIN, (-128, 127), (-1, 1), (-128, -128))):
            direction = 1 if limit > 0 else -1
            for step in (big, small):
                for beyond in (0, 1):
                    start = limit + direction * beyond - step[0] * step[1]
                    streams.append((s, np.array(_reach(start) + [(*step, 1), (*step, 1), (*back, 1)])))
    return _join(streams)


def _join(streams: list[tuple[int, np.ndarray]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = np.concatenate([r for _, r in streams]).astype(np.int64)
    ids = np.repeat(np.arange(len(streams)), [len(r) for _, r in streams])
    return rows, ids, np.array([s for s, _ in streams], np.int64)


def _int8(level: int, count: int, seed: int):
    rows, ids, sats = _int8_streams()
    if level == 2 and count:
        rng = np.random.default_rng(seed)
        lengths = rng.integers(1, 65, count)
        lengths = lengths[:np.searchsorted(np.cumsum(lengths), count) + 1]
        lengths[-1] -= lengths.sum() - count
        rows = np.concatenate([rows, np.column_stack([rng.integers(-128, 128, (count, 2)), np.ones(count, np.int64)])])
        ids = np.concatenate([ids, sats.size + np.repeat(np.arange(lengths.size), lengths)])
        sats = np.concatenate([sats, rng.integers(0, 2, lengths.size)])
    # operations per stream, and where each row's last operation sits in its stream
    ops_per = np.bincount(ids, weights=rows[:, 2], minlength=sats.size).astype(np.int64)
    ops_start = np.concatenate([[0], np.cumsum(ops_per)[:-1]])
    row_end = np.cumsum(rows[:, 2]) - 1 - ops_start[ids]
    acc = np.zeros(len(rows), np.int64)
    ovf = np.zeros(len(rows), np.int64)
    # streams of one saturation and one power-of-two length class run as one batch, padded with
    # (0, 0) pairs, which change neither the accumulator nor the flag
    length_class = np.array([int(n - 1).bit_length() for n in ops_per])
    for key in np.unique(np.stack([sats, length_class], 1), axis=0):
        members = np.flatnonzero((sats == key[0]) & (length_class == key[1]))
        local = np.full(sats.size, -1)
        local[members] = np.arange(members.size)
        sel = local[ids] >= 0
        ops = np.repeat(rows[sel, :2], rows[sel, 2], axis=0)
        op_stream = np.repeat(local[ids[sel]], rows[sel, 2])
        group_start = np.concatenate([[0], np.cumsum(ops_per[members])[:-1]])
        pos = np.arange(len(ops)) - np.repeat(group_start, ops_per[members])
        batch = np.zeros((members.size, int(ops_per[members].max()), 2), np.int64)
        batch[op_stream, pos] = ops
        out = int8_mac_stream(batch[..., 0], batch[..., 1], saturate=bool(key[0]))
        acc[sel] = out.acc[local[ids[sel]], row_end[sel]]
        ovf[sel] = out.overflow[local[ids[sel]], row_end[sel]]
    first = np.concatenate([[1], ids[1:] != ids[:-1]]).astype(np.int64)
    cols = [Column("first", 1, "in", "1: clear (acc 0, ovf 0) before this row"),
            Column("a", 8, "in", "int8 operand", signed=True),
            Column("b", 8, "in", "int8 operand", signed=True),
            Column("sat", 1, "in", "1 saturate, 0 wrap"),
            Column("rep", 32, "in", "accept (a, b) on this many consecutive clocks"),
            Column("acc", 32, "out", "int32 accumulator after the row", signed=True),
            Column("ovf", 1, "out", "overflow, sticky since the clear")]
    return cols, [first, rows[:, 0] & 0xFF, rows[:, 1] & 0xFF, sats[ids], rows[:, 2], acc & 0xFFFFFFFF, ovf]


# -------------------------------------------------------------------------- mx_dot
_EDGE_SCALES = np.array([0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF], np.int64)


def _mx_elem_edges(t: mx.MxType) -> tuple[np.ndarray, int, int]:
    """(boundary element codes, code of 1.0, code of the smallest positive element)."""
    if t.element is None:  # MXINT8: k * 2**-6
        return np.array([0x00, 0x01, 0x02, 0x3F, 0x40, 0x41, 0x7E, 0x7F, 0x80, 0x81, 0xC0, 0xFF]), 0x40, 0x01
    f = t.element
    return boundary_codes(f), f.bias << f.man_bits, 1


def _mx_boundary_scales(t: mx.MxType) -> np.ndarray:
    """Scale pairs putting the largest product at the float32 overflow edge and the smallest at its underflow edge."""
    if t.element is None:
        top, low = 2, -12  # (-2)**2 = 2**2; (2**-6)**2
    else:
        f = t.element
        top, low = 2 * f.emax + 1, 2 * (f.emin - f.man_bits)
    totals = [254 + 127 - top + d for d in (-1, 0, 1)] + [254 - 149 - low + d for d in (-2, -1, 0, 1)]
    totals = np.clip(totals, 0, 508)
    sa = np.clip(totals // 2, 0, 254)
    return np.stack([sa, totals - sa], axis=1)


def _mx_scale_sets(t: mx.MxType) -> tuple[np.ndarray, np.ndarray]:
    """Scale pairs (few, all): the lane-0 pairs' 12 and the full blocks' 43 (every edge pair and the float32 edges)."""
    edges = _mx_boundary_scales(t)
    few = np.concatenate([[[0x7F, 0x7F], [0xFF, 0x7F], [0x7F, 0xFF], [0, 0], [0xFE, 0xFE]], edges])
    every = np.concatenate([np.stack(np.meshgrid(_EDGE_SCALES, _EDGE_SCALES, indexing="ij"), -1).reshape(-1, 2), edges])
    return few, every


def _mx_level1_cases(t: mx.MxType) -> int:
    """The level-1 blocks of :func:`_mx_structured`: n**2 lane-0 pairs x few scales + 3n full blocks x all scales."""
    n = _mx_elem_edges(t)[0].size
    few, every = _mx_scale_sets(t)
    return n * n * len(few) + 3 * n * len(every)


def _mx_structured(t: mx.MxType, k: int):
    edges, one, tiny = _mx_elem_edges(t)
    sign = 0x80 if t.element is None else t.element.sign_mask
    neg_one = (0x100 - one) if t.element is None else one | sign
    e1, e2 = (x.ravel() for x in np.meshgrid(edges, edges, indexing="ij"))
    pair_a = np.zeros((e1.size, k), np.int64)
    pair_b = np.zeros((e1.size, k), np.int64)
    pair_a[:, 0], pair_b[:, 0] = e1, e2
    n = edges.size
    fill_a = np.repeat(edges[:, None], k, axis=1)  # every lane the same edge code ...
    fill_b = np.full((n, k), one)  # ... times 1.0: K times the value
    canc_b = np.tile(np.where(np.arange(k) % 2, neg_one, one), (n, 1))  # e - e + e - ...
    if k % 2:
        canc_b[:, -1] = 0
    sticky_a = np.full((n, k), tiny)
    sticky_a[:, 0] = edges  # one edge value plus k-1 of the smallest products
    scales_few, scales_all = _mx_scale_sets(t)
    blocks = []
    for a, b, scales in ((pair_a, pair_b, scales_few),
                         (np.concatenate([fill_a, fill_a, sticky_a]), np.concatenate([fill_b, canc_b, fill_b]),
                          scales_all)):
        blocks.append((np.repeat(a, len(scales), axis=0), np.repeat(b, len(scales), axis=0),
                       np.tile(scales, (a.shape[0], 1))))
    return (np.concatenate([x[0] for x in blocks]), np.concatenate([x[1] for x in blocks]),
            np.concatenate([x[2] for x in blocks]))


def _mx_quantised(t: mx.MxType, rng: np.random.Generator, n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(scales (n,), elements (n, k)) from mx.quantize of wide-spread float32 rows (zeros, sparse, NaN/Inf)."""
    x = rng.standard_normal((n, k)) * np.ldexp(1.0, rng.integers(-140, 128, (n, 1)))
    x *= np.ldexp(1.0, rng.integers(-12, 13, (n, k)))
    kind = rng.integers(0, 8, n)
    x[kind == 0] = 0.0
    x[(kind == 1)[:, None] & (rng.random((n, k)) < 0.8)] = 0.0
    bad = np.flatnonzero(kind == 2)
    x[bad, rng.integers(0, k, bad.size)] = rng.choice([np.nan, np.inf, -np.inf], bad.size)
    with np.errstate(over="ignore"):
        x32 = x.astype(np.float32)
    q = mx.quantize(x32, t.name, axis=-1, block=k)
    return q.scales.reshape(n).astype(np.int64), q.elements.reshape(n, k).astype(np.int64)


def _mx_random(t: mx.MxType, k: int, count: int, rng: np.random.Generator):
    """A quarter each: quantised data; raw codes with edge/random scales; scale pairs at the float32
    overflow/underflow edges; exact cancellations (lane pairs a*b, a*(-b)) and all-(-0) rows."""
    bits = t.elem_bits
    quarter = [count // 4 + (i < count % 4) for i in range(4)]

    def scales(n):
        return np.where(rng.integers(0, 3, n) == 0, rng.choice(_EDGE_SCALES, n), rng.integers(0, 256, n))

    n = quarter[0]
    sa, ea = _mx_quantised(t, rng, n, k)
    sb, eb = _mx_quantised(t, rng, n, k)
    A, B, S = [ea], [eb], [np.stack([sa, sb], 1)]
    n = quarter[1]
    A.append(rng.integers(0, 1 << bits, (n, k)))
    B.append(rng.integers(0, 1 << bits, (n, k)))
    S.append(np.stack([scales(n), scales(n)], 1))
    n = quarter[2]
    A.append(rng.integers(0, 1 << bits, (n, k)))
    B.append(rng.integers(0, 1 << bits, (n, k)))
    total = rng.choice(np.concatenate([np.arange(0, 30), np.arange(200, 300), np.arange(380, 509)]), n)
    s_a = np.clip(rng.integers(0, 255, n), np.maximum(total - 254, 0), np.minimum(total, 254))
    S.append(np.stack([s_a, total - s_a], 1))
    n = quarter[3]
    sign = 1 << (bits - 1)
    a = rng.integers(0, 1 << bits, (n, k))
    b = rng.integers(0, 1 << bits, (n, k))
    half = k // 2
    a[:, half:2 * half] = a[:, :half]
    if t.element is None:
        b[:, half:2 * half] = (-b[:, :half].astype(np.int8).astype(np.int64)).clip(-127, 127) & 0xFF
    else:
        b[:, half:2 * half] = b[:, :half] ^ sign
    if k % 2:
        b[:, -1] = 0
    b = np.where(rng.random((n, k)) < 0.05, rng.integers(0, 1 << bits, (n, k)), b)  # near-cancellation
    negz = rng.random(n) < 0.15
    a[negz] = rng.choice([0, sign], (int(negz.sum()), k))
    b[negz] = np.where(a[negz] == sign, 0, sign)
    A.append(a)
    B.append(b)
    S.append(np.stack([scales(n), scales(n)], 1))
    return np.concatenate(A), np.concatenate(B), np.concatenate(S)


def _mx_rows(t: mx.MxType, k: int, a: np.ndarray, b: np.ndarray, s: np.ndarray) -> np.ndarray:
    rows = a.shape[0]
    ma = mx.MxArray(t.name, k, 1, (rows, k), s[:, :1].astype(np.uint8), a.astype(np.uint8))
    mb = mx.MxArray(t.name, k, 1, (rows, k), s[:, 1:].astype(np.uint8), b.astype(np.uint8))
    res, flags = mx.dot(ma, mb)
    return np.concatenate([a, b, s, res.astype(np.int64)[:, None], flags.astype(np.int64)[:, None]], axis=1)


def mx_dot_random_cases(mx_type: Any, k: int, count: int, seed: int) -> np.ndarray:
    """``count`` seeded random mx_dot cases (level 2's part) as rows of the mx_dot columns.

    Row layout: ``a_0..a_{k-1}, b_0..b_{k-1}, scale_a, scale_b, res, flags`` (int64), the
    expected ``res``/``flags`` from :func:`refmodel.mx.dot`.
    """
    t = mx.get_mx_type(mx_type)
    return _mx_rows(t, k, *_mx_random(t, k, count, np.random.default_rng(seed)))


def _mx_dot(t: mx.MxType, k: int, level: int, count: int, seed: int):
    rows = _mx_rows(t, k, *_mx_structured(t, k))
    if level == 2 and count:
        rows = np.concatenate([rows, mx_dot_random_cases(t, k, count, seed)])
    ew = t.elem_bits
    kind = "int8 (x 2**-6)" if t.element is None else t.element.name
    cols = ([Column(f"a_{i}", ew, "in", f"A element {i} ({kind})") for i in range(k)]
            + [Column(f"b_{i}", ew, "in", f"B element {i}") for i in range(k)]
            + [Column("scale_a", 8, "in", "E8M0 scale of A (0xFF NaN)"),
               Column("scale_b", 8, "in", "E8M0 scale of B"),
               Column("res", 32, "out", "X_A X_B sum a_i b_i, exact, rounded once (rne) to float32"),
               Column("flags", 5, "out", "{NV, DZ, OF, UF, NX}")])
    return cols, list(rows.T)


# ------------------------------------------------------------------------- generate
def generate(
    op: str,
    *,
    fmt: Any = None,
    fmt_b: Any = None,
    acc: Any = "float32",
    rounding: Any = None,
    sr_bits: int = 16,
    lfsr_seed: int = 1,
    k: int = 32,
    level: int = 1,
    count: int = 0,
    seed: int = 1,
) -> Vectors:
    """The vectors of one operation: inputs and refmodel's expected outputs.

    Args:
        op: ``mul``, ``fma``, ``mac``, ``mx_dot`` or ``int8_mac``.
        fmt: operand a format (mul, fma, mac; default float8_e4m3fn) or the OCP MX type
            (mx_dot; default mxfp8_e4m3); not used by int8_mac.
        fmt_b: operand b format (mul, fma, mac); default ``fmt``.
        acc: accumulator format (fma, mac): IEEE specials and the IEEE bias (RTL accumulators).
        rounding: fma and mac: ``None``/``"all"``, a comma list (``"rne,sr"``) or a sequence of
            names/codes; mx_dot takes only ``rne``; mul and int8_mac take none.
        sr_bits: R, the random bits of stochastic rounding (fma, mac).
        lfsr_seed: the SEED parameter of fp8_mac's LFSR (mac).
        k: the mx_dot block size.
        level: 1, every special and boundary combination (no randomness); 2, level 1 plus
            ``count`` random cases drawn with ``seed``.

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
    scale pairs.

    Returns:
        :class:`Vectors` whose header records everything needed to rebuild and replay them.

    Raises:
        ValueError: an unknown op, format, MX type or rounding mode, a mode the op does not
            take, an accumulator without IEEE specials, ``count < 0``, or ``count > 0`` at level 1.
    """
    if op not in OPS:
        raise ValueError(f"unknown op {op!r}; allowed: {', '.join(OPS)}")
    level, count = _check_count(level, count)
    seed = _check_int("seed", seed, 0)
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
    if op in _ROUNDED_OPS:
        fc = arith.accumulator_format(acc)
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
        cols, data = _mul(fa, fb, level, count, seed)
        params = mul_rtl_params(fa, fb)
    elif op == "fma":
        cols, data = _fma(fa, fb, fc, modes, sr_bits, level, count, seed)
    elif op == "mac":
        lfsr_seed = _check_int("lfsr_seed (the fp8_mac LFSR SEED)", lfsr_seed, 1, (1 << 32) - 1)
        head["lfsr_seed"] = lfsr_seed
        cols, data = _mac(fa, fb, fc, modes, sr_bits, lfsr_seed, level, count, seed)
        params["SEED"] = lfsr_seed
    elif op == "mx_dot":
        t = mx.get_mx_type("mxfp8_e4m3" if fmt is None else fmt)
        params = mx_dot_rtl_params(t, k)
        del params["PIPE"]  # the replay bench drives the combinational build
        head.update(mx_type=t.name, k=k, element=t.element.name if t.element else "int8", rounding=["rne"])
        cols, data = _mx_dot(t, k, level, count, seed)
    else:
        if fmt is not None:
            raise ValueError("op int8_mac has fixed int8 x int8 + int32 operands: leave fmt unset")
        cols, data = _int8(level, count, seed)
        params = {}
    rows = np.stack([np.asarray(d).astype(np.uint64) for d in data], axis=1)
    head.update(level=level, seed=seed if level == 2 else None, count=count, cases=int(rows.shape[0]),
                rtl_params=params, columns=[dataclasses.asdict(c) for c in cols],
                fp8kit=_fp8kit_version(), file_version=FILE_VERSION)
    return Vectors(head, rows)


def rtl_params(header: dict[str, Any]) -> dict[str, int]:
    """The replay bench's DUT parameters for a header, recomputed from refmodel (fp8kit.rtlspec).

    Raises:
        ValueError: the header's own ``rtl_params`` differ (the file was written by another
            model version, or edited), or its op is unknown.
    """
    op = header.get("op")
    if op == "mul":
        fresh = mul_rtl_params(header["fmt_a"], header["fmt_b"])
    elif op in _ROUNDED_OPS:
        fresh = fma_rtl_params(header["fmt_a"], header["fmt_b"], header["acc"], header["sr_bits"])
        if op == "mac":
            fresh["SEED"] = int(header["lfsr_seed"])
    elif op == "mx_dot":
        fresh = mx_dot_rtl_params(header["mx_type"], header["k"])
        del fresh["PIPE"]
    elif op == "int8_mac":
        fresh = {}
    else:
        raise ValueError(f"unknown op {op!r} in the vector header; allowed: {', '.join(OPS)}")
    if fresh != header.get("rtl_params"):
        raise ValueError(f"the header's rtl_params {header.get('rtl_params')} differ from refmodel's {fresh}")
    return fresh


# ----------------------------------------------------------------------------- I/O
MAX_HEADER_BYTES = 1 << 22
"""The longest header line read (about 250 bytes per column: mx_dot at k = 4096 needs 2 MiB)."""

_DIGEST_LEN = 64
_HEX_WORD = re.compile(r"[0-9a-fA-F]{1,8}\Z")
_HEX_TEXT = re.compile(r"[0-9a-fA-F]{1,8}(?: [0-9a-fA-F]{1,8})*\Z")
_READ_BLOCK = 1 << 16
"""Lines converted to words at a time by :func:`read` (bounds its temporary lists)."""


def _canonical(header: dict[str, Any]) -> bytes:
    """The header's JSON with sorted keys and no ``sha256`` field: what the checksum covers of it."""
    fields = {k: v for k, v in header.items() if k != CHECKSUM}
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


class _HashingSink:
    """A text sink for ``np.savetxt`` that writes UTF-8 to a binary file and feeds a hash."""

    def __init__(self, fh, digest) -> None:
        self.fh, self.digest = fh, digest

    def write(self, text: str) -> None:
        data = text.encode()
        self.digest.update(data)
        self.fh.write(data)


def _check_rows(header: dict[str, Any], rows: np.ndarray) -> None:
    """Refuses rows that a file of ``header`` cannot hold: another shape, or a word wider than its column."""
    cols = header["columns"]
    if rows.ndim != 2 or rows.shape != (header["cases"], len(cols)):
        raise ValueError(f"rows of shape {rows.shape} do not match the header's {header['cases']} cases x "
                         f"{len(cols)} columns")
    over = np.argwhere(rows >> np.array([c["width"] for c in cols], np.uint64) != 0)
    if over.size:
        i, j = over[0]
        raise ValueError(f"case {i}: {cols[j]['name']} = 0x{int(rows[i, j]):x} does not fit its {cols[j]['width']} bits")


def write(vectors: Vectors, path: str | Path) -> Path:
    """Write ``vectors`` as a vector file (the module docstring gives the layout); return the path.

    The header gets a ``sha256`` field: the SHA-256 of the header's canonical JSON (sorted keys,
    without ``sha256``), a newline, and every byte after the header line. The file is written
    under a temporary name and renamed, so an interrupted write leaves no partial file.

    Raises:
        ValueError: the path cannot be written (a directory, an unwritable file or parent), or
            the rows do not match the header (shape, a word wider than its column).
    """
    path = userpaths.output_file(path, "vector file")
    header = {k: v for k, v in vectors.header.items() if k != CHECKSUM}
    rows = np.asarray(vectors.rows, np.uint64)
    _check_rows(header, rows)
    cols = header["columns"]
    digits = [max(1, -(-c["width"] // 4)) for c in cols]
    head = (MAGIC + json.dumps({**header, CHECKSUM: "0" * _DIGEST_LEN}, separators=(",", ":"))).encode()
    lines = []
    for j, c in enumerate(cols):
        sign = ", signed" if c["signed"] else ""
        lines.append(f"// column {j:3d}  {c['name']:<8} {c['width']:2d}-bit{sign}, {c['role']:<3}  {c['doc']}")
    lines.append(f"// then the number of cases; then one case per line, {len(cols)} hex words")
    lines.append(f"{rows.shape[0]:x}")
    digest = hashlib.sha256(_canonical(header) + b"\n")
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(head + b"\n")
            sink = _HashingSink(fh, digest)
            sink.write("\n".join(lines) + "\n")
            np.savetxt(sink, rows, fmt=" ".join(f"%0{d}x" for d in digits))
            fh.seek(len(head) - _DIGEST_LEN - 2)  # the placeholder: the line ends with `"sha256":"0...0"}`
            fh.write(digest.hexdigest().encode())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def regenerate_command(header: dict[str, Any], out: str = "FILE") -> str:
    """The ``fp8kit vectors`` command line that writes the file a header describes."""
    op = header.get("op")
    args = [f"--op {op}"]
    if op == "mx_dot":
        args += [f"--format {header.get('mx_type')}", f"--k {header.get('k')}"]
    elif op != "int8_mac":
        args += [f"--format {header.get('fmt_a')}", f"--format-b {header.get('fmt_b')}"]
    if op in _ROUNDED_OPS:
        args += [f"--acc {header.get('acc')}", f"--rounding {','.join(header.get('rounding') or [])}",
                 f"--sr-bits {header.get('sr_bits')}"]
    if op == "mac":
        args.append(f"--lfsr-seed {header.get('lfsr_seed')}")
    args.append(f"--level {header.get('level')}")
    if header.get("level") == 2:
        args += [f"--count {header.get('count')}", f"--seed {header.get('seed')}"]
    return " ".join(["fp8kit vectors", *args, f"--out {out}"])


def _header_error(path: Path, header: dict[str, Any]) -> str | None:
    """What is wrong with a parsed header (a version, op, checksum or column that no writer makes), or None."""
    version = header.get("file_version")
    if version == 1:
        return ("was written before vector files carried a checksum (file_version 1); regenerate it: "
                + regenerate_command(header, str(path)))
    if version != FILE_VERSION:
        return f"file_version {version!r}; this reader takes {FILE_VERSION}"
    if header.get("op") not in OPS:
        return f"unknown op {header.get('op')!r} in the header; allowed: {', '.join(OPS)}"
    digest = header.get(CHECKSUM)
    if not (isinstance(digest, str) and re.fullmatch(f"[0-9a-f]{{{_DIGEST_LEN}}}", digest)):
        return f"the header's {CHECKSUM} is {digest!r}, not {_DIGEST_LEN} lowercase hex digits"
    cases = header.get("cases")
    if isinstance(cases, bool) or not isinstance(cases, int) or cases < 0:
        return f"the header's cases is {cases!r}, not an integer >= 0"
    cols = header.get("columns")
    if not isinstance(cols, list) or not cols:
        return f"the header's columns is {cols!r}, not a list of columns"
    for j, c in enumerate(cols):
        if not (isinstance(c, dict) and isinstance(c.get("name"), str) and c.get("role") in ("in", "out")
                and isinstance(c.get("signed"), bool) and type(c.get("width")) is int and 1 <= c["width"] <= 32):
            return f"header column {j} is {c!r}: it needs a name, a width of 1...32 bits, role in/out and signed"
    return None


def _parse_header(first: bytes, path: Path) -> dict[str, Any]:
    """The header of line 1 (bytes, with or without its newline).

    Raises:
        ValueError: naming the file and the problem (see :func:`read_header`).
    """
    if not first:
        raise ValueError(f"{path}: the file is empty, not an fp8kit vector file")
    text = first.decode("utf-8", errors="replace").rstrip("\r\n")
    if not text.startswith(MAGIC):
        raise ValueError(f"{path}: not an fp8kit vector file (line 1 must start with {MAGIC.strip()!r})")
    try:
        header = json.loads(text[len(MAGIC):])
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: line 1: bad JSON header: {exc}") from None
    if not isinstance(header, dict):
        raise ValueError(f"{path}: line 1: the header is {type(header).__name__}, not a JSON object")
    problem = _header_error(path, header)
    if problem:
        raise ValueError(f"{path}: line 1: {problem}")
    return header


def read_header(path: str | Path) -> dict[str, Any]:
    """The JSON header of a vector file (line 1), checked for shape; :func:`read` also checks the body.

    Raises:
        ValueError: no such file, a directory, an empty file, a first line that is not an
            fp8kit header, a file_version other than 2 (version 1 files predate the checksum:
            the message gives the command that regenerates them), an unknown op, or a missing
            checksum, case count or column.
    """
    p = userpaths.input_file(path, "vector file")
    with open(p, "rb") as fh:
        return _parse_header(fh.readline(MAX_HEADER_BYTES), p)


def read(path: str | Path) -> Vectors:
    """Read a vector file back (header and uint64 words), refusing any file fp8kit did not write as it is.

    Checks, in order: the header (:func:`read_header`); a size that fits the memory limit; the
    case count line; every case line (one hex word of at most 8 digits per column, each within
    its column's width); as many case lines as the header's ``cases``; and last the checksum of
    the header and the body. The returned header has no ``sha256`` field.

    Raises:
        ValueError: naming the file, the line and what is wrong: not a vector file, a bad
            header, an appended line, a truncated file, a removed or added word, a digit that is
            not hex, a word wider than its column, or a checksum that differs (an edited word or
            header field).
    """
    p = userpaths.input_file(path, "vector file")
    with open(p, "rb") as fh:
        header = _parse_header(fh.readline(MAX_HEADER_BYTES), p)
        width = len(header["columns"])
        need = header["cases"] * width * READ_BYTES_PER_WORD
        if need > MEMORY_LIMIT_GIB << 30:
            raise ValueError(f"{p}: line 1: {header['cases']:,} cases x {width} columns need about "
                             f"{need / 2**30:.1f} GiB to read; the limit is {MEMORY_LIMIT_GIB} GiB")
        raw = fh.read(_max_body_bytes(header) + 1)
        if len(raw) > _max_body_bytes(header):
            raise ValueError(f"{p}: longer than any file of {header['cases']:,} cases x {width} columns: "
                             "data appended after the last case")
    try:
        body = raw.decode("ascii").replace("\r\n", "\n")
    except UnicodeDecodeError as exc:
        line = 2 + raw.count(b"\n", 0, exc.start)
        raise ValueError(f"{p}: line {line}: byte 0x{raw[exc.start]:02x} is not text (a binary file?)") from None
    rows = _parse_body(p, header, body.split("\n"))
    digest = hashlib.sha256(_canonical(header) + b"\n" + body.encode()).hexdigest()
    if digest != header[CHECKSUM]:
        raise ValueError(f"{p}: checksum mismatch: the header records {CHECKSUM} {header[CHECKSUM][:16]}..., "
                         f"the header and body hash to {digest[:16]}...: the file was changed after fp8kit "
                         "wrote it (an edited word or header field); regenerate it with fp8kit vectors")
    return Vectors({k: v for k, v in header.items() if k != CHECKSUM}, rows)


def _max_body_bytes(header: dict[str, Any]) -> int:
    """The most bytes after line 1 of a file of this header (CRLF lines and 1 KiB per comment line allowed)."""
    per_case = sum(-(-c["width"] // 4) + 2 for c in header["columns"]) + 1
    return (len(header["columns"]) + 2) * 1024 + 16 + header["cases"] * per_case


def _parse_body(p: Path, header: dict[str, Any], lines: list[str]) -> np.ndarray:
    """The case words of the lines after line 1 (``lines`` as split on newlines).

    Raises:
        ValueError: naming the line: a bad count line, a case line without one hex word per
            column, a word wider than its column, case lines after the last case, fewer case lines.
    """
    if lines and lines[-1] == "":
        lines.pop()  # the final newline
    cols = header["columns"]
    cases, width = header["cases"], len(cols)
    at = 0
    while at < len(lines) and lines[at].startswith("//"):
        at += 1
    if at == len(lines):
        raise ValueError(f"{p}: the file ends at line {at + 1} before the case count: truncated")
    if not _HEX_WORD.match(lines[at].strip()) or int(lines[at], 16) != cases:
        raise ValueError(f"{p}: line {at + 2}: case count {lines[at].strip()!r}, the header says "
                         f"{cases:x} (hex) cases")
    first = at + 1
    body = lines[first:]
    if len(body) > cases:
        raise ValueError(f"{p}: line {first + cases + 2}: {len(body) - cases} line(s) after the last of the "
                         f"{cases:,} cases: appended data")
    rows = np.empty((cases, width), np.uint64)
    for start in range(0, len(body), _READ_BLOCK):
        block = body[start:start + _READ_BLOCK]
        words = [line.split() for line in block]
        flat = [x for w in words for x in w]
        if len(flat) != len(block) * width or not _HEX_TEXT.match(" ".join(flat)):
            i = next(i for i, w in enumerate(words) if len(w) != width or not all(map(_HEX_WORD.match, w)))
            raise ValueError(f"{p}: line {first + start + i + 2}: {_case_problem(words[i], width)}")
        rows[start:start + len(block)] = np.array([int(x, 16) for x in flat], np.uint64).reshape(len(block), width)
    if len(body) < cases:
        raise ValueError(f"{p}: the file ends at line {first + len(body) + 1} after {len(body):,} of the "
                         f"{cases:,} cases: truncated")
    over = np.argwhere(rows >> np.array([c["width"] for c in cols], np.uint64) != 0)
    if over.size:
        i, j = (int(x) for x in over[0])
        raise ValueError(f"{p}: line {first + i + 2}: {cols[j]['name']} = {int(rows[i, j]):x} does not fit "
                         f"its {cols[j]['width']} bits")
    return rows


def _case_problem(words: list[str], width: int) -> str:
    """Why one case line's words are not ``width`` hex words."""
    if not words:
        return "an empty line where a case belongs"
    bad = next((x for x in words if not _HEX_WORD.match(x)), None)
    if bad is not None:
        return f"word {words.index(bad)} {bad[:20]!r} is not hex (1 to 8 digits 0-9a-f)"
    what = "removed" if len(words) < width else "added"
    return f"{len(words)} words, a case has {width}: a word was {what} (or the line was cut)"


def _signed(words: np.ndarray, width: int) -> np.ndarray:
    """Two's-complement words of ``width`` bits as int64 values."""
    w = words.astype(np.int64)
    return np.where(w >> (width - 1) & 1, w - (1 << width), w)


def as_signed(vectors: Vectors, name: str) -> np.ndarray:
    """A column as int64 values, two's-complement decoded when the column is signed."""
    col = next(c for c in vectors.header["columns"] if c["name"] == name)
    words = vectors.column(name)
    return _signed(words, col["width"]) if col["signed"] else words.astype(np.int64)

