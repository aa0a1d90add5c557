"""The result of analysing a failed run's logs: frozen dataclasses, so every rendering reads the
same facts."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cicd_agent.analysis.history import Observation


class FailureType(StrEnum):
    """Why a run failed, as one word a dashboard can group by."""

    TEST_FAILURE = "test_failure"
    BUILD_ERROR = "build_error"
    LINT_ERROR = "lint_error"
    TYPE_ERROR = "type_error"
    DEPENDENCY_ERROR = "dependency_error"
    TIMEOUT = "timeout"
    OOM = "oom"
    INFRASTRUCTURE = "infrastructure"
    FLAKY_TEST = "flaky_test"
    CONFIG_ERROR = "config_error"
    UNKNOWN = "unknown"


@dataclass(frozen=True, kw_only=True)
class FailedJob:
    """One job that failed: where it failed and how the runner ended it."""

    name: str
    failed_step: str | None
    conclusion: str
    exit_code: int | None = None
    root_cause: str = ""
    root_cause_line: int | None = None
    """Line of ``root_cause`` in the job's log (in the step's own file for a per-step zip)."""
    failure_type: FailureType = FailureType.UNKNOWN


@dataclass(frozen=True, kw_only=True)
class ResponsibleFile:
    """A source file named by a traceback or a compiler message in the failed step."""

    path: str
    lines: tuple[int, ...] = ()
    changed: bool = False
    """The file is among the change's changed files: the likeliest culprit."""
    mentions: int = 1
    from_change: bool = False
    """No log line names it: its lines are the change's, put first because the failure's lines
    name only tests (what an assertion shows) and the change wrote this source file."""
    line_changed: bool = False
    """Its first line is one the change wrote (``changed`` alone says only that the file is
    the change's: a compiler's line two below the changed one is not)."""
    frame: bool = False
    """A stack frame no file of the checkout holds (``path`` is the frame as printed, its class
    and file name): shown as the log names it, never placed as a file."""


@dataclass(frozen=True, kw_only=True)
class FailureGroup:
    """One distinct failure of the run: its first line, and how many times it was seen."""

    kind: FailureType
    line: str
    """The first line of its message, redacted."""
    count: int = 1
    infrastructure: bool = False
    """The network's or the runner's: re-running may clear it, changing the code will not."""
    test: str = ""
    """For failing tests: the first of them to fail with this message, as the runner names it
    (``line`` is then the message alone, ``count`` the tests that failed with it)."""
    untouched: bool = False
    """Every time it was seen, it named a file the change did not touch (the change known)."""
    subtests: int = 0
    """For a test pytest names only through its failed subtests: how many of them failed
    (``line`` is the first one's message)."""


@dataclass(frozen=True, kw_only=True)
class LogAnalysis:
    """Everything the deterministic analysis says about a failed run."""

    failed_jobs: tuple[FailedJob, ...]
    failure_type: FailureType
    root_cause: str
    """The best single error line, redacted; empty when no job failed."""
    error_line_numbers: tuple[int, ...]
    """Lines of the root-cause job's log that hold errors, root cause first."""
    excerpt: str
    """The redacted text that would go to the model, fitted to the budget."""
    responsible_files: tuple[ResponsibleFile, ...]
    signatures_hit: tuple[str, ...]
    fingerprint: str
    """Stable id of this failure (type and normalised root cause) to find repeats of it."""
    flaky_by_evidence: bool = False
    """Flaky by the runs around this one (:attr:`flaky_evidence` says why): the step output
    ``is_flaky`` is then ``true``, whatever the model says."""
    flaky_evidence: tuple[str, ...] = ()
    likely_flaky_evidence: tuple[str, ...] = ()
    """Shapes in this log alone that make flakiness likely (re-runs, timing, network in tests)."""
    test_evidence: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """``(failed test, why it is likely flaky)`` from that test's own report in this log: what
    a test is called flaky for, never another failed test's evidence."""
    failed_tests: tuple[str, ...] = ()
    """Tests the root-cause job's failed steps name as failed, as their runner names them."""
    test_ids: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    """``(failed test, its id, the tests it runs within)`` where the log names the test less
    fully than the test step does (go's ``--- FAIL: TestX`` under its package's ``FAIL`` line:
    ``package.TestX``): the id a quarantine entry names, and the ids whose entry covers it."""
    diff_dropped: int = 0
    """Lines of the failed steps dropped because the last green run printed them too."""
    diff_lines: int = 0
    """Lines of the failed steps compared with the green run (0: no log diff)."""
    failures: tuple[FailureGroup, ...] = ()
    """The distinct failures of the failed jobs, real ones first, infrastructure noise last
    (the first ``mixed.MAX_GROUPS`` of them)."""
    failure_groups: int = 0
    """How many distinct failures there are, shown or not."""
    failed_count: int = 0
    """Tests the failed jobs' runners name as failed: each test once per job, the runner's
    own count (0 where no runner named a test)."""
    runner_failed: int = 0
    """The root-cause job's runner's own count of failures as its closing line prints it (0:
    none read), which counts a failed subtest as one failure."""
    subtests_failed: int = 0
    """How many of ``runner_failed`` are subtests (pytest's ``SUBFAILED`` lines)."""


@dataclass(frozen=True, kw_only=True)
class FlakyTest:
    """A failed test and why it is thought flaky: ``true`` from history, ``likely`` from one log,
    ``matches`` from history but on code that cannot be trusted with the word (not excused)."""

    name: str
    verdict: str
    evidence: tuple[str, ...] = ()
    outcomes: tuple[Observation, ...] = ()
    default_branch_failures: int = 0
    """Recent default-branch runs it failed in, counted when it flipped there without a
    change to its code (what a quarantine proposal waits for)."""


@dataclass(frozen=True, kw_only=True)
class PastFailure:
    """An earlier run of the workflow that failed with the same signature."""

    run_id: int
    url: str = ""
    head_sha: str = ""


@dataclass(frozen=True, kw_only=True)
class Recurrence:
    """Earlier occurrences of this failure and, if it went away, the commit after which it did."""

    earlier: tuple[PastFailure, ...] = ()
    stopped_at_sha: str = ""
    """Head commit of the first green run after the newest earlier occurrence (candidate fix)."""
    stopped_at_run: int | None = None
    stopped_at_url: str = ""
