"""int8_mac vectors: edge pairs, every pair, the int32 limits reached and crossed; refmodel.int8."""

from __future__ import annotations

import numpy as np

from refmodel.int8 import ACC_MAX, ACC_MIN, int8_mac_stream

from fp8kit.vectors.io import Column

__all__ = ["cases", "level1_streams"]


def _reach(target: int) -> list[tuple[int, int, int]]:
    """(a, b, repeat) rows that take the accumulator from 0 to ``target`` without leaving int32."""
    if target >= 0:
        q, r = divmod(target, 16384)
        rows = [(-128, -128, q), (127, 1, r // 127), (1, r % 127, 1)]
    else:
        q, r = divmod(-target, 16256)
        rows = [(-128, 127, q), (-128, 1, r // 128), (-1, r % 128, 1)]
    return [row for row in rows if row[2] > 0 and row[0] * row[1] != 0]


def level1_streams(long: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Level-1 streams as ``(rows (n, 3) of a, b, repeat; stream id per row; sat per stream)``.

    Every pair of {-128, -127, -1, 0, 1, 126, 127} alone after a clear, wrap and saturate; then,
    unless ``long`` is false (the cocotb bench: these take about 2.4 million clocks, which the replay
    of the vector file runs at full simulator speed), one wrap stream of all 65,536 pairs and, per
    limit and saturation, the accumulator
    driven to one step short of the limit (or of one past it) by the largest or the smallest
    step, then that step twice (landing on the limit or one past it, then further out) and
    one step back.
    """
    edge = np.array([-128, -127, -1, 0, 1, 126, 127])
    ea, eb = (x.ravel() for x in np.meshgrid(edge, edge, indexing="ij"))
    singles = np.stack([np.tile(ea, 2), np.tile(eb, 2), np.ones(2 * ea.size, np.int64)], axis=1)
    streams = [(int(s), row[None]) for s, row in zip(np.repeat([0, 1], ea.size), singles)]
    if not long:
        return _join(streams)
    a, b = np.divmod(np.arange(65536), 256)
    streams.append((0, np.stack([a - 128, b - 128, np.ones(65536, np.int64)], axis=1)))
    for s in (0, 1):
        for limit, big, small, back in ((ACC_MAX, (-128, -128), (1, 1), (127, -128)),
                                        (ACC_MIN, (-128, 127), (-1, 1), (-128, -128))):
            direction = 1 if limit > 0 else -1
            for step in (big, small):
                for beyond in (0, 1):
                    start = limit + direction * beyond - step[0] * step[1]
                    streams.append((s, np.array(_reach(start) + [(*step, 1), (*step, 1), (*back, 1)])))
    return _join(streams)


def _join(streams: list[tuple[int, np.ndarray]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = np.concatenate([r for _, r in streams]).astype(np.int64)
    ids = np.repeat(np.arange(len(streams)), [len(r) for _, r in streams])
    return rows, ids, np.array([s for s, _ in streams], np.int64)


def cases(level: int, count: int, seed: int):
    rows, ids, sats = level1_streams()
    if level == 2 and count:
        rng = np.random.default_rng(seed)
        lengths = rng.integers(1, 65, count)
        lengths = lengths[:np.searchsorted(np.cumsum(lengths), count) + 1]
        lengths[-1] -= lengths.sum() - count
        rows = np.concatenate([rows, np.column_stack([rng.integers(-128, 128, (count, 2)), np.ones(count, np.int64)])])
        ids = np.concatenate([ids, sats.size + np.repeat(np.arange(lengths.size), lengths)])
        sats = np.concatenate([sats, rng.integers(0, 2, lengths.size)])
    # operations per stream, and where each row's last operation sits in its stream
    ops_per = np.bincount(ids, weights=rows[:, 2], minlength=sats.size).astype(np.int64)
    ops_start = np.concatenate([[0], np.cumsum(ops_per)[:-1]])
    row_end = np.cumsum(rows[:, 2]) - 1 - ops_start[ids]
    acc = np.zeros(len(rows), np.int64)
    ovf = np.zeros(len(rows), np.int64)
    # streams of one saturation and one power-of-two length class run as one batch, padded with
    # (0, 0) pairs, which change neither the accumulator nor the flag
    length_class = np.array([int(n - 1).bit_length() for n in ops_per])
    for key in np.unique(np.stack([sats, length_class], 1), axis=0):
        members = np.flatnonzero((sats == key[0]) & (length_class == key[1]))
        local = np.full(sats.size, -1)
        local[members] = np.arange(members.size)
        sel = local[ids] >= 0
        ops = np.repeat(rows[sel, :2], rows[sel, 2], axis=0)
        op_stream = np.repeat(local[ids[sel]], rows[sel, 2])
        group_start = np.concatenate([[0], np.cumsum(ops_per[members])[:-1]])
        pos = np.arange(len(ops)) - np.repeat(group_start, ops_per[members])
        batch = np.zeros((members.size, int(ops_per[members].max()), 2), np.int64)
        batch[op_stream, pos] = ops
        out = int8_mac_stream(batch[..., 0], batch[..., 1], saturate=bool(key[0]))
        acc[sel] = out.acc[local[ids[sel]], row_end[sel]]
        ovf[sel] = out.overflow[local[ids[sel]], row_end[sel]]
    first = np.concatenate([[1], ids[1:] != ids[:-1]]).astype(np.int64)
    cols = [Column("first", 1, "in", "1: clear (acc 0, ovf 0) before this row"),
            Column("a", 8, "in", "int8 operand", signed=True),
            Column("b", 8, "in", "int8 operand", signed=True),
            Column("sat", 1, "in", "1 saturate, 0 wrap"),
            Column("rep", 32, "in", "accept (a, b) on this many consecutive clocks"),
            Column("acc", 32, "out", "int32 accumulator after the row", signed=True),
            Column("ovf", 1, "out", "overflow, sticky since the clear")]
    return cols, [first, rows[:, 0] & 0xFF, rows[:, 1] & 0xFF, sats[ids], rows[:, 2], acc & 0xFFFFFFFF, ovf]

