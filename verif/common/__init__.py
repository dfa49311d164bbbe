"""Shared verification helpers: the simulator wrapper and the source manifest."""

from __future__ import annotations

from .manifest import MANIFEST, sources_for
from .runner import SimToolError, run_sim

__all__ = ["MANIFEST", "SimToolError", "run_sim", "sources_for"]
