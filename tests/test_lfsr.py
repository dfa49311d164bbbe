"""The leap-forward LFSR (spec-notes section 3): reference values, fast path vs
the literal reference, streaming, period and the statistics that justify the leap."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from refmodel import lfsr
from refmodel.lfsr import (
    LEAP,
    POLY,
    Lfsr32,
    advance,
    draws,
    leap,
    step,
    words,
    words_reference,
)

SPEC_WORDS_SEED_1 = [0x00000001, 0x8A0F3DB5, 0x90BD2FA6, 0x44C38D95]
SEEDS = [1, 2, 3, 0x80000000, 0xFFFFFFFF, 0xDEADBEEF, 0x12345678, 0xACE1]
MASK32 = (1 << 32) - 1
P_FAIL = 1e-6


# ----------------------------------------------------------------------------
# chi-square upper-tail, exact for integer degrees of freedom (no scipy here)


def _chi2_sf(x: float, dof: int) -> float:
    """P(X > x) for X ~ chi-square(dof), from the closed-form finite series.

    Even dof = 2m:     exp(-x/2) * sum_{i<m} (x/2)**i / i!
    Odd dof = 2m + 1:  erfc(sqrt(x/2)) + sqrt(2/pi) exp(-x/2) * sum_{r=1..m} x**(r-1/2) / (2r-1)!!
    Terms are summed in the log domain so large dof does not underflow.
    """
    if x <= 0:
        return 1.0
    half = x / 2
    logs = []
    if dof % 2 == 0:
        log_term = -half
        for i in range(dof // 2):
            if i:
                log_term += math.log(half) - math.log(i)
            logs.append(log_term)
        base = 0.0
    else:
        log_term = 0.5 * math.log(2 / math.pi) - half + 0.5 * math.log(x)
        for r in range(1, (dof - 1) // 2 + 1):
            if r > 1:
                log_term += math.log(x) - math.log(2 * r - 1)
            logs.append(log_term)
        base = math.erfc(math.sqrt(half))
    if not logs:
        return base
    top = max(logs)
    return base + math.exp(top) * sum(math.exp(v - top) for v in logs)


def _chi2_isf(p: float, dof: int) -> float:
    """The x with P(X > x) = p, by bisection on the exact survival function."""
    lo, hi = 0.0, dof + 50.0 * math.sqrt(2 * dof) + 100.0
    assert _chi2_sf(hi, dof) < p
    for _ in range(200):
        mid = (lo + hi) / 2
        if _chi2_sf(mid, dof) > p:
            lo = mid
        else:
            hi = mid
    return hi


def _chi2_stat(counts: np.ndarray, expected: np.ndarray | float) -> float:
    counts = counts.astype(np.float64)
    return float(np.sum((counts - expected) ** 2 / expected))


@pytest.mark.parametrize(
    ("p", "dof", "want"),
    [
        (0.05, 1, 3.841458820694124),
        (0.05, 2, 5.991464547107979),
        (0.05, 10, 18.307038053275146),
        (1e-6, 1, 23.928126976879934),
        (0.05, 255, 293.2478350),
    ],
)
def test_chi2_helper_matches_tabulated_quantiles(p, dof, want):
    assert _chi2_isf(p, dof) == pytest.approx(want, rel=1e-6)


def test_chi2_helper_even_dof_is_the_exponential_for_two():
    for x in (0.1, 1.0, 7.5, 40.0):
        assert _chi2_sf(x, 2) == pytest.approx(math.exp(-x / 2), rel=1e-12)


# ----------------------------------------------------------------------------
# reference values and the definition


def test_constants():
    assert POLY == 0x80200003
    assert LEAP == 32
    # x^32 + x^22 + x^2 + x + 1: right-shift Galois taps at bits 31, 21, 1, 0
    assert POLY == (1 << 31) | (1 << 21) | (1 << 1) | (1 << 0)


def test_spec_reference_words():
    assert_array_equal(words(1, 4), np.array(SPEC_WORDS_SEED_1, dtype=np.uint32))
    assert_array_equal(words_reference(1, 4), np.array(SPEC_WORDS_SEED_1, dtype=np.uint32))
    assert [leap(w) for w in SPEC_WORDS_SEED_1[:-1]] == SPEC_WORDS_SEED_1[1:]
    g = Lfsr32(1)
    assert [g.next_word() for _ in range(4)] == SPEC_WORDS_SEED_1


def test_step_definition():
    assert step(1) == POLY
    assert step(2) == 1
    assert step(3) == 1 ^ POLY
    assert step(0xFFFFFFFF) == 0x7FFFFFFF ^ POLY
    assert step(0x80000000) == 0x40000000


def test_leap_is_32_steps():
    for seed in SEEDS:
        s = seed
        for _ in range(32):
            s = step(s)
        assert leap(seed) == s


def test_words_dtype_and_shape():
    w = words(7, 10)
    assert w.dtype == np.uint32
    assert w.shape == (10,)
    assert words(7, 0).shape == (0,)
    assert words(7, 0).dtype == np.uint32
    assert words(7, 1)[0] == 7


@pytest.mark.parametrize("seed", SEEDS, ids=hex)
def test_vectorised_equals_reference(seed):
    ref = words_reference(seed, 5000)
    assert ref.dtype == np.uint32
    for n in (1, 2, 3, 4, 5, 7, 8, 9, 31, 32, 33, 63, 64, 65, 1000, 1023, 1024, 1025, 4097, 5000):
        assert_array_equal(words(seed, n), ref[:n], err_msg=f"seed 0x{seed:08X}, n {n}")


def test_words_prefix_stable():
    big = words(0xBEEF, 100_000)
    for n in (1, 2, 17, 65_536, 65_537, 99_999):
        assert_array_equal(words(0xBEEF, n), big[:n])


def test_large_n_against_jump_ahead():
    n = 1_000_003
    w = words(0x1234_5678, n)
    for k in (0, 1, 2, 1023, 1024, 524_287, 524_288, 524_289, 999_999, n - 1):
        assert int(w[k]) == advance(0x1234_5678, 32 * k), k


def test_advance():
    for seed in SEEDS:
        assert advance(seed, 0) == seed
        assert advance(seed, 1) == step(seed)
        assert advance(seed, 32) == leap(seed)
        s = seed
        for i in range(1, 200):
            s = step(s)
            assert advance(seed, i) == s


@pytest.mark.parametrize("r_bits", range(1, 33))
def test_draws_are_low_bits(r_bits):
    w = words(0xC0FFEE, 3000)
    d = draws(0xC0FFEE, 3000, r_bits)
    assert d.dtype == np.uint32
    assert_array_equal(d, w & np.uint32((1 << r_bits) - 1))
    assert int(d.max()) < 1 << r_bits


def test_draws_reference_values():
    # low byte of the spec words
    assert_array_equal(draws(1, 4, 8), np.array([0x01, 0xB5, 0xA6, 0x95], dtype=np.uint32))
    assert_array_equal(draws(1, 4, 1), np.array([1, 1, 0, 1], dtype=np.uint32))


# ----------------------------------------------------------------------------
# streaming


@pytest.mark.parametrize("seed", [1, 0xDEADBEEF])
@pytest.mark.parametrize(
    "pieces",
    [
        [4],
        [0, 0, 1],
        [1, 1, 1, 1],
        [3, "w", 0, 5, "w", "w", 1000, 1],
        ["w", 31, 32, 33, "w", 64],
        [2047, 1, "w", 2049],
    ],
)
def test_stream_equals_words_split_anywhere(seed, pieces):
    g = Lfsr32(seed)
    got = []
    for piece in pieces:
        if piece == "w":
            got.append(g.next_word())
        else:
            chunk = g.words(piece)
            assert chunk.dtype == np.uint32
            got.extend(int(v) for v in chunk)
    total = len(got)
    want = words(seed, total + 1)
    assert got == [int(v) for v in want[:total]]
    assert g.state == int(want[total])


def test_stream_state_reset_and_draws():
    g = Lfsr32(1)
    assert g.seed == 1
    assert g.state == 1
    assert g.next_word() == 1
    assert g.state == SPEC_WORDS_SEED_1[1]
    assert_array_equal(g.draws(3, 8), np.array([0xB5, 0xA6, 0x95], dtype=np.uint32))
    assert g.state == advance(1, 4 * 32)
    g.reset()
    assert g.state == 1
    assert_array_equal(g.words(4), np.array(SPEC_WORDS_SEED_1, dtype=np.uint32))
    assert repr(Lfsr32(1)) == "Lfsr32(seed=0x00000001, state=0x00000001)"


def test_stream_errors_leave_state_unchanged():
    g = Lfsr32(5)
    g.next_word()
    before = g.state
    with pytest.raises(ValueError, match="r_bits"):
        g.draws(10, 0)
    with pytest.raises(ValueError, match="-1"):
        g.words(-1)
    assert g.state == before


# ----------------------------------------------------------------------------
# period facts


def _step_inverse(t: np.ndarray) -> np.ndarray:
    """Undo one step: bit 31 of step(s) is s's bit 0 (POLY has bit 31, s >> 1 has not)."""
    t = t.astype(np.uint64)
    odd = (t >> np.uint64(31)) & np.uint64(1) == 1
    s = np.where(odd, ((t ^ np.uint64(POLY)) << np.uint64(1)) | np.uint64(1), t << np.uint64(1))
    return (s & np.uint64(MASK32)).astype(np.uint32)


