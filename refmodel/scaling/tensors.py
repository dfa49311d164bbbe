"""Built-in test tensors (:func:`builtin_tensor`): seeded draws from the distributions the search and
``fp8kit sqnr`` are shown on."""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["BUILTIN_DISTRIBUTIONS", "builtin_tensor"]

BUILTIN_DISTRIBUTIONS: tuple[str, ...] = ("gaussian", "laplace", "student-t")


def builtin_tensor(name: str, n: int = 65536, seed: int = 0) -> np.ndarray:
    """A float32 test tensor of ``n`` values drawn with ``numpy.random.default_rng(seed)``.

    - ``"gaussian"``: standard normal N(0, 1).
    - ``"laplace"``: Laplace with location 0 and scale 1 (standard deviation sqrt 2).
    - ``"student-t"``: Student's t with nu = 3 degrees of freedom, then
      ``max(1, n // 4096)`` outliers (16 for the default n): that many
      positions drawn without replacement are overwritten with
      ``sign * 10**u``, u uniform in [2, 3) and the sign +-1 with equal
      probability, i.e. magnitudes 100...1000 (activation-outlier style).

    The draws are float64, rounded to float32 at the end.

    Raises:
        ValueError: an unknown name (the allowed ones are listed), ``n < 1``, negative seed.
        TypeError: non-integer ``n`` or ``seed``.
    """
    for label, v in (("n", n), ("seed", seed)):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{label} must be an integer, got {v!r}")
    if name not in BUILTIN_DISTRIBUTIONS:
        raise ValueError(f"unknown distribution {name!r}; allowed: {', '.join(BUILTIN_DISTRIBUTIONS)}")
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    rng = np.random.default_rng(int(seed))
    n = int(n)
    if name == "gaussian":
        x = rng.standard_normal(n)
    elif name == "laplace":
        x = rng.laplace(0.0, 1.0, n)
    else:
        x = rng.standard_t(3, n)
        k = max(1, n // 4096)
        idx = rng.choice(n, size=k, replace=False)
        sign = np.where(rng.random(k) < 0.5, -1.0, 1.0)
        x[idx] = sign * 10.0 ** rng.uniform(2.0, 3.0, k)
    return x.astype(np.float32)
