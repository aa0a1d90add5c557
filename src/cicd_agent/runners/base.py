"""The test-runner seam: how the verifier runs a repository's own tests in any language.

Every claim that tests passed (a checked suggestion, a kept generated test, a flaky or stable
verdict, the reruns of a change's own tests) is read from a :class:`TestReport` that a
:class:`TestRunner` made from one sandboxed run; nothing else reads a runner's output. A runner
is one folder of this package and one line of :data:`cicd_agent.runners.RUNNERS`. Its
:class:`TestRunner` is one small protocol per consumer, each member under the one that asks it:
:class:`Runner` (all: is it used here, can it run, its run of a :class:`Selection` into a
:class:`TestReport`), :class:`ReadsLogs` (analyse-failure), :class:`RetriesStep` (the test
step), :class:`Repeats` (runs calling a test stable or flaky), :class:`WritesTests` (gen-tests).

The witness. What the code under test writes cannot be its own verdict: each runner reads its
report from the sandbox's evidence pipe, never from a file the run could write, and believes it
only where a second channel agrees (pytest: the fix step's witness saw pytest's runner
unchanged and each passing test's own function run; ``go test -json``: the go command, not the
test binary, writes the pipe, each test ends once, the exit status agrees, our example, run
after every test, passed and go's verdict is the testing package's own word, which our
benchmark, run only once every test passed, writes to a file of its own; jest: our reporter,
loaded before any test, agrees; libtest: counts and the exit status agree and our test, added
per run, is in the list libtest writes once every test ended; JUnit reports: counts and the
exit status agree). A report that disagrees is no result at all (:attr:`TestReport.problem`),
never a pass; each runner's module says what its witness cannot see. The shuffle's seed is
recorded in the report (:attr:`TestReport.seed`) so that an order a test failed in can be
replayed. Coverage is measured with the language's own tool or is "could not run" with its
reason (:attr:`TestReport.coverage_problem`), never skipped silently.
"""

from __future__ import annotations

import posixpath
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal, Protocol

from cicd_agent.local.job_tools import Refused
from cicd_agent.runners.evidence import REPORT_NAME, read_report
from cicd_agent.runners.junit import outcomes, runner_ids
from cicd_agent.runners.named_files import NamedFiles
from cicd_agent.runners.shape import RunnerShape
from cicd_agent.runners.witnessed import PatchedLines
from cicd_agent.sandbox import Sandbox, Workspace

COUNT = r"(\d{1,12})"
"""A count or line number as every runner's reader matches it (one group): a longer run of
digits a test printed is no number there, never one Python's ``int`` refuses (past 4,300
digits it throws, and a run that ended the mode on its catch-all once)."""

TEST_FOLDERS = ("__tests__", "test", "tests")
"""The folders beside the code where a project keeps its tests (gen-tests' gate allows these
and the code's own folder), and for jest and vitest at the root, mirroring the code's folders
(:mod:`cicd_agent.runners.js.layout`)."""

Reach = Literal["tests", "own", "none"]
"""How a runner's tests reach a changed file (:meth:`TestRunner.reach`): through test files of
their own (``tests``), also through tests in the file itself (``own``: Rust's ``#[cfg(test)]``
module beside the code), or not at all (``none``: a Rust binary, example, bench or build script,
which no test of the crate imports)."""

Layout = Mapping[str, tuple[str, ...]]
"""Which existing tests of a runner test each source file, nearest first, and under :data:`ROOT`
its tests in root-level test folders (:meth:`TestRunner.layout`; its readers in
:mod:`cicd_agent.runners.layout`)."""
ROOT = ""
"""The key of a :data:`Layout`'s tests in root-level test folders (no file is named "")."""

PASSED = "passed"
"""The one outcome that is a pass; every other (``failed``, ``skipped``, ``error``, ``xfailed``,
``unwitnessed``) is not."""


