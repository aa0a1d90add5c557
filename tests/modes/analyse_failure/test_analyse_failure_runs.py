"""analyse-failure's GitHub reads: the failed jobs of the run (with the step that failed),
the last green run to compare against (checked, not trusted), and evidence that may be
missing becoming a note. Against the GitHub mock holding one repository's runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cicd_agent.actions.errors import GitHubError
from cicd_agent.modes.analyse_failure.runs import (
    download_logs,
    failed_jobs,
    last_success,
    optional,
)
from tests.helpers.failed_run import failed_run
from tests.helpers.failure_github import (
    FAILED_JOB,
    GREEN_RUN,
    RUN_ID,
    WORKFLOW_ID,
    GitHubState,
)  # fmt: skip


def test_only_the_jobs_that_did_not_pass_are_read_with_their_failed_step(
    tmp_path: Path, github_api: Any
) -> None:
    state = GitHubState(github_api, tmp_path)
    state.standard()
    client = state.context(state.event()).github
    jobs, described, passed = failed_jobs(client, RUN_ID)
    assert [job.id for job in jobs] == [FAILED_JOB] and passed == ("lint",)
    assert [(d.name, d.conclusion, d.failed_step) for d in described] == [
        (failed_run().job_name, "failure", "Run tests")
    ]
    (tmp_path / "logs").mkdir()
    (log,) = download_logs(client, RUN_ID, jobs, tmp_path / "logs", lambda note: None)
    assert log.name == failed_run().job_name
    assert b"".join(part.open().read() for part in log.parts) == failed_run().job_log


def test_the_last_green_run_is_the_baseline_and_a_red_one_never_is(
    tmp_path: Path, github_api: Any
) -> None:
    state = GitHubState(github_api, tmp_path)
    state.standard()
    client = state.context(state.event()).github
    state.runs((GREEN_RUN, "success", state.base))
    found = last_success(client, WORKFLOW_ID, "main")
    assert found is not None and found.id == GREEN_RUN
    state.runs((RUN_ID, "failure", state.head))  # GitHub answers a red run to status=success
    assert last_success(client, WORKFLOW_ID, "main") is None


def test_evidence_that_cannot_be_read_is_a_note_and_the_fallback(
    tmp_path: Path, github_api: Any
) -> None:
    notes: list[str] = []

    def unreadable() -> list[int]:
        raise GitHubError("listing runs failed: HTTP 502")

    assert optional("the recent runs", unreadable, [], notes.append) == []
    assert notes == [
        "Could not read the recent runs (listing runs failed: HTTP 502); the analysis goes on "
        "without it."
    ]
    assert optional("the recent runs", lambda: [1], [], notes.append) == [1] and len(notes) == 1
