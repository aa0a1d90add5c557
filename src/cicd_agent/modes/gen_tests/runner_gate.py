"""The gate for a candidate test in another language (jest, vitest, ``go test``), through the
test-runner seam: the same promises as Python's gate (:mod:`.gate`), read from the runner's own
:class:`~cicd_agent.verify.runners.base.TestReport` (its witness), never from the run's output.

A candidate (a new test file the model proposes for a change's uncovered lines, :mod:`.runner_gaps`)
is kept only if, in order:

1. ``path``: it is a new test file of the runner (its own naming: ``_test.go``, ``.test.ts``…)
   in the folder of a changed source file with uncovered lines (or that folder's
   ``__tests__``/``test``/``tests``; for jest and vitest also a folder holding an existing
   test of that file, as a root ``tests/`` beside ``src/``: :mod:`~.runners.js_layout`), no
   setting of the runner (``go.mod``, ``jest.config.*``,
   ``package.json``), no file the checkout already holds (nor one a file system that ignores
   case or Unicode form opens as one: the kept test is delivered there too): a candidate
   writes one test file and nothing else.
2. ``assertion``: each of its tests asserts, by a look at its words before anything runs: a Go
   ``TestX`` calls ``t.Error``/``t.Errorf``/``t.Fatal``/``t.Fatalf``/``t.Fail`` (or testify's
   ``assert``/``require``); each JavaScript ``it``/``test`` holds ``expect`` or ``assert``
   (:mod:`.js_assertions`). A test that only runs the code would add coverage and check nothing.
3. ``pass``: run alone in a fresh sandbox copy, every one of its tests passed as the runner's
   report says (a report that is no word, a killed or timed-out run is no pass), the tests
   of the suite that passed still pass, and the run changed no file of the copy but under the
   candidate's own folder (a test that rewrites the code under test or the runner's settings
   at run time is refused).
4. ``coverage_gain``: its run alone executed changed lines the suite left uncovered, by the
   runner's own coverage (before the reruns: a candidate that tests nothing new costs one run).
5. ``pass_again``: it passes :data:`RERUNS` more times, each in a fresh copy, shuffled with a
   recorded seed; where the runner cannot shuffle (jest before 29.5 has no ``--randomize``) in
   order, and the kept candidate says "not shuffled" (:attr:`RunnerVerdict.reason`).
6. ``repeat``: it passes :data:`REPEATS` more times in one process where the runner can repeat
   a test (:attr:`~cicd_agent.verify.runners.base.TestRunner.repeats`: ``go test -count=N``,
   one build), a cheap run that catches the flaky candidate its few fresh runs let through
   by chance; where it cannot (jest, vitest, cargo) the kept candidate says "not repeated".
7. ``depends``: it fails when a changed line it ran is mutated (:mod:`~cicd_agent.verify.mutants`,
   as Python's gate): one that passes on every mutant that builds checks nothing about the
   change. Where no mutant can be made or built it is kept, its reason "could not check
   dependence"; a kept one's reason names the mutant it failed on.

A candidate that ran changed lines and failed twice on the same assertion (the same first line of
its file in the runner's log), each failure witnessed (a report that is no word is no failure
either), is a possible bug (:attr:`RunnerVerdict.possible_bug`), never kept, where the code's
contract states what it asserted (:mod:`.contract_check`); without one it is dropped as
:data:`~.contract_check.NO_CONTRACT`.
Rust (``cargo test``) has stages of its own (:func:`_judge_cargo`): no coverage tool runs, so
only a mutant of the change's lines it fails on shows a candidate runs them; one that no mutant
can judge is dropped at ``dependence`` (:data:`UNCHECKED`), never kept.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from cicd_agent.analysis.file_names import folded, has_control_characters
from cicd_agent.local.checkout_files import (
    CheckoutFileError,
    checked_path,
    create_file,
    lexists,
    read_bytes,
)
from cicd_agent.modes.gen_tests.contract_check import (
    NO_CONTRACT,
    Contract,
    claims,
    find,
    names_in,
    siblings,
)
from cicd_agent.modes.gen_tests.js_assertions import js_unasserted
from cicd_agent.modes.gen_tests.runner_gaps import RunnerGaps
from cicd_agent.sandbox import Sandbox, remove_tree
from cicd_agent.verify import mutants
from cicd_agent.verify.runners import js_layout, settings_problem
from cicd_agent.verify.runners.base import PASSED, Selection, TestReport, TestRunner
from cicd_agent.verify.runners.cargo import NOT_SHUFFLED, CargoTest
from cicd_agent.verify.runners.cargo_crate import (
    first_error,
    integration_test_problem,
    unasserted_test,
)
from cicd_agent.verify.runners.jest import RANDOMIZE
from cicd_agent.verify.runners.js import JsRunner, installed

RERUNS = 2
REPEATS = 20
"""Runs of the repeat stage (:func:`_repeated`). A candidate failing a run with chance p
survives them with (1-p)**20: a coin (p = 0.5) 1 in 1,048,576 (with its pass and reruns, 1 in
8.4 million), a 10% flake 12% (with its pass and reruns, 8.9%); before the stage, the pass and
reruns let a coin through 1 time in 8 and a 10% flake 73 times in 100."""
MAX_CANDIDATE_CHARS = 60_000
MAX_FILES = 50_000
"""Entries of a copy compared before and after a run; a copy holding more is not judged."""
TEST_FOLDERS = ("", "__tests__", "test", "tests")
"""Where a candidate may sit, under a changed source's folder."""
_SETTINGS = ("package.json", "package-lock.json", "tsconfig*.json", "babel.config.*", ".babelrc*")
"""Files that change how any JavaScript runner runs, besides each runner's own settings."""

