"""``fp8kit mutate``: mutation testing of the RTL against the quick regression.

A mutant is ``rtl/`` with one small, deliberate fault in one file. The generic operators rewrite
one token of the logic:

=========== ==============================================================================
operator    rewrite
=========== ==============================================================================
``arith``   binary ``+`` <-> ``-``
``logic``   ``&`` <-> ``|`` (binary and reduction), ``^`` -> ``|``, ``&&`` <-> ``||``
``cmp``     ``==`` <-> ``!=``, ``<`` <-> ``<=``, ``>`` <-> ``>=``
``shift``   ``<<`` <-> ``>>``
``not``     a unary ``~`` or ``!`` dropped (``~|`` becomes ``|``)
``const``   an integer literal +1 and -1 (sized and unsized; the width is kept, the value stays
            within it)
=========== ==============================================================================

Only the logic is rewritten: never comments, strings, compiler directives (`` `include`` and
the like), the ```ifndef SYNTHESIS`` parameter checks, the module header (parameter defaults and
ports), a width (a declared range, a replication count, the width of a ``+:`` part select, a
literal's size) or a function (compile-time helpers such as ``clog2``). The named mutants of
:data:`TARGETED` add the faults a generic operator cannot express or may miss in the sample:
dropped sticky bits, inverted tie rules, a swapped LFSR tap, off-by-one stochastic rounding, and
every bit of every flag output stuck at 0 and at 1 (DZ stuck at 0 is left out: DZ is always 0).

For each mutant, :func:`mutate` copies ``rtl/`` to a scratch directory, applies it, compiles every
toplevel and parameter set of the affected cases with ``iverilog -g2005`` (a mutant that does not
compile, or whose elaboration does not end within the timeout, is *stillborn* and not scored),
then runs the quick regression cases whose sources include the mutated file
(``verif.common.MANIFEST``: an ``fp8_fma.v`` or ``lfsr32.v`` mutant also runs the ``fp8_mac``
cases), the toplevel's own cases first, spread over configurations. The first failing case kills it; a case that runs past the timeout kills it too
(status *timeout*); a mutant that passes every case *survived*. Mutants listed in
:data:`EQUIVALENT` (shown to behave identically for every input, docs/verification.md) are not
simulated and not scored; *error* (the worker died without a verdict) is not scored either. The
mutation score is killed / (killed + survived), timeouts counted as killed.

The unmutated copy runs the same cases first; if it fails any, nothing is scored (exit 2).
"""

from __future__ import annotations

import bisect
import dataclasses
import difflib
import json
import os
import queue
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from fp8kit import paths

from fp8kit import procs
from fp8kit.procs import ToolMissing
from verif.common.manifest import MANIFEST, include_dirs, sources_for
from verif.common.runner import error_lines
from verif.regress.plan import Case, plan

__all__ = [
    "EQUIVALENT",
    "MODULES",
    "TARGETED",
    "Mutant",
    "MutateOptions",
    "affected_cases",
    "generate",
    "mutable_mask",
    "mutate",
    "operator_mutants",
    "targeted_mutants",
]

RTL = paths.rtl_dir()
"""The RTL mutated (:func:`fp8kit.paths.rtl_dir`)."""
MODULES = ("lfsr32", "int8_mac", "fp8_mul", "fp8_fma", "fp8_mac", "mx_dot")
"""The mutated files, ``rtl/<module>.v``."""
DEFAULT_MAX_PER_MODULE = 40
"""Generic mutants sampled per module in a default run (the named ones always run)."""
STATUSES = ("killed", "timeout", "survived", "stillborn", "equivalent", "error")


@dataclasses.dataclass(frozen=True)
class Mutant:
    """One fault in one file of ``rtl/``.

    Attributes:
        id: ``<module>/<name>``: ``<module>/<operator><n>`` for a generic mutant (n counts that
            module's generic mutants in file order, before sampling), the :data:`TARGETED` name
            otherwise.
        module: the file is ``rtl/<module>.v``.
        line: 1-based line of the first edit.
        operator: ``arith``, ``logic``, ``cmp``, ``shift``, ``not``, ``const`` or ``named``.
        description: what changed, in words.
        edits: ``(start, end, text)`` replacements of ``text[start:end]`` in the original file,
            non-overlapping, in ascending order.
    """

    id: str
    module: str
    line: int
    operator: str
    description: str
    edits: tuple[tuple[int, int, str], ...]

    def apply(self, text: str) -> str:
        """The mutated file text."""
        out, pos = [], 0
        for start, end, new in self.edits:
            out += [text[pos:start], new]
            pos = end
        return "".join(out) + text[pos:]

    def diff(self, text: str) -> str:
        """A unified diff (one line of context) from ``text`` to the mutant."""
        name = f"rtl/{self.module}.v"
        return "".join(difflib.unified_diff(text.splitlines(True), self.apply(text).splitlines(True),
                                            f"a/{name}", f"b/{name}", n=1))

    def changed_lines(self, text: str) -> tuple[str, str]:
        """The first changed line, before and after, stripped (the key of :data:`EQUIVALENT`)."""
        before, after = text.splitlines(), self.apply(text).splitlines()
        k = self.line - 1
        return before[k].strip(), after[k].strip()


