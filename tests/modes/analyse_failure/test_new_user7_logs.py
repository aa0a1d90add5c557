"""What a seventh new user's logs met: on-finished's mocha run whose tests failed (three on an
assertion, two past mocha's 2000 ms) and whose process then did not exit, killed by
``timeout`` (exit 124); the same run with its assertion failures alone; and with its two
timeouts alone; a nested mocha spec report; python-semanticversion's pytest run with
subtests (tests/fixtures/logs/new_user7, taken from the trial's logs)."""

from __future__ import annotations

import gzip
from pathlib import Path

from cicd_agent.analysis.log_model import FailureType, LogAnalysis
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.modes.analyse_failure.logs.classify import hung_after_report
from cicd_agent.modes.analyse_failure.logs.pytest_reports import (
    pytest_counts,
    pytest_heading,
    pytest_reports,
)
from cicd_agent.modes.analyse_failure.logs.sources import JobLog
from cicd_agent.modes.analyse_failure.result import failures_section

LOGS = Path(__file__).parents[2] / "fixtures" / "logs" / "new_user7"


def _analysed(name: str) -> LogAnalysis:
    data = (LOGS / name).read_bytes()
    return analyse_scans(scan_jobs([JobLog.from_bytes("test", data)]),
                         changed_files=[], changed_lines={})  # fmt: skip


def test_assertion_failures_then_a_kill_after_the_report_are_no_timeout() -> None:
    """Three tests failed on ``AssertionError``; mocha printed ``3 failing``, did not exit,
    and ``timeout`` killed it (exit 124). The run failed by its tests (before: typed
    ``timeout``, its root the runner's exit line, "raise the time limit"), the kill is no
    failure group, and the hang is said on its own."""
    analysis = _analysed("js-hang-asserts.log")
    assert analysis.failure_type is FailureType.TEST_FAILURE
    assert "AssertionError" in analysis.root_cause, analysis.root_cause
    assert not [g for g in analysis.failures if "exit code 124" in g.line], analysis.failures
    assert analysis.likely_flaky_evidence == ()
    said = hung_after_report(analysis.failure_type, analysis.signatures_hit)
    assert "did not exit" in said and "--exit" in said, said


def test_timeouts_beside_assertion_failures_make_neither_a_timeout_run_nor_a_flaky_one() -> None:
    """Two of five tests ran past mocha's time limit, three failed their assertion: the run is
    a test failure, and a slow test is no sign that the assertion failures are luck (before:
    "Flaky? Likely" for every failed test, the whole run typed ``timeout``)."""
    analysis = _analysed("js-hang.log")
    assert analysis.failure_type is FailureType.TEST_FAILURE
    assert analysis.failed_count == 5
    assert analysis.likely_flaky_evidence == ()
    kinds = {g.kind for g in analysis.failures}
    assert FailureType.TIMEOUT in kinds, analysis.failures  # the two tests' own cause stays
    assert hung_after_report(analysis.failure_type, analysis.signatures_hit)


def test_a_run_of_mocha_timeouts_alone_is_still_a_timeout() -> None:
    """Every failed test ran past mocha's 2000 ms: the run is a timeout, and that sign, quoting
    mocha's line, is the likely-flaky evidence; no kill, nothing said of one."""
    analysis = _analysed("js-timeouts.log")
    assert analysis.failure_type is FailureType.TIMEOUT
    assert analysis.failed_count == 2
    assert any("Timeout of 2000ms exceeded" in e for e in analysis.likely_flaky_evidence)
    assert hung_after_report(analysis.failure_type, analysis.signatures_hit) == ""


def test_each_failure_of_nested_mocha_describes_carries_its_error() -> None:
    """mocha's spec reporter prints a failure's describes and title one per line, indented per
    depth, then its error: a test two describes deep was read with its first describe for a
    message (``when requests pipelined``), and ``write after end`` was said nowhere. Each
    failure now carries its own error line."""
    analysis = _analysed("js-fail.log")
    assert analysis.failed_count == 8
    assert "Uncaught Error [ERR_STREAM_WRITE_AFTER_END]: write after end" in analysis.root_cause
    lines = [group.line for group in analysis.failures]
    assert lines and all(line.startswith("Uncaught ") for line in lines), lines


