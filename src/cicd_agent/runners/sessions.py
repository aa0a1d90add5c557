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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cicd_agent.runners.in_run_records import PatchedLines
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
