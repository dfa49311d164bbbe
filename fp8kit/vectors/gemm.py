"""gemm: datapath selection (a preset, ``exact``, ``fma-chain``) and vectors of random tiles; refmodel.gemm.matmul.

Shared by ``fp8kit gemm`` and ``fp8kit vectors --op gemm``.  A vector file holds one case per output
element: its tile, row and column, the row of A, the column of B, C and the expected code and flags.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from refmodel import arith
from refmodel.codec import classify, encode
from refmodel.datapath import Datapath, Exact, FmaChain
from refmodel.encodings import CodeClass, RoundingMode
from refmodel.formats import Format, get_format
from refmodel.gemm import matmul
from refmodel.mx import get_mx_type
from refmodel.presets import PRESETS
from refmodel.rounding import rounding_mode

from fp8kit.vectors.codes import boundary_codes, random_codes
from fp8kit.vectors.io import Column

__all__ = ["DATAPATHS", "Setup", "cases", "resolve"]

DATAPATHS = ("exact", "fma-chain")
"""The ``--datapath`` values that are not presets; they take ``--rounding``."""


class Setup(NamedTuple):
    """What ``--datapath``, ``--format``, ``--acc`` and ``--rounding`` select."""

    name: str  # the preset name, or exact / fma-chain
    datapath: Datapath
    operands: tuple[str, str]  # formats, or MX type names when mx
    acc: Format
    mx: bool


def resolve(datapath: str, formats: str, acc: str | None = None, rounding: Any = None) -> Setup:
    """The setup of a datapath name (a preset, ``exact`` or ``fma-chain``) and ``FMT[,FMT_B]``.

    A preset takes its own operand formats (or MX types) and accumulator (``acc`` defaults to it);
    ``exact`` and ``fma-chain`` take any operand format, ``acc`` (default float32) and ``rounding``
    (default rne).

    Raises:
        ValueError: an unknown datapath or format, a format or accumulator the preset does not take,
            ``rounding`` with a preset.
    """
    names = [f.strip() for f in (formats or "").split(",")]
    if len(names) > 2 or not all(names):
        raise ValueError(f"--format takes FMT or FMT_A,FMT_B, got {formats!r}")
    names = (names * 2)[:2]
    if datapath in DATAPATHS:
        mode = rounding_mode("rne" if rounding is None else rounding)
        dp = Exact(mode) if datapath == "exact" else FmaChain(mode)
        fa, fb = (arith.operand_format(n).name for n in names)
        return Setup(datapath, dp, (fa, fb), arith.accumulator_format("float32" if acc is None else acc), False)
    if datapath not in PRESETS:
        raise ValueError(f"unknown datapath {datapath!r}; choose from {', '.join(DATAPATHS + tuple(PRESETS))}")
    p = PRESETS[datapath]
    if rounding is not None:
        raise ValueError(f"--rounding is for --datapath {' or '.join(DATAPATHS)}; preset {p.name} rounds as published")
    ops = tuple(_canonical(n, p.mx) for n in names)
    for n in ops:
        if n not in p.operands:
            raise ValueError(f"format {n!r} is not an operand of preset {p.name}; allowed: {', '.join(p.operands)}")
    fc = p.acc_fmt if acc is None else arith.accumulator_format(acc)
    if fc.name != p.acc_fmt.name:
        raise ValueError(f"accumulator {fc.name!r} is not that of preset {p.name}; allowed: {p.acc_fmt.name}")
    return Setup(p.name, p.datapath, ops, fc, p.mx)


def _canonical(name: str, mx: bool) -> str:
    """The registered name of a format (or MX type), or ``name`` itself when it is neither."""
    try:
        return get_mx_type(name).name if mx else get_format(name).name
    except ValueError:
        return name


def _with_edges(rng: np.random.Generator, f: Format, codes: np.ndarray) -> np.ndarray:
    """``codes`` with one in eight replaced by a finite boundary code of ``f``."""
    edges = boundary_codes(f)
    edges = edges[classify(edges, f) < CodeClass.INF]
    return np.where(rng.random(codes.shape) < 0.125, rng.choice(edges, codes.shape), codes)


def _operand(rng: np.random.Generator, f: Format, shape: tuple[int, ...]) -> np.ndarray:
    """Random finite operand codes (uniform over the finite codes), one in eight a boundary code."""
    return _with_edges(rng, f, random_codes(rng, f, int(np.prod(shape)), finite=1.0).reshape(shape))


def _accumulators(rng: np.random.Generator, fc: Format, shape: tuple[int, ...]) -> np.ndarray:
    """Random finite C codes: three in four near the products' scale (so that both matter), the rest
    uniform sign, exponent field (not all-ones) and mantissa, one in eight of those a boundary code."""
    near = encode(rng.standard_normal(shape) * np.ldexp(1.0, rng.integers(-8, 9, shape)), fc)
    near = np.where(classify(near, fc) < CodeClass.INF, near, 0)
    wide = (rng.integers(0, 2, shape) << (fc.bits - 1) | rng.integers(0, (1 << fc.exp_bits) - 1, shape) << fc.man_bits
            | rng.integers(0, 1 << fc.man_bits, shape))
    return np.where(rng.random(shape) < 0.75, near, _with_edges(rng, fc, wide))


def cases(s: Setup, m: int, n: int, k: int, tiles: int, seed: int):
    """``tiles`` random (M, K) x (K, N) GEMMs through ``s``, one case per output element.

    Raises:
        ValueError: an MX preset or an sr datapath (their vectors are not in this layout).
    """
    if s.mx:
        raise ValueError(f"gemm vectors take presets with plain operands; {s.name} is block-scaled (MX)")
    if getattr(s.datapath, "rounding", None) is RoundingMode.SR:
        raise ValueError("gemm vectors take deterministic rounding modes, not sr (its random words are not in the file)")
    fa, fb = (get_format(x) for x in s.operands)
    rng = np.random.default_rng(seed)
    a = _operand(rng, fa, (tiles, m, k))
    b = _operand(rng, fb, (tiles, k, n))
    c = _accumulators(rng, s.acc, (tiles, m, n))
    d, flags = zip(*(matmul(a[t], b[t], c[t], fmt_a=fa, fmt_b=fb, acc_fmt=s.acc, datapath=s.datapath)
                     for t in range(tiles)))
    t, i, j = (x.reshape(-1) for x in np.meshgrid(np.arange(tiles), np.arange(m), np.arange(n), indexing="ij"))
    rows = [t, i, j, *a[t, i, :].T, *b[t, :, j].T, c.reshape(-1), np.stack(d).reshape(-1), np.stack(flags).reshape(-1)]
    cols = ([Column("tile", 32, "in", "tile index"), Column("row", 32, "in", "output row m"),
             Column("col", 32, "in", "output column n")]
            + [Column(f"a_{x}", fa.bits, "in", f"A[m, {x}] ({fa.name})") for x in range(k)]
            + [Column(f"b_{x}", fb.bits, "in", f"B[{x}, n] ({fb.name})") for x in range(k)]
            + [Column("c", s.acc.bits, "in", f"C[m, n] ({s.acc.name})"),
               Column("d", s.acc.bits, "out", f"D[m, n] = C + A @ B through {s.name} ({s.acc.name})"),
               Column("flags", 5, "out", "{NV, DZ, OF, UF, NX}")])
    return cols, rows
