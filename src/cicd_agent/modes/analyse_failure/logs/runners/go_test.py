"""go test: ``=== RUN TestX`` opens a test's output, ``--- FAIL: TestX`` its verdict, whose
indented ``x_test.go:12: message`` lines follow; the package's ``FAIL``/``ok`` line closes.
``go test -json`` holds the same lines inside its ``"Output"`` fields."""

import re

from cicd_agent.modes.analyse_failure.logs.runners.shape import RunnerShape

SHAPE = RunnerShape(
    "go test",
    opens=re.compile(
        r'^\s*(?:=== (?:RUN|CONT|NAME|PAUSE)|--- (?:FAIL|PASS|SKIP):) \S|"Action":"(?:run|output)"'
    ),
    ends=re.compile(r"^(?:FAIL|ok|PASS)(?:\s|$)"),
)
