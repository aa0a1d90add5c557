"""gen-tests beyond Python, through the test-runner seam (:mod:`cicd_agent.runners`):
what a change to JavaScript/TypeScript (jest or vitest) or Go code leaves untested.

For each runner that exercises a changed file in this job
(:func:`~cicd_agent.runners.lookups.for_file`),
in collect's sandbox: the whole suite once, measuring the changed files with the runner's own
coverage (istanbul's map in jest's or vitest's JSON report, ``go test -coverprofile``); the
changed lines it counts as code and did not run are the gaps. Then the test files the change
adds or changes run again (:mod:`.runner_reruns`), round after round within
:data:`~.collect.PR_TESTS_BUDGET`.
Every word comes from the runner's :class:`~cicd_agent.runners.base.TestReport`
(its in-run check: a report its exit status belies is no result), never from the run's output.

A Rust crate's suite runs with no coverage tool (none is installed by us), so the change's
added lines of code are its targets, said to be no measured gap (:func:`changed_code`); a
changed file of its library (``src/``, or wherever ``[lib] path`` puts the root) is also its
own tests' file (its ``#[cfg(test)]`` module), rerun as such; a binary, example, bench or build
script is neither (no integration test reaches it, the library's tests are not its).

A model writes tests for these gaps in the ask step (:mod:`.runner_ask`); a runner the job did
not install is "could not run: install X before this step" in the warnings and the headline,
never an empty report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from cicd_agent.analysis.file_names import has_control_characters
from cicd_agent.local.checkout_files import CheckoutFileError, is_file, read_text
from cicd_agent.modes.gen_tests.not_run import could_not_run, last_words
from cicd_agent.modes.gen_tests.patch import describe_gain
from cicd_agent.modes.gen_tests.rerun_counts import Reruns
from cicd_agent.modes.gen_tests.runner_reruns import ROUNDS, rerun
from cicd_agent.modes.gen_tests.targets import SKIPPED_FOLDERS, adds_a_test
from cicd_agent.runners.base import Reach, Selection, TestReport
from cicd_agent.runners.lookups import for_file, scripted_step_runner
from cicd_agent.runners.protocol import JudgesByMutants, Repeats, Runner, WritesTests
from cicd_agent.runners.table import RUNNERS, Row
from cicd_agent.sandbox.run import Sandbox
from cicd_agent.sandbox.workspace import remove_tree

if TYPE_CHECKING:
    from cicd_agent.local.checkout import GitCheckout

_LEFT_OUT = SKIPPED_FOLDERS | {"vendor", "testdata"}


UNMEASURED = "targets are the changed lines, not measured gaps"  # coverage could not run


@dataclass(frozen=True)
class RunnerChange:
    """What a change holds for one runner: its source files with their added lines, and the
    test files it adds or changes."""

    runner: Runner
    sources: Mapping[str, frozenset[int]]
    tests: tuple[str, ...]
    writes: WritesTests
    """Where and how a test of the runner is written."""
    repeats: Repeats
    """How the runner repeats a test, and whether it keeps the suite's order."""
    mutants: JudgesByMutants | None
    """How a candidate is judged by mutants (cargo's); None: by the runner's coverage."""
    adds_tests: bool = False
    """Whether the change adds a test (:func:`~.targets.adds_a_test`): only then are the tests
    repeated in each round for its share of the budget; else each runs once a round."""

    @classmethod
    def of(
        cls,
        row: Row,
        sources: Mapping[str, frozenset[int]],
        tests: tuple[str, ...],
        adds_tests: bool = False,
    ) -> RunnerChange | None:
        """The change for the runner of ``row``; None when the runner writes no tests."""
        if row.tests is None or row.repeats is None:
            return None
        return cls(row.runner, sources, tests, row.tests, row.repeats, row.mutants, adds_tests)


