"""What one test runner's report looks like: where a test's own lines are, the line that names
a failing test, and the line that says why it failed.

A runner is one module beside this one that defines ``SHAPE``, and one line in ``RUNNERS``
(``__init__``). Patterns are tried on cleaned lines (no timestamp, no colours).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class RunnerShape:
    """One runner's report.

    ``opens`` matches a line that starts one test's lines: its report's header or its verdict
    (its output and message follow). ``ends`` matches a line that closes every open test (a
    summary or a section that is the runner's own). ``output_first`` is for a runner that
    prints a test's output before the line it matches: the lines since the previous match (or
    since the step's first line) are the tests'. Node's spec reporter prints a test's output
    before its verdict; RSpec prints no header, so everything up to its ``Failures:`` or
    ``Finished in`` line may be what its examples printed among the progress dots.

    ``verdict`` names one failing test (group ``name``, or ``cls`` and ``method``); with
    ``after``, only below the line that heads the failures (mocha's ``N failing``), since the
    same numbers mark the progress list above it. ``parent`` marks, within a few lines of a
    verdict, a failure that is only its children's (TAP's ``subtestsFailed``). ``message`` is
    the line after a verdict that says why (group ``msg``; a ``test`` group must then equal the
    test's name, for a runner that prints the reports apart from the verdicts); a message of
    ``|-`` or ``|`` (TAP's YAML block) continues on the next line. ``reports`` matches an
    ``opens`` line the runner prints only for a failed test (pytest's ``____ test_x ____``)
    where no verdict says so: what follows is that test's own error (``failure_reports``).
    Within such a report, ``quoted`` matches a line the runner quotes rather than reports
    (pytest's listing of the test's source, indented or marked ``>``) and ``output`` the line
    from which the test's printed output follows (pytest's ``Captured stdout call``): neither
    is the test's error.
    """

    name: str
    opens: re.Pattern[str]
    ends: re.Pattern[str] | None = None
    output_first: re.Pattern[str] | None = None
    verdict: re.Pattern[str] | None = None
    after: re.Pattern[str] | None = None
    parent: re.Pattern[str] | None = None
    message: re.Pattern[str] | None = None
    reports: re.Pattern[str] | None = None
    quoted: re.Pattern[str] | None = None
    output: re.Pattern[str] | None = None
