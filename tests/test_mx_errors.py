"""MX bad input: clear errors naming the value and what is allowed."""

from __future__ import annotations

import numpy as np
import pytest

from refmodel import mx


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(mx_type="mxfp7"), ValueError, "unknown MX type 'mxfp7'; allowed: mxfp8_e4m3, mxfp8_e5m2"),
        (dict(mx_type="mxfp8_e4m3", axis=2), ValueError, r"axis 2 is out of range for a 2-d tensor \(allowed -2...1\)"),
        (dict(mx_type="mxfp8_e4m3", axis=1.0), TypeError, "axis must be an int"),
        (dict(mx_type="mxfp8_e4m3", block=0), ValueError, r"block must be in 1\.\.\.65536 .*got 0"),
        (dict(mx_type="mxfp8_e4m3", block=24), ValueError, "length 64, not a multiple of block 24; pass pad=True"),
        (dict(mx_type="mxfp8_e4m3", scale_rule="round"), ValueError, "unknown scale_rule 'round'; allowed: ocp, ceil"),
        (dict(mx_type="mxfp8_e4m3", nan_policy="ignore"), ValueError, "unknown nan_policy 'ignore'"),
    ],
)
def test_quantize_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        mx.quantize(np.ones((2, 64), np.float32), **kwargs)


def test_nan_policy():
    x = np.ones(32, np.float32)
    x[5] = np.inf
    assert mx.quantize(x, "mxfp4_e2m1").scales.tolist() == [0xFF]
    with pytest.raises(ValueError, match=r"non-finite value inf at index \(5,\) \(nan_policy='raise'"):
        mx.quantize(x, "mxfp4_e2m1", nan_policy="raise")


def test_other_errors():
    with pytest.raises(TypeError, match="complex input"):
        mx.quantize(np.ones(32, complex), "mxfp8_e4m3")
    with pytest.raises(ValueError, match="at least one axis"):
        mx.quantize(np.float32(1), "mxfp8_e4m3")
    m = mx.quantize(np.ones(32, np.float32), "mxfp8_e4m3")
    with pytest.raises(ValueError, match="5 bytes do not hold a mxfp8_e4m3 tensor of shape \\(32,\\)"):
        mx.MxArray.from_bytes(b"12345", "mxfp8_e4m3", (32,))
    with pytest.raises(ValueError, match="dequantize writes float32 or float64, not int32"):
        mx.dequantize(m, np.int32)
    big = mx.quantize(np.full(32, 2.0**130), "mxfp8_e4m3")
    with pytest.raises(ValueError, match="beyond float32's range: dequantize with dtype=np.float64"):
        mx.dequantize(big)
    assert mx.dequantize(big, np.float64)[0] == 2.0**130
    n = mx.quantize(np.ones(32, np.float32), "nvfp4")
    with pytest.raises(ValueError, match="not nvfp4"):
        mx.dot(n, n)
    with pytest.raises(ValueError, match="block sizes differ: 32 and 16"):
        mx.dot(m, mx.quantize(np.ones(32, np.float32), "mxfp8_e4m3", block=16))
