"""Bad inputs of the files fp8kit reads and the sizes it is given: vector files, exhaust checkpoints.

Every corrupt file is built from a good one by a small edit (``FILES``, ``CHECKPOINTS``) and written
into the test's directory before the row runs; API rows read it with ``fp8kit.vectors.read``,
CLI rows pass it to ``fp8kit replay`` (refused before any simulator: PATH holds none) or to
``fp8kit exhaust --resume``. Size rows give ``vectors`` and ``exhaust`` zero, negative, huge and
non-integer values.
"""

from __future__ import annotations

import functools
import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from badinput import ApiCase, CliCase, check_api, check_cli, ids
from fp8kit import vectors as vec
from verif.exhaust import sweep as sweep_mod
from fp8kit.cli.exhaust import build_sweeps

# the good file: float4_e2m1fn x float4_e2m1fn, 256 cases of 6 columns; line 9 holds the count,
# lines 10...265 the cases (case i on line 10 + i)
CASE_LINE = 9  # index of case 0 in the file's lines


@functools.cache
def _good() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        return vec.write(vec.generate("mul", fmt="float4_e2m1fn"), Path(tmp) / "good.hex").read_text()


def _lines(edit: Callable[[list[str]], None]) -> Callable[[str], str]:
    """A file edit that changes the list of lines (without their newlines) in place."""

    def apply(text: str) -> str:
        lines = text.splitlines()
        edit(lines)
        return "\n".join(lines) + "\n"

    return apply


def _header(**changes) -> Callable[[str], str]:
    """A file edit that sets header fields (``None`` deletes one) and keeps the old checksum."""

    def edit(lines: list[str]) -> None:
        head = json.loads(lines[0][len(vec.MAGIC):])
        for key, value in changes.items():
            if value is None:
                head.pop(key, None)
            else:
                head[key] = value
        lines[0] = vec.MAGIC + json.dumps(head, separators=(",", ":"))

    return _lines(edit)


def _word(case: int, index: int, new: str | None) -> Callable[[str], str]:
    """A file edit that replaces (or, for ``None``, removes) word ``index`` of ``case``."""

    def edit(lines: list[str]) -> None:
        words = lines[CASE_LINE + case].split()
        words[index:index + 1] = [] if new is None else [new]
        lines[CASE_LINE + case] = " ".join(words)

    return _lines(edit)


FILES: dict[str, Callable[[str], str | bytes]] = {
    "good": lambda t: t,
    "appended": lambda t: t + "0 0 0 0 0 0\n",
    "appended_blank": lambda t: t + "\n\n",
    "truncated": _lines(lambda ls: ls.__delitem__(slice(-10, None))),
    "cut_mid_line": lambda t: t[:-5],
    "header_only": lambda t: t.splitlines()[0] + "\n",
    "no_count": _lines(lambda ls: ls.__delitem__(slice(8, None))),
    "non_hex": _word(100, 3, "0g"),
    "nine_digits": _word(100, 4, "000000001"),
    "signed_word": _word(100, 4, "-1"),
    "removed_word": _word(100, 2, None),
    "added_word": _word(100, 2, "0 0"),
    "blank_case": _lines(lambda ls: ls.__setitem__(CASE_LINE + 7, "")),
    "too_wide": _word(5, 0, "1f"),
    "edited_word": _word(100, 5, "3"),
    "edited_count": _lines(lambda ls: ls.__setitem__(CASE_LINE - 1, "ff")),
    "count_not_hex": _lines(lambda ls: ls.__setitem__(CASE_LINE - 1, "1O0")),
    "comment_removed": _lines(lambda ls: ls.__delitem__(3)),
    "edited_op": _header(op="fma"),
    "unknown_op": _header(op="div"),
    "edited_seed": _header(seed=7),
    "edited_format": _header(fmt_b="float4_e2m1fnuz"),
    "edited_cases": _header(cases=255),
    "wrong_checksum": _header(sha256="0" * 64),
    "short_checksum": _header(sha256="abc"),
    "no_checksum": _header(sha256=None),
    "version_1": _header(sha256=None, file_version=1),
    "version_3": _header(file_version=3),
    "wide_column": _header(columns=[{"name": "a", "width": 40, "role": "in", "doc": "", "signed": False}]),
    "huge_cases": _header(cases=10**12),
    "header_not_json": _lines(lambda ls: ls.__setitem__(0, vec.MAGIC + '{"op": "mul",')),
    "header_list": _lines(lambda ls: ls.__setitem__(0, vec.MAGIC + "[1, 2]")),
    "no_magic": _lines(lambda ls: ls.__setitem__(0, "// some other file")),
    "empty": lambda t: "",
    "binary": lambda t: bytes(range(256)) * 8,
    "binary_body": lambda t: t.encode()[:2000] + b"\xff\xfe\x00" + t.encode()[2000:],
}
"""File name (without .hex) -> the edit that makes it from the good file's text."""


