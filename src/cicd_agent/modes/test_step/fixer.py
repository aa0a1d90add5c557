"""The step's flaky tests classified and, where one depends on another test, fixed with no model.

Every run is a session of the runner's in the sandbox, each in a fresh copy of the checkout
(:class:`~cicd_agent.verify.orders.OrderedRuns`), so no file a run leaves reaches the next:
the suite in the order it is written (its first session), the flaky test alone and after chosen
tests (:mod:`.dependence`'s bisections). A victim gets the statements of a cleaner (a test of
the suite that, run between its polluter and it, makes it pass), a brittle test those of its
state-setter, moved to the top of the test and made as few as still make it pass
(iFixFlakies). The patch touches the flaky test's own file only, and is offered only once the
copy patched with it shows:

- the suite passes in its written order and in reverse (no test failing that did not fail there
  before the patch), and in the order that failed;
- the test passes alone;
- the test still fails on a mutant of the code it calls that it failed before the patch (the
  mutation check gen-tests uses, asked only of those mutants), so the moved statements did not
  blunt it.

Then it is ``verified`` on code GitHub vouches for (a push to the default branch, a writer's
pull request), else ``checked``. A test no order shows failing is ``not order-dependent``, with
its failure rate over reruns alone (k of N). With a model, it rewrites the test's file
(:mod:`.model_fix`), and the rewrite is ``checked`` only when the patched test passes M reruns
alone, M chosen so that its old rate would have failed at least one with 99 % probability, the
suite still passes in its written order, and the mutation check still sees it fail on a broken
copy of the code it calls (a rewrite the check cannot judge is not held); a rewrite that
checks less, or changes more of the file than the test's own function and its imports (the
other tests, which nothing here reruns or mutates), is ``refuted``. Never ``verified``: a model
wrote it. With no model, no fix of it is claimed; a test of another language than Python (go
test's) gets no model's fix, and its row says so.
"""

from __future__ import annotations

import difflib
import shlex
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import replace

from cicd_agent.analysis.history import canonical_test
from cicd_agent.modes.test_step.dependence import Classified, Runs, classify, cleaner, reruns_needed
from cicd_agent.modes.test_step.model_fix import Propose, refused
from cicd_agent.modes.test_step.types import FlakyFix
from cicd_agent.verify.orders import OrderedRuns

BUDGET = 600.0
"""Seconds all the fixer's runs may take in one step."""
MOST_TESTS = 5
"""Flaky tests classified in one step, the first named first."""
CLEANERS = 3
"""Cleaners tried for one victim before none is offered."""
_TOO = " (a flaky test of this step too)"


def fix_flaky(
    runner: OrderedRuns,
    flaky: Sequence[str],
    *,
    trusted: bool,
    propose: Propose | None = None,
    within: Callable[[str], tuple[str, ...]] = lambda _: (),
) -> tuple[list[FlakyFix], str]:
    """Each of ``flaky`` (the runner's ids, or their canonical names) classified and, where it
    depends on one test, fixed, or where it does not, given ``propose`` (the model's), fixed by
    the model and held to reruns; each gets its row, with why it was not classified where it was
    not; and why none was ("" when the suite ran). A subtest (``within``: the tests it runs
    within, outermost first) is classified and fixed as its outermost test, the one a runner
    orders (go orders a package's top-level tests, never their subtests)."""
    runner.say("flaky tests: running the suite in its own order in the sandbox")
    written = runner.outcomes([])
    if written is None:
        why = f"the suite's own run in the sandbox gave no result ({runner.problem})"
        return not_classified(flaky, why), why
    order = list(written.tests)
    if not order:  # a collection error there stops every test
        why = (
            f"the suite's own run in the sandbox ran no test (it runs the step's runner "
            "with the project's configuration, not the step's own arguments: "
            f"{shlex.join(runner.command)[:200]})"
        )
        return not_classified(flaky, why), why
    fixes: list[FlakyFix] = []
    found_ids = {name: _id_of((within(name) or (name,))[0], order) for name in dict.fromkeys(flaky)}
    tests = list(dict.fromkeys(test for test in found_ids.values() if test is not None))
    for test in tests[:MOST_TESTS]:
        runner.say(f"flaky tests: classifying {test[:100]}")
        found = classify(test, [order, order[::-1]], runner.passes, runner.reruns)
        fixes.append(
            _model_fixed(runner, found, order, propose)
            if found.kind == "not-order-dependent" and propose is not None
            else _fixed(runner, found, order, trusted, flaky)
        )
    fixes += not_classified(
        tests[MOST_TESTS:], f"only the first {MOST_TESTS} flaky tests are classified in one step"
    )
    missing = [name for name, test in found_ids.items() if test is None]
    fixes = _as_named(fixes, found_ids)
    fixes += not_classified(
        missing,
        f"not among the tests of the suite's own run in the "
        f"sandbox ({len(order)} test(s) ran there)",
    )
    return fixes, ""


