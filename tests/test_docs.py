"""The docs: generated sections are fresh and every example runs as written."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

from fp8kit.docgen import stale_sections

DOCS = sorted((Path(__file__).resolve().parent.parent / "docs").glob("*.md"))


def test_generated_sections_are_fresh():
    assert stale_sections() == [], "run `fp8kit gen-docs` and commit the result"


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_doc_examples_run(path):
    result = doctest.testfile(
        str(path), module_relative=False, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    assert result.failed == 0, f"{result.failed} example(s) failed in {path.name}"
