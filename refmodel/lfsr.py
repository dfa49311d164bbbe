"""The 32-bit leap-forward Galois LFSR: the stochastic-rounding random source.

This is the one random source shared by the golden model and the RTL
(spec-notes section 3). The register is a right-shifting Galois LFSR with the
maximal-length polynomial ``x^32 + x^22 + x^2 + x + 1``; one single step is::

    step(s) = (s >> 1) ^ (POLY if s & 1 else 0)        # POLY = 0x80200003

It is used **leap-forward**: every accepted operation advances the state by
``LEAP = 32`` single steps (one clock through a fixed XOR network in RTL), so
consecutive operations see non-overlapping 32-bit words. Operation ``k``
(``k = 0, 1, ...`` from reset or clear) uses the state after ``32 * k`` single
steps; operation 0 uses the seed itself. Stochastic rounding with ``R`` random
bits takes the low ``R`` bits of that word (:func:`draws`).

Reference values (spec-notes section 3): seed 1 gives the words
``0x00000001, 0x8A0F3DB5, 0x90BD2FA6, 0x44C38D95`` for operations 0 to 3.

How the fast path works. A step is linear over GF(2): ``step(x ^ y) ==
step(x) ^ step(y)``. So any power of it, including one leap, is a 32 x 32 bit
matrix, stored here as its 32 columns (the images of ``1 << i``) and applied
through four 256-entry uint32 tables, one per byte of the state, whose
lookups are XORed together. :func:`words` fills its output by doubling:
``states[0] = seed`` and, for ``j = 1, 2, 4, ...``,
``states[j:2j] = Leap**j(states[0:j])``, where the tables of ``Leap**(2j)`` come
from those of ``Leap**j`` by squaring. The cost is ``O(n)`` table lookups in
numpy plus ``O(log n)`` tiny squarings; nothing loops ``32 * n`` times in
Python. :func:`words_reference` is the slow, literal definition that the
tests compare it with.

The state zero is the LFSR's lock-up state (it maps to itself and is never
reached from a non-zero state), so seeds and states must be non-zero.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = [
    "LEAP",
    "MAX_COUNT",
    "POLY",
    "Lfsr32",
    "advance",
    "check_seed",
    "draws",
    "leap",
    "step",
    "words",
    "words_reference",
]

POLY = 0x80200003
"""Galois feedback mask of ``x^32 + x^22 + x^2 + x + 1`` for a right shift."""

LEAP = 32
"""Single steps per operation (leap-forward distance)."""

_MASK32 = 0xFFFFFFFF

MAX_COUNT = 1 << 30
"""The most words or draws one call returns (4 GiB of uint32; the walk needs about twice that)."""


# ----------------------------------------------------------------------------
# validation


def _check_int(value: object, name: str) -> int:
    """``value`` as a Python int; TypeError unless it is a (numpy) integer, not a bool."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {value!r} of type {type(value).__name__}")
    return int(value)


def _check_state(value: object, name: str = "seed") -> int:
    """A valid LFSR state: an integer with ``0 < value < 2**32``."""
    state = _check_int(value, name)
    if not 0 < state <= _MASK32:
        raise ValueError(
            f"{name} must be a non-zero 32-bit value, 1 <= {name} <= 2**32 - 1 "
            f"(0x1 .. 0xFFFFFFFF); got {state}"
        )
    return state


def check_seed(value: object, name: str = "seed") -> int:
    """A valid LFSR seed as an int: an integer (not a bool) with ``1 <= value <= 2**32 - 1``.

    Raises:
        TypeError: not an integer (2.5, "3", True...), named.
        ValueError: 0 or wider than 32 bits, named.
    """
    return _check_state(value, name)


def _check_count(value: object, name: str = "n", most: int | None = MAX_COUNT) -> int:
    """A count in ``0...most`` (words returned: ``MAX_COUNT``; ``None``: no upper bound)."""
    count = _check_int(value, name)
    if count < 0:
        raise ValueError(f"{name} must be >= 0, got {count}")
    if most is not None and count > most:
        raise ValueError(f"{name} must be at most {most} (2**30 words, 4 GiB), got {count}")
    return count


def _check_r_bits(value: object) -> int:
    """A draw width: an integer in 1..32."""
    r_bits = _check_int(value, "r_bits")
    if not 1 <= r_bits <= 32:
        raise ValueError(f"r_bits must be in 1..32, got {r_bits}")
    return r_bits


# ----------------------------------------------------------------------------
# single step and the GF(2) linear-map machinery


def _step_raw(state: int) -> int:
    """One single step, no validation (also defined for 0, which it fixes)."""
    return (state >> 1) ^ (POLY if state & 1 else 0)


