"""Every shell example in README.md and docs/*.md runs as a test, as written.

An example is a command line of a ``sh`` block (or of an unlabelled block whose lines are commands),
with ``\\`` continuations joined and the trailing ``# comment`` dropped. Each block's lines run in order
in one scratch directory (a later line may read what an earlier one wrote, as ``replay fma.hex`` reads
``vectors ... --out fma.hex``), with ``examples/`` linked in and the inputs an example names created.
Where an example runs is :func:`tier`'s rule:

- ``quick``: the default suite runs it (a few seconds each);
- ``slow``: the slow suite runs it as written (simulations, synthesis, studies: about a minute or more);
- ``bounded``: it takes hours as written; the slow suite runs it with ``--list`` appended (the plan it
  would run is resolved and printed, nothing simulated), and :data:`HOURS` names each one. The minutes-long
  examples of :data:`SHORTER` run with smaller sizes appended under ``FP8KIT_SLOW=bounded`` (CI) and as
  written under ``FP8KIT_SLOW=full``;
- ``ci``: lines that CI itself runs (``make run`` = ``fp8kit regress``, ``make test``, ``pytest -m rtl``: ``.ci/run``;
  ``pip install``, ``apt-get``: ``.ci/wheel-smoke.sh`` and ``.ci/run``); checked here to be exactly those.

Other ``make`` targets run in the checkout (slow). ``a && b`` runs as two commands.

Every ``fp8kit`` example also parses under :func:`fp8kit.cli.build_parser` in the default suite.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from conftest import slow_scale
from fp8kit import procs
from fp8kit.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FP8KIT = Path(sys.executable).with_name("fp8kit")

CI_LINES = {
    "make run",
    "make test",
    "pip install 'fp8kit[sim]'",
    "sudo apt-get install -y iverilog g++ yosys",
    "pytest -m rtl",
    "fp8kit regress",
}
"""The lines .ci/run and .ci/wheel-smoke.sh run themselves (``fp8kit regress`` is ``make run``'s command)."""

HOURS = {
    "fp8kit regress --level full --jobs 16",
    "fp8kit regress --level full --shard 1/4 --seed 7",
    "fp8kit mutate",
    "fp8kit mutate --all",
    "fp8kit mutate --module fp8_fma",
    "fp8kit mutate --module mx_dot --max-per-module 100 --seed 7 --jobs 4 --out mutate_mx",
}
"""Examples that take hours (or tens of minutes) as written: the slow suite runs them with --list."""

SHORTER = {
    "fp8kit study sr --plot docs/img/sr-study.png": ["--lengths", "256,1024", "--trials", "2"],
    "fp8kit study sr --lengths 1024,65536 --trials 4": ["--lengths", "1024,4096", "--trials", "2"],
    ".venv/bin/fp8kit study sr --plot sr.png": ["--lengths", "256,1024", "--trials", "2"],
}
"""Examples of a few minutes each (the default study is 8 trials up to n = 16,384): CI's bounded slow run
appends these sizes (argparse keeps the last value); ``FP8KIT_SLOW=full`` runs them as written."""

KEEP_CHECKOUT = {"fp8kit cost --fit": ["--calibration", "cal.json"]}
"""Examples that write into the package (fp8kit/cost/data/cost_calibration.json): the test sends the output
to the scratch directory instead, so the slow suite never changes a tracked file."""

QUICK = {"formats", "table", "encode", "decode", "rtl-params", "vectors", "quantize", "sqnr", "gemm", "--version"}
"""Subcommands whose examples take seconds."""

SLOW_FLAGS = {"--synth", "--fit", "--energy"}
"""Flags that make a quick subcommand slow (Yosys)."""

INPUTS = {
    "x.npy": lambda: np.random.default_rng(0).standard_normal(4096).astype(np.float32),
    "a.npy": lambda: np.random.default_rng(1).standard_normal((4, 64)).astype(np.float32),
    "b.npy": lambda: np.random.default_rng(2).standard_normal((64, 8)).astype(np.float32),
}
"""Input files an example names but does not write, created in its scratch directory."""


COMMAND = re.compile(r"(\.venv/bin/)?fp8kit( [a-z-]+( |$)| --|$)|make |pip |sudo |pytest ")
"""A command line: fp8kit and a subcommand or option, or a set-up command."""


@dataclass(frozen=True)
class Example:
    page: str
    line: int
    text: str

    @property
    def argv(self) -> list[str]:
        words = shlex.split(self.text)
        if words[0].endswith("fp8kit"):
            words[0] = "fp8kit"
        return words


def _split(ex: Example) -> list[Example]:
    """``a && b`` as two examples of the same line."""
    return [Example(ex.page, ex.line, part.strip()) for part in ex.text.split("&&")]


def _blocks(path: Path) -> list[list[Example]]:
    """The command blocks of one page, each a list of its examples in order."""
    blocks, current, lang, pending, start = [], None, "", "", 0
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        if raw.startswith("```"):
            if current is None:
                current, lang, first = [], raw[3:].strip(), True
            else:
                if current:
                    blocks.append(current)
                current = None
            continue
        if current is None or lang not in ("", "sh", "bash", "console", "shell"):
            continue
        text = raw.split(" #", 1)[0].strip()
        if lang == "" and first and text:  # an unlabelled block is commands when its first line is one
            lang = "sh" if COMMAND.match(text) else "output"
            first = False
            if lang == "output":
                continue
        if not pending:
            start = number
            if not COMMAND.match(text):
                continue
        if text.endswith("\\"):
            pending += text[:-1] + " "
            continue
        current.extend(_split(Example(path.name, start, " ".join((pending + text).split()))))
        pending = ""
    return blocks


BLOCKS = [block for page in PAGES for block in _blocks(page)]
EXAMPLES = [ex for block in BLOCKS for ex in block]


def tier(ex: Example) -> str:
    """``ci``, ``bounded``, ``quick`` or ``slow`` (the module docstring says what each means)."""
    if ex.text in CI_LINES:
        return "ci"
    argv = ex.argv
    canonical = " ".join(["fp8kit", *argv[1:]])
    if canonical in HOURS:
        return "bounded"
    if argv[0] == "make" and len(argv) == 2:
        return "slow"
    if argv[0] != "fp8kit":
        raise AssertionError(f"{ex.page}:{ex.line}: {ex.text!r} is neither an fp8kit command nor a CI line")
    if "--list" in argv:
        return "quick"
    if argv[1] == "cost":
        return "slow" if SLOW_FLAGS & set(argv) else "quick"
    return "quick" if argv[1] in QUICK else "slow"


def _run_block(block: list[Example], tiers: set[str], tmp_path: Path) -> int:
    """Runs the block's examples of these tiers in order in ``tmp_path``; returns how many ran."""
    os.symlink(ROOT / "examples", tmp_path / "examples")
    for name, make in INPUTS.items():
        np.save(tmp_path / name, make())
    ran = 0
    for ex in block:
        kind = tier(ex)
        if kind not in tiers:
            continue
        argv = ex.argv + (["--list"] if kind == "bounded" else [])
        argv += KEEP_CHECKOUT.get(ex.text, [])
        if kind == "slow" and slow_scale() == "bounded":
            argv += SHORTER.get(ex.text, [])
        out_file = None
        if ">" in argv:
            at = argv.index(">")
            argv, out_file = argv[:at], argv[at + 1]
        cmd, cwd = ([str(FP8KIT), *argv[1:]], tmp_path) if argv[0] == "fp8kit" else (argv, ROOT)
        res = procs.run(cmd, cwd=cwd, step=f"{ex.page}:{ex.line}: {ex.text}", timeout=1800,
                        raise_hint="a faster example or a bounded tier in tests/test_doc_shell.py")
        assert "Traceback" not in res.stderr, f"{ex.page}:{ex.line}: {ex.text}\n{res.stderr}"
        assert res.returncode == 0, f"{ex.page}:{ex.line}: {ex.text} exited {res.returncode}\n{res.stderr[-3000:]}"
        assert res.stdout.strip(), f"{ex.page}:{ex.line}: {ex.text} printed nothing"
        if out_file:
            (tmp_path / out_file).write_text(res.stdout)
        ran += 1
    return ran


def _block_id(block: list[Example]) -> str:
    return f"{block[0].page}:{block[0].line}"


def test_shorter_names_real_examples():
    assert set(SHORTER) | set(KEEP_CHECKOUT) <= {ex.text for ex in EXAMPLES if tier(ex) == "slow"}


def test_examples_were_found():
    """The collector sees the pages' examples (an empty collection would pass every test below)."""
    texts = {ex.text for ex in EXAMPLES}
    assert "make run" in texts and ".venv/bin/fp8kit formats" in texts
    assert any(ex.page == "vectors.md" and "--lfsr-seed 0x1" in ex.text for ex in EXAMPLES)
    assert len(EXAMPLES) >= 40, len(EXAMPLES)
    assert {tier(ex) for ex in EXAMPLES} == {"ci", "bounded", "quick", "slow"}


@pytest.mark.parametrize("ex", [e for e in EXAMPLES if e.argv[0] == "fp8kit"], ids=lambda e: f"{e.page}:{e.line}")
def test_example_parses(ex):
    argv = ex.argv[1:ex.argv.index(">")] if ">" in ex.argv else ex.argv[1:]
    if argv == ["--version"]:
        with pytest.raises(SystemExit) as info:
            build_parser().parse_args(argv)
        assert info.value.code == 0
    else:
        build_parser().parse_args(argv)


QUICK_BLOCKS = [b for b in BLOCKS if any(tier(ex) == "quick" for ex in b)]
SLOW_BLOCKS = [b for b in BLOCKS if any(tier(ex) in ("slow", "bounded") for ex in b)]


@pytest.mark.parametrize("block", QUICK_BLOCKS, ids=_block_id)
def test_quick_examples_run(block, tmp_path):
    assert _run_block(block, {"quick"}, tmp_path) > 0


@pytest.mark.slow
@pytest.mark.parametrize("block", SLOW_BLOCKS, ids=_block_id)
def test_slow_examples_run(block, tmp_path):
    assert _run_block(block, {"quick", "slow", "bounded"}, tmp_path) > 0
