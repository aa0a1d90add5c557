"""The step's flaky tests classified and, where one depends on another test, fixed with no model.

Every run is a session of the runner's in the sandbox (:class:`~cicd_agent.api.runners.
RunsInOrder`), each in a fresh copy of the checkout, so no file a run leaves reaches the next:
the suite in the order it is written (its first session), the flaky test alone and after chosen
tests (:mod:`.dependence`'s bisections). A victim gets the statements of a cleaner (a test of
the suite that, run between its polluter and it, makes it pass), a brittle test those of its
state-setter, moved to the top of the test and made as few as still make it pass
(iFixFlakies). The patch touches the flaky test's own file only, and is offered only once the
copy patched with it shows:

- the suite passes in its written order and in reverse (no test failing that did not fail there
  before the patch), and in the order that failed;
- the test passes alone;
- the test still fails by its own check on a mutant of the code it calls (the mutation check
  gen-tests uses), so the moved statements did not blunt it.

Then it is ``verified`` on code GitHub vouches for (a push to the default branch, a writer's
pull request), else ``checked``; a test no order shows failing is ``not order-dependent``, with
its failure rate over reruns alone, and no fix of it is claimed.
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from cicd_agent.api import CheckoutFileError, read_text
from cicd_agent.api.runners import (
    Dependence,
    Outcomes,
    RunsInOrder,
    SessionSandbox,
    rewrite,
    still_catches,
)
from cicd_agent.modes.test_step.dependence import Classified, Runs, classify, cleaner
from cicd_agent.modes.test_step.types import FlakyFix

BUDGET = 600.0
"""Seconds all the fixer's runs may take in one step."""
SESSION = 300.0
"""Seconds one session may take at most."""
MOST_TESTS = 5
"""Flaky tests classified in one step, the first named first."""
CLEANERS = 3
"""Cleaners tried for one victim before none is offered."""


@dataclass
class Runner:
    """The runner's sessions as the fixer makes them, each in a fresh copy, within the budget."""

    orders: RunsInOrder
    sandbox: SessionSandbox
    command: tuple[str, ...]
    ends: float
    say: Callable[[str], None] = lambda _: None
    sessions: int = 0
    seen: dict[tuple[tuple[str, ...], tuple[tuple[str, str], ...]], Outcomes | None] = field(
        default_factory=dict)  # fmt: skip

    def outcomes(
        self, order: Sequence[str], patched: Mapping[str, str] | None = None, times: int = 1
    ) -> Outcomes | None:
        """One session of ``order`` (empty: the command's own tests) in a copy with the files of
        ``patched``, each test run ``times`` times; None: no result, or no time left."""
        key = (tuple(order), tuple(sorted((patched or {}).items())))
        if times == 1 and key in self.seen:
            return self.seen[key]
        left = self.ends - time.monotonic()
        if left <= 1:
            return None
        space = self.sandbox.workspace("flaky")
        rewrite(space.repo, patched or {})
        argv = [*self.command, *self.orders.in_order(space, order),
                *(self.orders.again(times) if times > 1 else ())]  # fmt: skip
        self.sessions += 1
        result, evidence = self.sandbox.session(argv, space, timeout=min(SESSION, left))
        said, _ = self.orders.read(result, evidence)
        if times == 1:
            self.seen[key] = said
        return said

    def probe(
        self, order: Sequence[str], patched: Mapping[str, str] | None = None
    ) -> Mapping[str, bool] | None:
        said = self.outcomes(order, patched)
        return None if said is None else passes(said)

    def reruns(self, test: str, times: int) -> tuple[int, int] | None:
        said = self.outcomes([test], times=times)
        if said is None or test not in said.repeats:
            return None
        won, lost = said.repeats[test]
        return lost, won + lost


def passes(outcomes: Outcomes) -> dict[str, bool]:
    """Each test that ran to an outcome and whether it passed (a skipped one left out)."""
    return {test: said == "passed" for test, said in outcomes.tests.items()
            if said in ("passed", "failed", "error")}  # fmt: skip


