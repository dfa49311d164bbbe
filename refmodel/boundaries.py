"""Rounding-boundary inputs of a format: where every encoder is most likely to be wrong.

Used by the self-check, the tests and (later) level-1 test vectors.
"""

from __future__ import annotations

import numpy as np

from .codec import decode
from .formats import Format

__all__ = ["boundary_values"]


def _neighbours64(v: np.ndarray) -> np.ndarray:
    """v, its float64 neighbours and the float64 values of its float32 neighbours."""
    up64, down64 = np.nextafter(v, np.inf), np.nextafter(v, -np.inf)
    with np.errstate(over="ignore"):
        v32 = v.astype(np.float32)
    up32 = np.nextafter(v32, np.float32(np.inf)).astype(np.float64)
    down32 = np.nextafter(v32, np.float32(-np.inf)).astype(np.float64)
    return np.concatenate([v, up64, down64, up32, down32])


def boundary_values(fmt: Format, *, include_specials: bool = True) -> np.ndarray:
    """Float64 inputs on and around every rounding boundary of ``fmt`` (<= 16 bits).

    Contents, both signs: every finite value; every midpoint between adjacent
    values (including 0 and the smallest value, and max finite and the next
    value the exponent range would give: the overflow threshold); half the
    smallest value; twice the overflow threshold; each with its float64
    neighbours and float32 neighbours; then +-0, +-Inf and NaN (NaN only when
    the format has one).  Sorted, duplicates removed (NaN last).
    """
    codes = np.arange(fmt.code_count, dtype=np.int64)
    vals = decode(codes, fmt, np.float64)
    pos = np.unique(vals[np.isfinite(vals) & (vals >= 0)])
    top = pos[-1]
    beyond = top + 2.0 ** (fmt.emax - fmt.man_bits)
    ladder = np.concatenate([[0.0] if pos[0] > 0 else [], pos, [beyond]])
    mids = (ladder[:-1] + ladder[1:]) / 2
    extra = np.array([pos[pos > 0][0] / 2, pos[pos > 0][0] / 4, 2 * beyond, 4 * beyond])
    mags = _neighbours64(np.concatenate([pos, mids, extra]))
    mags = mags[np.isfinite(mags) & (mags >= 0)]
    out = np.concatenate([mags, -mags])
    if include_specials:
        specials = [0.0, -0.0, np.inf, -np.inf] + ([np.nan, -np.nan] if fmt.has_nan else [])
        out = np.concatenate([out, specials])
    out = np.unique(out)  # sorts; NaNs last; keeps -0.0 and 0.0 as one
    if include_specials:
        out = np.concatenate([out, [-0.0]])
    return out
