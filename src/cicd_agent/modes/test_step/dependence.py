"""Whether a flaky test depends on the order its suite runs in, by iDFlakies' method (Lam et
al., ICST 2019), and which test it depends on; then the test of the suite that undoes it
(iFixFlakies' cleaner, Shi et al., FSE 2019). Pure: every run is the caller's ``probe``.

A test that passes alone and fails after the tests that ran before it is a *victim*: one of
them (the polluter) leaves state it trips on. One that fails alone and passes after them is
*brittle*: one of them (the state-setter) sets up what it needs. Either test is found by
bisection over the tests that ran before it, halving while one half still shows it (about
2·log2(n) runs, not one per test), and then held to more runs of the pair and of the test alone
(:data:`CONFIRM`): a test that fails at random could otherwise pass for one that depends on
another; so is the difference between its run alone and after the others, before any
bisection. A test no order shows failing is *not order-dependent*, with how often it failed
in reruns of its own.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

Probe = Callable[[Sequence[str]], Mapping[str, bool] | None]
"""One run of the named tests in this order: each test's pass, or None when the run gave no
result to believe (or the budget is spent)."""
Reruns = Callable[[str, int], tuple[int, int] | None]
"""The test run alone this many times: its failed runs and all its runs, or None."""
Kind = Literal["order-dependent", "not-order-dependent", "unclassified"]

SHOWN = 0.99
"""The chance with which a fix's reruns would show the old failure rate, had it stayed."""
CONFIRM = 3
"""More runs of a found pair, and of the test alone, each of which must agree."""
RERUNS = 20
"""The runs alone that give a test no order shows failing its failure rate."""
SAID = 3
"""Tests before it named in the words on a run; more are counted (a whole suite's prefix)."""


@dataclass(frozen=True)
class Runs:
    """How often the test failed, of how many runs, in which order (empty: alone)."""

    failed: int
    runs: int
    order: tuple[str, ...] = ()

    def said(self) -> str:
        before = self.order[:-1]
        where = (
            "alone"
            if not before
            else f"after {' then '.join(before)}"
            if len(before) <= SAID
            else f"after the {len(before):,} test(s) before it"
        )
        return f"failed {self.failed} of {self.runs} run(s) {where}"


@dataclass(frozen=True)
class Classified:
    """One flaky test's kind, the test it depends on (``related``: the polluter of a victim,
    the state-setter of a brittle test; "" for none found), and the runs that show it."""

    test: str
    kind: Kind
    related: str = ""
    role: Literal["polluter", "state-setter", ""] = ""
    before: Runs = field(default_factory=lambda: Runs(0, 0))
    evidence: str = ""


def reruns_needed(failed: int, runs: int, shown: float = SHOWN) -> int | None:
    """How many runs, all passing, show a test that failed ``failed`` of ``runs`` fixed: at its
    old rate at least one of them would fail with probability ``shown`` (M = ln(1 - shown) /
    ln(1 - k/N), rounded up). None where no failure was seen (no rate to beat); 1 where it
    failed every run."""
    if failed <= 0 or runs <= 0:
        return None
    if failed >= runs:
        return 1
    return math.ceil(math.log(1 - shown) / math.log(1 - failed / runs))


def _passed(probe: Probe, order: Sequence[str], test: str) -> bool | None:
    said = probe(order)
    return None if said is None or test not in said else said[test]


def bisect(candidates: Sequence[str], holds: Callable[[Sequence[str]], bool | None]) -> str | None:
    """The one test of ``candidates`` (which together hold: the caller ran them) that holds
    alone, found by halving: None when neither half holds (it takes more than one test) or a
    run gave no result. The half it ends on has held in a run already, and each run is a
    session in the sandbox, so it is not run again."""
    left = list(candidates)
    while len(left) > 1:
        half = len(left) // 2
        first = holds(left[:half])
        if first:
            left = left[:half]
            continue
        second = holds(left[half:]) if first is not None else None
        if not second:
            return None
        left = left[half:]
    return left[0] if left else None


def classify(
    test: str, orders: Sequence[Sequence[str]], given: Probe, reruns: Reruns
) -> Classified:
    """``test``'s kind, from its runs alone and after the tests before it in each of ``orders``
    (the suite's order as written, its reverse)."""
    suite = next((list(o[: list(o).index(test)]) for o in orders if test in o), [])
    seen: dict[tuple[str, ...], list[bool]] = {}  # the test's outcome in each order it ran in

    def probe_seen(order: Sequence[str]) -> Mapping[str, bool] | None:
        said = given(order)
        if said is not None and test in said:
            seen.setdefault(tuple(order), []).append(said[test])
        return said

    probe: Probe = probe_seen
    alone = _passed(probe, [test], test)
    if alone is None:
        return Classified(test, "unclassified", evidence="its run alone gave no result")
    for order in orders:
        if test not in order:
            continue
        before = list(order[: list(order).index(test)])
        after = _passed(probe, [*before, test], test) if before else alone
        if after is None:
            return Classified(
                test, "unclassified", evidence="its run in the suite's order gave no result"
            )
        if after == alone or not _steady(probe, [test], before, test, was=alone, after=after):
            continue  # alike, or one of the two runs differs on its own: no order shown
        role: Literal["polluter", "state-setter"] = "polluter" if alone else "state-setter"
        found = bisect(before, lambda sub: _outcome(probe, [*sub, test], test, not alone))
        named = f"the {len(before):,} test(s) before it"
        held = _confirmed(test, found, role, probe, named) if found is not None else None
        if alone and (held is None or held.kind == "unclassified"):
            counts = reruns(test, RERUNS)
            if counts is not None and counts[0] == 0:  # it never failed alone: the order did it
                return _never_alone(test, before, probe, seen, counts[1])
        if held is not None:
            return held
        # several tests together, or a test that fails at random as well
        shown = "fails after" if alone else "passes only after"
        return Classified(
            test,
            "unclassified",
            before=Runs(int(alone), 1, (*before, test)),
            evidence=f"it {shown} {named} and "
            f"{'passes' if alone else 'fails'} alone, {CONFIRM + 1} runs each, but no "
            "one test among them does it alone: it depends on several, or fails at "
            "random",
        )
    counts = reruns(test, RERUNS)
    if counts is None:
        return Classified(test, "unclassified", evidence="its reruns alone gave no result")
    failed, runs = counts
    if failed == 0 and suite:
        return _never_alone(test, suite, probe, seen, runs)
    shown = ", in the suite's order and in reverse" if len(orders) > 1 else ""
    needed = reruns_needed(failed, runs)
    bar = (
        f" (a fix holds once {needed} runs alone all pass: at its rate one would fail with "
        f"{SHOWN:.0%} probability)"
        if needed
        else ""
    )
    return Classified(
        test,
        "not-order-dependent",
        before=Runs(failed, runs),
        evidence=(
            f"it ran alike alone and after the tests before it{shown}; failed {failed} of {runs} "
            f"rerun(s) alone{bar}"
        ),
    )


