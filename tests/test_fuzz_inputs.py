"""Fuzzing the readers a user's files and arguments reach: no traceback, no silent success.

- ``vectors.read`` on a vector file changed at random (bytes flipped, inserted or deleted, lines
  removed, repeated or swapped, the file cut short): it returns exactly what was written (a change
  that means nothing, such as CRLF line ends) or raises ``ValueError`` naming the file; nothing else.
- ``verif.exhaust.sweep.load_checkpoint`` (what ``--resume`` reads) on a checkpoint changed the same
  ways: the same contract.
- ``fp8kit`` argument lists drawn from each command's own options and from bad values: no traceback,
  exit status 0, 1 or 2, a status 2 printed as ``fp8kit: error: ...``, and an argument list holding a
  value no option allows always refused (status 2).
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fp8kit import vectors

_FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _mutations(data: bytes):
    """A strategy of byte strings made from ``data`` by one to three random edits."""
    lines_of = lambda b: b.split(b"\n")  # noqa: E731

    def flip(b, i, v):
        i %= len(b)
        return b[:i] + bytes([v]) + b[i + 1:]

    def insert(b, i, v):
        i %= len(b) + 1
        return b[:i] + bytes([v]) + b[i:]

    def delete(b, i, _v):
        i %= len(b)
        return b[:i] + b[i + 1:]

    def cut(b, i, _v):
        return b[: i % len(b)]

    def drop_line(b, i, _v):
        ls = lines_of(b)
        del ls[i % len(ls)]
        return b"\n".join(ls)

    def repeat_line(b, i, _v):
        ls = lines_of(b)
        k = i % len(ls)
        return b"\n".join(ls[:k + 1] + ls[k:])

    def swap_lines(b, i, v):
        ls = lines_of(b)
        j, k = i % len(ls), (i + v + 1) % len(ls)
        ls[j], ls[k] = ls[k], ls[j]
        return b"\n".join(ls)

    edits = st.tuples(st.sampled_from([flip, insert, delete, cut, drop_line, repeat_line, swap_lines]),
                      st.integers(0, 10**6), st.integers(0, 255))

    def apply(steps):
        b = data
        for fn, i, v in steps:
            b = fn(b, i, v) if b else b
        return b

    return st.lists(edits, min_size=1, max_size=3).map(apply)


_VEC = vectors.generate("mul", fmt="float4_e2m1fn")


def _same(a: vectors.Vectors, b: vectors.Vectors) -> bool:
    return a.header == b.header and np.array_equal(np.asarray(a.rows), np.asarray(b.rows))


def _fuzz_reader(tmp_path, original: bytes, suffix: str, read, same) -> None:
    """Feeds ``read`` randomly changed copies of ``original``: each is refused with a ``ValueError`` naming
    the file, or read back as something ``same`` accepts; more than 100 must be refused."""
    refused = []

    @_FUZZ
    @given(_mutations(original))
    def check(data):
        path = tmp_path / f"fuzzed{suffix}"
        path.write_bytes(data)
        try:
            back = read(path)
        except ValueError as exc:
            assert str(path) in str(exc), f"the message does not name the file: {exc}"
            refused.append(path)
            return
        assert same(back), "a changed file was read back as something else without an error"

    check()
    assert len(refused) > 100, len(refused)


def test_vector_file_fuzz(tmp_path):
    good = vectors.write(_VEC, tmp_path / "good.hex")
    assert _same(vectors.read(good), _VEC)
    _fuzz_reader(tmp_path, good.read_bytes(), ".hex", vectors.read, lambda back: _same(back, _VEC))


def test_checkpoint_fuzz(tmp_path):
    import json

    from verif.exhaust import sweep as sweep_mod
    from fp8kit.cli.exhaust import build_sweeps

    s = build_sweeps("encode", "float8_e5m2", "rmm", "1")[0]
    ck = sweep_mod._Checkpoint(tmp_path / "ck.json", s, (1, 1), False, sweep_mod._shard_chunks(s, (1, 1)))
    for k in (0, 3, 4):
        ck.add(k, s.chunk, k, [], 1.5)
    original = ck.path.read_bytes()
    want = json.loads(original)
    assert sweep_mod.load_checkpoint(ck.path, s) == want
    _fuzz_reader(tmp_path, original, ".json", lambda p: sweep_mod.load_checkpoint(p, s), lambda back: back == want)

# --- the fp8kit argument parser and the commands behind it ---------------------------------------

FULL_RUN = {"formats", "table", "encode", "decode", "rtl-params", "cost", "quantize", "vectors"}
"""Commands the fuzz runs for real (each finishes in well under a second on the values drawn);
every other command is parsed only: its handler is replaced by one that records the call."""

HEAVY = {"--synth", "--fit", "--energy", "--plot", "--calibration"}
"""Options that make a fully run command slow (Yosys, plots): with one, the command is parsed only."""

BAD = "@@bad@@"
"""A value no option of fp8kit allows (not a number, a name, a mode, a size or a TOML file)."""

PATH_WORDS = ("out", "plot", "junit", "input", "file", "path", "calibration", "dut", "dir", "cache", "npy", "npz")
"""Options whose dest holds one of these name a path to write or read: any string is a path, so BAD is
not injected there."""

_INTS = ["0", "1", "3", "-1", "0x10", "1.5", "", "abc", "99999999999999999999", "2"]
_WORDS = ["float8_e4m3fn", "e4m3fm", "float16", "rne", "sr", "rnx", "mxfp8_e4m3", "mx_dot", "fma", "A_", "1",
          "0x7f", "-0.5", "inf", "nan", "1e400", "{tmp}/missing.npy", "{tmp}/dir", "{tmp}/good.npy",
          "{tmp}/text.npy", "{tmp}/afile/x", "{tmp}/out.npz", "quick", "all", "float32"]


def _subparsers():
    import argparse

    from fp8kit.cli import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices


def _is_int_type(action) -> bool:
    return action.type is int or getattr(action.type, "__qualname__", "").startswith("int_arg")


def _value(action):
    if action.choices:
        picks = [str(c) for c in action.choices]
        return st.sampled_from(picks + [picks[0][:-1] + "x", "nope"])
    return st.sampled_from(_INTS if _is_int_type(action) else _WORDS + _INTS)


@st.composite
def _argv(draw):
    """(argv, bad): an fp8kit argument list; ``bad`` when one value is BAD where no value is allowed."""
    import argparse

    parsers = _subparsers()
    command = draw(st.sampled_from(sorted(parsers)))
    parser = parsers[command]
    argv, slots = [command], []
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        if not action.option_strings:  # a positional
            count = 1 if action.nargs in (None, 1) else draw(st.integers(1, 3))
            for _ in range(count):
                slots.append((action, len(argv)))
                argv.append(draw(_value(action)))
        elif draw(st.integers(0, 3)) == 0:
            argv.append(draw(st.sampled_from(action.option_strings)))
            if action.nargs != 0:
                slots.append((action, len(argv)))
                argv.append(draw(_value(action)))
    if draw(st.booleans()):
        argv.insert(draw(st.integers(1, len(argv))), draw(st.sampled_from(["--bogus", "--ouT", "--outt", "-Q"])))
        return argv, "option"
    targets = [i for a, i in slots if not any(w in a.dest for w in PATH_WORDS) and not argv[i].startswith("-")]
    if targets and draw(st.booleans()):
        argv[draw(st.sampled_from(targets))] = BAD
        return argv, "value"
    return argv, None


def _prepare(tmp_path):
    (tmp_path / "dir").mkdir(exist_ok=True)
    np.save(tmp_path / "good.npy", np.linspace(-3, 3, 256, dtype=np.float32))
    (tmp_path / "text.npy").write_text("not numpy")
    (tmp_path / "afile").write_text("a file, not a directory")


def test_cli_fuzz(tmp_path, monkeypatch, capsys):
    import fp8kit.cli as cli
    import fp8kit.cli.exhaust as exhaust_cli

    _prepare(tmp_path)
    monkeypatch.chdir(tmp_path)
    parsed = []

    def parse_only(real):
        def handler(args):
            if args.command in FULL_RUN and not any(getattr(args, o[2:].replace("-", "_"), None) for o in HEAVY):
                return real(args)
            parsed.append(True)
            return 0
        return handler

    for name in [n for n in dir(cli) if n.startswith("cmd_")]:
        monkeypatch.setattr(cli, name, parse_only(getattr(cli, name)))
    monkeypatch.setattr(exhaust_cli, "cmd_exhaust", parse_only(exhaust_cli.cmd_exhaust))
    stats = {"rc": {}, "bad": 0}

    @_FUZZ
    @given(_argv())
    def check(drawn):
        argv, bad = drawn
        argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
        parsed.clear()
        try:
            rc = cli.main(argv)
        except SystemExit as exc:  # --help / --version print and exit 0
            rc = exc.code
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err, f"{argv}: a traceback\n{err}"
        assert "internal error" not in err, f"{argv}: an unhandled exception\n{err}"
        assert rc in (0, 1, 2), f"{argv}: rc {rc}\n{err}"
        if rc == 2:
            assert err.startswith("fp8kit: error: "), f"{argv}: rc 2 without 'fp8kit: error: '\n{err}"
        if bad == "option" or (bad == "value" and not parsed):
            assert rc == 2, f"{argv}: {bad} {BAD if bad == 'value' else ''} not refused (rc {rc})\n{out[-500:]}{err}"
            stats["bad"] += 1
        stats["rc"][rc] = stats["rc"].get(rc, 0) + 1

    check()
    print(stats)
    assert stats["bad"] > 50 and stats["rc"].get(0, 0) > 10 and stats["rc"].get(2, 0) > 50, stats
