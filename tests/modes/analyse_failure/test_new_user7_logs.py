"""What a seventh new user's logs met: on-finished's mocha run whose tests failed (three on an
assertion, two past mocha's 2000 ms) and whose process then did not exit, killed by
``timeout`` (exit 124); the same run with its assertion failures alone; and with its two
timeouts alone; a nested mocha spec report; python-semanticversion's pytest run with
subtests (tests/fixtures/logs/new_user7, taken from the trial's logs)."""

from __future__ import annotations

import gzip
from pathlib import Path

from cicd_agent.modes.analyse_failure.log_facts import FailureType, LogAnalysis
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.modes.analyse_failure.logs.classify import hung_after_report
from cicd_agent.modes.analyse_failure.logs.pytest_reports import (
    pytest_counts,
    pytest_heading,
    pytest_reports,
    pytest_subtests,
)
from cicd_agent.modes.analyse_failure.logs.runner_format import clean_line, parse_marker
from cicd_agent.modes.analyse_failure.summary_sections import failures_section
from tests.modes.analyse_failure.job_logs import job_log

LOGS = Path(__file__).parents[2] / "fixtures" / "logs" / "new_user7"


def _analysed(name: str) -> LogAnalysis:
    data = (LOGS / name).read_bytes()
    return analyse_scans(scan_jobs([job_log("test", data)]),
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


def test_the_runners_exit_line_copied_from_its_page_is_read_as_the_runners() -> None:
    """The trial's own log, copied from the run's page: its last line is the runner's exit line
    as the page shows it, ``Error: Process completed with exit code 124.`` (before: not read,
    so the hang after mocha's ``5 failing`` was said nowhere)."""
    analysis = _analysed("js-hang-copied.log")
    assert analysis.failure_type is FailureType.TEST_FAILURE
    assert [job.exit_code for job in analysis.failed_jobs] == [124]
    assert hung_after_report(analysis.failure_type, analysis.signatures_hit)


def test_a_tool_printing_the_pages_exit_line_is_no_runner() -> None:
    """Only a whole line with no timestamp is the page's copy of the runner's line: in a log
    with timestamps a tool printed it, and text around it is a tool's own."""
    assert clean_line(b"Error: Process completed with exit code 124.") == (
        "##[error]Process completed with exit code 124.")  # fmt: skip
    for forged in (b"2024-01-01T00:00:00.0000000Z Error: Process completed with exit code 124.",
                   b"  Error: Process completed with exit code 124.",
                   b"Error: Process completed with exit code 124. (by a test)",
                   b"Error: Process completed with exit code 124"):  # fmt: skip
        assert parse_marker(clean_line(forged)) is None, forged


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
    analysis = analyse_scans(scan_jobs([job_log("test", data)]),
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
    analysis = analyse_scans(scan_jobs([job_log("test", data)]),
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


def test_a_test_failed_only_through_its_subtests_is_named_with_their_count() -> None:
    """15 of the run's tests failed only through subtests (``SUBFAILED(text='1.0.0') id``):
    they were counted among the 211 but named nowhere. Each is now one group, its test named
    with its count of failed subtests; the 12 tests pytest names ``FAILED`` stay the count."""
    data = gzip.decompress((LOGS / "py-fail.log.gz").read_bytes())
    analysis = analyse_scans(scan_jobs([job_log("test", data)]),
                             changed_files=[], changed_lines={})  # fmt: skip
    assert analysis.failed_count == 12
    assert analysis.failure_groups == 10 + 15
    said = failures_section(analysis.failures, analysis.failed_count, analysis.failure_groups,
                            (analysis.runner_failed, analysis.subtests_failed))  # fmt: skip
    assert "(16 failed subtests of `tests/test_base.py::VersionTestCase::test_parsing`)" in said


def test_a_subtests_message_is_the_first_whole_one_and_a_named_test_is_not_named_twice() -> None:
    """The message is the first said whole (the summary's, else the subtest's report), a cut
    one only where no other is; a test with a ``FAILED`` line of its own is named there."""
    lines = list(enumerate([
        "____ Case.test_p (text='2') ____", "E   AssertionError: '2' != '3'",
        "=========== short test summary info ===========",
        "SUBFAILED(text='1') tests/t.py::Case::test_p",
        "SUBFAILED(text='2') tests/t.py::Case::test_p - Ass...",
        "SUBFAILED(text='3') tests/t.py::Case::test_p - AssertionError: 3",
        "SUBFAILED(x=1) tests/t.py::Case::test_q - Va...",
        "SUBFAILED(x=1) tests/t.py::Case::test_r - boom", "FAILED tests/t.py::Case::test_r",
    ]))  # fmt: skip
    first = ("tests/t.py::Case::test_p", 3, "AssertionError: '2' != '3'")
    assert pytest_subtests(lines, 10) == [first, ("tests/t.py::Case::test_q", 1, "Va...")]
    assert pytest_subtests(lines, 1) == [first]
