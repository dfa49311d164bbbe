"""The replay bench of a vector file, written from the file's column description.

A vector file's header lists its columns (``fp8kit.vectors.Column``: name, width, ``in`` or
``out``) and the DUT parameters; :data:`BINDINGS` says, per op, which DUT port each column
drives or is compared with and how the case is applied (combinationally, or clocked with a
clear before a stream).  :func:`render` turns the two into one Verilog-2005 bench,
``tb_<module>_replay``, that loads the file with ``$readmemh``, drives every case, compares
every ``out`` column in the simulator, prints the first ``MAX_REPORT`` mismatches as one
``MISMATCH case <i>: ...`` line each and ends with ``<N> vectors, <M> mismatches``.
Simulation only; the bench is written next to the build at replay time (:func:`write`).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

__all__ = ["BINDINGS", "Binding", "render", "top_name", "write"]

_LANE = re.compile(r"(?P<group>.+)_(?P<lane>\d+)\Z")


@dataclasses.dataclass(frozen=True)
class Binding:
    """How the columns of one op's vector file reach its RTL module.

    Attributes:
        module: the RTL module (the DUT).
        ports: column name -> DUT port; a lane group (columns ``a_0 .. a_{K-1}``) is bound by its
            prefix (``a``) to one bus port, lane ``j`` in bits ``[j*W +: W]``.
        radix: column -> ``$display`` radix in the mismatch line (``"b"``, ``"0d"``; default ``"h"``).
        clocked: the DUT has ``clk_i``, ``rst_ni``, ``clear_i`` and ``valid_i``: a case is one
            accepted operation (one falling edge to the next), a ``clear`` column of 1 inserts a
            ``clear_i`` cycle before it, and the outputs are compared after it.
        clear: clocked: the column that asks for the clear cycle.
        hold: clocked: the column holding how many clocks ``valid_i`` stays high (default one).
        probes: ``out`` column -> a signal inside the DUT read before the accepting edge (its low bits).
        ties: DUT input port -> the constant it is tied to.
        ready: a DUT output that must be 1 after every case.
        show_ready: print ``ready`` in the mismatch line (after the got values).
        hidden: columns (or lane groups) left out of the mismatch line.
        wide: DUT parameters declared ``[31:0]`` (values up to 2**32 - 1).
        timing: how a case is applied, for the bench's comment.
    """

    module: str
    ports: dict[str, str]
    radix: dict[str, str] = dataclasses.field(default_factory=dict)
    clocked: bool = False
    clear: str = "first"
    hold: str | None = None
    probes: dict[str, str] = dataclasses.field(default_factory=dict)
    ties: dict[str, str] = dataclasses.field(default_factory=dict)
    ready: str | None = None
    show_ready: bool = False
    hidden: tuple[str, ...] = ()
    wide: tuple[str, ...] = ()
    timing: str = "combinational: the outputs are compared 1 ns after the inputs change"


_CLOCKED = ("clocked: inputs change on the falling clock edge; a case is one accepted operation, after "
            "a clear_i cycle when first = 1; the outputs are compared on the next falling edge")

BINDINGS: dict[str, Binding] = {
    "mul": Binding("fp8_mul", {"a": "a_i", "b": "b_i", "sign": "sign_o", "exp": "exp_o", "sig": "sig_o",
                               "class": "class_o"}, radix={"sign": "b", "class": "0d"}),
    "fma": Binding("fp8_fma", {"a": "a_i", "b": "b_i", "acc": "acc_i", "rm": "rm_i", "rand": "rand_i",
                               "sat": "sat_i", "res": "res_o", "flags": "flags_o"},
                   radix={"rm": "0d", "sat": "0d", "flags": "b"}),
    "mac": Binding("fp8_mac", {"a": "a_i", "b": "b_i", "rm": "rm_i", "sat": "sat_i", "acc": "acc_o",
                               "flags": "flags_o"},
                   radix={"first": "0d", "rm": "0d", "sat": "0d", "flags": "b"}, clocked=True,
                   probes={"rand": "u_fp8_mac.word"}, wide=("SEED",),
                   timing=_CLOCKED + "; rand is the low bits of the DUT's LFSR word before the accepting edge"),
    "int8_mac": Binding("int8_mac", {"a": "a_i", "b": "b_i", "sat": "sat_i", "acc": "acc_o", "ovf": "ovf_o"},
                        radix={"first": "0d", "sat": "0d", "rep": "0d", "ovf": "b"}, clocked=True, hold="rep",
                        ready="valid_o", show_ready=True,
                        timing=_CLOCKED.replace("one accepted operation", "rep accepted operations")
                        + "; valid_o must be 1 after each"),
    "mx_dot": Binding("mx_dot", {"a": "a_i", "b": "b_i", "scale_a": "scale_a_i", "scale_b": "scale_b_i",
                                 "res": "res_o", "flags": "flags_o"},
                      radix={"flags": "b"}, ties={"clk_i": "1'b0", "rst_ni": "1'b1", "valid_i": "1'b1"},
                      ready="valid_o", hidden=("a", "b"),
                      timing="combinational (PIPE = 0): the outputs are compared 1 ns after the inputs change"),
    "dpa": Binding("fp8_dpa", {"a": "a_i", "b": "b_i", "scale_a": "scale_a_i", "scale_b": "scale_b_i", "c": "c_i",
                               "res": "res_o", "flags": "flags_o"},
                   radix={"flags": "b"}, ties={"clk_i": "1'b0", "rst_ni": "1'b1", "valid_i": "1'b1"},
                   ready="valid_o",
                   timing="combinational (PIPE = 0): the outputs are compared 1 ns after the inputs change; a and b "
                          "are printed as the DUT's buses (lane 0 in the low bits)"),
}
"""Op -> how its vector file's columns reach its RTL module."""


