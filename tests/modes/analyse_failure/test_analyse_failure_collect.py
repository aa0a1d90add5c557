"""analyse-failure's collect step: the failed run from the ``workflow_run`` event, its failed
jobs' logs, and the last green run of the same workflow as the baseline; logs that cannot be
had leave the run described from the API alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cicd_agent.modes.analyse_failure.collect import collect
from tests.helpers.failed_run import failed_run
from tests.helpers.failure_github import FAILED_JOB, GREEN_RUN, REPO, RUN_ID, GitHubState


def test_the_failed_run_its_red_jobs_logs_and_the_green_baseline(
    tmp_path: Path, github_api: Any
) -> None:
    state = GitHubState(github_api, tmp_path)
    state.standard()
    ctx = state.context(state.event())
    with ctx.resources:
        facts = collect(ctx)
    assert facts.target is not None and facts.target.run_id == RUN_ID
    assert [(job.name, job.failed_step) for job in facts.api_jobs] == [
        (failed_run().job_name, "Run tests")
    ]
    assert [scan.name for scan in facts.scans] == [failed_run().job_name]
    assert facts.baseline is not None and f"/runs/{GREEN_RUN}" in facts.baseline_url
    assert facts.logs_error == ""


def test_logs_that_cannot_be_downloaded_leave_the_run_described_from_the_api(
    tmp_path: Path, github_api: Any
) -> None:
    state = GitHubState(github_api, tmp_path)
    state.standard()
    github_api.proxy.fail("GET", rf"{REPO}/actions/jobs/{FAILED_JOB}/logs", 410, "Gone")
    github_api.proxy.fail("GET", rf"{REPO}/actions/runs/{RUN_ID}/logs", 410, "Gone")
    ctx = state.context(state.event())
    with ctx.resources:
        facts = collect(ctx)
    assert facts.scans == [] and facts.logs_error
    assert [job.name for job in facts.api_jobs] == [failed_run().job_name]
