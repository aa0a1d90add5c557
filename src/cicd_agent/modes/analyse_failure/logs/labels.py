"""The source lines a compiler's labels name under its error's ``--> path:line:col`` line.

rustc (and ruff, in the same format) prints the line it stopped at after the arrow, then the
source lines that explain it, each with a label under it::

    error[E0308]: mismatched types
       --> src/lib.rs:337:21
    334 |     pub fn upper(self) -> String {
        |                           ------ expected `String` because of return type
    ...
    337 |             Kilo => "KILO",
        |                     ^^^^^^ expected `String`, found `&str`

The change may have written a labelled line and not the arrow's (the return type, not the
arm that no longer fits it): each labelled line is named as the arrow's file's, after the
arrow's own line, so that a changed one among them is the line shown first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from cicd_agent.modes.analyse_failure.logs.reader import Hit
from cicd_agent.modes.analyse_failure.logs.region import LogFinding

_ARROW = "location.arrow"
_GUTTER = re.compile(r"^\s*(?P<line>\d{1,7}) \|")
_MARKS = re.compile(r"^\s*\|[\s|_/\\]*[-^]+ +\S")
"""A label: its underline, ``-`` for a note's line, ``^`` for the error's own, then its words
(``+`` and ``~`` mark a suggested fix, which is no line of the code that failed; a bare
underline closes a span whose label is on its first line)."""
_WITHIN = re.compile(r"^\s*(?:\d{1,7} )?\||^\s*\.\.\.\s*$|^\s*= ")
MAX_BLOCK_LINES = 60
"""How many lines under an arrow its block may run at most."""
MAX_LABELS = 8
"""Labelled lines taken from one block at most."""


def labelled(findings: Sequence[LogFinding], lines: Sequence[tuple[int, str]]) -> list[LogFinding]:
    """A finding for each line a label names in the block under each arrow of ``findings``,
    as the arrow names its file: the arrow's own line is not repeated."""
    text = dict(lines)
    found = []
    for finding in findings:
        match = finding.hit.match
        if match.signature.name != _ARROW or not match.path:
            continue
        number, taken = finding.hit.line + 1, 0
        while number <= finding.hit.line + MAX_BLOCK_LINES and taken < MAX_LABELS:
            row = text.get(number, "")
            if not _WITHIN.match(row):
                break
            gutter = _GUTTER.match(row)
            if gutter and _MARKS.match(text.get(number + 1, "")):
                source_line = int(gutter["line"])
                if source_line != match.source_line:
                    hit = Hit(
                        finding.hit.line,
                        finding.hit.text,
                        replace(match, source_line=source_line),
                        finding.hit.context,
                    )
                    found.append(replace(finding, hit=hit))
                    taken += 1
            number += 1
    return found