@dataclasses.dataclass
class _Field:
    """One column, or one lane group (``lanes`` > 0) of same-width columns."""

    name: str
    width: int
    role: str
    word: int  # offset of the (first) word in a case
    lanes: int = 0

    @property
    def bits(self) -> int:
        return self.width * max(self.lanes, 1)


def top_name(module: str) -> str:
    """The replay bench's top module (and file stem) for an RTL module."""
    return f"tb_{module}_replay"


def _fields(columns: list[dict[str, Any]]) -> list[_Field]:
    """The header's columns with each run ``g_0, g_1, ...`` of one width and role merged into a lane group."""
    out: list[_Field] = []
    for j, c in enumerate(columns):
        m = _LANE.match(c["name"])
        if m and out and out[-1].lanes and out[-1].name == m["group"] and int(m["lane"]) == out[-1].lanes \
                and (out[-1].width, out[-1].role) == (c["width"], c["role"]):
            out[-1].lanes += 1
        elif m and m["lane"] == "0":
            out.append(_Field(m["group"], c["width"], c["role"], j, 1))
        else:
            out.append(_Field(c["name"], c["width"], c["role"], j))
    return out


def _range(bits: int) -> str:
    return "" if bits == 1 else f"[{bits - 1}:0] "


def _word(f: _Field, lane: str = "") -> str:
    """The memory word of a field in case ``i`` (``mem[...]`` with its low ``width`` bits)."""
    at = f"{1 + f.word} + WPC*i" + (f" + {lane}" if lane else "")
    bits = "" if f.width == 32 else ("[0]" if f.width == 1 else f"[{f.width - 1}:0]")
    return f"mem[{at}]{bits}"


def _report(items: list[tuple[str, str | None]], indent: str) -> list[str]:
    """``$write`` statements and a closing ``$display`` printing ``items`` (format, argument) as one line.

    One plain string literal per statement: Verilator 5.006 prints a concatenation of literals
    (``{"a=%h ", "b=%h"}``) as a number instead of taking it as the format.
    """
    stmts: list[tuple[str, list[str]]] = [("", [])]
    for n, (fmt, arg) in enumerate(items):
        fmt += " " if n < len(items) - 1 else ""
        text, args = stmts[-1]
        args_next = args + ([arg] if arg else [])
        if text and len(indent) + len(f'$display("{text}{fmt}", {", ".join(args_next)});') > 100:
            stmts.append((fmt, [arg] if arg else []))
        else:
            stmts[-1] = (text + fmt, args_next)
    return [f'{indent}${"display" if k == len(stmts) - 1 else "write"}("{text}"' + "".join(f", {a}" for a in args)
            + ");" for k, (text, args) in enumerate(stmts)]


