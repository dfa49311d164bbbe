"""Checks on the files a user names, made before any work starts.

Each check raises ``ValueError`` naming ``what`` the path is for (e.g. ``"--out"``, ``"input file"``),
the path and the problem, so that a long run never fails at its last step on a path it could have
refused at its first. ``refmodel.cli`` turns the ``ValueError`` into ``fp8kit: error: ...`` and exit 2.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["input_file", "output_file", "output_dir"]


def input_file(path: str | os.PathLike, what: str) -> Path:
    """Returns ``Path(path)`` if it names an existing, readable regular file.

    Raises:
        ValueError: the path does not exist, is a directory or other non-file, or is not readable.
    """
    p = Path(path)
    if not p.exists():
        raise ValueError(f"{what} {str(p)!r} does not exist")
    if not p.is_file():
        raise ValueError(f"{what} {str(p)!r} is {_kind(p)}, not a file")
    if not os.access(p, os.R_OK):
        raise ValueError(f"{what} {str(p)!r} is not readable")
    return p


def output_file(path: str | os.PathLike, what: str) -> Path:
    """Returns ``Path(path)`` if a file can be written there (replacing any existing file).

    The parent directory must exist or be creatable, and be writable; the path itself must not be a
    directory. Nothing is created.

    Raises:
        ValueError: the path is a directory, an existing non-writable file, or its parent cannot hold it.
    """
    p = Path(path)
    if p.is_dir():
        raise ValueError(f"{what} {str(p)!r} is a directory, not a file")
    if p.exists() and not p.is_file():
        raise ValueError(f"{what} {str(p)!r} is {_kind(p)}, not a file")
    if p.exists() and not os.access(p, os.W_OK):
        raise ValueError(f"{what} {str(p)!r} is not writable")
    _writable_parent(p, what)
    return p


def output_dir(path: str | os.PathLike, what: str) -> Path:
    """Returns ``Path(path)`` if it is a writable directory or one that can be created.

    Nothing is created.

    Raises:
        ValueError: the path is an existing file, a non-writable directory, or cannot be created.
    """
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise ValueError(f"{what} {str(p)!r} is {_kind(p)}, not a directory")
    if p.is_dir():
        if not os.access(p, os.W_OK | os.X_OK):
            raise ValueError(f"{what} {str(p)!r} is not writable")
        return p
    _writable_parent(p, what)
    return p


def _writable_parent(p: Path, what: str) -> None:
    """Raises ``ValueError`` unless the nearest existing ancestor of ``p`` is a writable directory."""
    anc = p.absolute().parent
    while not anc.exists():
        anc = anc.parent
    if not anc.is_dir():
        raise ValueError(f"{what} {str(p)!r} cannot be created: {str(anc)!r} is {_kind(anc)}, not a directory")
    if not os.access(anc, os.W_OK | os.X_OK):
        raise ValueError(f"{what} {str(p)!r} cannot be created: directory {str(anc)!r} is not writable")


def _kind(p: Path) -> str:
    """``"a directory"``, ``"a file"`` or ``"not a regular file"`` (a device, socket or FIFO)."""
    if p.is_dir():
        return "a directory"
    if p.is_file():
        return "a file"
    return "not a regular file"
