"""mac stimulus: level-1 streams (cancelling pairs, growth, alternation, underflow), the random streams of
the vector files and of the cocotb bench (verif/fp8_mac), and the vector files' cases (refmodel.arith.mac)."""

from __future__ import annotations

import numpy as np

from refmodel import arith, decode
from refmodel.encodings import RoundingMode
from refmodel.formats import Format
from refmodel.lfsr import draws

from fp8kit.vectors.codes import boundary_codes, random_codes
from fp8kit.vectors.io import Column

__all__ = ["bench_streams", "cases", "level1_streams"]


def level1_streams(fa: Format, fb: Format) -> list[tuple[np.ndarray, np.ndarray]]:
    """Level-1 streams, as (a, b) arrays of shape (streams, length), one array pair per length.

    Length 2: every boundary pair (a, b) followed by (a, -b), which cancels it (or gives
    Inf - Inf).  Length 16: +max*max, +-max*max alternating, minsub*minsub, 1*1, each repeated.
    """
    ba, bb = (x.ravel() for x in np.meshgrid(boundary_codes(fa), boundary_codes(fb), indexing="ij"))
    pairs = (np.stack([ba, ba], axis=1), np.stack([bb, bb ^ fb.sign_mask], axis=1))
    one_a, one_b = fa.bias << fa.man_bits, fb.bias << fb.man_bits
    alt = np.array([0, fb.sign_mask] * 8)
    grow_a = np.array([[fa.max_code] * 16, [fa.max_code] * 16, [1] * 16, [one_a] * 16])
    grow_b = np.array([[fb.max_code] * 16, fb.max_code | alt, [1] * 16, [one_b] * 16])
    return [pairs, (grow_a, grow_b)]


def bench_streams(fa: Format, fb: Format, modes, steps: int, rng: np.random.Generator
                  ) -> list[tuple[int, int, np.ndarray, np.ndarray]]:
    """The cocotb bench's random streams: ``(rm, sat, a, b)`` per mode in ``modes`` and sat in (0, 1).

    ``steps`` finite pairs each; about one b in 500 any code (NaN, Inf); the first product is a zero
    (a +0 result); the saturating stream ends in a quiet-NaN multiplicand, the other in Inf * 0 (NV)
    where b has an Inf.
    """
    finite_a = np.flatnonzero(np.isfinite(decode(np.arange(fa.code_count), fa)))
    finite_b = np.flatnonzero(np.isfinite(decode(np.arange(fb.code_count), fb)))
    out = []
    for rm in modes:
        for sat in (0, 1):
            a = rng.choice(finite_a, steps)
            b = rng.choice(finite_b, steps)
            special = rng.random(steps) < 0.002
            b[special] = rng.integers(0, fb.code_count, int(special.sum()))
            a[0] = 0
            if sat:
                b[-1] = fb.nan_code(False)
            elif fb.has_inf:
                a[-1], b[-1] = 0, fb.inf_codes[0]
            out.append((int(rm), sat, a, b))
    return out


def cases(fa, fb, fc, modes, sr_bits, lfsr_seed, level, count, seed):
    streams = [(m, s, a, b) for m in modes for s in (0, 1) for a, b in level1_streams(fa, fb)]
    n_level1 = len(streams)
    if level == 2 and count:
        rng = np.random.default_rng(seed)
        n_streams = -(-count // 32)
        a = random_codes(rng, fa, n_streams * 32, finite=0.9).reshape(n_streams, 32)
        b = random_codes(rng, fb, n_streams * 32, finite=0.9).reshape(n_streams, 32)
        pick = rng.integers(0, len(modes) * 2, n_streams)
        for j in np.unique(pick):
            mode, s = modes[j // 2], int(j % 2)
            streams.append((mode, s, a[pick == j], b[pick == j]))
    parts = []
    for mode, s, a, b in streams:
        extra = dict(sr_bits=sr_bits, lfsr_seed=lfsr_seed) if mode is RoundingMode.SR else {}
        out = arith.mac(a, b, fmt_a=fa, fmt_b=fb, acc_fmt=fc, rounding=mode, saturate=bool(s), **extra)
        n, length = a.shape
        first = np.zeros((n, length), np.int64)
        first[:, 0] = 1
        rand = np.broadcast_to(draws(lfsr_seed, length, sr_bits), (n, length))
        parts.append(np.stack([first, a, b, np.full((n, length), int(mode)), np.full((n, length), s), rand,
                               out.acc, out.flags], axis=-1).reshape(-1, 8).astype(np.int64))
    rows = np.concatenate(parts)
    if level == 2:  # random streams are cut after `count` operations; a cut stream stays valid
        rows = rows[:sum(p.shape[0] for p in parts[:n_level1]) + count]
    cols = [Column("first", 1, "in", "1: clear (acc +0, flags 0, LFSR reloaded) before this operation"),
            Column("a", fa.bits, "in", f"operand a code ({fa.name})"),
            Column("b", fb.bits, "in", f"operand b code ({fb.name})"),
            Column("rm", 3, "in", "rounding mode (RoundingMode code)"),
            Column("sat", 1, "in", "saturate results that overflow by rounding"),
            Column("rand", sr_bits, "out", "low SR_BITS of the LFSR word this operation uses"),
            Column("acc", fc.bits, "out", f"accumulator after the operation ({fc.name} code)"),
            Column("flags", 5, "out", "{NV, DZ, OF, UF, NX}, sticky since the clear")]
    return cols, list(rows.T)

