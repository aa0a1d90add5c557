"""Attacks on the judge's power statement and its ``insufficient`` verdict: what a thin
rollout may be told, and what the store's counts may make it do."""

from __future__ import annotations

from cicd_agent.modes.deploy_gate.canary.config import CanaryConfig, MetricSpec
from cicd_agent.modes.deploy_gate.canary.decide import judge_samples
from cicd_agent.modes.deploy_gate.canary.metric import RateCounts
from cicd_agent.modes.deploy_gate.canary.types import CanarySamples

N = 30
ERRORS = MetricSpec(
    name="err", kind="rate", query='e{t="{track}"} / r{t="{track}"}', allowed_change=0.1
)


def rate_samples(base_errors: float, canary_errors: float, requests: float) -> CanarySamples:
    be, ce, traffic = (base_errors,) * N, (canary_errors,) * N, (requests,) * N
    return CanarySamples(
        {"err": tuple(e / requests for e in be)},
        {"err": tuple(e / requests for e in ce)},
        end=1_800_000_000.0,
        counts={"err": RateCounts(be, ce, traffic, traffic)},
        spans={"err": N * 60.0},
    )


def test_a_regression_the_budget_can_detect_is_watched_on_not_called_insufficient() -> None:
    """Attack: 20 requests a step a side, the canary failing five times as often (30 errors to
    the baseline's 6 in the first window). The judge's own power says the rollout's six calls
    detect +181 %; this is +400 %. ``insufficient`` would stop the rollout there (Argo and
    Flagger hold, the canary keeps serving its share at five times the errors) though more
    calls would roll it back: it must stay ``continue`` until the evidence rolls it back."""
    config = CanaryConfig(metrics=(ERRORS,))
    verdict = judge_samples(rate_samples(0.2, 1.0, 20.0), config)
    (metric,) = verdict.metrics
    assert metric.power is not None and metric.power.detectable is not None
    assert metric.power.detectable < 4.0  # the budget can detect what is seen
    assert verdict.verdict == "continue"
    # The same traffic with no change is insufficient, as designed.
    assert judge_samples(rate_samples(0.2, 0.2, 20.0), config).verdict == "insufficient"


def test_counts_whose_sums_overflow_a_float_are_no_crash_and_no_promote() -> None:
    """Attack: a store answers counts near the largest float (1.7e308 errors a step); each is
    finite, their sum is not. The count test's evidence refused the infinite sum with a
    validation error out of the mode; such a call is no evidence (never a promote)."""
    for config, samples in (
        (CanaryConfig(metrics=(ERRORS,)), rate_samples(1e308, 1.7e308, 1.7e308)),
        (
            CanaryConfig(
                metrics=(
                    MetricSpec(name="err", kind="count", query='rate(x_total{t="{track}"}[1m])'),
                )
            ),
            CanarySamples({"err": (1e308,) * N}, {"err": (1.7e308,) * N}, end=1_800_000_000.0),
        ),
    ):
        verdict = judge_samples(samples, config)
        assert verdict.verdict in ("continue", "insufficient", "rollback")
