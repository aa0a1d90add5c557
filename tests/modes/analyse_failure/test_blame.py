"""Blame the changed line: the location a person reads first is the line the change wrote that
the failure leads to (a traceback frame, a panic's location), else the changed source line a
test failure that names only its test runs through; the test line comes after. A tool's own
line (lint, type, compile) is never moved to another line."""

from __future__ import annotations

from cicd_agent.modes.analyse_failure.log_facts import LogAnalysis
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from tests.corpus.runner_log import Job, Step, render
from tests.modes.analyse_failure.job_logs import job_log

THROUGH_TWO_LINES = b"""tests/test_calc.py::test_total FAILED                                    [100%]

=================================== FAILURES ===================================
__________________________________ test_total __________________________________

    def test_total():
>       assert total([1, 2], 0) == 3

tests/test_calc.py:5:
_ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _
/home/runner/work/app/app/src/calc.py:12: in total
    return sum(ratio(x, base) for x in items)
/home/runner/work/app/app/src/calc.py:3: in ratio
    return a / b
E   ZeroDivisionError: division by zero
=========================== short test summary info ============================
FAILED tests/test_calc.py::test_total - ZeroDivisionError: division by zero
============================== 1 failed in 0.03s ===============================
"""

ASSERTION_ONLY = b"""tests/test_calc.py::test_ratio FAILED                                    [100%]

=================================== FAILURES ===================================
__________________________________ test_ratio __________________________________

    def test_ratio():
>       assert ratio(6, 3) == 2
E       assert 3 == 2
E        +  where 3 = ratio(6, 3)

tests/test_calc.py:9: AssertionError
=========================== short test summary info ============================
FAILED tests/test_calc.py::test_ratio - assert 3 == 2
============================== 1 failed in 0.02s ===============================
"""

GO_HELPER = b"""=== RUN   TestExactArgs
    args_test.go:95: Expected "accepts 2 arg(s), received 1", got "needs 2 arg(s), received 1"
--- FAIL: TestExactArgs (0.00s)
FAIL
FAIL\texample.com/cli\t0.012s
FAIL
"""

GO_PANIC = b"""=== RUN   TestParse
--- FAIL: TestParse (0.00s)
panic: runtime error: index out of range [3] with length 3 [recovered]
\tpanic: runtime error: index out of range [3] with length 3

goroutine 7 [running]:
testing.tRunner.func1.2({0x5a1e60, 0xc0000a4018})
\t/usr/lib/go-1.19/src/testing/testing.go:1396 +0x24e
panic({0x5a1e60, 0xc0000a4018})
\t/usr/lib/go-1.19/src/runtime/panic.go:884 +0x212
example.com/cli.parse({0x5c2b1d, 0x5})
\t/home/runner/work/cli/cli/parse.go:31 +0x3e5
example.com/cli.split(...)
\t/home/runner/work/cli/cli/parse.go:12
example.com/cli.TestParse(0xc0000b2340)
\t/home/runner/work/cli/cli/parse_test.go:20 +0x45
FAIL\texample.com/cli\t0.010s
FAIL
"""

RUFF = b"""src/calc.py:3:8: F401 [*] `os` imported but unused
Found 1 error.
[*] 1 fixable with the `--fix` option.
"""


def _analyse(output: bytes, command: str, changed: dict[str, list[int]]) -> LogAnalysis:
    step = Step("Run tests", run=command, output=output, exit_code=1)
    log = job_log("test", render(Job("test", [step]))[0])
    return analyse_scans(scan_jobs([log]), changed_files=list(changed), changed_lines=changed)


def test_a_traceback_through_a_changed_line_is_blamed_on_that_line_not_the_first_frame() -> None:
    analysis = _analyse(THROUGH_TWO_LINES, "pytest", {"src/calc.py": [12]})
    top = analysis.responsible_files[0]
    assert (top.path, top.lines[0], top.from_change) == ("src/calc.py", 12, False)
    assert 3 in top.lines


def test_an_assertion_that_names_only_its_test_is_blamed_on_the_changed_source_line() -> None:
    analysis = _analyse(ASSERTION_ONLY, "pytest", {"src/calc.py": [7], "README.md": [1]})
    paths = [(f.path, f.lines[:1], f.from_change) for f in analysis.responsible_files]
    assert paths == [("src/calc.py", (7,), True), ("tests/test_calc.py", (9,), False)]


def test_a_go_failure_in_a_shared_test_helper_is_blamed_on_the_changed_message() -> None:
    analysis = _analyse(GO_HELPER, "go test ./...", {"args.go": [110]})
    top = analysis.responsible_files[0]
    assert (top.path, top.lines) == ("args.go", (110,))


def test_a_go_panic_is_blamed_on_the_changed_frame_it_runs_through() -> None:
    analysis = _analyse(GO_PANIC, "go test ./...", {"parse.go": [12]})
    top = analysis.responsible_files[0]
    assert (top.path, top.lines[0]) == ("parse.go", 12)


def test_a_linters_line_stays_where_the_linter_put_it() -> None:
    """Common sense: an unused import is at the import, whatever else the change wrote."""
    analysis = _analyse(RUFF, "ruff check src", {"src/calc.py": [1, 2, 3, 9]})
    top = analysis.responsible_files[0]
    assert (top.path, top.lines[0]) == ("src/calc.py", 3)
    analysis = _analyse(RUFF, "ruff check src", {"src/calc.py": [9], "src/other.py": [4]})
    assert [(f.path, f.lines) for f in analysis.responsible_files] == [("src/calc.py", (3,))]


def test_without_the_changes_lines_the_test_line_is_still_named() -> None:
    analysis = analyse_scans(
        scan_jobs([job_log("t", render(Job("t", [Step("s", run="pytest", output=ASSERTION_ONLY,
                                                        exit_code=1)]))[0])]),
        changed_files=["src/calc.py"],
    )  # fmt: skip
    assert [f.path for f in analysis.responsible_files] == ["tests/test_calc.py"]
