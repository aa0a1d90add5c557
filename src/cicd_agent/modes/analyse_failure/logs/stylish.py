"""eslint's own report format ("stylish") names a file once, over the lines of its problems::

    /home/runner/work/app/app/index.js
      55:22  error  Unnecessary semicolon  no-extra-semi

A problem's line names no file, so it is read as naming the file over it, written before it as
the ``path:line:col`` formats write it (``index.js:55:22  error …``): the person reads which
file to open, the change's own problem is put first and one in a file the change did not
touch is named so, as for any other linter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from cicd_agent.modes.analyse_failure.logs.files import normalise_path
from cicd_agent.modes.analyse_failure.logs.reader import Hit, StepScan
from cicd_agent.modes.analyse_failure.logs.region import LogFinding

_PROBLEM = "lint.eslint"
_ROW = re.compile(r"^\s+\d{1,9}:\d{1,9}\s+(?:error|warning)\s")
"""A problem's line of the report, an error's or a warning's."""
_FILE = re.compile(r"^(?P<path>[^\s:]\S*\.\w{1,12})\s*$")
"""The file's line over its problems: a path at the line's start, alone on it."""


def placed_under_files(
    findings: Sequence[LogFinding], steps: Mapping[int, StepScan]
) -> list[LogFinding]:
    """``findings`` with each eslint problem that names no file given the file over it, where
    every line between them is kept (a step's tail, the lines read around its hits) and is a
    problem of the same file."""
    files = {index: _files(step) for index, step in steps.items()}
    placed = []
    for finding in findings:
        match = finding.hit.match
        path = files.get(finding.step_index, {}).get(finding.hit.line)
        if match.signature.name != _PROBLEM or match.path or path is None:
            placed.append(finding)
            continue
        text = f"{normalise_path(path) or path}:{finding.hit.text.strip()}"
        hit = Hit(finding.hit.line, text, replace(match, path=path), finding.hit.context)
        placed.append(replace(finding, hit=hit))
    return placed


def _files(step: StepScan) -> dict[int, str]:
    """The file over each problem's line of ``step`` that a report's file line opens."""
    lines = {n: t for hit in step.hits for n, t in (*hit.context, (hit.line, hit.text))}
    lines.update(step.tail)
    found: dict[int, str] = {}
    current: str | None = None
    previous = -1
    for number in sorted(lines):
        text = lines[number]
        if number != previous + 1:
            current = None  # a line between was not kept: nothing says whose rows follow
        if _ROW.match(text) and current is not None:
            found[number] = current
        elif (header := _FILE.match(text)) is not None:
            current = header["path"]
        else:
            current = None
        previous = number
    return found
