"""The gate for a candidate test in another language (jest, vitest, ``go test``), through the
test-runner seam: the same promises as Python's gate (:mod:`.gate`), read from the runner's own
:class:`~cicd_agent.runners.base.TestReport` (its in-run check), never from the run's output.

A candidate (a new test file the model proposes for a change's uncovered lines, :mod:`.runner_gaps`)
is kept only if, in order:

1. ``path``: it is a new test file of the runner (its own naming: ``_test.go``, ``.test.ts``…)
   in the folder of a changed source file with uncovered lines (or that folder's
   ``__tests__``/``test``/``tests``; for jest and vitest also a folder holding an existing
   test of that file, as a root ``tests/`` beside ``src/``: the runner's
   :meth:`~cicd_agent.runners.protocol.WritesTests.layout`), no setting of the runner (``go.mod``,
   ``jest.config.*``, ``package.json``), nothing the runner's own rule refuses
   (:meth:`~cicd_agent.runners.protocol.WritesTests.new_test_problem`: for jest and vitest a file
   ``npm test`` never runs, a manual mock, or one an import opens in place of a file it
   holds), no file the checkout already holds (nor one a file system that ignores case or
   Unicode form opens as one: the kept test is delivered there too): a candidate writes one
   test file and nothing else.
2. ``assertion``: each of its tests asserts, by a look at its words before anything runs: a Go
   ``TestX`` calls ``t.Error``/``t.Errorf``/``t.Fatal``/``t.Fatalf``/``t.Fail`` (or testify's
   ``assert``/``require``); each JavaScript ``it``/``test`` holds ``expect`` or ``assert``
   (the runner's :meth:`~cicd_agent.runners.protocol.WritesTests.unasserted`). A test that only
   runs the code would add coverage and check nothing.
3. ``pass``: run alone in a fresh sandbox copy, every one of its tests passed as the runner's
   report says (a report that is no result, a killed or timed-out run is no pass), the tests
   of the suite that passed still pass, and the run changed no file of the copy but under the
   candidate's own folder (a test that rewrites the code under test or the runner's settings
   at run time is refused).
4. ``coverage_gain``: its run alone executed changed lines the suite left uncovered, by the
   runner's own coverage (before the reruns: a candidate that tests nothing new costs one run).
5. ``same_copy``: it passes once more in the copy of its first run, whose ``HOME`` and
   ``TMPDIR`` keep what that run left (:meth:`~.candidate_runs.CandidateCopy.again`): a test
   that fails where it ran before fails a developer who runs it twice
   (:data:`~.candidate_runs.AGAIN_HERE`), and no fresh copy shows it.
   ``pass_again``: it passes :data:`RERUNS` more times, each in a fresh copy, shuffled with a
   recorded seed; where the runner cannot shuffle (jest before 29.5 has no ``--randomize``) in
   order, and the kept candidate says "not shuffled" (:attr:`RunnerVerdict.reason`).
6. ``repeat``: it passes :data:`~.candidate_runs.REPEATS` more times in one process where the
   runner can repeat a test (:attr:`~cicd_agent.runners.protocol.Repeats.repeats`:
   ``go test -count=N``, one build; cargo's binaries, built once, run again in one run; jest's tests
   defined N times in the file's run; vitest's set to repeat by their own ``repeats`` in the
   file's run), a cheap run that catches the flaky candidate its few fresh runs let through by
   chance; where it cannot the kept candidate says "not repeated".
7. ``depends``: its own check fails when a changed line it ran is mutated
   (:mod:`~cicd_agent.verify.mutants`, as Python's gate; a crash inside the code under test is
   no such failure): one that passes or crashes on every mutant that builds checks nothing about
   the change. Where no mutant can be made or built it is kept, its reason "could not check
   dependence"; a kept one's reason names the mutant it failed on and the failing check.

A candidate that ran changed lines and failed twice on the same assertion (the same first line of
its file in the runner's log), each failure seen by the in-run check (a report that is no result is
no failure either), is a possible bug (:attr:`RunnerVerdict.possible_bug`), never kept, where the
code's contract states what it asserted (:mod:`.contract_check`); without one it is dropped as
:data:`~.contract_check.NO_CONTRACT`.
A runner judged by mutants rather than coverage (``cargo test``:
:class:`~cicd_agent.runners.protocol.JudgesByMutants`) has stages of its own (:mod:`.mutant_gate`).
Each run of a candidate and its run against mutants are both gates' (:mod:`.candidate_runs`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from cicd_agent.local.checkout_files import lexists
from cicd_agent.modes.gen_tests.candidate_runs import (
    RERUNS,
    Candidate,
    CandidateCopy,
    RunnerVerdict,
    depends,
    repeated,
    run_candidate,
    twin,
    unfit,
)
from cicd_agent.modes.gen_tests.contract_check import (
    NO_CONTRACT,
    Contract,
    claims,
    find,
    names_in,
    siblings,
)
from cicd_agent.modes.gen_tests.mutant_gate import judge_by_mutants
from cicd_agent.modes.gen_tests.runner_gaps import RunnerGaps
from cicd_agent.runners import layout as test_layout
from cicd_agent.runners.base import TEST_FOLDERS, Layout, Selection, TestReport
from cicd_agent.runners.lookups import settings_problem
from cicd_agent.sandbox.run import Sandbox

__all__ = ["RERUNS", "Candidate", "RunnerVerdict", "judge"]
"""The gate as its callers take it; a candidate, its verdict and the reruns are both gates'."""