def _as_named(fixes: Sequence[FlakyFix], ids: Mapping[str, str | None]) -> list[FlakyFix]:
    """``fixes`` by the names the step gave (``ids``: each name's id in the session): a
    subtest's row is its outermost test's, saying so."""
    rows: list[FlakyFix] = []
    for fixed in fixes:
        named = [name for name, test in ids.items() if test == fixed.test]
        within = [name for name in named if canonical_test(name) != canonical_test(fixed.test)]
        rows += [fixed] if len(within) < len(named) or not named else []
        rows += [
            replace(
                fixed,
                test=name,
                patched=fixed.test,
                evidence=(
                    f"classified as {fixed.test}, the test it runs within (its runner orders "
                    f"that, not its subtests): {fixed.evidence}"
                ),
            )
            for name in within
        ]
    return rows


def not_classified(tests: Sequence[str], why: str) -> list[FlakyFix]:
    """A row for each of ``tests`` saying it was not classified, and ``why``."""
    return [
        FlakyFix(
            test, "unclassified", "", "none", "", Runs(0, 0), Runs(0, 0), f"not classified: {why}"
        )
        for test in tests
    ]


def _id_of(name: str, order: Sequence[str]) -> str | None:
    """The session's id of the step's test ``name`` (its id, or its canonical name)."""
    if name in order:
        return name
    return next(
        (
            test
            for test in order
            if canonical_test(test) == name or canonical_test(test) == canonical_test(name)
        ),
        None,
    )


def _fixed(
    runner: OrderedRuns,
    found: Classified,
    order: Sequence[str],
    trusted: bool,
    flaky: Sequence[str] = (),
) -> FlakyFix:
    """``found``'s fix, or why none is offered: what broke each patch tried (``flaky``: the
    step's flaky tests, called so where one is named)."""
    test = found.test
    none = FlakyFix(
        test, found.kind, found.related, "none", "", found.before, Runs(0, 0), found.evidence
    )
    if found.kind != "order-dependent" or not found.related:
        if found.kind == "not-order-dependent":
            return _said(
                none,
                "no fix is offered: a fix of a test that fails at random needs "
                "a model's patch, held to reruns, and no model was given",
            )
        return none
    path = _file_of(runner, test)
    if not path:  # not found where its id leads: nothing to patch, no cleaner looked for
        return _said(none, "no fix: its file was not found in the checkout")
    if runner.text(path) is None:  # no patch could be written: no session looks for one
        return _said(none, "no fix: its file is a link or too large to read")
    failing = tuple(found.before.order)
    tried: list[str] = []
    broke: list[str] = []
    refuted: FlakyFix | None = None
    donors = (
        _cleaners(runner, found, order, tried)
        if found.role == "polluter"
        else iter([found.related])
    )
    for donor in donors:
        tried.append(donor)
        runner.say(f"flaky tests: moving {donor[:80]}'s set-up into {test[:80]}")
        patched = _patched(runner, test, donor, failing, path)
        if patched is None:
            continue
        held = _proof(runner, test, order, failing, {path: patched}, flaky=flaky)
        if isinstance(held, str):
            runner.say(f"flaky tests: {held}")
            broke.append(held)
            continue
        after, depends, mutation = held
        status = _status(depends, trusted)
        label = _label(found, donor, status, mutation, trusted)
        if status == "refuted":  # never offered: the next cleaner may keep the test's teeth
            refuted = FlakyFix(
                test, found.kind, found.related, status, "", found.before, after, label
            )
            continue
        return FlakyFix(
            test,
            found.kind,
            found.related,
            status,
            _diff(runner, path, patched),
            found.before,
            after,
            label,
            files={path: patched},
        )
    if refuted is not None:
        return refuted
    if not tried:
        return _said(
            none,
            "no test of the suite, run between the two, makes it pass (no "
            "cleaner): no fix is offered",
        )
    why = "".join(f": {said}" for said in dict.fromkeys(broke))
    return _said(
        none, f"no patch moved from {', '.join(tried)} held in every order{why}: no fix is offered"
    )


