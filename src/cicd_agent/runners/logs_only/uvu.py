"""uvu: each failed test's report opens with ``FAIL  suite  "title"`` (no suite for a bare
``test``), its message on the next line, then the stack, uvu's own frames first; the
``Total:``/``Passed:`` counts close the run."""

import re

from cicd_agent.runners.shape import FlakySigns, RunnerShape, beside

_FAIL = r'^\s+FAIL\s+(?P<name>(?:\S(?:.*?\S)?\s{2,})?"[^"]*")\s*$'

_ASSERTED = (
    r"^\s+\S.*\s\((?:not\.)?(?:ok|is|equal|type|instance|snapshot|fixture|match|throws"
    r"|unreachable|not|is\.not)\)$"
)
"""A failed assertion's message line, ended by uvu with its operator (``(equal)``, ``(ok)``): its
text is the test's own (``assert.ok(x, "message")``), so it may read as any tool's error."""

SHAPE = RunnerShape(
    "uvu",
    opens=re.compile(_FAIL),
    ends=re.compile(r"^\s+Total:\s+\d+$"),
    verdict=re.compile(_FAIL),
    message=re.compile(r"^\s+(?P<msg>\S(?:.*\S)?)\s*$"),
    asserts=re.compile(_ASSERTED),
    headings=("uvu.fail",),
    signatures=beside(__name__),
    flaky=FlakySigns(failed_test=(re.compile(_FAIL),)),
)
