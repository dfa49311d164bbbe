"""INT8 MAC (spec-notes section 4): exhaustive pairs against the Python-int
reference, accumulator streams in both modes, and input validation."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from refmodel.int8 import (
    ACC_MAX,
    ACC_MIN,
    Int8MacResult,
    int8_mac,
    int8_mac_reference,
    int8_mac_stream,
    int8_mac_stream_reference,
)

P_MAX = 128 * 128  # the largest product, (-128) * (-128)
P_MIN = -128 * 127  # the most negative product

# Boundary accumulators: zero, +-1, the extremes, and values where the largest
# products just fit or just overflow in either direction.
BOUNDARY_ACCS = sorted(
    {
        0,
        1,
        -1,
        ACC_MAX,
        ACC_MIN,
        ACC_MAX - 1,
        ACC_MIN + 1,
        ACC_MAX - P_MAX,
        ACC_MAX - P_MAX + 1,
        ACC_MAX + P_MIN,
        ACC_MAX + P_MIN + 1,
        ACC_MIN - P_MIN,
        ACC_MIN - P_MIN - 1,
        ACC_MIN + P_MAX,
        ACC_MIN + P_MAX - 1,
        ACC_MAX - 12_345,
        ACC_MIN + 12_345,
    }
)

ALL_A, ALL_B = (m.ravel() for m in np.meshgrid(np.arange(-128, 128), np.arange(-128, 128)))


def _wrap32(x: int) -> int:
    return (x + (1 << 31)) % (1 << 32) - (1 << 31)


# ----------------------------------------------------------------------------
# the reference itself, on hand-worked values


def test_reference_hand_values():
    assert int8_mac_reference(3, -4, 10) == (-2, False)
    assert int8_mac_reference(-128, -128, 0) == (16384, False)
    assert int8_mac_reference(-128, -128, ACC_MAX) == (ACC_MIN + 16383, True)
    assert int8_mac_reference(-128, -128, ACC_MAX, saturate=True) == (ACC_MAX, True)
    assert int8_mac_reference(127, -128, ACC_MIN) == (ACC_MAX - 16255, True)
    assert int8_mac_reference(127, -128, ACC_MIN, saturate=True) == (ACC_MIN, True)
    assert int8_mac_reference(-128, -128, ACC_MAX - 16384) == (ACC_MAX, False)
    assert int8_mac_reference(127, -128, ACC_MIN + 16256) == (ACC_MIN, False)
    with pytest.raises(ValueError, match="a = 128"):
        int8_mac_reference(128, 0, 0)


# ----------------------------------------------------------------------------
# exhaustive pairs


@pytest.mark.parametrize("acc", BOUNDARY_ACCS)
@pytest.mark.parametrize("saturate", [False, True], ids=["wrap", "sat"])
def test_all_pairs_against_reference(acc, saturate):
    a8, b8 = ALL_A.astype(np.int8), ALL_B.astype(np.int8)
    got = int8_mac(a8, b8, np.int32(acc), saturate=saturate)
    assert isinstance(got, Int8MacResult)
    assert got.acc.dtype == np.int32 and got.overflow.dtype == np.bool_
    assert got.acc.shape == got.overflow.shape == (65_536,)
    ref = [int8_mac_reference(a, b, acc, saturate) for a, b in zip(ALL_A.tolist(), ALL_B.tolist())]
    assert_array_equal(got.acc, np.array([r for r, _ in ref], dtype=np.int32))
    assert_array_equal(got.overflow, np.array([o for _, o in ref], dtype=bool))


def test_overflow_counts_at_the_edge():
    # From ACC_MAX, exactly the positive products overflow; from ACC_MIN, the negative ones.
    positive = int(np.count_nonzero(ALL_A.astype(np.int64) * ALL_B > 0))
    negative = int(np.count_nonzero(ALL_A.astype(np.int64) * ALL_B < 0))
    assert int(int8_mac(ALL_A, ALL_B, ACC_MAX).overflow.sum()) == positive
    assert int(int8_mac(ALL_A, ALL_B, ACC_MIN).overflow.sum()) == negative
    # the largest product overflows only within 2**14 - 1 of the top
    assert not int8_mac(-128, -128, ACC_MAX - P_MAX).overflow
    assert int8_mac(-128, -128, ACC_MAX - P_MAX + 1).overflow


def test_broadcasting_and_dtypes():
    a = np.array([[1], [-2], [127]], dtype=np.int16)
    b = np.array([[3, -128, 0, 5]], dtype=np.int64)
    acc = np.array([10, 20, 30, ACC_MAX], dtype=np.int32)
    got = int8_mac(a, b, acc)
    assert got.acc.shape == got.overflow.shape == (3, 4)
    want = [
        [_wrap32(int(acc[j]) + int(a[i, 0]) * int(b[0, j])) for j in range(4)] for i in range(3)
    ]
    assert_array_equal(got.acc, np.array(want, dtype=np.int32))
    assert_array_equal(got.overflow[:, 3], [True, False, True])
    # uint8 / uint64 with int8-range values, Python ints and lists
    assert_array_equal(int8_mac(np.uint8([127, 0]), np.uint64([2, 9]), [1, 2]).acc, [255, 2])
    scalar = int8_mac(-128, -128, ACC_MAX)
    assert scalar.acc.shape == () and scalar.acc.dtype == np.int32
    assert int(scalar.acc) == ACC_MIN + 16383 and bool(scalar.overflow)


# ----------------------------------------------------------------------------
# streams


def _check_stream(a, b, acc_init, saturate):
    got = int8_mac_stream(a, b, acc_init=acc_init, saturate=saturate)
    a = np.asarray(a)
    b = np.broadcast_to(b, a.shape)
    init = np.broadcast_to(acc_init, a.shape[:-1])
    assert got.acc.dtype == np.int32 and got.overflow.dtype == np.bool_
    assert got.acc.shape == got.overflow.shape == a.shape
    for idx in np.ndindex(a.shape[:-1]):
        accs, flags = int8_mac_stream_reference(
            a[idx].tolist(), b[idx].tolist(), int(init[idx]), saturate
        )
        assert_array_equal(got.acc[idx], np.array(accs, dtype=np.int32), err_msg=str(idx))
        assert_array_equal(got.overflow[idx], np.array(flags, dtype=bool), err_msg=str(idx))
    return got


@pytest.mark.parametrize("saturate", [False, True], ids=["wrap", "sat"])
def test_random_streams(saturate):
    rng = np.random.default_rng(20260)
    a = rng.integers(-128, 128, size=(3, 4, 300), dtype=np.int8)
    b = rng.integers(-128, 128, size=(3, 4, 300), dtype=np.int8)
    init = rng.integers(ACC_MIN, ACC_MAX, size=(3, 4), endpoint=True, dtype=np.int64)
    init[0, :] = [ACC_MAX, ACC_MIN, ACC_MAX - 100_000, ACC_MIN + 100_000]
    _check_stream(a, b, init, saturate)


@pytest.mark.parametrize("saturate", [False, True], ids=["wrap", "sat"])
def test_adversarial_streams_near_the_edges(saturate):
    k = 400
    a = np.full((6, k), -128, dtype=np.int8)
    b = np.full((6, k), -128, dtype=np.int8)
    b[3:] = 127  # rows 3..5 push down by 16256 per step
    init = [ACC_MAX - 100 * P_MAX, ACC_MAX, 0, ACC_MIN + 100 * 16256, ACC_MIN, 0]
    got = _check_stream(a, b, init, saturate)
    # row 0 fits for 100 steps, the 101st overflows and the flag stays set
    assert not got.overflow[0, :100].any() and got.overflow[0, 100:].all()
    assert got.acc[0, 99] == ACC_MAX
    if saturate:
        assert (got.acc[0, 100:] == ACC_MAX).all()
        assert (got.acc[4] == ACC_MIN).all() and got.overflow[4].all()
    else:
        assert got.acc[0, 100] == ACC_MIN + P_MAX - 1
        assert got.acc[4, 0] == _wrap32(ACC_MIN - 16256)


@pytest.mark.parametrize("saturate", [False, True], ids=["wrap", "sat"])
def test_long_stream_crosses_the_range(saturate):
    """From 0, 2**17 + 5 maximal products cross +2**31 (wrap mode wraps back once)."""
    k = (1 << 17) + 5
    a = np.full(k, -128, dtype=np.int8)
    got = _check_stream(a, a, 0, saturate)
    first = (1 << 17) - 1  # 2**17 * 2**14 = 2**31 is the first sum that does not fit
    assert not got.overflow[first - 1] and got.overflow[first]
    if saturate:
        assert int(got.acc[-1]) == ACC_MAX
    else:
        assert int(got.acc[-1]) == _wrap32(k * P_MAX)


def test_wrap_stream_wraps_twice():
    # 2**18 + 3 products of 2**14 from ACC_MAX - 2**14 + 1: the sum passes +2**31 twice.
    k = (1 << 18) + 3
    a = np.full((1, k), -128, dtype=np.int8)
    init = ACC_MAX - P_MAX + 1
    got = int8_mac_stream(a, a, acc_init=[init])
    exact = init + P_MAX * np.arange(1, k + 1, dtype=np.int64)
    assert_array_equal(got.acc[0], np.array([_wrap32(int(v)) for v in exact], dtype=np.int32))
    assert got.overflow[0].all()  # the very first step overflows


def test_saturation_is_order_dependent():
    up_then_down = int8_mac_stream([-128, -128], [-128, 127], acc_init=ACC_MAX, saturate=True)
    down_then_up = int8_mac_stream([-128, -128], [127, -128], acc_init=ACC_MAX, saturate=True)
    assert_array_equal(up_then_down.acc, [ACC_MAX, ACC_MAX - 16256])
    assert_array_equal(up_then_down.overflow, [True, True])
    assert_array_equal(down_then_up.acc, [ACC_MAX - 16256, ACC_MAX])
    assert_array_equal(down_then_up.overflow, [False, True])
    # wrap mode is order independent at the end: the exact sum mod 2**32
    wrap = int8_mac_stream([-128, -128], [-128, 127], acc_init=ACC_MAX)
    assert int(wrap.acc[-1]) == _wrap32(ACC_MAX + 16384 - 16256)


def test_stream_final_value_is_the_wrapped_dot_product():
    rng = np.random.default_rng(7)
    a = rng.integers(-128, 128, size=(5, 10_000))
    b = rng.integers(-128, 128, size=(5, 10_000))
    init = rng.integers(ACC_MIN, ACC_MAX, size=5, endpoint=True)
    got = int8_mac_stream(a, b, acc_init=init)
    for r in range(5):
        exact = int(init[r]) + sum(x * y for x, y in zip(a[r].tolist(), b[r].tolist()))
        assert int(got.acc[r, -1]) == _wrap32(exact)


def test_stream_shapes():
    empty = int8_mac_stream(np.zeros((2, 0), np.int8), np.zeros((2, 0), np.int8))
    assert empty.acc.shape == empty.overflow.shape == (2, 0)
    assert int8_mac_stream([], []).acc.shape == (0,)
    assert int8_mac([], [], 5).acc.shape == (0,)
    one_d = int8_mac_stream([1, 2, 3], [4, 5, 6], acc_init=100)
    assert_array_equal(one_d.acc, [104, 114, 132])
    assert_array_equal(one_d.overflow, [False, False, False])
    # b broadcasts along rows, acc_init per row
    got = int8_mac_stream([[1, 2], [3, 4]], [10, -10], acc_init=[0, 1000])
    assert_array_equal(got.acc, [[10, -10], [1030, 990]])


# ----------------------------------------------------------------------------
# errors


@pytest.mark.parametrize("bad", [128, -129, 255, 1000])
def test_out_of_range_operands(bad):
    message = rf"a\[2\] = {bad} is outside the int8 range \[-128, 127\]"
    with pytest.raises(ValueError, match=message):
        int8_mac([0, 1, bad, bad], 1, 0)
    with pytest.raises(ValueError, match=rf"b = {bad} is outside the int8 range"):
        int8_mac(1, bad, 0)
    with pytest.raises(ValueError, match=rf"b\[1, 0\] = {bad}"):
        int8_mac_stream([[1], [1]], [[1], [bad]])


def test_python_ints_wider_than_int64():
    with pytest.raises(ValueError, match=r"a\[1\] = 1180591620717411303424 is outside"):
        int8_mac([1, 2**70], 1, 0)
    # in-range values in an object array are fine
    got = int8_mac(np.array([3], dtype=object), 2, np.array([1 << 20], dtype=object))
    assert_array_equal(got.acc, np.array([(1 << 20) + 6], dtype=np.int32))


def test_out_of_range_in_unsigned_dtypes():
    with pytest.raises(ValueError, match=r"a\[1\] = 200 is outside"):
        int8_mac(np.array([5, 200], dtype=np.uint8), 1, 0)
    with pytest.raises(ValueError, match=r"a\[0\] = 18446744073709551615"):
        int8_mac(np.array([2**64 - 1], dtype=np.uint64), 1, 0)


@pytest.mark.parametrize("bad", [ACC_MAX + 1, ACC_MIN - 1, 2**40, 2**70, -(2**80)])
def test_out_of_range_accumulator(bad):
    with pytest.raises(ValueError, match=rf"acc = {bad} is outside the int32 range"):
        int8_mac(1, 1, bad)
    with pytest.raises(ValueError, match=rf"acc_init\[1\] = {bad} is outside the int32 range"):
        int8_mac_stream([[1], [1]], [[1], [1]], acc_init=[0, bad])


def test_type_errors():
    with pytest.raises(TypeError, match="a must hold integers.*float64"):
        int8_mac(1.0, 1, 0)
    with pytest.raises(TypeError, match="b must hold integers.*bool"):
        int8_mac(1, True, 0)
    with pytest.raises(TypeError, match="acc must hold integers"):
        int8_mac(1, 1, np.float32(0))
    with pytest.raises(TypeError, match="saturate must be a bool"):
        int8_mac(1, 1, 0, saturate=1)
    with pytest.raises(TypeError, match="acc_init must hold integers"):
        int8_mac_stream([1], [1], acc_init=0.5)


def test_shape_errors():
    with pytest.raises(ValueError, match="at least one axis"):
        int8_mac_stream(1, 2)
    with pytest.raises(ValueError, match=r"acc_init of shape \(3,\) does not broadcast"):
        int8_mac_stream(np.zeros((2, 4), np.int8), 1, acc_init=[0, 0, 0])
    with pytest.raises(ValueError):
        int8_mac([1, 2], [1, 2, 3], 0)
    with pytest.raises(ValueError, match="same length"):
        int8_mac_stream_reference([1, 2], [1], 0)
