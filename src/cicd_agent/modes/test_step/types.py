"""The test step's step types: the facts a run gathers and the verdict they earn."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cicd_agent.job.pipeline import NOT_SHOWN
from cicd_agent.modes.test_step.dependence import Runs

if TYPE_CHECKING:
    from cicd_agent.analysis.changed_lines import Record, Touched
    from cicd_agent.analysis.flaky_stats import FlakyStat
    from cicd_agent.github.trust import Trust
    from cicd_agent.job.repo_config import QuarantineEntry


SHELL_MISSES = {126: "a command it cannot run", 127: "no such command"}
"""What exit statuses 126 and 127 say about the command (a POSIX shell's, and the sandbox's when
the step's command is not found)."""


@dataclass(frozen=True)
class Attempt:
    """One run of the step (the first) or of its failed tests (a retry)."""

    outcomes: Mapping[str, bool]
    """Test (canonical) → passed, from the run's JUnit report; skipped tests left out."""
    exit_status: int
    ran_changed: Record | None = None
    """Which tests ran a line the change touched, as the run recorded it (None: not traced)."""
    names: Mapping[str, str] = field(default_factory=dict)
    """Test (canonical) → its id as the runner prints it (pytest's ``tests/x.py::test_a``,
    jest's ``file › name``), where the run says it."""
    parents: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Test (canonical) → the tests it runs within, as its runner names them (outermost
    first: go's ``pkg.TestX`` of its subtest ``pkg.TestX/case_1``); a quarantine entry
    naming one as written covers it."""
    shared: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Test (canonical) → the ids of the runner's tests that all bear it, where more than one
    does (``tests.py::test_s::test_a`` and ``tests/test_s.py::test_a``), or its one id where
    the runner could not tie that to one test (two results bore it, or its report named
    another file than its class path's): its outcome is theirs
    together, and no quarantine entry can tell which of them it names."""
    unread: str = ""
    """Why no runner read the run's tests, as a clause ("" when one did): the command is no
    runner's cicd-agent reads (uvu, ava, a script of its own)."""
    incomplete: str = ""
    """Why some tests never reported (not collected, not built, ended by a panic), with the
    fix, as a clause ("" when all did):
    :attr:`~cicd_agent.runners.step_outcomes.StepOutcomes.incomplete`."""
    unloaded: Mapping[str, str] = field(default_factory=dict)
    """Each failed test that is a file which failed to load (as the runner names it), with the
    error line its output gave: :attr:`~cicd_agent.runners.step_outcomes.StepOutcomes.unloaded`."""
    refused: tuple[tuple[str, str], ...] = ()
    """``(test, path)``: the failed tests (as the runner names them) whose failure is a write
    to that path the sandbox refused (:func:`~.attempts.refused_writes`)."""

    @property
    def doubt(self) -> str:
        """Why this run's report is not believed ("" when it is)."""
        failed = [test for test, passed in self.outcomes.items() if not passed]
        if self.exit_status != 0 and self.incomplete:
            return self.incomplete
        if self.exit_status == 0 and failed:
            return f"it exited 0 although its report names {len(failed)} failed test(s)"
        if self.exit_status in SHELL_MISSES and not self.outcomes:
            return (
                f"it exited {self.exit_status}, the status for "
                f"{SHELL_MISSES[self.exit_status]}: install it before this step, or check "
                "its name (its own output above says which)"
            )
        if self.exit_status != 0 and not self.outcomes and self.unread:
            return (
                f"it exited {self.exit_status}, and {self.unread}: its tests were neither "
                "counted nor retried (its own output above says what failed)"
            )
        if self.exit_status != 0 and not self.outcomes:
            return (
                f"it exited {self.exit_status} before any test reported (a missing tool or "
                "package, a build that failed: its own output above says which)"
            )
        if self.exit_status != 0 and not failed:
            return f"it exited {self.exit_status} although its report names no failed test"
        return ""

    def failed(self) -> list[str]:
        return [test for test, passed in self.outcomes.items() if not passed]


@dataclass(frozen=True)
class StepVerdict:
    """What the step's runs show and whether the step passes."""

    passed: bool
    failing: tuple[str, ...] = ()
    flaky: tuple[tuple[str, str], ...] = ()
    """Each flaky test and its evidence (the runs it failed and passed in)."""
    quarantined: tuple[tuple[str, str], ...] = ()
    """Each failed test a live entry covers, and the entry's owner and expiry."""
    said: tuple[str, ...] = ()
    """One line per fact a person reads: why the step passed or failed."""
    likely_flaky: tuple[tuple[str, str], ...] = ()
    """Each first-run failure that ran no line the change touched, with that evidence
    (:mod:`cicd_agent.analysis.changed_lines`): a description, never an excuse."""
    once: tuple[str, ...] = ()
    """The failing tests no retry ran again (none was made, or its runner's selection missed
    them): they failed on their one run, and whether they are flaky is not known."""
    apart: tuple[str, ...] = ()
    """The failing tests that passed on a retry, held failing by the test history's runs,
    each of which they failed first: they depend on the tests run before them."""


@dataclass(frozen=True)
class StepFacts:
    """What the run gathered: whom the code came from, the base's quarantine, and the runs of
    the workflow's command (the first, then its retries)."""

    trust: Trust
    unsure: str
    """Why the code is not taken as proof when that is not GitHub's answer ("" when it is)."""
    quarantine: tuple[QuarantineEntry, ...]
    trusted_commit: str | None
    attempts: tuple[Attempt, ...]
    seconds: float
    """The wall time of the runs: the CI time a failure of the step costs."""
    change: Touched | None = None
    """The lines the change touched, when git could read them (which tests ran one)."""
    unread: str = ""
    """Why the change's lines could not be read ("" when they were, or there was no change)."""
    history: tuple[FlakyStat, ...] = ()
    """The flaky report of the workflow's history on the default branch, read once: the tests
    it shows flaky are classified too, and those failing every first run are never flaky."""


@dataclass(frozen=True)
class FlakyFix:
    """One flaky test's kind and the fix offered for it (:mod:`.fixer`).

    ``status``: ``verified`` where the patch is our own, held in every order, alone, and against
    a mutant of the code the test calls, on code GitHub vouches for; ``checked`` where all of it
    held that could be run but not all of that (a fork's code, no mutant to judge); ``refuted``
    where a patched test no longer caught a mutant; ``none`` where no fix is offered."""

    test: str
    kind: str
    related_test: str
    status: str
    patch: str
    runs_before: Runs
    runs_after: Runs
    evidence: str
    pr_url: str = ""
    """The draft pull request that proposes the patch (``--fix-flaky pr``), "" when none."""
    files: Mapping[str, str] = field(default_factory=dict, metadata=NOT_SHOWN)
    """The patched test file's text by its path: what a draft pull request commits."""
    patched: str = field(default="", metadata=NOT_SHOWN)
    """The test the patch fixes where it is not :attr:`test`: a subtest's row carries the fix
    of the test it runs within, which a draft pull request names ("" for :attr:`test`)."""

    @property
    def fixed_test(self) -> str:
        """The test the patch fixes: a draft pull request's title names it."""
        return self.patched or self.test