def _never_alone(
    test: str,
    before: Sequence[str],
    probe: Probe,
    seen: dict[tuple[str, ...], list[bool]],
    alone: int,
) -> Classified:
    """A test that passed each of its ``alone`` runs alone: it failed in the step's suite, so
    failing after the tests ``before`` it (the runs so far in ``seen``, with up to
    :data:`CONFIRM` + 1 more while none failed) marks it order-dependent even where the one test
    it depends on was not found (a polluter that leaves its state only sometimes); failing
    nowhere here shows neither an order nor chance."""
    after = seen.setdefault((*before, test), [])
    for _ in range(CONFIRM + 1):
        if False in after or _passed(probe, [*before, test], test) is None:
            break
    named = f"after the {len(before):,} test(s) before it"
    failed = after.count(False)
    if not failed:
        return Classified(
            test,
            "unclassified",
            evidence=f"it failed neither alone (0 of {alone} runs) nor {named} (0 of "
            f"{len(after)} runs) here: no order and no chance is shown",
        )
    return Classified(
        test,
        "order-dependent",
        before=Runs(failed, len(after), (*before, test)),
        evidence=f"the test it depends on was not found: it failed {named} in {failed} of "
        f"{len(after)} runs and 0 of {alone} alone (one that leaves its state only sometimes "
        "escapes bisection)",
    )


def _steady(
    probe: Probe,
    alone: Sequence[str],
    before: Sequence[str],
    test: str,
    *,
    was: bool,
    after: bool,
) -> bool:
    """Whether :data:`CONFIRM` more runs alone and after ``before`` each end as the first did: a
    test that fails at random differs between two single runs half the time."""
    for _ in range(CONFIRM):
        if _passed(probe, alone, test) is not was:
            return False
        if _passed(probe, [*before, test], test) is not after:
            return False
    return True


def _outcome(probe: Probe, order: Sequence[str], test: str, wanted: bool) -> bool | None:
    said = _passed(probe, order, test)
    return None if said is None else said == wanted


def _confirmed(
    test: str, found: str, role: Literal["polluter", "state-setter"], probe: Probe, named: str
) -> Classified:
    """The pair held to :data:`CONFIRM` more runs of it and of ``test`` alone."""
    victim = role == "polluter"  # it fails after its polluter; a brittle test fails alone
    pair = [_passed(probe, [found, test], test) for _ in range(CONFIRM)]
    alone = [_passed(probe, [test], test) for _ in range(CONFIRM)]
    if (
        any(p is None for p in (*pair, *alone))
        or any(p is victim for p in pair)
        or any(a is not victim for a in alone)
    ):
        return Classified(
            test,
            "unclassified",
            evidence=(
                f"bisection over {named} named {found}, but {CONFIRM} more runs of the pair and "
                "alone did not all agree: it may fail at random as well"
            ),
        )
    if victim:
        runs = Runs(CONFIRM + 1, CONFIRM + 1, (found, test))
        said = (
            f"it fails after {found} ({runs.failed} of {runs.runs} runs) and passes alone "
            f"({CONFIRM + 1} of {CONFIRM + 1}): {found} leaves state it trips on, found by "
            f"bisection over {named}"
        )
    else:
        runs = Runs(CONFIRM + 1, CONFIRM + 1, (test,))
        said = (
            f"it fails alone ({runs.failed} of {runs.runs} runs) and passes after {found} "
            f"({CONFIRM + 1} of {CONFIRM + 1}): {found} sets up state it needs and does not "
            f"set itself, found by bisection over {named}"
        )
    return Classified(test, "order-dependent", found, role, runs, said)


def cleaner(
    polluter: str, victim: str, candidates: Sequence[str], probe: Probe, skip: Sequence[str] = ()
) -> str | None:
    """A test of ``candidates`` (not in ``skip``) that, run between ``polluter`` and ``victim``,
    makes the victim pass (iFixFlakies' cleaner), by bisection; None when none does alone."""
    left = [t for t in candidates if t not in (polluter, victim, *skip)]

    def cleans(sub: Sequence[str]) -> bool | None:
        return _outcome(probe, [polluter, *sub, victim], victim, True)

    if not left or not cleans(left):
        return None
    return bisect(left, cleans)
