"""Codes shared by the generators: the boundary codes of a format, accumulator edges, random codes."""

from __future__ import annotations

from typing import Any

import numpy as np

from refmodel.codec import classify
from refmodel.encodings import CodeClass, Specials
from refmodel.formats import Format, get_format

__all__ = ["acc_boundary_codes", "boundary_codes", "format_classes", "random_codes"]


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


def acc_boundary_codes(fc: Format) -> np.ndarray:
    """Accumulator edges: +-0, min/max subnormal, min normal, 1.0, max finite, Inf, qNaN, sNaN."""
    m = fc.man_bits
    inf = fc.inf_codes[0]
    mags = [0, 1, (1 << m) - 1, 1 << m, fc.bias << m, fc.max_code, inf, fc.nan_code(False), inf | 1]
    return np.array(sorted(set(mags) | {x | fc.sign_mask for x in mags}), np.int64)


def random_codes(rng: np.random.Generator, f: Format, n: int, finite: float = 0.0) -> np.ndarray:
    """Uniform codes; with probability ``finite`` a NaN/Inf draw is replaced by a uniform finite code."""
    codes = rng.integers(0, f.code_count, n)
    special = classify(codes, f) >= CodeClass.INF
    finite_codes = np.flatnonzero(classify(np.arange(f.code_count), f) < CodeClass.INF)
    swap = special & (rng.random(n) < finite)
    codes[swap] = rng.choice(finite_codes, int(swap.sum()))
    return codes



def format_classes(fmt: Any) -> tuple[CodeClass, ...]:
    """The classes a format's codes can have, in CodeClass order (zero and normal always)."""
    f = get_format(fmt)
    has = {CodeClass.ZERO: True, CodeClass.SUBNORMAL: f.has_subnormals, CodeClass.NORMAL: True,
           CodeClass.INF: f.has_inf, CodeClass.NAN: f.has_nan}
    return tuple(c for c, present in has.items() if present)
