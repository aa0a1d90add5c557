"""iDFlakies' classification and iFixFlakies' cleaner search over a model suite whose runs the
test decides: a victim's polluter and a brittle test's state-setter are found by bisection, in
fewer runs than one per test before it; a test that fails at random is never called
order-dependent; a run with no result stops the search, never guesses."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from cicd_agent.modes.test_step.dependence import (
    CONFIRM,
    RERUNS,
    Runs,
    bisect,
    classify,
    cleaner,
    reruns_needed,
)

SUITE = [f"t{number}" for number in range(40)]


class Suite:
    """Tests that pass but ``victim``, which fails after ``polluter`` unless ``cleaner`` ran
    between; a brittle test that passes only after ``setter``; every run counted."""

    def __init__(self, *, victim: str = "", polluter: str = "", cleaners: Sequence[str] = (),
                 brittle: str = "", setter: str = "", random_test: str = "",
                 leaks: float = 1.0) -> None:  # fmt: skip
        self.victim, self.polluter, self.cleaners = victim, polluter, set(cleaners)
        self.leaks = leaks
        self.brittle, self.setter, self.random_test = brittle, setter, random_test
        self.runs = 0
        self.orders: list[tuple[str, ...]] = []
        self.draw = random.Random(7)

    def probe(self, order: Sequence[str]) -> Mapping[str, bool]:
        self.runs += 1
        self.orders.append(tuple(order))
        said: dict[str, bool] = {}
        dirty = ready = False
        for test in order:
            if test == self.victim:
                said[test] = not dirty
            elif test == self.brittle:
                said[test] = ready
            elif test == self.random_test:
                said[test] = self.draw.random() < 0.5
            else:
                said[test] = True
            leaked = test == self.polluter and (self.leaks >= 1 or self.draw.random() < self.leaks)
            dirty = (dirty or leaked) and test not in self.cleaners
            ready = ready or test == self.setter
        return said

    def reruns(self, test: str, times: int) -> tuple[int, int]:
        failed = sum(not self.probe([test])[test] for _ in range(times))
        return failed, times


def test_a_victims_polluter_is_found_by_bisection_in_few_runs() -> None:
    suite = Suite(victim="t30", polluter="t11")
    found = classify("t30", [SUITE, SUITE[::-1]], suite.probe, suite.reruns)
    assert (found.kind, found.related, found.role) == ("order-dependent", "t11", "polluter")
    assert found.before == Runs(CONFIRM + 1, CONFIRM + 1, ("t11", "t30"))
    assert suite.runs < 30  # not one run per test before it (30), let alone every pair


def test_a_victim_runs_after_its_polluter_as_often_as_its_evidence_says() -> None:
    """Each run is a sandboxed session of the project's suite: the victim runs after its
    polluter the :data:`CONFIRM` + 1 times its evidence counts (bisection's last half, which
    held in its own run, is not run again before the confirming runs), and every order the
    bisection asks about is asked once."""
    suite = Suite(victim="t30", polluter="t11")
    found = classify("t30", [SUITE, SUITE[::-1]], suite.probe, suite.reruns)
    assert f"t11 ({CONFIRM + 1} of {CONFIRM + 1} runs)" in found.evidence
    assert suite.orders.count(("t11", "t30")) == CONFIRM + 1
    searched = [order for order in suite.orders if order not in (("t30",), ("t11", "t30"),
                                                                  tuple(SUITE[:31]))]  # fmt: skip
    assert len(searched) == len(set(searched)), searched
    assert suite.runs == 21


def test_a_brittle_tests_state_setter_is_found_the_same_way() -> None:
    suite = Suite(brittle="t25", setter="t3")
    found = classify("t25", [SUITE, SUITE[::-1]], suite.probe, suite.reruns)
    assert (found.kind, found.related, found.role) == ("order-dependent", "t3", "state-setter")
    assert "passes after t3" in found.evidence and "fails alone" in found.evidence


def test_a_victim_whose_polluter_runs_after_it_is_found_in_the_reverse_order() -> None:
    suite = Suite(victim="t5", polluter="t20")
    found = classify("t5", [SUITE, SUITE[::-1]], suite.probe, suite.reruns)
    assert (found.kind, found.related) == ("order-dependent", "t20")


def test_a_test_that_fails_at_random_is_not_order_dependent_and_its_rate_is_named() -> None:
    for seed in range(300):
        suite = Suite(random_test="t17")
        suite.draw.seed(seed)
        found = classify("t17", [SUITE, SUITE[::-1]], suite.probe, suite.reruns)
        assert found.kind != "order-dependent", (seed, found)
        if found.kind == "not-order-dependent":
            assert found.before.runs == RERUNS and 0 < found.before.failed < RERUNS


def test_a_victim_whose_polluter_leaks_only_sometimes_is_never_said_to_fail_at_random() -> None:
    """humanize's ``test_naturalsize_kb_default`` after a test that restores a module's table
    40 % of the time: it passed 20 of 20 runs alone, and was called not order-dependent,
    "fails at random". Failing after the tests before it and never alone is the order's mark,
    whether or not the one test it depends on is found."""
    kinds = set()
    for seed in range(200):
        suite = Suite(victim="t30", polluter="t11", leaks=0.6)
        suite.draw.seed(seed)
        found = classify("t30", [SUITE, SUITE[::-1]], suite.probe, suite.reruns)
        kinds.add(found.kind)
        assert found.kind != "not-order-dependent", (seed, found)
        if found.kind == "order-dependent" and not found.related:
            failed, runs = found.before.failed, found.before.runs
            assert 0 < failed <= runs and found.before.order[-1] == "t30", (seed, found)
            said = f"failed {failed} of {runs} run(s) after the 30 test(s) before it"
            assert found.before.said() == said, (seed, found)  # not 30 names in one line
            assert found.evidence.startswith(
                f"the test it depends on was not found: it failed after the 30 test(s) before "
                f"it in {failed} of {runs} runs and 0 of {RERUNS} alone"
            ), (seed, found)
        elif found.kind == "order-dependent":
            assert found.related == "t11", (seed, found)
        assert "at random" not in found.evidence or found.kind == "unclassified", (seed, found)
        assert suite.runs <= 60, (seed, suite.runs)
    assert "order-dependent" in kinds, kinds


def test_a_test_that_failed_nowhere_here_is_left_unclassified_not_called_random() -> None:
    suite = Suite()
    found = classify("t9", [SUITE, SUITE[::-1]], suite.probe, suite.reruns)
    assert found.kind == "unclassified" and found.related == "", found
    assert found.evidence == (
        f"it failed neither alone (0 of {RERUNS} runs) nor after the 9 test(s) before it "
        f"(0 of {1 + CONFIRM + 1} runs) here: no order and no chance is shown"
    ), found


def test_a_run_with_no_result_leaves_the_test_unclassified() -> None:
    found = classify("t9", [SUITE], lambda order: None, lambda test, times: None)
    assert found.kind == "unclassified" and found.related == ""


def test_the_cleaner_is_found_by_bisection_and_a_tried_one_is_skipped() -> None:
    suite = Suite(victim="t30", polluter="t11", cleaners=["t2", "t35"])
    assert cleaner("t11", "t30", SUITE, suite.probe) in ("t2", "t35")
    first = cleaner("t11", "t30", SUITE, suite.probe)
    assert first is not None
    second = cleaner("t11", "t30", SUITE, suite.probe, skip=[first])
    assert second is not None and second != first
    assert cleaner("t11", "t30", SUITE, suite.probe, skip=["t2", "t35"]) is None
    suite.orders.clear()
    assert cleaner("t11", "t30", SUITE, suite.probe, skip=["t35"]) == "t2"
    assert len(suite.orders) == len(set(suite.orders)), suite.orders  # no half asked twice


def test_bisection_names_no_test_when_it_takes_two_together() -> None:
    def both(sub: Sequence[str]) -> bool:
        return {"t3", "t30"} <= set(sub)

    assert bisect(SUITE, both) is None


def test_the_reruns_a_fix_needs_would_show_the_old_rate_with_99_percent() -> None:
    assert reruns_needed(5, 20) == 17  # 0.75 ** 16 > 0.01 >= 0.75 ** 17
    assert 0.75 ** 16 > 0.01 >= 0.75 ** 17
    assert reruns_needed(1, 20) == 90 and reruns_needed(20, 20) == 1
    assert reruns_needed(0, 20) is None
