"""The generic mutants: one token of the logic rewritten by one operator (``arith``, ``logic``, ``cmp``,
``shift``, ``not``, ``const``; the table in :mod:`verif.mutate`)."""

from __future__ import annotations

import bisect
import dataclasses
import re

from verif.mutate.mask import _KEYWORDS, _PART_MSB, mutable_mask
from verif.mutate.mutant import Mutant

__all__ = ["operator_mutants"]

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<sized>\d+\s*'[sS]?[bBoOdDhH]\s*[0-9a-fA-F_xXzZ?]+)
  | (?P<ident>[A-Za-z_$][A-Za-z0-9_$]*)
  | (?P<num>\d+)
  | (?P<op><<<|>>>|===|!==|==|!=|<=|>=|<<|>>|&&|\|\||~&|~\||~\^|\^~|\+:|-:|[-+*/%&|^~!<>=?:;,.()\[\]{}\#@'])
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL)
_SWAP = {"+": ("-", "arith"), "-": ("+", "arith"), "&": ("|", "logic"), "|": ("&", "logic"), "^": ("|", "logic"),
         "&&": ("||", "logic"), "||": ("&&", "logic"), "==": ("!=", "cmp"), "!=": ("==", "cmp"), "<": ("<=", "cmp"),
         "<=": ("<", "cmp"), ">": (">=", "cmp"), ">=": (">", "cmp"), "<<": (">>", "shift"), ">>": ("<<", "shift")}
_VALUE_END = {")", "]", "}"}
_BASES = {"b": 2, "o": 8, "d": 10, "h": 16}
_DIGITS = "0123456789abcdef"


def _render(value: int, base: int, digits: int) -> str:
    if base == 10:
        return str(value)
    out = ""
    while value:
        value, r = divmod(value, base)
        out = _DIGITS[r] + out
    return (out or "0").rjust(digits, "0")


def _const_edits(tok: str) -> list[tuple[str, str]]:
    """(new token, description) for +1 and -1 of an integer literal, width kept; none for x/z digits."""
    m = re.fullmatch(r"(\d+)(\s*'[sS]?)([bBoOdDhH])(\s*)([0-9a-fA-F_]+)", tok)
    if m:
        width, base = int(m.group(1)), _BASES[m.group(3).lower()]
        digits = m.group(5).replace("_", "")
        value = int(digits, base)
        out = []
        for delta in (1, -1):
            v = value + delta
            if 0 <= v < (1 << width):
                new = f"{m.group(1)}{m.group(2)}{m.group(3)}{m.group(4)}{_render(v, base, len(digits))}"
                out.append((new, f"{tok} -> {new}"))
        return out
    if tok.isdigit():
        value = int(tok)
        return [(str(value + d), f"{tok} -> {value + d}") for d in (1, -1) if value + d >= 0]
    return []


def operator_mutants(module: str, text: str) -> list[Mutant]:
    """Every generic mutant of one file, in file order (see the module docstring for the operators).

    A ``+``/``-``/``&``/``|``/``^`` is binary after a value (an identifier, a literal, or a closing
    bracket) and unary otherwise; ``<=`` is a comparison only inside brackets (outside, it is a
    non-blocking assignment); ``+:``/``-:`` part selects are left alone. The MSB of a part select
    ``x[msb:lsb]`` is only lowered (the top bit dropped), never raised: a wider select only feeds
    bits that its destination truncates, or reads past the end of ``x``.
    """
    mask = mutable_mask(text)
    msb = bytearray(len(text))
    for m in _PART_MSB.finditer(text):
        if m.group("name") not in _KEYWORDS:
            msb[m.start("w"):m.end("w")] = b"\x01" * (m.end("w") - m.start("w"))
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    out: list[Mutant] = []
    prev = ""  # previous significant token
    prev_kind = ""
    depth = 0
    for m in _TOKEN.finditer(text):
        kind, tok, start, end = m.lastgroup, m.group(), m.start(), m.end()
        if kind == "ws":
            continue
        if not all(mask[start:end]):
            prev, prev_kind = tok, kind
            if kind == "op":
                depth += {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}.get(tok, 0)
            continue
        after_value = prev_kind in ("ident", "num", "sized") or prev in _VALUE_END
        cands: list[tuple[str, str, str]] = []  # (new text, operator, description)
        if kind == "op":
            if tok in _SWAP and (after_value or tok in ("&&", "||", "==", "!=", "<", ">", ">=", "<<", ">>")):
                if not (tok == "<=" and depth == 0) and not (tok == "-" and msb[start]):
                    new, op = _SWAP[tok]
                    cands.append((new, op, f"{tok} -> {new}"))
            elif tok in ("&", "|") and not after_value:
                new = "|" if tok == "&" else "&"
                cands.append((new, "logic", f"reduction {tok} -> {new}"))
            elif tok in ("~", "!"):
                cands.append(("", "not", f"{tok} dropped"))
            elif tok in ("~&", "~|", "~^"):
                cands.append((tok[1:], "not", f"~ dropped ({tok} -> {tok[1:]})"))
            depth += {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}.get(tok, 0)
        elif kind in ("sized", "num") and prev != "#" and prev != "'":
            edits = _const_edits(tok)
            if msb[start]:  # lower the MSB only: +1 after a minus sign, else -1
                edits = [e for e in edits if (int(e[0], 0) > int(tok, 0)) == (prev == "-")]
            cands += [(new, "const", desc) for new, desc in edits]
        for new, op, desc in cands:
            line = bisect.bisect_right(line_starts, start)
            out.append(Mutant("", module, line, op, desc, ((start, end, new),)))
        prev, prev_kind = tok, kind
    counts: dict[str, int] = {}
    named = []
    for mu in out:
        counts[mu.operator] = counts.get(mu.operator, 0) + 1
        named.append(dataclasses.replace(mu, id=f"{module}/{mu.operator}{counts[mu.operator]}"))
    return named
