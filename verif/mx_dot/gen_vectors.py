"""The random mx_dot cases the cocotb bench streams: refmodel.vectors' level-2 mx_dot part.

The generator itself lives in :mod:`refmodel.vectors` (``fp8kit vectors --op mx_dot``); this name
is kept for ``tb_mx_dot.py``.
"""

from __future__ import annotations

import numpy as np

from refmodel.vectors import mx_dot_random_cases


def generate(mx_type: str, k: int, n_random: int, seed: int) -> np.ndarray:
    """``n_random`` cases as rows of ``a_0..a_{k-1}, b_0..b_{k-1}, scale_a, scale_b, res, flags``."""
    return mx_dot_random_cases(mx_type, k, n_random, seed)
