"""The paired test's arithmetic, checked against scipy, and the gate's behaviour on simulated
suites of the shape a team keeps: seeded per-case pass probabilities, sampled three times a side.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from scipy import stats as scipy_stats

from cicd_agent.modes.eval.stats import (
    INSUFFICIENT,
    PASSED,
    REGRESSED,
    Limits,
    decide,
    detectable_drop,
    mcnemar,
    paired,
)

Noise = Callable[[random.Random], float]
NOISES: dict[str, Noise] = {
    "beta(2,1)": lambda rng: rng.betavariate(2, 1),
    "uniform": lambda rng: rng.random(),
    "70% steady": lambda rng: 0.97 if rng.random() < 0.7 else rng.random(),
}


def simulated(seed: int, cases: int, repeats: int, drop: float, noise: Noise) -> str:
    """The verdict on one seeded suite: each case passes with its own probability, the head's
    probabilities scaled down so the mean falls by ``drop``."""
    rng = random.Random(seed)
    chances = [noise(rng) for _ in range(cases)]
    scale = 1 - drop / (sum(chances) / cases)

    def rate(chance: float) -> float:
        return sum(rng.random() < chance for _ in range(repeats)) / repeats

    base = [rate(chance) for chance in chances]
    head = [rate(chance * scale) for chance in chances]
    return decide(paired(base, head, binary=repeats == 1), Limits()).verdict


@pytest.mark.parametrize("noise", NOISES)
def test_a_ten_point_drop_on_200_cases_is_blocked_nine_times_in_ten(noise: str) -> None:
    verdicts = [simulated(seed, 200, 3, 0.10, NOISES[noise]) for seed in range(200)]
    assert verdicts.count(REGRESSED) / len(verdicts) >= 0.90


@pytest.mark.parametrize("noise", NOISES)
def test_an_unchanged_noisy_model_is_blocked_at_most_one_time_in_twenty(noise: str) -> None:
    verdicts = [simulated(seed, 200, 3, 0.0, NOISES[noise]) for seed in range(400)]
    assert verdicts.count(REGRESSED) / len(verdicts) <= 0.05


@pytest.mark.parametrize("noise", NOISES)
def test_twenty_cases_never_pass(noise: str) -> None:
    verdicts = {simulated(seed, 20, 3, 0.0, NOISES[noise]) for seed in range(100)}
    assert PASSED not in verdicts
    assert INSUFFICIENT in verdicts


def test_identical_answers_on_20_cases_are_insufficient_not_passed() -> None:
    same = [1.0] * 15 + [0.0] * 5
    comparison = paired(same, same)
    assert comparison.delta == 0 and comparison.p_value == 1.0
    assert comparison.mde80 > 0.25
    assert decide(comparison, Limits()).verdict == INSUFFICIENT


def test_the_interval_and_p_value_are_the_paired_z_test() -> None:
    rng = random.Random(7)
    base = [rng.random() for _ in range(50)]
    head = [b - 0.1 * rng.random() for b in base]
    comparison = paired(base, head)
    diffs = [h - b for b, h in zip(base, head, strict=True)]
    sem = scipy_stats.sem(diffs)
    assert comparison.standard_error == pytest.approx(sem)
    low, high = scipy_stats.norm.interval(0.95, loc=sum(diffs) / 50, scale=sem)
    assert (comparison.low, comparison.high) == (pytest.approx(low), pytest.approx(high))
    z_p = 2 * scipy_stats.norm.sf(abs(sum(diffs) / 50 / sem))
    assert comparison.p_value == pytest.approx(z_p)


@pytest.mark.parametrize(("worse", "better"), [(0, 0), (1, 0), (5, 1), (12, 3), (40, 38)])
def test_mcnemar_is_the_exact_binomial_test_of_the_changed_cases(worse: int, better: int) -> None:
    base = [True] * worse + [False] * better + [True] * 10
    head = [False] * worse + [True] * better + [True] * 10
    expected = (
        1.0 if worse + better == 0 else scipy_stats.binomtest(worse, worse + better, 0.5).pvalue
    )
    assert mcnemar(base, head) == pytest.approx(expected)


def test_one_sample_a_case_uses_mcnemar() -> None:
    base = [1.0] * 30 + [0.0] * 10
    head = [0.0] * 8 + [1.0] * 22 + [0.0] * 10
    comparison = paired(base, head, binary=True)
    assert comparison.test == "exact McNemar"
    assert comparison.p_value == pytest.approx(scipy_stats.binomtest(0, 8, 0.5).pvalue)


def test_the_detectable_drop_is_caught_four_times_in_five_at_worst() -> None:
    """At the figure reported, a drop of that size made of whole cases failing gives an interval
    below zero 80 % of the time (normal approximation)."""
    for spread, cases in [(0.0, 200), (0.3, 200), (0.5, 50), (0.1, 1000)]:
        drop = detectable_drop(spread, cases)
        se = ((spread**2 + drop * (1 - drop)) / cases) ** 0.5
        assert scipy_stats.norm.cdf(drop / se - 1.959964) == pytest.approx(0.80, abs=1e-3)


def test_a_significant_drop_under_max_drop_is_not_a_regression() -> None:
    base = [1.0] * 10_000
    head = [1.0] * 9_900 + [0.0] * 100  # one point down, certain
    comparison = paired(base, head)
    assert comparison.high < 0
    assert decide(comparison, Limits(max_drop=0.02)).verdict == PASSED
    assert decide(comparison, Limits(max_drop=0.01)).verdict == REGRESSED


def test_the_hard_rules_regress_whatever_the_test_says() -> None:
    rates = [1.0] * 300 + [0.0] * 100
    comparison = paired(rates, rates)
    assert decide(comparison, Limits()).verdict == PASSED
    low = decide(comparison, Limits(min_pass_rate=0.8))
    assert low.verdict == REGRESSED and "min-pass-rate 80%" in low.reasons[0]
    must = decide(comparison, Limits(), failed_must_pass=["greets by name"])
    assert must.verdict == REGRESSED and "greets by name" in must.reasons[0]


def test_a_stopped_run_is_never_a_pass() -> None:
    rates = [1.0] * 400
    verdict = decide(paired(rates, rates), Limits(), stopped="max-cost $1 reached")
    assert verdict.verdict == INSUFFICIENT and verdict.reasons == ("max-cost $1 reached",)


def test_unanswered_requests_block_a_pass_but_never_hide_a_regression() -> None:
    same = [1.0] * 400
    assert decide(paired(same, same), Limits(), unsure="3 got no answer").verdict == INSUFFICIENT
    worse = [1.0] * 300 + [0.0] * 100  # the head's unanswered samples count as failures
    verdict = decide(paired(same, worse), Limits(), unsure="100 got no answer")
    assert verdict.verdict == REGRESSED
