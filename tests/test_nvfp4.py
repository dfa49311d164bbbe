"""NVFP4 against a plain per-block float32 computation of its rule (docs/mx.md)."""

from __future__ import annotations

import numpy as np
import pytest

from refmodel import mx
from refmodel.oracle import decode_exact, encode_exact
from refmodel.formats import get_format

E2M1, E4M3 = get_format("float4_e2m1fn"), get_format("float8_e4m3fn")


def _plain(x: np.ndarray):
    """Scales, elements and tensor scale, one block of 16 at a time, with numpy float32 scalars."""
    finite = [abs(float(v)) for v in x if np.isfinite(v)]
    amax = np.float32(max(finite)) if finite else np.float32(0)
    g = np.float32(amax / np.float32(2688)) if amax > 0 else np.float32(1)
    scales, elems = [], []
    for start in range(0, x.size, 16):
        blk = x[start : start + 16]
        if not np.isfinite(blk).all():
            scales.append(0x7F)
            elems += [0] * 16
            continue
        amax_b = np.float32(max(abs(float(v)) for v in blk))
        code = encode_exact(float(np.float32(np.float32(amax_b / np.float32(6)) / g)), E4M3, "rne", saturate=True)
        scales.append(code)
        s = np.float32(float(decode_exact(code, E4M3).magnitude))
        denom = np.float32(s * g)
        for v in blk:
            q = np.float32(np.float32(v) / denom) if denom > 0 else np.float32(0)
            elems.append(encode_exact(float(q), E2M1, "rne", saturate=True))
    return scales, elems, float(g)


@pytest.mark.parametrize("seed", range(6))
def test_nvfp4_matches_the_plain_rule(seed):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(256) * np.repeat(np.exp2(rng.uniform(-12, 12, 16)), 16)).astype(np.float32)
    if seed == 1:
        x[:16] = 0.0  # a zero block
    if seed == 2:
        x[20] = np.nan  # a NaN block
    if seed == 3:
        x[40:56] = 1e-30  # a block whose scale rounds to zero
    m = mx.quantize(x, "nvfp4")
    scales, elems, g = _plain(x)
    assert m.scales.tolist() == scales
    assert m.elements.tolist() == elems
    assert m.tensor_scale == g
    back = mx.dequantize(m)
    for k in range(0, 256, 16):
        s = float(decode_exact(scales[k // 16], E4M3).magnitude) if scales[k // 16] != 0x7F else np.nan
        want = [np.float32(float(decode_exact(e, E2M1).magnitude) * (-1 if e & 8 else 1) * s * g) for e in elems[k : k + 16]]
        np.testing.assert_array_equal(back[k : k + 16], np.array(want, np.float32))
