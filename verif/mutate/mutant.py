"""One mutant: a small, deliberate fault in one file of ``rtl/``, as a list of text edits."""

from __future__ import annotations

import dataclasses
import difflib

__all__ = ["Mutant"]


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
