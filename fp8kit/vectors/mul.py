"""mul vectors: every code pair (or boundary x boundary codes), plus seeded random pairs; refmodel.arith.mul."""

from __future__ import annotations

import numpy as np

from refmodel import arith
from refmodel.formats import Format

from fp8kit.vectors.codes import boundary_codes
from fp8kit.vectors.io import Column

__all__ = ["cases"]


def cases(fa: Format, fb: Format, level: int, count: int, seed: int):
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

