"""Counts and rates judged as counts: the at-a-glance checks a reader would make of the verdict,
the kind a query implies, and the rollout's call budget."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from cicd_agent.actions.errors import UsageError
from cicd_agent.modes.deploy_gate.canary.config import (
    DEFAULT_ERROR_RATE_QUERY,
    DEFAULT_LATENCY_P99_QUERY,
    CanaryThresholds,
    MetricSpec,
    default_metrics,
    load_canary_config,
)
from cicd_agent.modes.deploy_gate.canary.counts import CountEvidence, window_counts
from cicd_agent.modes.deploy_gate.canary.judge import UNBOUND, judge_canary
from cicd_agent.modes.deploy_gate.canary.metric import RateCounts, check_keys
from cicd_agent.modes.deploy_gate.canary.query_shape import infer_kind, split_ratio
from cicd_agent.modes.deploy_gate.canary.state import CanaryState, decode_state
from cicd_agent.modes.deploy_gate.canary.steps import paired
from cicd_agent.modes.deploy_gate.canary.types import CanaryVerdict

ERRORS = MetricSpec(name="errors", query='sum(rate(errors_total{track="{track}"}[1m]))')
THRESHOLDS = CanaryThresholds()


def call(
    baseline: object, canary: object, state: CanaryState | None = None, spec: MetricSpec = ERRORS
) -> CanaryVerdict:
    return judge_canary(
        {spec.name: baseline},  # type: ignore[dict-item]
        {spec.name: canary},  # type: ignore[dict-item]
        [spec],
        THRESHOLDS,
        state=state,
    )


def test_the_kind_is_read_from_the_query() -> None:
    assert ERRORS.kind == "count"
    assert infer_kind(DEFAULT_ERROR_RATE_QUERY) == "rate"
    assert infer_kind(DEFAULT_LATENCY_P99_QUERY) == "latency"
    assert infer_kind('avg(node_load1{track="{track}"})') == "gauge"
    assert infer_kind("sum(rate(a_total[1m])) / on(pod) sum(rate(b_total[1m]))") == "gauge"
    assert infer_kind('sum(rate(a_total{path="/x/y"}[1m]))') == "count"  # a / in a string
    assert [spec.kind for spec in default_metrics()] == ["rate", "latency"]
    assert split_ratio(DEFAULT_ERROR_RATE_QUERY) is not None


def test_a_rate_that_is_not_a_ratio_is_a_usage_error_naming_the_fix() -> None:
    with pytest.raises(UsageError, match="one division"):
        load_canary_config('- {name: e, kind: rate, query: "avg(x{track=\\"{track}\\"})"}')


def test_a_doubled_error_count_on_equal_traffic_rolls_back() -> None:
    rng = np.random.default_rng(1)
    baseline, canary = rng.poisson(10, 30), rng.poisson(20, 30)
    verdict = call(baseline, canary)
    assert verdict.verdict == "rollback"
    assert verdict.metrics[0].test is not None and "counts" in verdict.metrics[0].test


def test_a_doubled_error_rate_rolls_back_when_the_canary_serves_a_tenth_of_the_traffic() -> None:
    """The traffic split comes from the rate's denominator: the canary's fewer errors are still
    twice its share."""
    rng = np.random.default_rng(2)
    base_traffic, canary_traffic = np.full(30, 9000.0), np.full(30, 1000.0)
    base_errors, canary_errors = rng.poisson(90, 30), rng.poisson(20, 30)
    rate = default_metrics()[0]
    counts = RateCounts(base_errors, canary_errors, base_traffic, canary_traffic)
    verdict = judge_canary(
        {rate.name: base_errors / base_traffic},
        {rate.name: canary_errors / canary_traffic},
        [rate],
        THRESHOLDS,
        counts={rate.name: counts},
    )
    assert verdict.verdict == "rollback", verdict.reasons
    same = RateCounts(base_errors, rng.poisson(10, 30), base_traffic, canary_traffic)
    kept = judge_canary(
        {rate.name: base_errors / base_traffic},
        {rate.name: np.asarray(same.canary) / canary_traffic},
        [rate],
        THRESHOLDS,
        counts={rate.name: same},
    )
    assert kept.verdict != "rollback"


def test_equal_counts_never_roll_back() -> None:
    for level in (0.5, 3, 40, 5000):
        values = np.full(30, float(level))
        state = None
        for _ in range(THRESHOLDS.max_calls):
            verdict = call(values, values, state)
            state = verdict.state
            assert verdict.verdict != "rollback"


def test_a_sparse_count_zero_against_one_does_not_decide() -> None:
    """One event in a rollout's first window: nothing the budget can settle, said at once."""
    zeros, one = np.zeros(30), np.zeros(30)
    one[7] = 1
    for baseline, canary in ((zeros, one), (one, zeros)):
        verdict = call(baseline, canary)
        assert (verdict.verdict, verdict.healthy) == ("insufficient", False)


