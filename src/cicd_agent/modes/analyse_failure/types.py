"""analyse-failure's step types: what collection hands to the analysis (plain data, no client
objects, no open files), what the run tells analyse (:class:`ExcerptFit`), the verdict and the
model's opinion (the check step's verdicts on the fix are :class:`.fix.attempt.Checks`).

The logs arrive scanned (:class:`JobScan`, each read once in collect), so nothing after collect
reads the downloads, which collect deletes. The run under analysis (``RunTarget``) carries
everything publishing needs later (where to comment, which branch the failure belongs to), so
the publish step makes no reads of its own beyond finding its earlier comment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import date

    from cicd_agent.analysis.flaky_stats import FlakyStat
    from cicd_agent.github.run_history import History
    from cicd_agent.job.repo_config import QuarantineEntry
    from cicd_agent.modes.analyse_failure.answer import FailureAnswer
    from cicd_agent.modes.analyse_failure.log_facts import FlakyTest, LogAnalysis, Recurrence
    from cicd_agent.modes.analyse_failure.logs.baseline import BaselineIndex
    from cicd_agent.modes.analyse_failure.logs.reader import JobScan
    from cicd_agent.modes.analyse_failure.quarantine import QuarantineReport


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
    workflow_path: str = ""
    """The workflow's file: the test history's key (``local.test_history.workflow_key``)."""


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
    first_line_commit: dict[str, str] = field(default_factory=dict)
    """Changed path -> the commit of the range that wrote its first line in :attr:`lines`
    (``git blame``; git only): the line a failure running through the file is blamed on."""
    source: str = "git"


@dataclass(frozen=True)
class FailureFacts:
    """Everything collected for one failed run."""

    target: RunTarget | None
    scans: list[JobScan]
    """The failed jobs' logs, each read once (``logs.analyse.scan_jobs``)."""
    api_jobs: list[ApiJob]
    change: Change | None
    baseline: BaselineIndex | None
    today: date
    """The run's day (``RunContext.today``), which quarantine expiries are read against: the
    one the settings were checked on, so decide stays pure."""
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
    checkout: Path | None = None
    """The run's checkout, whose test sources name the file of a test Surefire's summary names
    by class alone (``logs.files``); None when there is none."""
    quarantine: tuple[QuarantineEntry, ...] = ()
    """The quarantined tests of the settings file at the trusted commit."""
    code_is_proof: bool = False
    """The failed commit's code came from someone who can push (collect's ``failed_code``, judged
    by :func:`~cicd_agent.github.trust.code_trust`): only
    then may what its log says of which tests failed excuse the run, by a quarantine or as flaky
    (its history: a re-run passing, a known flaky test's failure). False unless collect says
    so, so facts built elsewhere trust no fork's log."""
    stored: tuple[FlakyStat, ...] = ()
    """The flip records of the job's tests in the test history store (its last runs on the
    default branch), read before the API's 20 runs (:mod:`cicd_agent.local.test_history`)."""
    unread: str = ""
    """Evidence of flakiness that was there but not read, and why, as a clause ("the test
    history, as GITHUB_WORKFLOW_REF is not set"); "" when nothing was left unread."""
    passed_jobs: tuple[str, ...] = ()
    """The run's jobs that passed, as the API lists them (the logs read only the failed ones);
    with local logs, the jobs whose logs show no failure. A matrix sibling among them is
    evidence of flakiness (``flakiness.sibling_passed``)."""


EXCERPT_CHARS = 8_000
"""The excerpt's size in characters when there is no model (``--provider none``)."""


@dataclass(frozen=True)
class Evidence:
    """Flakiness facts the tool established about the runs around this one (the logs alone
    cannot tell flakiness): what :mod:`.flakiness` weighs, stated to the model as numbers and
    booleans."""

    other_attempt_passed: bool = False
    intermittent_on_default_branch: int = 0
    broken_on_default_branch: int = 0
    touches_changed_files: bool = False
    flaky_tests: tuple[str, ...] = ()
    """Every test that failed here is flaky by its history (it passed on the same code in
    another attempt or default-branch run): one reason per test; empty otherwise."""

    @property
    def flaky_by_test_history(self) -> int:
        """How many failed tests are flaky by their history (what the model is told)."""
        return len(self.flaky_tests)

    @property
    def any(self) -> bool:
        """Whether there is any evidence of flakiness at all (the model's guardrail)."""
        return (
            self.other_attempt_passed
            or self.intermittent_on_default_branch > 0
            or self.flaky_by_test_history > 0
        )


@dataclass(frozen=True)
class FailureVerdict:
    """The deterministic analysis and the evidence it was judged with."""

    facts: FailureFacts
    analysis: LogAnalysis
    evidence: Evidence
    flaky_tests: list[FlakyTest]
    recurrence: Recurrence | None
    quarantine: QuarantineReport | None
    """What the repository's quarantine list says of the failed tests (None: nothing); no
    model answer changes it."""
    notes: tuple[str, ...] = ()
    """What the reader must know of how the evidence was weighed (decide passes them on)."""


@dataclass(frozen=True)
class ExcerptFit:
    """How the excerpt is fitted: to the model's budget in its tokens, or in characters
    without a model, and redacted (:func:`cicd_agent.modes.analyse_failure.mode.fit`)."""

    redact: Callable[[str], str]
    budget: int = EXCERPT_CHARS
    measure: Callable[[str], int] = len


@dataclass(frozen=True)
class FailureOpinion:
    """What the ask step produced: the model's diagnosis. The model's fix claims are judged in
    the check step, in :class:`~cicd_agent.modes.analyse_failure.fix.attempt.Checks`."""

    answer: FailureAnswer
