"""The change's own tests of a runner other than pytest, run again round after round in one
sandbox copy (in their order, shuffled with a recorded seed, in far time zones, beside noise where
the runner makes it), within the budget: a test that both passed and failed is flaky before it
merges; each failure keeps the condition it failed under and the command that replays it."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from cicd_agent.modes.gen_tests.arguments import DEFAULT_OTHER_RUNS
from cicd_agent.modes.gen_tests.conditions import MAX_REPEAT, NOISE, ZONES
from cicd_agent.modes.gen_tests.rerun_counts import SHARE_USED, Counts, Enough, Reruns
from cicd_agent.runners.base import PASSED, Selection, TestReport
from cicd_agent.runners.protocol import Repeats, Runner
from cicd_agent.sandbox.run import Sandbox
from cicd_agent.sandbox.workspace import remove_tree

ROUNDS = DEFAULT_OTHER_RUNS
"""Runs of the change's own tests unless ``pr-test-runs`` says: in their order, then shuffled,
alternately, the first two in the job's time zone and each later pair under another, every
third round beside CPU and memory noise where the runner makes it (cargo's repeats); each test
is due every round; a round the budget cuts leaves it unchecked, never stable. A round is
named by what its report says it ran (a runner that cannot shuffle ran it in order)."""


NOT_RUN = frozenset({"skipped", "pending", "todo", "disabled"})
"""Outcomes of a test that did not run: neither a pass nor a failure."""


def rerun(
    runner: Runner,
    sandbox: Sandbox,
    tests: Sequence[str],
    *,
    repeats: Repeats,
    timeout: float,
    budget: float,
    seed: int,
    rounds: int = ROUNDS,
    say: Callable[[str], None] = lambda _: None,
    repeat: bool = True,
    rerun_file: Callable[[str], str] | None = None,
) -> Reruns:
    """``tests`` (files) run ``rounds`` times in one copy, odd rounds shuffled with a seed
    drawn from ``seed`` and recorded, zones and noise as :data:`ROUNDS` says; each test's
    counts by the runner's report. A runner that repeats a test in one process
    (:attr:`~cicd_agent.runners.protocol.Repeats.repeats`, ``go test -count``) runs
    each round after the first as often as the round's share of the budget holds at the last
    round's pace (:func:`repeats_next`), no more than enough to show a
    flake of :data:`~cicd_agent.modes.gen_tests.conditions.FLAKE_RATE` under its condition
    (:class:`~cicd_agent.modes.gen_tests.reruns.Enough`, which says what the runs showed); not
    ``repeat`` (the change adds no test), once a round. A failure's replay is the command the
    runner's report gives, else ``rerun_file``'s for the test's file. A round whose
    report is no result stops the rounds (the rest stays unchecked). Each round is announced
    through ``say``, after the first with how long it takes at the last round's pace: a round
    of many runs in one process says nothing more until it ends."""
    draw = random.Random(seed)  # noqa: S311 - reproducible orders, not secrets
    ends = time.monotonic() + budget
    passed: dict[str, int] = {}
    rounded: dict[str, int] = {}
    failed: dict[str, int] = {}
    under: dict[str, list[str]] = {}
    replays: dict[str, str] = {}
    # the last round's seconds and runs of each test: the next one's pace
    runs, seconds, stopped, times, last = 0, 0.0, "", 1, (0.0, 1)
    enough = Enough()
    space = sandbox.workspace("runner reruns")
    try:
        while runs < rounds:
            if (left := ends - time.monotonic()) <= 0:
                stopped = "the time budget was spent"
                break
            order = draw.randrange(1, 2**31) if runs % 2 else None
            zone = ZONES[(runs // 2 - 1) % len(ZONES)] if runs >= 2 else ""
            chosen = Selection(
                tuple(tests),
                seed=order,
                zone=zone,
                repeat=times,
                noise=NOISE if runs % 3 == 2 else 0,
            )
            say(
                _round_said(
                    runner.name, runs + 1, rounds=rounds, files=len(tests), times=times, last=last
                )
            )
            report = runner.run(sandbox, space, chosen, timeout=min(timeout, left))
            runs, seconds, last = runs + 1, seconds + report.seconds, (report.seconds, times)
            if report.problem:
                stopped = f"run {runs}: {report.problem[:300]}"
                break
            if not any(test.split(" › ")[0] in tests for test in report.outcomes):
                stopped = (
                    f"run {runs}: {runner.name}'s report shows no test of these files "
                    "(do its settings leave them out?)"
                )
                break
            ran: dict[str, tuple[int, int]] = {}
            for test, outcome in report.outcomes.items():
                if outcome in NOT_RUN or test.split(" › ")[0] not in tests:
                    continue  # go runs a package's other files' tests too: none of these
                won, lost = ran[test] = report.repeats.get(
                    test, (outcome == PASSED, outcome != PASSED)
                )
                passed[test] = passed.get(test, 0) + won
                failed[test] = failed.get(test, 0) + lost
                rounded[test] = rounded.get(test, 0) + 1
                if outcome != PASSED:  # the report's seed: a runner that cannot shuffle has none
                    said, again = _failed_under(report, chosen)
                    under.setdefault(test, []).append(said)
                    replays.setdefault(test, _replay(report, test, again, rerun_file))
            enough.add(_failed_under(report, replace(chosen, repeat=1))[0], ran)
            if repeats.repeats is not None and repeat:  # no more than enough to show a flake
                times = enough.cap(
                    repeats_next(times, report.seconds, min(timeout, left) / (rounds - runs + 1))
                )
    finally:
        remove_tree(space.root)
    counts = {
        test: Counts(passed.get(test, 0), failed.get(test, 0), rounds, rounded.get(test, 0))
        for test in sorted(passed.keys() | failed.keys())
    }
    for file in tests:  # a file no report showed a test of (ignored by its settings?): unchecked
        if not any(test.split(" › ")[0] == file for test in counts):
            counts[file] = Counts()
    failures = {test: tuple(labels) for test, labels in under.items()}
    shown = "" if stopped else enough.said(counts)
    return Reruns(counts, runs, seconds, stopped, failures, replays, seed, shown=shown)


def _round_said(
    name: str, number: int, *, rounds: int, files: int, times: int, last: tuple[float, int]
) -> str:
    """A round's line of progress; after the first, how long it takes at the ``last`` round's
    pace (its seconds and runs of each test)."""
    pace = f", about {last[0] * times / last[1]:,.0f} s at the last round's pace" if last[0] else ""
    each = f", {times:,} runs each" if times > 1 else ""
    return f"{name} reruns: round {number} of {rounds}, {files} test file(s){each}{pace}"


def _failed_under(report: TestReport, chosen: Selection) -> tuple[str, str]:
    """A round's condition in words, and the replay's words after the file: its order and
    noise as the ``report`` says it ran (a runner that cannot shuffle has no seed), the rest
    as ``chosen``."""
    shuffle = report.seed
    said = "in their order" if shuffle is None else f"shuffled with seed {shuffle}"
    again = "" if shuffle is None else f", shuffle seed {shuffle}"
    if chosen.repeat > 1:
        said, again = (
            f"{said}, {chosen.repeat} runs in one process",
            f"{again}, {chosen.repeat} runs",
        )
    if report.noise:
        said, again = (
            f"{said}, beside {report.noise} CPU and memory noise processes",
            f"{again}, {report.noise} noise processes",
        )
    zone = f", TZ={chosen.zone}" if chosen.zone else ""
    return said + zone, again + zone


def _replay(report: TestReport, test: str, again: str, rerun: Callable[[str], str] | None) -> str:
    """The command that replays ``report``'s run where the runner says it (the noise beside
    it in words), else the runner's command for the test's file (``rerun``: cargo's
    ``cargo test --test shared``), its zone before it and the rest of the condition after it
    in words."""
    if not report.command and rerun is None:
        return f"{report.runner} on {test.partition(' › ')[0]}{again}"
    if not report.command and rerun is not None:
        words = [word for word in again.split(", ") if word]
        zone = [word for word in words if word.startswith("TZ=")]
        rest = [word for word in words if not word.startswith("TZ=")]
        command = " ".join([*zone, rerun(test.partition(" › ")[0])])
        return command + (f" ({', '.join(rest)})" if rest else "")
    noise = f" (beside {report.noise} CPU and memory noise processes)" if report.noise else ""
    return report.command + noise


def repeats_next(times: int, took: float, share: float) -> int:
    """Runs of each test in the next round's one process: the last round's ``times`` scaled
    to the round's ``share`` of seconds as if all of the ``took`` seconds grew with the runs
    (a build and a start do not: the count grows round by round), with a margin."""
    if took <= 0:
        return times
    return max(1, min(MAX_REPEAT, int(times * share * SHARE_USED / took)))