@dataclass(frozen=True)
class Selection:
    """What one run runs: ``tests`` (files or ids as the runner names them, relative to the
    repository; empty: the runner's whole suite), ``seed`` (shuffle with it; None: the runner's
    own order), ``cover`` (source files whose executed lines to measure; empty: none) and
    ``changed`` (the lines a patch applied to the copy changed: pytest's witness stops a run
    in which one of them runs before the tests, and pytest, jest and vitest start no run of a
    patch its static rule refuses, :attr:`~.witnessed.PatchedLines.refused`; None: no patch)
    and ``zone`` (the run's ``TZ``,
    the flaky hunt's other time zone; "": the job's), ``repeat`` (each selected test run
    this many times in the one process, where the runner can: :attr:`TestRunner.repeats`;
    a test's outcome is then its worst) and ``noise`` (processes burning CPU and touching
    fresh memory beside a repeated run, where the runner can make them: the report says how
    many it ran beside, :attr:`TestReport.noise`)."""

    tests: tuple[str, ...] = ()
    seed: int | None = None
    cover: tuple[str, ...] = ()
    changed: PatchedLines | None = None
    zone: str = ""
    repeat: int = 1
    noise: int = 0

    @property
    def environment(self) -> dict[str, str]:
        """What the run's environment holds for this selection, every runner's the same way:
        only the variables named here, so a selection never sets one a runner relies on."""
        return {"TZ": self.zone} if self.zone else {}


@dataclass(frozen=True)
class TestReport:
    """One run's word: each test's outcome (``file › name`` or the runner's own id), or why
    there is none to believe (``problem``: a forged or unreadable report, a killed run, a
    runner that could not run). ``seed``: the order's seed, as run. ``coverage``: the executed
    lines of each file of the selection's ``cover`` (None: not measured, ``coverage_problem``
    says why); ``measured``: the lines of each such file the tool counts, run or not (its
    statements: a line in neither is no code to cover)."""

    __test__ = False  # a name pytest would otherwise collect

    runner: str
    outcomes: Mapping[str, str] = field(default_factory=dict)
    problem: str = ""
    seed: int | None = None
    coverage: Mapping[str, frozenset[int]] | None = None
    coverage_problem: str = ""
    returncode: int | None = None
    seconds: float = 0.0
    output: str = ""
    measured: Mapping[str, frozenset[int]] | None = None
    checks: Mapping[str, str] = field(default_factory=dict)
    """Each failed test whose own check failed, with where and what (``tests/x.rs:5:
    assertion failed: h == 1``): an assertion or explicit failure raised in the test's own
    file, as its runner's module reads that from its report. A failed test not named here
    stopped on an error raised elsewhere (a panic or exception inside the code under test):
    it crashed, which says nothing of what it checks (gen-tests' ``depends`` stage,
    :func:`~cicd_agent.verify.mutants.outcome`)."""
    repeats: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    """Each test's passed and failed runs where the run repeated it (:attr:`Selection.repeat`;
    its outcome is then its worst), every run held to the runner's witness; empty: once."""
    noise: int = 0
    """The noise processes that ran beside the tests (:attr:`Selection.noise`), as run."""
    crashed: tuple[str, ...] = ()
    """Tests seen crashing in a run whose report is no result (go's panic ends its test binary
    before the seam's witness): read from what the run printed, so never a pass nor a check,
    only a reason to drop a candidate (a forged one can only refuse)."""

    def passed(self) -> frozenset[str]:
        """The tests that passed, as witnessed; nothing when the report is no result."""
        if self.problem:
            return frozenset()
        return frozenset(test for test, outcome in self.outcomes.items() if outcome == PASSED)


class Runner(Protocol):
    """What every consumer asks through :mod:`cicd_agent.runners`: the verifier, review, gen-tests."""

    name: str
    """Its name in Tools and in a report (``pytest``, ``jest``, ``go test``)."""

    suffixes: tuple[str, ...]
    """The source files its tests exercise (``.go``; ``.js``, ``.ts``…)."""

    settings: tuple[str, ...]
    """File names (glob patterns) that change how it runs or judges the tests (``go.mod``,
    ``jest.config.*``): a fix judged by it may not change them."""

    def configured(self, checkout: Path) -> bool:
        """Whether the repository in ``checkout`` uses this runner (its files, read through
        :mod:`cicd_agent.local.checkout_files`, never following a link)."""
        ...

    def runs(self, command: str) -> bool:
        """Whether ``command`` (one line of a failed step) runs this runner's tests."""
        ...

    def tests_of(self, path: str, files: Sequence[str]) -> tuple[str, ...]:
        """The test files among ``files`` (the checkout's) that exercise ``path``, nearest
        first; ``path`` itself when it is a test file."""
        ...

    def missing(self, checkout: Path, environ: Mapping[str, str]) -> str:
        """Why this runner cannot run in this job ("could not run: install X before this
        step"), or "" when it can."""
        ...

    def run(
        self, sandbox: Sandbox, space: Workspace, selection: Selection, *, timeout: float
    ) -> TestReport:
        """Run ``selection`` in ``space`` (a sandbox copy) and read its report (module doc)."""
        ...