def _write_files(where: Path) -> None:
    for name, edit in FILES.items():
        data = edit(_good())
        (where / f"{name}.hex").write_bytes(data if isinstance(data, bytes) else data.encode())
    (where / "adir.hex").mkdir()


def _read(name: str) -> Callable[[], vec.Vectors]:
    return lambda: vec.read(f"{name}.hex")


READ = [
    ApiCase("read-appended-line", _read("appended"), ValueError,
            r"appended\.hex: line 266: 1 line\(s\) after the last of the 256 cases: appended"),
    ApiCase("read-appended-blank-lines", _read("appended_blank"), ValueError, r"line 266: .*appended"),
    ApiCase("read-truncated", _read("truncated"), ValueError,
            r"truncated\.hex: the file ends at line 255 after 246 of the 256 cases: truncated"),
    ApiCase("read-cut-mid-line", _read("cut_mid_line"), ValueError,
            r"line 265: 4 words, a case has 6: a word was removed \(or the line was cut\)"),
    ApiCase("read-header-only", _read("header_only"), ValueError, r"header_only\.hex: the file ends at line 1 before"),
    ApiCase("read-no-count", _read("no_count"), ValueError, r"ends at line 8 before the case count"),
    ApiCase("read-non-hex-digit", _read("non_hex"), ValueError, r"non_hex\.hex: line 110: word 3 '0g' is not hex"),
    ApiCase("read-nine-digit-word", _read("nine_digits"), ValueError, r"line 110: word 4 '000000001' is not hex"),
    ApiCase("read-signed-word", _read("signed_word"), ValueError, r"line 110: word 4 '-1' is not hex"),
    ApiCase("read-removed-word", _read("removed_word"), ValueError,
            r"removed_word\.hex: line 110: 5 words, a case has 6: a word was removed"),
    ApiCase("read-added-word", _read("added_word"), ValueError, r"line 110: 7 words, a case has 6: a word was added"),
    ApiCase("read-blank-case-line", _read("blank_case"), ValueError, r"line 17: an empty line where a case belongs"),
    ApiCase("read-word-wider-than-column", _read("too_wide"), ValueError, r"line 15: a = 1f does not fit its 4 bits"),
    ApiCase("read-edited-word", _read("edited_word"), ValueError, r"edited_word\.hex: checksum mismatch.*edited word"),
    ApiCase("read-edited-count", _read("edited_count"), ValueError, r"line 9: case count 'ff', the header says 100"),
    ApiCase("read-count-not-hex", _read("count_not_hex"), ValueError, r"line 9: case count '1O0'"),
    ApiCase("read-comment-removed", _read("comment_removed"), ValueError, r"checksum mismatch"),
    ApiCase("read-edited-op", _read("edited_op"), ValueError, r"edited_op\.hex: checksum mismatch.*header field"),
    ApiCase("read-unknown-op", _read("unknown_op"), ValueError,
            r"line 1: unknown op 'div' in the header; allowed: mul, fma, mac, mx_dot, int8_mac"),
    ApiCase("read-edited-seed", _read("edited_seed"), ValueError, r"checksum mismatch"),
    ApiCase("read-edited-format", _read("edited_format"), ValueError, r"checksum mismatch"),
    ApiCase("read-edited-cases", _read("edited_cases"), ValueError, r"line 9: case count '100', the header says ff"),
    ApiCase("read-wrong-checksum", _read("wrong_checksum"), ValueError, r"header records sha256 0000000000000000"),
    ApiCase("read-short-checksum", _read("short_checksum"), ValueError,
            r"line 1: the header's sha256 is 'abc', not 64 lowercase hex digits"),
    ApiCase("read-no-checksum", _read("no_checksum"), ValueError, r"line 1: the header's sha256 is None"),
    ApiCase("read-version-1", _read("version_1"), ValueError,
            r"before vector files carried a checksum \(file_version 1\); regenerate it: fp8kit vectors --op mul "
            r"--format float4_e2m1fn --format-b float4_e2m1fn --level 1 --out version_1\.hex"),
    ApiCase("read-version-3", _read("version_3"), ValueError, r"line 1: file_version 3; this reader takes 2"),
    ApiCase("read-column-40-bits", _read("wide_column"), ValueError,
            r"line 1: header column 0 is .*'width': 40.*a width of 1\.\.\.32 bits"),
    ApiCase("read-huge-case-count", _read("huge_cases"), ValueError,
            r"line 1: 1,000,000,000,000 cases x 6 columns need about 178813\.9 GiB to read; the limit is 4 GiB"),
    ApiCase("read-header-not-json", _read("header_not_json"), ValueError, r"line 1: bad JSON header"),
    ApiCase("read-header-a-list", _read("header_list"), ValueError, r"line 1: the header is list, not a JSON object"),
    ApiCase("read-other-file", _read("no_magic"), ValueError,
            r"no_magic\.hex: not an fp8kit vector file \(line 1 must start with '// fp8kit-vectors'\)"),
    ApiCase("read-empty-file", _read("empty"), ValueError, r"empty\.hex: the file is empty"),
    ApiCase("read-binary-garbage", _read("binary"), ValueError, r"binary\.hex: not an fp8kit vector file"),
    ApiCase("read-binary-body", _read("binary_body"), ValueError, r"binary_body\.hex: line \d+: byte 0xff is not text"),
    ApiCase("read-directory", _read("adir"), ValueError, r"vector file 'adir\.hex' is a directory, not a file"),
    ApiCase("read-missing-file", _read("missing"), ValueError, r"vector file 'missing\.hex' does not exist"),
    ApiCase("read-header-missing-file", lambda: vec.read_header("missing.hex"), ValueError, r"'missing\.hex' does not"),
]