CANDIDATE_FOLDERS = ("", *TEST_FOLDERS)
"""Where a candidate may sit, under a changed source's folder: in it or its test folders."""


def judge(
    gaps: RunnerGaps,
    candidate: Candidate,
    sandbox: Sandbox,
    *,
    timeout: float,
    seed: int,
    layout: Layout | None = None,
) -> RunnerVerdict:
    """Stage by stage (module doc), each run in a fresh copy within ``timeout``; ``layout``:
    the existing tests of each file (the writer's one walk; None: walked here)."""
    runner, path = gaps.change.runner, candidate.path
    if gaps.change.mutants is not None:
        return judge_by_mutants(gaps, candidate, sandbox, gaps.change.mutants, timeout=timeout)
    uncovered = gaps.uncovered()
    if layout is None:
        layout = gaps.change.writes.layout(sandbox.pristine)
    refused = _path_problem(gaps, candidate, sandbox.checkout, uncovered, layout)
    if refused:
        return RunnerVerdict(path, "path", refused)
    idle = gaps.change.writes.unasserted(sandbox.pristine, path, candidate.text)
    if idle:
        return RunnerVerdict(path, "assertion", idle)
    cover = tuple(sorted(uncovered))
    with CandidateCopy(gaps, candidate, sandbox) as copy:
        first, why = copy.run(Selection((path,), cover=cover), timeout)
        gained = _gained(first, uncovered) if first is not None else {}
        if why:
            return _failed(
                gaps, candidate, sandbox, (first, why), gained, timeout=timeout, layout=layout
            )
        if not gained:  # before the reruns: a candidate that tests nothing new costs one run
            return RunnerVerdict(
                path,
                "coverage_gain",
                f"{runner.name}'s coverage shows no uncovered changed line run by it",
                runs=1,
            )
        left = copy.again(timeout)
    if left:
        return RunnerVerdict(path, "same_copy", left, runs=2)
    seeds: list[int] = []
    unshuffled = gaps.change.repeats.unshuffled_in(sandbox.checkout)
    for number in range(RERUNS):
        order = None if unshuffled else (seed + number) % 2**31 or 1
        seeds += [] if order is None else [order]
        _, why = run_candidate(gaps, candidate, sandbox, Selection((path,), seed=order), timeout)
        if why:
            how = "in order" if order is None else f"seed {order}"
            return RunnerVerdict(
                path,
                "pass_again",
                f"rerun {number + 1} ({how}): {why}",
                seeds=tuple(seeds),
                runs=3 + number,
            )
    flaky, unrepeated, runs = repeated(gaps, candidate, sandbox, timeout)
    runs += 2 + RERUNS
    if flaky:
        return RunnerVerdict(path, "repeat", flaky, seeds=tuple(seeds), runs=runs)
    found = depends(gaps, candidate, sandbox, gained, timeout)
    if found.depends is False:
        return RunnerVerdict(
            path, "depends", found.label, seeds=tuple(seeds), runs=runs + found.runs
        )
    kept = "; ".join(filter(None, (found.label, unshuffled, unrepeated)))
    return RunnerVerdict(path, "", kept, covered=gained, seeds=tuple(seeds), runs=runs + found.runs)


