"""The conditions the flaky hunt runs a change's tests under, round after round.

Ten reruns of a test alone, on an idle sandbox, in one order, named none of 26 real flaky tests:
real flakes need their file's other tests, an order, load, or another hash seed or time zone. So
each round of the hunt takes the next condition of a :class:`Schedule`: the tests in their files
as written, in a shuffled order (FlaPy: most Python flakes are order-dependent), beside CPU and
memory noise (Shaker, Silva et al. 2020), under another ``PYTHONHASHSEED`` and ``TZ``, alone,
and all of these at once. Every seed is drawn from the schedule's one recorded seed, so a
failing round can be replayed.

:data:`PLAIN` is the one condition the other judges' claims keep (the gate's flaky check,
review's suggestions): the claimed tests alone, in order, nothing beside them.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace

from cicd_agent.runners.table import PYTEST, PYTEST_SESSIONS
from cicd_agent.sandbox import Workspace

ZONES = ("Pacific/Kiritimati", "America/St_Johns", "Asia/Kathmandu", "Pacific/Pago_Pago")
"""Time zones far from UTC, with half and quarter hours: a test that assumes UTC or a whole
hour offset, or that runs near a date's edge, fails under one of them."""

MAX_REPEAT = 1_000
"""Most runs of each test in one round's session (a test of microseconds needs no more to
show a one-in-a-hundred flake, and a session's report stays small)."""

FLAKE_RATE = 100
"""The flake the hunt is sized to show: one failing 1 run in this many (under a condition)."""
SHOWN = 0.95
"""How likely such a flake fails at least one of :data:`ENOUGH` runs under one condition."""
ENOUGH = math.ceil(math.log(1 - SHOWN) / math.log(1 - 1 / FLAKE_RATE))
"""Passing runs of a test under one condition after which a flake of :data:`FLAKE_RATE` would
have failed one with :data:`SHOWN` probability: 299 (0.99 ** 299 < 0.05). While every run of
the hunt has passed, a round repeats its tests no more than this: more runs under the same
condition only show rarer flakes, and the budget left is not spent."""

NOISE = 3
"""Noise processes beside the tests."""


@dataclass(frozen=True)
class Condition:
    """How one round runs: which tests, in what order, beside what, in what environment."""

    label: str
    files: bool = True
    """The claimed tests' whole files (their other tests run too), else the claimed tests alone."""
    shuffle: int | None = None
    noise: int = 0
    hash_seed: int | None = None
    zone: str = ""
    repeat: int = 1
    """Runs of each test in the one session, the hunt's count for this round."""
    repeat_for: float = 0.0
    """Seconds of the session after which no repetition starts (0: no such bound)."""

    @property
    def environment(self) -> dict[str, str]:
        env = {} if self.hash_seed is None else {"PYTHONHASHSEED": str(self.hash_seed)}
        return env | ({"TZ": self.zone} if self.zone else {})

    @property
    def said(self) -> str:
        """The condition in words, its seeds included (a finding's "failed under ...")."""
        parts = [self.label]
        if self.shuffle is not None:
            parts.append(f"order seed {self.shuffle}")
        if self.noise:
            parts.append(f"{self.noise} CPU and memory noise processes")
        if self.hash_seed is not None:
            parts.append(f"PYTHONHASHSEED={self.hash_seed}")
        if self.zone:
            parts.append(f"TZ={self.zone}")
        if self.repeat > 1:
            parts.append(f"up to {self.repeat} runs in one session")
        return ", ".join(parts)

    def options(self) -> list[str]:
        return PYTEST_SESSIONS.varied(
            shuffle=self.shuffle, noise=self.noise, repeat=self.repeat, repeat_for=self.repeat_for
        )

    def arguments(self, space: Workspace, tests: Sequence[str]) -> list[str]:
        """The session's arguments for a round of ``tests``: the seam's selection (no id on the
        command line) of their files, or of the tests alone, then this condition's options."""
        files = list(dict.fromkeys(test.split("::", 1)[0] for test in tests))
        return [*PYTEST_SESSIONS.selecting(space, files if self.files else tests), *self.options()]

    def alone(self) -> Condition:
        """This condition over the claimed tests alone (their files' other tests left out): the
        hunt's fallback when whole files take longer than the budget leaves."""
        label = self.label.replace("in their files", "alone") if self.files else self.label
        return replace(self, files=False, label=label)

    def replay(self, test: str) -> str:
        """A shell command that runs ``test`` again under this condition with the project's
        own toolchain."""
        target = test.split("::", 1)[0] if self.files else test
        return PYTEST.reports.replay(self.environment, self.options(), target)


@dataclass(frozen=True)
class Schedule:
    """The conditions of successive rounds, cycled, all drawn from one recorded seed;
    ``repeats``: the most runs of each test in one round's session, each round running them as
    often as its share of the budget allows up to that (0: once)."""

    conditions: tuple[Condition, ...]
    seed: int = 0
    repeats: int = 0

    def at(self, round_number: int) -> Condition:
        return self.conditions[round_number % len(self.conditions)]


PLAIN = Schedule((Condition("alone", files=False),))


def varied(seed: int | None = None, cycles: int = 1, repeats: int = MAX_REPEAT) -> Schedule:
    """The flaky hunt's schedule: ``cycles`` turns of six conditions, each turn with fresh
    seeds from ``seed`` (a random one when None; the schedule keeps it for the replay), each
    round repeating the tests in its one session for its share of the budget: one turn by
    default, a session's start (seconds) being what a second turn would spend most on."""
    seed = random.SystemRandom().randrange(1 << 31) if seed is None else seed
    draw = random.Random(seed)  # noqa: S311 - reproducible orders, not secrets
    rounds: list[Condition] = []
    for turn in range(cycles):
        order, hashed = draw.randrange(1 << 31), draw.randrange(1, 1 << 31)
        zone = ZONES[turn % len(ZONES)]
        rounds += [
            Condition("in their files"),
            Condition("in their files, shuffled", shuffle=order),
            Condition("in their files, under load", noise=NOISE),
            Condition(
                "in their files, another hash seed and time zone", hash_seed=hashed, zone=zone
            ),
            Condition("alone, shuffled", files=False, shuffle=order + 1),
            Condition(
                "in their files, shuffled, under load, another hash seed and time zone",
                shuffle=order + 2,
                noise=NOISE,
                hash_seed=hashed + 1,
                zone=ZONES[(turn + 1) % len(ZONES)],
            ),
        ]
    return Schedule(tuple(rounds), seed, repeats)
