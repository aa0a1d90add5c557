"""The test outcomes of the runs around a failed one: its other attempts and the job's recent runs
on the default branch.

Every read costs API quota and time, so at most ``DEFAULT_RUNS`` runs are listed, ``MAX_READS``
attempts read and ``MAX_COMPARES`` compares made; a run whose job passed needs no read. Reading a
report or log is passed in (``Readers``), and the judgement is analyse-failure's."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

from cicd_agent.actions.errors import GitHubError
from cicd_agent.analysis.history import PastRun, RunTests, canonical_test
from cicd_agent.github import runs
from cicd_agent.github.models import JobInfo, WorkflowRunInfo

if TYPE_CHECKING:
    from cicd_agent.github.transport import Transport

DEFAULT_RUNS = 20
MAX_READS = 6
MAX_COMPARES = 5
MAX_ARTIFACT_BYTES = 50 * 1024 * 1024
_REPORT_NAME = re.compile(r"junit|test|report|result|surefire", re.IGNORECASE)
_NAME_KEY = re.compile(r"[\W_]+")
_FAILED = frozenset({"failure", "timed_out", "cancelled"})


@dataclass(frozen=True)
class Readers:
    """How a downloaded artifact or log becomes test outcomes (given by the mode)."""

    junit_zip: Callable[[bytes], dict[str, bool]]
    """``{canonical test: passed}`` from an artifact's zip; empty when it holds no report."""
    log: Callable[[Path, str], tuple[tuple[str, ...], str]]
    """``(failed tests, failure fingerprint)`` of a job's log file and the job's name."""


@dataclass
class History:
    """What the history reads found, and what they could not read."""

    attempts: list[RunTests] = field(default_factory=list)
    default_branch: list[RunTests] = field(default_factory=list)
    past: list[PastRun] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    changed: dict[tuple[str, str], frozenset[str] | None] = field(default_factory=dict)
    """Files changed between the commits of neighbouring default-branch runs that differ."""

    def unchanged(self, older: str, newer: str, path: str | None) -> bool | None:
        """Whether ``path`` is the same at both commits; None when it was not compared."""
        changed = self.changed.get((older, newer))
        if path is None or changed is None:
            return None
        return path not in changed


def _key(name: str) -> str:
    return _NAME_KEY.sub("", name).lower()


