"""A planted datapath fault that a check must catch: fp8_dpa with a truncation off-by-one.

The products keep FRAC_W - 1 fraction bits below the largest exponent instead of FRAC_W (the fault the
issue's "done when" names). Used by the replay and bring-your-own-DUT tests on a copy of ``rtl/``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from fp8kit import paths

__all__ = ["TRUNCATION", "planted_rtl"]

TRUNCATION = ("wire [TW-1:0]  wide = {p_sig[k*PW +: PW], {FRAC_W{1'b0}}};",
              "wire [TW-1:0]  wide = {1'b0, p_sig[k*PW +: PW], {(FRAC_W-1){1'b0}}};")
"""The line of rtl/fp8_dpa.v that aligns a product, and the same line keeping one fraction bit fewer."""


def planted_rtl(where: Path) -> Path:
    """A copy of ``rtl/`` under ``where`` whose fp8_dpa.v has :data:`TRUNCATION` applied; returns the copy.

    Raises:
        AssertionError: fp8_dpa.v no longer has the line (the fault would not be planted).
    """
    rtl = where / "rtl"
    shutil.copytree(paths.rtl_dir(), rtl)
    src = rtl / "fp8_dpa.v"
    text = src.read_text()
    assert TRUNCATION[0] in text, "rtl/fp8_dpa.v no longer has the product alignment line to plant the fault in"
    src.write_text(text.replace(*TRUNCATION))
    return rtl