_GO_TEST = re.compile(r"^func\s+(Test\w*)\s*\(\s*\w+\s+\*testing\.T\s*\)", re.M)
_GO_CHECK = re.compile(r"\bt\.(?:Errorf?|Fatalf?|Fail(?:Now)?)\(|\b(?:assert|require)\.\w+\(")

Snapshot = dict[str, tuple[int, int, int]]


@dataclass(frozen=True)
class Candidate:
    """A test file the model proposes: its path in the repository and its text."""

    path: str
    text: str


@dataclass(frozen=True)
class RunnerVerdict:
    """The gate's word on one candidate: ``stage`` is the first it failed ("" when kept),
    ``reason`` why; ``covered``: the uncovered changed lines its run alone executed;
    ``possible_bug``: the failing assertion it repeated (a finding, never a kept test);
    ``seeds``: the shuffle seeds of its reruns, as run."""

    path: str
    stage: str
    reason: str = ""
    covered: Mapping[str, frozenset[int]] = field(default_factory=dict)
    possible_bug: str = ""
    seeds: tuple[int, ...] = ()
    runs: int = 0
    """Runs of the runner it took (0: refused before any)."""
    contracts: tuple[Contract, ...] = ()
    """Where the head's contract states what a possible bug asserted (:mod:`.contract_check`;
    never empty for one): decide names one, the first the change did not write."""

    @property
    def kept(self) -> bool:
        return not self.stage


def judge(
    gaps: RunnerGaps, candidate: Candidate, sandbox: Sandbox, *, timeout: float, seed: int
) -> RunnerVerdict:
    """Stage by stage (module doc), each run in a fresh copy within ``timeout``."""
    runner, path = gaps.change.runner, candidate.path
    if isinstance(runner, CargoTest):
        return _judge_cargo(gaps, candidate, sandbox, timeout=timeout)
    uncovered = gaps.uncovered()
    refused = _path_problem(gaps, candidate, sandbox.checkout, uncovered)
    if refused:
        return RunnerVerdict(path, "path", refused)
    idle = _unasserted(path, candidate.text)
    if idle:
        return RunnerVerdict(path, "assertion", f"{idle} asserts nothing (no failure it could "
                             "report: a Go test calls t.Errorf or t.Fatalf, a JavaScript one "
                             "expect)")  # fmt: skip
    cover = tuple(sorted(uncovered))
    first, why = _run(gaps, candidate, sandbox, Selection((path,), cover=cover), timeout)
    gained = _gained(first, uncovered) if first is not None else {}
    if why:
        if first is None or first.problem or not gained:  # a forged report is no failure either
            return RunnerVerdict(path, "pass", why, runs=1)
        again, why_again = _run(gaps, candidate, sandbox, Selection((path,), cover=cover), timeout)
        said = _assertion(first.output, path)
        if (again is None or again.problem or not said or not why_again
                or _assertion(again.output, path) != said):  # fmt: skip
            return RunnerVerdict(path, "pass", why, runs=2)
        contracts = _contracts(gaps, candidate, first.output, sandbox.checkout)
        if not contracts:
            return RunnerVerdict(path, "pass", f"{NO_CONTRACT}: {why}", runs=2)
        return RunnerVerdict(path, "pass", why, gained, possible_bug=said, runs=2,
                             contracts=contracts)  # fmt: skip
    if not gained:  # before the reruns: a candidate that tests nothing new costs one run
        return RunnerVerdict(path, "coverage_gain", f"{runner.name}'s coverage shows no "
                             "uncovered changed line run by it", runs=1)  # fmt: skip
    seeds: list[int] = []
    unshuffled = _unshuffled(runner, sandbox.checkout)
    for number in range(RERUNS):
        order = None if unshuffled else (seed + number) % 2**31 or 1
        seeds += [] if order is None else [order]
        _, why = _run(gaps, candidate, sandbox, Selection((path,), seed=order), timeout)
        if why:
            how = "in order" if order is None else f"seed {order}"
            return RunnerVerdict(path, "pass_again", f"rerun {number + 1} ({how}): {why}",
                                 seeds=tuple(seeds), runs=2 + number)  # fmt: skip
    flaky, unrepeated, runs = _repeated(gaps, candidate, sandbox, timeout)
    runs += 1 + RERUNS
    if flaky:
        return RunnerVerdict(path, "repeat", flaky, seeds=tuple(seeds), runs=runs)
    found = _depends(gaps, candidate, sandbox, gained, timeout)
    if found.depends is False:
        return RunnerVerdict(path, "depends", found.label, seeds=tuple(seeds),
                             runs=runs + found.runs)  # fmt: skip
    kept = "; ".join(filter(None, (found.label, unshuffled, unrepeated)))
    return RunnerVerdict(path, "", kept, covered=gained, seeds=tuple(seeds),
                         runs=runs + found.runs)  # fmt: skip


