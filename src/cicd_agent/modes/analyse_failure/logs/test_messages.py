"""Why a failing test failed: the message its runner's report gives for it, below its verdict
(or above it, where ``go test -v`` prints a test's log first), found with the runner's report
shape (:data:`~cicd_agent.runners.shapes.LOG_SHAPES`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from cicd_agent.modes.analyse_failure.logs.runner_reports import PARENT_REACH, named_by
from cicd_agent.runners.shape import RunnerShape
from cicd_agent.runners.shapes import LOG_SHAPES

MESSAGE_REACH = 400
"""How many lines after a failing test's verdict its message may come (cargo prints the
reports after the whole list of verdicts)."""

Source = Callable[[str, int], str | None]
"""The checkout's text of a file's line, by the file's name as a log prints it (None: unknown)."""


def with_message(
    root: str, line: int, lines: Sequence[tuple[int, str]], source: Source | None = None
) -> str:
    """``root`` (a failing test's verdict at ``line``) with the message of why it failed, found
    in the test's report below it; ``root`` itself when it is no verdict or names no message.
    ``source`` reads the checkout's lines a message names (``RunnerShape.log_call``)."""
    printed = next((text for number, text in lines if number == line), root)
    for shape in LOG_SHAPES:
        if shape.verdict is None or shape.message is None:
            continue
        # the line as printed: jest's top-level test is ``  ● name`` at its own indent
        match = shape.verdict.search(root) or shape.verdict.search(printed)
        if match is None:
            continue
        child = _first_child(shape, named_by(match), line, lines)
        if child is not None:  # a test whose failure is only its subtests': the first one's
            return with_message(child[1].strip(), child[0], lines, source)
        message = _message(shape, named_by(match), line, lines, source)
        if message and message not in root:
            return f"{root} - {message}"
    return root


def _first_child(
    shape: RunnerShape, name: str, line: int, lines: Sequence[tuple[int, str]]
) -> tuple[int, str] | None:
    """The first verdict below ``line`` (a few lines at most) on a subtest of ``name``, at the
    depth the shape's :attr:`~cicd_agent.runners.shape.RunnerShape.subtests` prints it: the
    parent's verdict says only that a subtest failed."""
    assert shape.verdict is not None
    subtests = shape.subtests
    window = [(n, t) for n, t in lines if line <= n <= line + PARENT_REACH]
    if subtests is None or not window or window[0][0] != line:
        return None
    level, prefix = _indent(window[0][1]) + subtests.indent, name + subtests.joins
    for number, text in window[1:]:
        match = shape.verdict.search(text)
        if match is not None and _indent(text) == level and named_by(match).startswith(prefix):
            return number, text
    return None


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip())


def _message(
    shape: RunnerShape,
    name: str,
    line: int,
    lines: Sequence[tuple[int, str]],
    source: Source | None = None,
) -> str | None:
    """The message of test ``name`` whose verdict is at ``line``: below the verdict up to the
    next test's (or anywhere below, for a runner whose message names its test), else above it
    back to where the test began (``go test -v`` prints a test's log before its verdict)."""
    assert shape.message is not None and shape.verdict is not None
    named = "test" in shape.message.groupindex
    below = [text for number, text in lines if line < number <= line + MESSAGE_REACH]
    if not named:  # up to the next test's verdict or start
        below = list(_past_title(below, next((t for n, t in lines if n == line), "")))
        end = next(
            (i for i, t in enumerate(below) if shape.verdict.search(t) or shape.opens.search(t)),
            len(below),
        )
        below = below[:end]
    above = [text for number, text in lines if line - MESSAGE_REACH <= number < line]
    start = next(
        (
            i
            for i in range(len(above) - 1, -1, -1)
            if shape.opens.search(above[i]) and name in above[i]
        ),
        None,
    )
    own: list[str] = []
    if start is not None and not named:  # up to the next test's start (a subtest's sibling)
        end = next(
            (i for i in range(start + 1, len(above)) if shape.opens.search(above[i])), len(above)
        )
        own = above[start:end]
    for part in (below, own):
        found = _first_message(shape, name, part, source)
        if found:
            return found
    if named and (report := _own_report(shape, name, below)):
        return _first_message(shape, "", report, source)  # a program of its own: any thread
    return None


