"""NVFP4 (E4M3 and UE5M3 block scales) against a plain per-block float32 computation of its rule (docs/mx.md)."""

from __future__ import annotations

import numpy as np
import pytest

from refmodel import mx
from refmodel.oracle.codec import decode_exact, encode_exact
from refmodel.formats import get_format

E2M1 = get_format("float4_e2m1fn")
SCALES = {"nvfp4": get_format("float8_e4m3fn"), "nvfp4_ue5m3": get_format("float8_e5m3fnu")}
TOPS = {"nvfp4": 6 * 448, "nvfp4_ue5m3": 6 * 114688}  # element max x block-scale max, written out


def _plain(x: np.ndarray, scale_fmt, top: int):
    """Scales, elements and tensor scale, one block of 16 at a time, with numpy float32 scalars."""
    finite = [abs(float(v)) for v in x if np.isfinite(v)]
    amax = np.float32(max(finite)) if finite else np.float32(0)
    g = np.float32(amax / np.float32(top)) if amax > 0 else np.float32(1)
    scales, elems = [], []
    for start in range(0, x.size, 16):
        blk = x[start : start + 16]
        if not np.isfinite(blk).all():
            scales.append(0x7F if scale_fmt.signed else 0xFF)  # the scale format's NaN
            elems += [0] * 16
            continue
        amax_b = np.float32(max(abs(float(v)) for v in blk))
        code = encode_exact(float(np.float32(np.float32(amax_b / np.float32(6)) / g)), scale_fmt, "rne", saturate=True)
        scales.append(code)
        s = np.float32(float(decode_exact(code, scale_fmt).magnitude))
        denom = np.float32(s * g)
        for v in blk:
            q = np.float32(np.float32(v) / denom) if denom > 0 else np.float32(0)
            elems.append(encode_exact(float(q), E2M1, "rne", saturate=True))
    return scales, elems, float(g)


@pytest.mark.parametrize("name", sorted(SCALES))
@pytest.mark.parametrize("seed", range(6))
def test_nvfp4_matches_the_plain_rule(name, seed):
    scale_fmt = SCALES[name]
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(256) * np.repeat(np.exp2(rng.uniform(-12, 12, 16)), 16)).astype(np.float32)
    if seed == 1:
        x[:16] = 0.0  # a zero block
    if seed == 2:
        x[20] = np.nan  # a NaN block
    if seed == 3:
        x[40:56] = 1e-30  # a block whose scale rounds to zero
    if seed == 4:
        x[60:76] *= 2.0**-20  # far below the tensor's amax: E4M3 scales run out, UE5M3 reaches further
    m = mx.quantize(x, name)
    scales, elems, g = _plain(x, scale_fmt, TOPS[name])
    assert m.scales.tolist() == scales
    assert m.elements.tolist() == elems
    assert m.tensor_scale == g
    back = mx.dequantize(m)
    nan_scale = scale_fmt.nan_code()
    for k in range(0, 256, 16):
        s = float(decode_exact(scales[k // 16], scale_fmt).magnitude) if scales[k // 16] != nan_scale else np.nan
        want = [np.float32(float(decode_exact(e, E2M1).magnitude) * (-1 if e & 8 else 1) * s * g) for e in elems[k : k + 16]]
        np.testing.assert_array_equal(back[k : k + 16], np.array(want, np.float32))


def test_ue5m3_scale_keeps_blocks_that_e4m3_flushes():
    """A block 2**-20 below the amax: its E4M3 scale (min 2**-9) rounds to zero, the UE5M3 one does not."""
    rng = np.random.default_rng(9)
    x = rng.standard_normal(64).astype(np.float32)
    x[16:32] *= np.float32(2.0**-20)
    e4 = mx.quantize(x, "nvfp4")
    u5 = mx.quantize(x, "nvfp4_ue5m3")
    assert e4.scales[1] == 0 and not e4.elements[16:32].any()
    assert u5.scales[1] != 0 and u5.elements[16:32].any()
    rel = np.abs(mx.dequantize(u5)[16:32] - x[16:32]) / np.abs(x[16:32]).max()
    assert rel.max() <= 0.5  # E2M1 elements: within half of the block's largest value


def test_packed_round_trip_carries_the_tensor_scale():
    x = np.linspace(-3, 5, 48, dtype=np.float32)
    for name in SCALES:
        m = mx.quantize(x, name)
        back = mx.MxArray.from_bytes(m.to_bytes(), name, x.shape)
        assert back.tensor_scale == m.tensor_scale and back.scale_rule == "nvfp4"
        np.testing.assert_array_equal(back.scales, m.scales)
        np.testing.assert_array_equal(back.elements, m.elements)
