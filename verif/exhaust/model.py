"""Model-side exhaustive sweeps: the codec's fast paths against the exact oracle on every input.

``encode``: every float32 bit pattern (2**32) into a format, one deterministic rounding mode and
saturation setting per sweep. The oracle (:func:`refmodel.oracle.codec.encode_exact`, Fractions) is far
too slow to run 2**32 times, so the proof uses its structure instead (docs/verification.md):

    Within one sign, a deterministic rounding maps the magnitude monotonically onto the ordered
    outcomes (zero, the finite magnitudes, overflow, the infinite input), and distinct outcomes
    get distinct codes except adjacent ones (max finite and a saturated overflow), so the inputs
    of one sign that the oracle sends to one code form an interval of float32 bit patterns, which
    are ordered by magnitude within a sign. Every NaN of one sign gets one code.

So: run the fast path (:func:`refmodel.encode`) on every pattern, split its output into maximal
runs of one code inside the segments (finite and infinite inputs, NaN inputs, per sign), and call
the oracle only at both ends of every run. If both ends agree, every input of the run does.

``sr``: every float16 and bfloat16 code x every random word r < 2**R (R = 8). For fixed r, sr is
a monotone rounding of the magnitude (n = floor((floor(q * 2**R) + r) / 2**R) quanta), so the
argument above proves the fast path at r = 0 (the truncated code) and r = 2**R - 1 (the code away
from zero wherever t >= 1) with a few oracle calls. The remaining words follow the definition
``away iff t + r >= 2**R``, with t (the discarded fraction truncated to R bits) computed here in
integers, independently of both the fast path and the oracle.
"""

from __future__ import annotations

import dataclasses

import ml_dtypes
import numpy as np

from refmodel import encode, get_format
from refmodel.encodings import RoundingMode
from refmodel.formats import Format
from refmodel.oracle.codec import encode_exact
from refmodel.rounding import bit_length

__all__ = ["SR_BITS", "SR_DTYPES", "EncodeSweep", "Mismatch", "SrSweep", "encode_formats", "model_sweeps"]

SR_BITS = 8
"""Random bits of the sr sweep: all 2**8 words per value."""
SR_DTYPES = ("float16", "bfloat16")
"""Input types of the sr sweep, one chunk of 2**16 values x 2**R words each."""

_ENCODE_CHUNK = 1 << 24


@dataclasses.dataclass(frozen=True)
class Mismatch:
    """One failing vector: its index in the sweep, the code produced and the code expected."""

    index: int
    got: int
    want: int


_BLOCK = 1 << 20  # working slices stay below glibc's mmap threshold: no page faults per chunk


def _changes(codes: np.ndarray) -> np.ndarray:
    """Positions i with ``codes[i] != codes[i + 1]``.

    Runs are long, so the codes are compared eight at a time as uint64 words first and byte by
    byte only where a word is not constant or differs from the next one.
    """
    n = codes.size
    whole = n & ~7
    found = []
    for s in range(0, whole, _BLOCK):
        e = min(s + _BLOCK, whole)
        w = codes[s:e].view(np.uint64)
        low = w & np.uint64(0xFF)
        mixed = w != low * np.uint64(0x0101010101010101)
        mixed[:-1] |= (w[:-1] >> np.uint64(56)) != low[1:]
        if e < n:
            mixed[-1] |= codes[e - 1] != codes[e]
        for j in np.flatnonzero(mixed):
            seg = codes[s + 8 * j : s + 8 * j + 9]
            found.append(s + 8 * j + np.flatnonzero(seg[1:] != seg[:-1]))
    tail = codes[whole:]
    found.append(whole + np.flatnonzero(tail[1:] != tail[:-1]))
    return np.concatenate(found).astype(np.int64)


