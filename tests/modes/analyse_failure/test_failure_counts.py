"""Each failing test counts once, under its message: tests that failed on one error are one
failure seen that many times (tests/fixtures/logs/counts: real runs of two public projects),
and no other line of a test's report is a failure of its own (vitest's ``×`` tree line, a jest
file's ``FAIL`` line over its error)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from cicd_agent.modes.analyse_failure.log_facts import LogAnalysis
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.modes.analyse_failure.logs.sources import load_logs
from cicd_agent.modes.analyse_failure.summary_sections import failures_section
from tests.corpus import noise
from tests.corpus.runner_log import Job, Step, write_layout
from tests.modes.analyse_failure import realruns

COUNTS = Path(__file__).resolve().parents[2] / "fixtures" / "logs" / "counts"


def _analyse(name: str, command: str, dest: Path) -> LogAnalysis:
    output = gzip.decompress((COUNTS / name).read_bytes())
    run = Step("Run tests", run=command, output=output, exit_code=101)
    job = Job("test", [noise.checkout(), run])
    return analyse_scans(scan_jobs(load_logs(write_layout([job], dest, "zip_steps"))))


def test_seven_rust_tests_on_one_panic_are_one_failure(tmp_path: Path) -> None:
    analysis = _analyse("strsim-cargo.log.gz", "cargo test", tmp_path)
    assert len(analysis.failed_tests) == 7
    [failure] = analysis.failures
    assert failure.count == 7
    assert "panicked at src/lib.rs:252:31: index out of bounds" in failure.line


def test_two_hundred_pytest_failures_are_their_eleven_errors(tmp_path: Path) -> None:
    analysis = _analyse("cachetools-pytest.log.gz", "python -m pytest tests", tmp_path)
    assert len(analysis.failed_tests) == 207
    assert len(analysis.failures) == 11
    assert sum(group.count for group in analysis.failures) == 207
    assert all("object has no attribute '_Cache__currsize'" in g.line for g in analysis.failures)


@pytest.mark.parametrize(
    "name", ["vitest-assert-npm", "vitest-import", "jest-ts-type", "jest-js-assert-npm"]
)
def test_a_js_failure_is_counted_once(name: str, tmp_path: Path) -> None:
    """vitest prints a failing test in its tree (``×``) and again in its report (``FAIL``);
    jest prints a file that failed to run as ``FAIL file`` over its error."""
    case = {c.name: c for c in realruns.load(realruns.SET_DIR.parent / "realruns_b3")}[name]
    analysis = analyse_scans(
        scan_jobs(load_logs(write_layout([case.job()], tmp_path, "zip_steps")))
    )
    assert [group.count for group in analysis.failures] == [1]


def test_the_runners_count_is_the_count_and_groups_are_groups(tmp_path: Path) -> None:
    """23 tests fail on 7 messages (numbers folded); pytest's short summary cuts each message
    at the terminal's width (``AssertionErro...``), so the message is the test's report's
    ``E`` line. The summary says the runner's count of failed tests, the rest as groups."""
    analysis = _analyse("cachetools-keys-pytest.log.gz", "python -m pytest", tmp_path)
    assert analysis.failed_count == 23
    assert len(analysis.failures) == analysis.failure_groups == 7
    assert sum(group.count for group in analysis.failures) == 23
    assert not any(group.line.endswith("...") for group in analysis.failures)
    biggest = max(analysis.failures, key=lambda group: group.count)
    assert biggest.line == "AssertionError: 0 != 1" and biggest.count == 9  # and one 1 != 3
    assert biggest.test == "tests/test_cached.py::CacheWrapperTest::test_decorator_info"
    shown = failures_section(analysis.failures, analysis.failed_count, analysis.failure_groups)
    assert "23 tests failed" in shown and "7 groups" in shown and "distinct" not in shown
