"""Which characters of a Verilog file a mutation may touch (the logic), and which it may not.

Never comments, strings, compiler directives, the ```ifndef SYNTHESIS`` parameter checks, the
module header, a width or a function (the package docstring of :mod:`verif.mutate`).
"""

from __future__ import annotations

import re

__all__ = ["mutable_mask"]

_DECL_RANGE = re.compile(r"\b(?:reg|wire|integer|localparam|input|output|inout|genvar)\b(?:\s+(?:reg|wire|signed|"
                         r"integer))*\s*(\[[^\]]*\])")
_REPL_COUNT = re.compile(r"\{\s*(\((?:[^(){}]|\([^(){}]*\))*\)|[A-Za-z_]\w*|\d+)\s*\{")
_PART_WIDTH = re.compile(r"[+-]:([^\]]*)\]")
_PART_MSB = re.compile(r"(?P<name>\b[A-Za-z_]\w*)\s*\[(?P<w>[^\[\]:]*[^\[\]:+\-\s])\s*:[^\[\]]+\]")
_LOCALPARAM = re.compile(r"\blocalparam\b\s*(?:integer\s+|\[[^\]]*\]\s*)?(\w+)\s*=\s*([^;]*);")
_KEYWORDS = {"reg", "wire", "signed", "integer", "input", "output", "inout", "localparam", "genvar", "parameter"}


def _block(mask: bytearray, start: int, end: int) -> None:
    mask[start:end] = bytes(end - start)


def mutable_mask(text: str) -> bytearray:
    """One byte per character of a Verilog file: 1 where a mutation may touch it, 0 elsewhere.

    Masked (0): comments, strings, compiler-directive lines, ```ifndef SYNTHESIS`` ...
    ```endif`` blocks, the module header (``module`` up to the ``;`` that ends its port list),
    widths (declared ranges ``wire [W-1:0]``, replication counts ``{N{...}}``, the width of an
    indexed part select ``[b +: W]``) and function bodies (compile-time helpers such as ``clog2``).
    """
    n = len(text)
    mask = bytearray(b"\x01" * n)
    i = 0
    while i < n:  # comments and strings
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
        elif text[i] == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
        else:
            i += 1
            continue
        _block(mask, i, j)
        i = j
    for m in re.finditer(r"(?m)^[ \t]*`\w+.*$", text):  # directive lines
        _block(mask, m.start(), m.end())
    for m in re.finditer(r"(?ms)^[ \t]*`ifndef\s+SYNTHESIS\b.*?^[ \t]*`endif\b.*?$", text):
        _block(mask, m.start(), m.end())
    for m in re.finditer(r"(?ms)^[ \t]*function\b.*?^[ \t]*endfunction\b", text):
        _block(mask, m.start(), m.end())
    for m in re.finditer(r"\bmodule\b", text):
        if not mask[m.start()]:
            continue
        depth, j = 0, m.end()
        while j < n and not (text[j] == ";" and depth == 0 and mask[j]):
            if mask[j]:
                depth += {"(": 1, ")": -1}.get(text[j], 0)
            j += 1
        _block(mask, m.start(), j + 1)
    code = bytes(mask)  # before the widths: what is logic or width, not comment or check
    widths = bytearray(n)
    for pat in (_DECL_RANGE, _REPL_COUNT, _PART_WIDTH, _PART_MSB):
        for m in pat.finditer(text):
            start, end = m.span(m.re.groupindex.get("w", 1))
            if pat is not _PART_MSB or m.group("name") not in _KEYWORDS:
                widths[start:end] = b"\x01" * (end - start)
            if pat is not _PART_MSB:
                _block(mask, start, end)
    for start, end in _width_only_localparams(text, code, widths):
        _block(mask, start, end)
    return mask


def _width_only_localparams(text: str, code: bytes, widths: bytearray) -> list[tuple[int, int]]:
    """The value spans of the localparams that only size vectors: every use of the name in the
    logic is a width (a range, a replication count, a part select's width or MSB) or lies in the
    value of another such localparam."""
    decls = {m.group(1): (m.start(1), m.start(2), m.end(2)) for m in _LOCALPARAM.finditer(text) if code[m.start()]}
    uses = {name: [m.start() for m in re.finditer(rf"\b{name}\b", text) if code[m.start()] and m.start() != at]
            for name, (at, _, _) in decls.items()}
    width_only = set(decls)
    changed = True
    while changed:
        changed = False
        for name in sorted(width_only):
            for pos in uses[name]:
                owner = [o for o, (_, s, e) in decls.items() if s <= pos < e]
                if not widths[pos] and not (owner and owner[0] in width_only):
                    width_only.discard(name)
                    changed = True
                    break
    return [decls[name][1:] for name in sorted(width_only)]
