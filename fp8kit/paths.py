"""Where the RTL is: a checkout's ``rtl/``, or the copy installed with the package.

The wheel installs ``rtl/`` as the package data ``fp8kit/rtl`` (pyproject.toml maps the data
package ``fp8kit.rtl`` onto the top-level ``rtl/``). ``fp8kit regress --rtl-dir`` selects
another copy.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["CORE_FILE", "checkout_root", "rtl_dir"]

CORE_FILE = "fp8kit.core"
"""The FuseSoC core file; its presence marks a directory as fp8kit's RTL."""


def checkout_root() -> Path | None:
    """The repository root when fp8kit runs from a checkout (or an editable install), else None."""
    root = Path(__file__).resolve().parents[1]
    return root if (root / "rtl" / CORE_FILE).is_file() else None


def rtl_dir() -> Path:
    """The directory holding the RTL sources, ``include/`` and the core file.

    Returns:
        The checkout's ``rtl/`` when there is one, else the installed ``fp8kit/rtl``.
    """
    root = checkout_root()
    if root is not None:
        return root / "rtl"
    return Path(str(resources.files("fp8kit") / "rtl"))