_TITLES = tuple(
    (shape.verdict, shape.title)
    for shape in LOG_SHAPES
    if shape.verdict is not None and shape.title is not None
)


def _past_title(below: Sequence[str], verdict: str) -> Sequence[str]:
    """``below`` (the lines under a numbered ``verdict``) without those that go on with the
    test's name, up to the one ending in ``:``: mocha prints each describe and the title one
    per line, indented per depth (``1) outer`` / ``when x`` / ``should y:``), then the error.
    Read as a message, a nested test's first describe stood in for its error."""
    if verdict.rstrip().endswith(":"):
        return below
    for numbered, title in _TITLES:
        if numbered.search(verdict) is None:
            continue
        for index, text in enumerate(below[:PARENT_REACH]):
            if title.search(text) is None:
                break
            if text.rstrip().endswith(":"):
                return below[index + 1 :]
    return below


def _own_report(shape: RunnerShape, name: str, below: Sequence[str]) -> list[str]:
    """The lines of the test's own report below its verdict (``---- name stdout ----`` up to
    the next report or the list's end): a doctest runs as a program of its own, whose panic
    names its ``main`` thread, not the test."""
    start = next(
        (
            i
            for i, text in enumerate(below)
            if shape.opens.search(text.strip()) and f" {name} " in text
        ),
        None,
    )
    if start is None:
        return []
    report = list(below[start + 1 :])
    end = next(
        (
            i
            for i, text in enumerate(report)
            if shape.opens.search(text.strip())
            or (shape.ends is not None and shape.ends.search(text.strip()))
        ),
        len(report),
    )
    return report[:end]


def _first_message(
    shape: RunnerShape, name: str, part: Sequence[str], source: Source | None = None
) -> str | None:
    """The test's message in ``part``: its first message line (of any test for an empty
    ``name``), or for a runner whose log lines print as its errors do, the one its source line
    or its text tells (:func:`_telling`)."""
    assert shape.message is not None
    found = [
        (index, match)
        for index, text in enumerate(part)
        if (match := shape.message.search(text)) is not None
        and (not name or match.groupdict().get("test", name) == name)
    ]
    chosen = found[0] if found and shape.failed_words is None else _telling(shape, found, source)
    if chosen is None:
        return None
    index, match = chosen
    message = match["msg"].strip()
    if message in ("|-", "|", ">-") or message.endswith(":"):
        following = next((t.strip() for t in part[index + 1 :] if t.strip()), "")
        message = following if message in ("|-", "|", ">-") else f"{message} {following}"
    return message.strip() or None


def _telling(
    shape: RunnerShape, found: list[tuple[int, re.Match[str]]], source: Source | None
) -> tuple[int, re.Match[str]] | None:
    """Among a test's message lines, the one that printed its failure: where the checkout's
    source says, the first whose line calls ``fail_call`` and never one calling ``log_call``
    (a helper's caller, marked by ``t.Helper``, calls neither; a test that ends on
    ``t.FailNow()`` has only log lines: no message); else the first whose text reads like a
    failure (``failed_words``), else the last."""
    calls = (shape.log_call, shape.fail_call)
    if source is not None and found and calls[0] is not None and calls[1] is not None:
        text = {
            i: source(m["file"], int(m["line"])) or ""
            for i, m in found
            if m.groupdict().get("file") and m.groupdict().get("line")
        }
        kept = [(i, m) for i, m in found if not calls[0].search(text.get(i, ""))]
        fails = [(i, m) for i, m in kept if calls[1].search(text.get(i, ""))]
        if fails or not kept:
            return fails[0] if fails else None
        found = kept
    if not found:
        return None
    assert shape.failed_words is not None
    words = shape.failed_words
    return next(((i, m) for i, m in found if words.search(m["msg"].partition(": ")[2])), found[-1])


