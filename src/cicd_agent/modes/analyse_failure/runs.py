"""The GitHub reads of analyse-failure: the run, its failed jobs' logs, and the runs around it.

Every call is a method of the client the run holds: this module imports nothing of the GitHub
layer, so an offline run on local logs may import it without loading PyGithub.

Logs are downloaded per failed job (the per-job endpoint serves one plain-text file, so a
20-job matrix with one red job costs one small download); the run's zip is the fallback when a
job's log cannot be had. Everything else here is evidence, and evidence is optional: a read that
fails becomes a note, never a failed analysis.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from cicd_agent.actions.errors import GitHubError, UsageError
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.modes.analyse_failure.logs.baseline import BaselineIndex
from cicd_agent.modes.analyse_failure.logs.judge import FAILED_CONCLUSIONS
from cicd_agent.modes.analyse_failure.logs.sources import JobLog, load_logs
from cicd_agent.modes.analyse_failure.types import ApiJob, RecentFailure, RunTarget
from cicd_agent.runners.junit import outcomes_in_zip

if TYPE_CHECKING:
    from cicd_agent.github.client import GitHubClient
    from cicd_agent.github.models import JobInfo, WorkflowRunInfo
    from cicd_agent.github.run_history import History

T = TypeVar("T")
Note = Callable[[str], None]

MAX_JOB_LOGS = 10
"""Failed jobs whose logs are downloaded; a bigger red matrix nearly always fails one way."""
BRANCH_RUNS = 20
"""Recent runs of the workflow on the branch read to find the last green one."""
DEFAULT_BRANCH_RUNS = 20
"""Recent completed runs on the default branch read for flakiness evidence."""
RECENT_FAILURES_CHECKED = 3
"""Failed default-branch runs whose logs are read to compare failure signatures."""
HISTORY_DAYS = 30
_NAME_KEY = re.compile(r"[\W_]+")


def last_success(client: GitHubClient, workflow_id: int, branch: str) -> WorkflowRunInfo | None:
    found = client.workflow_runs(workflow_id, branch=branch, status="success", limit=1)
    # Checked, not trusted: a red run used as the baseline would hide the very error lines.
    return found[0] if found and found[0].conclusion == "success" else None


def failed_jobs(
    client: GitHubClient, run_id: int
) -> tuple[list[JobInfo], list[ApiJob], tuple[str, ...]]:
    """The jobs of the run's latest attempt that did not pass, with their failed step, and the
    names of those that passed."""
    listed = client.run_jobs(run_id)
    failed = [job for job in listed if job.conclusion in FAILED_CONCLUSIONS]
    passed = tuple(job.name for job in listed if job.conclusion == "success")
    described = [
        ApiJob(
            name=job.name,
            conclusion=job.conclusion or "failure",
            failed_step=next(
                (s.name for s in job.steps if s.conclusion in FAILED_CONCLUSIONS), None
            ),
            html_url=job.html_url,
        )
        for job in failed
    ]
    return failed, described, passed


def download_logs(
    client: GitHubClient, run_id: int, jobs: Sequence[JobInfo], dest: Path, note: Note
) -> list[JobLog]:
    """Logs of ``jobs`` (per-job endpoint), or the run's zip when one of them cannot be had.

    Raises GitHubError only when no log at all could be downloaded.
    """
    chosen = list(jobs[:MAX_JOB_LOGS])
    if len(jobs) > len(chosen):
        note(
            f"{len(jobs)} jobs failed; the logs of the first {len(chosen)} were analysed "
            "(a larger red matrix nearly always fails one way)."
        )
    try:
        return _job_logs(client, chosen, dest, "job")
    except GitHubError as exc:
        problem = exc
    try:
        archive = client.download_run_logs(run_id, dest / f"run-{run_id}.zip")
    except GitHubError as exc:
        raise GitHubError(
            f"The logs of workflow run {run_id} could not be downloaded: {problem.message} "
            f"The run's log archive failed too: {exc.message}",
            status=exc.status,
            hint="The token needs `actions: read`; logs also expire after the retention period.",
        ) from exc
    note(f"A job's own log could not be downloaded ({problem.message}); the run's zip was used.")
    try:
        loaded = load_logs(archive)
    except UsageError as exc:
        raise GitHubError(
            f"GitHub served a log archive that cannot be read: {exc.message}"
        ) from exc
    # The archive's logs of the chosen jobs with the API's conclusions; all of them if none match.
    conclusions = {_name_key(job.name): job.conclusion for job in chosen}
    matched = [
        JobLog(log.name, log.parts, conclusions[_name_key(log.name)])
        for log in loaded
        if _name_key(log.name) in conclusions
    ]
    return matched or loaded


def _name_key(name: str) -> str:
    """Job names as the zip spells them lose some characters (``/``, ``:``): compare the rest."""
    return _NAME_KEY.sub("", name).lower()


def _job_logs(client: GitHubClient, jobs: Iterable[JobInfo], dest: Path, kind: str) -> list[JobLog]:
    """Each job's log from the per-job endpoint, downloaded into ``dest`` as ``kind-<id>.log``."""
    return [
        JobLog.from_path(
            job.name,
            client.download_job_log(job.id, dest / f"{kind}-{job.id}.log"),
            conclusion=job.conclusion,
        )
        for job in jobs
    ]


