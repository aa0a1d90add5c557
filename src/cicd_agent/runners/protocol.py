"""What each consumer asks a test runner, one small protocol per consumer; :mod:`.table` names,
for each runner, the object that answers each (None where the runner does not serve it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from cicd_agent.actions.errors import UsageError
from cicd_agent.analysis.changed_lines import Record, Touched
from cicd_agent.runners.base import Layout, Reach, Selection, TestReport
from cicd_agent.sandbox import Sandbox, Workspace


class ChecksSuggestions(Protocol):
    """What review's suggestion check asks: which tests exercise a file, and a run of them
    (:func:`~cicd_agent.runners.lookups.file_tests` picks the runner)."""

    def tests_of(self, path: str, files: Sequence[str]) -> tuple[str, ...]:
        """The test files among ``files`` (the checkout's) that exercise ``path``, nearest
        first; ``path`` itself when it is a test file."""
        ...

    def run(
        self, sandbox: Sandbox, space: Workspace, selection: Selection, *, timeout: float
    ) -> TestReport:
        """Run ``selection`` in ``space`` (a sandbox copy) and read its report."""
        ...


class Runner(ChecksSuggestions, Protocol):
    """What every consumer asks: analyse-failure's ``SandboxVerifier``, review (its part,
    :class:`ChecksSuggestions`), gen-tests."""

    name: str
    """Its name in Tools and in a report (``pytest``, ``jest``, ``go test``)."""

    suffixes: tuple[str, ...]
    """The source files its tests exercise (``.go``; ``.js``, ``.ts``…)."""

    settings: tuple[str, ...]
    """File names (glob patterns) that change how it runs or judges the tests (``go.mod``,
    ``jest.config.*``): a fix judged by it may not change them."""

    def configured(self, checkout: Path) -> bool:
        """Whether the repository in ``checkout`` uses this runner (read never following a link)."""
        ...

    def runs(self, command: str) -> bool:
        """Whether ``command`` (one line of a failed step) runs this runner's tests."""
        ...

    def missing(self, checkout: Path, environ: Mapping[str, str]) -> str:
        """Why this runner cannot run in this job ("could not run: install X before this
        step"), or "" when it can."""
        ...


class RetriesStep(Protocol):
    """What the test step asks: its run of the job's command, and the failed tests' retry."""

    @property
    def step_captures(self) -> bool:
        """Whether the test step reads this runner's outcomes from what its run prints (each
        line shown to the job through :meth:`step_shown`), else from a report written into the
        run's folder."""
        ...

    def step_command(
        self, command: Sequence[str], folder: Path, failed: Sequence[str] | None
    ) -> list[str] | None:
        """The test step's run of ``command`` (the job's test command, its words) with its
        report written into ``folder`` and, on a retry, only the tests that failed in the
        previous run (``failed``, as :meth:`step_outcomes` named them; None: the first run);
        None when ``command`` is not a run of this runner, or this runner cannot retry it (the
        step then runs once, as written)."""
        ...

    def step_outcomes(self, folder: Path, output: str, root: Path) -> dict[str, bool]:
        """Each test (its own id) the test step's run ended and whether it passed, read from
        the report in ``folder`` or from ``output`` (what it printed; ``root``: where it ran)."""
        ...

    def step_shown(self, line: str) -> str:
        """What the job's log shows of one line the step's run printed, its line end included
        (with :attr:`step_captures`)."""
        ...

    def sandboxed(self, environ: Mapping[str, str]) -> dict[str, str]:
        """What a run of it in the sandbox, whose environment is ``environ``, adds to that
        environment (jest's and vitest's node options): its judged runs' and the test step's."""
        ...

    def step_parents(self, test: str) -> tuple[str, ...]:
        """The tests ``test`` (as :meth:`step_outcomes` names it) runs within, outermost first
        (go's ``pkg.TestX`` of ``pkg.TestX/case_1``): a quarantine entry naming one covers it;
        () where the runner names no test within another."""
        ...

    def step_stopped(self, status: int, output: str) -> UsageError | None:
        """Why the step's run, which reported no test, stopped on how it was called (pytest's
        usage error: a flag or an ``addopts`` it does not know), as the error the step ends on,
        naming the fix (``status``: its exit status; ``output``: what it printed); None when
        its status says nothing of the kind."""
        ...


class PlainStep:
    """The answers to :class:`RetriesStep` of a runner with nothing of its own to say there:
    its lines shown as printed, nothing added to the sandbox's environment, no test within
    another, no usage error of its own. A runner inherits them and overrides what differs."""

    def step_shown(self, line: str) -> str:
        return f"{line}\n"

    def sandboxed(self, environ: Mapping[str, str]) -> dict[str, str]:
        return {}

    def step_parents(self, test: str) -> tuple[str, ...]:
        return ()

    def step_stopped(self, status: int, output: str) -> UsageError | None:
        return None


class TracesChanges(Protocol):
    """What the test step asks to judge a failure by the changed lines it ran."""

    def step_sees(self, path: str) -> bool:
        """Whether this runner's record of which tests ran a changed line (:meth:`step_tracer`)
        sees the lines of ``path`` run: a change to a file it does not see is never judged by
        what a failure ran (False where it keeps no such record)."""
        ...

    def step_tracer(
        self,
        command: Sequence[str],
        change: Touched,
        folder: Path,
        cwd: Path,
        environ: Mapping[str, str],
    ) -> StepTracer | None:
        """What records, for the step's run of ``command``, which tests ran a line of ``change``
        (its files under ``cwd``, where the runs work): its files written into ``folder`` (the
        step's own, seen by every run), ``environ`` the job's environment the runs get; None
        where this runner has no such record, or the change no line to trace."""
        ...


