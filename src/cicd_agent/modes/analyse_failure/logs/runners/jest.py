"""jest and vitest: ``FAIL file`` opens a test file's output (its ``console.log`` blocks), each
``● suite › test`` a test's report; ``Test Suites:``/``Test Files`` close the run. vitest's
``FAIL file > suite > test`` headings open its reports."""

import re

from cicd_agent.modes.analyse_failure.logs.runners.shape import RunnerShape

SHAPE = RunnerShape(
    "jest",
    opens=re.compile(r"^\s*(?:FAIL|PASS)\s+\S+\.[cm]?[jt]sx?\b|^\s*● \S|^\s*(?:stdout|stderr) \|"),
    ends=re.compile(r"^\s*(?:Test Suites|Test Files|Tests|Snapshots|Ran all test suites)\b"),
    verdict=re.compile(
        r"^\s*● (?P<name>(?!Test suite failed).+? › .*\S)\s*$"
        r"|^ {2}● (?P<name2>(?!Validation |Deprecation |Console|Test suite)\S(?:.*\S)?)\s*$"
        r"|^\s*FAIL\s+(?P<name3>\S+ > .*\S)\s*$"
    ),
)
