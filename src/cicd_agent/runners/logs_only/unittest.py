"""unittest: ``FAIL: test (module.Class)`` opens a test's traceback; ``Ran N tests`` closes it;
within it, the traceback's indented lines quote source and ``-b``'s ``Stdout:`` section is the
test's output."""

import re

from cicd_agent.runners.shape import FlakySigns, RunnerShape, beside

SHAPE = RunnerShape(
    "unittest",
    opens=re.compile(r"^(?:FAIL|ERROR): \w+ \("),
    ends=re.compile(r"^Ran \d+ tests? in "),
    verdict=re.compile(r"^(?:FAIL|ERROR): (?P<method>\w+) \((?P<cls>[\w.]+)\)"),
    message=re.compile(r"^\s*(?P<msg>[\w.$]*(?:Error|Exception|Failure|Failed)\b:?.*\S)\s*$"),
    quoted=re.compile(r"^\s"),
    output=re.compile(r"^Std(?:out|err):$"),
    asserts=re.compile(r"^AssertionError\b"),
    headings=("unittest.fail",),
    signatures=beside(__name__),
    flaky=FlakySigns(
        report_line=re.compile(r"^\s+self\.assert"),
        failed_test=(re.compile(r"^(?:FAIL|ERROR): (?P<name>\w+) \("),),
    ),
)
