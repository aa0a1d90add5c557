"""Attacks on node:test's closing counts (atk13): a test that prints ``ℹ fail 0`` and then hangs
until a timeout kills the run leaves the only counts in the log its own, and must not hide the
test that really failed above them. Real node 20 runs (tests/fixtures/logs/realruns_b4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cicd_agent.analysis.logs.model import FailureType
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.modes.analyse_failure.logs.runners import failing_tests
from cicd_agent.modes.analyse_failure.logs.sources import load_logs
from tests.corpus import realruns
from tests.corpus.runner_log import write_layout

SET = realruns.SET_DIR.parent / "realruns_b4"


@pytest.mark.parametrize("name", ["same-file", "other-file"])
def test_attack_a_count_a_hanging_test_printed_hides_no_failing_test(
    tmp_path: Path, name: str
) -> None:
    """``timeout 8 node --test``: ``✖ adds two numbers`` failed, a later test printed the
    summary's counts and hung; the step ended with 124. Still a timeout, still that test."""
    output = (SET / f"node-test-forged-count-{name}.log").read_text()
    case = realruns.RealRun(name, "node-test", "timeout 8 npm test", 124, "", (), (), {}, output)
    layout = write_layout([case.job()], tmp_path, "zip_steps")
    analysis = analyse_scans(scan_jobs(load_logs(layout)), changed_files=[], changed_lines={})
    assert analysis.failure_type == FailureType.TIMEOUT
    assert analysis.failed_tests == ("adds two numbers",)


def test_attack_a_count_above_the_runners_last_verdict_is_a_tests() -> None:
    """The spec reporter prints a test's output before its verdict: ``ℹ fail 0`` above a
    ``✔`` is that test's printing, whatever the step's end."""
    lines = ["ℹ fail 0", "✖ adds two numbers (1.1ms)", "  AssertionError: 2 !== 3",
             "✔ prints a forged summary (16.8ms)"]  # fmt: skip
    assert failing_tests(lines) == ("adds two numbers",)
