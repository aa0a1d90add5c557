"""The sessions we drive ourselves (the flaky hunt, gen-tests' gate and coverage meter):
its own words on the runner's command line, and each session's report read whole (every test's
seconds, its repeated runs, the coverage data)."""

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
    fail-to-pass claim runs its new test."""

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
    """A sandbox that also starts one runner's sessions (pytest's, jest's, go's: each runner's
    own subclass), watched by that runner's in-run check; any other run is made in it as in a
    plain :class:`Sandbox`."""

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
    """The fix judge's watch on a failed step's own command, as written in its shell,
    installed in one sandbox's own folder."""

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
        """The variables one judged run gets on top of ``lent``: the watch loaded, its records
        streamed to the fd ``stream`` names, the failing tests it watches, the lines ``changed``
        that must not run before the tests, and the report written into ``folder``."""
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


class Sessions(Protocol):
    """How we start a runner's sessions ourselves, our own words on the command line."""

    sandbox: type[SessionSandbox]
    """The sandbox its sessions run in (every other runner's runs may be made in it too)."""

    plugin: tuple[str, ...]
    """The words that load our plugin into a command of the project's own (its suite)."""

    boot: Path
    """The folder of our plugin in this installation, for a command a person runs again."""

    alone: tuple[str, ...]
    """The words that start it alone where a project's test command is no run of it."""

    def own_part(self, words: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
        """A project's test command (``words``) as its sessions run it (a wrapper that only
        measures left out: its tracer would pause ours), and the words of that which start it
        alone, to run chosen files the same way; None when ``words`` do not run it."""
        ...

    def selecting(self, space: Workspace, tests: Sequence[str]) -> list[str]:
        """The arguments that run ``tests`` (files or ids) alone in ``space``, no id on the
        command line."""
        ...

    def repeated(self, words: Sequence[str], times: int) -> list[str]: ...

    def varied(
        self,
        *,
        shuffle: int | None = None,
        noise: int = 0,
        repeat: int = 1,
        repeat_for: float = 0.0,
    ) -> list[str]:
        """The arguments that run a session's tests in the order the seed ``shuffle`` draws
        (None: as written), beside ``noise`` CPU and memory noise processes, each test
        ``repeat`` times, no repetition starting past ``repeat_for`` seconds (0: no bound)."""
        ...


class SessionReports(Protocol):
    """What a driven session's words and report say, for those who read them."""

    def collecting(self, path: str) -> list[str]:
        """The arguments of a session that imports and collects the test file ``path`` and
        runs none of its tests, its report naming the imports that do not resolve."""
        ...

    def replay(self, environment: Mapping[str, str], words: Sequence[str], target: str) -> str:
        """The shell command a person runs in the checkout, with the project's own toolchain
        and our plugin from this installation, to run ``target`` again with ``words`` (of
        :meth:`varied`) under ``environment``."""
        ...

    def why_no_result(self, result: RunResult, evidence: Evidence) -> str:
        """Why a session's report says nothing to believe ("" when it does)."""
        ...

    def never_ran(self, outcomes: Outcomes, lines: Sequence[str], said: Sequence[str]) -> str:
        """Why a project's suite, run as a session that reported ``outcomes``, ran none of its
        tests, in the runner's own words ("" when it ran them, or failed as a suite does):
        ``lines``, what it printed; ``said``, those of them saying a program, a module or the
        command's own words could not be found."""
        ...


@dataclass(frozen=True)
class SharedSettings:
    """A runner's part of the files other tools share (``pyproject.toml``, ``setup.cfg``,
    ``tox.ini``), which the fix judge compares parsed before and after a patch: a legitimate fix
    may change the rest, never this part."""

    tables: tuple[str, ...]
    """``pyproject.toml``'s ``[tool.*]`` tables that are the runner's."""
    sections: tuple[str, ...]
    """``setup.cfg``'s and ``tox.ini``'s sections that are the runner's, by name."""
    section_prefix: str
    """The start of the name of the sections that are the runner's too."""
    toml_said: str
    """The tables as a changed part is named to a reader."""
    cfg_said: str
    """The sections as a changed part is named to a reader."""


class WatchesFixes(Protocol):
    """What the fix judge asks of the driven runner: a test file's guarded run, the guard that
    ends a test reading code, and its watch on a failed step's own command."""

    @property
    def shared_settings(self) -> SharedSettings:
        """Its part of the settings files other tools share."""
        ...

    def file_run(self, path: str, first: str) -> FileRun:
        """How one test file ``path`` runs as a shell command, ``first`` the module of ours
        its guarded form loads before anything else."""
        ...

    def reads_code_guard(self) -> str:
        """The source of the plugin that ends a run as soon as the test's own code reaches a
        code object or a frame (the fix's compiled code read, not run): a fail-to-pass claim's
        guard, written by the judge under a name of its own."""
        ...

    def watch(self, root: Path) -> StepWatch:
        """The fix judge's watch on a failed step's own command, written into ``root`` (a
        sandbox's own folder, read-only inside) under a fresh name."""
        ...
