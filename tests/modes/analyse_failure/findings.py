"""Findings as the reader makes them, from lines of a failed step, for the ranking and
classification tests."""

from __future__ import annotations

from cicd_agent.modes.analyse_failure.logs.analyse import default_matcher
from cicd_agent.modes.analyse_failure.logs.reader import Hit
from cicd_agent.modes.analyse_failure.logs.region import LogFinding


def finding(text: str, line: int, step: int = 0) -> LogFinding:
    """The finding of ``text`` at ``line`` of step ``step``, matched by the real signatures."""
    match = default_matcher().match(text, full=True)
    assert match is not None, f"no signature matches {text!r}"
    return LogFinding(step, Hit(line, text, match))
