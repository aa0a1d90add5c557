"""A linter's own fix (ruff's safe ``fix``, eslint's ``fix``) as the whole lines it replaces:
a suggestion block replaces whole lines, and an edit that does not fit the file's text is no
fix of it."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from functools import lru_cache
from itertools import accumulate
from typing import NamedTuple

from cicd_agent.analysis.unified_diff import git_lines

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


class Edit(NamedTuple):
    """One replacement of a linter's fix: from ``start`` to ``end`` (excluded) and the new text.
    A point is a 1-based row and column, as ruff gives them, or an offset into the text as
    eslint gives it: JavaScript string indices (UTF-16 code units) counted after the
    byte-order mark eslint strips (``SourceCode`` and ``source-code-fixer.js`` in eslint 9)."""

    start: tuple[int, int] | int
    end: tuple[int, int] | int
    text: str


def fixed_lines(text: str, edits: tuple[Edit, ...]) -> tuple[int, int, str] | None:
    """The whole lines ``edits`` change in ``text``: first and last line number and their new
    text (a suggestion block replaces whole lines), or None when an edit falls outside the
    file, two overlap (a report that is not about this text), an edit's text held no character
    there (bounded_json reads a lone surrogate as U+FFFD: not the tool's fix) or the lines
    hold a carriage return (the post reads it as a line end, so the block would not be what
    was checked)."""
    if any("\ufffd" in edit.text for edit in edits):
        return (
            None  # what the report held there was no character (a lone surrogate, read as U+FFFD)
        )
    if any(isinstance(edit.start, tuple) for edit in edits) and "\r" in text.replace("\r\n", ""):
        return None  # ruff also ends a row at a lone ``\r``: its rows are not git's lines there
    lines, starts, astral = _layout(text)
    found = [
        (_index(text, starts, astral, e.start), _index(text, starts, astral, e.end), e.text)
        for e in edits
    ]
    spans = sorted(
        (begin, end, new) for begin, end, new in found if begin is not None and end is not None
    )
    if not spans or len(spans) < len(found):
        return None
    first = bisect_right(starts, spans[0][0])
    # an edit ending where a line starts ends with the line before it (a deleted line)
    last = max(first, *(bisect_left(starts, end) for _, end, _ in spans))
    if last > len(lines):
        return None
    taken, block = starts[first - 1], ""
    for begin, end, content in spans:
        if not taken <= begin <= end <= starts[last]:
            return None
        block, taken = block + text[taken:begin] + content, end
    block += text[taken : starts[last]]
    return None if "\r" in text[starts[first - 1] : starts[last]] + block else (first, last, block)


@lru_cache(maxsize=8)
def _layout(text: str) -> tuple[list[str], list[int], list[int] | None]:
    """``text``'s lines, where each starts, and where each character beyond UTF-16's basic plane
    (two of eslint's units) starts in eslint's offsets, after the byte-order mark it strips; None
    for undecodable bytes (node may replace them otherwise). Once per file, not once a hit."""
    lines = git_lines(text)
    bom = text.startswith("\ufeff")
    astral = [m.start() - bom + k for k, m in enumerate(_ASTRAL.finditer(text))]
    return lines, list(accumulate(map(len, lines), initial=0)), None if "\ufffd" in text else astral


def _index(
    text: str, starts: list[int], astral: list[int] | None, point: tuple[int, int] | int
) -> int | None:
    """Where ``point`` is in ``text`` (None: outside it, or inside a character)."""
    if isinstance(point, tuple):  # ruff's
        row, column = point
        at = starts[row - 1] + column - 1 if 1 <= row <= len(starts) and column >= 1 else -1
    else:  # eslint's: the characters of two units before it count one less each
        before = bisect_right(astral, point - 1) if astral is not None else 0
        split = astral is None or point < 0 or bool(before and astral[before - 1] == point - 1)
        at = -1 if split else point - before + text.startswith("\ufeff")
    return at if 0 <= at <= len(text) else None
