"""Workflow runs, jobs and logs through PyGithub → proxy → Prism.

GitHub answers a log request with 302 to a short-lived blob URL on another host; the proxy
rewrites the (validated) redirect to a blob it serves itself, standing in for that host."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.actions.errors import GitHubError
from cicd_agent.github.client import connect
from cicd_agent.github.runs import (
    download_job_log,
    download_run_logs,
    get_workflow_run,
    list_jobs,
    list_workflow_runs,
)

JOB_LOGS = r"/repos/octocat/Hello-World/actions/jobs/\d+/logs"
RUN_LOGS = r"/repos/octocat/Hello-World/actions/runs/\d+/logs"
LOG = (
    "2026-11-20T10:00:00.0000000Z ##[group]Run pytest\n"
    "2026-11-20T10:00:03.0000000Z FAILED tests/test_app.py::test_total - assert 3 == 4\n"
    "2026-11-20T10:00:03.1000000Z ##[error]Process completed with exit code 1.\n"
)


def test_a_run_and_its_attempt_read_into_plain_data(github_api) -> None:
    client = connect(github_api.settings())
    run = get_workflow_run(client, 30433642)
    attempt = get_workflow_run(client, 30433642, attempt=2)
    assert (run.id, run.name, run.head_branch, run.event) == (30433642, "Build", "main", "push")
    assert github_api.proxy.requests[-1].api_path.endswith("/actions/runs/30433642/attempts/2")
    assert attempt.workflow_id == run.workflow_id


def test_jobs_come_with_their_steps(github_api) -> None:
    (job,) = list_jobs(connect(github_api.settings()), 30433642)
    assert (job.name, job.conclusion) == ("build", "success")
    assert [s.name for s in job.steps][:2] == ["Set up job", "Run actions/checkout@v2"]
    jobs_call = github_api.proxy.calls("GET", r".*/actions/runs/\d+/jobs")[0]
    assert jobs_call.query["filter"] == ["latest"]


def test_a_job_log_is_fetched_through_the_redirect_without_the_token(
    github_api, tmp_path: Path
) -> None:
    blob = github_api.proxy.serve("/blobs/job-399444496.txt", LOG.encode())
    github_api.proxy.script("GET", JOB_LOGS, headers={"Location": blob})

    path = download_job_log(connect(github_api.settings()), 399444496, tmp_path / "job.log")

    assert path.read_text() == LOG
    api_call, blob_call = github_api.proxy.requests
    assert api_call.upstream_status == 302  # Prism validated the log request itself
    assert "authorization" in api_call.headers
    assert blob_call.path == "/blobs/job-399444496.txt"
    assert "authorization" not in blob_call.headers


def test_the_run_logs_zip_is_the_fallback(github_api, tmp_path: Path) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("build/3_Run pytest.txt", LOG)
    blob = github_api.proxy.serve("/blobs/run-30433642.zip", archive.getvalue())
    github_api.proxy.script("GET", RUN_LOGS, headers={"Location": blob})

    path = download_run_logs(connect(github_api.settings()), 30433642, tmp_path / "logs.zip")

    with zipfile.ZipFile(path) as zf:
        assert zf.read("build/3_Run pytest.txt").decode() == LOG


def test_an_expired_log_blob_is_a_clear_error(github_api, tmp_path: Path) -> None:
    github_api.proxy.script("GET", r"/blobs/gone", status=410, body=b"expired", forward=False)
    github_api.proxy.script(
        "GET", JOB_LOGS, headers={"Location": f"{github_api.base_url}/blobs/gone"}
    )
    with pytest.raises(GitHubError, match="log store answered 410") as caught:
        download_job_log(connect(github_api.settings()), 1, tmp_path / "job.log")
    assert caught.value.status == 410


def test_a_log_request_github_refuses_is_an_error(github_api, tmp_path: Path) -> None:
    github_api.proxy.fail("GET", JOB_LOGS, 403, "Must have admin rights to Repository.")
    with pytest.raises(GitHubError) as caught:
        download_job_log(connect(github_api.settings()), 1, tmp_path / "job.log")
    assert caught.value.status == 403
    assert not (tmp_path / "job.log").exists()


def _runs_created(*days: int):
    def edit(listing: dict[str, Any]) -> dict[str, Any]:
        template = listing["workflow_runs"][0]
        ours = template["repository"]  # the run's own repository
        runs = [
            {**template, "id": 100 + day, "created_at": f"2026-11-{day:02d}T08:00:00Z",
             "head_repository": ours}
            for day in days
        ]  # fmt: skip
        return {"total_count": len(runs), "workflow_runs": runs}

    return edit


def test_runs_of_a_workflow_on_a_branch_stop_at_the_cutoff(github_api) -> None:
    github_api.proxy.script(
        "GET",
        r"/repos/octocat/Hello-World/actions/workflows/ci\.yml/runs",
        edit=_runs_created(20, 18, 15, 9, 2),
    )
    runs = list_workflow_runs(
        connect(github_api.settings()),
        "ci.yml",
        branch="main",
        status="completed",
        created_since=datetime(2026, 11, 10, tzinfo=UTC),
    )
    assert [r.id for r in runs] == [120, 118, 115]
    (call,) = github_api.proxy.requests
    assert call.query["branch"] == ["main"] and call.query["status"] == ["completed"]


def test_attack_a_forks_run_from_its_own_main_is_no_run_on_main(github_api) -> None:
    """GitHub's ``branch`` filter matches the head branch's name: a fork's pull request from
    its ``main`` is listed under ``branch=main``. Its runs are not the default branch's
    history (analyse-failure's flips and baseline, deploy-gate's failure rate)."""

    def edit(listing: dict[str, Any]) -> dict[str, Any]:
        made = _runs_created(20, 18, 15)(listing)
        fork = {
            **made["workflow_runs"][1]["head_repository"],
            "id": 1,
            "full_name": "mallory/Hello-World",
        }
        made["workflow_runs"][1] = {**made["workflow_runs"][1], "head_repository": fork,
                                    "event": "pull_request"}  # fmt: skip
        made["workflow_runs"][2] = {**made["workflow_runs"][2], "head_repository": None}
        return made

    github_api.proxy.script(
        "GET", r"/repos/octocat/Hello-World/actions/workflows/ci\.yml/runs", edit=edit
    )
    client = connect(github_api.settings())
    assert [r.id for r in list_workflow_runs(client, "ci.yml", branch="main")] == [120]
    assert [r.id for r in list_workflow_runs(client, "ci.yml")] == [120, 118, 115]


def test_attack_a_fork_named_as_the_repository_once_was_is_no_run_of_ours(github_api) -> None:
    """Attack: the repository moved (transferred to octo-org; the ``repository`` setting
    still names octocat/Hello-World, which GitHub redirects) and its old owner forked it
    under the old name. A head repository's name matched against the setting counted the
    fork's run as the branch's history and dropped every run of the repository's own; the
    run's own ``repository`` in the same answer says which head is ours, by id."""

    def edit(listing: dict[str, Any]) -> dict[str, Any]:
        made = _runs_created(20, 18, 15)(listing)
        moved = {**made["workflow_runs"][0]["repository"], "full_name": "octo-org/Hello-World"}
        fork = {**moved, "id": moved["id"] + 1, "full_name": "octocat/Hello-World"}
        heads = [moved, fork, {**moved, "full_name": "OCTO-ORG/hello-world"}]
        made["workflow_runs"] = [{**run, "repository": moved, "head_repository": head}
                                 for run, head in zip(made["workflow_runs"], heads, strict=True)]  # fmt: skip
        return made

    github_api.proxy.script(
        "GET", r"/repos/octocat/Hello-World/actions/workflows/ci\.yml/runs", edit=edit
    )
    runs = list_workflow_runs(connect(github_api.settings()), "ci.yml", branch="main")
    assert [r.id for r in runs] == [120, 115]


def test_runs_are_capped_by_the_limit(github_api) -> None:
    github_api.proxy.script(
        "GET",
        r"/repos/octocat/Hello-World/actions/workflows/\d+/runs",
        edit=_runs_created(5, 4, 3),
    )
    runs = list_workflow_runs(connect(github_api.settings()), 159038, limit=2)
    assert [r.id for r in runs] == [105, 104]