class ReadsLogs(Protocol):
    """What analyse-failure's log reading asks (:data:`cicd_agent.runners.LOG_SHAPES`)."""

    log_shape: RunnerShape
    """How its report reads in a failed job's log (its folder's ``log.py``): which lines are a
    test's, which tests failed and why
    (``modes/analyse_failure/logs/runner_reports.py``)."""


class RetriesStep(Protocol):
    """What the test step asks: its run of the job's command, and the failed tests' retry."""

    named_files: NamedFiles
    """How its tests' dotted names lead to their files (the issues of flaky tests name owners)."""

    step_captures: bool
    """Whether the test step reads this runner's outcomes from what its run prints (each line shown to the job
    through :meth:`step_shown`), else from a report written into the run's folder."""

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

    def step_arguments(
        self, command: Sequence[str], report: Path, *, failed: Sequence[str] | None
    ) -> tuple[str, ...] | None:
        """For a runner that writes a JUnit report (:class:`RunnerDefaults`' test step): what
        the step adds to ``command`` so that the run writes its report to ``report`` and, on a
        retry, runs only the tests that failed (``failed``, as its report names them; None:
        the first run); None when ``command`` is not a run of this runner, or it cannot retry so."""
        ...


class Repeats(Protocol):
    """What the repeated runs that call a test stable or flaky ask (gen-tests' candidates)."""

    repeats: str | None
    """How it runs each selected test :attr:`Selection.repeat` times in one process (``go test
    -count=N``), for the labels that name it; None where it cannot, and its run then runs
    each test once: a caller says "not repeated" (a flaky candidate passing its few fresh
    runs by chance is caught cheaply only by many runs in one process)."""

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
        """The sentence telling the model how a test for this runner is written, read from the changed file's
        text and the nearest existing test's ("" when :meth:`test_file_for` never names a file)."""
        ...

    def rerun_file(self, test_path: str) -> str:
        """The shell command a person runs to rerun the one test file at ``test_path`` (quoted
        for a shell), as a possible bug's finding names it."""
        ...

    def reach(self, checkout: Path) -> Callable[[str], Reach]:
        """How this runner's tests reach each changed file of ``checkout`` (:data:`Reach`),
        the repository's layout read once for every file asked about."""
        ...

    def code_lines(self, text: str) -> frozenset[int] | None:
        """The lines of a source file's ``text`` that are code, read without running anything:
        gen-tests' targets where this runner's coverage could not run on a suite that did
        (None: it has no such reading, so its targets are measured gaps only)."""
        ...

    judged_by: Literal["coverage", "mutants"]
    """How gen-tests shows that a candidate test of it runs the change: by the changed lines its coverage
    shows run (``coverage``), or, for a runner whose coverage tool a job seldom has, by a mutant of the
    changed lines the candidate fails on, the whole suite run once more with it (``mutants``: cargo's)."""

    def layout(self, checkout: Path) -> Layout:
        """Which of its existing tests test each source file of ``checkout`` (one walk, read
        without running anything: jest's and vitest's imports, a root ``tests/`` mirroring
        ``src/``), so a generated test goes where the repository keeps them; {} where the names
        alone say (Go's package, cargo's ``tests/``)."""
        ...

    def unasserted(self, checkout: Path, path: str, text: str) -> str:
        """Why gen-tests' candidate test file ``text`` (at ``path``) checks nothing, read before
        anything runs: its first test that asserts nothing and the rule it breaks ("" when
        each test asserts); ``checkout``: the untouched copy, where the tests beside it are
        read (Go's helpers of the package)."""
        ...

    def new_test_problem(self, checkout: Path, path: str) -> str:
        """Why gen-tests may not write a new test file at ``path`` by this runner's own rules (cargo's: an
        integration test ``tests/NAME.rs`` of the root's library, under a name no target takes); "" when it
        may. The gate's own checks (folders, settings, names taken) come besides."""
        ...

    def build_problem(self, report: TestReport, path: str) -> str:
        """Why a candidate test at ``path`` did not build, as ``report`` (its first run) says,
        with the build's first error ("" when it built, or the runner builds nothing)."""
        ...


class TestRunner(Runner, ReadsLogs, RetriesStep, Repeats, WritesTests, Protocol):
    """One test runner, every consumer's part: mypy checks each of ``RUNNERS`` against it."""


