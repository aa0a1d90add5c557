"""What one test runner's report looks like: the lines that open a test's own lines, and the
lines after which no test's lines follow (the runner's summary).

A runner is one module beside this one that defines ``SHAPE``, and one line in ``RUNNERS``
(``__init__``). Patterns are tried on cleaned lines (no timestamp, no colours).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class RunnerShape:
    """Where one runner puts each failing test's lines.

    ``opens`` matches a line that starts one test's lines: its report's header or its verdict
    (its output and message follow). ``ends`` matches a line that closes every open test (a
    summary or a section that is the runner's own). ``output_first`` is for a runner that
    prints a test's output before its verdict line (node's spec reporter): the lines since the
    previous test's verdict are that test's.
    """

    name: str
    opens: re.Pattern[str]
    ends: re.Pattern[str] | None = None
    output_first: re.Pattern[str] | None = None