def _step_array(s: np.ndarray) -> np.ndarray:
    odd = (s & np.uint32(1)) == 1
    return (s >> np.uint32(1)) ^ np.where(odd, np.uint32(POLY), np.uint32(0))


def _gf2_rank(columns: list[int]) -> int:
    rank, rows = 0, list(columns)
    for bit in range(32):
        pivot = next((r for r in rows if r >> bit & 1), None)
        if pivot is None:
            continue
        rows.remove(pivot)
        rows = [r ^ pivot if r >> bit & 1 else r for r in rows]
        rank += 1
    return rank


def test_step_is_a_bijection():
    rng = np.random.default_rng(11)
    s = np.concatenate(
        [
            rng.integers(1, 1 << 32, size=1 << 20, dtype=np.uint64).astype(np.uint32),
            np.array([1, 2, 3, POLY, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF], dtype=np.uint32),
        ]
    )
    t = _step_array(s)
    assert_array_equal(t[:3], np.array([step(int(v)) for v in s[:3]], dtype=np.uint32))
    assert not np.any(t == 0), "a non-zero state stepped to the lock-up state 0"
    assert_array_equal(_step_inverse(t), s)
    # as a GF(2) matrix: full rank, so only 0 maps to 0
    assert _gf2_rank([step(1 << i) for i in range(32)]) == 32
    assert _gf2_rank([leap(1 << i) for i in range(32)]) == 32


