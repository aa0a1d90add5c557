"""The sessions the verifier drives itself (:class:`~.protocol.Sessions`): what one such run
reported, and the sandbox that runs it.

Most consumers ask a runner for one :meth:`~.protocol.Runner.run` of a
:class:`~.base.Selection` and read its :class:`~.base.TestReport`. The verifier's own loops
over Python's tests (the flaky hunt's rounds, gen-tests' gate and coverage meter) drive the
runner session by session instead: their own words on its command line, each session's report
read whole (every test's seconds, its repeated runs, the coverage data). This module holds the
types of that capability; the runner that has it implements them in its folder.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cicd_agent.runners.patched_lines import PatchedLines
from cicd_agent.sandbox import RunResult, Sandbox, Workspace


@dataclass(frozen=True)
class Outcomes:
    """What our plugin saw in one session, each pass confirmed by the in-run check."""

    tests: Mapping[str, str]
    collect_errors: tuple[str, ...]
    unresolved: tuple[str, ...]
    exitstatus: int | None = None
    coverage: bytes | None = None
    """coverage.py's serialised data of the session's process (``CoverageData.dumps()``)."""
    seconds: Mapping[str, float] = field(default_factory=dict)
    """Each test's setup, call and teardown time, as the runner measured it."""
    checks: Mapping[str, str] = field(default_factory=dict)
    """Each failed test whose own check failed (:attr:`.base.TestReport.checks`), as our
    plugin read the error: an ``AssertionError`` or ``pytest.fail`` raised in the test's file."""
    repeats: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    """Each test's passed and failed runs in the session (``--cicd-repeat``), the passes
    bounded by the in-run check's: a pass is counted only for a run of the test's own function
    the in-run check saw, each other reported run is counted failed."""

    def passed(self) -> frozenset[str]:
        return frozenset(test for test, outcome in self.tests.items() if outcome == "passed")


@dataclass(frozen=True)
class FileRun:
    """How the driven runner runs one test file as a shell command of its own, as a
    fail-to-pass claim runs its new test (:meth:`~.protocol.Sessions.file_run`)."""

    shown: str
    """The command, as a person runs it again."""
    guarded: str
    """The same command with a module of ours loaded first, before any option."""
    failed: str
    """What the run prints when a test of the file failed as a test does."""
    passed: str
    """What the run prints when its tests passed."""
    failed_status: int = 1
    """The status the run ends with when a test failed (an import or usage error has another)."""

    def failed_in(self, status: int, output: str) -> bool:
        """Whether a run that ended with ``status`` and printed ``output`` failed as a test does."""
        return status == self.failed_status and self.failed in output

    def passed_in(self, output: str) -> bool:
        return self.passed in output


@dataclass(frozen=True)
class Evidence:
    """The parsed pipe of one session: its outcomes, or why there are none to believe."""

    outcomes: Outcomes | None
    problem: str = ""
    """Why the report cannot be believed ("" when it can, or when there is none)."""


class SessionSandbox(Sandbox, ABC):
    """The sandbox every runner's runs are made in, which also starts the driven runner's
    sessions (its boot files on every run's path: the others need none of it)."""

    @abstractmethod
    def session(
        self,
        argv: Sequence[str],
        space: Workspace,
        *,
        timeout: float,
        extra_env: Mapping[str, str] | None = None,
        shared: Sequence[Path] = (),
        patched: PatchedLines | None = None,
    ) -> tuple[RunResult, Evidence]:
        """Run ``argv`` (the runner's command with our plugin loaded, or the project's suite)
        in ``space``, watched by the in-run check (its guard on ``patched``'s lines, when given),
        and read its report."""


@dataclass(frozen=True)
class Watched:
    """What the fix judge's watch saw of one run of a failed step's own command."""

    guarded: str
    """Why its guard stopped the run: a line the patch changed ran before the tests ("")."""
    loaded: bool
    """Whether a process of the run loaded the watch at all."""
    problem: str
    """Why the run's report and the watch's records do not show the failing tests run and
    passed ("" when they do, or when the guard stopped the run)."""


class StepWatch(Protocol):
    """The fix judge's watch on a failed step's own command, as written in its shell (the
    driven runner's in-run check and report, :meth:`~.protocol.Sessions.watch`), installed in
    one sandbox's own folder."""

    @property
    def module(self) -> str:
        """The name it is loaded under, chosen per sandbox (a run's output naming it says the
        runner could not load it)."""
        ...

    def environment(
        self,
        lent: Mapping[str, str],
        stream: str,
        failed_tests: Collection[str],
        test_files: Collection[str],
        changed: PatchedLines,
        *,
        folder: Path,
    ) -> dict[str, str]:
        """The variables one judged run gets on top of ``lent`` (its environment as the
        sandbox gives it): the watch loaded, its records streamed to the fd the variable
        ``stream`` names, the failing tests it watches (by name, else by file), the lines
        ``changed`` that must not run before the tests, and the report written into
        ``folder`` (a fresh folder of ours, shared with the run)."""
        ...

    def seen(
        self,
        stream: bytes,
        folder: Path,
        repo: Path,
        *,
        patched: Collection[str],
        failed_tests: Collection[str],
        test_files: Collection[str],
        script: str,
        installed: Collection[str],
    ) -> Watched:
        """What the run's records (``stream``: its evidence pipe) and its report in
        ``folder`` show of the run in the copy ``repo``: ``patched``, the files the patch
        writes; ``script``, what ran; ``installed``, the job's own installs in the copy."""
        ...

    def passing(self, folder: Path) -> int:
        """How many tests passed in the report the run wrote in ``folder`` (0: none)."""
        ...
