"""Whether a kept test depends on the change: mutants of a change's lines, for both gates.

A test that passes, runs the changed lines and asserts can still check nothing about them
(``assert True``, ``expect(1).toBe(1)``, a Go test comparing a constant with itself, a call
whose result nobody reads). Such a test passes as well when the changed code is wrong, so
gen-tests' gates run it once more against a few mutants of the lines it ran, one at a time, each
in a sandbox copy: it is kept only if its own check fails on one that still builds and it passes
the control, the same file with a blank line added: a test that fails on any change of the file
(a hash of it, its time, the mutant run's folder) is no test of the change. A run that failed
only by an error raised inside the code under test (Rust's overflow panic, a ``TypeError``
there) crashed: it says nothing of what the candidate checks, since a test that checks nothing
crashes on such a mutant as well. Which failure is a check is each runner's rule, read from its
own report.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from cicd_agent.local.checkout_files import (
    modified_ns,
    read_bytes,
    replace_file,
)
from cicd_agent.verify.mutation import Mutant

BUDGET = 3
"""Mutant runs per candidate at most: each is one more run of it within the gate's timeout."""
_SECONDS = itertools.count(2_000_000_000, 2_000_000_000)
"""Offsets of each mutant's modification time."""


class Outcome(Enum):
    """A candidate's run against one mutant."""

    KILLED = "failed"
    """A check of its own failed (an assertion, an explicit failure, in its own file)."""
    SURVIVED = "passed"
    CRASHED = "crashed"
    """It failed, but by an error raised outside its checks: it ran, and did not
    tell the mutant apart by what it checks."""
    NO_RESULT = "no result"
    """The mutant did not build or load, or the run is no result: it says nothing."""


@dataclass(frozen=True)
class MutantResult:
    """One mutant run's result: its outcome and, killed, the check that failed (``file:line:
    what``), crashed, the test that crashed, or no result, why (when known); for the label."""

    outcome: Outcome
    check: str = ""


@dataclass(frozen=True)
class Dependence:
    """:func:`check`'s word: ``depends`` True (it failed on a mutant), False (it passed on
    every mutant that built: drop it), None (no mutant could be judged: kept, so labelled);
    ``label``: the evidence, naming the line and the mutation."""

    depends: bool | None
    label: str
    runs: int = 0


def outcome(tests: Mapping[str, str], checks: Mapping[str, str]) -> MutantResult:
    """What the candidate's own tests' outcomes in one mutant's run (``tests``, as its runner's
    report gives them, held to its in-run check) say, with the report's ``checks`` (its failed tests
    whose own check failed): a failed check kills the mutant, a failure or error of no check is a
    crash; none reported, a skip or an unseen one says nothing."""
    failed = [test for test, said in tests.items() if said in ("failed", "error")]
    checked = [test for test in failed if test in checks]
    if checked:
        return MutantResult(Outcome.KILLED, checks[checked[0]][:300])  # its place names the file
    if failed:
        return MutantResult(Outcome.CRASHED, failed[0][:200])
    survived = tests and set(tests.values()) == {"passed"}
    return MutantResult(Outcome.SURVIVED if survived else Outcome.NO_RESULT)


def check(found: Iterable[Mutant], run: Callable[[Mutant], MutantResult]) -> Dependence:
    """Run the candidate (``run``) against ``found``'s mutants in turn, at most :data:`BUDGET`
    runs, until a check of its own fails on one. A run that only crashed is no kill, and no
    survival either: a crash shows the changed line ran, not whether the candidate reads what
    it computes. So a mutant it passed drops it; where every run that gave a word crashed, or
    none gave one, it is kept as "could not check dependence" (a mutant that makes a
    constructor throw would otherwise drop a right candidate)."""
    budget, survived, crashed = BUDGET, list[str](), list[str]()
    runs, left = 0, list(itertools.islice(found, budget + 1))  # one more: was the budget cut?
    if not left:
        return Dependence(
            None,
            "could not check dependence: no mutant can be made of the "
            "changed lines it runs (comments, imports or names only)",
        )
    for mutant in left[:budget]:
        runs += 1
        said = run(mutant)
        if said.outcome is Outcome.KILLED:
            return _controlled(mutant, f"its check {said.check}", run, runs)
        if said.outcome is Outcome.SURVIVED:
            survived.append(str(mutant))
        elif said.outcome is Outcome.CRASHED:
            crashed.append(
                f"no check of its failed with {mutant}: {said.check} crashed in the "
                "code under test (an error, not its assertion)"
            )
    cut = f" (budget: {budget} mutant run{'s' * (budget != 1)})" if len(left) > budget else ""
    if survived:
        named = "; ".join([*crashed, "passed with " + "; ".join(survived)])
        return Dependence(False, f"does not depend on the change: {named}{cut}", runs)
    if crashed:
        return Dependence(
            None,
            "could not check dependence: " + "; ".join(crashed) + ", which "
            f"shows it runs the change, not that it checks it{cut}",
            runs,
        )
    # a run cut by its timeout says nothing either (a loaded machine's, or a mutant that loops):
    # the label names both, never "did not build" alone
    return Dependence(
        None,
        f"could not check dependence: none of {runs} mutant(s) built, "
        f"loaded and ran to an outcome within the timeout{cut}",
        runs,
    )


