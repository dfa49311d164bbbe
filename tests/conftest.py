"""Shared pytest configuration: hypothesis profiles and the slow-test scale."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=300, deadline=None)
settings.register_profile(
    "ci",
    max_examples=500,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def slow_scale() -> str:
    """``"full"`` for complete exhaustive sweeps, ``"bounded"`` (default) for CI's slice."""
    scale = os.environ.get("FP8KIT_SLOW", "bounded")
    if scale not in ("full", "bounded"):
        raise ValueError(f"FP8KIT_SLOW must be 'full' or 'bounded', got {scale!r}")
    return scale
