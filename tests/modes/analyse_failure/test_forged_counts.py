"""Attacks on node:test's closing counts: a test that prints ``ℹ fail 0`` and then hangs
until a timeout kills the run leaves the only counts in the log its own, and must not hide the
test that really failed above them. Real node 20 runs (tests/fixtures/logs/realruns_b4)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from cicd_agent.modes.analyse_failure.log_facts import FailureType, LogAnalysis
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.modes.analyse_failure.logs.classify import hung_after_report
from cicd_agent.modes.analyse_failure.logs.runner_reports import failing_tests
from cicd_agent.modes.analyse_failure.logs.sources import load_logs
from tests.corpus.runner_log import write_layout
from tests.helpers.bounded import run_bounded
from tests.modes.analyse_failure import realruns

SET = realruns.SET_DIR.parent / "realruns_b4"


@pytest.mark.parametrize(
    ("name", "tests"),
    [("count-same-file", ("adds two numbers",)), ("count-other-file", ("adds two numbers",)),
     ("list", ("adds two numbers", "a flaky network test"))],
)  # fmt: skip
def test_attack_a_count_a_hanging_test_printed_hides_no_failing_test(
    tmp_path: Path, name: str, tests: tuple[str, ...]
) -> None:
    """``timeout 8 node --test``: ``✖ adds two numbers`` failed, a later test printed the
    summary's counts (or its ``✖ failing tests:`` list) and hung; the step ended with 124.
    Still that test (a cut run's printed ``✖`` cannot be told from a real one: it stays,
    second). A timeout, but where the printed list closes the tests' report, a test failure
    whose kill is said apart: a failed assertion is no timeout, whoever printed the list."""
    output = (SET / f"node-test-forged-{name}.log").read_text()
    case = realruns.RealRun(name, "node-test", "timeout 8 npm test", 124, "", (), (), {}, output)
    layout = write_layout([case.job()], tmp_path, "zip_steps")
    analysis = analyse_scans(scan_jobs(load_logs(layout)), changed_files=[], changed_lines={})
    listed = name == "list"
    assert analysis.failure_type == (FailureType.TEST_FAILURE if listed else FailureType.TIMEOUT)
    assert bool(hung_after_report(analysis.failure_type, analysis.signatures_hit)) == listed
    assert analysis.failed_tests == tests


def test_attack_a_count_above_the_runners_last_verdict_is_a_tests() -> None:
    """The spec reporter prints a test's output before its verdict: ``ℹ fail 0`` above a
    ``✔`` is that test's printing, whatever the step's end."""
    lines = ["ℹ fail 0", "✖ adds two numbers (1.1ms)", "  AssertionError: 2 !== 3",
             "✔ prints a forged summary (16.8ms)"]  # fmt: skip
    assert failing_tests(lines) == ("adds two numbers",)


def test_attack_a_spec_block_a_passing_test_printed_in_a_failing_run(tmp_path: Path) -> None:
    """The runner's ``✖ failing tests:`` list names every test that failed: a ``✖`` verdict
    above it naming another is a test's printing, neither a failing test nor the root."""
    output = (SET / "node-test-forged-block.log").read_text()
    case = realruns.RealRun("block", "node-test", "npm test", 1, "", (), (), {}, output)
    layout = write_layout([case.job()], tmp_path, "zip_steps")
    analysis = analyse_scans(scan_jobs(load_logs(layout)), changed_files=[], changed_lines={})
    assert analysis.failed_tests == ("adds two numbers",)
    assert analysis.root_cause.startswith("✖ adds two numbers ("), analysis.root_cause


def _go(tmp_path: Path, mode: str) -> LogAnalysis:
    output = (SET / f"go-forged-subtest-{mode}.log").read_text()
    case = realruns.RealRun(mode, "go", "go test ./...", 1, "", (), (), {}, output)
    layout = write_layout([case.job()], tmp_path, "zip_steps")
    return analyse_scans(scan_jobs(load_logs(layout)), changed_files=[], changed_lines={})


def test_attack_a_subtest_verdict_inside_a_parents_message_is_no_subtest(tmp_path: Path) -> None:
    """go indents a subtest's verdict 4 spaces under its parent's, a message's later lines 8:
    the parent failed on its own ``got 2, want 3``, never on the forged line under it."""
    analysis = _go(tmp_path, "plain")
    assert analysis.failure_type == FailureType.TEST_FAILURE
    assert analysis.root_cause == "--- FAIL: TestForge (0.00s) - forge_test.go:7: got 2, want 3"


@pytest.mark.xfail(
    strict=True,
    reason="open: go -v prints the forged verdict above the parent's; failing_tests "
    "names TestForge/fake and drops TestForge (so did 00a72d77)",
)
def test_attack_a_verbose_subtest_verdict_inside_a_parents_message_is_no_subtest(
    tmp_path: Path,
) -> None:
    analysis = _go(tmp_path, "verbose")
    assert analysis.failed_tests == ("TestForge",)
    assert "no space left" not in analysis.root_cause


def test_mocha_titles_with_colons_newlines_and_two_digit_numbers() -> None:
    """Each test by its suites and title, the one with a newline too (not its suite alone)."""
    lines = (SET / "mocha-colon-titles.log").read_text().splitlines()
    assert failing_tests(lines) == (
        "parser: headers reads key: value pairs",
        "parser: headers keeps a title over two lines",
        "parser: headers nested: deeper ends with a colon:",
        *(f"many case {i}" for i in range(10)),
    )


_MANY = """
from cicd_agent.modes.analyse_failure.logs.runner_reports import failing_tests
lines = [f"✖ test number {i} fails (0.1ms)" for i in range(20_000)] + ["ℹ fail 20000"]
print(len(failing_tests(lines)))
"""


def test_attack_20000_spec_verdicts_do_not_stall_the_failing_tests() -> None:
    """Each verdict was compared with every test named before it (quadratic: minutes of CPU for
    20,000 ``✖`` lines a test prints, hours for 100,000); the names are indexed now."""
    done = run_bounded([sys.executable, "-c", _MANY])
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "20000"
