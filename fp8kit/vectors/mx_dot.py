"""mx_dot stimulus and vectors: boundary blocks under edge scales, quantised and random blocks; refmodel.mx.dot."""

from __future__ import annotations

from typing import Any

import numpy as np

from refmodel import mx

from fp8kit.vectors.codes import boundary_codes
from fp8kit.vectors.io import Column

__all__ = ["EDGE_SCALES", "cases", "level1_cases", "mx_dot_random_cases", "structured"]


EDGE_SCALES = np.array([0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF], np.int64)


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
    every = np.concatenate([np.stack(np.meshgrid(EDGE_SCALES, EDGE_SCALES, indexing="ij"), -1).reshape(-1, 2), edges])
    return few, every


def level1_cases(t: mx.MxType) -> int:
    """The level-1 blocks of :func:`structured`: n**2 lane-0 pairs x few scales + 3n full blocks x all scales."""
    n = _mx_elem_edges(t)[0].size
    few, every = _mx_scale_sets(t)
    return n * n * len(few) + 3 * n * len(every)


def structured(t: mx.MxType, k: int):
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
        return np.where(rng.integers(0, 3, n) == 0, rng.choice(EDGE_SCALES, n), rng.integers(0, 256, n))

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


def cases(t: mx.MxType, k: int, level: int, count: int, seed: int):
    rows = _mx_rows(t, k, *structured(t, k))
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