# ---------------------------------------------------------------------------------------- masking

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


# ---------------------------------------------------------------------------------------- operators

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


# ---------------------------------------------------------------------------------------- named mutants

@dataclasses.dataclass(frozen=True)
class Named:
    """A named mutant: replace ``old`` (which must occur exactly once in the file) by ``new``."""

    name: str
    description: str
    old: str
    new: str


@dataclasses.dataclass(frozen=True)
class Stuck:
    """Bit ``bit`` of output ``port`` (declared ``[4:0]``) stuck at ``value``."""

    port: str
    bit: int
    value: int
    label: str

    @property
    def name(self) -> str:
        return f"{self.port}_{self.label.lower()}_sa{self.value}"


_FLAGS = ("NX", "UF", "OF", "DZ", "NV")  # flags_o bit k
_FLAG_STUCK = tuple(Stuck("flags_o", k, v, _FLAGS[k]) for k in range(5) for v in (0, 1) if (k, v) != (3, 0))

TARGETED: dict[str, tuple[Named | Stuck, ...]] = {
    "lfsr32": (
        Named("tap_swap", "swapped LFSR tap: x^21 term moved to x^22 (POLY 32'h8040_0003)",
              "POLY = 32'h8020_0003", "POLY = 32'h8040_0003"),
        Named("tap_drop", "dropped LFSR tap x (POLY 32'h8020_0001)", "POLY = 32'h8020_0003", "POLY = 32'h8020_0001"),
        Named("leap_31", "31 single steps per leap instead of 32", "LEAP = 32", "LEAP = 31"),
        Named("step_over_clear", "step_i wins over clear_i",
              "if (clear_i) begin\n      state_d = SEED;\n    end else if (step_i) begin\n      state_d = leap_d;",
              "if (step_i) begin\n      state_d = leap_d;\n    end else if (clear_i) begin\n      state_d = SEED;"),
    ),
    "int8_mac": (
        Named("ovf_sa0", "ovf_o stuck at 0", "assign ovf_o   = ovf_q;", "assign ovf_o   = 1'b0;"),
        Named("ovf_sa1", "ovf_o stuck at 1", "assign ovf_o   = ovf_q;", "assign ovf_o   = 1'b1;"),
        Named("ovf_not_sticky", "ovf only reflects the last pair (not sticky)", "ovf_d = ovf_q | step_ovf;",
              "ovf_d = step_ovf;"),
        Named("sat_limits_swapped", "saturation to the opposite int32 limit",
              "sum[33] ? 32'h8000_0000 : 32'h7FFF_FFFF", "sum[33] ? 32'h7FFF_FFFF : 32'h8000_0000"),
        Named("ovf_top2", "overflow test on the top two bits only", "(sum[33:31] != 3'b000) && (sum[33:31] != 3'b111)",
              "(sum[33:32] != 2'b00) && (sum[33:32] != 2'b11)"),
    ),
    "fp8_mul": (
        Named("inf_times_zero", "Inf x 0 classed as Inf, not NaN", "a_nan | b_nan | (a_inf & b_zero) | (a_zero & b_inf)",
              "a_nan | b_nan"),
        Named("nan_sign", "sign_o not cleared for a NaN product", "(a_sign ^ b_sign) & (cls != CLS_NAN)",
              "(a_sign ^ b_sign)"),
        Named("sub_before_zero", "subnormal class checked before zero",
              "end else if (a_zero | b_zero) begin\n      cls = CLS_ZERO;\n    end else if (a_sub | b_sub) begin\n"
              "      cls = CLS_SUB;",
              "end else if (a_sub | b_sub) begin\n      cls = CLS_SUB;\n    end else if (a_zero | b_zero) begin\n"
              "      cls = CLS_ZERO;"),
    ),
    "fp8_fma": (
        Named("sticky_round_drop", "dropped sticky bit of the rounding (stk = 0)", "stk = |rem[RW-2:0];",
              "stk = 1'b0;"),
        Named("sticky_lsb_drop", "sticky bit loses the window's bottom bit", "stk = |rem[RW-2:0];",
              "stk = |rem[RW-2:1];"),
        Named("sticky_acc_drop", "dropped sticky bit of an accumulator shifted below the window",
              "c_rsh[2*M+2:M+2], |c_rsh[M+1:0]}", "c_rsh[2*M+2:M+2], 1'b0}"),
        Named("sticky_prod_drop", "dropped sticky bit of a product far below the accumulator",
              "p_al = {{(FW-1){1'b0}}, 1'b1};", "p_al = {FW{1'b0}};"),
        Named("tie_away", "inverted tie rule: rne ties away from zero",
              "default: begin inc = rbit & (stk | keep[0]); inc2 = rbit2; end",
              "default: begin inc = rbit; inc2 = rbit2; end"),
        Named("tie_odd", "inverted tie rule: rne ties to odd",
              "default: begin inc = rbit & (stk | keep[0]); inc2 = rbit2; end",
              "default: begin inc = rbit & (stk | ~keep[0]); inc2 = rbit2; end"),
        Named("rmm_tie_even", "inverted tie rule: rmm ties to even", "3'd4: begin inc = rbit; inc2 = rbit2; end",
              "3'd4: begin inc = rbit & (stk | keep[0]); inc2 = rbit2; end"),
        Named("rto_lsb_drop", "rto: the sticky OR into the result LSB dropped",
              "keep_r = {keep[M:1], keep[0] | inexact};", "keep_r = keep;"),
        Named("sr_strict", "sr off by one: round away iff t + r > 2^R", "3'd5: inc = sr_sum[SR_BITS];",
              "3'd5: inc = sr_sum[SR_BITS] & (|sr_sum[SR_BITS-1:0]);"),
        Named("sr_plus_one", "sr off by one: round away iff t + r + 1 >= 2^R",
              "{1'b0, rem[RW-1:RW-SR_BITS]} + {1'b0, rand_i}", "{1'b0, rem[RW-1:RW-SR_BITS]} + {1'b0, rand_i} + 1'b1"),
        Named("tiny_before_rounding", "tininess detected before rounding",
              "tiny = sub & ~((e_msb == K_EMIN - K_ONE) & all1_2 & inc2);", "tiny = sub;"),
        Named("sat_ignored", "sat_i ignored", "to_max = to_max | sat_i;", "to_max = to_max;"),
        Named("snan_not_invalid", "no signalling NaN operand raises NV", "clash | a_snan | b_snan | c_snan;",
              "clash;"),
        Named("snan_operand_valid", "a signalling NaN multiplicand does not raise NV (only the accumulator)",
              "clash | a_snan | b_snan | c_snan;", "clash | c_snan;"),
        Named("inf_clash_valid", "+Inf + -Inf not invalid", "wire clash = p_inf & c_inf & (p_neg != c_s);",
              "wire clash = 1'b0;"),
        *_FLAG_STUCK,
    ),
    "fp8_mac": (
        Named("flags_not_sticky", "flags only reflect the last operation", "flags_d = flags_q | fma_flags;",
              "flags_d = fma_flags;"),
        Named("lfsr_no_clear", "clear_i does not reload the LFSR seed", ".clear_i(clear_i),", ".clear_i(1'b0),"),
        Named("lfsr_free_running", "the LFSR leaps on a clear cycle too", "wire          step = valid_i & ~clear_i;",
              "wire          step = valid_i;"),
        Named("rand_high_bits", "sr takes the high LFSR bits", ".rand_i(word[SR_BITS-1:0]),",
              ".rand_i(word[31 -: SR_BITS]),"),
        *_FLAG_STUCK,
    ),
    "mx_dot": (
        Named("sticky_drop", "dropped sticky bit of the rounding", "wire           sticky = |wide[AW:0];",
              "wire           sticky = 1'b0;"),
        Named("sticky_lsb_drop", "sticky bit loses the bottom bit", "wire           sticky = |wide[AW:0];",
              "wire           sticky = |wide[AW:1];"),
        Named("tie_away", "inverted tie rule: ties away from zero", "wire           up = rnd & (sticky | sig[0]);",
              "wire           up = rnd;"),
        Named("tie_odd", "inverted tie rule: ties to odd", "wire           up = rnd & (sticky | sig[0]);",
              "wire           up = rnd & (sticky | ~sig[0]);"),
        Named("tiny_before_rounding", "tininess detected before rounding",
              "wire           tiny = ~is_norm & ~(e_m127 & u_carry);", "wire           tiny = ~is_norm;"),
        Named("hold_broken", "PIPE >= 1: the stage register loads without valid_i", "if (valid_i) q <= s1_d;",
              "q <= s1_d;"),
        Named("nzero_any", "a -0 result when any product is -0 (not all)", "|p_ninf, &p_nzero};",
              "|p_ninf, |p_nzero};"),
        Named("snan_not_invalid", "no signalling-NaN element raises NV",
              "| (a_zero & b_inf) | a_cls[3] | b_cls[3];", "| (a_zero & b_inf);"),
        Named("snan_b_valid", "a signalling-NaN B element does not raise NV (only A's)",
              "| (a_zero & b_inf) | a_cls[3] | b_cls[3];", "| (a_zero & b_inf) | a_cls[3];"),
        *_FLAG_STUCK,
    ),
}
"""The named mutants of each module."""