def still_fails(
    found: Iterable[Mutant],
    before: Callable[[Mutant], MutantResult],
    after: Callable[[Mutant], MutantResult],
) -> Dependence:
    """Whether a patched test (``after``) still fails when the code it tests is broken, asked
    only of the mutants the test failed before the patch (``before``): a mutant of a line it
    never runs (a branch it never takes) passes either way, and says nothing about the patch.
    Every such mutant up to :data:`BUDGET` is judged, not just the first the patch still fails
    on: a patch that drops one of two assertions still catches the other's mutant, and the one
    it now passes shows the test weakened. An error in the code under test, before and after,
    is no check: a test made to check nothing errs there as well, so it leaves the
    dependence unjudged. Up to twice :data:`BUDGET` mutants are tried unpatched."""
    tried, judged, survived, erred = 0, 0, list[str](), list[tuple[str, str]]()
    caught: tuple[Mutant, str] | None = None
    for mutant in itertools.islice(found, 2 * BUDGET):
        if judged == BUDGET:
            break
        tried, was = tried + 1, before(mutant)
        if was.outcome not in (Outcome.KILLED, Outcome.CRASHED):
            continue
        judged, now = judged + 1, after(mutant)
        if now.outcome is Outcome.KILLED and caught is None:
            caught = mutant, now.check
        elif now.outcome is Outcome.SURVIVED:
            survived.append(str(mutant))
        elif now.outcome is Outcome.CRASHED and was.outcome is Outcome.CRASHED:
            erred.append((now.check, str(mutant)))
    runs = tried + judged
    if survived:
        return Dependence(
            False,
            "does not depend on the code it tests: passed with "
            f"{'; '.join(survived)}, which it failed before the patch",
            runs,
        )
    if caught is not None:
        return _controlled(caught[0], f"its check {caught[1]}", after, runs)
    if erred:
        said = f"{_erred(erred)}, as it did before the patch"
        return Dependence(
            None,
            f"could not check dependence: {said}, which shows it runs the "
            "code, not that it checks it",
            runs,
        )
    if not tried:
        return Dependence(
            None,
            "could not check dependence: no mutant can be made of the "
            "code it calls (comments, imports or names only)",
        )
    if not judged:
        return Dependence(
            None,
            f"could not check dependence: before the patch, the test "
            f"failed on none of the {tried} mutant(s) of the code it calls that "
            "were tried",
            runs,
        )
    return Dependence(
        None,
        f"could not check dependence: of the {judged} mutant(s) the test "
        "failed before the patch, none ran the patched test to a failure of its "
        "own check, an error as before, or a pass",
        runs,
    )


def _erred(erred: list[tuple[str, str]]) -> str:
    """Each check named once with the mutants it erred under: "t erred in the code under test
    when a; when b" reads three times longer with the same name and words repeated."""
    said = {check: [m for c, m in erred if c == check] for check, _ in erred}
    return "; ".join(
        f"{check} erred in the code under test when " + "; when ".join(mutants)
        for check, mutants in said.items()
    )


def _controlled(
    killer: Mutant, failed: str, run: Callable[[Mutant], MutantResult], runs: int
) -> Dependence:
    """The word on a candidate that ``failed`` (how, for the label) on ``killer``, once it
    passed :meth:`Mutant.neutral`: one that fails there too fails on any change of the file (it
    compares the file's hash, its size or time, or knows a mutant's run by its folder), not
    on what the change computes."""
    result = run(killer.neutral())
    control = result.outcome
    if control is Outcome.SURVIVED:
        return Dependence(True, f"fails when {killer} ({failed})", runs + 1)
    if control in (Outcome.KILLED, Outcome.CRASHED):
        return Dependence(
            False,
            f"does not depend on the change: it fails when {killer}, and "
            f"as well when a blank line is added at the end of {killer.path}, "
            "which changes no behaviour (it checks the file, not the code)",
            runs + 1,
        )
    why = f" ({result.check})" if result.check else ""
    return Dependence(
        None,
        f"could not check dependence: it fails when {killer}, and its "
        f"control run ({killer.path} with a blank line added) is no result{why}",
        runs + 1,
    )


@contextmanager
def mutated(root: Path, mutant: Mutant) -> Iterator[None]:
    """``mutant``'s text in place of its file under ``root`` (a sandbox copy, never the
    checkout), the file's bytes and time restored after. A link on the way is refused, never
    followed out of the copy. Each mutant gets a modification
    time of its own, whole seconds from the file's: Python's compiled copy (``__pycache__``),
    keyed on the source's size and second, is never reused for another text."""
    original, was = read_bytes(root, mutant.path), modified_ns(root, mutant.path)
    replace_file(root, mutant.path, mutant.text.encode(), mtime_ns=was + next(_SECONDS))
    try:
        yield
    finally:
        replace_file(root, mutant.path, original, mtime_ns=was)
