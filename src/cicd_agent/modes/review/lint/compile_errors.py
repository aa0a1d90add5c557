"""A compiler's or type checker's errors read as data: mypy's plain output, ``tsc --pretty
false``, and the lines where Go says a package does not type-check. Each error is ``(path, line,
code, message)``, its message whole (mypy's notes and tsc's chain of reasons joined to it).

The reports are attacker text (the checker runs the pull request's configuration and code);
nothing in them is trusted beyond the shape read here; review places each error on the changed
line it depends on (``modes/review/lint/build_errors.py``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_MYPY = re.compile(
    r"^(?P<path>[^:\n]+?):(?P<line>\d+):(?:\d+:)? (?P<level>error|note): (?P<message>.*?)"
    r"(?:  \[(?P<code>[\w-]+)\])?$"
)
_TSC = re.compile(
    r"^(?P<path>[^(\n]+)\((?P<line>\d+),\d+\): (?P<level>error|warning) TS(?P<code>\d+): "
    r"(?P<message>.*)$"
)
MAX_MESSAGE = 4_000
"""Characters of an error's message kept with its notes or reasons: the checker prints what
the code makes it print (an overload of 50,000 variants is as many notes on one error), and
joining each to a message that grows made reading the output take time in their square."""
_GO = re.compile(r"^(?:vet: )?(?P<path>[^:\s][^:\n]*\.go):(?P<line>\d+):\d+: (?P<message>.+)$")


def mypy_errors(text: str) -> list[tuple[str, int, str, str]]:
    """``(path, line, code, message)`` of each error of mypy's plain output; a ``note`` line
    that follows an error is part of its message (mypy writes a long error's details so)."""
    errors: list[tuple[str, int, str, str]] = []
    for raw in text.splitlines():
        found = _MYPY.match(raw.rstrip())
        if found is None:
            continue
        path, line, message = found["path"], int(found["line"]), found["message"]
        if found["level"] == "note":
            if errors and errors[-1][:2] == (path, line):
                errors[-1] = _joined(errors[-1], message)
            continue
        errors.append((path, line, found["code"] or "error", message))
    return errors


_MYPY_CLOSED = re.compile(
    r"Success: no issues found in \d+ source files?|"
    r"Found \d+ errors? in \d+ files? \(checked \d+ source files?\)"
)


def mypy_finished(text: str) -> bool:
    """Whether mypy checked everything: its closing line, "Success: …" or "Found N errors …
    (checked N source files)". "(errors prevented further checking)" closes a run that stopped
    on a blocking error (a syntax error, a module found twice) before checking the rest, and a
    line an error's path begins with "Found " is no closing line."""
    return any(_MYPY_CLOSED.fullmatch(line.rstrip()) for line in text.splitlines()[-3:])


def tsc_errors(text: str) -> list[tuple[str, int, str, str]]:
    """``(path, line, code, message)`` of each error of ``tsc --pretty false``; the indented
    lines after one are its chain of reasons, read as part of its message."""
    errors: list[tuple[str, int, str, str]] = []
    for raw in text.splitlines():
        found = _TSC.match(raw.rstrip())
        if found is not None and found["level"] == "error":
            errors.append(
                (found["path"], int(found["line"]), f"TS{found['code']}", found["message"])
            )
        elif found is None and raw.startswith("  ") and errors:
            errors[-1] = _joined(errors[-1], raw.strip())
    return errors


def _joined(error: tuple[str, int, str, str], more: str) -> tuple[str, int, str, str]:
    """``error`` with ``more`` of its message after it, up to :data:`MAX_MESSAGE`."""
    path, line, code, message = error
    if len(message) >= MAX_MESSAGE:
        return error
    return path, line, code, f"{message} {more}"[:MAX_MESSAGE]


_TSC_OWN = re.compile(r"^error TS\d+: ", re.MULTILINE)


def tsc_finished(text: str) -> bool:
    """Whether tsc checked the files: no error of its own, with no file (``error TS18003: No
    inputs were found``, a ``tsconfig.json`` it could not read or extend). Such an error means
    tsc stopped on its configuration, and its silence on the code is no clean run. (The lines
    ``diagnostics`` or ``listFiles`` add are not errors: they do not stop it.)"""
    return _TSC_OWN.search(text) is None


def go_type_errors(lines: Sequence[str]) -> list[tuple[str, int, str, str]]:
    """``(path, line, code, message)`` of the lines where Go says a package does not type-check
    (``vet: ./x.go:27:17: cannot use …``, or a build's ``./x.go:27:17: …``); the lines indented
    under one (:func:`go_note`: "have (number)", "want (int, int)") are part of its message.
    A note is never an error of its own, whatever it says: go vet's reader counts the errors
    read against the lines, and a note shaped like one would make up for a line not read."""
    errors: list[tuple[str, int, str, str]] = []
    for line in lines:
        found = None if go_note(line) else _GO.match(line.strip())
        if found is not None:
            errors.append((found["path"], int(found["line"]), "typecheck", found["message"]))
        elif go_note(line) and errors:
            errors[-1] = _joined(errors[-1], line.strip())
    return errors


def go_note(line: str) -> bool:
    """Whether ``line`` is indented under a Go error as its details, a call's "have" and
    "want" or a type's missing method (Go indents them by a tab)."""
    return line.startswith("\t") and bool(line.strip())