def branch_history(
    client: GitHubClient, workflow_id: int, branch: str, run_id: int | None
) -> tuple[WorkflowRunInfo | None, list[WorkflowRunInfo]]:
    """The last green run of the workflow on ``branch`` and the red ones since (newest first)."""
    recent = client.workflow_runs(workflow_id, branch=branch, status="completed", limit=BRANCH_RUNS)
    failed: list[WorkflowRunInfo] = []
    for run in recent:
        if run.id == run_id:
            continue
        if run.conclusion == "success":
            return run, failed
        if run.conclusion in FAILED_CONCLUSIONS:
            failed.append(run)
    return last_success(client, workflow_id, branch), failed


def baseline_index(
    client: GitHubClient, run: WorkflowRunInfo, job_names: Iterable[str], dest: Path
) -> BaselineIndex | None:
    """The lines the green run's jobs of the same names printed; None when it has none of them."""
    wanted = {_name_key(name) for name in job_names}
    same = [job for job in client.run_jobs(run.id) if _name_key(job.name) in wanted]
    logs = _job_logs(client, same[:MAX_JOB_LOGS], dest, "baseline")
    return BaselineIndex.from_jobs(logs) if logs else None


def other_attempt_passed(client: GitHubClient, run_id: int, attempt: int) -> bool:
    """Whether another attempt of the run (the same commit) passed: the clearest flaky sign."""
    latest = client.workflow_run(run_id)
    if latest.run_attempt != attempt and latest.conclusion == "success":
        return True
    earlier = (client.workflow_run(run_id, n) for n in range(1, attempt))
    return any(run.conclusion == "success" for run in earlier)


def recent_default_failures(
    client: GitHubClient,
    workflow_id: int,
    default_branch: str,
    job_names: Iterable[str],
    *,
    exclude: int | None,
    dest: Path,
) -> list[RecentFailure]:
    """Recent red runs of the workflow on the default branch, with the logs of the same jobs."""
    since = datetime.now(UTC) - timedelta(days=HISTORY_DAYS)
    recent = client.workflow_runs(
        workflow_id,
        branch=default_branch,
        status="completed",
        created_since=since,
        limit=DEFAULT_BRANCH_RUNS,
    )
    wanted = {_name_key(name) for name in job_names}
    found: list[RecentFailure] = []
    passed_since = False
    for run in recent:
        if run.conclusion == "success":
            passed_since = True
            continue
        if run.id == exclude or run.conclusion not in FAILED_CONCLUSIONS:
            continue
        failed = [
            job
            for job in client.run_jobs(run.id)
            if _name_key(job.name) in wanted and job.conclusion in FAILED_CONCLUSIONS
        ]
        if logs := _job_logs(client, failed[:1], dest, "recent"):
            scans = tuple(scan_jobs(logs))  # read now: collect deletes the downloads
            found.append(RecentFailure(run.id, run.html_url, scans, passed_since))
        if len(found) >= RECENT_FAILURES_CHECKED:
            break
    return found


def test_history(
    client: GitHubClient, target: RunTarget, job_names: Sequence[str], dest: Path, note: Note
) -> History | None:
    """Test outcomes of this run's other attempts and of the job's recent default-branch runs."""

    def read_log(path: Path, name: str) -> tuple[tuple[str, ...], str]:
        scans = scan_jobs([JobLog.from_path(name, path, conclusion="failure")])
        analysis = analyse_scans(scans, budget=500)
        return analysis.failed_tests, analysis.fingerprint

    if target.run_id is None:
        return None
    reader = client.run_history(outcomes_in_zip, read_log, dest)
    history = reader.read(
        run_id=target.run_id,
        attempt=target.attempt,
        head_sha=target.head_sha,
        workflow_id=target.workflow_id,
        default_branch=target.default_branch,
        job_names=job_names,
    )
    for what in history.notes:
        note(f"Could not read {what}; the flakiness verdict goes on without it.")
    return history


def pulls_of_commit(client: GitHubClient, sha: str) -> tuple[int, ...]:
    """Open pull requests whose head is ``sha`` (a fork's run lists none in its payload)."""
    found = client.pulls_for_commit(sha)
    return tuple(p.number for p in found if p.head_sha == sha and p.state == "open")


def optional(what: str, read: Callable[[], T], fallback: T, note: Note) -> T:
    """Evidence that may be missing: a failed read becomes a note and ``fallback``."""
    try:
        return read()
    except GitHubError as exc:
        note(f"Could not read {what} ({exc.message}); the analysis goes on without it.")
        return fallback
