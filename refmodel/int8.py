"""INT8 multiply-accumulate: the reference for the RTL's ``int8_mac``.

Semantics (spec-notes section 4, "INT8 MAC"): ``acc + a * b`` with ``a`` and
``b`` signed 8-bit integers (``-128 .. 127``) and ``acc`` a signed 32-bit
accumulator (``-2**31 .. 2**31 - 1``). The product (at most ``2**14`` in
magnitude) and the sum are exact before the result is fitted back into 32
bits:

- wrap-around (the default): the result is the exact sum reduced modulo
  ``2**32`` into ``[-2**31, 2**31 - 1]``, i.e. two's-complement wrap, as a 32-bit
  adder without overflow logic gives;
- saturating (``saturate=True``): an exact sum above ``2**31 - 1`` gives
  ``2**31 - 1`` and one below ``-2**31`` gives ``-2**31``.

In both modes the overflow flag of a MAC is set exactly when the exact sum
lies outside ``[-2**31, 2**31 - 1]``. The accumulator register
(:func:`int8_mac_stream`) applies one MAC per accepted ``(a, b)`` pair and
keeps the overflow flag sticky since the last clear.

The fast paths compute in int64, where every intermediate is exact, so numpy
never overflows or warns. :func:`int8_mac_reference` and
:func:`int8_mac_stream_reference` are the slow, obviously-correct definitions
in plain Python integers, used by the tests.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "ACC_MAX",
    "ACC_MIN",
    "INT8_MAX",
    "INT8_MIN",
    "Int8MacResult",
    "int8_mac",
    "int8_mac_reference",
    "int8_mac_stream",
    "int8_mac_stream_reference",
]

INT8_MIN = -(1 << 7)
INT8_MAX = (1 << 7) - 1
ACC_MIN = -(1 << 31)
ACC_MAX = (1 << 31) - 1

_I64 = np.int64


class Int8MacResult(NamedTuple):
    """The result of :func:`int8_mac` or :func:`int8_mac_stream`.

    Attributes:
        acc: the new accumulator value(s), int32.
        overflow: bool, True where the exact result did not fit in int32
            (sticky along the last axis for :func:`int8_mac_stream`).
    """

    acc: np.ndarray
    overflow: np.ndarray


def _check_range(x: ArrayLike, name: str, lo: int, hi: int, kind: str) -> np.ndarray:
    """``x`` as an int64 array.

    Raises TypeError unless ``x`` is integer-typed, ValueError naming the first
    value outside ``[lo, hi]`` and its index.
    """
    arr = np.asarray(x)
    if arr.size == 0 and arr.dtype.kind in "iufO":
        return arr.astype(_I64)  # nothing to check; [] comes in as float64
    if arr.dtype == object and all(
        isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in arr.flat
    ):
        # Python ints too wide for int64 (e.g. 2**70): check them exactly, as Python ints
        flat = [int(v) for v in arr.flat]
        bad_flat = np.array([not lo <= v <= hi for v in flat], dtype=bool).reshape(arr.shape)
        if not bad_flat.any():
            return np.array(flat, dtype=_I64).reshape(arr.shape)
        arr = np.array(flat, dtype=object).reshape(arr.shape)
        bad = bad_flat
    elif arr.dtype.kind not in "iu":
        raise TypeError(
            f"{name} must hold integers ({kind}, {lo} .. {hi}); got dtype {arr.dtype}"
        )
    else:
        bad = (arr < lo) | (arr > hi)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        where = f"[{', '.join(str(int(i)) for i in np.unravel_index(first, arr.shape))}]"
        value = int(arr.reshape(-1)[first])
        raise ValueError(
            f"{name}{where if arr.ndim else ''} = {value} is outside the {kind} range "
            f"[{lo}, {hi}]"
        )
    return arr.astype(_I64)


def _check_saturate(saturate: object) -> bool:
    if not isinstance(saturate, (bool, np.bool_)):
        raise TypeError(f"saturate must be a bool, got {saturate!r}")
    return bool(saturate)


def _fit(exact: np.ndarray, saturate: bool) -> Int8MacResult:
    """Fit exact int64 sums into int32 by wrapping or saturating; flag the ones that did not fit."""
    overflow = (exact < ACC_MIN) | (exact > ACC_MAX)
    if saturate:
        fitted = np.clip(exact, ACC_MIN, ACC_MAX)
    else:
        # (x + 2**31) mod 2**32 - 2**31: two's-complement wrap, all in int64
        fitted = ((exact - ACC_MIN) & _I64(0xFFFFFFFF)) + ACC_MIN
    return Int8MacResult(np.asarray(fitted).astype(np.int32), np.asarray(overflow).astype(bool))


def int8_mac(
    a: ArrayLike, b: ArrayLike, acc: ArrayLike, *, saturate: bool = False
) -> Int8MacResult:
    """One INT8 MAC per element: ``acc + a * b``, with numpy broadcasting.

    Args:
        a: int8 values, any integer dtype (or Python ints) in ``[-128, 127]``.
        b: int8 values, as ``a``.
        acc: int32 accumulator values, any integer dtype in
            ``[-2**31, 2**31 - 1]``.
        saturate: False (default) wraps the exact sum modulo ``2**32`` into
            int32 (two's complement); True clamps it to ``[-2**31, 2**31 - 1]``.

    Returns:
        ``Int8MacResult(acc, overflow)`` of the broadcast shape of ``a``, ``b``
        and ``acc`` (0-d for scalar inputs): ``acc`` int32, ``overflow`` bool,
        True where the exact ``acc + a * b`` lies outside int32 (the wrapped or
        clamped value was delivered instead).

    Raises:
        TypeError: an input is not integer-typed (floats and bools are refused),
            or ``saturate`` is not a bool.
        ValueError: a value of ``a``/``b`` is outside ``[-128, 127]`` or of
            ``acc`` outside int32 (the message names the first one and its
            index), or the shapes do not broadcast.
    """
    sat = _check_saturate(saturate)
    a64 = _check_range(a, "a", INT8_MIN, INT8_MAX, "int8")
    b64 = _check_range(b, "b", INT8_MIN, INT8_MAX, "int8")
    acc64 = _check_range(acc, "acc", ACC_MIN, ACC_MAX, "int32")
    return _fit(acc64 + a64 * b64, sat)


def int8_mac_stream(
    a: ArrayLike, b: ArrayLike, *, acc_init: ArrayLike = 0, saturate: bool = False
) -> Int8MacResult:
    """Run the accumulator register over ``K`` pairs along the last axis.

    With ``acc_{-1} = acc_init``, step ``k`` computes
    ``acc_k = int8_mac(a[..., k], b[..., k], acc_{k-1})`` exactly as the
    register does, one accepted pair at a time, in the chosen mode. Every
    intermediate accumulator is returned.

    Wrap mode is vectorised: ``acc_k`` equals the exact prefix sum
    ``S_k = acc_init + sum_{i<=k} a_i * b_i`` (int64, exact) wrapped into int32,
    because wrapping is reduction modulo ``2**32``, which commutes with
    addition (by induction: ``acc_{k-1} = S_{k-1} mod 2**32`` gives
    ``acc_{k-1} + p_k = S_k mod 2**32``). Step ``k`` overflows when
    ``acc_{k-1} + a_k * b_k`` (with the wrapped ``acc_{k-1}``) leaves int32.
    Saturating mode depends on the order, so it loops over ``K`` and is
    vectorised over the leading axes.

    Args:
        a: int8 values of shape ``(..., K)``, ``K >= 0``, in ``[-128, 127]``.
        b: int8 values, broadcastable with ``a``.
        acc_init: the accumulator after clear, int32 values broadcastable to
            the leading shape ``(...)`` of the broadcast ``a``/``b`` (default 0).
        saturate: False wraps (two's complement), True clamps, per step.

    Returns:
        ``Int8MacResult(acc, overflow)``, both of shape ``(..., K)``:
        ``acc[..., k]`` is the int32 accumulator after step ``k`` and
        ``overflow[..., k]`` is True iff any step ``0 .. k`` overflowed
        (sticky flag since the clear).

    Raises:
        TypeError: an input is not integer-typed, or ``saturate`` is not a bool.
        ValueError: a value is out of range (the message names the first one),
            ``a``/``b`` broadcast to a 0-d shape, or the shapes do not broadcast.
    """
    sat = _check_saturate(saturate)
    a64 = _check_range(a, "a", INT8_MIN, INT8_MAX, "int8")
    b64 = _check_range(b, "b", INT8_MIN, INT8_MAX, "int8")
    init64 = _check_range(acc_init, "acc_init", ACC_MIN, ACC_MAX, "int32")
    prod = a64 * b64
    if prod.ndim == 0:
        raise ValueError("a and b must have at least one axis (..., K); got 0-d inputs")
    lead = prod.shape[:-1]
    try:
        init64 = np.broadcast_to(init64, lead)
    except ValueError:
        raise ValueError(
            f"acc_init of shape {init64.shape} does not broadcast to the leading shape {lead} "
            f"of a and b"
        ) from None
    k = prod.shape[-1]
    acc = np.empty(prod.shape, dtype=np.int32)
    if k == 0:
        return Int8MacResult(acc, np.zeros(prod.shape, dtype=bool))
    if sat:
        # order-dependent: one register update per step, vectorised over the leading axes
        # (steps first, so that each step reads and writes contiguous memory)
        prod_by_step = np.ascontiguousarray(np.moveaxis(prod, -1, 0))
        acc_by_step = np.empty(prod_by_step.shape, dtype=np.int32)
        current = np.array(init64, dtype=_I64)
        for i in range(k):
            current += prod_by_step[i]
            np.minimum(current, ACC_MAX, out=current)
            np.maximum(current, ACC_MIN, out=current)
            acc_by_step[i] = current
        acc[...] = np.moveaxis(acc_by_step, 0, -1)
    else:
        # |S_k| <= 2**31 + K * 2**14: exact in int64 for any K numpy can hold
        exact_prefix = np.cumsum(prod, axis=-1) + init64[..., None]
        acc[...] = _fit(exact_prefix, False).acc
    # step k overflowed iff acc_{k-1} + a_k * b_k (exact, from the delivered acc_{k-1}) left int32
    previous = np.concatenate([init64[..., None], acc[..., :-1].astype(_I64)], axis=-1)
    exact_step = previous + prod
    step_overflow = (exact_step < ACC_MIN) | (exact_step > ACC_MAX)
    return Int8MacResult(acc, np.logical_or.accumulate(step_overflow, axis=-1))


# ----------------------------------------------------------------------------
# slow references (plain Python ints), for the tests


def int8_mac_reference(a: int, b: int, acc: int, saturate: bool = False) -> tuple[int, bool]:
    """Slow scalar reference for :func:`int8_mac`, in plain Python integers.

    Args:
        a: an int in ``[-128, 127]``.
        b: an int in ``[-128, 127]``.
        acc: an int in ``[-2**31, 2**31 - 1]``.
        saturate: clamp instead of wrapping.

    Returns:
        ``(result, overflow)``: the int32 result and whether the exact
        ``acc + a * b`` was outside int32.

    Raises:
        ValueError: an argument is out of its range.
    """
    for name, value, lo, hi in (
        ("a", a, INT8_MIN, INT8_MAX),
        ("b", b, INT8_MIN, INT8_MAX),
        ("acc", acc, ACC_MIN, ACC_MAX),
    ):
        if not lo <= value <= hi:
            raise ValueError(f"{name} = {value} is outside [{lo}, {hi}]")
    exact = int(acc) + int(a) * int(b)
    overflow = not ACC_MIN <= exact <= ACC_MAX
    if saturate:
        result = min(max(exact, ACC_MIN), ACC_MAX)
    else:
        result = exact % (1 << 32)
        if result >= 1 << 31:
            result -= 1 << 32
    return result, overflow


def int8_mac_stream_reference(
    a: list[int], b: list[int], acc_init: int = 0, saturate: bool = False
) -> tuple[list[int], list[bool]]:
    """Slow reference for one row of :func:`int8_mac_stream`: a literal register loop.

    Args:
        a: the ``K`` int8 values, as Python ints.
        b: the ``K`` int8 values, as Python ints.
        acc_init: the accumulator after clear.
        saturate: clamp instead of wrapping.

    Returns:
        ``(accs, flags)``: the accumulator after each step and the sticky
        overflow flag after each step.

    Raises:
        ValueError: ``a`` and ``b`` differ in length, or a value is out of range.
    """
    if len(a) != len(b):
        raise ValueError(f"a and b must have the same length, got {len(a)} and {len(b)}")
    acc, sticky = int(acc_init), False
    accs, flags = [], []
    for x, y in zip(a, b):
        acc, overflow = int8_mac_reference(int(x), int(y), acc, saturate)
        sticky = sticky or overflow
        accs.append(acc)
        flags.append(sticky)
    return accs, flags
