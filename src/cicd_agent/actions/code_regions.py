"""Where GitHub's Markdown renders code, found by a CommonMark parser (markdown-it-py, GFM tables
on).

:func:`~cicd_agent.actions.markdown.neutralise` keeps code verbatim, so text that looks like code
but is prose to GitHub (a fence that opens nothing) would carry a live mention or link. Regexes
cannot know which block constructs end a paragraph; the parser can. Only what the parser calls
code and whose place is found exactly counts as code: anything else stays prose (escaped), the
safe side."""

from __future__ import annotations

import bisect
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.rules_inline import StateInline

# Where a code span starts and ends in its inline token's content, kept on the token.
_SPAN = "cicd_agent_span"
_PROBE = "cicd-agent-probe"
_CODE_MARKS = ("`", "~~~", "\t", "    ")
"""What every piece of code holds: a span a backtick, a fence three backticks or tildes, an
indented block four columns of indentation (spaces or a tab) past its container's. A text with
none of them holds no code, so it is not parsed (in the posting seam's tests, half the texts)."""


@cache
def _parser() -> MarkdownIt:
    """The parser, built once. Imported here, not at module top: ``cicd-agent MODE --help``
    must not load ``markdown_it`` (tests/project/test_mode_imports.py); only a mode that posts
    model text calls this."""
    from markdown_it import MarkdownIt
    from markdown_it.rules_inline import backtick

    def located_backtick(state: StateInline, silent: bool) -> bool:
        """CommonMark's code-span rule, recording where each span lies in ``state.src``."""
        start, count = state.pos, len(state.tokens)
        matched = backtick(state, silent)
        if matched and not silent and len(state.tokens) > count:
            token = state.tokens[-1]
            if token.type == "code_inline":
                token.meta[_SPAN] = (start, state.pos)
        return matched

    # What GitHub parses is our output, and that has no link, image, autolink, reference or
    # inline HTML (their ``](``, ``]:``, ``<`` are escaped in prose), so the parser knows none
    # either: inside them a backtick would not open a span, in our output it does. HTML blocks
    # stay: a ``<pre>`` line kept verbatim inside a code span would start one on GitHub.
    # Links off also spare a cost that grows with the square of the number of ``[``.
    md = MarkdownIt("commonmark").enable("table")
    md.disable(["html_inline", "link", "image", "autolink", "reference"])
    md.inline.ruler.at("backticks", located_backtick)
    return md


def _line_starts(text: str) -> list[int]:
    starts = [0]
    starts.extend(i + 1 for i, char in enumerate(text) if char == "\n")
    return starts


def _place(content: str, lines: list[str], first: int, cursor: int) -> list[int] | None:
    """Where each line of an inline token's ``content`` starts in the source (as an offset
    into its line), or None when it cannot be placed exactly (a tab expanded, an escaped
    ``|`` in a table cell): the caller then leaves the token prose."""
    parts = content.split("\n")
    if first + len(parts) > len(lines):
        return None
    if len(parts) == 1:
        column = lines[first].find(content, cursor)
        return None if column < 0 else [column]
    columns: list[int] = []
    for k, part in enumerate(parts):
        line = lines[first + k]
        source = line.rstrip() if k == len(parts) - 1 else line
        if not source.endswith(part):
            return None
        columns.append(len(source) - len(part))
    return columns


def _same(source: str, content: str) -> bool:
    """Whether a span placed in the source is the parser's span: line for line the same, but
    for the container prefixes (``> ``, indentation) that the parser took off later lines.
    A check on the placing, which leaves anything it cannot vouch for prose."""
    lines, parts = source.split("\n"), content.split("\n")
    return (
        len(lines) == len(parts)
        and lines[0] == parts[0]
        and all(line.endswith(part) for line, part in zip(lines, parts, strict=True))
    )


def _absolute(offset: int, lines: list[int], columns: list[int], content_starts: list[int]) -> int:
    """``offset`` into an inline token's content, as an offset into the source text (``lines``:
    where the token's source lines start)."""
    k = bisect.bisect_right(content_starts, offset) - 1
    return lines[k] + columns[k] + offset - content_starts[k]


def code_regions(text: str) -> list[tuple[int, int]]:
    """The ``[start, end)`` character ranges of ``text`` that GitHub renders as code (fenced
    and indented code blocks, code spans), sorted and not overlapping."""
    if not any(mark in text for mark in _CODE_MARKS):
        return []
    lines = text.split("\n")
    starts = _line_starts(text)
    regions: list[tuple[int, int]] = []
    row_cursor: dict[int, int] = {}  # table cells share a row: find each after the last
    for token in _parser().parse(text):
        if token.map is None:
            continue
        first, end = token.map
        if token.type in ("fence", "code_block"):
            regions.append((starts[first], starts[end] if end < len(starts) else len(text)))
            continue
        spans = [child.meta[_SPAN] for child in token.children or () if _SPAN in child.meta]
        columns = _place(token.content, lines, first, row_cursor.get(first, 0))
        if token.type != "inline" or not spans or columns is None:
            continue
        if len(columns) == 1:
            row_cursor[first] = columns[0] + len(token.content)
        content_starts = _line_starts(token.content)
        for a, b in spans:
            start = _absolute(a, starts[first:], columns, content_starts)
            # A span's last character, not its end: the end may be the next line's start.
            last = _absolute(b - 1, starts[first:], columns, content_starts)
            if _same(text[start : last + 1], token.content[a:b]):
                regions.append((start, last + 1))
    return sorted(regions)


def open_fence_closer(text: str) -> str | None:
    """The fence that closes a fenced block ``text`` leaves open at its end, so it cannot
    swallow what is written after it (past a blank line), or None when nothing is left open.
    Only a top-level fence can be: a quote or list item ends at that blank line or at the first
    unindented line after it, and its fence with it."""
    if "```" not in text and "~~~" not in text:
        return None  # no line of it can open a fence
    tokens = _parser().parse(f"{text}\n\n{_PROBE}\n")
    last = [t for t in tokens if t.type == "inline"]
    if last and last[-1].content == _PROBE and last[-1].level == 1:
        return None
    fences = [t.markup for t in tokens if t.type == "fence"]
    return fences[-1] if fences else None
