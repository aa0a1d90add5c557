"""node:test and TAP: the spec reporter prints a test's output, then its ``✖ name (1ms)``
verdict and the indented error; TAP opens a test with ``# Subtest: name`` or ``not ok N``. The
``ℹ tests N`` or ``# tests N`` summary closes them. A spec verdict ``✖ name (1ms)`` names a
failing test, unless ``▶ name`` opened it over its subtests (theirs is the failure), or the
summary's ``ℹ fail 0`` says no test failed (a passing test printed it); its message is the
error under it (``AssertionError [ERR_ASSERTION]: …``, TAP's ``error:``). node 18.15 to 22
print spec on a terminal and TAP otherwise, node 23 on spec everywhere. ``node:assert``'s
message (``Expected values to be strictly equal:``, ``+ actual - expected``) opens what the
assertion compared. TAP's ``location:`` under a failed test gives its file, and the
``# Subtest:`` lines it is indented under its suites: the test step's ``file › suite › test``."""

import re

from cicd_agent.runners.shape import NODE_ASSERT, FlakySigns, RunnerShape, beside

SHAPE = RunnerShape(
    "node:test",
    opens=re.compile(r"^\s*(?:# Subtest: |not ok \d+|ok \d+|[✖✔] .+\(\d[\d.]*m?s\)$)"),
    ends=re.compile(r"^(?:ℹ|#) (?:tests|suites|pass|fail) \d+$|^✖ failing tests:$|^1\.\.\d+$"),
    output_first=re.compile(r"^\s*[✖✔] .+\(\d[\d.]*m?s\)$"),
    verdict=re.compile(
        r"^\s*not ok \d+ - (?P<name>\S(?:.*?\S)?)\s*(?:#.*)?$"
        r"|^\s*✖ (?P<name_spec>\S.*?) \(\d[\d.]*m?s\)$"
    ),
    parent=re.compile(r"^\s+failureType: '(?:subtestsFailed|cancelledByParent)'"),
    message=re.compile(r"^\s+(?:error: |(?=[\w.$]*(?:Error|Exception)\b))(?P<msg>\S.*)$"),
    failed_count=re.compile(r"^(?:ℹ|#) fail (?P<n>\d{1,9})$"),
    suite=re.compile(r"^\s*▶ (?P<name>\S.*?)\s*$"),
    listed=re.compile(r"^✖ failing tests:$"),
    asserts=NODE_ASSERT,
    located=re.compile(r"^\s+location: '(?P<path>[^']+?):\d+:\d+'$"),
    nested=re.compile(r"^(?P<indent> *)# Subtest: (?P<name>\S(?:.*\S)?)\s*$"),
    headings=("node.tap", "node.spec"),
    signatures=beside(__name__),
    flaky=FlakySigns(
        timed_out=re.compile(r"test timed out after \d+ ?ms"),
        report_line=re.compile(r"^\s*✖"),
        failed_test=(re.compile(r"^\s*not ok \d+ - (?P<name>\S(?:.*?\S)?)\s*(?:#.*)?$"),),  # TAP
        clock=re.compile(r"^\s*#?\s*duration_ms:? |\(\d+(?:\.\d+)? ?m?s\)\s*$"),
    ),
)