def _repeated(
    gaps: RunnerGaps, candidate: Candidate, sandbox: Sandbox, timeout: float
) -> tuple[str, str, int]:
    """The repeat stage: the candidate alone, :data:`REPEATS` times in one run of the runner
    (one fresh copy, one start or build). Returns why it is dropped ("" when it passed every
    repetition), the label of a candidate its runner could not repeat ("" when it ran), and
    the runs it took."""
    runner = gaps.change.runner
    if runner.repeats is None:
        return "", f"not repeated: {runner.name} cannot run a test many times in one process", 0
    alone = Selection((candidate.path,), repeat=REPEATS)
    _, why = _run(gaps, candidate, sandbox, alone, timeout)
    if why:
        return (f"fails 1 or more of {REPEATS} repeated runs in one process ({runner.repeats}; "
                f"a flaky test: a coin passes all with chance 1 in a million): {why}", "", 1)  # fmt: skip
    return "", "", 1


def _depends(
    gaps: RunnerGaps, candidate: Candidate, sandbox: Sandbox,
    gained: Mapping[str, frozenset[int]], timeout: float,
) -> mutants.Dependence:  # fmt: skip
    """Stage 6: the candidate alone, in a fresh copy, against mutants of the changed lines it
    ran (:mod:`~cicd_agent.verify.mutants`), one at a time within its timeout."""
    runner, path = gaps.change.runner, candidate.path

    def run(mutant: mutants.Mutant) -> mutants.Outcome:
        # named as its other runs: a folder named "mutant" told a test it ran a mutant (atk12)
        space = sandbox.workspace("runner candidate")
        try:
            create_file(space.repo, path, candidate.text)
            with mutants.mutated(space.repo, mutant):
                report = runner.run(sandbox, space, Selection((path,)), timeout=timeout)
        finally:
            remove_tree(space.root)
        mine = [said for test, said in report.outcomes.items() if test.split(" › ")[0] == path]
        return mutants.Outcome.NO_WORD if report.problem else mutants.outcome(mine)

    return mutants.check(mutants.of_lines(sandbox.pristine, gained), run)


def _unshuffled(runner: TestRunner, checkout: Path) -> str:
    """The label of a candidate kept by a runner that cannot shuffle (jest before 29.5): its
    reruns ran in order, each in a fresh process, and it is never called shuffled ("" when
    the runner shuffles)."""
    if not isinstance(runner, JsRunner) or not runner.cannot_shuffle(checkout):
        return ""
    version = ".".join(map(str, installed(checkout, runner.name)))
    since = ".".join(map(str, RANDOMIZE))
    return f"not shuffled: {runner.name} {version} has no --randomize ({since}+)"


