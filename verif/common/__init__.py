"""Shared verification helpers: the simulator wrapper and the source manifest."""

from __future__ import annotations

from .manifest import MANIFEST, include_dirs, sources_for
from .runner import SimBuildError, SimFailure, SimResult, SimToolError, run_sim

__all__ = ["MANIFEST", "SimBuildError", "SimFailure", "SimResult", "SimToolError", "include_dirs", "run_sim",
           "sources_for"]
