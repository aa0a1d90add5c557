"""The runner gate's stages for a runner judged by mutants rather than coverage
(:class:`~cicd_agent.runners.protocol.JudgesByMutants`: ``cargo test``), through the same
candidate runs (:mod:`.candidate_runs`) as jest's, vitest's and Go's (:mod:`.runner_gate`),
which hands such a candidate here. No coverage tool runs, so only a mutant of the change's
lines it fails on shows a candidate runs them; one that no mutant can judge is dropped at
``dependence`` (:data:`UNCHECKED`), never kept.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from cicd_agent.local.checkout_files import CheckoutFileError, create_file, lexists
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
from cicd_agent.modes.gen_tests.runner_gaps import RunnerGaps
from cicd_agent.runners.base import PASSED, Selection
from cicd_agent.runners.protocol import JudgesByMutants
from cicd_agent.sandbox.run import Sandbox
from cicd_agent.sandbox.workspace import remove_tree

UNCHECKED = "coverage could not run and no mutant of the changed lines could be judged"
"""Why a candidate that passed every stage is dropped: no stage showed it tests the change."""
UNMEASURED = "its coverage could not be measured (no coverage tool for its runner)"
"""What a kept candidate says instead of the lines it covered: the mutant it failed on is its
only evidence that it runs the change."""


def judge_by_mutants(
    gaps: RunnerGaps,
    candidate: Candidate,
    sandbox: Sandbox,
    mutants: JudgesByMutants,
    *,
    timeout: float,
) -> RunnerVerdict:
    """The stages: ``path`` (:func:`_path_problem`), ``assertion`` (each test asserts, read
    before anything runs: the runner's
    :meth:`~cicd_agent.runners.protocol.WritesTests.unasserted`), ``compiles`` (the runner builds
    the test target first: cargo's ``cargo test --no-run --test NAME``), ``pass`` (alone, in a
    fresh copy), ``same_copy`` (once more in that copy, what the first run left kept:
    :data:`~.candidate_runs.AGAIN_HERE`), ``pass_again`` (:data:`RERUNS` more fresh copies, in
    the runner's order: its :attr:`~cicd_agent.runners.protocol.Repeats.unshuffled`),
    ``repeat`` (:func:`~.candidate_runs.repeated`: libtest cannot repeat a test in its
    process, so the seam runs the built binary again and again in one sandboxed run,
    :mod:`cicd_agent.runners.cargo.repeat`),
    ``suite`` (the whole suite with it: each test that passed still passes, none fails), then
    ``depends`` on the change's added lines of code (:func:`~.candidate_runs.depends`: no
    coverage tool runs, so a mutant it fails on is the only evidence it runs the change; where
    none can be judged it is dropped at ``dependence``, :data:`UNCHECKED`: never kept on
    nothing)."""
    path = candidate.path
    refused = _path_problem(gaps, candidate, sandbox.checkout)
    if refused:
        return RunnerVerdict(path, "path", refused)
    idle = gaps.change.writes.unasserted(sandbox.pristine, path, candidate.text)
    if idle:
        return RunnerVerdict(path, "assertion", idle)
    alone = Selection((path,))
    with CandidateCopy(gaps, candidate, sandbox) as copy:
        first, why = copy.run(alone, timeout)
        left = "" if why else copy.again(timeout)
    if why:
        unbuilt = mutants.build_problem(first, path) if first is not None else ""
        return RunnerVerdict(path, "compiles" if unbuilt else "pass", unbuilt or why, runs=1)
    if left:
        return RunnerVerdict(path, "same_copy", left, runs=2)
    for number in range(RERUNS):
        _, why = run_candidate(gaps, candidate, sandbox, alone, timeout)
        if why:
            return RunnerVerdict(
                path,
                "pass_again",
                f"rerun {number + 1} in a fresh copy ({gaps.change.repeats.unshuffled}): {why}",
                runs=3 + number,
            )
    flaky, unrepeated, runs = repeated(gaps, candidate, sandbox, timeout)
    runs += 2 + RERUNS
    if flaky:
        return RunnerVerdict(path, "repeat", flaky, runs=runs)
    why = _suite_breaks(gaps, candidate, sandbox, timeout)
    runs += 1
    if why:
        return RunnerVerdict(path, "suite", why, runs=runs)
    found = depends(gaps, candidate, sandbox, gaps.targets(), timeout)
    runs += found.runs
    if found.depends is None:  # no stage showed it runs the change: never kept on nothing
        return RunnerVerdict(path, "dependence", f"{UNCHECKED}: {found.label}", runs=runs)
    if found.depends is False:
        return RunnerVerdict(path, "depends", found.label, runs=runs)
    kept = "; ".join(
        filter(None, (found.label, gaps.change.repeats.unshuffled, unrepeated, UNMEASURED))
    )
    return RunnerVerdict(path, "", kept, runs=runs)


def _path_problem(gaps: RunnerGaps, candidate: Candidate, checkout: Path) -> str:
    """Why a candidate may not be written where it asks ("" when it may): the runner's own rule
    for a new test file (:meth:`~cicd_agent.runners.protocol.WritesTests.new_test_problem`: cargo's,
    a new integration test ``tests/NAME.rs`` of the library crate at the repository's root,
    never a unit test inside ``src/``, whose patch would edit the code's own file), under a name
    no file takes (``tests/NAME/`` and any case of it included)."""
    runner, path = gaps.change.runner, candidate.path
    if problem := unfit(candidate):
        return problem
    if not gaps.targets():
        return f"{runner.name} has no changed line of code to test"
    if refused := gaps.change.writes.new_test_problem(checkout, path):
        return refused
    if lexists(checkout, path) or any(
        twin(checkout, name) for name in (PurePosixPath(path), PurePosixPath(path).with_suffix(""))
    ):
        return (
            f"{path} is a file the repository already has (or one of its name without "
            "the suffix): a new name cannot clash"
        )
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
        return (
            f"{gaps.change.runner.name}'s report of the suite with it is no result: "
            f"{report.problem[:300]}"
        )
    before = gaps.suite.passed() if gaps.suite is not None else frozenset()
    broken = sorted(
        test
        for test, outcome in report.outcomes.items()
        if outcome == "failed" or (test in before and outcome != PASSED)
    )
    return f"with it, {broken[0][:200]} does not pass" if broken else ""