class StepTracer(Protocol):
    """A runner's record, in each run of the test step, of which tests ran a changed line."""

    @property
    def arguments(self) -> tuple[str, ...]:
        """What each run adds to its command (pytest's ``-p`` naming our tracer)."""
        ...

    def environment(self, folder: Path) -> dict[str, str]:
        """What a run whose folder is ``folder`` adds to its environment (its record goes there)."""
        ...

    def alone(self, failed: Sequence[str], folder: Path) -> dict[str, tuple[list[str], Path]]:
        """After the step's first run (its folder ``folder``), the command that runs each of its
        ``failed`` tests (as :meth:`RetriesStep.step_outcomes` named them) alone with its record,
        and that run's own folder (made here): go's coverage, which no run of many tests gives
        per test; {} where each run's own record says it (pytest's tracer)."""
        ...

    def record(self, folder: Path, alone: Mapping[str, str]) -> Record | None:
        """The record of the run whose folder is ``folder``, ids made canonical (``alone``: what
        each run of :meth:`alone` printed, by test); None when none reads as one."""
        ...


class Repeats(Protocol):
    """What the repeated runs that call a test stable or flaky ask (gen-tests' candidates)."""

    repeats: str | None
    """How it runs each selected test :attr:`Selection.repeat` times in one process (``go test
    -count=N``), for the labels that name it; None where it cannot, and each test then runs
    once: a caller says "not repeated" (only many runs in one process cheaply catch a flaky
    candidate passing its few fresh runs by chance)."""

    unshuffled: str
    """Why its runs keep the suite's order whatever a selection's seed ("" where a seed
    shuffles them), as every word on a run's order says it."""

    def unshuffled_in(self, checkout: Path) -> str:
        """Why its runs in ``checkout`` keep the suite's order whatever a selection's seed
        (:attr:`unshuffled`, or what the version the job installed lacks: jest before 29.5);
        "" where a seed shuffles them."""
        ...

    builds: tuple[str, ...]
    """What a run writes in a copy that held none of it (cargo's ``target`` folder and lock
    file): the runner's doing, never a test's."""


class WritesTests(Protocol):
    """What gen-tests asks to write and keep a test: where, how, and how it is judged."""

    declares_a_test: re.Pattern[str]
    """A line of its test files declaring a test: the flaky hunt repeats a change adding one."""

    def test_file_for(self, source: str, related: str, taken: Callable[[str], bool]) -> str:
        """A free name for a new test file of ``source`` in the repository's layout, one this
        runner runs (``related``: the existing test nearest ``source``, "" when none;
        ``taken``: whether a name is in use); "" when none is free, or gen-tests writes no
        file for this runner (its coverage is never measured, so nothing is uncovered)."""
        ...

    def test_style(self, source_text: str, related_text: str) -> str:
        """The sentence telling the model how a test for this runner is written, read from the
        changed file's text and the nearest existing test's ("" when :meth:`test_file_for` never
        names a file)."""
        ...

    def rerun_file(self, test_path: str) -> str:
        """The shell command a person runs to rerun the one test file at ``test_path`` (quoted
        for a shell), as a possible bug's finding names it."""
        ...

    def reach(self, checkout: Path) -> Callable[[str], Reach]:
        """How this runner's tests reach each changed file of ``checkout``, the layout read once."""
        ...

    def layout(self, checkout: Path) -> Layout:
        """Which of its existing tests test each source file of ``checkout`` (one walk, read
        without running anything: jest's and vitest's imports, a root ``tests/`` mirroring
        ``src/``), so a generated test goes where the repository keeps them; {} where the names
        alone say (Go's package, cargo's ``tests/``)."""
        ...

    def new_test_problem(self, checkout: Path, path: str) -> str:
        """Why gen-tests may not write a new test file at ``path`` by this runner's own rules
        (cargo's: an integration test ``tests/NAME.rs`` of the root's library, under a name no
        target takes); "" when it may. The gate's own checks (folders, settings, names taken) come
        besides."""
        ...

    def unasserted(self, checkout: Path, path: str, text: str) -> str:
        """Why gen-tests' candidate test file ``text`` (at ``path``) checks nothing, read before
        anything runs: its first test that asserts nothing and the rule it breaks ("" when
        each test asserts); ``checkout``: the untouched copy, where the tests beside it are
        read (Go's helpers of the package)."""
        ...


class JudgesByMutants(Protocol):
    """What gen-tests asks of a runner whose coverage tool a job seldom has (cargo's): a
    candidate is shown to run the change by a mutant of the changed lines it fails on, the
    whole suite run once more with it, not by coverage."""

    def code_lines(self, text: str) -> frozenset[int] | None:
        """The lines of a source file's ``text`` that are code, read without running anything:
        gen-tests' targets where this runner's coverage could not run on a suite that did
        (None: it has no such reading, so its targets are measured gaps only)."""
        ...

    def build_problem(self, report: TestReport, path: str) -> str:
        """Why a candidate test at ``path`` did not build, as ``report`` (its first run) says,
        with the build's first error ("" when it built, or the runner builds nothing)."""
        ...
