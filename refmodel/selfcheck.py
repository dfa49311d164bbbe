"""The golden model's self-check, run by ``fp8kit report``.

Three independent checks per format: every code round-trips through decode
and encode; the rne encoder agrees with ml_dtypes on random float32 inputs;
every rounding mode agrees with the exact scalar oracle on the rounding
boundaries (each midpoint between adjacent codes and its float64 neighbours).
"""

from __future__ import annotations

import dataclasses

import ml_dtypes
import numpy as np

from .codec import decode, encode
from .encodings import RoundingMode
from .formats import Format, registered_formats
from .peer_facts import ml_dtypes_e8m0_subnormal_inputs, ml_dtypes_e8m0_subnormal_rounds_up

__all__ = ["CheckResult", "run_selfcheck", "ml_dtypes_type", "rne_disagrees_with_ml_dtypes"]


@dataclasses.dataclass(frozen=True)
class CheckResult:
    name: str
    fmt: str
    cases: int
    mismatches: int
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.mismatches == 0 and self.cases > 0


def ml_dtypes_type(fmt: Format):
    """The ml_dtypes scalar type of a registered format, or None."""
    return getattr(ml_dtypes, fmt.name, None) if fmt.bits <= 8 else None


def rne_disagrees_with_ml_dtypes(x: np.ndarray, fmt: Format) -> np.ndarray:
    """Mask of float32 inputs where the installed ml_dtypes' rne cast is known to differ from fp8kit.

    Only ml_dtypes <= 0.6 differs here: it rounds float32 subnormals in
    (2**-127, 1.5 * 2**-127) up to 2**-126 when casting to float8_e8m0fnu; the
    nearest value is 2**-127 (:mod:`refmodel.peer_facts`).
    """
    if fmt.name != "float8_e8m0fnu" or not ml_dtypes_e8m0_subnormal_rounds_up():
        return np.zeros(np.shape(x), bool)
    return ml_dtypes_e8m0_subnormal_inputs(x)


def _round_trip(fmt: Format) -> CheckResult:
    codes = np.arange(fmt.code_count, dtype=np.uint16 if fmt.bits > 8 else np.uint8)
    values = decode(codes, fmt, np.float64)
    want = codes.astype(np.int64).copy()
    nan = np.isnan(values)
    if nan.any():
        want[nan] = [fmt.nan_code(bool(np.signbit(v))) for v in values[nan]]
    got = encode(values, fmt)
    return CheckResult("decode/encode round trip", fmt.name, codes.size, int((got != want).sum()))


def sample_float32(n: int, seed: int) -> np.ndarray:
    """Random bit patterns (every class) and log-uniformly scaled normals, float32."""
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 1 << 32, n // 2, dtype=np.uint64).astype(np.uint32).view(np.float32)
    scale = np.exp2(rng.uniform(-20, 20, n - n // 2))
    return np.concatenate([bits, (rng.standard_normal(n - n // 2) * scale).astype(np.float32)])


def _vs_ml_dtypes(fmt: Format, x: np.ndarray) -> CheckResult:
    mtype = ml_dtypes_type(fmt)
    known = rne_disagrees_with_ml_dtypes(x, fmt)
    keep = ~known
    if not fmt.has_nan:
        keep &= ~np.isnan(x)
    x = x[keep]
    with np.errstate(all="ignore"):
        ref = x.astype(mtype).view(np.uint8)
    got = encode(x, fmt)
    detail = (f"{int(known.sum())} inputs of ml_dtypes {ml_dtypes.__version__}'s e8m0 subnormal rounding skipped"
              if known.any() else "")
    if not fmt.has_nan:
        detail = "NaN inputs skipped (no NaN in the format)"
    return CheckResult("rne vs ml_dtypes astype", fmt.name, x.size, int((got != ref).sum()), detail)


def _vs_oracle(fmt: Format) -> CheckResult:
    from .oracle import codec as oracle
    from .boundaries import boundary_values

    x = boundary_values(fmt)
    cases = mismatches = 0
    for mode in RoundingMode:
        if mode is RoundingMode.SR:
            continue
        for sat in (False, True):
            got = encode(x, fmt, rounding=mode, saturate=sat)
            for v, g in zip(x.tolist(), got.tolist()):
                cases += 1
                mismatches += g != oracle.encode_exact(v, fmt, mode.label, saturate=sat)
    return CheckResult("every mode vs exact oracle", fmt.name, cases, mismatches, "midpoints and neighbours")


def run_selfcheck(samples: int = 1 << 20, seed: int = 0) -> list[CheckResult]:
    """Run every check on every registered format of at most 16 bits."""
    results = []
    x = sample_float32(samples, seed)
    for fmt in registered_formats():
        if fmt.bits > 16:
            continue
        results.append(_round_trip(fmt))
        if ml_dtypes_type(fmt) is not None:
            results.append(_vs_ml_dtypes(fmt, x))
        if fmt.bits <= 8:
            results.append(_vs_oracle(fmt))
    return results