def fix_flaky(
    runner: Runner, flaky: Sequence[str], *, trusted: bool
) -> tuple[list[FlakyFix], str]:
    """Each of ``flaky`` (the runner's ids, or their canonical names) classified and, where it
    depends on one test, fixed; and why none was ("" when the suite ran)."""
    runner.say("flaky tests: running the suite in its own order in the sandbox")
    written = runner.outcomes([])
    if written is None:
        return [], "the suite's own run in the sandbox gave no result"
    order = list(written.tests)
    fixes = []
    for name in list(dict.fromkeys(flaky))[:MOST_TESTS]:
        test = _id_of(name, order)
        if test is None:
            continue
        runner.say(f"flaky tests: classifying {test[:100]}")
        found = classify(test, [order, order[::-1]], runner.probe, runner.reruns)
        fixes.append(_fixed(runner, found, order, trusted))
    return fixes, ""


def _id_of(name: str, order: Sequence[str]) -> str | None:
    """The session's id of the step's test ``name`` (its id, or its canonical name)."""
    if name in order:
        return name
    from cicd_agent.api.tests import canonical_test

    return next((test for test in order if canonical_test(test) == name
                 or canonical_test(test) == canonical_test(name)), None)  # fmt: skip


def _fixed(runner: Runner, found: Classified, order: Sequence[str], trusted: bool) -> FlakyFix:
    test = found.test
    none = FlakyFix(test, found.kind, found.related, "none", "", found.before, Runs(0, 0),
                    found.evidence)  # fmt: skip
    if found.kind != "order-dependent" or not found.related:
        if found.kind == "not-order-dependent":
            return _said(none, "no fix is offered: a fix of a test that fails at random needs "
                         "a model's patch, held to reruns, and none was asked")  # fmt: skip
        return none
    path = runner.orders.file_of(test)
    failing = tuple(found.before.order)
    tried: list[str] = []
    donors = (_cleaners(runner, found, order, tried) if found.role == "polluter"
              else iter([found.related]))  # fmt: skip
    for donor in donors:
        tried.append(donor)
        runner.say(f"flaky tests: moving {donor[:80]}'s set-up into {test[:80]}")
        patched = _patched(runner, test, donor, failing, path)
        if patched is None:
            continue
        held = _proof(runner, test, order, failing, {path: patched})
        if held is None:
            continue
        after, mutation = held
        status = _status(mutation, trusted)
        return FlakyFix(test, found.kind, found.related, status, _diff(runner, path, patched),
                        found.before, after, _label(found, donor, status, mutation, trusted))  # fmt: skip
    if not tried:
        return _said(none, "no test of the suite, run between the two, makes it pass (no "
                     "cleaner): no fix is offered")  # fmt: skip
    return _said(none, f"no patch moved from {', '.join(tried)} held in every order: no fix "
                 "is offered")  # fmt: skip


def _said(fix: FlakyFix, more: str) -> FlakyFix:
    return FlakyFix(fix.test, fix.kind, fix.related_test, fix.status, fix.patch, fix.runs_before,
                    fix.runs_after, f"{fix.evidence}; {more}" if fix.evidence else more)  # fmt: skip


def _cleaners(
    runner: Runner, found: Classified, order: Sequence[str], tried: list[str]
) -> Iterator[str]:
    """Cleaners of the victim, one after another, the ones tried left out of the next search."""
    for _ in range(CLEANERS):
        next_one = cleaner(found.related, found.test, order, runner.probe, skip=tried)
        if next_one is None:
            return
        yield next_one


