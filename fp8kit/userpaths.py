"""Checks on the files a user names, made before any work starts.

Each check raises ``ValueError`` naming ``what`` the path is for (e.g. ``"--out"``, ``"input file"``),
the path and the problem, so that a long run never fails at its last step on a path it could have
refused at its first. ``fp8kit.cli`` turns the ``ValueError`` into ``fp8kit: error: ...`` and exit 2.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["FLOAT_DTYPES", "input_file", "load_floats", "output_file", "output_dir"]

FLOAT_DTYPES = ("float16", "float32", "float64")
"""The dtypes :func:`load_floats` accepts."""


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


def output_file(path: str | os.PathLike, what: str, *, make_parent: bool = False) -> Path:
    """Returns ``Path(path)`` if a file can be written there (replacing any existing file).

    The parent directory must exist or be creatable, and be writable; the path itself must not be a
    directory. Nothing is created, unless ``make_parent``: then the missing parent directories are
    made once the checks pass.

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
    if make_parent:
        p.parent.mkdir(parents=True, exist_ok=True)
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


def load_floats(path: str | os.PathLike, what: str):
    """Loads a float array from a ``.npy`` file, or a ``.npz`` file holding exactly one array.

    The array keeps its dtype, one of :data:`FLOAT_DTYPES`. Refused, naming the dtype and the allowed
    ones: bool, integers, complex, float128, objects, and the raw-bytes (``V2``) dtype that
    ``np.save`` writes for ml_dtypes' bfloat16/float8 arrays.

    Raises:
        ValueError: the file is missing or unreadable (see :func:`input_file`), not a ``.npy``/``.npz``
            file, a ``.npz`` with other than one array, or the dtype is not allowed.
    """
    import zipfile

    import numpy as np

    p = input_file(path, what)
    with open(p, "rb") as fh:
        magic = fh.read(6)
    if magic != b"\x93NUMPY" and not magic.startswith(b"PK\x03\x04"):
        raise ValueError(f"{what} {str(p)!r} is not a .npy or .npz file (it starts with {magic!r})")
    try:
        data = np.load(p, allow_pickle=False)
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise ValueError(f"{what} {str(p)!r} holds an object array; allowed dtypes: "
                             f"{', '.join(FLOAT_DTYPES)}") from None
        raise ValueError(f"{what} {str(p)!r} is not a .npy or .npz file ({exc})") from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{what} {str(p)!r} is not a .npy or .npz file ({exc})") from None
    if isinstance(data, np.lib.npyio.NpzFile):
        with data:
            if len(data.files) != 1:
                raise ValueError(f"{what} {str(p)!r} holds {len(data.files)} arrays ({', '.join(data.files) or 'none'}); "
                                 f"a .npz input must hold exactly one")
            try:
                data = data[data.files[0]]
            except ValueError:  # object array
                raise ValueError(f"{what} {str(p)!r} holds an object array; allowed dtypes: "
                                 f"{', '.join(FLOAT_DTYPES)}") from None
    if data.dtype.name not in FLOAT_DTYPES:
        extra = (" (raw bytes: np.save writes ml_dtypes types such as bfloat16 this way; save float32)"
                 if data.dtype.kind == "V" else "")
        raise ValueError(f"{what} {str(p)!r}: dtype {data.dtype.name} is not a float dtype{extra}; allowed dtypes: "
                         f"{', '.join(FLOAT_DTYPES)}")
    return data


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
