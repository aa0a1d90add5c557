"""A pull request writes the tests the fixer classifies, so a test's outcome in each run is
the attacker's choice: one that passes alone and fails after the others with any probability,
in a suite of any length, costs a bounded number of runs; a test that never failed alone is
never said to fail at random; and an order-dependent test whose polluter was not named gets no
fix, so never a verified one."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import cast

from cicd_agent.modes.test_step.dependence import CONFIRM, RERUNS, classify
from cicd_agent.modes.test_step.fixer import _fixed
from cicd_agent.verify.orders import OrderedRuns

LONG = [f"t{number}" for number in range(2_000)]
VICTIM = "t1500"


class Hostile:
    """Every test passes but the victim, which passes alone and fails after any other test
    with probability ``rate`` (its own coin, the attacker's), every run counted."""

    def __init__(self, rate: float, seed: int) -> None:
        self.rate, self.draw, self.runs = rate, random.Random(seed), 0

    def probe(self, order: Sequence[str]) -> Mapping[str, bool]:
        self.runs += 1
        said = dict.fromkeys(order, True)
        if VICTIM in said and order[0] != VICTIM:
            said[VICTIM] = self.draw.random() >= self.rate
        return said

    def reruns(self, test: str, times: int) -> tuple[int, int]:
        failed = sum(not self.probe([test])[test] for _ in range(times))
        return failed, times


def test_attack_a_victim_failing_after_others_at_any_rate_costs_bounded_runs() -> None:
    """ATTACK: a rate from one in a thousand to always, over a suite of 2,000 tests: the runs
    stay bounded (bisection's are logarithmic in the suite), its words never say "at random"
    (it never failed alone), and "order-dependent" always shows failing runs after others."""
    most = 0
    for rate in (0.001, 0.05, 0.3, 0.5, 0.8, 1.0):
        for seed in range(40):
            suite = Hostile(rate, seed)
            found = classify(VICTIM, [LONG, LONG[::-1]], suite.probe, suite.reruns)
            most = max(most, suite.runs)
            assert "at random" not in found.evidence, (rate, seed, found)
            assert found.kind != "not-order-dependent", (rate, seed, found)
            if found.kind == "order-dependent":
                assert 0 < found.before.failed <= found.before.runs, (rate, seed, found)
                assert found.before.order[-1] == VICTIM, (rate, seed, found)
    # alone, two orders each with steady reruns and a bisection of 2,000, the reruns alone,
    # and up to CONFIRM + 1 more runs after the others
    assert most <= 2 * (4 * CONFIRM + 2 * 11 + 2) + RERUNS + CONFIRM + 2, most


def test_attack_an_order_dependent_test_with_no_polluter_named_gets_no_fix() -> None:
    """ATTACK: a polluter that leaks only sometimes escapes bisection; the victim is called
    order-dependent with no related test, and no fix is tried, so none is ever verified."""
    found = None
    for seed in range(200):
        suite = Hostile(0.5, seed)
        found = classify(VICTIM, [LONG, LONG[::-1]], suite.probe, suite.reruns)
        if found.kind == "order-dependent" and not found.related:
            break
    assert found is not None and found.kind == "order-dependent" and not found.related, found
    # no run is asked for before the missing polluter stops it: the runner is never used
    fix = _fixed(cast(OrderedRuns, None), found, LONG, trusted=True)
    assert fix.status == "none", fix
