"""analyse-failure's wiring: one run from the event to the result a reader sees (the error line,
the failure type), and nothing to fail closed on when it cannot finish."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cicd_agent.actions.errors import ExitCode
from cicd_agent.modes.analyse_failure.mode import MODE
from tests.helpers.failed_run import ERROR_LINE, failed_run
from tests.helpers.failure_github import GitHubState


def test_a_failed_run_is_analysed_into_its_error_and_type(tmp_path: Path, github_api: Any) -> None:
    state = GitHubState(github_api, tmp_path)
    state.standard()
    ctx = state.context(state.event(), "--dry-run")
    with ctx.resources:
        result, code = MODE.run(ctx)
    outputs = result.outputs()
    assert code == ExitCode.OK
    assert outputs["failure_type"] == "test_failure"
    (job,) = json.loads(str(outputs["failed_jobs"]))
    assert (job["name"], job["failed_step"]) == (failed_run().job_name, "Run tests")
    assert "test_add_small_numbers" in str(outputs["root_cause"])
    assert ERROR_LINE.strip() in result.summary_body()


def test_a_failed_analysis_changes_no_output_a_later_job_branches_on(
    tmp_path: Path, github_api: Any
) -> None:
    state = GitHubState(github_api, tmp_path)
    assert MODE.failure_outputs(state.context(state.event())) == {}
    assert dict(MODE.fail_closed_outputs) == {}