def _model_fixed(
    runner: OrderedRuns, found: Classified, order: Sequence[str], propose: Propose
) -> FlakyFix:
    """The model's rewrite of a not-order-dependent test's file, held to reruns alone, the
    suite's written order and the mutation check (module doc)."""
    test, path = found.test, _file_of(runner, found.test)
    none = FlakyFix(test, found.kind, "", "none", "", found.before, Runs(0, 0), found.evidence)
    if not path:
        return _said(none, "no model fix: its file was not found in the checkout")
    if not path.endswith(".py"):  # what a rewrite may change is read from Python's syntax
        return _said(
            none,
            "no model fix: a model's rewrite is held to checks that read Python test files only",
        )
    needed = reruns_needed(found.before.failed, found.before.runs)
    original = runner.text(path)
    if needed is None or original is None:
        why = (
            "its reruns showed no failure to beat"
            if needed is None
            else "its file is a link or too large to read"
        )
        return _said(none, f"no model fix is offered: {why}")
    runner.say(f"flaky tests: asking the model for a fix of {test[:80]}")
    proposed = propose(test, path, original, found.before.said())
    if proposed is None or proposed[0] == original:
        return _said(none, "no fix is offered: the model proposed no change")
    text, why = proposed
    patched, diff = {path: text}, _diff(runner, path, text)
    refuted = FlakyFix(
        test,
        found.kind,
        "",
        "refuted",
        diff,
        found.before,
        Runs(0, 0),
        f"{found.evidence}. The model's fix ({why}) is refuted: ",
    )
    if less := refused(original, text, test):
        return replace(refuted, evidence=refuted.evidence + less)
    runner.say(f"flaky tests: running the model's fix of {test[:80]} {needed} times alone")
    again = runner.reruns(test, needed, patched)
    if again is None or again[0] or again[1] < needed:
        said = (
            "its reruns gave no result"
            if again is None
            else f"it failed {again[0]} of {again[1]} reruns alone"
        )
        return replace(refuted, evidence=refuted.evidence + said)
    before, after = runner.passes(order, again=False), runner.passes(order, patched)
    broken = [
        t for t, passed in (after or {}).items() if not passed and (before or {}).get(t, False)
    ]
    if before is None or after is None or after.get(test) is not True or broken:
        return replace(
            refuted, evidence=refuted.evidence + "the suite failed in its written order with it"
        )
    runner.say("flaky tests: running the model's fix against mutants of the code it calls")
    failing_runs = reruns_needed(found.before.runs - found.before.failed, found.before.runs)
    depends, mutation = runner.still_catches(test, patched, [test], times=failing_runs or 1)
    if depends is not True:  # unjudged too: a model can write a test the check cannot read
        return replace(refuted, evidence=f"{refuted.evidence}mutation check: {mutation}")
    rate = f"{found.before.failed} of {found.before.runs}"
    return FlakyFix(
        test,
        found.kind,
        "",
        "checked",
        diff,
        found.before,
        Runs(0, again[1]),
        f"{found.evidence}. Fix, a model's ({why}): it passed {again[1]} of "
        f"{again[1]} reruns alone (at its old rate, {rate}, one would have failed); "
        "the suite passed in its written order, no other test failing; mutation "
        f"check: {mutation}; checked, not verified: a model wrote it",
        files=patched,
    )


def _file_of(runner: OrderedRuns, test: str) -> str:
    """``test``'s file in the checkout's copy ("" when not found there)."""
    return runner.orders.file_of(runner.sandbox.pristine, test)


def _said(fix: FlakyFix, more: str) -> FlakyFix:
    return replace(fix, evidence=f"{fix.evidence}; {more}" if fix.evidence else more)


def _cleaners(
    runner: OrderedRuns, found: Classified, order: Sequence[str], tried: list[str]
) -> Iterator[str]:
    """Cleaners of the victim, one after another, the ones tried left out of the next search."""
    for _ in range(CLEANERS):
        next_one = cleaner(found.related, found.test, order, runner.passes, skip=tried)
        if next_one is None:
            return
        yield next_one