class HistoryReader:
    """Reads the history of one job of one run, within the bounds above."""

    def __init__(self, client: Transport, readers: Readers, dest: Path) -> None:
        self.client = client
        self.readers = readers
        self.dest = dest
        self.reads = 0
        self.compares = 0

    def read(
        self,
        *,
        run_id: int,
        attempt: int,
        head_sha: str,
        workflow_id: int | None,
        default_branch: str,
        job_names: Iterable[str],
    ) -> History:
        history = History()
        wanted = {_key(name) for name in job_names}
        try:
            history.attempts = self._attempts(run_id, attempt, head_sha, wanted)
        except GitHubError as exc:
            history.notes.append(f"the other attempts of this run ({exc.message})")
        if workflow_id is not None and default_branch:
            try:
                self._default_branch(history, run_id, workflow_id, default_branch, wanted)
            except GitHubError as exc:
                history.notes.append(f"the runs on {default_branch} ({exc.message})")
        self._compare_neighbours(history)
        return history

    def _compare_neighbours(self, history: History) -> None:
        """Compare the commits of neighbouring runs whose outcomes differ, newest first."""
        runs_newest_first = history.default_branch
        for newer, older in pairwise(runs_newest_first):
            if self.compares >= MAX_COMPARES:
                return
            same = older.all_passed == newer.all_passed and older.outcomes == newer.outcomes
            if same or not older.head_sha or not newer.head_sha:
                continue
            if older.head_sha == newer.head_sha:
                continue
            self.compares += 1
            try:
                files = runs.files_changed_between(self.client, older.head_sha, newer.head_sha)
            except GitHubError as exc:
                history.notes.append(f"a comparison of two commits ({exc.message})")
                files = None
            history.changed[(older.head_sha, newer.head_sha)] = files

    def _attempts(self, run_id: int, attempt: int, head: str, wanted: set[str]) -> list[RunTests]:
        """The job in the run's other attempts: a re-run builds the same commit (``head``)."""
        found: list[RunTests] = []
        for job in runs.list_jobs(self.client, run_id, "all"):
            if _key(job.name) not in wanted or job.run_attempt in (0, attempt):
                continue
            tests = self._job_tests(job, run_id, head)
            if tests is not None:
                found.append(tests)
        return found

    def _default_branch(
        self, history: History, run_id: int, workflow_id: int, branch: str, wanted: set[str]
    ) -> None:
        recent = runs.list_workflow_runs(
            self.client, workflow_id, branch=branch, status="completed", limit=DEFAULT_RUNS
        )
        for run in recent:
            if run.id == run_id:
                continue
            if run.conclusion == "success":
                passed = RunTests(
                    run.id,
                    run.run_attempt or 1,
                    run.head_sha,
                    branch,
                    run.html_url,
                    all_passed=True,
                )
                history.default_branch.append(passed)
                history.past.append(PastRun(run.id, "success", run.head_sha, run.html_url))
                continue
            if run.conclusion not in _FAILED:
                continue
            past = PastRun(run.id, run.conclusion or "failure", run.head_sha, run.html_url)
            if self.reads < MAX_READS:
                try:
                    tests, fingerprint = self._failed_run(run, branch, wanted)
                except GitHubError as exc:  # one unreadable run is not the whole history
                    history.notes.append(f"run {run.id} on {branch} ({exc.message})")
                    tests, fingerprint = None, None
                if tests is not None:
                    history.default_branch.append(tests)
                past = PastRun(past.run_id, past.conclusion, past.head_sha, past.url, fingerprint)
            history.past.append(past)

    def _failed_run(
        self, run: WorkflowRunInfo, branch: str, wanted: set[str]
    ) -> tuple[RunTests | None, str | None]:
        jobs = [j for j in runs.list_jobs(self.client, run.id) if _key(j.name) in wanted]
        if not jobs:
            return None, None
        job = jobs[0]
        if job.conclusion == "success":
            tests = RunTests(
                run.id, run.run_attempt or 1, run.head_sha, branch, run.html_url, all_passed=True
            )
            return tests, None
        self.reads += 1
        outcomes = self._junit(run.id)
        path = runs.download_job_log(self.client, job.id, self.dest / f"history-{job.id}.log")
        failed, fingerprint = self.readers.log(path, job.name)
        if not outcomes:
            outcomes = {canonical_test(name): False for name in failed}
        tests = RunTests(run.id, run.run_attempt or 1, run.head_sha, branch, run.html_url, outcomes)
        return tests, fingerprint

    def _job_tests(self, job: JobInfo, run_id: int, head: str) -> RunTests | None:
        """Outcomes of one earlier attempt of this run's job (``job.run_attempt``)."""
        attempt, where, url = job.run_attempt, "this run", job.html_url
        if job.conclusion == "success":
            return RunTests(run_id, attempt, head, where, url, all_passed=True)
        if job.conclusion not in _FAILED or self.reads >= MAX_READS:
            return None
        self.reads += 1
        path = runs.download_job_log(self.client, job.id, self.dest / f"attempt-{job.id}.log")
        failed, _ = self.readers.log(path, job.name)
        outcomes = {canonical_test(name): False for name in failed}
        return RunTests(run_id, attempt, head, where, url, outcomes)

    def _junit(self, run_id: int) -> dict[str, bool]:
        found: dict[str, bool] = {}
        for artifact in runs.list_artifacts(self.client, run_id):
            if artifact.expired or artifact.size_in_bytes > MAX_ARTIFACT_BYTES:
                continue
            if not _REPORT_NAME.search(artifact.name):
                continue
            try:
                path = runs.download_artifact(
                    self.client, artifact.id, self.dest / f"artifact-{artifact.id}.zip"
                )
            except GitHubError:
                continue  # an expired or unreachable report: the log still names the failures
            found.update(self.readers.junit_zip(path.read_bytes()))
            path.unlink(missing_ok=True)
        return found
