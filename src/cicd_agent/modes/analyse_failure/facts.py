"""What collection hands to the analysis: plain data, no client objects, no open files.

The logs arrive scanned (:class:`JobScan`, each read once in collect), so nothing after collect
reads the downloads, which collect deletes. The run under analysis (``RunTarget``) carries
everything publishing needs later (where to comment, which branch the failure belongs to), so
the publish step makes no reads of its own beyond finding its earlier comment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from cicd_agent.modes.analyse_failure.logs import BaselineIndex
from cicd_agent.modes.analyse_failure.logs.reader import JobScan

if TYPE_CHECKING:
    from cicd_agent.github.run_history import History
    from cicd_agent.github.trust import Trust
    from cicd_agent.job.repo_config import QuarantineEntry
    from cicd_agent.modes.analyse_failure.fix.attempt import FixAttempt


@dataclass(frozen=True)
class RunTarget:
    """The failed run: what it built, on which branch, and where it can be reported.

    ``run_id`` is None for local logs without a run (``--logs`` outside a workflow_run).
    ``comment_shas`` are the commits whose comments may already hold this failure: the head
    and the heads of the branch's failed runs since it last passed.
    """

    run_id: int | None
    attempt: int
    workflow_id: int | None
    head_sha: str
    branch: str
    event: str
    html_url: str
    default_branch: str
    pull_requests: tuple[int, ...] = ()
    pr_base_sha: str = ""
    comment_shas: tuple[str, ...] = ()
    from_fork: bool = False
    """The head commit lives in another repository: a fix is suggested, never pushed."""


def code_trust(target: RunTarget | None, read: Callable[[int], Trust] | None = None) -> Trust:
    """Whom the failed commit's code came from: the one place analyse-failure decides it.

    A fork's commit is trusted with nothing; a pull request's is what GitHub answers for it
    (``read``: the run's reader of the API, ``RunContext.trust_of``), and with no reader,
    nothing (the event names no author, let alone whether they can push); a commit pushed to a
    branch of the repository with no pull request (the default branch, a push) could only be
    put there by someone who can push. A local run (no event) judges the operator's own
    checkout."""
    from cicd_agent.github.trust import Trust  # the SDK behind it: only where a run asks

    if target is None:
        return Trust.pushed()
    if target.from_fork:
        return Trust.unknown()
    if target.pull_requests and read is not None:
        return read(target.pull_requests[0])
    if target.pull_requests or target.event.startswith("pull_request"):
        return Trust.unknown()
    return Trust.pushed()


@dataclass(frozen=True)
class ApiJob:
    """A job as the API listed it: the failed step comes from the API even without logs."""

    name: str
    conclusion: str
    failed_step: str | None
    html_url: str


@dataclass(frozen=True)
class RecentFailure:
    """A failed run of the same workflow on the default branch, with the same jobs' logs
    (scanned).

    ``recovered``: a later run on the default branch passed, so the failure came and went.
    """

    run_id: int
    html_url: str
    scans: tuple[JobScan, ...]
    recovered: bool


@dataclass(frozen=True)
class Change:
    """The change under test: changed files and the commits that made them (newest first)."""

    base: str | None
    head: str
    files: tuple[str, ...]
    commits: tuple[tuple[str, str], ...] = ()
    """``(sha, subject)`` of each commit in the range."""
    last_touch: dict[str, str] = field(default_factory=dict)
    """Changed path -> the newest commit of the range that touched it (git only)."""
    lines: dict[str, tuple[int, ...]] = field(default_factory=dict)
    """Changed path -> its added or rewritten lines at the head (git only): where a failure
    that runs through the file is blamed first."""
    source: str = "git"


@dataclass(frozen=True)
class FailureFacts:
    """Everything collected for one failed run."""

    target: RunTarget | None
    scans: list[JobScan]
    """The failed jobs' logs, each read once (:func:`~cicd_agent.modes.analyse_failure.logs.scan_jobs`)."""
    api_jobs: list[ApiJob]
    change: Change | None
    baseline: BaselineIndex | None
    other_attempt_passed: bool = False
    recent_failures: list[RecentFailure] = field(default_factory=list)
    history: History | None = None
    """Test outcomes of this run's other attempts and the job's recent default-branch runs."""
    baseline_url: str = ""
    logs_error: str = ""
    """Why the logs could not be downloaded (the run is then reported from the API alone)."""
    excerpt_path: str = ""
    """Where publish writes the log excerpt for later steps (:func:`temp_path`)."""
    patch_path: str = ""
    """Where publish writes a verified fix's patch."""
    fix: FixAttempt | None = None
    """The fix step's failing command, sandbox and the deterministic floor's verdicts (None
    when ``fix`` is off). The model's patches are the ask step's, in its answer."""
    quarantine: tuple[QuarantineEntry, ...] = ()
    """The quarantined tests of the settings file at the trusted commit."""
    log_is_proof: bool = True
    """The failed commit's code came from someone who can push (:func:`code_trust`): only
    then may its log's word on which tests failed excuse the run by a quarantine."""
    today: date = field(default_factory=lambda: datetime.now(UTC).date())
    """The day quarantine expiries are read against (set once, so decide stays pure)."""