def _contracts(
    gaps: RunnerGaps, candidate: Candidate, output: str, checkout: Path
) -> tuple[Contract, ...]:
    """Where the head's contract of the changed sources states what ``candidate`` asserted and
    failed on (:mod:`.contract_check`)."""
    change = gaps.change
    sources = sorted(change.sources)
    found = claims(output, candidate.path, candidate.text, names_in(checkout, sources))
    folders = [str(PurePosixPath(s).parent / sub) for s in sources for sub in TEST_FOLDERS]
    tests = siblings(checkout, folders, lambda f: change.runner.tests_of(f, (f,)) == (f,))
    return find(checkout, found, sources, tests)


def _path_problem(
    gaps: RunnerGaps, candidate: Candidate, checkout: Path, uncovered: Mapping[str, frozenset[int]]
) -> str:
    """Why ``candidate`` may not be written where it asks ("" when it may; stage 1)."""
    runner, path = gaps.change.runner, candidate.path
    if unfit := _unfit(candidate):
        return unfit
    if not uncovered:
        return f"{runner.name} measured no uncovered changed line to test"
    folder = PurePosixPath(path).parent
    allowed = {PurePosixPath(source).parent / sub for source in uncovered for sub in TEST_FOLDERS}
    allowed |= js_layout.homes(runner, checkout, uncovered)  # a root tests/ beside src/
    if folder not in allowed:
        return "outside the folders of the changed files with uncovered lines, their test " \
            "folders and the folders of their existing tests"
    settings = settings_problem(runner, (path,)) or any(
        PurePosixPath(path).match(pattern) for pattern in _SETTINGS)  # fmt: skip
    if settings:
        return f"{path} is part of {runner.name}'s settings: a candidate writes a test file only"
    if runner.tests_of(path, (path,)) != (path,):
        return f"not a test file by {runner.name}'s naming"
    if lexists(checkout, path) or _twin(checkout, PurePosixPath(path)):
        return "a file the repository already holds (under this name, a link on the way, or " \
            "one macOS and Windows open as this one)"
    return ""


def _unfit(candidate: Candidate) -> str:
    """Why ``candidate``'s path or size is none a candidate may have ("" when fit)."""
    try:
        checked_path(candidate.path)
    except CheckoutFileError as exc:
        return f"not a path in the repository ({exc.problem})"
    if has_control_characters(candidate.path) or len(candidate.text) > MAX_CANDIDATE_CHARS:
        return "a file name with control characters, or a file too long"
    return ""


def _twin(checkout: Path, path: PurePosixPath) -> bool:
    """Whether ``path``'s folder (reached without a link: :func:`lexists` said so) holds another
    name that is this one where case and Unicode form are ignored (``Calc.test.js`` beside
    ``calc.test.js``): the kept test is delivered to checkouts on such file systems too."""
    try:
        names = os.listdir(checkout / path.parent)
    except OSError:  # no such folder yet
        return False
    return any(folded(name) == folded(path.name) for name in names)


def _unasserted(path: str, text: str) -> str:
    """The first test of ``text`` that asserts nothing ("" when each does; stage 2)."""
    if not path.endswith(".go"):
        return js_unasserted(path, text)
    starts = [(found.start(), found.group(1)) for found in _GO_TEST.finditer(text)]
    if not starts:
        return "the file holds no TestX(t *testing.T) function, so it"
    ends = [start for start, _ in starts[1:]] + [len(text)]
    return next((name for (start, name), end in zip(starts, ends, strict=True)
                 if not _GO_CHECK.search(text, start, end)), "")  # fmt: skip


def _run(
    gaps: RunnerGaps, candidate: Candidate, sandbox: Sandbox, selection: Selection, timeout: float
) -> tuple[TestReport | None, str]:
    """One run of the candidate in a fresh copy: its report and why it is no pass ("" when it
    is); None when nothing ran."""
    runner, path = gaps.change.runner, candidate.path
    space = sandbox.workspace("runner candidate")
    try:
        try:
            create_file(space.repo, path, candidate.text)
        except (CheckoutFileError, OSError) as exc:
            return None, f"could not write the candidate ({exc})"
        before = _snapshot(space.repo)
        report = runner.run(sandbox, space, selection, timeout=timeout)
        if report.problem:
            return report, f"{runner.name}'s report is no word: {report.problem[:300]}"
        after = _snapshot(space.repo)
        if path in after and _holds(space.repo, path, candidate.text):  # cargo's witness put it back
            after[path] = before.get(path, after[path])
        wrote = _outside(before, after, PurePosixPath(path).parent,
                         BUILT if isinstance(runner, CargoTest) else ())  # fmt: skip
        if wrote:
            return None, f"its run changed {wrote[:200]}, outside its own folder"
        mine = {test: outcome for test, outcome in report.outcomes.items()
                if test.split(" › ")[0] == path}  # fmt: skip
        if not mine:
            return report, f"{runner.name}'s report shows none of its tests"
        failed = sorted(test for test, outcome in mine.items() if outcome != PASSED)
        if failed:
            return report, f"{len(failed)} of its {len(mine)} tests did not pass: {failed[0][:200]}"
        suite = gaps.suite.passed() if gaps.suite is not None else frozenset()
        broken = sorted(test for test in suite if report.outcomes.get(test, PASSED) != PASSED)
        if broken:
            return report, f"with it, {broken[0][:200]} no longer passes"
        return report, ""
    finally:
        remove_tree(space.root)