def _replay(name: str, match: str, *extra: str) -> CliCase:
    return CliCase(f"replay-{name.replace('_', '-')}", ["replay", f"{{tmp}}/{name}.hex", *extra], match)


REPLAY = [
    _replay("appended", r"appended\.hex: line 266: .*appended data"),
    _replay("truncated", r"truncated\.hex: the file ends at line 255 after 246 of the 256 cases"),
    _replay("cut_mid_line", r"line 265: 4 words, a case has 6"),
    _replay("non_hex", r"non_hex\.hex: line 110: word 3 '0g' is not hex"),
    _replay("removed_word", r"removed_word\.hex: line 110: 5 words, a case has 6"),
    _replay("edited_word", r"edited_word\.hex: checksum mismatch"),
    _replay("edited_op", r"edited_op\.hex: checksum mismatch"),
    _replay("unknown_op", r"unknown op 'div' in the header; allowed: mul, fma, mac, mx_dot, int8_mac"),
    _replay("wrong_checksum", r"wrong_checksum\.hex: checksum mismatch"),
    _replay("version_1", r"file_version 1\); regenerate it: fp8kit vectors --op mul"),
    _replay("empty", r"empty\.hex: the file is empty"),
    _replay("binary", r"binary\.hex: not an fp8kit vector file"),
    _replay("adir", r"adir\.hex' is a directory, not a file"),
    _replay("missing", r"missing\.hex' does not exist"),
    _replay("good", r"--max-report.*'-1'", "--max-report", "-1"),
    CliCase("replay-rtl-dir-file", ["replay", "{tmp}/good.hex", "--rtl-dir", "{tmp}/good.hex"],
            r"rtl_dir \(--rtl-dir\) '{tmp}/good\.hex' is not a directory"),
]

