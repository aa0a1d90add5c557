"""What the reruns of the change's tests count: the claim, each test's passes and runs and its
verdict, the whole rerun's result, and when enough runs were made."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from cicd_agent.modes.gen_tests.conditions import (
    ENOUGH,
    FLAKE_RATE,
    SHOWN,
)


@dataclass(frozen=True)
class ReliableTests:
    """The claim "these tests pass every time they run".

    ``tests`` are pytest node ids or files; each is run ``runs`` times, or (0) as often as its
    first run's length allows: 10 runs under 5 s, 5 under 30 s, 2 under 5 min, none above (the
    counts of Datadog's early flake detection), all within ``budget`` seconds (0: no budget)."""

    tests: tuple[str, ...]
    runs: int = 0
    budget: float = 0.0


MAX_TESTS = 10_000
"""Most tests a claim follows: a report naming more (ids a test forged) stops the rounds."""


SHARE_USED = 0.5
"""The part of a round's share of the budget its repetitions may fill (the rest: the pace of
one round is not the next's; a round cut by its timeout gives no result)."""


REPEATED_ID_BYTES = 8 << 20
"""The most bytes of test ids one round's repetitions may write into its evidence (an eighth
of what a run's evidence pipe keeps)."""


MIN_PACE = 0.001
"""The least seconds one run of a round's tests is taken to need."""


RUNS_BY_SECONDS = ((5.0, 10), (30.0, 5), (300.0, 2))
"""How often a test is run by how long its first run took (Datadog's early flake detection);
one slower than the last bound is not run again."""


def planned_runs(seconds: float, most: int = 10) -> int:
    """How many runs in all a test whose first run took ``seconds`` gets (0: too slow), the
    count of a fast one raised to ``most`` (a schedule's length: each of its conditions once)."""
    runs = next((runs for bound, runs in RUNS_BY_SECONDS if seconds < bound), 0)
    return max(runs, most) if runs == RUNS_BY_SECONDS[0][1] else runs


@dataclass(frozen=True)
class Counts:
    """One test's record: runs it passed, runs it ran and did not pass, rounds it was due, and
    the rounds that ran it (0: one run a round, its runs are its rounds)."""

    passed: int = 0
    failed: int = 0
    planned: int = 0
    rounds: int = 0

    @property
    def runs(self) -> int:
        return self.passed + self.failed

    @property
    def verdict(self) -> str:
        """``flaky`` (both), ``failing`` (never passed), ``stable`` (passed every run it was
        due), else ``unchecked``: fewer runs than planned is no evidence of stability."""
        if self.passed and self.failed:
            return "flaky"
        if not self.planned or (self.rounds or self.runs) < self.planned:
            return "unchecked"
        return "failing" if self.failed else "stable"


@dataclass(frozen=True)
class Reruns:
    """The evidence for a claim: each test's counts, the pytest runs made and their seconds,
    and why the rounds stopped before their count ("" when they did not)."""

    tests: Mapping[str, Counts]
    runs: int = 0
    seconds: float = 0.0
    stopped: str = ""
    failed_under: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Each test's failing runs, by the condition each ran under."""
    replays: Mapping[str, str] = field(default_factory=dict)
    """For each test that failed, a command that replays its first failing run."""
    seed: int = 0
    """The schedule's seed, every round's order, hash seed and zone drawn from it."""
    alone_from: int = 0
    """The round from which the tests ran alone, their files taking longer than the budget
    left (0: never)."""
    set_apart: Mapping[str, str] = field(default_factory=dict)
    """The tests whose own session gave no readable result, with why: not run again."""
    shown: str = ""
    """Where every run passed and each test passed :data:`~.conditions.ENOUGH` runs under a
    condition, what that shows ("" otherwise)."""
    alone: Mapping[str, str] = field(default_factory=dict)
    """Each test that failed every run beside others, run once in a session of its own: the
    outcome it reported there (``passed``: it fails only after another test)."""


@dataclass
class Enough:
    """What a hunt's runs have shown so far, to stop it early where every run passed: each
    test's runs and the conditions it ran under, and those under which it passed
    :data:`~.conditions.ENOUGH` runs in one round. A round repeats its tests no more than that:
    while every run passed, more runs under one condition would only show rarer
    flakes; once one failed, the test is flaky already and more runs would only refine its
    rate, which no verdict reads."""

    runs: dict[str, int] = field(default_factory=dict)
    ran: dict[str, set[str]] = field(default_factory=dict)
    met: dict[str, set[str]] = field(default_factory=dict)
    failed: bool = False

    def add(self, condition: str, counts: Mapping[str, tuple[int, int]]) -> None:
        """One round's ``counts`` (each test's passed and failed runs) under ``condition``."""
        for test, (won, lost) in counts.items():
            self.failed = self.failed or lost > 0
            self.runs[test] = self.runs.get(test, 0) + won + lost
            self.ran.setdefault(test, set()).add(condition)
            self.met.setdefault(test, set()).update((condition,) if won >= ENOUGH else ())

    def cap(self, times: int) -> int:
        """A repeated round's runs of each test: ``times``, at most :data:`ENOUGH`."""
        return max(1, min(times, ENOUGH))

    def said(self, tests: Iterable[str]) -> str:
        """The claim the runs of ``tests`` show ("" for none: a run failed, a test never ran or
        passed :data:`ENOUGH` runs in no round): each test's fewest runs and conditions, and
        the conditions under which each passed enough that a flake of
        :data:`~.conditions.FLAKE_RATE` would have failed there with :data:`SHOWN` probability."""
        tests = list(tests)
        if self.failed or not tests or any(not self.met.get(test) for test in tests):
            return ""
        fewest = min(self.runs[test] for test in tests)
        under = min(len(self.ran[test]) for test in tests)
        enough = min(len(self.met[test]) for test in tests)
        return (
            f"stable: {fewest:,} runs of each test in {under} conditions, all passed; at "
            f"least {ENOUGH} in each of {enough}, where a test failing 1 run in {FLAKE_RATE} "
            f"would have failed one with {SHOWN:.0%} probability"
        )
