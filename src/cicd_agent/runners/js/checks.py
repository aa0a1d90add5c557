"""Which failed jest or vitest test its own check failed.

A check is an error thrown in the test's own file (the stack's first frame outside
``node_modules`` and node's own is there). An error first thrown elsewhere (a ``TypeError`` in
the code under test), one of the language's own errors anywhere (a property read of a mutant's
``undefined``), and a timeout are crashes: they say nothing of what the test checks."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping

_FRAME = re.compile(r"^\s+at (?:.*? \()?(?:file://)?([^\s()]+?):(\d{1,12}):\d{1,12}\)?$")
_CRASH = re.compile(
    r"^(?:(?:Type|Reference|Range|Syntax|Eval|URI|Internal)Error\b|thrown: "
    r"\"Exceeded timeout|Error: Test timed out)"
)
"""How an error the language or the runner raised begins (jest's and vitest's timeouts)."""
_MATCHER = re.compile(r"^(?:AssertionError: )?expected ")
"""How a matcher's failure begins in a report that gives no stack (vitest before 1 writes only
the message: ``expected 2 to be 3 // Object.is equality``): read as the test's check, placed in
its file without a line, as no frame can say where it was thrown."""


def read_checks(
    document: Mapping[str, object], root: str, outcomes: Mapping[str, str]
) -> dict[str, str]:
    """Each failed test of ``outcomes`` (``file › full name``, relative to ``root``) whose first
    failure message is its own check, as ``file:line: first line``."""
    found: dict[str, str] = {}
    results = document.get("testResults")
    for result in results if isinstance(results, list) else ():
        name = str(result.get("name", "")) if isinstance(result, dict) else ""
        cases = result.get("assertionResults") if isinstance(result, dict) else None
        where = _relative(name, root)
        for case in cases if isinstance(cases, list) else ():
            test = f"{where} › {case.get('fullName', '')}" if isinstance(case, dict) else ""
            messages = case.get("failureMessages") if isinstance(case, dict) else None
            if outcomes.get(test) == "failed" and isinstance(messages, list) and messages:
                check = _own(str(messages[0]), where, root)
                found.update({test: check} if check else {})
    return found


def _own(message: str, file: str, root: str) -> str:
    """``message``'s check as ``file:line: words`` when it was thrown in ``file``, else ""."""
    head, *lines = message.split("\n")
    if _CRASH.match(head):
        return ""
    framed = False
    for line in lines:
        frame = _FRAME.match(line)
        framed = framed or frame is not None
        if (
            frame is None
            or "/node_modules/" in frame.group(1)
            or frame.group(1).startswith(("node:", "internal/"))
        ):
            continue
        return (
            f"{file}:{frame.group(2)}: {head[:160]}"
            if _relative(frame.group(1), root) == file
            else ""
        )
    return "" if framed or not _MATCHER.match(head) else f"{file}: {head[:160]}"


def _relative(path: str, root: str) -> str:
    return posixpath.relpath(path, root) if path.startswith(f"{root}/") else path