def test_overdispersed_equal_counts_stay_within_the_false_rollback_budget_over_rollouts() -> None:
    """Attack: bursty counts (negative binomial, bursts shared by neither track) read as Poisson
    would roll a healthy release back; divided by their dispersion they stay within 1 %."""
    rng = np.random.default_rng(3)
    rollbacks = naive = 0
    trials = 150
    for _ in range(trials):
        state = None
        for _call in range(THRESHOLDS.max_calls):
            level = rng.gamma(2.0, 50.0, 30)  # the traffic both tracks see
            baseline = rng.negative_binomial(3, 3 / (3 + level))
            canary = rng.negative_binomial(3, 3 / (3 + level))
            verdict = call(baseline, canary, state)
            state = verdict.state
            if verdict.verdict != "continue":
                break
        rollbacks += verdict.rollback
        poisson = CountEvidence(
            canary=(float(canary.sum()),), baseline=(float(baseline.sum()),), share=(0.5,)
        )
        (interval,) = poisson.sequences(0.01)
        naive += interval is not None and (interval[0] > 0 or interval[1] < 0)
    assert rollbacks / trials <= 0.01
    assert naive / trials > 0.1  # the attack: counting noise alone would have rolled back


def test_count_evidence_survives_the_sealed_state() -> None:
    rng = np.random.default_rng(4)
    verdict = call(rng.poisson(10, 30), rng.poisson(10, 30))
    text = verdict.state.encode()
    again = decode_state(text, UNBOUND, check_keys([ERRORS]))
    assert again.checks == verdict.state.checks
    assert isinstance(again.checks["errors/counts"], CountEvidence)


def test_a_rollout_undecided_after_its_budget_holds_for_a_person_and_never_promotes() -> None:
    noisy, _ = window_counts(paired(np.full(30, 1.0), np.full(30, 1.0)))
    assert noisy.dispersion == (1.0,)
    rng = np.random.default_rng(5)
    state = None
    for number in range(1, THRESHOLDS.max_calls + 3):
        verdict = call(rng.poisson(1, 30), rng.poisson(1, 30), state)
        state = verdict.state
        # 30 events a side a call: too few for the budget to settle, and said so from call 1
        assert verdict.verdict == "insufficient"
        assert verdict.reasons[0].startswith("Not enough traffic to judge")
        if number >= THRESHOLDS.max_calls:
            assert "hold the rollout for a person" in verdict.reasons[1]


def test_a_wider_latency_at_an_equal_median_is_seen_in_the_histogram_tail() -> None:
    """From the buckets: the share of requests slower than the baseline's p99 bucket bound
    doubles when the canary's latency spreads wider around the same median."""
    rng = np.random.default_rng(6)
    p99 = default_metrics()[1]
    bound = float(np.quantile(rng.lognormal(-2.0, 0.3, 100_000), 0.99))

    def tail(sigma: float) -> tuple[np.ndarray, np.ndarray]:
        slower = [float(np.sum(rng.lognormal(-2.0, sigma, 500) > bound)) for _ in range(30)]
        return np.asarray(slower), np.full(30, 500.0)

    (base_slow, base_all) = tail(0.3)
    values = {p99.name: np.full(30, bound)}

    def judged(sigma: float) -> CanaryVerdict:
        slow, every = tail(sigma)
        counts = RateCounts(base_slow, slow, base_all, every)
        return judge_canary(values, values, [p99], THRESHOLDS, counts={p99.name: counts})

    wider = judged(0.45)
    assert wider.verdict == "rollback", wider.reasons
    assert "slower than the baseline's quantile bucket" in wider.metrics[0].reason
    assert judged(0.3).verdict != "rollback"


