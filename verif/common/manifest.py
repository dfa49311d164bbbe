"""The one list of RTL sources per simulation toplevel (paths relative to the RTL directory).

A module that instantiates others lists them too, leaf modules first. The RTL directory is
:func:`fp8kit.paths.rtl_dir` unless a caller names another copy.
"""

from __future__ import annotations

import os
from pathlib import Path

from fp8kit import paths

__all__ = ["INCLUDE_DIRS", "MANIFEST", "include_dirs", "sources_for"]

INCLUDE_DIRS: tuple[str, ...] = ("include",)
"""Include directories passed to every build (``fp8kit_defs.vh`` lives there)."""

MANIFEST: dict[str, tuple[str, ...]] = {
    "lfsr32": ("lfsr32.v",),
    "int8_mac": ("int8_mac.v",),
    "fp8_mul": ("fp8_mul.v",),
    "fp8_fma": ("fp8_fma.v",),
    "fp8_mac": ("lfsr32.v", "fp8_fma.v", "fp8_mac.v"),
    "mx_dot": ("mx_dot.v",),
}


def sources_for(toplevel: str, rtl_dir: os.PathLike | str | None = None) -> list[Path]:
    """The source paths of ``toplevel`` in ``rtl_dir`` (default :func:`fp8kit.paths.rtl_dir`).

    Raises:
        KeyError: ``toplevel`` is not in the manifest (the message lists the known ones).
    """
    try:
        names = MANIFEST[toplevel]
    except KeyError:
        raise KeyError(f"no sources listed for toplevel {toplevel!r}; known: {', '.join(sorted(MANIFEST))}") from None
    return [_base(rtl_dir) / n for n in names]


def include_dirs(rtl_dir: os.PathLike | str | None = None) -> list[Path]:
    """The include directories in ``rtl_dir`` (default :func:`fp8kit.paths.rtl_dir`)."""
    return [_base(rtl_dir) / d for d in INCLUDE_DIRS]


def _base(rtl_dir: os.PathLike | str | None) -> Path:
    return Path(rtl_dir) if rtl_dir is not None else paths.rtl_dir()
