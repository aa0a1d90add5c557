"""The analyse step's own parts (``logs/analyse.py``): a failure's fingerprint stays
the same across runs of the same failure (numbers, ids and the workspace folded) and differs
between failures; a job's scan finds its failed step and its exit code."""

from __future__ import annotations

from cicd_agent.modes.analyse_failure.log_facts import FailureType
from cicd_agent.modes.analyse_failure.logs.analyse import fingerprint, scan_jobs
from tests.modes.analyse_failure.job_logs import job_log

T = FailureType


def test_the_same_failure_in_another_run_has_the_same_fingerprint() -> None:
    first = fingerprint(T.TEST_FAILURE, "FAILED tests/test_x.py::test_add - assert 5 == 6 (0x7f3a)")
    again = fingerprint(T.TEST_FAILURE, "FAILED tests/test_x.py::test_add - assert 7 == 8 (0x1b2c)")
    moved = fingerprint(
        T.TEST_FAILURE,
        "FAILED  /home/runner/work/app/app/tests/test_x.py::test_add - assert 5 == 6 (0x7f3a)",
    )
    assert first == again == moved
    assert len(first) == 16 and int(first, 16) >= 0


def test_another_test_or_another_type_is_another_fingerprint() -> None:
    root = "FAILED tests/test_x.py::test_add - assert 5 == 6"
    assert fingerprint(T.TEST_FAILURE, root) != fingerprint(T.FLAKY_TEST, root)
    assert fingerprint(T.TEST_FAILURE, root) != fingerprint(
        T.TEST_FAILURE, "FAILED tests/test_x.py::test_sub - assert 5 == 6"
    )


def test_a_jobs_scan_finds_its_failed_step_and_exit_code() -> None:
    log = (
        b"2026-01-01T00:00:01.0000000Z ##[group]Run actions/checkout@v4\n"
        b"2026-01-01T00:00:02.0000000Z ##[endgroup]\n"
        b"2026-01-01T00:00:03.0000000Z ##[group]Run pytest\n"
        b"2026-01-01T00:00:04.0000000Z ##[endgroup]\n"
        b"2026-01-01T00:00:05.0000000Z E       assert 5 == 6\n"
        b"2026-01-01T00:00:06.0000000Z ##[error]Process completed with exit code 1.\n"
    )
    (scan,) = scan_jobs([job_log("test", log, conclusion="failure")])
    assert (scan.name, scan.conclusion) == ("test", "failure")
    failed = [step for step in scan.steps if step.failed]
    assert [step.name for step in failed] == ["Run pytest"]
    assert failed[0].exit_code == 1
