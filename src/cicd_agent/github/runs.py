"""Workflow runs, their jobs and steps, and their logs. A log endpoint answers 302 to a
pre-signed blob URL on another host, where the token must not travel, so the blob is fetched with
a plain ``requests`` session and streamed to disk: logs can be larger than memory should hold."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import requests
from github.Deployment import Deployment
from github.GithubException import BadAttributeException
from github.GithubObject import NotSet
from github.WorkflowJob import WorkflowJob
from github.WorkflowRun import WorkflowRun
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from cicd_agent.actions.errors import GitHubError
from cicd_agent.github.models import (
    DEPLOYMENTS_READ,
    DeploymentInfo,
    DeploymentListing,
    JobInfo,
    StepInfo,
    WorkflowRunInfo,
)

if TYPE_CHECKING:
    from cicd_agent.github.transport import Transport

_CHUNK = 1 << 20


def _run_info(run: WorkflowRun) -> WorkflowRunInfo:
    head, base = run.head_repository, run.repository  # by id: names move, forks take them
    return WorkflowRunInfo(
        id=run.id,
        name=run.name or "",
        workflow_id=run.workflow_id,
        head_sha=run.head_sha,
        head_branch=run.head_branch or "",
        event=run.event,
        status=run.status,
        conclusion=run.conclusion,
        run_attempt=run.run_attempt,
        html_url=run.html_url,
        pull_request_numbers=tuple(p.number for p in run.pull_requests),
        path=run.path or "",
        from_fork=head is None or base is None or head.id != base.id,
    )


def _job_info(job: WorkflowJob) -> JobInfo:
    return JobInfo(
        id=job.id,
        name=job.name,
        status=job.status,
        conclusion=job.conclusion,
        run_attempt=job.run_attempt or 0,
        html_url=job.html_url,
        steps=tuple(StepInfo(s.number, s.name, s.status, s.conclusion) for s in job.steps),
    )


def get_workflow_run(client: Transport, run_id: int, attempt: int = 0) -> WorkflowRunInfo:
    """The run, or one of its attempts when ``attempt`` is given (re-runs keep the run id)."""

    def fetch() -> WorkflowRunInfo:
        run = client.repository.get_workflow_run(run_id)
        return _run_info(run.get_attempt(attempt) if attempt else run)

    return client.read(f"reading workflow run {run_id}", fetch)


def rerun_failed_jobs(client: Transport, run_id: int) -> bool:
    """Ask GitHub to re-run the run's failed jobs (``actions: write``); False when the token
    may not, and the skipped write is listed."""
    done = client._guarded(
        f"re-running the failed jobs of workflow run {run_id}",
        lambda: client.repository.get_workflow_run(run_id).rerun_failed_jobs(),
    )
    return bool(done)


def list_jobs(
    client: Transport, run_id: int, attempts: Literal["latest", "all"] = "latest"
) -> list[JobInfo]:
    """Jobs of the run's latest attempt, or of every attempt (each with its ``run_attempt``:
    re-runs keep the id), with their steps."""
    of = "" if attempts == "latest" else "every attempt of "
    return client.read(
        f"listing the jobs of {of}workflow run {run_id}",
        lambda: [_job_info(j) for j in client.repository.get_workflow_run(run_id).jobs(attempts)],
    )


@dataclass(frozen=True)
class ArtifactInfo:
    id: int
    name: str
    size_in_bytes: int
    expired: bool


def list_artifacts(client: Transport, run_id: int, limit: int = 50) -> list[ArtifactInfo]:
    return client.read(
        f"listing the artifacts of workflow run {run_id}",
        lambda: [
            ArtifactInfo(item.id, item.name, item.size_in_bytes, item.expired)
            for item in islice(client.repository.get_workflow_run(run_id).get_artifacts(), limit)
        ],
    )


def download_artifact(client: Transport, artifact_id: int, dest: Path) -> Path:
    return _download(
        client,
        f"downloading artifact {artifact_id}",
        f"/actions/artifacts/{artifact_id}/zip",
        dest,
    )


def files_changed_between(client: Transport, base: str, head: str) -> frozenset[str]:
    """Paths that differ between two commits (GitHub's compare, at most its first 300 files)."""
    return client.read(
        f"comparing {base[:12]}...{head[:12]}",
        lambda: frozenset(f.filename for f in client.repository.compare(base, head).files),
    )


def list_workflow_runs(
    client: Transport,
    workflow: int | str,
    *,
    branch: str = "",
    created_since: datetime | None = None,
    status: str = "",
    limit: int = 100,
) -> list[WorkflowRunInfo]:
    """Newest first: runs of ``workflow`` (id or file name). ``branch`` keeps this repository's
    (GitHub's filter also matches a fork's branch of that name). ``created_since``
    (timezone-aware) is applied while paging: GitHub types the ``created`` query as one
    date-time."""

    def collect() -> list[WorkflowRunInfo]:
        runs = client.repository.get_workflow(workflow).get_runs(
            branch=branch or NotSet, status=status or NotSet
        )
        found: list[WorkflowRunInfo] = []
        for run in runs:
            if len(found) >= limit:
                break
            if created_since is not None and run.created_at < created_since:
                break
            info = _run_info(run)
            if not branch or not info.from_fork:
                found.append(info)
        return found

    return client.read(f"listing the runs of workflow {workflow}", collect)


def download_job_log(client: Transport, job_id: int, dest: Path) -> Path:
    return _download(
        client, f"downloading the log of job {job_id}", f"/actions/jobs/{job_id}/logs", dest
    )


def download_run_logs(client: Transport, run_id: int, dest: Path) -> Path:
    """The zip of every job's log in the run (the fallback when per-job logs are not enough)."""
    return _download(
        client,
        f"downloading the logs of workflow run {run_id}",
        f"/actions/runs/{run_id}/logs",
        dest,
    )


def _download(client: Transport, action: str, suffix: str, dest: Path) -> Path:
    location = client.redirect_location(action, f"{client.repo_path}{suffix}")
    policy = client.retry
    retry = Retry(
        total=policy.total,
        backoff_factor=policy.backoff_factor,
        backoff_max=policy.max_wait_seconds,
        status_forcelist=[429, *range(500, 600)],
        raise_on_status=False,
    )
    with requests.Session() as session:
        session.mount("https://", HTTPAdapter(max_retries=retry))
        session.mount("http://", HTTPAdapter(max_retries=retry))
        try:
            with session.get(location, stream=True, timeout=client.timeout_seconds) as response:
                if response.status_code != 200:
                    raise GitHubError(
                        f"The log store answered {response.status_code} while {action}.",
                        status=response.status_code,
                        hint="Logs expire after the repository's retention period; "
                        "re-run the job if they are gone.",
                    )
                dest.parent.mkdir(parents=True, exist_ok=True)
                partial = dest.with_name(dest.name + ".part")
                with partial.open("wb") as out:
                    for chunk in response.iter_content(_CHUNK):
                        out.write(chunk)
                partial.replace(dest)  # a broken download never looks like a complete log
        except requests.RequestException as exc:
            raise GitHubError(
                f"Could not fetch the log store's URL while {action} ({type(exc).__name__}).",
                hint="Check the runner's network; GitHub may also be down.",
            ) from exc
    return dest


COMMIT_ID = re.compile(r"[0-9a-f]{40}")


def _deployment(listed: Deployment) -> DeploymentInfo | None:
    """One entry of GitHub's deployments listing, or None when it lacks an integer id, a
    40-digit commit id or a time with its zone."""
    try:
        number, sha, made = listed.id, listed.sha, listed.created_at
    except BadAttributeException:  # a value of the wrong type, or a date that does not parse
        return None
    if type(number) is not int or not isinstance(sha, str) or not COMMIT_ID.fullmatch(sha):
        return None
    if not isinstance(made, datetime) or made.utcoffset() is None:
        return None
    return DeploymentInfo(number, sha, made)


def recent_deployments(client: Transport, environment: str) -> DeploymentListing:
    """The newest :data:`DEPLOYMENTS_READ` deployments to ``environment``, newest first."""

    def find() -> DeploymentListing:
        deployments = client.repository.get_deployments(environment=environment)
        read = [_deployment(d) for d in islice(deployments, DEPLOYMENTS_READ)]
        kept = tuple(d for d in read if d is not None)
        return DeploymentListing(kept, len(read) - len(kept))

    return client.read(f"listing the deployments to {environment}", find)