def _stuck_edits(module: str, text: str, s: Stuck) -> tuple[tuple[int, int, str], ...]:
    """Edits that route ``port`` through an inner signal and force one bit of it (a named port
    connection ``.port(...)`` of an instance is left alone)."""
    decl = re.search(rf"output\s+(reg|wire)\s*\[4:0\]\s*{s.port}\b", text)
    header_end = re.search(r"\n\);\n", text)
    if decl is None or header_end is None:
        raise ValueError(f"{module}: no `output [4:0] {s.port}` port to mutate")
    inner = f"{s.port}_mutant"
    force = f"{s.port} = {inner} | 5'b{1 << s.bit:05b}" if s.value else f"{s.port} = {inner} & 5'b{31 ^ (1 << s.bit):05b}"
    edits = [(decl.start(), decl.end(), f"output wire [4:0] {s.port}"),
             (header_end.end(), header_end.end(), f"  {decl.group(1)} [4:0] {inner};\n  assign {force};\n")]
    edits += [(m.start(), m.end(), inner) for m in re.finditer(rf"(?<!\.)\b{s.port}\b", text)
              if m.start() > header_end.end()]
    return tuple(edits)


def targeted_mutants(module: str, text: str) -> list[Mutant]:
    """The named mutants of one file (:data:`TARGETED`).

    Raises:
        ValueError: a named mutant's text is not found exactly once (the RTL changed under it).
    """
    out = []
    for t in TARGETED.get(module, ()):
        if isinstance(t, Stuck):
            edits = _stuck_edits(module, text, t)
            description = f"{t.port} bit {t.bit} ({t.label}) stuck at {t.value}"
            line = text.count("\n", 0, edits[0][0]) + 1
        else:
            if text.count(t.old) != 1:
                raise ValueError(f"named mutant {module}/{t.name}: {t.old!r} occurs {text.count(t.old)} times in "
                                 f"rtl/{module}.v, expected once")
            start = text.index(t.old)
            edits = ((start, start + len(t.old), t.new),)
            description = t.description
            line = text.count("\n", 0, start) + 1
        out.append(Mutant(f"{module}/{t.name}", module, line, "named", description, edits))
    return out


