"""Known differences between named versions of ml_dtypes and fp8kit, as facts keyed by version.

fp8kit's results never depend on a peer; these facts only say where a peer's
cast is known to differ from the single exact rounding fp8kit defines, so that
comparisons with the installed peer can leave exactly those inputs out and
tests can state the difference for the versions that have it (measured over
0.5.0, 0.5.4, 0.6.0 and 0.7.0; docs/formats.md).
"""

from __future__ import annotations

import re

import ml_dtypes
import numpy as np

__all__ = [
    "ML_DTYPES_VERSION",
    "ml_dtypes_version",
    "ml_dtypes_double_rounds_float64",
    "ml_dtypes_e8m0_subnormal_rounds_up",
    "ml_dtypes_e8m0_subnormal_inputs",
]


def ml_dtypes_version(text: str | None = None) -> tuple[int, int, int]:
    """``(major, minor, patch)`` of a version string (default: the installed ml_dtypes)."""
    parts = [int(p) for p in re.findall(r"\d+", ml_dtypes.__version__ if text is None else text)[:3]]
    return tuple(parts + [0] * (3 - len(parts)))  # type: ignore[return-value]


ML_DTYPES_VERSION = ml_dtypes_version()
"""The installed ml_dtypes version."""


def ml_dtypes_double_rounds_float64(version: tuple[int, int, int] = ML_DTYPES_VERSION) -> bool:
    """Whether ``astype`` from float64 rounds through float32 first (jax-ml/ml_dtypes#401).

    True for ml_dtypes up to 0.6.x: a float64 value just beside a midpoint can
    round to float32 exactly onto the midpoint and then to the even neighbour.
    0.7.0 rounds float64 inputs once.
    """
    return version < (0, 7, 0)


def ml_dtypes_e8m0_subnormal_rounds_up(version: tuple[int, int, int] = ML_DTYPES_VERSION) -> bool:
    """Whether float32 subnormals in (2**-127, 1.5 * 2**-127) cast to e8m0 0x01 (2**-126).

    True for ml_dtypes up to 0.6.x; the nearest value is 2**-127 (0x00), which
    0.7.0 returns.
    """
    return version < (0, 7, 0)


def ml_dtypes_e8m0_subnormal_inputs(x: np.ndarray) -> np.ndarray:
    """Mask of the inputs that :func:`ml_dtypes_e8m0_subnormal_rounds_up` is about."""
    with np.errstate(invalid="ignore"):
        mag = np.abs(np.asarray(x).astype(np.float64))
    return (mag > 2.0**-127) & (mag < 1.5 * 2.0**-127)
