"""The one list of RTL sources per simulation toplevel (paths relative to the repository root).

A module that instantiates others lists them too, leaf modules first.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["INCLUDE_DIRS", "MANIFEST", "ROOT", "sources_for"]

ROOT = Path(__file__).resolve().parents[2]
"""The repository root."""

INCLUDE_DIRS: tuple[str, ...] = ("rtl/include",)
"""Include directories passed to every build (``fp8kit_defs.vh`` lives there)."""

MANIFEST: dict[str, tuple[str, ...]] = {
    "lfsr32": ("rtl/lfsr32.v",),
    "int8_mac": ("rtl/int8_mac.v",),
    "fp8_mul": ("rtl/fp8_mul.v",),
    "fp8_fma": ("rtl/fp8_fma.v",),
    "fp8_mac": ("rtl/lfsr32.v", "rtl/fp8_fma.v", "rtl/fp8_mac.v"),
    "mx_dot": ("rtl/mx_dot.v",),
}


def sources_for(toplevel: str) -> list[Path]:
    """The absolute source paths of ``toplevel``.

    Raises:
        KeyError: ``toplevel`` is not in the manifest (the message lists the known ones).
    """
    try:
        rel = MANIFEST[toplevel]
    except KeyError:
        raise KeyError(f"no sources listed for toplevel {toplevel!r}; known: {', '.join(sorted(MANIFEST))}") from None
    return [ROOT / p for p in rel]