# ---------------------------------------------------------------------------------------- equivalence

EQUIVALENT: dict[tuple[str, str, str], str] = {
    ("int8_mac", "wire               step_ovf = (sum[33:31] != 3'b000) && (sum[33:31] != 3'b111);",
     "wire               step_ovf = (sum[32:31] != 3'b000) && (sum[33:31] != 3'b111);"):
        "|sum| <= 2^31 + 2^14: sum[33:31] is never 100, the only pattern the two tests tell apart",
    ("int8_mac", "acc_d = sum[33] ? 32'h8000_0000 : 32'h7FFF_FFFF;",
     "acc_d = sum[32] ? 32'h8000_0000 : 32'h7FFF_FFFF;"):
        "used only on overflow, where sum[33:31] is 001 or 110: bit 32 equals bit 33",
    ("fp8_fma", "localparam [EW-1:0] K_ACC_OFF = V_ACC_OFF[EW-1:0];",
     "localparam [EW-1:0] K_ACC_OFF = V_ACC_OFF[EW-2:0];"):
        "ACC_BIAS + M < 2^(EW-1): bit EW-1 of the constant is 0",
    ("fp8_fma", "localparam [EW-1:0] K_S = V_S[EW-1:0];", "localparam [EW-1:0] K_S = V_S[EW-2:0];"):
        "S = M + SR_BITS + 4 < 2^(EW-1): bit EW-1 of the constant is 0",
    ("fp8_fma", "localparam [EW-1:0] K_TOP = V_TOP[EW-1:0];", "localparam [EW-1:0] K_TOP = V_TOP[EW-2:0];"):
        "FW - 2 < 2^(EW-1): bit EW-1 of the constant is 0",
    ("fp8_fma", "c_al = {{(FW-M-2){1'b0}}, c_rsh[2*M+2:M+2], |c_rsh[M+1:0]};",
     "c_al = {{(FW-M-2){1'b0}}, c_rsh[2*M+1:M+2], |c_rsh[M+1:0]};"):
        "in this branch c_rsh_n >= 1, so the right shift always clears c_rsh[2*M+2]",
    ("fp8_fma", "wire             stk = |rem[RW-2:0];", "wire             stk = |rem[RW-2:1];"):
        "nrm[0] is a shifted-in 0 unless the window's top sits exactly at emin (A_BIAS + B_BIAS = "
        "6 + SR_BITS + M + 2^(ACC_EXP_W-1)), which no pair of registered formats meets",
    ("fp8_mac", "wire          step = valid_i & ~clear_i;", "wire          step = valid_i;"):
        "lfsr32 gives clear_i priority over step_i, and clear_i is wired to it",
    ("mx_dot", "wire unused_clk = clk_i ^ rst_ni;", "wire unused_clk = clk_i | rst_ni;"):
        "a lint sink with no loads",
    ("mx_dot", "wire           sticky = |wide[AW:0];", "wire           sticky = |wide[AW:1];"):
        "wide[0] is a shifted-in 0 unless d = 26, and then norm's leading one already sets the sticky bit",
    ("mx_dot", "localparam integer SHMAX = 2 * ((1 << ELEM_EXP_W) - 2);",
     "localparam integer SHMAX = 2 * ((2 << ELEM_EXP_W) - 2);"):
        "only widens the exact accumulator (TW, AW); LSB0 is unchanged and EOFF follows AW",
}
"""Mutants shown equivalent (docs/verification.md, "Mutation testing"), keyed by (module, the first
changed line before, after; both stripped), with the reason. They are not simulated or scored."""


