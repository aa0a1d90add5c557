"""The test runners cicd-agent knows, one row each. A row names the object each consumer asks
(:mod:`.protocol`), or None where the runner does not serve it. Its log shape is no column: the
log reading finds it in :mod:`.shapes` without loading any runner. Adding a runner is one folder,
one row and that line (CONTRIBUTING's worked example)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

from cicd_agent.runners.cargo.runner import CargoTest
from cicd_agent.runners.go.orders import GoOrders
from cicd_agent.runners.go.runner import GoTest
from cicd_agent.runners.jest.orders import JestOrders
from cicd_agent.runners.jest.runner import Jest
from cicd_agent.runners.judge_files import LoadsByName
from cicd_agent.runners.maven.runner import MavenJUnit
from cicd_agent.runners.named_files import NamedFiles
from cicd_agent.runners.node import step as node
from cicd_agent.runners.orders import RunsInOrder
from cicd_agent.runners.protocol import (
    JudgesByMutants,
    Repeats,
    RetriesStep,
    Runner,
    TracesChanges,
    WritesTests,
)
from cicd_agent.runners.pytest import plugins
from cicd_agent.runners.pytest.orders import PytestOrders
from cicd_agent.runners.pytest.runner import Pytest
from cicd_agent.runners.pytest.sessions import PytestSessions
from cicd_agent.runners.sessions import SessionReports, Sessions, WatchesFixes
from cicd_agent.runners.vitest.runner import Vitest
from cicd_agent.sandbox import ToolMount


class Row(NamedTuple):
    """One runner: the object each consumer asks, None where the runner does not serve it."""

    runner: Runner
    """Is it used here, can it run, its run (every consumer)."""
    step: RetriesStep | None
    """The test step's run of the job's command and its retry of the failed tests."""
    repeats: Repeats | None
    """Its repeated runs, calling a test stable or flaky (gen-tests' candidates)."""
    tests: WritesTests | None
    """Where and how gen-tests writes a test of it, and whether the test asserts."""
    names: NamedFiles = NamedFiles()
    """Where its tests' dotted names lead (the owners of a flaky test)."""
    tracer: TracesChanges | None = None
    """The test step's record of which tests ran a changed line."""
    mutants: JudgesByMutants | None = None
    """How gen-tests judges a candidate by mutants where coverage is seldom had (cargo)."""
    loads: LoadsByName | None = None
    """What a failed step loads into it by name (the fix judge)."""
    mounts: Callable[[Mapping[str, str]], tuple[ToolMount, ...]] | None = None
    """The folders its toolchain needs in every sandbox, from the job's environment."""
    sessions: Sessions | None = None
    """How we start its sessions ourselves (the flaky hunt, gen-tests' gate)."""
    reports: SessionReports | None = None
    """What those sessions' words and reports say."""
    watches: WatchesFixes | None = None
    """The fix judge's guarded runs of it and its watch on a failed step's command."""
    in_order: RunsInOrder | None = None
    """How the test step's flaky-test fixer runs its tests in chosen orders."""

    @property
    def name(self) -> str:
        """The runner's name (``pytest``, ``go test``)."""
        return self.runner.name


_PYTEST, _JEST, _VITEST, _GO, _CARGO, _MAVEN = (
    Pytest(),
    Jest(),
    Vitest(),
    GoTest(),
    CargoTest(),
    MavenJUnit(),
)
_SESSIONS = PytestSessions()

TABLE: tuple[Row, ...] = (
    Row(
        _PYTEST,
        _PYTEST,
        _PYTEST,
        _PYTEST,
        names=NamedFiles(left_out=".py"),
        tracer=_PYTEST,
        loads=plugins,
        sessions=_SESSIONS,
        reports=_SESSIONS,
        watches=_SESSIONS,
        in_order=PytestOrders(),
    ),
    Row(_JEST, _JEST, _JEST, _JEST, in_order=JestOrders()),
    Row(_VITEST, _VITEST, _VITEST, _VITEST),
    Row(
        _GO,
        _GO,
        _GO,
        _GO,
        names=NamedFiles(package="*_test.go"),
        tracer=_GO,
        in_order=GoOrders(),
    ),
    Row(_CARGO, _CARGO, _CARGO, _CARGO, mutants=_CARGO, mounts=_CARGO.tool_mounts),
    Row(
        _MAVEN,
        _MAVEN,
        _MAVEN,
        _MAVEN,
        names=NamedFiles(folders=("src/test/java", "src/test/kotlin"), left_out=".java"),
    ),
)
"""Every runner, in the order a checkout is asked which it uses."""

RUNNERS: tuple[Runner, ...] = tuple(row.runner for row in TABLE)


class StepRow(NamedTuple):
    """A runner only the test step reads and retries (node's own, mocha, AVA, uvu): no judged
    run of ours, no tracer, no orders; its failed logs are read by the shapes of runners only
    read (:mod:`.logs_only`)."""

    name: str
    step: RetriesStep
    declined: Callable[[Sequence[str]], str]
    """Why a run of it is run once as written, naming the option to drop ("" when it is read,
    or is no run of it): the command chose its own reporter, or uvu's pattern."""
    tracer: TracesChanges | None = None
    in_order: RunsInOrder | None = None


STEP_ONLY: tuple[StepRow, ...] = tuple(
    StepRow(step.name, step, step.declined) for step in node.STEPS
)
"""Asked after :data:`TABLE`, by the test step alone."""


class Driven(NamedTuple):
    """The runner whose sessions our own loops over Python's tests drive (the flaky
    hunt's rounds, gen-tests' gate and coverage meter), and what those loops ask of it."""

    runner: Runner
    tests: WritesTests
    repeats: Repeats
    sessions: Sessions
    """How: the sessions are started by its :attr:`~.sessions.Sessions.sandbox`."""
    reports: SessionReports
    watches: WatchesFixes


def _driven() -> Driven:
    """The one row that names :attr:`Row.sessions`, with the answers its loops ask."""
    found = [
        Driven(row.runner, row.tests, row.repeats, row.sessions, row.reports, row.watches)
        for row in TABLE
        if row.sessions is not None
        and row.tests is not None
        and row.repeats is not None
        and row.reports is not None
        and row.watches is not None
    ]
    if len(found) != 1 or sum(row.sessions is not None for row in TABLE) != 1:
        raise LookupError(f"{len(found)} runners declare sessions we drive, not one")
    return found[0]


PYTEST = _driven()
"""pytest's row, as our own loops over Python's tests ask it (the one runner with
sessions: :func:`_driven` checks there is one)."""
PYTEST_SESSIONS = PYTEST.sessions
"""pytest's sessions, started by us (in the session sandbox:
:data:`~cicd_agent.runners.sandboxes.PYTEST_SESSION_SANDBOX`)."""