def test_pytests_own_count_with_its_subtests_is_said_as_it_printed_it() -> None:
    """python-semanticversion's run: pytest closed on ``223 failed``, 211 of them subtests
    (``SUBFAILED(text='1.0.0') id``), 12 tests named ``FAILED``; the section said "12 tests
    failed by the runner's count". It now gives pytest's count as printed, and the subtests."""
    data = gzip.decompress((LOGS / "py-fail.log.gz").read_bytes())
    analysis = analyse_scans(scan_jobs([JobLog.from_bytes("test", data)]),
                             changed_files=[], changed_lines={})  # fmt: skip
    assert (analysis.runner_failed, analysis.subtests_failed, analysis.failed_count) == (223, 211, 12)
    said = failures_section(analysis.failures, analysis.failed_count, analysis.failure_groups,
                            (analysis.runner_failed, analysis.subtests_failed))  # fmt: skip
    assert "223 failed by the runner's closing count, 211 of them subtests; 12 tests" in said, said


def test_a_message_pytests_summary_cut_is_read_whole_from_its_report() -> None:
    """``FAILED …::test_bump_clean_versions - Assert...``: the report's heading lies 4,000
    lines above the summary, outside what is kept of the log, but its ``E`` line is kept; it is
    the report the summary lists before the next heading kept (before: the group said
    ``Assert...``)."""
    data = gzip.decompress((LOGS / "py-fail.log.gz").read_bytes())
    analysis = analyse_scans(scan_jobs([JobLog.from_bytes("test", data)]),
                             changed_files=[], changed_lines={})  # fmt: skip
    [group] = [g for g in analysis.failures if g.test.endswith("::test_bump_clean_versions")]
    assert group.line == "AssertionError: 1 != 0", group


def test_pytests_closing_count_and_its_subtests_are_read_as_printed() -> None:
    """The count is the last closing line's, and its subtests are the short summary's
    ``SUBFAILED`` lines, never more than the count; a log without a closing line says 0."""
    lines = ["SUBFAILED(text='1.0') tests/test_v.py::Case::test_parse - AssertionError",
             "SUBFAILED(text='2.0') tests/test_v.py::Case::test_parse - AssertionError",
             "FAILED tests/test_v.py::Case::test_bump - AssertionError: 1 != 0",
             "=========== 3 failed, 40 passed, 7 subtests passed in 1.20s ==========="]  # fmt: skip
    assert pytest_counts(lines) == (3, 2)
    assert pytest_counts(["FAILED tests/test_v.py::test_a", "collected 3 items"]) == (0, 0)
    assert pytest_counts(["SUBFAILED(x=1) t.py::a", "SUBFAILED(x=2) t.py::a", "1 failed in 2s"]) \
        == (1, 1)  # fmt: skip


def test_a_report_cut_from_a_long_log_is_named_by_the_summarys_order() -> None:
    """A kept ``E`` line whose heading was cut (a gap in the line numbers) belongs to the test
    the short summary lists just before the next heading kept; one that follows its heading
    is that heading's."""
    lines = [(10, "____ Case.test_a ____"), (11, "E   AssertionError: 1 != 0"),
             (50, "E   AssertionError: 2 != 3"),
             (90, "____ Case.test_c ____"), (91, "E   ValueError: bad"),
             (95, "=========== short test summary info ==========="),
             (96, "FAILED tests/t.py::Case::test_a - AssertionError: 1 != 0"),
             (97, "FAILED tests/t.py::Case::test_b - Assert..."),
             (98, "FAILED tests/t.py::Case::test_c - ValueError: bad")]  # fmt: skip
    assert pytest_reports(lines) == {"Case.test_a": "AssertionError: 1 != 0",
                                     "Case.test_b": "AssertionError: 2 != 3",
                                     "Case.test_c": "ValueError: bad"}  # fmt: skip
    assert pytest_heading("tests/t.py::Case::test_b[1]") == "Case.test_b[1]"