@dataclass(frozen=True)
class RunnerGaps:
    """One runner's word on the change: the suite's report with the changed files' coverage,
    and the reruns of the change's own tests (None: it adds or changes none)."""

    change: RunnerChange
    suite: TestReport | None
    reruns: Reruns | None
    unmeasured: Mapping[str, frozenset[int]] = field(default_factory=dict)
    """Where the runner's coverage could not run on a suite that did (cargo without
    cargo-llvm-cov): the change's added lines that are code, the targets in place of measured
    gaps (:func:`changed_code`; empty: coverage ran, or the runner cannot tell code lines)."""

    @property
    def problem(self) -> str:
        """Why there is no coverage to read ("" when there is); with unmeasured targets, the
        :attr:`clause` and which lines they are."""
        if self.suite is None:
            return ""
        if self.clause:
            lines = "; ".join(
                f"{path}: {describe_gain(lines, ())}"
                for path, lines in sorted(self.unmeasured.items())
            )
            return f"{self.clause} ({lines})"
        if self.suite.problem:
            return self.suite.problem + last_words(self.suite.output)
        return self.suite.coverage_problem

    @property
    def clause(self) -> str:
        """Where the targets are unmeasured, what Tools and the headline say: that coverage
        could not run, what to install, and that the targets are not gaps ("" otherwise)."""
        if not self.unmeasured or self.suite is None or self.suite.problem:
            return ""
        return f"coverage {self.suite.coverage_problem}; {UNMEASURED}"

    @property
    def could_not_run(self) -> str:
        """What Tools, the headline and the gate say where the suite gave no coverage to
        read: "could not run: <why>" ("" when it did; :func:`could_not_run`)."""
        return could_not_run(self.problem)

    def rerun_order(self) -> str:
        """How the reruns of the change's tests ordered them, as the summary says it."""
        if self.change.repeats.unshuffled:
            return f"in their order ({self.change.repeats.unshuffled})"
        seed = self.reruns.seed if self.reruns is not None else 0
        return f"in their order and shuffled by turns (seeds drawn from {seed})"

    def targets(self) -> dict[str, frozenset[int]]:
        """The lines a candidate is written for: the measured gaps, else the unmeasured targets."""
        return self.uncovered() or dict(self.unmeasured)

    def uncovered(self) -> dict[str, frozenset[int]]:
        """Each changed file's added lines the runner counts as code and no test ran."""
        suite = self.suite
        if suite is None or self.problem or suite.coverage is None or suite.measured is None:
            return {}
        found = {
            path: (suite.measured.get(path, frozenset()) & lines)
            - suite.coverage.get(path, frozenset())
            for path, lines in self.change.sources.items()
        }
        return {path: lines for path, lines in found.items() if lines}

    def no_code(self) -> tuple[str, ...]:
        """The changed files the runner's coverage counts no line of (types alone, read from
        their source where its map leaves them out): no gap, not counted, named as such."""
        suite = self.suite
        if suite is None or self.problem or suite.coverage is None or suite.measured is None:
            return ()
        return tuple(sorted(path for path in self.change.sources if not suite.measured.get(path)))

    def percent(self) -> float | None:
        """Line coverage of the changed files, whole (None: not measured, or no code)."""
        ran, total = self.lines()
        return round(100.0 * ran / total, 2) if total else None

    def lines(self) -> tuple[int, int]:
        """The changed files' lines that ran and that the runner counts as code, whole files
        (0, 0: not measured)."""
        suite = self.suite
        if suite is None or self.problem or suite.coverage is None or suite.measured is None:
            return 0, 0
        paths = self.change.sources
        total = sum(len(suite.measured.get(path, ())) for path in paths)
        ran = sum(
            len(suite.coverage.get(path, frozenset()) & suite.measured.get(path, frozenset()))
            for path in paths
        )
        return ran, total


def changes(
    checkout: GitCheckout,
    base: str,
    head: str,
    environ: Mapping[str, str],
    *,
    say_unconfigured: bool = False,
) -> tuple[list[RunnerChange], list[str]]:
    """The change's files by the runner (other than pytest: Python's files are the Python
    loop's, and left out here) whose tests exercise them, and the clauses of the files no
    runner in this job can test ("could not run: install X"); with ``say_unconfigured`` (a
    change with no Python file to cover) in a JavaScript project (a ``package.json``), also of
    those no runner gen-tests drives is configured for (uvu, ava, mocha, ``node --test``); a
    Python project's stray .js file is no suite and no warning."""
    diff = checkout.diff(base, head)
    found: dict[str, tuple[Row, dict[str, frozenset[int]], list[str]]] = {}
    adding: set[str] = set()  # the runners a test of which the change adds
    clauses: list[str] = []
    reaches: dict[str, Callable[[str], Reach]] = {}  # each runner reads the layout once
    for changed in diff.files:
        path = changed.path
        if (
            changed.status == "deleted"
            or path.endswith(".py")
            or has_control_characters(path)
            or _LEFT_OUT & set(PurePosixPath(path).parts)
            or not is_file(checkout.root, path)
        ):
            continue
        # only the runners the repository configures: a stray .js or .go file is no suite
        drivers = [r for r in RUNNERS if path.endswith(r.suffixes)]
        if not any(r.configured(checkout.root) for r in drivers):
            lone = (
                _unconfigured(path, drivers, checkout.root) if say_unconfigured and drivers else ""
            )
            if lone and is_file(checkout.root, "package.json") and lone not in clauses:
                clauses.append(lone)  # a JS project's change is never "no Python files" alone
            continue
        row = for_file(path, checkout.root, environ)
        if isinstance(row, str):
            if row and row not in clauses:
                clauses.append(row)
            continue
        runner, writes = row.runner, row.tests
        if writes is None or not runner.configured(checkout.root):
            continue
        if runner.name not in reaches:
            reaches[runner.name] = writes.reach(checkout.root)
        reached = reaches[runner.name](path)
        if reached == "none":
            continue  # a binary, example, bench or build script: no test of it, none reaches it
        rust = reached == "own"  # code, and its tests' file
        _, sources, tests = found.setdefault(runner.name, (row, {}, []))
        if runner.tests_of(path, (path,)) == (path,) and (
            not rust or _has_tests(checkout.root, path)
        ):
            tests.append(path)
            if adds_a_test(changed, writes):
                adding.add(runner.name)
            if not rust:
                continue
        if lines := frozenset(number for number, _ in changed.added_lines()):
            sources[path] = lines
    changes = [
        RunnerChange.of(row, sources, tuple(tests), row.runner.name in adding)
        for row, sources, tests in found.values()
    ]
    return [change for change in changes if change is not None], clauses


