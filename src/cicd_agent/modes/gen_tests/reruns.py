"""The judge of the claim "these tests pass every time", over the sessions gen-tests drives
itself through the test-runner seam (pytest's, where a run is started, watched by the in-run
check, and its report read).

It runs the named tests again and again in one fresh sandbox copy and
counts, per test, the runs it passed and the runs it did not: a test that both passed and
failed is flaky; one that never passed is failing; one whose runs the budget or the timeout
cut short is unchecked, never stable; a pass the in-run check did not see is no pass. No node id
goes on a command line (our plugin reads them from a file), and a report naming more than
:data:`MAX_TESTS` stops the rounds. A round whose session gives no readable result (a test
wrote a report of its own, ended pytest, or was killed with it) is run again with each test in a
session of its own: one test's run costs no other test its verdict, and the test whose own
session still says nothing is set apart, unchecked, with why (a round that timed out is not
run again so: its tests had the time the budget left).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from cicd_agent.modes.gen_tests.conditions import (
    PLAIN,
    Condition,
    Schedule,
)
from cicd_agent.modes.gen_tests.rerun_counts import (
    MAX_TESTS,
    MIN_PACE,
    REPEATED_ID_BYTES,
    SHARE_USED,
    Counts,
    Enough,
    ReliableTests,
    Reruns,
    planned_runs,
)
from cicd_agent.runners.sessions import Evidence, Outcomes, SessionSandbox
from cicd_agent.runners.table import PYTEST
from cicd_agent.sandbox import RunResult, Workspace, remove_tree


def quiet(line: str) -> None:
    """Progress nobody reads (a caller with no progress seam)."""


class TestRuns:
    """Runs pytest (``pytest``: the command and its options, our plugin loaded) in ``sandbox``."""

    __test__ = False  # a name pytest would otherwise collect

    def __init__(self, sandbox: SessionSandbox, pytest: Sequence[str], *, timeout: float) -> None:
        self.sandbox = sandbox
        self.pytest = tuple(pytest)
        self.timeout = timeout

    def once(
        self, space: Workspace, args: Sequence[str], *, timeout: float | None = None
    ) -> tuple[RunResult, Evidence]:
        """One run of ``pytest`` with ``args`` in ``space``."""
        return self.sandbox.session([*self.pytest, *args], space, timeout=timeout or self.timeout)

    def judge(
        self,
        claim: ReliableTests,
        label: str = "reruns",
        *,
        said: Callable[[str], None] = quiet,
        schedule: Schedule = PLAIN,
    ) -> Reruns:
        """Run ``claim.tests`` together in a fresh copy of the project, then each test they
        hold again, round after round, as often as :func:`planned_runs` gives it for the time
        pytest measured it taking (or ``claim.runs``), while the budget lasts, each round under
        the ``schedule``'s next condition; a schedule that ``repeats`` runs the tests in each
        round's one session as often as the round's share of the budget holds (the first
        round once, to measure them), no more than
        :data:`~.conditions.ENOUGH` (whose claim the evidence carries).
        ``said`` gets one line as each round starts (the caller's progress): rounds may take
        minutes."""
        # A node id is the pull request's file and test name: one that reads as an option is
        # never put on a command line.
        due = claimed = [test for test in claim.tests if test and not test.startswith("-")]
        if not due:
            return Reruns({}, stopped="no test to run")
        ends = time.monotonic() + claim.budget if claim.budget else math.inf
        tally = _Tally()
        runs, seconds, stopped = 0, 0.0, ""
        apart: dict[str, str] = {}
        alone_runs = 0  # the sessions of rounds run again test by test
        space = self.sandbox.workspace(label)
        try:
            while due:
                left = ends - time.monotonic()
                if left <= 0:
                    stopped = "the time budget was spent"
                    break
                condition = tally.condition(schedule.at(runs), runs + 1, due, left)
                if schedule.repeats > 1:
                    condition = tally.repeat(
                        condition, due, left, self.timeout, tally.enough.cap(schedule.repeats)
                    )
                varied = f", {condition.label}" if len(schedule.conditions) > 1 else ""
                times = f", up to {condition.repeat} runs each" if condition.repeat > 1 else ""
                said(f"{label}: round {runs + 1}, {len(due)} test(s){times}{varied}")
                # Files never measured get at most half of what is left, the rest for the tests
                # alone if they do not finish.
                first = condition.files and not tally.files_took and _ids(due)
                result, evidence = self.sandbox.session(
                    [*self.pytest, *condition.arguments(space, due)],
                    space,
                    timeout=min(self.timeout, left / 2 if first else left),
                    extra_env=condition.environment,
                )
                runs, seconds = runs + 1, seconds + result.seconds
                outcomes = evidence.outcomes
                why = PYTEST.reports.why_no_result(result, evidence)
                if why and condition.files and _ids(due) and not tally.alone_from:
                    # Their files gave no result (too slow, or another test ended pytest): the
                    # tests alone from the next round on.
                    tally.alone_from = runs + 1
                    continue
                took = result.seconds
                if (why or outcomes is None) and len(due) > 1 and not result.timed_out:
                    # No readable result for any of them: each again in a session of its own
                    # (not after a timeout: shorter sessions would time out too, and say less).
                    said(f"{label}: round {runs}, each of {len(due)} test(s) on its own")
                    condition, sessions, outcomes = self._apart(space, condition, due, ends, apart)
                    alone_runs, seconds = alone_runs + len(sessions), seconds + sum(sessions)
                    took, why = max(sessions, default=0.0), ""
                if why or outcomes is None:
                    stopped = f"run {runs}: {why or 'no test gave a word to believe'}"
                    break  # no trustworthy word on any of them: the rest stays unchecked
                tally.files_took = took if condition.files else tally.files_took
                # A forged report's other ids never run next; past MAX_TESTS none is followed.
                mine = {t: o for t, o in outcomes.tests.items() if _under(t, claimed)}
                stopped = _unfollowed(runs, mine, tally.planned)
                if stopped:
                    break
                tally.measured(took, outcomes.seconds.values(), condition)
                tally.add(
                    mine,
                    outcomes.seconds,
                    condition,
                    claim.runs or 0,
                    len(schedule.conditions),
                    repeats=outcomes.repeats,
                    repeated=schedule.repeats > 1,
                )
                due = [
                    test
                    for test, count in tally.planned.items()
                    if count > tally.counted and not _under(test, tuple(apart))
                ]
            lone = [] if stopped else self._alone(space, tally, ends)
        finally:
            remove_tree(space.root)
        return tally.reruns(
            claimed,
            runs=runs + alone_runs + len(lone),
            seconds=seconds + sum(lone),
            stopped=stopped,
            seed=schedule.seed,
            apart=apart,
        )

    def _alone(self, space: Workspace, tally: _Tally, ends: float) -> list[float]:
        """Each test that failed every run beside the others (a node id) once more in a
        session of its own, at most :data:`ALONE_CHECKS` of them, while the budget lasts: the
        outcome its run reported goes into ``tally.alone`` (none where the session gave no word
        to believe); each session's seconds are returned. One that passes alone fails because
        of a neighbour's state, as the test step's classification would find."""
        failing = [t for t in tally.failed if not tally.passed.get(t) and _ids([t])]
        sessions: list[float] = []
        for test in failing[:ALONE_CHECKS]:
            left = ends - time.monotonic()
            if left <= 0:
                break
            result, evidence = self.sandbox.session(
                [*self.pytest, *PLAIN.conditions[0].arguments(space, [test])],
                space,
                timeout=min(self.timeout, left),
            )
            sessions.append(result.seconds)
            heard = evidence.outcomes
            outcome = "" if heard is None else heard.tests.get(test, "")
            if outcome in ("passed", "failed") and not PYTEST.reports.why_no_result(
                result, evidence
            ):
                tally.alone[test] = outcome
        return sessions

    def _apart(
        self,
        space: Workspace,
        condition: Condition,
        due: Sequence[str],
        ends: float,
        apart: dict[str, str],
    ) -> tuple[Condition, list[float], Outcomes | None]:
        """Each of ``due`` in a session of its own under ``condition`` (alone, when they are
        node ids), within the budget that ``ends``: the condition run, the seconds of each
        session, and the outcomes of those that gave a word to believe, together (None: none
        did); each that did not goes into ``apart`` with why."""
        condition = condition.alone() if _ids(due) else condition
        sessions: list[float] = []
        heard: list[Outcomes] = []
        for number, test in enumerate(due):
            left = ends - time.monotonic()
            if left <= 0:
                break  # the rest stays unchecked, not set apart: it never had its session
            result, evidence = self.sandbox.session(
                [*self.pytest, *condition.arguments(space, [test])],
                space,
                timeout=min(self.timeout, left / (len(due) - number)),
                extra_env=condition.environment,
            )
            sessions.append(result.seconds)
            why = PYTEST.reports.why_no_result(result, evidence)
            if evidence.outcomes is None or why:
                apart[test] = why or "its run gave no report"
            else:
                heard.append(evidence.outcomes)
        if not heard:
            return condition, sessions, None
        return (
            condition,
            sessions,
            replace(
                heard[0],
                tests={t: o for one in heard for t, o in one.tests.items()},
                seconds={t: s for one in heard for t, s in one.seconds.items()},
                repeats={t: r for one in heard for t, r in one.repeats.items()},
            ),
        )


@dataclass
class _Tally:
    """Each test's passed and failed runs, its planned runs, and its failing runs' conditions
    and first replay, added to round by round."""

    passed: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    planned: dict[str, int] = field(default_factory=dict)
    under: dict[str, list[str]] = field(default_factory=dict)
    replays: dict[str, str] = field(default_factory=dict)
    rounds: dict[str, int] = field(default_factory=dict)
    counted: int = 0
    """Rounds whose report was believed: the clock each test's planned runs read."""
    each_took: float = 0.0
    """The last round's seconds for one run of every test in its session."""
    start_took: float = 0.0
    """The last round's seconds outside its tests (pytest's start, imports, noise)."""
    files_took: float = 0.0
    """The last whole-files round's seconds."""
    alone_from: int = 0
    """The round from which whole files no longer fit the budget: the tests ran alone."""
    alone: dict[str, str] = field(default_factory=dict)
    """The outcome of each always-failing test's one run in a session of its own."""
    enough: Enough = field(default_factory=Enough)

    def condition(
        self, condition: Condition, round_: int, due: Sequence[str], left: float
    ) -> Condition:
        """``condition`` for round ``round_``, over the tests alone (their other conditions
        kept) once their files' rounds would take more than the ``left`` seconds: node ids can
        run alone, and a test run alone is checked where its whole file would leave it
        unchecked."""
        if condition.files and not self.alone_from and _ids(due):
            rounds = max((self.planned.get(test, 0) for test in due), default=0) - self.counted
            if self.files_took * rounds > left:
                self.alone_from = round_
        return condition.alone() if self.alone_from else condition

    def repeat(
        self, condition: Condition, due: Sequence[str], left: float, timeout: float, most: int
    ) -> Condition:
        """``condition`` with its runs of each test in the round's one session: what its share
        of the ``left`` seconds (the rounds still due share them, none past ``timeout``) holds
        after the session's start, at the last round's pace, twice over, with the share as the
        plugin's bound on repeating (it stops repeating there); once before any round measured
        the pace; at most ``most`` runs."""
        if not self.each_took:
            return condition
        rounds = max((self.planned.get(test, 0) for test in due), default=1) - self.counted
        share = min(left / max(rounds, 1), timeout) * SHARE_USED - self.start_took
        times = max(1, min(most, int(2 * share / self.each_took)))
        # Each run's record carries its test's id: long ids repeated must stay well inside
        # what one run's evidence may hold, or the report is cut and the round says nothing.
        ids = sum(len(test.encode()) for test in due) or 1
        times = max(1, min(times, REPEATED_ID_BYTES // ids))
        return replace(condition, repeat=times, repeat_for=max(share, 0.0))

    def measured(self, seconds: float, took: Iterable[float], condition: Condition) -> None:
        """A believed round's pace: ``seconds`` in all, ``took`` by its tests' own setup, call
        and teardown: a round of one run each measures the session's start, a repeated one the
        runs (pytest's own time for each item counted too)."""
        tests = sum(took)
        if condition.repeat <= 1 or not self.each_took:
            self.start_took = max(seconds - tests, 0.0)
            self.each_took = max(tests, MIN_PACE)
        else:
            self.each_took = max(tests, seconds - self.start_took, MIN_PACE) / condition.repeat

    def add(
        self,
        outcomes: Mapping[str, str],
        took: Mapping[str, float],
        condition: Condition,
        runs: int,
        most: int,
        *,
        repeats: Mapping[str, tuple[int, int]],
        repeated: bool = False,
    ) -> None:
        """One round's ``outcomes`` under ``condition`` (a repeated test's passes and failures
        in ``repeats``): a test's first round plans its rounds (``runs``, else by the seconds
        one run of it ``took``, at least ``most``; a ``repeated`` schedule's, at most ``most``:
        its rounds give each condition its turn, its repetitions the count)."""
        self.counted += 1
        ran: dict[str, tuple[int, int]] = {}
        for test, outcome in outcomes.items():
            passes, failures = repeats.get(test, (outcome == "passed", outcome != "passed"))
            if outcome != "skipped" and passes + failures:  # a skip: the test did not run
                self.passed[test] = self.passed.get(test, 0) + passes
                self.failed[test] = self.failed.get(test, 0) + failures
                self.rounds[test] = self.rounds.get(test, 0) + 1
                ran[test] = passes, failures
            if outcome not in ("passed", "skipped") or failures:
                self.under.setdefault(test, []).append(condition.said)
                self.replays.setdefault(test, condition.replay(test))
            if test not in self.planned:
                due = planned_runs(took.get(test, 0) / max(condition.repeat, 1), most)
                self.planned[test] = runs or (
                    min(due, most) if self.each_took and repeated else due
                )
        self.enough.add(replace(condition, repeat=1, repeat_for=0.0).said, ran)

    def reruns(
        self,
        claimed: Sequence[str],
        *,
        runs: int,
        seconds: float,
        stopped: str,
        seed: int,
        apart: Mapping[str, str],
    ) -> Reruns:
        """The evidence: each of ``claimed``'s counts, the rounds' ``runs`` and ``seconds``,
        why they ``stopped`` ("" when they did not), the schedule's ``seed``, the tests set
        ``apart``, and what every run passing showed (none where a test was cut or set apart)."""
        counts = self.counts(claimed)
        failures = {test: tuple(labels) for test, labels in self.under.items()}
        shown = "" if stopped or apart else self.enough.said(counts)
        return Reruns(
            counts,
            runs,
            seconds,
            stopped,
            failures,
            self.replays,
            seed,
            self.alone_from,
            dict(apart),
            shown,
            dict(self.alone),
        )

    def counts(self, claimed: Sequence[str]) -> dict[str, Counts]:
        """Each test's record; a ``claimed`` name no run reported on (a timeout, a spent
        budget, a session set apart) is unchecked."""
        tests = {
            test: Counts(
                self.passed.get(test, 0),
                self.failed.get(test, 0),
                self.planned.get(test, 0),
                self.rounds.get(test, 0),
            )
            for test in sorted(self.passed.keys() | self.failed.keys())
        }
        unheard = [name for name in claimed if not any(_under(test, (name,)) for test in tests)]
        return tests | dict.fromkeys(unheard, Counts())


def _unfollowed(runs: int, mine: Mapping[str, str], planned: Mapping[str, int]) -> str:
    """Why round ``runs``, whose report names ``mine`` of the claimed tests, stops the rounds
    ("" when it does not): more tests than :data:`MAX_TESTS`, or none ever."""
    if len(planned.keys() | mine.keys()) > MAX_TESTS:
        return (
            f"run {runs}: its report names {len(mine):,} tests of the change, "
            f"more than the {MAX_TESTS:,} followed"
        )
    return "" if mine or planned else f"run {runs}: its report names none of the tests"


ALONE_CHECKS = 5
"""The most always-failing tests run once more alone (each is one more session)."""


def _ids(tests: Sequence[str]) -> bool:
    """Whether every one of ``tests`` is a node id (one a round can run alone, without its
    file's other tests)."""
    return all("::" in test for test in tests)


def _under(test: str, names: Sequence[str]) -> bool:
    """Whether ``test`` is one of ``names`` or a test of one (``file::name``, ``name[param]``)."""
    return any(test == name or test.startswith((f"{name}::", f"{name}[")) for name in names)
