"""The bad-input suite's two row kinds and their checks (tests/test_bad_inputs_*.py hold the tables).

An API row calls the golden model and must raise exactly ``exc`` (the class itself, not a subclass
chosen by accident) with a message matching ``match``, which names the bad value and what is allowed.
A CLI row runs ``fp8kit ARGV...`` through :func:`fp8kit.cli.main` in-process and must return
``rc`` (2 for bad arguments or input, 1 for a failed check), print ``fp8kit: error: ...`` matching
``match`` on stderr and print no traceback.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest


@dataclass(frozen=True)
class ApiCase:
    """``call()`` must raise ``exc`` with a message that ``re.search``es ``match``."""

    id: str
    call: Callable[[], Any]
    exc: type[BaseException]
    match: str


@dataclass(frozen=True)
class CliCase:
    """``fp8kit *argv`` (with ``{tmp}`` replaced by a fresh directory) must exit ``rc`` with ``match`` on stderr."""

    id: str
    argv: Sequence[str]
    match: str
    rc: int = 2


def check_api(case: ApiCase) -> None:
    with pytest.raises(BaseException) as info:
        case.call()
    assert type(info.value) is case.exc, f"{case.id}: raised {type(info.value).__name__}: {info.value}"
    assert re.search(case.match, str(info.value)), f"{case.id}: message {str(info.value)!r} lacks {case.match!r}"


def check_cli(case: CliCase, tmp_path, capsys) -> str:
    """Runs the row and returns its stderr."""
    from fp8kit.cli import main

    argv = [a.replace("{tmp}", str(tmp_path)) for a in case.argv]
    try:
        rc = main(argv)
    except SystemExit as exc:  # argparse's own exits must go through main's convention too
        rc = exc.code
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err, f"{case.id}: printed a traceback:\n{err}"
    assert rc == case.rc, f"{case.id}: rc {rc}, expected {case.rc}; stderr:\n{err}"
    if case.rc == 2:
        assert "fp8kit: error: " in err, f"{case.id}: stderr lacks 'fp8kit: error: ':\n{err}"
    pattern = case.match.replace("{tmp}", re.escape(str(tmp_path)))
    assert re.search(pattern, err), f"{case.id}: stderr {err!r} lacks {pattern!r}"
    return err


def ids(cases: Sequence[ApiCase | CliCase]) -> list[str]:
    names = [c.id for c in cases]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ValueError(f"duplicate bad-input case ids: {sorted(dup)}")
    return names