def generate(modules: Sequence[str] = MODULES, *, max_per_module: int | None = DEFAULT_MAX_PER_MODULE,
             seed: int = 1, rtl: Path = RTL) -> list[Mutant]:
    """The mutants of a run: per module, a sample of the generic mutants plus every named one.

    Args:
        modules: file stems of ``rtl/`` (:data:`MODULES`).
        max_per_module: generic mutants kept per module, drawn without replacement by a generator
            seeded with ``(seed, module)`` and kept in file order; ``None`` keeps all of them.
        seed: the sampling seed.
        rtl: the directory holding the files.

    Raises:
        ValueError: an unknown module or a negative ``max_per_module``.
    """
    bad = [m for m in modules if m not in MODULES]
    if bad:
        raise ValueError(f"unknown module {', '.join(map(repr, bad))}; known: {', '.join(MODULES)}")
    if max_per_module is not None and max_per_module < 0:
        raise ValueError(f"--max-per-module must be >= 0, got {max_per_module}")
    out = []
    for module in modules:
        text = (rtl / f"{module}.v").read_text()
        generic = operator_mutants(module, text)
        if max_per_module is not None and len(generic) > max_per_module:
            keep = sorted(random.Random(f"{seed}:{module}").sample(range(len(generic)), max_per_module))
            generic = [generic[k] for k in keep]
        named = targeted_mutants(module, text)
        same = {mu.apply(text) for mu in named}
        out += [mu for mu in generic if mu.apply(text) not in same] + named
    return out


# ---------------------------------------------------------------------------------------- cases


def _spread(cases: Sequence[Case]) -> list[Case]:
    """``cases`` reordered so that neighbours differ: each next case shares the fewest id parts
    (``/``-separated) with the cases already taken; ties keep plan order."""
    left = list(cases)
    seen: dict[tuple[int, str], int] = {}
    out = []
    while left:
        best = min(range(len(left)), key=lambda k: (sum(seen.get((i, p), 0) for i, p in
                                                       enumerate(left[k].id.split("/"))), k))
        c = left.pop(best)
        for i, p in enumerate(c.id.split("/")):
            seen[(i, p)] = seen.get((i, p), 0) + 1
        out.append(c)
    return out


def affected_cases(module: str, level: str = "quick") -> list[Case]:
    """The cases of ``level`` whose toplevel's sources include ``rtl/<module>.v``, in kill order:
    the module's own cases first, then the others, each spread over configurations."""
    name = f"{module}.v"
    cases = [c for c in plan(level) if name in MANIFEST[c.toplevel]]
    return _spread([c for c in cases if c.toplevel == module]) + _spread([c for c in cases if c.toplevel != module])


# ---------------------------------------------------------------------------------------- running


@dataclasses.dataclass
class MutateOptions:
    """The command line of ``fp8kit mutate``."""

    modules: tuple[str, ...] = ()
    max_per_module: int | None = DEFAULT_MAX_PER_MODULE
    seed: int = 1
    out: Path = Path("mutate_out")
    jobs: int = 0
    timeout: float = 60.0
    list_only: bool = False