def step(state: int) -> int:
    """Advance the LFSR by one single step.

    Args:
        state: the current state, an integer with ``1 <= state <= 2**32 - 1``.

    Returns:
        ``(state >> 1) ^ (POLY if state & 1 else 0)``, again non-zero and 32 bits.

    Raises:
        TypeError: ``state`` is not an integer (bools are refused too).
        ValueError: ``state`` is 0 or does not fit in 32 bits.
    """
    return _step_raw(_check_state(state, "state"))


def leap(state: int) -> int:
    """Advance the LFSR by one operation: ``LEAP = 32`` single steps.

    Args:
        state: the current state, an integer with ``1 <= state <= 2**32 - 1``.

    Returns:
        ``step`` applied 32 times: the word the next operation uses.

    Raises:
        TypeError: ``state`` is not an integer.
        ValueError: ``state`` is 0 or does not fit in 32 bits.
    """
    return _apply_scalar(_step_power_tables(LEAP.bit_length() - 1), _check_state(state, "state"))


def _tables_from_columns(columns: np.ndarray) -> np.ndarray:
    """Four 256-entry byte tables of the GF(2) map whose ``i``-th column is ``columns[i]``.

    ``tables[b][v]`` is the XOR of ``columns[8*b + i]`` over the set bits ``i`` of ``v``,
    so the map sends ``x`` to the XOR over ``b`` of ``tables[b][(x >> 8*b) & 0xFF]``.
    """
    values = np.arange(256, dtype=np.uint32)
    tables = np.zeros((4, 256), dtype=np.uint32)
    for byte in range(4):
        for bit in range(8):
            has_bit = (values >> np.uint32(bit)) & np.uint32(1) != 0
            tables[byte, has_bit] ^= columns[8 * byte + bit]
    return tables


