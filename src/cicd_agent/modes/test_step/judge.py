"""A test step's result after its failed tests were retried and its quarantine read.

The step ran once; the tests that failed were run again, up to a set number of times
(Datadog's automatic test retries). A test that then passed is *flaky*, with the runs that
show it; one under a live quarantine entry of the base's settings file (not expired, owner
named) is *quarantined*; any other failure is a failure. The step passes when every failure is
flaky or quarantined, and for flaky ones only when the repository's policy says
``pass`` (the default, ``fail``, keeps the job red and names them).

Two rules hold by construction, whatever the reports say:

- The outcomes are the JUnit reports the runs wrote, and the runs are the pull request's
  code: a test can write its own "passed" into a report. A run whose exit status disagrees
  with its report (status 0 with a failure in it, or a failing status with none) is not
  believed; and on code from someone who cannot push (``code_is_proof`` false, the one trust
  answer) neither a pass on retry nor a quarantine excuses anything: the step fails,
  saying what would have been excused.
- The entries are the caller's from the base's settings file, never the pull request's tree:
  this module only compares names. An entry names a test as its runner does (pytest's
  ``tests/test_a.py::test_b``); its canonical spelling (``tests.test_a.test_b``) counts only
  for a test its runner names no better (a JUnit report without its file) and no other test
  of the run shares: a pull request cannot name a new test into an entry's canonical name.
  Nor into its runner's id: an id two results of the run bear (vitest's ``calc broken``
  beside ``calc`` › ``broken``), or one a report rebuilt apart from the file its test is
  written in (a method inherited from another file), is excused by no entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Literal

from cicd_agent.actions.markdown import code_span, prose
from cicd_agent.analysis.changed_lines import Touched, likely_flaky, why_not
from cicd_agent.analysis.quarantine_match import Entry, covering, names_none
from cicd_agent.modes.test_step.arguments import MAX_RETRIES
from cicd_agent.modes.test_step.types import Attempt, StepFacts, StepVerdict

FlakyPolicy = Literal["fail", "pass"]


def analyse(facts: StepFacts, today: date, policy: FlakyPolicy) -> StepVerdict:
    """The step's verdict from the run's facts (:func:`judge_step` on them)."""
    verdict = judge_step(
        facts.attempts,
        facts.quarantine,
        today,
        code_is_proof=facts.trust.code_is_proof,
        policy=policy,
        unsure=facts.unsure,
        change=facts.change,
        apart={s.test: s.runs for s in facts.history if s.apart_only},
    )
    if facts.unread and verdict.failing:
        unread = f"Whether a failed test ran the changed lines was not checked: {facts.unread}."
        return replace(verdict, said=(*verdict.said, unread))
    return verdict


def judge_step(
    attempts: Sequence[Attempt],
    entries: Sequence[Entry],
    today: date,
    *,
    code_is_proof: bool,
    policy: FlakyPolicy = "fail",
    unsure: str = "",
    change: Touched | None = None,
    apart: Mapping[str, int] | None = None,
) -> StepVerdict:
    """The step's verdict from its first run and its retries (in order); with the ``change``'s
    lines, the first run's failures that ran none of them are named likely flaky beside it
    (described, never excused: the verdict is the retries' and the quarantine's alone).
    ``unsure``: why the code is not taken as proof when no one could tell who wrote it (no
    event, no answer); "" when it is GitHub's answer that its author cannot push. Each test
    is named as its runner prints it (``Attempt.names``); the runs are compared canonically.
    ``apart``: the tests the history shows failing the first run of each of its runs (how
    many), passing only on retries (:attr:`~cicd_agent.analysis.flaky_stats.FlakyStat.apart_only`):
    never flaky."""
    verdict = _with_lines(
        attempts,
        entries,
        today,
        code_is_proof=code_is_proof,
        policy=policy,
        unsure=unsure,
        change=change,
        apart=apart or {},
    )
    names: dict[str, str] = {}
    for attempt in reversed(attempts):  # the first run's name of a test, where it says one
        names.update(attempt.names)
    first = attempts[0] if attempts else None
    if (
        first
        and not first.doubt
        and (
            idle := names_none(
                entries,
                {names.get(t, t) for t in first.outcomes},
                what="the tests this run reported",
                within={p for each in first.parents.values() for p in each},
            )
        )
    ):
        verdict = replace(verdict, said=(*verdict.said, idle))

    def shown(pairs: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        return tuple((names.get(test, test), why) for test, why in pairs)

    failing = tuple(names.get(t, t) for t in verdict.failing)
    unloaded = first.unloaded if first else {}
    said = [
        f"{code_span(test, 200)} failed to load: {code_span(unloaded[test], 300)} (its runner's "
        "output)."
        for test in failing
        if test in unloaded
    ]
    return replace(
        verdict,
        said=(*verdict.said, *said),
        failing=failing,
        once=tuple(names.get(t, t) for t in verdict.once),
        apart=tuple(names.get(t, t) for t in verdict.apart),
        flaky=shown(verdict.flaky),
        quarantined=shown(verdict.quarantined),
        likely_flaky=shown(verdict.likely_flaky),
    )


def _with_lines(
    attempts: Sequence[Attempt],
    entries: Sequence[Entry],
    today: date,
    *,
    code_is_proof: bool,
    policy: FlakyPolicy,
    unsure: str,
    change: Touched | None,
    apart: Mapping[str, int],
) -> StepVerdict:
    """The verdict of the runs (:func:`_judged`) and, given the change, of the lines they ran."""
    verdict = _judged(
        attempts,
        entries,
        today,
        code_is_proof=code_is_proof,
        policy=policy,
        unsure=unsure,
        apart=apart,
    )
    if change is None or not attempts or attempts[0].doubt or not attempts[0].failed():
        return verdict
    if not code_is_proof:
        who = f"no one vouched for ({unsure})" if unsure else "from someone who cannot push"
        said = (
            "Whether a failed test ran the changed lines was not checked: the record of "
            f"them is written in the tests' process, by code {who}."
        )
        return replace(verdict, said=(*verdict.said, said))
    first = attempts[0]
    found = likely_flaky(first.failed(), first.ran_changed, change)
    why = why_not(first.ran_changed, change) or _checked(first)
    said = (
        f"{len(found)} failure(s) ran no line this change touched: likely flaky "
        "(DeFlaker's differential coverage; retried, never excused on that ground)."
        if found
        else f"No failed test is called likely flaky for running none of the changed lines: {why}."
    )
    unseen = [t for t in first.failed() if first.ran_changed and t in first.ran_changed.unseen]
    if unseen and found:
        said += (
            f" {len(unseen)} failure(s) could not be judged by what they ran (a process "
            "started, or the tracer set, during them)."
        )
    return replace(verdict, likely_flaky=tuple(found.items()), said=(*verdict.said, said))


def _judged(
    attempts: Sequence[Attempt],
    entries: Sequence[Entry],
    today: date,
    *,
    code_is_proof: bool,
    policy: FlakyPolicy,
    unsure: str,
    apart: Mapping[str, int],
) -> StepVerdict:
    """The verdict of the runs alone: retries and quarantine."""
    if not attempts:
        return StepVerdict(False, said=("the test step did not run",))
    first = attempts[0]
    if first.doubt:
        lead = (
            "The step failed"
            if first.unread or first.incomplete
            else "The step's report is not believed"
        )
        # tests that failed beside the ones not collected are named still: a test can print
        # go's line for a package that did not build, and hide its own failure behind it
        return StepVerdict(
            first.exit_status == 0 and not first.failed(),
            failing=tuple(first.failed()) if first.incomplete else (),
            said=(f"{lead}: {first.doubt}.",),
        )
    failed = first.failed()
    if not failed:
        return StepVerdict(True, said=("Every test passed on the first run.",))
    passed_again = passed_on_retry(attempts)
    ignored = [
        f"retry {number} is not believed: {retry.doubt}"
        for number, retry in enumerate(attempts[1:], start=1)
        if retry.doubt
    ]
    hidden = _hidden(attempts)
    parents = {
        **{t: p for retry in attempts[1:] for t, p in retry.parents.items()},
        **first.parents,
    }
    live = [e for e in entries if e.owner and (e.expires - today).days > 0]
    names: dict[str, str] = {}
    shared: dict[str, tuple[str, ...]] = {}
    for attempt in reversed(attempts):  # the first run's name of a test, where it says one
        names.update(attempt.names)
        shared.update(attempt.shared)
    covers = {
        t: _covered(t, names.get(t, t), shared.get(t, ()), live, parents.get(t, ()))
        for t in (*failed, *hidden)
    }
    # an entry excuses its test whatever a retry showed: retries may never make a step stricter
    quarantined = {
        t: why + (f", passed on retry {passed_again[t]}" if t in passed_again else "")
        for t, (why, _) in covers.items()
        if why
    }
    flaky = {
        test: f"failed on the first run, passed on retry {number}"
        for test, number in passed_again.items()
        if test not in apart and test not in quarantined
    }
    failing = tuple(t for t in (*failed, *hidden) if t not in flaky and t not in quarantined)
    said = [*(f"{line}." for line in ignored), *(line for _, line in covers.values() if line)]
    said += [
        f"`{names.get(t, t)}` passed on retry {passed_again[t]}, but failed the first run of each "
        f"of the last {apart[t]} runs the test history holds, passing only when retried "
        "apart from the suite: it depends on the tests run before it, not on chance, and no "
        "retry excuses it (`--fix-flaky suggest` names the test it depends on)."
        for t in failing
        if t in passed_again and t in apart
    ]
    if twins := [names.get(t, t) for t in failed if t in first.shared and t in failing]:
        said.append(
            f"{', '.join(f'`{t}`' for t in twins)}: two or more results bore the name "
            "on the first run, so no retry can say which one failed: never flaky."
        )
    if any(t in failing for t in hidden):
        said.append(
            f"{sum(t in failing for t in hidden)} test(s) the first run named no failure "
            "of their own (a parent whose subtests failed) failed on a retry."
        )
    excused = bool(flaky) and policy == "pass"
    if not code_is_proof and (flaky or quarantined):
        who = f"{unsure}: " if unsure else "The code is from someone who cannot push: "
        said.append(
            f"{who}its own reports could name any test passed or quarantined, so no "
            "retry and no quarantine excuses a failure."
        )
        return StepVerdict(
            False, failing, _not_excused(flaky), _not_excused(quarantined), tuple(said)
        )
    if flaky and not excused:
        said.append(
            f"{len(flaky)} test(s) failed and then passed on retry: flaky. The "
            "repository's policy (flaky: fail) keeps the step failed."
        )
        flaky = dict(_not_excused(flaky))
    passed = not failing and (not flaky or excused)
    if passed:
        said.append(
            "Every failure was "
            + " or ".join(
                word
                for word, there in (
                    ("flaky (passed on retry)", flaky),
                    ("a quarantined test", quarantined),
                )
                if there
            )
            + ": the step passes."
        )
    retried = [retry for retry in attempts[1:] if not retry.doubt]
    once = tuple(t for t in failing if not any(t in retry.outcomes for retry in retried))
    if failing and not passed:
        why = (
            "no retry ran them again"
            if retried
            else "no retry's report was believed"
            if attempts[1:]
            else "no retry was made"
        )
        said.append(_failed(len(failing), len(once), why))
    held = tuple(t for t in failing if t in passed_again and t in apart)
    return StepVerdict(
        passed,
        failing,
        tuple(flaky.items()),
        tuple(quarantined.items()),
        tuple(said),
        once=once,
        apart=held,
    )


def _failed(failing: int, once: int, why: str) -> str:
    """The line on the failing tests: "every run" only of those a retry ran again."""
    if not once:
        return f"{failing} test(s) failed on every run: the step fails."
    again = f"{failing - once} test(s) failed on every run; " if failing > once else ""
    return (
        f"{again}{once} test(s) failed on their one run ({why}, so whether they are "
        "flaky is not known): the step fails."
    )


def passed_on_retry(attempts: Sequence[Attempt]) -> dict[str, int]:
    """Each test that failed on the first run and passed on a retry that is believed, with that
    retry's number: the step's flaky tests, and what the test history keeps of its retries."""
    if not attempts or attempts[0].doubt:
        return {}
    first = attempts[0]
    failed = first.failed()
    found: dict[str, int] = {}
    for number, retry in enumerate(attempts[1:], start=1):
        if retry.doubt:
            continue
        for test in failed:  # one name of two results: its pass says not which was flaky
            if test not in found and test not in first.shared and retry.outcomes.get(test) is True:
                found[test] = number
    return found


def _hidden(attempts: Sequence[Attempt]) -> list[str]:
    """The tests a believed retry saw fail that the first run did not name: its runner left them
    out there, their failure only reflecting their subtests' (go's parents), and a retry in
    which those passed showed a failure of their own."""
    first = attempts[0]
    return list(
        dict.fromkeys(
            t
            for retry in attempts[1:]
            if not retry.doubt
            for t in retry.failed()
            if t not in first.outcomes
        )
    )


def _covered(
    test: str,
    own: str,
    shared: tuple[str, ...],
    live: Sequence[Entry],
    parents: tuple[str, ...],
) -> tuple[str, str]:
    """The quarantine of ``test`` (canonical; ``own``: its runner's id) by the rule
    analyse-failure shares (:func:`~cicd_agent.analysis.quarantine_match.covering`), and why an
    entry that names it only by its canonical spelling does not excuse it ("" otherwise)."""
    entry, within, why_not = covering(test, own, live, shared=shared, parents=parents)
    return (_entry(entry, within=within) if entry is not None else ""), why_not


def _entry(entry: Entry, *, within: bool) -> str:
    """The quarantine an ``entry`` gives a test (``within``: of a test it runs within)."""
    named = f" with {entry.test}" if within else ""
    return f"quarantined{named} until {entry.expires.isoformat()}, owner {entry.owner}"


def _not_excused(found: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """Each test and its evidence, said not to excuse it: one verdict per test, never listed
    as both flaky and failed."""
    return tuple((test, f"{why} (not excused)") for test, why in found.items())


__all__ = ["MAX_RETRIES", "Attempt", "StepVerdict", "analyse", "judge_step"]


def _checked(first: Attempt) -> str:
    """What the record showed of the first run's failures when none ran no changed line: each
    ran one, or what kept a failure from being judged (it passed alone, so what its failing run
    ran is not known; the record names it not)."""
    record = first.ran_changed
    unseen = record.unseen if record is not None else {}
    tests = record.tests if record is not None else {}
    said = [
        f"{code_span(first.names.get(test, test), 200)} "
        + (prose(unseen[test]) if test in unseen else "is not in the record of what each test ran")
        for test in first.failed()
        if tests.get(test) is not True
    ]
    return "; ".join(said[:5]) if said else "each ran a line the change touched"