BOUNDS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)


def buckets(
    rng: np.random.Generator, slower: float, median: float = 0.02, stalls: float = 0.0
) -> dict[float, dict[float, float]]:
    """A histogram's cumulative counts per step by bound (the client libraries' default
    buckets) of 20,000 requests a step, lognormal around ``median``, times ``slower``; a share
    ``stalls`` of them instead wait 0.3-0.6 s whatever the release (a pause of the host)."""
    found: dict[float, dict[float, float]] = {bound: {} for bound in (*BOUNDS, np.inf)}
    for step in range(12):
        latency = slower * rng.lognormal(np.log(median), 0.5, 20_000)
        stalled = rng.random(latency.size) < stalls
        latency[stalled] = rng.uniform(0.3, 0.6, int(stalled.sum()))
        for bound in found:
            found[bound][float(step)] = float(np.sum(latency <= bound))
    return found


@pytest.mark.parametrize(("slower", "verdict"), [(1.03, "promote"), (1.3, "rollback")])
def test_a_latency_allowance_is_a_change_of_the_quantile_not_of_the_tail_share(
    slower: float, verdict: str
) -> None:
    """Attack: a p99 3 % slower, on a spec allowing 10 %, rolled back before: the share of
    requests beyond the baseline's p99 bucket grew 24 % and was judged against the 10 %
    allowance as if it were the p99. The histogram carries the allowance to the tail share."""
    from cicd_agent.modes.deploy_gate.canary.collect import tail_counts

    rng = np.random.default_rng(7)
    counts = tail_counts(0.99, buckets(rng, 1.0), buckets(rng, slower))
    assert counts is not None and 4 < counts.elasticity < 8  # a lognormal's tail at its p99.6
    judged = latency_rollout(0.07, lambda: counts)
    assert judged.verdict == verdict, judged.reasons
    assert "as a change of the quantile" in judged.metrics[0].reason


def test_a_p99_just_above_a_bucket_bound_is_judged_on_the_bound_nearest_it() -> None:
    """Attack (found replaying the loopback service): a baseline p99 just above the 0.1 s bound
    made the next bound, 0.25 s, the cut; beyond it lay only 0.1 % of requests, host pauses the
    release does not slow, read as the p99's tail with the body's elasticity, so a p99 30 %
    slower passed as no change and was promoted. The cut is the bound nearest the quantile."""
    from cicd_agent.modes.deploy_gate.canary.collect import tail_counts

    rng = np.random.default_rng(8)
    for slower, verdict in ((1.3, "rollback"), (1.0, "promote")):

        def counts(slower: float = slower) -> RateCounts | None:
            base, cand = (buckets(rng, s, 0.033, 0.001) for s in (1.0, slower))
            return tail_counts(0.99, base, cand)

        judged = latency_rollout(0.1, counts)
        assert judged.verdict == verdict, judged.reasons


def latency_rollout(p99: float, counts: Callable[[], RateCounts | None]) -> CanaryVerdict:
    """The default p99 metric over a rollout, each call's tail counts from ``counts``."""
    spec, state = default_metrics()[1], None
    values = {spec.name: np.full(12, p99)}
    for _ in range(THRESHOLDS.max_calls):
        seen = counts()
        assert seen is not None
        judged = judge_canary(
            values, values, [spec], THRESHOLDS, state=state, counts={spec.name: seen}
        )
        state = judged.state
        if judged.verdict != "continue":
            break
    return judged
