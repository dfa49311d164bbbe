"""Every float32 input against ml_dtypes (slow; CI runs a bounded slice).

FP8KIT_SLOW=full sweeps all 2**32 float32 bit patterns per format (about a
minute per format, most of it in ml_dtypes); the default ``bounded`` scale
checks 2**26 patterns: 64 chunks of 2**20 spread over the whole space.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from refmodel import encode, registered_formats
from refmodel.selfcheck import ml_dtypes_type, rne_disagrees_with_ml_dtypes

pytestmark = pytest.mark.slow

ML_FORMATS = [f for f in registered_formats() if ml_dtypes_type(f) is not None]
CHUNK = 1 << 20


def _chunk_starts() -> list[int]:
    scale = os.environ.get("FP8KIT_SLOW", "bounded")
    if scale not in ("bounded", "full"):
        raise ValueError(f"FP8KIT_SLOW must be 'bounded' or 'full', got {scale!r}")
    if scale == "full":
        return list(range(0, 1 << 32, CHUNK))
    rng = np.random.default_rng(2026)
    picks = rng.choice((1 << 32) // CHUNK, 60, replace=False) * CHUNK
    # always include the chunks around zero, one, the float32 max and the NaN region of both signs
    fixed = [0, 0x3F800000, 0x7F700000, 0x7FF00000, 0x80000000, 0xBF800000, 0xFF700000, 0xFFF00000]
    return sorted({int(s) for s in picks} | set(fixed))


@pytest.mark.parametrize("fmt", ML_FORMATS, ids=lambda f: f.name)
def test_every_float32_pattern_matches_ml_dtypes(fmt):
    mtype = ml_dtypes_type(fmt)
    checked = 0
    for start in _chunk_starts():
        x = np.arange(start, start + CHUNK, dtype=np.uint64).astype(np.uint32).view(np.float32)
        keep = ~rne_disagrees_with_ml_dtypes(x, fmt)
        if not fmt.has_nan:
            keep &= ~np.isnan(x)
        x = x[keep]
        with np.errstate(all="ignore"):
            want = x.astype(mtype).view(np.uint8)
        assert_array_equal(encode(x, fmt), want, err_msg=f"chunk at 0x{start:08X}")
        checked += x.size
    assert checked >= 60 * CHUNK // 2