def _failed(
    gaps: RunnerGaps,
    candidate: Candidate,
    sandbox: Sandbox,
    first: tuple[TestReport | None, str],
    gained: Mapping[str, frozenset[int]],
    *,
    timeout: float,
    layout: Layout,
) -> RunnerVerdict:
    """The verdict on a candidate whose first run is no pass (``first``: its report and why):
    a possible bug where it ran changed lines and failed twice on the same assertion, each
    seen by the in-run check, and a contract states what it asserted; else dropped at ``pass``."""
    path, (report, why) = candidate.path, first
    if report is None or report.problem or not gained:  # a forged report is no failure either
        return RunnerVerdict(path, "pass", why, runs=1)
    selection = Selection((path,), cover=tuple(sorted(gaps.uncovered())))
    again, why_again = run_candidate(gaps, candidate, sandbox, selection, timeout)
    said = _assertion(report.output, path)
    if (
        again is None
        or again.problem
        or not said
        or not why_again
        or _assertion(again.output, path) != said
    ):
        return RunnerVerdict(path, "pass", why, runs=2)
    contracts = _contracts(gaps, candidate, report.output, sandbox.checkout, layout)
    if not contracts:
        return RunnerVerdict(path, "pass", f"{NO_CONTRACT}: {why}", runs=2)
    return RunnerVerdict(
        path, "pass", why, dict(gained), possible_bug=said, runs=2, contracts=contracts
    )


def _contracts(
    gaps: RunnerGaps, candidate: Candidate, output: str, checkout: Path, layout: Layout
) -> tuple[Contract, ...]:
    """Where the head's contract of the changed sources states what ``candidate`` asserted and
    failed on (:mod:`.contract_check`): their sibling tests are those in their folders and test
    folders, and the tests elsewhere that import them (``layout``: a root ``tests/``)."""
    change = gaps.change
    sources = sorted(change.sources)
    found = claims(output, candidate.path, candidate.text, names_in(checkout, sources))
    folders = [str(PurePosixPath(s).parent / sub) for s in sources for sub in CANDIDATE_FOLDERS]
    tests = siblings(checkout, folders, lambda f: change.runner.tests_of(f, (f,)) == (f,))
    tests += [test for source in sources for test in test_layout.tests_of(layout, source)]
    return find(checkout, found, sources, list(dict.fromkeys(tests)))


def _path_problem(
    gaps: RunnerGaps,
    candidate: Candidate,
    checkout: Path,
    uncovered: Mapping[str, frozenset[int]],
    layout: Layout,
) -> str:
    """Why ``candidate`` may not be written where it asks ("" when it may; stage 1): the
    runner's own rule (:meth:`~cicd_agent.runners.protocol.WritesTests.new_test_problem`) after
    the folders and its settings."""
    runner, path = gaps.change.runner, candidate.path
    if problem := unfit(candidate):
        return problem
    if not uncovered:
        return (
            f"{runner.name} coverage {gaps.could_not_run}"
            if gaps.could_not_run
            else f"{runner.name} measured no uncovered changed line to test"
        )
    folder = PurePosixPath(path).parent
    allowed = {
        PurePosixPath(source).parent / sub for source in uncovered for sub in CANDIDATE_FOLDERS
    }
    allowed |= test_layout.homes(layout, uncovered)  # a root tests/ beside src/
    if folder not in allowed:
        return (
            "outside the folders of the changed files with uncovered lines, their test "
            "folders and the folders of their existing tests"
        )
    if settings_problem(runner, (path,)):
        return f"{path} is part of {runner.name}'s settings: a candidate writes a test file only"
    if refused := gaps.change.writes.new_test_problem(checkout, path):
        return refused
    if runner.tests_of(path, (path,)) != (path,) and not test_layout.plain_test(
        runner, layout, path
    ):
        return f"not a test file by {runner.name}'s naming"
    if lexists(checkout, path) or twin(checkout, PurePosixPath(path)):
        return (
            "a file the repository already holds (under this name, a link on the way, "
            "or one macOS and Windows open as this one)"
        )
    return ""


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