def _run_ends(codes: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """Sorted positions that start or end a maximal run of equal codes; runs never cross ``cuts``
    (positions where a new segment starts)."""
    n = codes.size
    last = np.concatenate([_changes(codes), cuts - 1])  # last element of a run
    ends = np.concatenate([[0, n - 1], last, last + 1])
    return np.unique(ends[(ends >= 0) & (ends < n)])


_BASE = np.arange(_BLOCK, dtype=np.uint32)


def _segment_starts(start: int, count: int) -> np.ndarray:
    """Offsets in [start, start + count) where the finite+Inf or NaN segment of a sign begins."""
    marks = [0x80000000, 0x7F800001, 0xFF800001]
    return np.array([m - start for m in marks if start < m < start + count], np.int64)


def _oracle_codes(x: np.ndarray, fmt: Format, mode: RoundingMode, saturate: bool, **kw) -> np.ndarray:
    return np.array([encode_exact(v, fmt, mode, saturate=saturate, **kw) for v in x], np.int64)


@dataclasses.dataclass(frozen=True)
class EncodeSweep:
    """Every float32 pattern encoded into ``fmt`` with ``mode`` (not sr) and ``saturate``.

    Index = the float32 bit pattern. Formats without NaN skip the NaN patterns (encode refuses them).
    """

    fmt: Format
    mode: RoundingMode
    saturate: bool

    op = "encode"
    size = 1 << 32
    chunk = _ENCODE_CHUNK

    @property
    def key(self) -> str:
        return f"encode-{self.fmt.name}-{self.mode.label}-sat{int(self.saturate)}"

    @property
    def args(self) -> str:
        return f"--op encode --config {self.fmt.name} --rounding {self.mode.label} --sat {int(self.saturate)}"

    def describe(self, index: int) -> str:
        x = np.uint32(index).view(np.float32)
        return f"float32 0x{index:08X} ({float(x)!r}) -> {self.fmt.name} {self.mode.label} sat={int(self.saturate)}"

    def check(self, start: int, count: int) -> tuple[int, list[Mismatch]]:
        """Prove ``count`` patterns from ``start``; returns (patterns checked, mismatches)."""
        kept, codes = [], np.empty(count, np.uint8 if self.fmt.bits <= 8 else np.uint16)
        n = 0
        for off in range(0, count, _BLOCK):
            u = np.add(_BASE[: min(_BLOCK, count - off)], np.uint32(start + off))
            if not self.fmt.has_nan:
                u = u[~np.isnan(u.view(np.float32))]
                kept.append(u)
            codes[n : n + u.size] = encode(u.view(np.float32), self.fmt, rounding=self.mode, saturate=self.saturate)
            n += u.size
        codes = codes[:n]
        if self.fmt.has_nan:  # the pattern at position i is start + i
            u = None
            cuts = _segment_starts(start, count)
        else:  # NaN patterns removed: cut where the negative finite segment begins
            u = np.concatenate(kept)
            cuts = np.searchsorted(u, np.array([0x80000000], np.uint32)).astype(np.int64)
        ends = _run_ends(codes, cuts)
        bits = (ends + start).astype(np.uint32) if u is None else u[ends]
        want = _oracle_codes(bits.view(np.float32), self.fmt, self.mode, self.saturate)
        bad = np.flatnonzero(codes[ends] != want)
        return n, [Mismatch(int(bits[j]), int(codes[ends[j]]), int(want[j])) for j in bad]


def _sr_t(x: np.ndarray, fmt: Format) -> np.ndarray:
    """t = floor(frac(|x| / quantum) * 2**R) of finite float32 values, in integers (0 elsewhere).

    quantum = 2**(max(floor(log2|x|), emin) - M); |x| = sig * 2**(e - 23) with a 24-bit integer sig.
    """
    u = x.view(np.uint32).astype(np.int64)
    e_field = (u >> 23) & 0xFF
    sig = np.where(e_field > 0, (u & 0x7FFFFF) | 0x800000, u & 0x7FFFFF)
    e = np.maximum(e_field, 1) - 127  # x = sig * 2**(e - 23)
    log2 = np.where(sig > 0, e - 24 + bit_length(sig.astype(np.uint64)).astype(np.int64), fmt.emin)
    # bits of sig below the quantum: d = (max(log2, emin) - M) - (e - 23)
    d = np.maximum(log2, fmt.emin) - fmt.man_bits - (e - 23)
    below = np.clip(d, 0, 62)
    frac = sig & ((np.int64(1) << below) - 1)  # frac / 2**d is the discarded fraction
    shift = below - SR_BITS
    t = np.where(shift >= 0, frac >> np.clip(shift, 0, 62), frac << np.clip(-shift, 0, 62))
    return np.where(np.isfinite(x) & (d > 0), t, 0)


@dataclasses.dataclass(frozen=True)
class SrSweep:
    """Every float16 and bfloat16 code x every 8-bit random word, sr into ``fmt``.

    Index = (input type << 24) | (code << 8) | r, input types in :data:`SR_DTYPES` order.
    """

    fmt: Format
    saturate: bool

    op = "sr"
    size = len(SR_DTYPES) << 24
    chunk = 1 << 24

    @property
    def key(self) -> str:
        return f"sr-{self.fmt.name}-sat{int(self.saturate)}"

    @property
    def args(self) -> str:
        return f"--op sr --config {self.fmt.name} --sat {int(self.saturate)}"

    def describe(self, index: int) -> str:
        dtype = SR_DTYPES[index >> 24]
        code, r = (index >> 8) & 0xFFFF, index & 0xFF
        x = np.uint16(code).view(getattr(ml_dtypes, dtype) if dtype == "bfloat16" else np.float16)
        return (f"{dtype} 0x{code:04X} ({float(x)!r}) -> {self.fmt.name} sr sr_bits={SR_BITS} rand={r} "
                f"sat={int(self.saturate)}")

    def check(self, start: int, count: int) -> tuple[int, list[Mismatch]]:
        """Check indices [start, start + count) (a whole input type proves r = 0 and 2**R - 1 first)."""
        checked, found = 0, []
        for t_idx in range(start >> 24, ((start + count - 1) >> 24) + 1):
            lo, hi = max(start, t_idx << 24), min(start + count, (t_idx + 1) << 24)
            n, bad = self._check_type(t_idx, lo, hi)
            checked += n
            found += bad
        return checked, found

    def _check_type(self, t_idx: int, lo: int, hi: int) -> tuple[int, list[Mismatch]]:
        dtype = np.dtype(ml_dtypes.bfloat16) if SR_DTYPES[t_idx] == "bfloat16" else np.dtype(np.float16)
        codes16 = np.arange(1 << 16, dtype=np.uint16)
        with np.errstate(invalid="ignore"):
            x = codes16.view(dtype).astype(np.float32)
        live = np.ones(x.size, bool) if self.fmt.has_nan else ~np.isnan(x)
        top = (1 << SR_BITS) - 1
        found: list[Mismatch] = []
        # r = 0 and r = 2**R - 1: monotone in the magnitude, proved by the run argument
        ends_codes = {}
        for r in (0, top):
            xs = x[live]
            got = encode(xs, self.fmt, rounding="sr", sr_bits=SR_BITS, rand=np.full(xs.size, r, np.uint8),
                         saturate=self.saturate).astype(np.int64)
            cuts = np.searchsorted(codes16[live], np.array([0x8000, 0x7C01 if dtype == np.float16 else 0x7F81,
                                                            0xFC01 if dtype == np.float16 else 0xFF81]))
            ends = _run_ends(got.astype(np.uint8) if self.fmt.bits <= 8 else got, cuts.astype(np.int64))
            want = _oracle_codes(xs[ends], self.fmt, RoundingMode.SR, self.saturate, sr_bits=SR_BITS, rand=r)
            for j in np.flatnonzero(got[ends] != want):
                code = int(codes16[live][ends[j]])
                found.append(Mismatch((t_idx << 24) | (code << 8) | r, int(got[ends[j]]), int(want[j])))
            full = np.zeros(x.size, np.int64)
            full[live] = got
            ends_codes[r] = full
        # every word: trunc unless t + r >= 2**R
        idx = np.arange(lo, hi, dtype=np.int64)
        code = (idx >> 8) & 0xFFFF
        r = idx & top
        t = _sr_t(x, self.fmt)[code]
        want = np.where(t + r > top, ends_codes[top][code], ends_codes[0][code])
        sel = live[code]
        idx, code, r, want = idx[sel], code[sel], r[sel], want[sel]
        got = encode(x[code], self.fmt, rounding="sr", sr_bits=SR_BITS, rand=r.astype(np.uint8),
                     saturate=self.saturate).astype(np.int64)
        bad = np.flatnonzero(got != want)
        found += [Mismatch(int(idx[j]), int(got[j]), int(want[j])) for j in bad]
        return idx.size, found


def encode_formats() -> list[Format]:
    """The registered 8-bit formats (``--config all`` of encode and sr)."""
    from refmodel import registered_formats

    return [f for f in registered_formats() if f.bits == 8]


def model_sweeps(op: str, config: str, modes: list[RoundingMode], sats: list[bool]):
    """The sweeps of ``--op encode|sr`` for a format name (or ``all``), modes and saturation settings."""
    fmts = encode_formats() if config == "all" else [get_format(name) for name in config.split(",")]
    if op == "sr":
        return [SrSweep(f, s) for f in fmts for s in sats]
    det = [m for m in modes if m is not RoundingMode.SR]
    return [EncodeSweep(f, m, s) for f in fmts for m in det for s in sats]
