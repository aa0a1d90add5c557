"""Attacks on the matrix-sibling evidence of flakiness: a sibling counts only where it passed.

Against GitHub's validating mock, through the proxy that holds the run's jobs and their logs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.helpers.failed_run import failed_run
from tests.helpers.failure_github import FAILED_JOB, PASSED_JOB, RUN_ID, GitHubState


def test_attack_a_cancelled_sibling_with_an_empty_log_is_no_passed_sibling(
    tmp_path: Path, github_api: Any
) -> None:
    """Fail-fast cancels a matrix's other entries when one fails; one cancelled before it began
    has an empty log, so nothing in it reads as failed. The API says no job passed: the failure
    was called "likely flaky, the same job in another matrix entry passed"."""
    state = GitHubState(github_api, tmp_path)
    state.standard()
    run = failed_run()
    state.jobs(RUN_ID, (FAILED_JOB, "test (3.11)", "failure"),
               (PASSED_JOB, "test (3.12)", "cancelled"))  # fmt: skip
    state.job_log(FAILED_JOB, run.job_log)
    state.job_log(PASSED_JOB, b"")
    code, outputs, summary, _ = state.analyse(state.event())
    assert code == 0 and outputs["failure_type"] == "test_failure", summary
    assert outputs["is_flaky"] != "likely", summary
    assert "another matrix entry" not in summary
