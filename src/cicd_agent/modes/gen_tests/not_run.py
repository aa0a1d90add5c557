"""How gen-tests says a runner's suite could not run: the clause the headline, Tools and the
gate share, and the last words of a run that wrote no report."""

from __future__ import annotations

import re

LAST_LINES = 3
"""Lines of a run's output quoted where its report is no result."""
_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_FRAME = re.compile(r"^(?:at |❯ |File \"|goroutine |\d+: 0x)|[⎯─━=_*#-]{3}")
"""A stack frame's line (node's, vitest's, Python's, Go's, Rust's: where, not what) or a
heading drawn with rules (vitest's ``⎯⎯⎯ Startup Error ⎯⎯⎯``)."""
_ERROR = re.compile(r"error|panic|cannot|not found", re.IGNORECASE)


def last_words(output: str) -> str:
    """The last lines a run printed, its errors' first (no stack frame, no heading), quoted as
    the runner's own words ("" when it printed none): why a suite that wrote no report stopped."""
    lines = [line.strip() for line in _ESCAPE.sub("", output).splitlines()]
    lines = [line[:200] for line in lines if line and not _FRAME.search(line)]
    said = ([line for line in lines if _ERROR.search(line)] or lines)[-LAST_LINES:]
    return f"; its last words: {' / '.join(said)}" if said else ""


def could_not_run(problem: str) -> str:
    """A runner's ``problem`` with its coverage (:attr:`RunnerGaps.problem`) as a
    clause, "could not run: <why>" ("" for none): a suite that exited before writing a report
    measured nothing, so no line is said covered or uncovered (vitest 0.34 stopped at an option
    it lacked, and the gate said "no uncovered changed line")."""
    return f"could not run: {not_run_reason(problem)}" if problem else ""


def not_run_reason(problem: str) -> str:
    """``problem`` without the words every clause adds in front of it ("coverage could not
    run: install X" is "install X"): said once, never "could not run: coverage could not run"."""
    for said in ("coverage could not run: ", "could not run: "):
        problem = problem.removeprefix(said)
    return problem