_MOCHA_DIFF = re.compile(r"^\s*\+ expected - actual\s*$")
DIFF_REACH = 12
"""How many lines below an assertion's message mocha's ``+ expected - actual`` may start."""
VALUE_LINES = 3
VALUE_WIDTH = 80


def with_values(root: str, line: int, lines: Sequence[tuple[int, str]]) -> str:
    """``root`` (an ``AssertionError`` line at ``line``) with the expected and actual values
    mocha prints below it (``+ expected - actual``, then ``-`` lines for the actual value and
    ``+`` for the expected), each cut to a few short lines; ``root`` itself when none follow."""
    if _TAP_FAILED.match(root):
        return _with_tap_values(root, line, lines)
    if "AssertionError" not in root:
        return root
    below = [text for number, text in lines if line < number <= line + DIFF_REACH + 40]
    start = next((i for i, text in enumerate(below[:DIFF_REACH]) if _MOCHA_DIFF.match(text)), None)
    if start is None:
        return root
    values: dict[str, list[str]] = {"+": [], "-": []}
    for text in below[start + 1 :]:
        kept = text.strip()
        if (values["+"] and values["-"] and not kept) or kept.startswith("at "):
            break
        if kept[:1] in values and len(values[kept[0]]) < VALUE_LINES:
            values[kept[0]].append(" ".join(kept[1:].split())[:VALUE_WIDTH])
    if not values["+"] or not values["-"]:
        return root
    expected, actual = (" / ".join(values[sign]) for sign in "+-")
    return f"{root.rstrip().removesuffix(':')}: expected {expected}, actual {actual}"


_TAP_FAILED = re.compile(r"^\s*not ok \d+\b")
_TAP_KEY = re.compile(r"^(?P<indent>\s*)(?P<key>expected|actual): ?(?P<value>.*)$")
_TAP_END = re.compile(r"^\s*(?:\.\.\.|(?:not )?ok \d+\b.*)$")
TAP_REACH = 60
"""How many lines of a TAP test's YAML block (node:test's, under ``not ok``) are read at most."""


def _with_tap_values(root: str, line: int, lines: Sequence[tuple[int, str]]) -> str:
    """``root`` (node:test's ``not ok`` verdict at ``line``) with the ``expected:`` and
    ``actual:`` keys of the YAML block just under it (none nested in another key's text), each
    cut to a few short lines: the message above them (``Expected values to be strictly
    equal:``) says that they differ, not how."""
    below = [text for number, text in lines if line < number <= line + TAP_REACH]
    opening = next((i for i, text in enumerate(below[:2]) if text.strip() == "---"), None)
    if opening is None:
        return root
    indent = len(below[opening]) - len(below[opening].lstrip())
    values: dict[str, list[str]] = {}
    key = ""
    for text in below[opening + 1 :]:
        if _TAP_END.match(text):
            break
        found = _TAP_KEY.match(text)
        if found and len(found["indent"]) == indent and found["key"] not in values:
            key = found["key"]
            value = found["value"].strip()
            values[key] = [] if value in ("|", "|-", ">", ">-") else [value]
        elif key and text.strip() and len(text) - len(text.lstrip()) > indent:
            if len(values[key]) < VALUE_LINES:
                values[key].append(text.strip())
        else:
            key = ""
    if not values.get("expected") or not values.get("actual"):
        return root
    expected, actual = (
        " / ".join(" ".join(v.split())[:VALUE_WIDTH] for v in values[k][:VALUE_LINES])
        for k in ("expected", "actual")
    )
    return f"{root.rstrip().removesuffix(':')}: expected {expected}, actual {actual}"