def render(header: dict[str, Any], params: dict[str, int]) -> str:
    """The Verilog of the replay bench for a vector header.

    Args:
        header: a vector file's header (``op`` and ``columns`` are read).
        params: the DUT parameters (the defaults written into the bench; the build overrides them
            with the same values, plus ``MAX_CASES`` and ``MAX_REPORT``).

    Returns:
        The bench's source text (module ``tb_<module>_replay``).

    Raises:
        ValueError: an op without a binding, or a column its binding does not place.
    """
    op = header.get("op")
    if op not in BINDINGS:
        raise ValueError(f"no replay bench for op {op!r}; allowed: {', '.join(BINDINGS)}")
    bd = BINDINGS[op]
    top = top_name(bd.module)
    fields = _fields(header["columns"])
    control = {bd.clear, bd.hold} if bd.clocked else set()
    for f in fields:
        if f.name not in bd.ports and f.name not in bd.probes and f.name not in control:
            raise ValueError(f"the {op} replay bench has no place for column {f.name!r} "
                             f"(verif.replay.bench.BINDINGS[{op!r}])")
    ins = [f for f in fields if f.role == "in"]
    outs = [f for f in fields if f.role == "out"]
    lanes = [f for f in fields if f.lanes]
    col_doc = [f"//   {c['name']:<8} {c['width']:2d}-bit {c['role']:<3}  {c['doc']}"[:100] for c in header["columns"]]
    if len(col_doc) > 12:
        col_doc = col_doc[:6] + [f"//   ... ({len(col_doc) - 12} more)"] + col_doc[-6:]

    v: list[str] = [
        "// SPDX-License-Identifier: Apache-2.0",
        f"// {top}: replays an `fp8kit vectors --op {op}` file through {bd.module}.",
        "//",
        "// Written by verif.replay.bench from the vector file's columns; do not edit.",
        f"// Parameters: the {bd.module} parameters (from fp8kit.vectors.rtl_params),",
        "//   MAX_CASES (capacity of the vector memory), MAX_REPORT (mismatches printed in full).",
        "// Plusargs: +vectors=<file> (default vectors.hex).",
        f"// The file holds the case count, then per case {len(header['columns'])} hex words:",
        *col_doc,
        *_wrapped(f"Timing: {bd.timing}.", "// ", "//   "),
        "// The first MAX_REPORT mismatches are printed; the last line is \"<N> vectors, <M> mismatches\".",
        "// Simulation only; not synthesizable.",
        "",
        "`resetall",
        "`timescale 1ns / 1ps",
        "`default_nettype none",
        "",
        f"module {top};",
        "",
    ]
    if params:
        v.append(f"  // the {bd.module} parameters (fp8kit.vectors.rtl_params of the header)")
    for name, value in params.items():
        v.append(f"  parameter [31:0] {name} = 32'h{value:08x};" if name in bd.wide
                 else f"  parameter {name} = {value};")
    v += ["  // vector memory capacity in cases", f"  parameter MAX_CASES = {max(int(header['cases']), 1)};",
          "  // mismatches printed in full", "  parameter MAX_REPORT = 20;", "",
          "  // words per case (derived, do not override)", f"  localparam integer WPC = {len(header['columns'])};",
          "", "  reg  [31:0] mem [0:WPC*MAX_CASES];"]
    if bd.clocked:
        v.append("  reg  clk, rst_n, clear, valid;")
    for f in ins:
        v.append(f"  reg  {_range(f.bits)}in_{f.name};")
    if lanes:
        v += ["  // the next case's lane groups, assembled lane by lane and then applied whole: Verilator",
              "  // 5.006 (--binary --timing) missed lane-by-lane writes to a bus port and kept the old result"]
    for f in lanes:
        v.append(f"  reg  {_range(f.bits)}in_{f.name}_n;")
    for f in outs:
        kind = "reg " if f.name in bd.probes else "wire"
        v.append(f"  {kind} {_range(f.bits)}got_{f.name};")
        v.append(f"  reg  {_range(f.bits)}exp_{f.name};")
    if bd.ready:
        v.append(f"  wire got_{bd.ready};")
    v += [f"  integer n, i{', j' if lanes else ''}, errors;", "  reg [1023:0] path;", ""]

    conns = ([".clk_i(clk)", ".rst_ni(rst_n)", ".clear_i(clear)", ".valid_i(valid)"] if bd.clocked else [])
    conns += [f".{p}({c})" for p, c in bd.ties.items()]
    conns += [f".{bd.ports[f.name]}({'in' if f.role == 'in' else 'got'}_{f.name})" for f in fields
              if f.name in bd.ports]
    if bd.ready:
        conns.append(f".{bd.ready}(got_{bd.ready})")
    pconns = [f".{k}({k})" for k in params]
    inst = f"  {bd.module}"
    if pconns:
        v.append(f"  {bd.module} #(")
        v += _joined(pconns, "    ")
        inst = "  )"
    v.append(f"{inst} u_{bd.module} (")
    v += _joined(conns, "    ")
    v += ["  );", ""]
    if bd.clocked:
        v += ["  always #5 clk <= ~clk;", ""]

    v += ["  initial begin",
          '    if (!$value$plusargs("vectors=%s", path)) path = "vectors.hex";',
          "    $readmemh(path, mem);",
          "    n = mem[0];",
          "    if (n > MAX_CASES) begin",
          f'      $display("{top}: %0d cases exceed MAX_CASES=%0d", n, MAX_CASES);',
          "      $fatal(1);",
          "    end"]
    if bd.clocked:
        driven = ["clear", "valid"] + [f"in_{f.name}" for f in ins if f.name in bd.ports]
        v += ["    clk = 1'b1;", "    rst_n = 1'b0;", f"    {{{', '.join(driven)}}} = 0;", "    @(negedge clk);",
              "    rst_n = 1'b1;"]
    v += ["    errors = 0;", "    for (i = 0; i < n; i = i + 1) begin"]
    body = "      "
    if bd.clocked:
        v += [f"{body}in_{bd.clear} = {_word(next(f for f in fields if f.name == bd.clear))};",
              f"{body}if (in_{bd.clear}) begin", f"{body}  clear = 1'b1;", f"{body}  valid = 1'b0;",
              f"{body}  @(negedge clk);", f"{body}  clear = 1'b0;", f"{body}end"]
    if lanes:
        v.append(f"{body}for (j = 0; j < {lanes[0].lanes}; j = j + 1) begin")
        for f in lanes:
            v.append(f"{body}  in_{f.name}_n[j*{f.width} +: {f.width}] = {_word(f, 'j')};")
        v.append(f"{body}end")
        v += [f"{body}in_{f.name} = in_{f.name}_n;" for f in lanes]
    for f in fields:
        if f.lanes or (bd.clocked and f.name == bd.clear):
            continue
        v.append(f"{body}{'in' if f.role == 'in' else 'exp'}_{f.name} = {_word(f)};")
    if bd.clocked:
        v.append(f"{body}valid = 1'b1;")
        v += [f"{body}got_{c} = {sig}[{_width(fields, c) - 1}:0];" for c, sig in bd.probes.items()]
        v.append(f"{body}repeat (in_{bd.hold}) @(negedge clk);" if bd.hold else f"{body}@(negedge clk);")
        v.append(f"{body}valid = 1'b0;")
    else:
        v.append(f"{body}#1;")
    checks = [f"got_{f.name} !== exp_{f.name}" for f in outs] + ([f"got_{bd.ready} !== 1'b1"] if bd.ready else [])
    v += _wrapped(f"if ({' || '.join(checks)}) begin", body, body + "    ", sep=" || ")
    v += [f"{body}  errors = errors + 1;", f"{body}  if (errors <= MAX_REPORT) begin"]
    shown = [f for f in ins if f.name not in bd.hidden]
    items = ([("MISMATCH case %0d:", "i")] + [(f"{f.name}=%{bd.radix.get(f.name, 'h')}", f"in_{f.name}") for f in shown]
             + [("expected", None)] + [(f"{f.name}=%{bd.radix.get(f.name, 'h')}", f"exp_{f.name}") for f in outs]
             + [("got", None)] + [(f"{f.name}=%{bd.radix.get(f.name, 'h')}", f"got_{f.name}") for f in outs]
             + ([(f"{bd.ready}=%b", f"got_{bd.ready}")] if bd.ready and bd.show_ready else []))
    v += _report(items, body + "    ")
    v.append(f"{body}  end")
    v += [f"{body}end", "    end", '    $display("%0d vectors, %0d mismatches", n, errors);', "    $finish;",
          "  end", "", "endmodule", "", "`resetall", ""]
    return "\n".join(v)