def test_no_early_return_within_2_to_the_20_steps():
    n = (1 << 20) + 1
    orbit = lfsr._orbit(1, n, lfsr._step_power_tables)
    s, head = 1, []
    for _ in range(1000):
        head.append(s)
        s = step(s)
    assert_array_equal(orbit[:1000], np.array(head, dtype=np.uint32))
    assert_array_equal(orbit[1:], _step_array(orbit[:-1]))
    assert not np.any(orbit[1:] == 1)
    assert np.unique(orbit).size == n  # no cycle of any length <= 2**20 through these states


def _prime_factors(n: int) -> list[int]:
    out, p = [], 2
    while p * p <= n:
        while n % p == 0:
            out.append(p)
            n //= p
        p += 1
    if n > 1:
        out.append(n)
    return out


def test_period_is_maximal():
    """Order of seed 1 is exactly 2**32 - 1: M**N x = x and M**(N/p) x != x for each prime p | N.

    Since 1 then has the full period, its orbit is every non-zero state.
    """
    period = (1 << 32) - 1
    primes = _prime_factors(period)
    assert primes == [3, 5, 17, 257, 65537]
    assert advance(1, period) == 1
    for p in primes:
        assert advance(1, period // p) != 1, p
    # the leap-forward stream has the same period, since gcd(32, 2**32 - 1) == 1
    assert math.gcd(LEAP, period) == 1
    assert advance(1, LEAP * period) == 1
    for p in primes:
        assert advance(1, LEAP * (period // p)) != 1, p


# ----------------------------------------------------------------------------
# statistics: uniform draws, and the leap breaks the one-step shift correlation

N_DRAWS = 1 << 16


@pytest.mark.parametrize("seed", [1, 0xDEADBEEF])
@pytest.mark.parametrize("r_bits", [1, 2, 3, 5, 8, 10])
def test_draws_uniform_chi_square(seed, r_bits):
    d = draws(seed, N_DRAWS, r_bits)
    bins = 1 << r_bits
    counts = np.bincount(d, minlength=bins)
    stat = _chi2_stat(counts, N_DRAWS / bins)
    threshold = _chi2_isf(P_FAIL, bins - 1)
    assert stat < threshold, f"chi2 = {stat:.1f} >= {threshold:.1f} (dof {bins - 1}, p {P_FAIL})"


def _one_step_draws(seed: int, n: int, r_bits: int) -> np.ndarray:
    """What a one-step-per-operation LFSR would give: consecutive single-step states."""
    states = lfsr._orbit(seed, n, lfsr._step_power_tables)
    return states & np.uint32((1 << r_bits) - 1)


def _shift_relation(d: np.ndarray, r_bits: int) -> np.ndarray:
    """Whether r_{k+1} bits 2..R-2 equal r_k bits 3..R-1 (what one Galois step forces).

    For one step, bit i of the next state is bit i+1 of the state whenever POLY
    has no bit i, i.e. for 2 <= i <= 20; the top bit of r_{k+1} comes from
    outside the R-bit window, and bits 0 and 1 get the feedback.
    """
    mask = ((1 << (r_bits - 3)) - 1) << 2
    return ((d[1:] ^ (d[:-1] >> np.uint32(1))) & np.uint32(mask)) == 0


@pytest.mark.parametrize("r_bits", [4, 8, 12])
def test_leap_breaks_the_shift_correlation(r_bits):
    one_step = _one_step_draws(1, N_DRAWS, r_bits)
    assert np.all(_shift_relation(one_step, r_bits)), "the relation must hold for a one-step LFSR"

    hits = int(np.count_nonzero(_shift_relation(draws(1, N_DRAWS, r_bits), r_bits)))
    pairs = N_DRAWS - 1
    p = 2.0 ** -(r_bits - 3)
    expected = np.array([pairs * p, pairs * (1 - p)])
    stat = _chi2_stat(np.array([hits, pairs - hits]), expected)
    threshold = _chi2_isf(P_FAIL, 1)
    assert stat < threshold, f"{hits} of {pairs} pairs satisfy the shift relation (chance {p})"


def test_consecutive_pairs_are_independent():
    """2-D chi-square over (r_k, r_{k+1}) with R = 4: 256 cells, 65,535 pairs."""
    r_bits, cells = 4, 256
    threshold = _chi2_isf(P_FAIL, cells - 1)

    def stat(d):
        pair = (d[:-1] << np.uint32(r_bits)) | d[1:]
        return _chi2_stat(np.bincount(pair, minlength=cells), (d.size - 1) / cells)

    assert stat(draws(0xACE1, N_DRAWS, r_bits)) < threshold
    # the same test rejects a one-step-per-operation LFSR by a wide margin
    assert stat(_one_step_draws(0xACE1, N_DRAWS, r_bits)) > 100 * threshold


# ----------------------------------------------------------------------------
# errors


@pytest.mark.parametrize("bad", [0, 1 << 32, -1, -(1 << 40), 1 << 64])
def test_bad_seed_value(bad):
    for call in (
        lambda: words(bad, 3),
        lambda: draws(bad, 3, 8),
        lambda: Lfsr32(bad),
        lambda: words_reference(bad, 3),
    ):
        with pytest.raises(ValueError, match=rf"seed.*got {bad}$"):
            call()
    with pytest.raises(ValueError, match=rf"state.*got {bad}$"):
        step(bad)
    with pytest.raises(ValueError, match=rf"state.*got {bad}$"):
        leap(bad)
    with pytest.raises(ValueError, match=rf"state.*got {bad}$"):
        advance(bad, 1)


@pytest.mark.parametrize("bad", [1.0, 1.5, "1", None, True, np.float32(3)])
def test_bad_seed_type(bad):
    for call in (lambda: words(bad, 3), lambda: Lfsr32(bad), lambda: step(bad), lambda: leap(bad)):
        with pytest.raises(TypeError, match="seed|state"):
            call()


def test_numpy_integer_seeds_accepted():
    assert_array_equal(words(np.uint32(1), np.int64(4)), np.array(SPEC_WORDS_SEED_1, np.uint32))
    assert step(np.uint64(2)) == 1


@pytest.mark.parametrize("bad", [0, 33, -1, 64])
def test_bad_r_bits(bad):
    with pytest.raises(ValueError, match=rf"r_bits must be in 1\.\.32, got {bad}"):
        draws(1, 4, bad)


def test_bad_r_bits_type():
    with pytest.raises(TypeError, match="r_bits"):
        draws(1, 4, 8.0)


def test_bad_n():
    with pytest.raises(ValueError, match="n must be >= 0, got -1"):
        words(1, -1)
    with pytest.raises(ValueError, match="n must be >= 0, got -5"):
        draws(1, -5, 8)
    with pytest.raises(ValueError, match=r"n must be at most 1073741824 \(2\*\*30 words, 4 GiB\), got 1073741825"):  # refused before any allocation
        words(1, (1 << 30) + 1)
    with pytest.raises(ValueError, match=r"got 10000000000"):
        Lfsr32(1).draws(10**10, 8)
    with pytest.raises(TypeError, match="n must be an integer"):
        words(1, 2.0)
    with pytest.raises(ValueError, match="steps must be >= 0, got -1"):
        advance(1, -1)
