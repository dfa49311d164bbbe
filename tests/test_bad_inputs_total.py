"""The bad-input suite as a whole: at least 150 rows across the API and every CLI command, ids unique."""

from __future__ import annotations

import importlib
from pathlib import Path

from badinput import ApiCase, CliCase

TABLES = sorted(p.stem for p in Path(__file__).parent.glob("test_bad_inputs_*.py") if p.stem != Path(__file__).stem)


def _rows() -> list[ApiCase | CliCase]:
    rows = []
    for name in TABLES:
        rows.extend(importlib.import_module(name).CASES)
    return rows


def test_the_suite_has_150_rows_with_unique_ids():
    rows = _rows()
    assert len(rows) >= 150, f"{len(rows)} bad-input rows in {TABLES}"
    names = [f"{type(r).__name__}:{r.id}" for r in rows]
    assert len(set(names)) == len(names)


def test_every_cli_command_has_rows():
    from fp8kit.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    commands = set(sub.choices)
    covered = {r.argv[0] for r in _rows() if isinstance(r, CliCase) and r.argv and not r.argv[0].startswith("-")}
    assert commands - covered == set(), f"CLI commands without a bad-input row: {sorted(commands - covered)}"