@dataclasses.dataclass
class Outcome:
    """What running one mutant gave.

    Attributes:
        status: one of :data:`STATUSES`.
        case: the killing case (killed), the case that ran past the timeout (timeout), else "".
        cases_run: cases that ran to completion.
        seconds: wall time spent on the mutant.
        message: the compiler's error (stillborn), the first mismatch or failure (killed), the
            reason (equivalent).
    """

    status: str
    case: str = ""
    cases_run: int = 0
    seconds: float = 0.0
    message: str = ""


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def _copy_rtl(dest: Path) -> Path:
    shutil.copytree(RTL, dest, ignore=shutil.ignore_patterns("*.core", "*.md"))
    return dest


def compile_check(rtl_dir: Path, cases: Sequence[Case], timeout: float) -> str:
    """"" if every toplevel and parameter set of ``cases`` compiles from ``rtl_dir`` with
    ``iverilog -g2005``, else the reason (the first error lines, or the timeout)."""
    builds = sorted({(c.toplevel, c.params) for c in cases})
    for top, params in builds:
        srcs = [str(p) for p in sources_for(top, rtl_dir)]
        incs = [f"-I{d}" for d in include_dirs(rtl_dir)]
        cmd = ["iverilog", "-g2005", "-o", os.devnull, *incs, *(f"-P{top}.{k}={v}" for k, v in params), "-s", top,
               *srcs]
        try:
            r = procs.run(cmd, step=f"iverilog compile check of {top}", timeout=timeout, raise_hint="--timeout SECONDS")
        except procs.StepTimeout as exc:
            return str(exc)
        if r.returncode:
            return f"{top} {dict(params)}: " + " | ".join(error_lines(r.stderr + r.stdout, strip=f"{rtl_dir}{os.sep}"))
    return ""


_LIVE: set[subprocess.Popen] = set()
_LIVE_LOCK = threading.Lock()


def _kill(proc: subprocess.Popen) -> None:
    """Kills the worker's process group (the worker and every simulator it started)."""
    procs.kill_group(proc, grace=0.5)


def run_cases(rtl_dir: Path, cases: Sequence[Case], work: Path, timeout: float, log: Path) -> Outcome:
    """Run ``cases`` in order on the RTL in ``rtl_dir`` (one worker process), stopping at the first
    failure: ``killed`` (with the case), ``timeout`` (a case ran longer than ``timeout`` s: the
    worker is killed), ``survived``, or ``error`` (the worker died without a verdict; see ``log``).
    """
    t0 = time.perf_counter()
    request = {"rtl_dir": str(rtl_dir), "work": str(work), "log": str(log), "cases": [c.id for c in cases]}
    root = paths.checkout_root()  # from a checkout, the worker imports its verif whether installed or not
    path = [str(root)] if root else []
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*path, os.environ.get("PYTHONPATH", "")])}
    proc = procs.popen([sys.executable, "-c", "from verif.mutate import _worker; _worker()"], env=env,
                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    with _LIVE_LOCK:
        _LIVE.add(proc)
    lines: queue.Queue = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(ln) for ln in proc.stdout] + [lines.put(None)], daemon=True)
    reader.start()
    try:
        proc.stdin.write(json.dumps(request))
        proc.stdin.close()
        for k, case in enumerate(cases):
            try:
                line = lines.get(timeout=timeout)
            except queue.Empty:
                return Outcome("timeout", case.id, k, time.perf_counter() - t0, f"no result in {timeout:.0f} s")
            if line is None:
                return Outcome("error", case.id, k, time.perf_counter() - t0, f"the worker died; see {log}")
            result = json.loads(line)
            if not result["ok"]:
                return Outcome("killed", case.id, k + 1, time.perf_counter() - t0, result["message"])
        return Outcome("survived", "", len(cases), time.perf_counter() - t0)
    finally:
        _kill(proc)
        reader.join()
        proc.stdout.close()
        with _LIVE_LOCK:
            _LIVE.discard(proc)