def _patched(
    runner: OrderedRuns, test: str, donor: str, failing: Sequence[str], path: str
) -> str | None:
    """``test``'s file with as few of ``donor``'s statements as make it pass in the ``failing``
    order; None when none do, or they cannot be moved."""
    texts = {file: runner.text(file) for file in {path, _file_of(runner, donor)}}
    if None in texts.values():  # a link, or too large: no patch
        return None
    read = {file: text for file, text in texts.items() if text is not None}
    moved = runner.orders.set_up_of(read, donor, test)
    if moved.why_not:
        runner.say(f"flaky tests: {donor[:80]}: {moved.why_not}")
        return None

    def holds(keep: set[int]) -> str | None:
        text = runner.orders.with_set_up(read[path], test, moved, keep)
        said = runner.passes(failing, {path: text}) if text else None
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
    runner: OrderedRuns,
    test: str,
    order: Sequence[str],
    failing: Sequence[str],
    patched: Mapping[str, str],
    *,
    flaky: Collection[str] = (),
) -> tuple[Runs, bool | None, str] | str:
    """The patch held in the suite's order, its reverse, the failing order and alone, and the
    mutation check's word (whether the test fails on a mutant, and its label); when an order
    breaks, what broke there, the tests that failed with the patch named (one of ``flaky``,
    the step's, called so: its failure may be its own). The mutants are judged against the
    unpatched test in the shortest of these orders it passed in (a victim alone, a brittle test
    with its state-setter before it). A session already run of an order with the same files is
    not run again: the patch's run in the failing order that chose its statements is that
    order's."""
    own = {canonical_test(name) for name in flaky}
    baseline: list[Sequence[str]] = []
    for shown, each in (
        ("in the suite's written order", order),
        ("in the suite's reverse order", order[::-1]),
        ("in the failing order", failing),
        ("alone", [test]),
    ):
        before, after = runner.passes(each, again=False), runner.passes(each, patched, again=False)
        if before is None or after is None:
            return f"the runs {shown} gave no result"
        if after.get(test) is not True:
            return f"with it, the test itself failed {shown}"
        if before.get(test) is True:
            baseline.append(each)
        broken = [t for t, passed in after.items() if not passed and before.get(t, False)]
        if broken:
            said = ", ".join(t + (_TOO if canonical_test(t) in own else "") for t in broken[:3])
            more = f" and {len(broken) - 3} more" if broken[3:] else ""
            return f"with it, {said}{more} failed {shown}, where without it they passed"
    again = runner.outcomes(failing, patched, times=2)  # the failing order's runs after it
    counted = again.repeats.get(test, (0, 0)) if again is not None else (0, 0)
    failed, runs = counted[1], 1 + sum(counted)
    runner.say("flaky tests: running the patched test against mutants of the code it calls")
    return Runs(failed, runs, tuple(failing)), *runner.still_catches(
        test, patched, min(baseline, key=len, default=())
    )


def _status(depends: bool | None, trusted: bool) -> str:
    if depends is False:  # it passed a mutant: no patch of ours is offered so
        return "refuted"
    return "verified" if depends and trusted else "checked"


def _label(found: Classified, donor: str, status: str, mutation: str, trusted: bool) -> str:
    moved = (
        f"the set-up of {donor} (a cleaner: run between the two, the test passes) moved "
        "into the test"
        if found.role == "polluter"
        else f"the set-up of {donor}, the state-setter, moved into the test"
    )
    held = (
        "it passed in the suite's written order, in reverse, in the failing order and "
        "alone, no other test failing"
    )
    caught = f"mutation check: {mutation}"
    why = (
        ""
        if status != "checked"
        else (
            "; checked, not verified: "
            + (
                "the code is not vouched for by GitHub"
                if not trusted
                else "the mutation check could not judge it"
            )
        )
    )
    return f"{found.evidence}. Fix: {moved}; {held}; {caught}{why}"


def _diff(runner: OrderedRuns, path: str, patched: str) -> str:
    original = runner.text(path) or ""
    return "".join(
        difflib.unified_diff(
            original.splitlines(keepends=True),
            patched.splitlines(keepends=True),
            f"a/{path}",
            f"b/{path}",
        )
    )
