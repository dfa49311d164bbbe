"""Format and bias search (Kuzmin et al., "FP8 Quantization: The Power of the Exponent", NeurIPS 2022):
which ExMy split, and which exponent bias, quantise a tensor best."""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ..codec import decode, encode
from ..encodings import Specials
from ..formats import Format, get_format, registered_formats
from ._inputs import _as_float32, _check_finite
from .metrics import _sqnr_from_sums

__all__ = ["DEFAULT_BIAS_OFFSETS", "DEFAULT_FAMILIES", "SearchRow", "default_search_formats", "format_search"]

DEFAULT_FAMILIES: tuple[tuple[int, int], ...] = ((2, 5), (3, 4), (4, 3), (5, 2))
"""IEEE-style 8-bit (E, M) families whose bias :func:`format_search` searches by default."""
DEFAULT_BIAS_OFFSETS: tuple[int, ...] = tuple(range(-12, 13))
"""Biases tried per family, as offsets from the IEEE default bias ``2**(E-1) - 1``."""


@dataclasses.dataclass(frozen=True)
class SearchRow:
    """One format's result in :func:`format_search`.

    Attributes:
        format: registered name, or ``"eXmY"`` for a searched IEEE-style family.
        bits: code width.
        bias: the format's bias, or the best one found for a family.
        mse: mean squared error of the rne/saturating round trip, float64.
        sqnr_db: ``10 * log10(sum x**2 / sum err**2)``; inf when the round trip is exact.
        winner: the highest SQNR of the search (exactly one row).
        searched: whether the bias was searched (a family) or fixed (a registered format).
        fmt: the Format evaluated (for a family, the one with the best bias).
    """

    format: str
    bits: int
    bias: int
    mse: float
    sqnr_db: float
    winner: bool
    searched: bool
    fmt: Format


def default_search_formats() -> list[Format | tuple[int, int]]:
    """Every signed registered format of <= 8 bits (not the scales E8M0, UE5M3), then the default families."""
    fixed: list[Format | tuple[int, int]] = [f for f in registered_formats() if f.bits <= 8 and f.signed]
    return fixed + list(DEFAULT_FAMILIES)


def _noise(x32: np.ndarray, x64: np.ndarray, fmt: Format) -> float:
    """``sum (decode(encode(x, fmt, rne, SAT)) - x)**2`` in float64 (``x64`` is ``x32`` widened)."""
    err = decode(encode(x32, fmt, rounding="rne", saturate=True), fmt, np.float64) - x64
    return float(np.sum(err * err))


def _parse_search_entry(entry: Any) -> Format | tuple[int, int]:
    if isinstance(entry, tuple):
        if len(entry) != 2 or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in entry):
            raise ValueError(f"a searched family is a tuple (E, M) of two integers, got {entry!r}")
        e, m = int(entry[0]), int(entry[1])
        Format.custom(e, m, specials="ieee")  # raises ValueError for impossible shapes
        return (e, m)
    if isinstance(entry, (str, Format)):
        fmt = get_format(entry)
        if fmt.bits > 16 or fmt.specials is Specials.SCALE:
            raise ValueError(
                f"format_search takes signed formats of at most 16 bits, not {fmt.name}; "
                "allowed: e.g. " + ", ".join(f.name for f in registered_formats() if f.bits <= 8
                                             and f.specials is not Specials.SCALE)
            )
        return fmt
    raise TypeError(f"a search entry is a format name, a Format or an (E, M) tuple, got {entry!r}")