def _worker() -> None:
    """The worker process of :func:`run_cases`: reads the request (JSON) on stdin, runs each case
    with ``Case.run`` exactly as ``fp8kit regress`` does (run seed 1) but with the sources taken
    from ``rtl_dir``, and writes one JSON line per case on stdout; simulator output goes to the log."""
    from verif.common import SimFailure

    request = json.loads(sys.stdin.read())
    proto = os.fdopen(os.dup(1), "w")
    log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    cases = {c.id: c for c in plan("quick")}
    rtl_dir, work = Path(request["rtl_dir"]), Path(request["work"])
    for case_id in request["cases"]:
        ok, message = True, ""
        try:
            cases[case_id].run(1, work / _safe(case_id), rtl_dir=rtl_dir)
        except SimFailure as exc:
            examples = exc.result.report.get("examples", [])
            ok, message = False, (examples[0] if examples else str(exc)).splitlines()[0][:300]
        except RuntimeError as exc:  # cocotb's runner: the build failed, as the regression would see it
            ok, message = False, f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        print(json.dumps({"case": case_id, "ok": ok, "message": message}), file=proto, flush=True)
        if not ok:
            return


def _check_options(opts: MutateOptions) -> None:
    if opts.jobs < 0:
        raise ValueError(f"--jobs must be >= 1 (0: one per CPU), got {opts.jobs}")
    if not opts.timeout > 0:
        raise ValueError(f"--timeout must be > 0 seconds, got {opts.timeout}")
    if shutil.which("iverilog") is None or shutil.which("vvp") is None:
        raise ToolMissing("iverilog/vvp not found on PATH: `apt-get install iverilog` (or `make tools`)")


def _run_one(mutant: Mutant | None, cases: Sequence[Case], scratch: Path, logs: Path, timeout: float) -> Outcome:
    """Apply ``mutant`` (None: the unmutated RTL) to a fresh copy of rtl/, compile, run ``cases``."""
    name = _safe(mutant.id if mutant else "baseline")
    work = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=scratch))
    try:
        rtl_dir = _copy_rtl(work / "rtl")
        if mutant is not None:
            path = rtl_dir / f"{mutant.module}.v"
            path.write_text(mutant.apply(path.read_text()))
        t0 = time.perf_counter()
        reason = compile_check(rtl_dir, cases, timeout)
        if reason:
            return Outcome("stillborn", seconds=time.perf_counter() - t0, message=reason)
        return run_cases(rtl_dir, cases, work / "sim", timeout, logs / f"{name}.log")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _baseline(modules: Sequence[str], jobs: int, scratch: Path, logs: Path, timeout: float,
              pool: ThreadPoolExecutor) -> Outcome | None:
    """Run every affected case on the unmutated RTL in ``jobs`` interleaved chunks; the first
    failing chunk's :class:`Outcome`, or None when all pass."""
    cases = {c.id: c for m in modules for c in affected_cases(m)}
    ordered = sorted(cases.values(), key=lambda c: c.id)
    chunks = [ordered[k::jobs] for k in range(jobs) if ordered[k::jobs]]
    for out in pool.map(lambda ch: _run_one(None, ch, scratch, logs, timeout), chunks):
        if out.status != "survived":
            return out
    return None