# ------------------------------------------------------------------ exhaust checkpoints
_ENCODE = ["exhaust", "--op", "encode", "--config", "float8_e5m2", "--rounding", "rmm", "--sat", "1"]
"""A model sweep of 256 chunks: every checkpoint row below is refused before its first chunk."""


def _checkpoint(where: Path) -> Path:
    """A genuine checkpoint of the _ENCODE sweep with chunks 0 and 1 done, in ``where``."""
    s = build_sweeps("encode", "float8_e5m2", "rmm", "1")[0]
    ck = sweep_mod._Checkpoint(where / f"{s.key}.json", s, (1, 1), False, list(range(256)))
    for k in (0, 1):
        ck.add(k, s.chunk, 0, [], 1.0)
    return ck.path


def _resigned(**changes) -> Callable[[dict], dict]:
    """A checkpoint edit that sets fields and recomputes the checksum (an edit the checksum cannot see)."""

    def edit(state: dict) -> dict:
        state = {**state, **changes}
        return {**state, sweep_mod.CHECKSUM: sweep_mod._digest(state)}

    return edit


CHECKPOINTS: dict[str, Callable[[dict], dict | list | bytes | None]] = {
    "done_edited": lambda st: {**st, "done": [0, 1, 2]},
    "vectors_edited": lambda st: {**st, "vectors": st["vectors"] * 2},
    "checksum_removed": lambda st: {k: v for k, v in st.items() if k != sweep_mod.CHECKSUM},
    "checksum_wrong": lambda st: {**st, sweep_mod.CHECKSUM: "0" * 64},
    "done_foreign_chunk": _resigned(done=[0, 1, 999]),
    "done_unsorted": _resigned(done=[1, 0]),
    "vectors_impossible": _resigned(vectors=10**12),
    "other_sweep": _resigned(args="--op encode --config float8_e4m3fn"),
    "json_list": lambda st: [1, 2],
    "not_json": lambda st: b"{\"done\": [0, 1",
    "binary": lambda st: b"\x00\xff" * 64,
    "directory": lambda st: None,
}
"""Out directory name -> the edit that makes its checkpoint from the genuine one (None: a directory)."""


def _write_checkpoints(where: Path) -> None:
    genuine = _checkpoint(where)
    state = json.loads(genuine.read_text())
    for name, edit in CHECKPOINTS.items():
        target = where / name / genuine.name
        target.parent.mkdir()
        data = edit(state)
        if data is None:
            target.mkdir()
        else:
            target.write_bytes(data if isinstance(data, bytes) else json.dumps(data).encode())


def _resume(name: str, match: str) -> CliCase:
    return CliCase(f"exhaust-resume-{name.replace('_', '-')}",
                   [*_ENCODE, "--resume", "--max-chunks", "1", "--out", f"{{tmp}}/{name}"], match)


RESUME = [
    _resume("done_edited", r"done_edited/encode-float8_e5m2-rmm-sat1\.json: checksum mismatch: it was edited"),
    _resume("vectors_edited", r"vectors_edited/.*\.json: checksum mismatch"),
    _resume("checksum_removed", r"checksum_removed/.*\.json has no sha256 checksum"),
    _resume("checksum_wrong", r"checksum_wrong/.*\.json: checksum mismatch"),
    _resume("done_foreign_chunk", r"its done list is not a sorted set of this shard's chunks"),
    _resume("done_unsorted", r"done_unsorted/.*its done list is not a sorted set"),
    _resume("vectors_impossible", r"1000000000000 vectors and 0 mismatches cannot come from 2 chunks"),
    _resume("other_sweep", r"other_sweep/.*\.json belongs to another sweep or shard"),
    _resume("json_list", r"json_list/.*\.json holds a JSON list, not a checkpoint"),
    _resume("not_json", r"not_json/.*\.json cannot be read"),
    _resume("binary", r"binary/.*\.json cannot be read"),
    _resume("directory", r"directory/.*\.json cannot be read"),
]

