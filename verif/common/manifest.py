"""The RTL source manifest, as verif has always imported it.

The manifest itself is :mod:`fp8kit.rtlspec.manifest` (derived from the Verilog in the RTL
directory); this module re-exports it so that ``verif.common.manifest`` keeps working.
"""

from __future__ import annotations

from fp8kit.rtlspec.manifest import INCLUDE_DIRS, MANIFEST, SIM_TOPS, include_dirs, sources_for

__all__ = ["INCLUDE_DIRS", "MANIFEST", "SIM_TOPS", "include_dirs", "sources_for"]
