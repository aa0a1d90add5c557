"""jest and vitest: ``FAIL file`` opens a test file's output (its ``console.log`` blocks), each
``● suite › test`` a test's report (its message the first line under it); ``Test Suites:``/
``Test Files`` close the run. vitest's ``FAIL file > suite > test`` headings open its reports.
A file that failed before its tests ran (``● Test suite failed to run`` under ``FAIL file``,
vitest's ``FAIL file [ file ]``) is one failing test whose error is the line under the header
(jest's header is indented two spaces: a test's ``console.log`` block indents four).
"""

import re

from cicd_agent.runners.shape import FlakySigns, RunnerShape, beside

SHAPE = RunnerShape(
    "jest",
    opens=re.compile(
        r"^\s*(?:FAIL|PASS)\s+(?P<file>\S+\.[cm]?[jt]sx?)\b|^\s*● \S|^\s*(?:stdout|stderr) \|"
    ),
    ends=re.compile(r"^\s*(?:Test Suites|Test Files|Tests|Snapshots|Ran all test suites)\b"),
    verdict=re.compile(
        r"^\s*● (?P<name>(?!Test suite failed).+? › .*\S)\s*$"
        r"|^ {2}● (?P<name2>(?!Validation |Deprecation |Console|Test suite)\S(?:.*\S)?)\s*$"
        r"|^\s*FAIL\s+(?P<name3>\S+ > .*\S)\s*$"
    ),
    message=re.compile(r"^\s*(?P<msg>\S(?:.*\S)?)\s*$"),
    reports=re.compile(r"^ {2}● Test suite failed to run$"),
    quoted=re.compile(r"^\s*>?\s*\d+ ?\|"),
    asserts=re.compile(r"^\s*(?:expect\(|AssertionError\b)"),
    failed_files=re.compile(r"^\s*Test (?:Suites:|Files)\s+(?P<n>\d{1,9}) failed\b"),
    unrun=re.compile(
        r"^ {2}● Test suite failed to run$|^\s*FAIL\s+(?P<file>\S+\.[cm]?[jt]sx?) \[ \S+ \]\s*$"
    ),
    headings=("jest.failure",),
    signatures=beside(__name__),
    flaky=FlakySigns(
        reruns=re.compile(r"^\s*RETRY \d+\s*$|\bretryTimes\b"),  # jest
        timed_out=re.compile(r"Exceeded timeout of \d+ ?ms|Test timed out in \d+ ?ms"),
        report_line=re.compile(r"^(?:\s*●|\s*(?:✕|×)|\s+at )"),
        failed_test=(re.compile(r"^\s*● (?P<name>\S(?:.*\S)?)\s*$"),),
        clock=re.compile(r"\(\d+(?:\.\d+)? ?m?s\)\s*$"),  # jest's (3 ms)
    ),
)