class RunnerDefaults:
    """The answers of a runner that shuffles by seed, builds nothing in a copy, is retried by
    the test step through a JUnit report (:meth:`step_arguments`; by default never), keeps its
    tests in files of their own, reads no code lines without its coverage tool, has gen-tests
    judge its candidates by coverage and reads no assertions (so refuses every candidate): a
    runner derives from it and overrides what differs."""

    name: str
    unshuffled = ""
    builds: tuple[str, ...] = ()
    step_captures = False
    named_files = NamedFiles()

    def step_arguments(
        self, command: Sequence[str], report: Path, *, failed: Sequence[str] | None
    ) -> tuple[str, ...] | None:
        return None

    def step_command(
        self, command: Sequence[str], folder: Path, failed: Sequence[str] | None
    ) -> list[str] | None:
        """``command`` and its :meth:`step_arguments`, the JUnit report into ``folder``."""
        words = self.step_arguments(command, folder / REPORT_NAME, failed=failed)
        return None if words is None else [*command, *words]

    def step_outcomes(self, folder: Path, output: str, root: Path) -> dict[str, bool]:
        """The JUnit report :meth:`step_command` named, read as a judged run's is
        (:func:`~cicd_agent.runners.evidence.read_report`: no link, FIFO or huge report), each
        test by the id the runner prints where the report names its file (pytest's node id)."""
        written = read_report(folder)
        if written is None:
            return {}
        ids = runner_ids(written)
        return {ids.get(name, name): passed for name, passed in outcomes(written).items()}

    def step_shown(self, line: str) -> str:
        return f"{line}\n"

    def sandboxed(self, environ: Mapping[str, str]) -> dict[str, str]:
        return {}

    def reach(self, checkout: Path) -> Callable[[str], Reach]:
        return lambda path: "tests"

    def code_lines(self, text: str) -> frozenset[int] | None:
        return None

    judged_by: Literal["coverage", "mutants"] = "coverage"

    def layout(self, checkout: Path) -> Layout:
        return {}

    def unasserted(self, checkout: Path, path: str, text: str) -> str:
        """Every candidate refused: without a reading of its tests' assertions, nothing shows
        that one checks anything."""
        return f"{self.name} has no reading of what its tests assert, so none is shown to check"

    def unshuffled_in(self, checkout: Path) -> str:
        return self.unshuffled

    def new_test_problem(self, checkout: Path, path: str) -> str:
        return ""

    def build_problem(self, report: TestReport, path: str) -> str:
        return ""


def could_not_run(tool: str, why: str = "") -> str:
    """The clause for a tool the job did not install."""
    return f"could not run: install {tool} before this step{f' ({why})' if why else ''}"


def unusable(found: str | Refused | None, tool: str, why: str = "") -> str:
    """Why ``found`` (:func:`job_tool`'s answer) cannot run as ``tool``; "" when it can."""
    if isinstance(found, Refused):
        return f"could not run: {found.reason}"
    return could_not_run(tool, why) if found is None else ""


def on_pipe(argv: Sequence[str], evidence_variable: str, *, stream: int = 1) -> list[str]:
    """``argv`` with its standard output (``stream`` 2: its standard error, go vet's report) on
    the run's evidence pipe (its report), everything else to the log. Our own interpreter moves
    the pipe onto that descriptor, closes the pipe's own fd and drops the variable naming it
    before it executes the tool: no process the tool starts finds the pipe but through the
    output the tool hands it. (dash takes no descriptor above 9 after
    ``>&``, and /dev/fd/N is not reopened by a run as nobody.)"""
    move = (
        f"import os, sys; fd = int(os.environ.pop(sys.argv[1])); os.dup2(fd, {stream}); "
        "os.close(fd); os.execv(sys.argv[2], sys.argv[2:])"
    )
    return [sys.executable, "-I", "-c", move, evidence_variable, *argv]


def file_word(test: str) -> str:
    """A test file as a command-line word that no runner reads as an option (``./name``)."""
    return test if test.startswith(("/", "./")) else f"./{test}"


def nearest(found: Sequence[str], path: str) -> tuple[str, ...]:
    """``found`` (test files), those sharing most folders with ``path`` first."""
    return tuple(sorted(found, key=lambda f: (-_shared(f, path), f)))


def _shared(one: str, other: str) -> int:
    """How many leading folders two paths share."""
    return len(PurePosixPath(posixpath.commonpath([posixpath.dirname(one),
                                                   posixpath.dirname(other)])).parts)  # fmt: skip
