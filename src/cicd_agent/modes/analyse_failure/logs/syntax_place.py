"""Where a syntax error is: the file and line printed above it, not the frames that loaded it.

Python prints ``File "x.py", line 318`` above the source line and caret; node prints
``/app/index.js:39`` (after mocha's ``Exception during run: ``, or each line after ``# `` in
node --test's TAP notes). The file that did not parse is the one to open: the test that
required it (``test/test.js:3``) is named by the traceback too, and came first before.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from cicd_agent.modes.analyse_failure.logs.reader import Hit
from cicd_agent.modes.analyse_failure.logs.region import LogFinding

_SYNTAX = re.compile(r"\b(?:SyntaxError|IndentationError|TabError)\b")
_SYNTAX_PLACES = (  # a number of more digits names no line (``int`` throws past 4,300)
    re.compile(r'^\s*(?:E\s+)?File "(?P<path>[^"]+)", line (?P<line>\d{1,9})\s*$'),  # Python's
    re.compile(
        r"^\s*(?:# |Exception during run: )?"  # node's, after mocha's or TAP's words
        r"(?P<path>\S+\.(?:[cm]?[jt]sx?)):(?P<line>\d{1,9})\s*$"
    ),
)
SYNTAX_PLACE_LINES = 6
"""How far above its error line a syntax error's place is printed (the source line, the caret
and, in node's, a blank line between)."""


def syntax_placed(root: LogFinding, lines: Sequence[tuple[int, str]]) -> LogFinding:
    """``root`` with the file and line it names, when it is a syntax error printed under its
    place (Python's ``File "x.py", line 318``, node's ``/app/index.js:39``), or a TAP verdict
    of a test file that failed on one as it loaded (:func:`_load_error`): the file that did
    not parse is the one to open, not the test or the frames that imported it, which the
    traceback names too."""
    if root.hit.match.path:
        return root
    text = dict(lines)
    error = root.hit.line if _SYNTAX.search(root.hit.text) else _load_error(root, text)
    for number in range(error - 1, error - SYNTAX_PLACE_LINES - 1, -1) if error else ():
        found = next((m for p in _SYNTAX_PLACES if (m := p.match(text.get(number, "")))), None)
        if found is not None:
            match = replace(root.hit.match, path=found["path"], source_line=int(found["line"]))
            return replace(root, hit=Hit(root.hit.line, root.hit.text, match, root.hit.context))
    return root


_TAP_SYNTAX = re.compile(r"^# (?:SyntaxError|IndentationError|TabError): ")
_TAP_ERROR = re.compile(r"^# (?:Uncaught )?[\w$.]*(?:Error|Exception)\b[^:]{0,40}: ")
"""Any error node prints (``# TypeError: …``, ``# Error [ERR_X]: …``): the last one above a
verdict is what the file's load stopped on; a syntax error above it is output of its own."""
MAX_TAP_NOTES = 60
"""Lines of TAP notes (``# ...``) read above a verdict for the error its file stopped on."""


def _load_error(root: LogFinding, text: Mapping[int, str]) -> int | None:
    """The line of the syntax error a test file stopped on as it loaded, when ``root`` is its
    TAP verdict (``not ok 1 - test/test.js``) and the notes right above it hold one: node
    --test prints the file's standard error there, each line after ``# ``, before the verdict
    (``# /app/index.js:56``, the source line, the caret, ``# SyntaxError: ...``), and that
    error is the last one they print: what the file printed before it stopped is notes too."""
    if root.hit.match.signature.name != "node.tap":
        return None
    for number in range(root.hit.line - 1, root.hit.line - MAX_TAP_NOTES - 1, -1):
        note = text.get(number, "")
        if _TAP_SYNTAX.match(note):
            return number
        if not note.startswith("#") or _TAP_ERROR.match(note):
            return None
    return None
