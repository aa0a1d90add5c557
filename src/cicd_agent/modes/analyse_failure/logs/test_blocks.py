"""Each failed test's report in a failed log, as its runner's shape opens it: the header
(``--- FAIL: TestX``, ``---- x stdout ----``, mocha's ``  1) suite``), the test's whole name, and
the lines that are its report; and what every report a test's header opens agrees on (a test
printing another's header opens a report the other never printed). The likely-flaky reading
(:mod:`.flaky`) reads each test's evidence from these."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypeVar

from cicd_agent.runners.shapes import LOG_SHAPES

_K = TypeVar("_K")
_T = TypeVar("_T")
BLOCK_LINES = 40
"""Lines of a test's report read after its header (and before it, since its start), at most."""

_HEADERS = (
    *(
        (pattern, shape.flaky.name_goes_on, shape.started)
        for shape in LOG_SHAPES
        for pattern in shape.flaky.failed_test
    ),
    (re.compile(r"^#\s+Failed test '(?P<name>.+)'$"), None, None),  # Test::More's diagnostics
)
"""Each line opening a failed test's report, the lines under it that carry on its name, and the
line that starts a test where the runner prints it (go's ``=== RUN``: with ``-v`` the next
test's lines follow a ``--- FAIL``, after that test's start)."""


def blocks(lines: Sequence[str]) -> list[tuple[int, str, list[str]]]:
    """Each failed test's report: its header's kind (its place in ``_HEADERS``), the test's
    name and the report's lines (the header and what follows, and none past the next test's
    start where the runner prints one). Lines above a header are never read: a test can print
    another's start line (go's ``=== RUN``, ``=== NAME``) over its own draw, so what comes
    before a header is no one's for sure."""
    found: list[tuple[int, str, list[str]]] = []
    for index, text in enumerate(lines):
        for kind, (pattern, goes_on, started) in enumerate(_HEADERS):
            match = pattern.search(text.rstrip())
            if match is not None:
                after = list(lines[index + 1 : index + BLOCK_LINES])
                name = _whole_name(match["name"], after, goes_on)
                if started is not None:
                    after = _until(after, started)
                found.append((kind, name, [text, *after]))
                break
    for position, (_, _, block) in enumerate(found):
        # A report ends where the next one starts.
        following = found[position + 1][2][0] if position + 1 < len(found) else None
        if following is not None and following in block[1:]:
            del block[block.index(following, 1) :]
    return found


def _until(after: Sequence[str], started: re.Pattern[str]) -> list[str]:
    """The lines of ``after`` before the first that starts another test."""
    kept: list[str] = []
    for text in after:
        if started.search(text):
            break
        kept.append(text)
    return kept


def agreed(said: Sequence[tuple[_K, tuple[_T, ...]]]) -> dict[_K, tuple[_T, ...]]:
    """Each test's header kind and name → what every report it opens says. A runner prints a
    test's report once (jest's summary repeats it whole); a test printing another's header
    opens a report the other never printed, and only what the other's own report says too is
    the other's."""
    kept: dict[_K, tuple[_T, ...]] = {}
    for key, items in said:
        kept[key] = tuple(i for i in kept[key] if i in items) if key in kept else items
    return kept


def _whole_name(name: str, after: Sequence[str], goes_on: re.Pattern[str] | None) -> str:
    """A header's ``name`` with the lines ``after`` it that carry it on (mocha's suite, then
    each title to the one ending in ``:``); the header's alone where no such last line comes."""
    if goes_on is None:
        return name
    parts = [name]
    for text in after:
        more = goes_on.match(text.rstrip())
        if more is None:
            break
        parts.append(more["name"])
        if more["last"]:
            return " ".join(parts)
    return name
