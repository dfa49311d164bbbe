"""The vector file: its columns, header, checksum, writer and checked reader (docs/vectors.md).

File layout::

    // fp8kit-vectors {"op": "fma", ...one line of JSON...}
    // column  0  a     8 bits  in        operand a code (float8_e4m3fn)
    // ...
    <number of cases, hex>
    <one case per line: whitespace-separated hex words, one per column>

Every word is unsigned hex of at most 32 bits; a signed column (``signed`` in its header
entry) holds the two's complement of its value in its width.  ``$readmemh`` skips the
``//`` lines, so a bench reads the count at word 0 and case ``i`` column ``j`` at word
``1 + i * len(columns) + j``.  The header's ``sha256`` field is the SHA-256 of the header's
other fields and of every byte after line 1; :func:`read` refuses a file whose checksum, case
count or case lines disagree with its header.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from fp8kit import userpaths
from fp8kit.rtlspec.params import OPS as RTL_OPS

__all__ = [
    "ALL_OPS",
    "CHECKSUM",
    "FILE_VERSION",
    "MAGIC",
    "MAX_HEADER_BYTES",
    "MEMORY_LIMIT_GIB",
    "MODEL_OPS",
    "OPS",
    "READ_BYTES_PER_WORD",
    "ROUNDED_OPS",
    "Column",
    "Vectors",
    "as_signed",
    "read",
    "read_header",
    "regenerate_command",
    "write",
]

OPS: dict[str, str] = RTL_OPS
"""Operation name -> the RTL module its vectors check (the RTL contract's :data:`fp8kit.rtlspec.params.OPS`)."""

MAGIC = "// fp8kit-vectors "
"""The start of a vector file's first line; the JSON header follows on the same line."""

FILE_VERSION = 2
"""The layout version: 2 added the ``sha256`` header field (version 1 files are refused)."""

CHECKSUM = "sha256"
"""The header field holding the SHA-256 of the header's other fields and the body (see :func:`write`)."""
MODEL_OPS = ("gemm",)
"""Ops with no RTL module: vectors for a user's own simulator (``fp8kit replay`` refuses them)."""
ALL_OPS = (*OPS, *MODEL_OPS)
"""Every op a vector file may hold."""
ROUNDED_OPS = ("fma", "mac")
"""The ops whose vectors carry an accumulator format, rounding modes and sr_bits."""


@dataclasses.dataclass(frozen=True)
class Column:
    """One word of a case: name, bit width, ``in`` (stimulus) or ``out`` (expected), meaning."""

    name: str
    width: int
    role: str
    doc: str
    signed: bool = False


@dataclasses.dataclass
class Vectors:
    """A header (the file's JSON) and the cases: uint64 words of shape ``(cases, columns)``."""

    header: dict[str, Any]
    rows: np.ndarray

    @property
    def columns(self) -> list[str]:
        return [c["name"] for c in self.header["columns"]]

    def column(self, name: str) -> np.ndarray:
        """The words of one column (signed columns as their two's complement), uint64.

        Raises:
            KeyError: no such column (the message lists them).
        """
        try:
            return self.rows[:, self.columns.index(name)]
        except ValueError:
            raise KeyError(f"no column {name!r}; columns: {', '.join(self.columns)}") from None


MEMORY_LIMIT_GIB = 4
"""The most memory :func:`generate` or :func:`read` may need, estimated before any work (docs/vectors.md, Limits)."""

READ_BYTES_PER_WORD = 32
"""Peak bytes per word of :func:`read`: the file's bytes and text, its lines and the uint64 words."""

MAX_HEADER_BYTES = 1 << 22
"""The longest header line read (about 250 bytes per column: mx_dot at k = 4096 needs 2 MiB)."""

_DIGEST_LEN = 64
_HEX_WORD = re.compile(r"[0-9a-fA-F]{1,8}\Z")
_HEX_TEXT = re.compile(r"[0-9a-fA-F]{1,8}(?: [0-9a-fA-F]{1,8})*\Z")
_READ_BLOCK = 1 << 16
"""Lines converted to words at a time by :func:`read` (bounds its temporary lists)."""


def _canonical(header: dict[str, Any]) -> bytes:
    """The header's JSON with sorted keys and no ``sha256`` field: what the checksum covers of it."""
    fields = {k: v for k, v in header.items() if k != CHECKSUM}
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


class _HashingSink:
    """A text sink for ``np.savetxt`` that writes UTF-8 to a binary file and feeds a hash."""

    def __init__(self, fh, digest) -> None:
        self.fh, self.digest = fh, digest

    def write(self, text: str) -> None:
        data = text.encode()
        self.digest.update(data)
        self.fh.write(data)


def _check_rows(header: dict[str, Any], rows: np.ndarray) -> None:
    """Refuses rows that a file of ``header`` cannot hold: another shape, or a word wider than its column."""
    cols = header["columns"]
    if rows.ndim != 2 or rows.shape != (header["cases"], len(cols)):
        raise ValueError(f"rows of shape {rows.shape} do not match the header's {header['cases']} cases x "
                         f"{len(cols)} columns")
    over = np.argwhere(rows >> np.array([c["width"] for c in cols], np.uint64) != 0)
    if over.size:
        i, j = over[0]
        raise ValueError(f"case {i}: {cols[j]['name']} = 0x{int(rows[i, j]):x} does not fit its {cols[j]['width']} bits")


def write(vectors: Vectors, path: str | Path) -> Path:
    """Write ``vectors`` as a vector file (the module docstring gives the layout); return the path.

    The header gets a ``sha256`` field: the SHA-256 of the header's canonical JSON (sorted keys,
    without ``sha256``), a newline, and every byte after the header line. The file is written
    under a temporary name and renamed, so an interrupted write leaves no partial file.

    Raises:
        ValueError: the path cannot be written (a directory, an unwritable file or parent), or
            the rows do not match the header (shape, a word wider than its column).
    """
    path = userpaths.output_file(path, "vector file")
    header = {k: v for k, v in vectors.header.items() if k != CHECKSUM}
    rows = np.asarray(vectors.rows, np.uint64)
    _check_rows(header, rows)
    cols = header["columns"]
    digits = [max(1, -(-c["width"] // 4)) for c in cols]
    head = (MAGIC + json.dumps({**header, CHECKSUM: "0" * _DIGEST_LEN}, separators=(",", ":"))).encode()
    lines = []
    for j, c in enumerate(cols):
        sign = ", signed" if c["signed"] else ""
        lines.append(f"// column {j:3d}  {c['name']:<8} {c['width']:2d}-bit{sign}, {c['role']:<3}  {c['doc']}")
    lines.append(f"// then the number of cases; then one case per line, {len(cols)} hex words")
    lines.append(f"{rows.shape[0]:x}")
    digest = hashlib.sha256(_canonical(header) + b"\n")
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(head + b"\n")
            sink = _HashingSink(fh, digest)
            sink.write("\n".join(lines) + "\n")
            np.savetxt(sink, rows, fmt=" ".join(f"%0{d}x" for d in digits))
            fh.seek(len(head) - _DIGEST_LEN - 2)  # the placeholder: the line ends with `"sha256":"0...0"}`
            fh.write(digest.hexdigest().encode())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def regenerate_command(header: dict[str, Any], out: str = "FILE") -> str:
    """The ``fp8kit vectors`` command line that writes the file a header describes."""
    op = header.get("op")
    args = [f"--op {op}"]
    if op == "gemm":
        rnd = [f"--rounding {header['rounding'][0]}"] if header.get("rounding") else []
        return " ".join(["fp8kit vectors --op gemm", f"--format {header.get('fmt_a')},{header.get('fmt_b')}",
                         f"--acc {header.get('acc')}", f"--datapath {header.get('datapath')}", *rnd,
                         *(f"--{x} {header.get(x)}" for x in "mnk"), f"--count {header.get('count')}",
                         f"--seed {header.get('seed')}", f"--out {out}"])
    if op == "mx_dot":
        args += [f"--format {header.get('mx_type')}", f"--k {header.get('k')}"]
    elif op == "dpa":
        u = header.get("unit") if isinstance(header.get("unit"), dict) else {}
        args += [f"--datapath {header.get('datapath')}", f"--format {u.get('fmt_a')}", f"--format-b {u.get('fmt_b')}",
                 f"--acc {u.get('acc')}"]
        if header.get("datapath") == "fused-dot":
            zero = "none" if u.get("zero_exp") is None else u.get("zero_exp")
            step = u.get("step") if isinstance(u.get("step"), list) and len(u["step"]) == 3 else [None] * 3
            args += [f"--rounding {u.get('rounding')}", f"--lanes {u.get('lanes')}", f"--frac-bits {u.get('frac_bits')}",
                     f"--step-man-bits {step[1]}", f"--zero-exp {zero}", f"--nan {u.get('nan')}"]
    elif op != "int8_mac":
        args += [f"--format {header.get('fmt_a')}", f"--format-b {header.get('fmt_b')}"]
    if op in ROUNDED_OPS:
        args += [f"--acc {header.get('acc')}", f"--rounding {','.join(header.get('rounding') or [])}",
                 f"--sr-bits {header.get('sr_bits')}"]
    if op == "mac":
        args.append(f"--lfsr-seed {header.get('lfsr_seed')}")
    args.append(f"--level {header.get('level')}")
    if header.get("level") == 2:
        args += [f"--count {header.get('count')}", f"--seed {header.get('seed')}"]
    return " ".join(["fp8kit vectors", *args, f"--out {out}"])


def _header_error(path: Path, header: dict[str, Any]) -> str | None:
    """What is wrong with a parsed header (a version, op, checksum or column that no writer makes), or None."""
    version = header.get("file_version")
    if version == 1:
        return ("was written before vector files carried a checksum (file_version 1); regenerate it: "
                + regenerate_command(header, str(path)))
    if version != FILE_VERSION:
        return f"file_version {version!r}; this reader takes {FILE_VERSION}"
    if header.get("op") not in ALL_OPS:
        return f"unknown op {header.get('op')!r} in the header; allowed: {', '.join(ALL_OPS)}"
    digest = header.get(CHECKSUM)
    if not (isinstance(digest, str) and re.fullmatch(f"[0-9a-f]{{{_DIGEST_LEN}}}", digest)):
        return f"the header's {CHECKSUM} is {digest!r}, not {_DIGEST_LEN} lowercase hex digits"
    cases = header.get("cases")
    if isinstance(cases, bool) or not isinstance(cases, int) or cases < 0:
        return f"the header's cases is {cases!r}, not an integer >= 0"
    cols = header.get("columns")
    if not isinstance(cols, list) or not cols:
        return f"the header's columns is {cols!r}, not a list of columns"
    for j, c in enumerate(cols):
        if not (isinstance(c, dict) and isinstance(c.get("name"), str) and c.get("role") in ("in", "out")
                and isinstance(c.get("signed"), bool) and type(c.get("width")) is int and 1 <= c["width"] <= 32):
            return f"header column {j} is {c!r}: it needs a name, a width of 1...32 bits, role in/out and signed"
    return None


def _parse_header(first: bytes, path: Path) -> dict[str, Any]:
    """The header of line 1 (bytes, with or without its newline).

    Raises:
        ValueError: naming the file and the problem (see :func:`read_header`).
    """
    if not first:
        raise ValueError(f"{path}: the file is empty, not an fp8kit vector file")
    text = first.decode("utf-8", errors="replace").rstrip("\r\n")
    if not text.startswith(MAGIC):
        raise ValueError(f"{path}: not an fp8kit vector file (line 1 must start with {MAGIC.strip()!r})")
    try:
        header = json.loads(text[len(MAGIC):])
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: line 1: bad JSON header: {exc}") from None
    if not isinstance(header, dict):
        raise ValueError(f"{path}: line 1: the header is {type(header).__name__}, not a JSON object")
    problem = _header_error(path, header)
    if problem:
        raise ValueError(f"{path}: line 1: {problem}")
    return header


def read_header(path: str | Path) -> dict[str, Any]:
    """The JSON header of a vector file (line 1), checked for shape; :func:`read` also checks the body.

    Raises:
        ValueError: no such file, a directory, an empty file, a first line that is not an
            fp8kit header, a file_version other than 2 (version 1 files predate the checksum:
            the message gives the command that regenerates them), an unknown op, or a missing
            checksum, case count or column.
    """
    p = userpaths.input_file(path, "vector file")
    with open(p, "rb") as fh:
        return _parse_header(fh.readline(MAX_HEADER_BYTES), p)


def read(path: str | Path) -> Vectors:
    """Read a vector file back (header and uint64 words), refusing any file fp8kit did not write as it is.

    Checks, in order: the header (:func:`read_header`); a size that fits the memory limit; the
    case count line; every case line (one hex word of at most 8 digits per column, each within
    its column's width); as many case lines as the header's ``cases``; and last the checksum of
    the header and the body. The returned header has no ``sha256`` field.

    Raises:
        ValueError: naming the file, the line and what is wrong: not a vector file, a bad
            header, an appended line, a truncated file, a removed or added word, a digit that is
            not hex, a word wider than its column, or a checksum that differs (an edited word or
            header field).
    """
    p = userpaths.input_file(path, "vector file")
    with open(p, "rb") as fh:
        header = _parse_header(fh.readline(MAX_HEADER_BYTES), p)
        width = len(header["columns"])
        need = header["cases"] * width * READ_BYTES_PER_WORD
        if need > MEMORY_LIMIT_GIB << 30:
            raise ValueError(f"{p}: line 1: {header['cases']:,} cases x {width} columns need about "
                             f"{need / 2**30:.1f} GiB to read; the limit is {MEMORY_LIMIT_GIB} GiB")
        raw = fh.read(_max_body_bytes(header) + 1)
        if len(raw) > _max_body_bytes(header):
            raise ValueError(f"{p}: longer than any file of {header['cases']:,} cases x {width} columns: "
                             "data appended after the last case")
    try:
        body = raw.decode("ascii").replace("\r\n", "\n")
    except UnicodeDecodeError as exc:
        line = 2 + raw.count(b"\n", 0, exc.start)
        raise ValueError(f"{p}: line {line}: byte 0x{raw[exc.start]:02x} is not text (a binary file?)") from None
    rows = _parse_body(p, header, body.split("\n"))
    digest = hashlib.sha256(_canonical(header) + b"\n" + body.encode()).hexdigest()
    if digest != header[CHECKSUM]:
        raise ValueError(f"{p}: checksum mismatch: the header records {CHECKSUM} {header[CHECKSUM][:16]}..., "
                         f"the header and body hash to {digest[:16]}...: the file was changed after fp8kit "
                         "wrote it (an edited word or header field); regenerate it with fp8kit vectors")
    return Vectors({k: v for k, v in header.items() if k != CHECKSUM}, rows)


def _max_body_bytes(header: dict[str, Any]) -> int:
    """The most bytes after line 1 of a file of this header (CRLF lines and 1 KiB per comment line allowed)."""
    per_case = sum(-(-c["width"] // 4) + 2 for c in header["columns"]) + 1
    return (len(header["columns"]) + 2) * 1024 + 16 + header["cases"] * per_case


def _parse_body(p: Path, header: dict[str, Any], lines: list[str]) -> np.ndarray:
    """The case words of the lines after line 1 (``lines`` as split on newlines).

    Raises:
        ValueError: naming the line: a bad count line, a case line without one hex word per
            column, a word wider than its column, case lines after the last case, fewer case lines.
    """
    if lines and lines[-1] == "":
        lines.pop()  # the final newline
    cols = header["columns"]
    cases, width = header["cases"], len(cols)
    at = 0
    while at < len(lines) and lines[at].startswith("//"):
        at += 1
    if at == len(lines):
        raise ValueError(f"{p}: the file ends at line {at + 1} before the case count: truncated")
    if not _HEX_WORD.match(lines[at].strip()) or int(lines[at], 16) != cases:
        raise ValueError(f"{p}: line {at + 2}: case count {lines[at].strip()!r}, the header says "
                         f"{cases:x} (hex) cases")
    first = at + 1
    body = lines[first:]
    if len(body) > cases:
        raise ValueError(f"{p}: line {first + cases + 2}: {len(body) - cases} line(s) after the last of the "
                         f"{cases:,} cases: appended data")
    rows = np.empty((cases, width), np.uint64)
    for start in range(0, len(body), _READ_BLOCK):
        block = body[start:start + _READ_BLOCK]
        words = [line.split() for line in block]
        flat = [x for w in words for x in w]
        if len(flat) != len(block) * width or not _HEX_TEXT.match(" ".join(flat)):
            i = next(i for i, w in enumerate(words) if len(w) != width or not all(map(_HEX_WORD.match, w)))
            raise ValueError(f"{p}: line {first + start + i + 2}: {_case_problem(words[i], width)}")
        rows[start:start + len(block)] = np.array([int(x, 16) for x in flat], np.uint64).reshape(len(block), width)
    if len(body) < cases:
        raise ValueError(f"{p}: the file ends at line {first + len(body) + 1} after {len(body):,} of the "
                         f"{cases:,} cases: truncated")
    over = np.argwhere(rows >> np.array([c["width"] for c in cols], np.uint64) != 0)
    if over.size:
        i, j = (int(x) for x in over[0])
        raise ValueError(f"{p}: line {first + i + 2}: {cols[j]['name']} = {int(rows[i, j]):x} does not fit "
                         f"its {cols[j]['width']} bits")
    return rows


def _case_problem(words: list[str], width: int) -> str:
    """Why one case line's words are not ``width`` hex words."""
    if not words:
        return "an empty line where a case belongs"
    bad = next((x for x in words if not _HEX_WORD.match(x)), None)
    if bad is not None:
        return f"word {words.index(bad)} {bad[:20]!r} is not hex (1 to 8 digits 0-9a-f)"
    what = "removed" if len(words) < width else "added"
    return f"{len(words)} words, a case has {width}: a word was {what} (or the line was cut)"


def _signed(words: np.ndarray, width: int) -> np.ndarray:
    """Two's-complement words of ``width`` bits as int64 values."""
    w = words.astype(np.int64)
    return np.where(w >> (width - 1) & 1, w - (1 << width), w)


def as_signed(vectors: Vectors, name: str) -> np.ndarray:
    """A column as int64 values, two's-complement decoded when the column is signed."""
    col = next(c for c in vectors.header["columns"] if c["name"] == name)
    words = vectors.column(name)
    return _signed(words, col["width"]) if col["signed"] else words.astype(np.int64)