def format_search(
    x: Any,
    formats: Sequence[str | Format | tuple[int, int]] | None = None,
    biases: Iterable[int] | None = None,
) -> list[SearchRow]:
    """Which format, and which exponent bias, quantise ``x`` best (Kuzmin et al., NeurIPS 2022).

    Following "FP8 Quantization: The Power of the Exponent", each candidate
    is scored by the MSE of the round trip
    ``decode(encode(np.float32(x), fmt, rounding="rne", saturate=True), fmt)``
    against ``np.float32(x)``, the error computed and summed in float64.
    There is no tensor scale: the exponent bias plays its role, and for an
    IEEE-style family (an ``(E, M)`` tuple) every bias
    ``2**(E-1) - 1 + offset`` for ``offset`` in ``biases`` is tried and the
    one with the smallest MSE is kept (ties: the offset nearest 0, then the
    smaller bias).  A registered format (a name or a :class:`Format`) is
    evaluated at its own bias.  ``sqnr_db = 10 * log10(sum x**2 /
    sum err**2)`` (inf for an exact round trip), and the row with the highest
    SQNR is the winner (ties: fewer bits, then the earlier row).

    The default candidates (:func:`default_search_formats`) are every
    registered format of at most 8 bits except ``float8_e8m0fnu`` (scale only),
    then the families E2M5, E3M4, E4M3 and E5M2 (``Format.custom(E, M,
    bias=b, specials="ieee")``) with the default offsets -12...+12
    (:data:`DEFAULT_BIAS_OFFSETS`): 110 candidates.  Each candidate encodes
    the whole array at once.

    Args:
        x: real array-like (floats or integers), any shape, not empty, all
            finite; rounded to float32 (rne) first.
        formats: candidates in the order of the rows: format names,
            :class:`Format` objects (signed, <= 16 bits) or ``(E, M)`` families.
        biases: bias offsets tried per family (integers).

    Returns:
        One :class:`SearchRow` per entry of ``formats``, in order.

    Raises:
        TypeError: non-real ``x``, a bad entry type or a non-integer offset.
        ValueError: empty or non-finite ``x`` (also after the float32
            rounding), an unknown or unsuitable format, an impossible family
            (IEEE-style needs E >= 2 and M >= 1), no offsets.
    """
    x32 = _as_float32(x).reshape(-1)
    if not x32.size:
        raise ValueError("x is empty; format_search needs at least one value")
    _check_finite(x32, "x (as float32)")
    x64 = x32.astype(np.float64)
    signal = float(np.sum(x64 * x64))
    entries = [_parse_search_entry(e) for e in (default_search_formats() if formats is None else formats)]
    if not entries:
        raise ValueError("formats is empty; pass at least one format or (E, M) family")
    offsets = DEFAULT_BIAS_OFFSETS if biases is None else tuple(biases)
    for o in offsets:
        if isinstance(o, (bool, np.bool_)) or not isinstance(o, numbers.Integral):
            raise TypeError(f"bias offsets must be integers, got {o!r}")
    if not offsets:
        raise ValueError("biases is empty; pass at least one bias offset")
    n = x64.size
    results: list[tuple[str, Format, float, bool]] = []  # name, fmt, noise, searched
    for entry in entries:
        if isinstance(entry, Format):
            results.append((entry.name, entry, _noise(x32, x64, entry), False))
            continue
        e, m = entry
        default = (1 << (e - 1)) - 1
        best: tuple[tuple[float, int, int], Format, float] | None = None
        for o in sorted({int(v) for v in offsets}, key=lambda v: (abs(v), v)):
            fmt = Format.custom(e, m, bias=default + o, specials="ieee")
            noise = _noise(x32, x64, fmt)
            key = (noise, abs(o), default + o)
            if best is None or key < best[0]:
                best = (key, fmt, noise)
        assert best is not None
        results.append((f"e{e}m{m}", best[1], best[2], True))
    sqnrs = [_sqnr_from_sums(signal, noise) for _, _, noise, _ in results]
    win = min(range(len(results)), key=lambda i: (-sqnrs[i], results[i][1].bits, i))
    return [
        SearchRow(name, fmt.bits, fmt.bias, noise / n, sqnrs[i], i == win, searched, fmt)
        for i, (name, fmt, noise, searched) in enumerate(results)
    ]