# ------------------------------------------------------------------ sizes
EXHAUST_SIZES = [
    CliCase("exhaust-max-chunks-0", [*_ENCODE, "--max-chunks", "0", "--out", "{tmp}/o"],
            r"--max-chunks must be an integer >= 1 .*got 0"),
    CliCase("exhaust-max-chunks-negative", [*_ENCODE, "--max-chunks", "-3", "--out", "{tmp}/o"],
            r"--max-chunks must be an integer >= 1 .*got -3"),
    CliCase("exhaust-max-chunks-float", [*_ENCODE, "--max-chunks", "1.5", "--out", "{tmp}/o"], r"--max-chunks.*'1\.5'"),
    CliCase("exhaust-jobs-0", [*_ENCODE, "--jobs", "0", "--out", "{tmp}/o"], r"--jobs must be an integer in 1\.\.\.64, got 0"),
    CliCase("exhaust-jobs-huge", [*_ENCODE, "--jobs", "100000", "--out", "{tmp}/o"], r"--jobs .* 1\.\.\.64, got 100000"),
    CliCase("exhaust-jobs-word", [*_ENCODE, "--jobs", "many", "--out", "{tmp}/o"], r"--jobs.*'many'"),
    CliCase("exhaust-shard-empty", [*_ENCODE, "--shard", "300/300", "--out", "{tmp}/o"],
            r"--shard 300/300 holds no chunk: the largest selected sweep has 256 chunks, so use n <= 256"),
    CliCase("exhaust-shard-zero", [*_ENCODE, "--shard", "0/4", "--out", "{tmp}/o"], r"--shard '0/4': need 1 <= i <= n"),
    CliCase("exhaust-shard-word", [*_ENCODE, "--shard", "half", "--out", "{tmp}/o"], r"--shard must look like i/n.*'half'"),
    CliCase("exhaust-only-index-negative", [*_ENCODE, "--only-index", "-1"], r"--only-index -1 is outside \[0, 4294967296\)"),
    CliCase("exhaust-only-index-huge", [*_ENCODE, "--only-index", str(1 << 40)], r"--only-index 1099511627776 is outside"),
    CliCase("exhaust-out-is-a-file", [*_ENCODE, "--max-chunks", "1", "--out", "{tmp}/good.hex"],
            r"--out '{tmp}/good\.hex' is a file, not a directory"),
    CliCase("exhaust-cache-is-a-file", [*_ENCODE, "--max-chunks", "1", "--out", "{tmp}/o", "--cache", "{tmp}/good.hex"],
            r"--cache '{tmp}/good\.hex' is a file, not a directory"),
    CliCase("exhaust-level-with-op", ["exhaust", "--level", "ci", "--op", "mul"], r"--level runs a preset list; leave out"),
]