def _apply(tables: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Apply the tabulated GF(2) map to every element of a uint32 array."""
    out = tables[0][x & np.uint32(0xFF)]
    out ^= tables[1][(x >> np.uint32(8)) & np.uint32(0xFF)]
    out ^= tables[2][(x >> np.uint32(16)) & np.uint32(0xFF)]
    out ^= tables[3][x >> np.uint32(24)]
    return out


def _apply_scalar(tables: np.ndarray, x: int) -> int:
    """Apply the tabulated GF(2) map to one Python int."""
    return int(
        tables[0][x & 0xFF]
        ^ tables[1][(x >> 8) & 0xFF]
        ^ tables[2][(x >> 16) & 0xFF]
        ^ tables[3][x >> 24]
    )


@functools.cache
def _step_power_tables(i: int) -> np.ndarray:
    """Byte tables of ``step**(2**i)`` (so ``i = 5`` is one leap), built by squaring."""
    if i == 0:
        columns = np.array([_step_raw(1 << bit) for bit in range(32)], dtype=np.uint32)
    else:
        half = _step_power_tables(i - 1)
        # the columns of M**2 are M applied to the columns of M
        columns = _apply(half, _apply(half, np.uint32(1) << np.arange(32, dtype=np.uint32)))
    tables = _tables_from_columns(columns)
    tables.setflags(write=False)
    return tables


def _leap_power_tables(i: int) -> np.ndarray:
    """Byte tables of ``Leap**(2**i)`` = ``step**(32 * 2**i)``."""
    return _step_power_tables(i + LEAP.bit_length() - 1)


def _orbit(start: int, n: int, power_tables) -> np.ndarray:
    """``[x, M x, M**2 x, ..., M**(n-1) x]`` as uint32, by doubling.

    ``power_tables(i)`` must return the byte tables of ``M**(2**i)``.
    """
    out = np.empty(n, dtype=np.uint32)
    if n == 0:
        return out
    out[0] = start
    filled, i = 1, 0
    while filled < n:
        count = min(filled, n - filled)
        out[filled : filled + count] = _apply(power_tables(i), out[:count])
        filled += count
        i += 1
    return out


def advance(state: int, steps: int) -> int:
    """The state after ``steps`` single steps, in ``O(log steps)`` table look-ups.

    ``advance(s, 32 * k)`` is the word of operation ``k`` for seed ``s``, so this
    is also a jump-ahead to any operation without generating the ones before it.

    Args:
        state: the starting state, ``1 <= state <= 2**32 - 1``.
        steps: how many single steps to take, ``>= 0`` (not reduced modulo the
            period, so the tests can use it to prove the period).

    Returns:
        ``step`` applied ``steps`` times to ``state``.

    Raises:
        TypeError: ``state`` or ``steps`` is not an integer.
        ValueError: ``state`` is 0 or wider than 32 bits, or ``steps`` is negative.
    """
    x = _check_state(state, "state")
    remaining = _check_count(steps, "steps", most=None)
    i = 0
    while remaining:
        if remaining & 1:
            x = _apply_scalar(_step_power_tables(i), x)
        remaining >>= 1
        i += 1
    return x


# ----------------------------------------------------------------------------
# public generators


def words(seed: int, n: int) -> np.ndarray:
    """The LFSR words used by operations ``0 .. n-1`` (vectorised).

    Element ``k`` is the state after ``32 * k`` single steps from ``seed``;
    element 0 is ``seed`` itself. Equal to :func:`words_reference` for every
    seed and ``n``; about ``n`` numpy table look-ups (four per word), no Python
    loop of length ``n``.

    Args:
        seed: the LFSR seed, ``1 <= seed <= 2**32 - 1``.
        n: how many words, ``>= 0``.

    Returns:
        A uint32 array of shape ``(n,)``.

    Raises:
        TypeError: ``seed`` or ``n`` is not an integer.
        ValueError: ``seed`` is 0 or wider than 32 bits, or ``n`` is negative or above ``MAX_COUNT``.
    """
    start = _check_state(seed)
    return _orbit(start, _check_count(n), _leap_power_tables)


def draws(seed: int, n: int, r_bits: int) -> np.ndarray:
    """The stochastic-rounding random integers of operations ``0 .. n-1``.

    ``draws(seed, n, R)[k] == words(seed, n)[k] & (2**R - 1)``: the low ``R``
    bits of operation ``k``'s word, the ``rand`` input of stochastic rounding
    with ``R`` random bits.

    Args:
        seed: the LFSR seed, ``1 <= seed <= 2**32 - 1``.
        n: how many draws, ``>= 0``.
        r_bits: bits per draw, ``1 <= r_bits <= 32``.

    Returns:
        A uint32 array of shape ``(n,)`` with values in ``[0, 2**r_bits)``.

    Raises:
        TypeError: an argument is not an integer.
        ValueError: ``seed`` is 0 or wider than 32 bits, ``n`` is negative or above ``MAX_COUNT``, or
            ``r_bits`` is outside 1..32.
    """
    r_bits = _check_r_bits(r_bits)
    out = words(seed, n)
    out &= np.uint32((1 << r_bits) - 1)
    return out


def words_reference(seed: int, n: int) -> np.ndarray:
    """Slow reference for :func:`words`: literally ``step`` 32 times per operation.

    Obviously correct and ``O(32 * n)`` Python operations; meant for the tests,
    not for use.

    Args:
        seed: the LFSR seed, ``1 <= seed <= 2**32 - 1``.
        n: how many words, ``>= 0``.

    Returns:
        A uint32 array of shape ``(n,)``, element ``k`` the state after
        ``32 * k`` single steps.

    Raises:
        TypeError: ``seed`` or ``n`` is not an integer.
        ValueError: ``seed`` is 0 or wider than 32 bits, or ``n`` is negative or above ``MAX_COUNT``.
    """
    state = _check_state(seed)
    out = []
    for _ in range(_check_count(n)):
        out.append(state)
        for _ in range(LEAP):
            state = step(state)
    return np.array(out, dtype=np.uint32)


class Lfsr32:
    """A streaming leap-forward LFSR: the register as the RTL holds it.

    ``state`` is the word the next operation uses. Taking words in pieces gives
    the same stream as one call to :func:`words`::

        g = Lfsr32(seed)
        g.words(a), g.next_word(), g.words(b)   # == words(seed, a + 1 + b), split

    Args:
        seed: the reset value, ``1 <= seed <= 2**32 - 1``.

    Raises:
        TypeError: ``seed`` is not an integer.
        ValueError: ``seed`` is 0 or wider than 32 bits.
    """

    def __init__(self, seed: int) -> None:
        self._seed = _check_state(seed)
        self._state = self._seed

    @property
    def seed(self) -> int:
        """The reset value given to the constructor."""
        return self._seed

    @property
    def state(self) -> int:
        """The current state: the word the next operation will use."""
        return self._state

    def reset(self) -> None:
        """Return to the seed, as the RTL's reset or clear does (operation 0 next)."""
        self._state = self._seed

    def next_word(self) -> int:
        """Return the current word, then leap the state by one operation (32 steps)."""
        word = self._state
        self._state = leap(word)
        return word

    def words(self, n: int) -> np.ndarray:
        """The next ``n`` words as uint32 (see :func:`words`); the state advances ``n`` operations.

        Raises:
            TypeError: ``n`` is not an integer.
            ValueError: ``n`` is negative or above ``MAX_COUNT``.
        """
        out = words(self._state, n)
        if out.size:
            self._state = leap(int(out[-1]))
        return out

    def draws(self, n: int, r_bits: int) -> np.ndarray:
        """The low ``r_bits`` of the next ``n`` words as uint32 (see :func:`draws`).

        Raises:
            TypeError: an argument is not an integer.
            ValueError: ``n`` is negative or above ``MAX_COUNT``, or ``r_bits`` is outside 1..32.
        """
        r_bits = _check_r_bits(r_bits)
        out = self.words(n)
        out &= np.uint32((1 << r_bits) - 1)
        return out

    def __repr__(self) -> str:
        return f"Lfsr32(seed=0x{self._seed:08X}, state=0x{self._state:08X})"
