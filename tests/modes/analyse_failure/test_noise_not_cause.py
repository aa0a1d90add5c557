"""Noise is not a cause: what a passing test prints is never the root cause, a panic outranks
every other failing line, and one failure is counted once (a test's heading and its message
lines, pytest's ``FAILED`` line and its ``E`` lines)."""

from __future__ import annotations

from cicd_agent.modes.analyse_failure.log_facts import FailureType, LogAnalysis
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from tests.corpus.runner_log import Job, Step, render
from tests.modes.analyse_failure.job_logs import job_log

GO_PASSING_NOISE_THEN_PANIC = b"""=== RUN   TestUnknownFlagIsReported
[Debug] [Error] unknown flag: --bogus
Error: unknown flag: --bogus
--- PASS: TestUnknownFlagIsReported (0.00s)
=== RUN   TestWriteCompletionFile
--- FAIL: TestWriteCompletionFile (0.00s)
panic: runtime error: invalid memory address or nil pointer dereference [recovered]
\tpanic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x5d1e3a]

goroutine 97 [running]:
testing.tRunner.func1.2({0x6a2b40, 0x8f4e10})
\t/usr/lib/go-1.22/src/testing/testing.go:1631 +0x24a
panic({0x6a2b40?, 0x8f4e10?})
\t/usr/lib/go-1.22/src/runtime/panic.go:770 +0x132
example.com/cli.(*Command).WriteCompletionFile(0x0, {0x6f3c21, 0x9})
\t/home/runner/work/cli/cli/completions.go:280 +0x25
example.com/cli.TestWriteCompletionFile(0xc0001f8d00)
\t/home/runner/work/cli/cli/completions_test.go:41 +0x85
FAIL\texample.com/cli\t0.412s
FAIL
"""

GO_TWO_TESTS = b"""--- FAIL: TestCompare (0.00s)
    version_test.go:197: 1.2 <=> 1.2-beta
        expected: 1
        actual: -1
--- FAIL: TestGreater (0.00s)
    version_test.go:715: 1.2 > 1.2-beta
        expected: true
        actual: false
FAIL
FAIL\texample.com/version\t0.005s
FAIL
"""

PYTEST_CUT_SUMMARY = b"""=================================== FAILURES ===================================
__________________________________ test_last ___________________________________

    def test_last():
>       assert last(range(3)) == 2

tests/test_seq.py:5:
_ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _
src/seq.py:12: in last
    return tuple(collections.dequeue(seq, 1))[0]
E   AttributeError: module 'collections' has no attribute 'dequeue'
=========================== short test summary info ============================
FAILED tests/test_seq.py::test_last - AttributeError: module 'collections' has...
========================= 1 failed, 40 passed in 0.31s =========================
"""


def _analyse(output: bytes, command: str) -> LogAnalysis:
    step = Step("Run tests", run=command, output=output, exit_code=1)
    return analyse_scans(scan_jobs([job_log("test", render(Job("test", [step]))[0])]))


def test_a_passing_tests_error_line_is_not_the_cause_and_a_panic_outranks_the_rest() -> None:
    analysis = _analyse(GO_PASSING_NOISE_THEN_PANIC, "go test -v ./...")
    assert analysis.failure_type is FailureType.TEST_FAILURE
    assert analysis.root_cause.startswith("panic: runtime error: invalid memory address")
    assert not any("unknown flag" in group.line for group in analysis.failures)
    assert "completions.go" in [f.path for f in analysis.responsible_files]


def test_a_failed_go_test_and_its_message_lines_are_one_failure() -> None:
    analysis = _analyse(GO_TWO_TESTS, "go test ./...")
    assert [(group.test, group.line) for group in analysis.failures] == [
        ("TestCompare", "version_test.go:197: 1.2 <=> 1.2-beta"),
        ("TestGreater", "version_test.go:715: 1.2 > 1.2-beta"),
    ]


def test_pytests_failed_line_and_its_e_lines_are_one_failure() -> None:
    analysis = _analyse(PYTEST_CUT_SUMMARY, "pytest")
    assert len(analysis.failures) == 1
    assert analysis.failures[0].test == "tests/test_seq.py::test_last"


def _ava(measured: int) -> bytes:
    return (
        f"  ✔ retry › gives up after the limit\n"
        f"  ✘ [fail]: retry › waits for Retry-After Duration of {measured} ms is not close to "
        f"expected duration 1000 ms\n  ─\n\n  1 test failed\n"
    ).encode()


def test_a_missed_duration_check_is_a_timing_assertion_likely_flaky_with_its_numbers() -> None:
    analysis = _analyse(_ava(1203), "npx ava")
    assert analysis.failed_tests and "waits for Retry-After" in analysis.failed_tests[0]
    (evidence,) = analysis.likely_flaky_evidence
    assert "1203 against 1000" in evidence