def _holds(repo: Path, path: str, text: str) -> bool:
    """Whether the copy's ``path`` holds ``text`` as written (not through a link)."""
    try:
        return read_bytes(repo, path) == text.encode()
    except CheckoutFileError:
        return False


def _gained(
    report: TestReport, uncovered: Mapping[str, frozenset[int]]
) -> dict[str, frozenset[int]]:
    """The uncovered changed lines ``report``'s coverage shows run."""
    ran = report.coverage or {}
    found = {file: lines & ran.get(file, frozenset()) for file, lines in uncovered.items()}
    return {file: lines for file, lines in found.items() if lines}


def _assertion(output: str, path: str) -> str:
    """The first line of the run's log naming a line of the candidate's file (Go's
    ``calc_x_test.go:12: want 1``, jest's ``at Object.<anonymous> (calc.test.js:4:20)``):
    which assertion failed, to compare between two runs."""
    where = re.compile(re.escape(PurePosixPath(path).name) + r":\d+")
    return next((line.strip()[:300] for line in output.splitlines() if where.search(line)), "")


def _snapshot(repo: Path) -> Snapshot:
    """Each entry of the copy (not entering links: ``node_modules`` is one) with its type, size
    and modification time; hidden folders included."""
    found: Snapshot = {}
    for folder, dirs, files, _ in os.fwalk(repo, follow_symlinks=False):
        for name in (*dirs, *files):
            full = os.path.join(folder, name)
            info = os.lstat(full)
            found[os.path.relpath(full, repo)] = (stat.S_IFMT(info.st_mode), info.st_size,
                                                  info.st_mtime_ns)  # fmt: skip
            if len(found) > MAX_FILES:
                return found
    return found


def _outside(
    before: Snapshot, after: Snapshot, folder: PurePosixPath, built: tuple[str, ...] = ()
) -> str:
    """A file changed, added or removed between two snapshots outside ``folder``'s new files:
    a change inside ``folder`` to a file that was there before counts too ("" when none).
    ``built``: what the runner's build writes in the copy (:data:`BUILT`), left out where the
    copy did not hold it before."""
    for name in sorted(before.keys() | after.keys()):
        if before.get(name) == after.get(name) or (
            PurePosixPath(name).parts[0] in built and PurePosixPath(name).parts[0] not in before
        ):
            continue
        entry = PurePosixPath(name)
        inside = entry == folder or folder in entry.parents
        if (name in before and before[name][0] != stat.S_IFDIR) or not inside:
            return name
    return ""


UNCHECKED = "coverage could not run and no mutant of the changed lines could be judged"
"""Why a Rust candidate that passed every stage is dropped: no stage showed it tests the change."""
UNMEASURED = "its coverage could not be measured (no coverage tool for cargo test)"
"""What a kept Rust candidate says instead of the lines it covered: the mutant it failed on is
its only evidence that it runs the change."""
BUILT = ("target", "Cargo.lock")
"""What cargo writes in a copy that held neither: its build folder and a lock file."""