def mutate(opts: MutateOptions, console=None) -> int:
    """Run ``fp8kit mutate``: list or run the mutants, write ``<out>/mutants.json`` and
    ``<out>/survivors.diff``, print the table, the score and every survivor's diff.

    ``mutants.json``: ``{"score", "counts", "seconds", "options", "mutants": [{id, module, line,
    operator, description, status, case, cases_run, seconds, message, diff}]}``; worker logs go to
    ``<out>/logs/``.

    Returns:
        0 when no mutant survived or erred, 1 otherwise, 2 for an unmutated RTL that fails its own
        cases (the score would mean nothing).

    Raises:
        ValueError: bad options or module names (checked before anything runs).
        fp8kit.procs.ToolMissing: iverilog/vvp not installed.
        fp8kit.procs.Interrupted: on an interrupt, after killing every worker's process group;
            the logs of the mutants that finished are kept.
    """
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    _check_options(opts)
    modules = tuple(dict.fromkeys(opts.modules)) or MODULES
    mutants = generate(modules, max_per_module=opts.max_per_module, seed=opts.seed)
    texts = {m: (RTL / f"{m}.v").read_text() for m in modules}
    if opts.list_only:
        table = Table(title=f"fp8kit mutate: {len(mutants)} mutants", title_justify="left")
        for col in ("id", "line", "description"):
            table.add_column(col)
        for mu in mutants:
            table.add_row(mu.id, str(mu.line), mu.description)
        console.print(table)
        return 0

    jobs = opts.jobs or os.cpu_count() or 1
    out = opts.out.resolve()
    shutil.rmtree(out / "logs", ignore_errors=True)
    (out / "logs").mkdir(parents=True)
    scratch = Path(tempfile.mkdtemp(prefix="fp8kit-mutate-"))
    plans = {m: affected_cases(m) for m in modules}
    console.print(f"fp8kit mutate: {len(mutants)} mutants of {', '.join(modules)}; sample seed {opts.seed}, "
                  f"{jobs} jobs, {opts.timeout:.0f} s per case -> {out}", highlight=False)
    t0 = time.perf_counter()
    rows: dict[str, dict] = {}
    try:
        with ThreadPoolExecutor(jobs) as pool:
            bad = _baseline(modules, jobs, scratch, out / "logs", opts.timeout, pool)
            if bad is not None:
                console.print(f"[bold red]error:[/] the unmutated RTL fails: {bad.status} {bad.case} {bad.message} "
                              "(fix it before scoring mutants)", highlight=False)
                return 2
            console.print(f"unmutated RTL: {len({c.id for p in plans.values() for c in p})} cases pass "
                          f"({time.perf_counter() - t0:.0f} s)", highlight=False)

            def one(mu: Mutant) -> tuple[Mutant, Outcome]:
                before, after = mu.changed_lines(texts[mu.module])
                reason = EQUIVALENT.get((mu.module, before, after))
                if reason is not None:
                    return mu, Outcome("equivalent", message=reason)
                return mu, _run_one(mu, plans[mu.module], scratch, out / "logs", opts.timeout)

            for k, (mu, res) in enumerate(pool.map(one, mutants), 1):
                rows[mu.id] = {**{f: getattr(mu, f) for f in ("id", "module", "line", "operator", "description")},
                               **dataclasses.asdict(res), "diff": mu.diff(texts[mu.module])}
                style = {"survived": "bold red", "error": "bold red", "stillborn": "yellow", "equivalent": "cyan"}.get(res.status, "green")
                console.print(f"[{k}/{len(mutants)}] [{style}]{res.status:<10}[/] {mu.id}  {mu.description}"
                              + (f"  <- {res.case}" if res.case else "") + f"  ({res.seconds:.0f} s)",
                              highlight=False)
    except KeyboardInterrupt:
        raise procs.Interrupted([str(out / "logs")]) from None
    finally:
        with _LIVE_LOCK:
            for proc in list(_LIVE):
                _kill(proc)
        shutil.rmtree(scratch, ignore_errors=True)
    wall = time.perf_counter() - t0
    return _report(list(rows.values()), opts, wall, out, console)


def _report(rows: list[dict], opts: MutateOptions, wall: float, out: Path, console) -> int:
    from rich.table import Table

    counts = {s: sum(r["status"] == s for r in rows) for s in STATUSES}
    killed = counts["killed"] + counts["timeout"]
    scored = killed + counts["survived"]
    score = killed / scored if scored else 1.0
    survivors = [r for r in rows if r["status"] == "survived"]
    (out / "mutants.json").write_text(json.dumps(
        {"score": score, "counts": counts, "seconds": round(wall, 1),
         "options": {"modules": list(opts.modules), "max_per_module": opts.max_per_module, "seed": opts.seed,
                     "timeout": opts.timeout}, "mutants": rows}, indent=1))
    (out / "survivors.diff").write_text("".join(f"# {r['id']}: {r['description']}\n{r['diff']}" for r in survivors))

    table = Table(title=f"fp8kit mutate: {len(rows)} mutants in {wall:.0f} s", title_justify="left")
    for col in ("mutant", "line", "description", "status", "killed by"):
        table.add_column(col, overflow="fold")
    for r in rows:
        style = {"survived": "bold red", "error": "bold red", "stillborn": "yellow", "equivalent": "cyan"}.get(r["status"], "green")
        table.add_row(r["id"], str(r["line"]), r["description"], f"[{style}]{r['status']}[/]", r["case"])
    console.print(table)
    per = Table(title="by module", title_justify="left")
    for col in ("module", *STATUSES, "score"):
        per.add_column(col, justify="left" if col == "module" else "right")
    for m in dict.fromkeys(r["module"] for r in rows):
        c = {s: sum(r["status"] == s for r in rows if r["module"] == m) for s in STATUSES}
        k, n = c["killed"] + c["timeout"], c["killed"] + c["timeout"] + c["survived"]
        per.add_row(m, *(str(c[s]) for s in STATUSES), f"{100 * k / n:.1f}%" if n else "-")
    console.print(per)
    console.print(f"mutation score {killed}/{scored} = {100 * score:.1f}% (killed incl. {counts['timeout']} by "
                  f"timeout; {counts['stillborn']} stillborn and {counts['equivalent']} equivalent not scored); "
                  f"{out / 'mutants.json'}", highlight=False)
    for r in survivors:
        console.print(f"[bold red]SURVIVED[/] {r['id']}: {r['description']}", highlight=False)
        console.print(r["diff"], markup=False, highlight=False)
    return 1 if survivors or counts["error"] else 0
