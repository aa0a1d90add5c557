"""node:test and TAP: the spec reporter prints a test's output, then its ``✖ name (1ms)``
verdict and the indented error; TAP opens a test with ``# Subtest: name`` or ``not ok N``. The
``ℹ tests N`` or ``# tests N`` summary closes them. ``node:assert``'s message (``Expected values
to be strictly equal:``, ``+ actual - expected``) opens what the assertion compared."""

import re

from cicd_agent.modes.analyse_failure.logs.runners.shape import NODE_ASSERT, RunnerShape

SHAPE = RunnerShape(
    "node:test",
    opens=re.compile(r"^\s*(?:# Subtest: |not ok \d+|ok \d+|[✖✔] .+\(\d[\d.]*m?s\)$)"),
    ends=re.compile(r"^(?:ℹ|#) (?:tests|suites|pass|fail) \d+$|^✖ failing tests:$|^1\.\.\d+$"),
    output_first=re.compile(r"^\s*[✖✔] .+\(\d[\d.]*m?s\)$"),
    verdict=re.compile(r"^\s*not ok \d+ - (?P<name>\S(?:.*?\S)?)\s*(?:#.*)?$"),
    parent=re.compile(r"^\s+failureType: '(?:subtestsFailed|cancelledByParent)'"),
    message=re.compile(r"^\s+error: (?P<msg>\S.*)$"),
    asserts=NODE_ASSERT,
)