def _unconfigured(path: str, drivers: Sequence[Runner], root: Path) -> str:
    """Why a changed source file was not measured: no runner gen-tests drives for its language
    is configured; the project's own runner named where ``scripts.test`` runs one the test step
    knows (a mocha user read only "jest, vitest")."""
    names = ", ".join(sorted({r.name for r in drivers}))
    kind = PurePosixPath(path).suffix or path
    said = f"no test runner gen-tests drives for the change's {kind} files ({names}) is configured"
    own = scripted_step_runner(root) if is_file(root, "package.json") else ""
    return said + (
        f"; the project tests with {own} (package.json's scripts.test), which "
        "gen-tests does not drive"
        if own
        else ""
    )


def measure(
    change: RunnerChange,
    sandbox: Sandbox,
    *,
    suite_timeout: float,
    timeout: float,
    budget: float,
    seed: int,
    rounds: int = 0,
    say: Callable[[str], None] = lambda _: None,
) -> RunnerGaps:
    """The runner's whole suite with the changed files measured (within ``suite_timeout``),
    then the reruns of the change's tests (``rounds`` of them, 0: :data:`ROUNDS`; each within
    ``timeout``, all within ``budget``; shuffled orders drawn from ``seed``), each step
    announced through ``say``."""
    suite = None
    if change.sources:
        say(f"{change.runner.name}: running the suite with the changed files measured")
        space = sandbox.workspace("runner suite")
        try:
            cover = tuple(sorted(change.sources))
            suite = change.runner.run(sandbox, space, Selection(cover=cover), timeout=suite_timeout)
        finally:
            remove_tree(space.root)
    unmeasured = changed_code(change, sandbox, suite) if suite is not None else {}
    reruns = (
        rerun(
            change.runner,
            sandbox,
            change.tests,
            repeats=change.repeats,
            timeout=timeout,
            budget=budget,
            seed=seed,
            rounds=rounds or ROUNDS,
            say=say,
            repeat=change.adds_tests,
            rerun_file=change.writes.rerun_file,
        )
        if change.tests
        else None
    )
    return RunnerGaps(change, suite, reruns, unmeasured)


def _has_tests(checkout: Path, path: str) -> bool:
    """Whether the Rust file ``path`` holds a ``#[test]`` (its own module's tests to rerun)."""
    try:
        return "#[test]" in read_text(checkout, path)
    except CheckoutFileError:
        return False


def changed_code(
    change: RunnerChange, sandbox: Sandbox, suite: TestReport
) -> dict[str, frozenset[int]]:
    """Where the runner's coverage could not run on a suite that ran, the change's added lines
    that are code (cargo's, :meth:`~cicd_agent.runners.protocol.JudgesByMutants.code_lines`),
    read in
    the sandbox's copy; {} for every other runner or report."""
    if suite.problem or suite.coverage is not None:
        return {}
    found: dict[str, frozenset[int]] = {}
    for path, lines in change.sources.items():
        try:
            text = read_text(sandbox.pristine, path)
        except CheckoutFileError:
            continue
        code = change.mutants.code_lines(text) if change.mutants is not None else None
        if code is None:
            return {}
        if code := lines & code:
            found[path] = code
    return found


def any_work(found: Sequence[RunnerChange]) -> bool:
    """Whether a runner has files to measure or tests to run again."""
    return any(change.sources or change.tests for change in found)