def _patched(
    runner: Runner, test: str, donor: str, failing: Sequence[str], path: str
) -> str | None:
    """``test``'s file with as few of ``donor``'s statements as make it pass in the ``failing``
    order; None when none do, or they cannot be moved."""
    texts = {}
    for file in {path, runner.orders.file_of(donor)}:
        try:
            texts[file] = read_text(runner.sandbox.pristine, file)
        except CheckoutFileError:  # a link, or too large: no patch
            return None
    moved = runner.orders.set_up_of(texts, donor, test)
    if moved.why_not:
        runner.say(f"flaky tests: {donor[:80]}: {moved.why_not}")
        return None

    def holds(keep: set[int]) -> str | None:
        text = runner.orders.with_set_up(texts[path], test, moved, keep)
        said = runner.probe(failing, {path: text}) if text else None
        return text if said is not None and said.get(test) is True else None

    keep = set(range(len(moved.statements)))
    best = holds(keep)
    if best is None:
        return None
    for number in range(len(moved.statements)):  # each statement left out, while it still holds
        fewer = holds(keep - {number}) if len(keep) > 1 else None
        if fewer is not None:
            keep, best = keep - {number}, fewer
    return best


def _proof(
    runner: Runner, test: str, order: Sequence[str], failing: Sequence[str],
    patched: Mapping[str, str],
) -> tuple[Runs, Dependence] | None:
    """The patch held in the suite's order, its reverse, the failing order and alone, and the
    mutation check's word; None when an order breaks."""
    for shown, each in (("written", order), ("reverse", order[::-1]), ("failing", failing),
                        ("alone", [test])):  # fmt: skip
        before, after = runner.probe(each), runner.probe(each, patched)
        if before is None or after is None or after.get(test) is not True:
            runner.say(f"flaky tests: the patch did not hold in the {shown} order")
            return None
        broken = [t for t, passed in after.items() if not passed and before.get(t, False)]
        if broken:
            runner.say(f"flaky tests: the patch broke {len(broken)} test(s) in the {shown} order")
            return None
    again = runner.outcomes(failing, patched, times=2)  # the failing order's runs after it
    counted = again.repeats.get(test, (0, 0)) if again is not None else (0, 0)
    failed, runs = counted[1], 1 + sum(counted)
    space = runner.sandbox.workspace("flaky-mutants")
    rewrite(space.repo, patched)
    lines = runner.orders.under_test(space.repo, test)

    def alone() -> tuple[Mapping[str, str], Mapping[str, str]] | None:
        argv = [*runner.command, *runner.orders.in_order(space, [test])]
        left = runner.ends - time.monotonic()
        if left <= 1:
            return None
        result, evidence = runner.sandbox.session(argv, space, timeout=min(SESSION, left))
        said, _ = runner.orders.read(result, evidence)
        return (said.tests, said.checks) if said is not None else None

    runner.say("flaky tests: running the patched test against mutants of the code it calls")
    mutation = (still_catches(space.repo, lines, alone) if lines else
                Dependence(None, "could not check dependence: it calls no function of the "
                           "code under test by name"))  # fmt: skip
    return Runs(failed, runs, tuple(failing)), mutation


def _status(mutation: Dependence, trusted: bool) -> str:
    if mutation.depends is False:
        return "refuted"
    return "verified" if mutation.depends and trusted else "checked"


def _label(
    found: Classified, donor: str, status: str, mutation: Dependence, trusted: bool
) -> str:
    moved = (f"the set-up of {donor} (a cleaner: run between the two, the test passes) moved "
             "into the test" if found.role == "polluter" else
             f"the set-up of {donor}, the state-setter, moved into the test")  # fmt: skip
    held = ("it passed in the suite's written order, in reverse, in the failing order and "
            "alone, no other test failing")  # fmt: skip
    caught = f"mutation check: {mutation.label}"
    why = "" if status != "checked" else (
        "; checked, not verified: " + ("the code is not vouched for by GitHub" if not trusted
                                       else "the mutation check could not judge it"))  # fmt: skip
    return f"{found.evidence}. Fix: {moved}; {held}; {caught}{why}"


def _diff(runner: Runner, path: str, patched: str) -> str:
    original = read_text(runner.sandbox.pristine, path)
    return "".join(difflib.unified_diff(original.splitlines(keepends=True),
                                        patched.splitlines(keepends=True),
                                        f"a/{path}", f"b/{path}"))  # fmt: skip

