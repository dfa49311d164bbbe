"""Shared verification helpers: the simulator wrapper and the source manifest."""

from __future__ import annotations

from .manifest import MANIFEST, sources_for
from .runner import SimFailure, SimResult, SimToolError, run_sim

__all__ = ["MANIFEST", "SimFailure", "SimResult", "SimToolError", "run_sim", "sources_for"]