_MUL4 = dict(op="mul", fmt="float4_e2m1fn")
_GEN = [
    ("count-negative", dict(_MUL4, level=2, count=-1), r"count must be an integer >= 0, got -1"),
    ("count-float", dict(_MUL4, level=2, count=2.5), r"count must be an integer >= 0, got 2\.5"),
    ("count-bool", dict(_MUL4, level=2, count=True), r"count must be an integer >= 0, got True"),
    ("count-string", dict(_MUL4, level=2, count="10"), r"count must be an integer >= 0, got '10'"),
    ("count-huge-fma", dict(op="fma", level=2, count=10**8),
     r"fma vectors with count=100000000 \(--count\) need about 19\.4 GiB of memory; the limit is 4 GiB"),
    ("count-huge-mx-dot", dict(op="mx_dot", level=2, count=10**7),
     r"count=10000000 \(--count\) and k=32 \(--k\) need about 33\.0 GiB.*use count <= 1,2"),
    ("count-huge-int8", dict(op="int8_mac", level=2, count=10**9), r"int8_mac vectors with count=1000000000"),
    ("k-zero", dict(op="mx_dot", k=0), r"k \(the mx_dot block size\) must be an integer >= 1, got 0"),
    ("k-negative", dict(op="mx_dot", k=-4), r"must be an integer >= 1, got -4"),
    ("k-float", dict(op="mx_dot", k=2.5), r"block size\) must be an integer >= 1, got 2\.5"),
    ("k-string", dict(op="mx_dot", k="32"), r"block size\) must be an integer >= 1, got '32'"),
    ("k-huge", dict(op="mx_dot", k=100000), r"k=100000 \(--k\) need about 71\.5 GiB.*use k <= 5593"),
    ("lfsr-seed-zero", dict(op="mac", lfsr_seed=0), r"lfsr_seed .* 1\.\.\.4294967295, got 0"),
    ("lfsr-seed-float", dict(op="mac", lfsr_seed=2.5), r"lfsr_seed .* got 2\.5"),
    ("lfsr-seed-wide", dict(op="mac", lfsr_seed=1 << 32), r"lfsr_seed .* got 4294967296"),
    ("sr-bits-33", dict(op="fma", sr_bits=33), r"sr_bits must be an integer in 1\.\.\.32, got 33"),
    ("sr-bits-float", dict(op="fma", sr_bits=8.0), r"sr_bits must be an integer in 1\.\.\.32, got 8\.0"),
    ("seed-negative", dict(_MUL4, level=2, count=5, seed=-1), r"seed must be an integer >= 0, got -1"),
    ("seed-float", dict(_MUL4, level=2, count=5, seed=1.5), r"seed must be an integer >= 0, got 1\.5"),
]
VECTOR_SIZES = [ApiCase(f"generate-{name}", functools.partial(vec.generate, **kw), ValueError, match)
                for name, kw, match in _GEN]

VECTOR_CLI = [
    CliCase("vectors-k-huge", ["vectors", "--op", "mx_dot", "--k", "100000", "--out", "{tmp}/x.hex"],
            r"k=100000 \(--k\) need about 71\.5 GiB of memory; the limit is 4 GiB"),
    CliCase("vectors-count-huge", ["vectors", "--op", "fma", "--count", "100000000", "--out", "{tmp}/x.hex"],
            r"count=100000000 \(--count\) need about 19\.4 GiB"),
    CliCase("vectors-k-zero", ["vectors", "--op", "mx_dot", "--k", "0", "--out", "{tmp}/x.hex"], r"got 0"),
    CliCase("vectors-k-word", ["vectors", "--op", "mx_dot", "--k", "wide", "--out", "{tmp}/x.hex"], r"--k.*'wide'"),
    CliCase("vectors-count-negative", ["vectors", "--op", "mul", "--count", "-5", "--out", "{tmp}/x.hex"],
            r"count must be an integer >= 0, got -5"),
    CliCase("vectors-lfsr-seed-zero", ["vectors", "--op", "mac", "--lfsr-seed", "0x0", "--out", "{tmp}/x.hex"],
            r"lfsr_seed .* got 0"),
    CliCase("vectors-out-is-a-directory", ["vectors", "--op", "mul", "--format", "float4_e2m1fn", "--out", "{tmp}"],
            r"'{tmp}' is a directory"),
]

CASES = READ + VECTOR_SIZES + REPLAY + RESUME + EXHAUST_SIZES + VECTOR_CLI


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The corrupt files and checkpoints in ``tmp_path`` (also the working directory); no simulator on PATH."""
    _write_files(tmp_path)
    _write_checkpoints(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "adir.hex"))  # an empty directory: replay must refuse before simulating
    return tmp_path


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_bad_input(case: ApiCase | CliCase, files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if isinstance(case, ApiCase):
        check_api(case)
    else:
        check_cli(case, files, capsys)


def test_the_good_file_and_checkpoint_pass(files: Path) -> None:
    """The edits above start from files that read back: each row fails for its edit alone."""
    assert vec.read("good.hex").header["cases"] == 256
    s = build_sweeps("encode", "float8_e5m2", "rmm", "1")[0]
    assert sweep_mod.load_checkpoint(files / f"{s.key}.json", s)["done"] == [0, 1]
