"""analyse_scans end to end on small runs: budget, redaction, baseline, flakiness, files, jobs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cicd_agent.analysis.redact import Redactor
from cicd_agent.modes.analyse_failure.flakiness import weighed
from cicd_agent.modes.analyse_failure.log_facts import FailureType
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, fingerprint, scan_jobs
from cicd_agent.modes.analyse_failure.logs.baseline import BaselineIndex
from cicd_agent.modes.analyse_failure.logs.files import normalise_path
from cicd_agent.modes.analyse_failure.logs.sources import JobLog
from cicd_agent.modes.analyse_failure.types import Evidence
from tests.corpus.runner_log import Job, Step, render
from tests.modes.analyse_failure.job_logs import job_log

TRACEBACK = b"""tests/test_api.py::test_total PASSED                                     [ 50%]
tests/test_api.py::test_ratio FAILED                                     [100%]

=================================== FAILURES ===================================
__________________________________ test_ratio __________________________________

    def test_ratio():
>       assert ratio(1, 0) == 0

tests/test_api.py:9:
_ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _
/home/runner/work/app/app/src/app/maths.py:3: in ratio
    return a / b
E   ZeroDivisionError: division by zero
=========================== short test summary info ============================
FAILED tests/test_api.py::test_ratio - ZeroDivisionError: division by zero
========================= 1 failed, 1 passed in 0.03s ==========================
"""


def _job(name: str, output: bytes, code: int = 1, **kwargs: str) -> JobLog:
    step = Step("Run tests", run="pytest -v", output=output, exit_code=code)
    return job_log(name, render(Job(name, [step]))[0], **kwargs)


def test_a_test_failure_is_found_named_and_located() -> None:
    analysis = analyse_scans(
        scan_jobs([_job("test", TRACEBACK)]), changed_files=["src/app/maths.py"]
    )
    assert analysis.failure_type is FailureType.TEST_FAILURE
    assert analysis.root_cause == (
        "FAILED tests/test_api.py::test_ratio - ZeroDivisionError: division by zero"
    )
    (job,) = analysis.failed_jobs
    assert (job.name, job.failed_step, job.conclusion, job.exit_code) == (
        "test",
        "Run pytest -v",
        "failure",
        1,
    )
    assert [f.path for f in analysis.responsible_files][:2] == [
        "src/app/maths.py",
        "tests/test_api.py",
    ]
    assert analysis.responsible_files[0].changed
    assert "E   ZeroDivisionError: division by zero" in analysis.excerpt
    assert analysis.error_line_numbers[0] == job.root_cause_line


def test_the_excerpt_fits_any_measure_and_keeps_the_root_cause() -> None:
    noisy = TRACEBACK.replace(
        b"=== short", b"\n".join([b"log line %d" % i for i in range(400)]) + b"\n=== short"
    )

    def words(text: str) -> int:  # a token counter stand-in
        return len(text.split())

    analysis = analyse_scans(scan_jobs([_job("test", noisy)]), budget=60, measure=words)
    assert words(analysis.excerpt) <= 60
    assert analysis.root_cause in analysis.excerpt
    assert len(analyse_scans(scan_jobs([_job("test", noisy)]), budget=900).excerpt) <= 900


def test_secrets_are_redacted_from_excerpt_and_root_cause() -> None:
    token = "ghp_" + "a1B2c3D4e5Tq7Wz9Lm4Rx8Nv2Kc6Hb0Yp3Fg5Js"
    output = f"Error: push rejected for https://x-access-token:{token}@github.com/o/r\n".encode()
    known = "hunter2-secret-value"
    output += f"fatal: authentication failed with {known}\n".encode()
    analysis = analyse_scans(scan_jobs([_job("deploy", output)]), redact=Redactor([known]).redact)
    assert token not in analysis.excerpt
    assert known not in analysis.excerpt
    assert token not in analysis.root_cause
    assert "[REDACTED" in analysis.excerpt


def test_lines_of_the_last_green_run_do_not_count() -> None:
    notice = b"ERROR: pip's dependency resolver does not currently take into account all packages\n"
    output = notice + b"Traceback (most recent call last):\nRuntimeError: migration 42 failed\n"
    baseline = BaselineIndex.from_jobs([_job("deploy", notice + b"migrations applied\n", code=0)])
    with_baseline = analyse_scans(scan_jobs([_job("deploy", output)]), baseline=baseline)
    assert with_baseline.root_cause == "RuntimeError: migration 42 failed"
    assert notice.decode().strip() not in with_baseline.excerpt
    assert "migrations applied" in baseline and "boom" not in baseline


def test_flakiness_needs_evidence_and_only_tests_become_flaky_tests() -> None:
    evidence = Evidence(other_attempt_passed=True)
    flaky = weighed(analyse_scans(scan_jobs([_job("test", TRACEBACK)])), evidence)
    assert flaky.failure_type is FailureType.FLAKY_TEST
    assert flaky.flaky_by_evidence and flaky.flaky_evidence
    assert not analyse_scans(scan_jobs([_job("test", TRACEBACK)])).flaky_by_evidence
    lint = b"src/app.py:1:8: F401 [*] `os` imported but unused\nFound 1 error.\n"
    flaky_lint = weighed(analyse_scans(scan_jobs([_job("lint", lint)])), evidence)
    assert (flaky_lint.failure_type, flaky_lint.flaky_by_evidence) == (FailureType.LINT_ERROR, True)


def test_green_and_unknown_jobs() -> None:
    green = analyse_scans(scan_jobs([_job("test", b"all good\n", code=0, conclusion="success")]))
    assert (green.failed_jobs, green.failure_type, green.excerpt) == ((), FailureType.UNKNOWN, "")
    plain = analyse_scans(
        scan_jobs([job_log("raw", b"compiling\nsrc/a.c:3:1: error: oops\n")])
    )
    assert plain.failure_type is FailureType.BUILD_ERROR
    assert plain.root_cause == "src/a.c:3:1: error: oops"


def test_a_matrix_that_failed_the_same_way_is_named_once() -> None:
    jobs = [_job(f"test ({v})", TRACEBACK) for v in ("3.11", "3.12")]
    analysis = analyse_scans(scan_jobs(jobs))
    assert len(analysis.failed_jobs) == 2
    assert analysis.excerpt.count("E   ZeroDivisionError") == 1
    assert "same failure as test (3.11)" in analysis.excerpt


def test_the_fingerprint_ignores_numbers_and_the_checkout_path() -> None:
    first = fingerprint(FailureType.TEST_FAILURE, "/home/runner/work/a/a/src/x.py:12: boom 0x7f3a")
    second = fingerprint(FailureType.TEST_FAILURE, "src/x.py:13: boom 0x7f99")
    assert first == second
    assert first != fingerprint(FailureType.BUILD_ERROR, "src/x.py:13: boom 0x7f99")


def test_paths_are_made_relative_to_the_checkout() -> None:
    assert normalise_path("/home/runner/work/app/app/src/a.py") == "src/a.py"
    assert normalise_path("D:\\a\\app\\app\\src\\a.py") == "src/a.py"
    assert normalise_path("./pkg/main.go") == "pkg/main.go"
    assert normalise_path("/usr/lib/python3.11/site-packages/_pytest/x.py") is None
    assert normalise_path("node:internal/test_runner/test") is None


def test_a_tiny_budget_still_holds_the_root_cause() -> None:
    jobs = [
        _job(f"test ({i})", TRACEBACK.replace(b"division", b"division %d" % i)) for i in range(15)
    ]
    analysis = analyse_scans(scan_jobs(jobs), budget=200)
    assert len(analysis.excerpt) <= 200
    assert analysis.root_cause in analysis.excerpt


HOSTILE_NAMES = {
    "TAP": "not ok 1 - a{}x",
    "jest": "  ● a › b{}x",
    "vitest": "FAIL  a > b{}x",
}


def test_a_test_name_of_many_spaces_does_not_stall_the_flaky_check() -> None:
    """attack3: the failed-test name patterns (lazy name, then spaces, then the end) took time
    quadratic in a line's run of spaces: a line is kept up to 8 KB, and ten such lines (80 KB
    of log) cost 26 s of CPU, an 8 MB log most of an hour. Run in a child, since a regular
    expression holds the interpreter until it ends."""
    spaces = " " * 8000  # the name's last word inside the 8 KB a line keeps
    hostile = "\n".join(shape.format(spaces) for shape in HOSTILE_NAMES.values() for _ in range(20))
    script = (
        "import sys\n"
        "from tests.modes.analyse_failure.test_analyse import TRACEBACK, _job\n"
        "from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs\n"
        "output = TRACEBACK.replace(b'E   Zero', sys.stdin.buffer.read() + b'\\nE   Zero')\n"
        "print(analyse_scans(scan_jobs([_job('test', output)])).failure_type.value)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], input=hostile.encode(), capture_output=True,
        timeout=60, check=False, cwd=Path(__file__).parents[3],
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()[-2000:]
