"""A failing doctest's place: the line of the file its example starts at, as cargo names it.

rustdoc builds each example into a program of its own, so its panic names the example's line in
that program (``panicked at src/lib.rs:17:1``), not the file's: in a doctest's report,
``---- src/lib.rs - Prefix::upper (line 22) stdout ----``, the line to open is 22.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from cicd_agent.modes.analyse_failure.logs.files import normalise_path
from cicd_agent.modes.analyse_failure.logs.reader import Hit
from cicd_agent.modes.analyse_failure.logs.region import LogFinding

_DOCTEST_REPORT = re.compile(
    r"^---- (?P<path>\S+) - [^()]*\(line (?P<line>\d{1,7})\)"
    r"(?: - compile fail)? std(?:out|err) ----$"
)
_REPORT = re.compile(r"^---- .+ std(?:out|err) ----$|^failures:$")
_PANIC = "rust.panic"


def doctest_placed(
    findings: Sequence[LogFinding], lines: Sequence[tuple[int, str]]
) -> list[LogFinding]:
    """``findings`` with each panic inside a doctest's report placed on the doctest's line,
    when it names the doctest's file."""
    opened: dict[int, tuple[str, int] | None] = {}
    current: tuple[str, int] | None = None
    for number, text in lines:
        stripped = text.strip()
        if _REPORT.match(stripped):
            found = _DOCTEST_REPORT.match(stripped)
            current = (found["path"], int(found["line"])) if found else None
        opened[number] = current
    placed = []
    for finding in findings:
        match = finding.hit.match
        doctest = opened.get(finding.hit.line)
        if (
            match.signature.name == _PANIC
            and doctest is not None
            and match.path
            and normalise_path(match.path) == normalise_path(doctest[0])
        ):
            hit = Hit(
                finding.hit.line,
                finding.hit.text,
                replace(match, source_line=doctest[1]),
                finding.hit.context,
            )
            placed.append(replace(finding, hit=hit))
        else:
            placed.append(finding)
    return placed