def _judge_cargo(
    gaps: RunnerGaps, candidate: Candidate, sandbox: Sandbox, *, timeout: float
) -> RunnerVerdict:
    """cargo's stages: ``path`` (:func:`_cargo_path_problem`), ``assertion`` (each ``#[test]``
    fn asserts, read before anything runs), ``compiles`` (the runner builds the test target
    first, ``cargo test --no-run --test NAME``), ``pass`` (alone, in a fresh copy),
    ``pass_again`` (:data:`RERUNS` more fresh copies, in libtest's order: :data:`NOT_SHUFFLED`),
    ``repeat`` (:func:`_repeated`; libtest cannot, so a kept one says "not repeated"),
    ``suite`` (the whole suite with it: each test that passed still passes, none fails), then
    ``depends`` on the change's added lines of code (:func:`_depends`: no coverage tool runs, so
    a mutant it fails on is the only evidence it runs the change; where none can be judged it is
    dropped at ``dependence``, :data:`UNCHECKED`: never kept on nothing)."""
    path = candidate.path
    refused = _cargo_path_problem(gaps, candidate, sandbox.checkout)
    if refused:
        return RunnerVerdict(path, "path", refused)
    idle = unasserted_test(candidate.text)
    if idle:
        return RunnerVerdict(path, "assertion", f"{idle} asserts nothing (a Rust test calls "
                             "assert!, assert_eq!, assert_ne! or panic!, or is #[should_panic])")  # fmt: skip
    alone = Selection((path,))
    first, why = _run(gaps, candidate, sandbox, alone, timeout)
    if why:
        built = first is None or "did not build" not in first.problem
        return RunnerVerdict(path, "pass" if built else "compiles", why if built else
                             f"cargo test --no-run --test {PurePosixPath(path).stem} failed: "
                             f"{first_error(first.output if first else '')}", runs=1)  # fmt: skip
    for number in range(RERUNS):
        _, why = _run(gaps, candidate, sandbox, alone, timeout)
        if why:
            return RunnerVerdict(path, "pass_again", f"rerun {number + 1} in a fresh copy "
                                 f"({NOT_SHUFFLED}): {why}", runs=2 + number)  # fmt: skip
    flaky, unrepeated, runs = _repeated(gaps, candidate, sandbox, timeout)
    runs += 1 + RERUNS
    if flaky:
        return RunnerVerdict(path, "repeat", flaky, runs=runs)
    why = _suite_breaks(gaps, candidate, sandbox, timeout)
    runs += 1
    if why:
        return RunnerVerdict(path, "suite", why, runs=runs)
    found = _depends(gaps, candidate, sandbox, gaps.targets(), timeout)
    runs += found.runs
    if found.depends is None:  # no stage showed it runs the change: never kept on nothing
        return RunnerVerdict(path, "dependence", f"{UNCHECKED}: {found.label}", runs=runs)
    if found.depends is False:
        return RunnerVerdict(path, "depends", found.label, runs=runs)
    kept = "; ".join(filter(None, (found.label, NOT_SHUFFLED, unrepeated, UNMEASURED)))
    return RunnerVerdict(path, "", kept, runs=runs)


def _cargo_path_problem(gaps: RunnerGaps, candidate: Candidate, checkout: Path) -> str:
    """Why a Rust candidate may not be written where it asks ("" when it may): it is a new
    integration test, ``tests/NAME.rs`` of the library crate at the repository's root, under a
    name no target or file of the crate takes (``tests/NAME/`` and any case of it included).
    A unit test inside ``src/`` is never written: the patch would edit the code's own file."""
    path = candidate.path
    if unfit := _unfit(candidate):
        return unfit
    if not gaps.targets():
        return "cargo test has no changed line of code to test"
    if refused := integration_test_problem(checkout, path):
        return refused
    if lexists(checkout, path) or any(_twin(checkout, name) for name in (
            PurePosixPath(path), PurePosixPath(path).with_suffix(""))):  # fmt: skip
        return f"{path} is a file the crate already has (or tests/NAME/): a new name cannot clash"
    return ""


def _suite_breaks(gaps: RunnerGaps, candidate: Candidate, sandbox: Sandbox, timeout: float) -> str:
    """Why the crate's whole suite with the candidate in place is not as it was ("" when every
    test that passed without it passes and none fails): one more fresh copy."""
    space = sandbox.workspace("runner candidate suite")
    try:
        create_file(space.repo, candidate.path, candidate.text)
        report = gaps.change.runner.run(sandbox, space, Selection(), timeout=timeout)
    except (CheckoutFileError, OSError) as exc:
        return f"could not write the candidate ({exc})"
    finally:
        remove_tree(space.root)
    if report.problem:
        return f"cargo test's report of the suite with it is no word: {report.problem[:300]}"
    before = gaps.suite.passed() if gaps.suite is not None else frozenset()
    broken = sorted(test for test, outcome in report.outcomes.items()
                    if outcome == "failed" or (test in before and outcome != PASSED))  # fmt: skip
    return f"with it, {broken[0][:200]} does not pass" if broken else ""
