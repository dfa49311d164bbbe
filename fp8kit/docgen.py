"""Generated sections of the docs, kept fresh by a test (``fp8kit gen-docs`` rewrites them).

A generated section sits between ``<!-- BEGIN GENERATED: fp8kit docs NAME -->``
and ``<!-- END GENERATED -->``; everything outside the markers is hand-written.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

from fp8kit import paths
from refmodel.describe import FORMAT_COLUMNS, exact_str, format_rows
from refmodel.formats import Format, registered_formats

__all__ = ["SECTIONS", "render", "refresh", "stale_sections"]


def _md_table(columns, rows) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(r[c] for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def _formats_table() -> str:
    return _md_table(FORMAT_COLUMNS, format_rows())


def _block(fmt: Format) -> str:
    width = (fmt.bits + 3) // 4
    hx = lambda c: f"0x{c:0{width}X}"  # noqa: E731
    top = fmt.max_code
    lines = [
        f"#### {fmt.name}",
        "```",
        f"layout     {'S.' if fmt.signed else ''}E{fmt.exp_bits}.M{fmt.man_bits}  ({fmt.bits} bits), bias {fmt.bias}",
        f"specials   {fmt.specials.name.lower()}" + ("" if fmt.signed else " (unsigned: negative inputs give NaN)"),
        f"max finite {exact_str(fmt.max_finite)} = {fmt.max_finite:g}  (code {hx(top)})",
        f"min normal 2^{fmt.emin}  (code {hx(0 if fmt.specials.name == 'SCALE' else 1 << fmt.man_bits)})",
    ]
    if fmt.min_subnormal is not None:
        lines.append(f"min subnorm 2^{fmt.emin - fmt.man_bits}  (code {hx(1)})")
    lines.append(f"eps        2^{-fmt.man_bits}  emin {fmt.emin}  emax {fmt.emax}")
    if fmt.has_inf:
        lines.append(f"+-Inf      {hx(fmt.inf_codes[0])} {hx(fmt.inf_codes[1])}")
    if fmt.has_nan:
        lines.append(f"NaN out    {hx(fmt.nan_code(False))}" + (f" / {hx(fmt.nan_code(True))}" if fmt.signed and fmt.specials.name != "FNUZ" else ""))
    lines.append(f"-0         {hx(fmt.sign_mask) if fmt.has_negative_zero else 'none'}")
    lines.append("```")
    return "\n".join(lines)


def _format_blocks() -> str:
    return "\n\n".join(_block(f) for f in registered_formats())


SECTIONS: dict[str, Callable[[], str]] = {
    "formats-table": _formats_table,
    "format-blocks": _format_blocks,
}
_PATTERN = re.compile(
    r"(<!-- BEGIN GENERATED: fp8kit docs (?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- END GENERATED -->)", re.S
)


def render(text: str) -> str:
    """``text`` with every generated section regenerated."""

    def sub(m: re.Match) -> str:
        name = m.group("name")
        if name not in SECTIONS:
            raise ValueError(f"unknown generated section {name!r}; known: {', '.join(SECTIONS)}")
        return m.group(1) + SECTIONS[name]() + "\n" + m.group(4)

    return _PATTERN.sub(sub, text)


def _doc_files() -> list[Path]:
    root = paths.checkout_root()
    if root is None:
        raise ValueError("the docs belong to a checkout, not to the installed package; run this in a clone")
    return sorted((root / "docs").glob("*.md"))


def stale_sections() -> list[str]:
    """Doc files whose generated sections are out of date.

    Raises:
        ValueError: refmodel does not run from a checkout (an installed package has no docs).
    """
    return [p.name for p in _doc_files() if render(p.read_text()) != p.read_text()]


def refresh() -> list[str]:
    """Rewrite stale generated sections; returns the files changed.

    Raises:
        ValueError: refmodel does not run from a checkout (an installed package has no docs).
    """
    changed = []
    for p in _doc_files():
        text = p.read_text()
        new = render(text)
        if new != text:
            p.write_text(new)
            changed.append(p.name)
    return changed
