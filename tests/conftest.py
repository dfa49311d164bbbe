"""Shared pytest configuration: hypothesis profiles, the slow-test scale, SIGINT delivered."""

from __future__ import annotations

import os
import signal

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


def pytest_configure(config) -> None:
    """Delivers SIGINT even when the suite was started with it ignored (``cmd &`` in a non-interactive
    shell passes SIG_IGN down through exec): the interrupt tests send it to this process and to
    children, which a handler here (reset to the default by exec) lets Python's own handling reach."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
