"""Bad inputs to the golden model's API (codec, formats, arith, mx, scaling, lfsr): each refused, the value named."""

from __future__ import annotations

import numpy as np
import pytest
from badinput import ApiCase, check_api, ids

from refmodel import Format, arith, decode, encode, get_format, lfsr, mx, scaling

E4 = "float8_e4m3fn"
ONE = np.array([1.0])
A2 = np.array([[0x38, 0x38]])


def _mx(**kw):
    base = dict(mx_type="mxfp8_e4m3", block=32, axis=0, shape=(32,), scales=np.array([127], np.uint8),
                elements=np.zeros(32, np.uint8))
    base.update(kw)
    return lambda: mx.MxArray(**base)


def _ops(**kw):
    base = dict(acc=[0, 0], a=[0x38, 0x38], b=[0x38, 0x38], rm=[0, 0], sat=[0, 0])
    base.update(kw)
    return lambda: arith.fma_ops(**base, fmt_a=E4)


CASES = [
    # ------------------------------------------------------------------ formats and names
    ApiCase("format-typo", lambda: get_format("float8_e4m3fnn"), ValueError, r"'float8_e4m3fnn'.*did you mean 'float8_e4m3fn'"),
    ApiCase("format-typo-bf16", lambda: get_format("bfloat61"), ValueError, r"'bfloat61'.*did you mean 'bfloat16'"),
    ApiCase("format-unknown", lambda: get_format("posit8"), ValueError, r"unknown format 'posit8'; valid names"),
    ApiCase("format-ambiguous", lambda: get_format("e4m3"), ValueError, r"'e4m3' is ambiguous"),
    ApiCase("format-int", lambda: get_format(3), ValueError, r"not a format: 3"),
    ApiCase("encode-format-typo", lambda: encode(ONE, "float8_e5m2x"), ValueError, r"'float8_e5m2x'.*did you mean 'float8_e5m2'"),
    ApiCase("custom-exp-zero", lambda: Format.custom(0, 3), ValueError, r"0"),
    ApiCase("custom-specials", lambda: Format.custom(4, 3, specials="ieeee"), ValueError, r"'ieeee'"),
    ApiCase("rounding-typo", lambda: encode(ONE, E4, rounding="rnee"), ValueError, r"'rnee'.*did you mean 'rne'"),
    ApiCase("rounding-typo-rtz", lambda: encode(ONE, E4, rounding="rzt"), ValueError, r"'rzt'.*did you mean 'rtz'"),
    ApiCase("rounding-code", lambda: encode(ONE, E4, rounding=9), ValueError, r"unknown rounding mode 9; allowed"),
    ApiCase("rounding-bool", lambda: encode(ONE, E4, rounding=True), ValueError, r"unknown rounding mode True"),
    ApiCase("fma-rounding-typo", lambda: arith.fma(0, 0x38, 0x38, fmt_a=E4, rounding="rup!"), ValueError, r"'rup!'.*did you mean 'rup'"),
    # ------------------------------------------------------------------------ saturate
    ApiCase("encode-saturate-no", lambda: encode(ONE, E4, saturate="no"), ValueError, r"saturate must be a bool.*'no'"),
    ApiCase("encode-saturate-2", lambda: encode(ONE, E4, saturate=2), ValueError, r"saturate must be a bool.*got 2"),
    ApiCase("encode-saturate-none", lambda: encode(ONE, E4, saturate=None), ValueError, r"got None"),
    ApiCase("fma-saturate-str", lambda: arith.fma(0, 0x38, 0x38, fmt_a=E4, saturate="yes"), ValueError, r"'yes'"),
    ApiCase("dot-saturate-float", lambda: arith.dot(A2, A2, fmt_a=E4, saturate=0.5), ValueError, r"got 0\.5"),
    ApiCase("mac-saturate-str", lambda: arith.mac(A2, A2, fmt_a=E4, saturate="False"), ValueError, r"'False'"),
    ApiCase("scaling-saturate-str", lambda: scaling.quantize_tensor(ONE, E4, 1.0, saturate="no"), ValueError, r"'no'"),
    # ------------------------------------------------------------------------- dtypes
    ApiCase("encode-complex", lambda: encode(np.array([1 + 2j]), E4), TypeError, r"complex input.*complex128"),
    ApiCase("encode-bool", lambda: encode(np.array([True]), E4), TypeError, r"boolean input"),
    ApiCase("encode-strings", lambda: encode(np.array(["1.0"]), E4), TypeError, r"dtype <U3 is not numeric"),
    ApiCase("encode-object", lambda: encode(np.array([1.0, None], dtype=object), E4), TypeError, r"dtype object"),
    ApiCase("encode-nan-into-none", lambda: encode(np.array([np.nan]), "float4_e2m1fn"), ValueError, r"NaN at index \(0,\).*float4_e2m1fn"),
    ApiCase("decode-float-codes", lambda: decode(np.array([56.7]), E4), TypeError, r"56\.7"),
    ApiCase("decode-code-range", lambda: decode(np.array([256]), E4), ValueError, r"code 256 is out of range"),
    ApiCase("decode-dtype", lambda: decode(np.array([1]), "float32", np.float16), ValueError, r"float16 cannot hold every float32 value"),
    ApiCase("fma-float-code", lambda: arith.fma(0, 56.7, 0x38, fmt_a=E4), TypeError, r"56\.7"),
    ApiCase("mul-float-code", lambda: arith.mul(np.array([56.7]), 0x38, E4), TypeError, r"56\.7"),
    ApiCase("dot-float-code", lambda: arith.dot(np.array([[1.5, 2.0]]), A2, fmt_a=E4), TypeError, r"1\.5"),
    ApiCase("mac-code-range", lambda: arith.mac(np.array([300]), np.array([1]), fmt_a=E4), ValueError, r"code 300"),
    # ---------------------------------------------------------------------- scale_exp
    ApiCase("dot-scale-exp-float", lambda: arith.dot(A2, A2, fmt_a=E4, scale_exp=1.5), ValueError, r"scale_exp must hold integers.*1\.5"),
    ApiCase("dot-scale-exp-float-int", lambda: arith.dot(A2, A2, fmt_a=E4, scale_exp=2.0), ValueError, r"got 2\.0"),
    ApiCase("dot-scale-exp-str", lambda: arith.dot(A2, A2, fmt_a=E4, scale_exp="3"), ValueError, r"got '3'"),
    ApiCase("dot-scale-exp-bool", lambda: arith.dot(A2, A2, fmt_a=E4, scale_exp=True), ValueError, r"got True"),
    ApiCase("dot-scale-exp-array", lambda: arith.dot(A2, A2, fmt_a=E4, scale_exp=np.array([0.25])), ValueError, r"0\.25"),
    ApiCase("dot-scale-exp-shape", lambda: arith.dot(A2, A2, fmt_a=E4, scale_exp=[1, 2, 3]), ValueError, r"scale_exp of shape \(3,\)"),
    # ------------------------------------------------------------------------- fma_ops
    ApiCase("fma-ops-rm-short", _ops(rm=[0]), ValueError, r"one length.*rm 1"),
    ApiCase("fma-ops-rm-long", _ops(rm=[0, 0, 0]), ValueError, r"rm 3"),
    ApiCase("fma-ops-sat-short", _ops(sat=[1]), ValueError, r"sat 1"),
    ApiCase("fma-ops-a-long", _ops(a=[0x38] * 3), ValueError, r"a 3"),
    ApiCase("fma-ops-rand-short", _ops(rm=[5, 5], rand=[1], sr_bits=4), ValueError, r"rand 1"),
    ApiCase("fma-ops-sr-no-rand", _ops(rm=[5, 0], sr_bits=4), ValueError, r"rand 0"),
    ApiCase("fma-ops-rm-float", _ops(rm=[0, 56.7]), ValueError, r"rm\[1\] = 56\.7 is not a rounding-mode code"),
    ApiCase("fma-ops-rm-7", _ops(rm=[7, 0]), ValueError, r"rm\[0\] = 7"),
    ApiCase("fma-ops-rm-str", _ops(rm=["rne", "rne"]), ValueError, r"'rne' is not a rounding-mode code"),
    ApiCase("fma-ops-sat-2", _ops(sat=[0, 2]), ValueError, r"sat\[1\] = 2 is not a saturation bit"),
    ApiCase("fma-ops-sat-float", _ops(sat=[0.5, 0]), ValueError, r"0\.5"),
    ApiCase("fma-ops-float-code", _ops(a=[56.7, 1]), TypeError, r"56\.7"),
    # --------------------------------------------------------------------------- lfsr
    ApiCase("mac-seed-float", lambda: arith.mac(A2, A2, fmt_a=E4, rounding="sr", sr_bits=4, lfsr_seed=2.5), TypeError, r"lfsr_seed must be an integer, got 2\.5"),
    ApiCase("mac-seed-zero", lambda: arith.mac(A2, A2, fmt_a=E4, rounding="sr", sr_bits=4, lfsr_seed=0), ValueError, r"lfsr_seed must be a non-zero 32-bit value.*got 0"),
    ApiCase("mac-seed-wide", lambda: arith.mac(A2, A2, fmt_a=E4, rounding="sr", sr_bits=4, lfsr_seed=2**32), ValueError, r"got 4294967296"),
    ApiCase("mac-seed-str", lambda: arith.mac(A2, A2, fmt_a=E4, lfsr_seed="3"), TypeError, r"got '3'"),
    ApiCase("mac-seed-array-float", lambda: arith.mac(A2, A2, fmt_a=E4, rounding="sr", sr_bits=4, lfsr_seed=np.array([1.5])), TypeError, r"1\.5"),
    ApiCase("lfsr-seed-negative", lambda: lfsr.draws(-1, 4, 8), ValueError, r"got -1"),
    ApiCase("lfsr-r-bits", lambda: lfsr.draws(1, 4, 33), ValueError, r"r_bits must be in 1\.\.32, got 33"),
    ApiCase("lfsr-count-negative", lambda: lfsr.words(1, -5), ValueError, r"n must be >= 0, got -5"),
    # ----------------------------------------------------------------------------- mx
    ApiCase("mx-scale-300", _mx(scales=np.array([300])), ValueError, r"scale code 300 is out of range: allowed 0\.\.\.255"),
    ApiCase("mx-scale-negative", _mx(scales=np.array([-1])), ValueError, r"scale code -1"),
    ApiCase("mx-scale-float", _mx(scales=np.array([127.5])), TypeError, r"127\.5"),
    ApiCase("mx-element-fp4-16", _mx(mx_type="mxfp4_e2m1", elements=np.full(32, 16)), ValueError, r"element code 16.*0\.\.\.15"),
    ApiCase("mx-scales-shape", _mx(scales=np.array([127, 127], np.uint8)), ValueError, r"scale codes of shape \(2,\) do not fit: expected \(1,\)"),
    ApiCase("mx-elements-shape", _mx(elements=np.zeros(31, np.uint8)), ValueError, r"shape \(31,\)"),
    ApiCase("mx-type-typo", _mx(mx_type="mxfp8_e4m4"), ValueError, r"'mxfp8_e4m4'"),
    ApiCase("mx-block-huge", lambda: mx.quantize(np.ones(10), "mxfp8_e4m3", block=10**9, pad=True), ValueError, r"block must be in 1\.\.\.65536.*got 1000000000"),
    ApiCase("mx-pad-grows", lambda: mx.quantize(np.ones((1 << 15, 1), np.float32), "mxfp8_e4m3", block=1 << 14, pad=True), ValueError, r"from 32768 to 536870912 elements; the limit is 268435456"),
    ApiCase("mx-block-float", lambda: mx.quantize(np.ones(32), "mxfp8_e4m3", block=32.0), TypeError, r"32\.0"),
    ApiCase("rtl-params-prefix", lambda: get_format("float8_e5m2").rtl_params("A-"), ValueError, r"prefix 'A-' does not make Verilog identifiers"),
    ApiCase("rtl-params-prefix-int", lambda: get_format("float8_e5m2").rtl_params(1), ValueError, r"prefix 1 does not"),
    ApiCase("mx-from-bytes-len", lambda: mx.MxArray.from_bytes(b"\0" * 3, "mxfp8_e4m3", (32,)), ValueError, r"3 bytes"),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_bad_input(case):
    check_api(case)