def _width(fields: list[_Field], name: str) -> int:
    return next(f.width for f in fields if f.name == name)


def _wrapped(text: str, first: str, rest: str, sep: str = " ") -> list[str]:
    """``text`` broken after ``sep`` into lines of at most 100 columns (``first``, then ``rest``, before each)."""
    words = text.split(sep)
    lines, line = [], ""
    for n, word in enumerate(words):
        piece = word + (sep.rstrip() if n < len(words) - 1 else "")
        lead = first if not lines else rest
        if line and len(lead) + len(line) + 1 + len(piece) > 100:
            lines.append(lead + line)
            line = ""
        line += (" " if line else "") + piece
    return lines + [(first if not lines else rest) + line]


def _joined(items: list[str], indent: str) -> list[str]:
    """Comma-separated items over lines of at most 100 columns, each line starting with ``indent``."""
    lines, line = [], ""
    for n, item in enumerate(items):
        piece = item + ("," if n < len(items) - 1 else "")
        if line and len(indent) + len(line) + 1 + len(piece) > 100:
            lines.append(indent + line)
            line = ""
        line += (" " if line else "") + piece
    return lines + [indent + line]


def write(header: dict[str, Any], params: dict[str, int], workdir: str | Path) -> Path:
    """Write the bench of :func:`render` into ``workdir`` as ``tb_<module>_replay.v``; return its path.

    Raises:
        ValueError: as :func:`render`.
    """
    text = render(header, params)
    path = Path(workdir) / f"{top_name(BINDINGS[header['op']].module)}.v"
    path.write_text(text)
    return path
