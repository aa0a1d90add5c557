"""The canary judge on known samples: classes, scoring, verdicts, and its operating figures.

The seeded simulation at the end is the evidence the issue asks for: on identical distributions
the judge must roll back at most 2 % of the time, and with 30 samples a side it must catch a 20 %
latency increase at least 95 % of the time. Latency samples are lognormal with sigma 0.15 (a
per-window p99 that varies by about 15 % from one window to the next); ``bench/bench_canary.py``
shows how detection falls off with more variance.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from cicd_agent.job.pipeline import as_json
from cicd_agent.modes.deploy_gate.canary.config import CanaryThresholds, MetricSpec
from cicd_agent.modes.deploy_gate.canary.evidence import hodges_lehmann_shift
from cicd_agent.modes.deploy_gate.canary.judge import blind_judgement, judge_canary
from cicd_agent.modes.deploy_gate.canary.metric import Look, MetricResult, judge_metric
from cicd_agent.modes.deploy_gate.canary.result import metrics_table
from cicd_agent.modes.deploy_gate.canary.steps import Samples

# One window of passing evidence may promote here; the rollout's own tests need more.
THRESHOLDS = CanaryThresholds(windows_to_promote=1)


def judge_one(
    metric: MetricSpec, baseline: Samples, canary: Samples, confidence: float
) -> MetricResult:
    """One metric judged as a rollout of one call, with the judge's split of the error budget."""
    alpha = 1.0 - confidence
    look = Look(alpha_pass=alpha, alpha_fail=alpha / 2, budget=1)
    return judge_metric(metric, baseline, canary, look=look)[0]


def spec(name: str = "latency", **overrides: object) -> MetricSpec:
    values: dict[str, object] = {"name": name, "query": f'{name}{{track="{{track}}"}}'}
    values.update(overrides)
    return MetricSpec.model_validate(values)


def lognormal(seed: int, n: int = 30, scale: float = 0.25, sigma: float = 0.15) -> list[float]:
    values: list[float] = (scale * np.random.default_rng(seed).lognormal(0.0, sigma, n)).tolist()
    return values


# --- one metric --------------------------------------------------------------------------------


def test_a_clear_increase_is_high_with_its_evidence() -> None:
    baseline = lognormal(1)
    canary = [1.3 * v for v in lognormal(2)]
    result = judge_one(spec(), baseline, canary, 0.98)
    assert result.classification == "high"
    assert result.failed
    assert result.change_low is not None and result.change_low > 0
    assert result.mean_ratio == pytest.approx(np.mean(canary) / np.mean(baseline))
    assert result.hl_shift == pytest.approx(np.median(np.subtract.outer(canary, baseline)))
    assert result.baseline.n == result.canary.n == 30
    assert result.canary.p95 == pytest.approx(np.percentile(canary, 95))
    assert "is worse (higher)" in result.reason


def test_a_significant_change_within_the_allowance_passes() -> None:
    # A 5 % shift with almost no noise is highly significant, yet below the 10 % allowed.
    baseline = [0.200 + 0.0001 * i for i in range(30)]
    canary = [1.05 * v for v in baseline]
    result = judge_one(spec(allowed_change=0.1), baseline, canary, 0.98)
    assert result.change_low is not None and result.change_low > 0.04
    assert result.classification == "pass"
    assert not result.failed
    assert "passes" in result.reason


def test_a_large_but_uncertain_difference_is_thin_neither_pass_nor_fail() -> None:
    baseline = [0.1, 0.9, 0.2, 0.8, 0.3, 0.7, 0.4, 0.6]
    canary = [0.15, 0.95, 0.25, 0.85, 0.35, 1.5, 0.45, 0.65]
    result = judge_one(spec(), baseline, canary, 0.98)
    assert result.mean_ratio is not None and result.mean_ratio > 1.1
    assert result.classification == "thin"
    assert not result.failed
    assert "evidence still thin" in result.reason


def test_an_improvement_never_fails_an_increase_metric() -> None:
    baseline = lognormal(3)
    canary = [0.5 * v for v in lognormal(4)]
    assert judge_one(spec(direction="increase"), baseline, canary, 0.98).classification == "pass"
    result = judge_one(spec(direction="decrease"), canary, baseline, 0.98)
    assert result.classification == "pass"


@pytest.mark.parametrize(
    ("direction", "factor", "expected"),
    [
        ("decrease", 0.6, "low"),
        ("either", 0.6, "low"),
        ("either", 1.5, "high"),
        ("decrease", 1.5, "pass"),
    ],
)
def test_direction_decides_what_counts_as_worse(
    direction: str, factor: float, expected: str
) -> None:
    baseline = lognormal(5)
    canary = [factor * v for v in lognormal(6)]
    assert judge_one(spec(direction=direction), baseline, canary, 0.98).classification == expected


def test_a_missing_side_is_nodata_and_fails_only_when_configured() -> None:
    lenient = judge_one(spec(), lognormal(7), [], 0.98)
    strict = judge_one(spec(fail_on_nodata=True), lognormal(7), [], 0.98)
    assert lenient.classification == strict.classification == "nodata"
    assert not lenient.failed and strict.failed
    assert "no data for the canary" in lenient.reason


def test_too_few_samples_to_form_an_interval_is_nodata_not_pass() -> None:
    # Three pairs give no interval at all; five give one, and a tenfold rise fails it.
    result = judge_one(spec(direction="either"), [1, 2, 3], [10, 20, 30], 0.98)
    assert result.classification == "nodata"
    assert "too few samples" in result.reason
    five = judge_one(spec(direction="either"), [3, 1, 4, 1, 5], [33, 9, 41, 12, 48], 0.98)
    assert five.classification == "high"


def test_non_finite_values_are_dropped_and_counted() -> None:
    baseline = [*lognormal(8), math.nan, math.inf]
    result = judge_one(spec(), baseline, lognormal(9), 0.98)
    assert result.baseline.n == 30
    assert result.baseline.dropped == 2


def test_error_rate_from_zero_needs_the_absolute_floor_to_fail() -> None:
    baseline = [0.0] * 30
    tiny = [0.0] * 20 + [0.0002] * 10
    big = [0.0, 0.03, 0.03, 0.03, 0.03, 0.03] * 5
    floor = spec("errors", min_delta=0.001)
    small_result = judge_one(floor, baseline, tiny, 0.98)
    assert small_result.mean_ratio is None  # baseline mean is zero
    assert small_result.classification == "pass"
    big_result = judge_one(floor, baseline, big, 0.98)
    assert big_result.classification == "high"


def test_all_zero_samples_pass_on_the_absolute_floor_and_are_nodata_without_one() -> None:
    """Nothing over nothing says nothing about a relative change; the absolute floor can."""
    relative = judge_one(spec(), [0.0] * 30, [0.0] * 30, 0.98)
    assert relative.classification == "nodata"
    assert "give the metric a min_delta" in relative.reason
    floored = judge_one(spec(min_delta=0.001), [0.0] * 30, [0.0] * 30, 0.98)
    assert floored.classification == "pass"
    tied = judge_one(spec(), [0.3] * 30, [0.3] * 30, 0.98)
    assert tied.classification == "pass"
    assert tied.change_low == pytest.approx(0.0, abs=1e-5)
    assert tied.change_high == pytest.approx(0.0, abs=1e-5)


# --- Hodges-Lehmann ------------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "m"), [(7, 9), (400, 400), (2000, 1500)])
def test_hodges_lehmann_beyond_its_pair_limit_stays_within_a_hair_of_the_pairwise_median(
    n: int, m: int
) -> None:
    """Thinned to 100 order statistics a side, the shift moves by under 0.1 % of the
    differences' interquartile range (exact when the pairs fit)."""
    rng = np.random.default_rng(n * m)
    canary, baseline = rng.lognormal(size=n), rng.lognormal(size=m)
    differences = np.subtract.outer(canary, baseline)
    spread = float(np.subtract(*np.percentile(differences, [75, 25])))
    thinned = hodges_lehmann_shift(canary, baseline, pairwise_limit=10_000)
    assert thinned == pytest.approx(np.median(differences), abs=1e-3 * spread)
    assert hodges_lehmann_shift(canary, baseline, pairwise_limit=n * m) == pytest.approx(
        np.median(differences), abs=1e-12
    )


# --- the whole canary --------------------------------------------------------------------------


def test_identical_metrics_promote_with_full_score() -> None:
    specs = [spec("latency"), spec("errors", critical=True)]
    samples = {"latency": lognormal(10), "errors": lognormal(11)}
    judgement = judge_canary(samples, samples, specs, THRESHOLDS)
    assert judgement.verdict == "promote"
    assert judgement.canary_score == 100.0
    assert judgement.healthy and not judgement.rollback


def test_score_is_the_weighted_share_of_passing_metrics() -> None:
    specs = [spec("a", weight=3), spec("b", weight=1)]
    baseline = {"a": lognormal(12), "b": lognormal(13)}
    canary = {"a": baseline["a"], "b": [2 * v for v in lognormal(15)]}
    judgement = judge_canary(baseline, canary, specs, THRESHOLDS)
    assert judgement.canary_score == 75.0
    assert judgement.verdict == "continue"  # 75 reaches the marginal threshold only
    assert not judgement.rollback
    lower = judge_canary(
        baseline,
        canary,
        specs,
        CanaryThresholds(pass_score=70, marginal_score=50, windows_to_promote=1),
    )
    assert lower.verdict == "promote"


def test_a_failing_critical_metric_forces_rollback() -> None:
    specs = [spec(f"m{i}") for i in range(9)] + [spec("errors", critical=True)]
    baseline = {s.name: lognormal(20 + i) for i, s in enumerate(specs)}
    canary = dict(baseline)
    canary["errors"] = [3 * v for v in lognormal(40)]
    judgement = judge_canary(baseline, canary, specs, THRESHOLDS)
    assert judgement.canary_score == 0.0
    assert judgement.verdict == "rollback" and judgement.rollback
    assert any("Critical metric(s) failed: errors" in reason for reason in judgement.reasons)


def test_half_the_metrics_without_data_forces_score_zero_but_never_a_blind_rollback() -> None:
    specs = [spec("a"), spec("b")]
    judgement = judge_canary(
        {"a": lognormal(1), "b": lognormal(2)}, {"a": lognormal(3)}, specs, THRESHOLDS
    )
    assert judgement.canary_score == 0.0
    assert judgement.verdict == "continue" and not judgement.rollback
    assert "no metric was seen to be worse" in judgement.reasons[0]
    assert not judgement.healthy
    assert "1 of 2 metrics have no usable data" in judgement.reasons[1]


def test_an_optional_metric_without_data_is_left_out_of_the_score() -> None:
    specs = [spec("a"), spec("b"), spec("c")]
    baseline = {"a": lognormal(1), "b": lognormal(2), "c": lognormal(3)}
    canary = {"a": lognormal(4), "b": lognormal(5)}
    judgement = judge_canary(baseline, canary, specs, THRESHOLDS)
    assert judgement.canary_score == 100.0
    assert judgement.verdict == "promote"
    strict = [spec("a"), spec("b"), spec("c", fail_on_nodata=True)]
    assert judge_canary(baseline, canary, strict, THRESHOLDS).canary_score == pytest.approx(66.67)


def test_no_canary_data_at_all_continues_unhealthy_never_promotes() -> None:
    specs = [spec("a"), spec("b")]
    judgement = judge_canary({"a": lognormal(1), "b": lognormal(2)}, {}, specs, THRESHOLDS)
    assert judgement.verdict == "continue"
    assert not judgement.healthy and not judgement.rollback
    assert judgement.reasons[0].startswith("No canary data for any metric")


def test_blind_judgement_never_promotes() -> None:
    judgement = blind_judgement("Prometheus is down.", [spec("a"), spec("b", critical=True)])
    assert judgement.verdict == "continue"
    assert not judgement.healthy and not judgement.rollback
    assert judgement.data_source_error == "Prometheus is down."
    assert [m.classification for m in judgement.metrics] == ["nodata", "nodata"]


def test_judgement_serialises_to_plain_json() -> None:
    judgement = judge_canary({"a": [0.0] * 10}, {"a": [1.0] * 10}, [spec("a")], THRESHOLDS)
    document = as_json(judgement)
    assert document["metrics"][0]["mean_ratio"] is None
    assert document["metrics"][0]["classification"] == "high"


# --- seeded simulation -------------------------------------------------------------------------


def _rollback_rate(
    effect: float, trials: int, seed: int, n: int = 30, sigma: float = 0.15
) -> float:
    """Share of whole rollouts (up to the call budget, the state carried) that roll back."""
    rng = np.random.default_rng(seed)
    latency = spec("latency_p99")
    thresholds = CanaryThresholds()
    rollbacks = 0
    for _ in range(trials):
        state = None
        for _call in range(thresholds.max_calls):
            baseline = 0.25 * rng.lognormal(0.0, sigma, n)
            canary = 0.25 * effect * rng.lognormal(0.0, sigma, n)
            judgement = judge_canary(
                {"latency_p99": baseline}, {"latency_p99": canary}, [latency], thresholds,
                state=state,
            )  # fmt: skip
            state = judgement.state
            if judgement.verdict != "continue":
                break
        rollbacks += judgement.rollback
    return rollbacks / trials


def test_false_rollback_rate_over_a_whole_rollout_on_identical_distributions_is_at_most_1_percent() -> (
    None
):
    assert _rollback_rate(1.0, trials=400, seed=101) <= 0.01


def test_a_rollout_detects_a_20_percent_latency_increase_with_30_samples_at_least_90_percent() -> (
    None
):
    """Independent samples, judged the way a rollout runs: the error budget is spread over its
    calls, so one window alone detects less (77 %) and the rollout makes it up."""
    assert _rollback_rate(1.2, trials=1000, seed=202) >= 0.90


def test_summary_table_has_a_row_per_metric_with_failures_in_bold() -> None:
    specs = [spec("latency"), spec("errors", critical=True), spec("cpu")]
    specs[1] = spec("errors", critical=True, min_delta=0.001)
    baseline = {"latency": lognormal(1), "errors": [0.0] * 30, "cpu": lognormal(2)}
    canary = {"latency": [1.5 * v for v in lognormal(3)], "errors": [0.0] * 30}
    table = metrics_table(judge_canary(baseline, canary, specs, THRESHOLDS)).splitlines()
    assert len(table) == 2 + 3
    assert table[2].startswith("| latency | **high** | ")
    assert table[3].startswith("| errors (critical) | pass | - | - | 0 | 30, 0, 0, 0 |")
    assert table[4].endswith("| no data |")


def test_no_metric_with_data_on_both_sides_continues_unhealthy() -> None:
    specs = [spec("a"), spec("b")]
    canary = {"a": lognormal(1), "b": lognormal(2)}
    judgement = judge_canary({"a": [1.0]}, canary, specs, THRESHOLDS)  # too few for any p < 0.02
    assert (judgement.verdict, judgement.healthy) == ("continue", False)
    assert judgement.reasons[0].startswith("No metric has enough data on both sides")


def test_judging_no_metric_at_all_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="at least one metric"):
        judge_canary({}, {}, [], THRESHOLDS)


def test_a_missing_value_on_one_side_drops_its_pair_not_the_alignment() -> None:
    """A 0/0 error ratio (NaN) at one baseline step: dropping it alone would pair every later
    canary step with the wrong baseline step, and a strong cycle would drown the regression."""
    steps = np.arange(40)
    baseline = (0.25 + 0.2 * np.sin(steps)).tolist()
    canary = [1.3 * value for value in baseline]
    baseline[34] = math.nan
    result = judge_one(spec(), baseline, canary, 0.98)
    assert result.classification == "high"
    assert result.change_low is not None and result.change_high is not None
    assert 0.25 < result.change_low <= result.change_high < 0.31
    assert result.baseline.dropped == 1


def test_a_rise_in_latency_variance_at_an_equal_median_is_seen_by_the_quantile() -> None:
    """Kayenta's known miss: the canary's latency spreads wider (same median), and a test of the
    typical value sees nothing. The latency metric is the quantile its query names (p99 a step,
    as histogram_quantile gives it), so the wider tail is what it compares."""
    rng = np.random.default_rng(17)
    p99 = MetricSpec(
        name="latency_p99",
        query='histogram_quantile(0.99, sum by (le) (rate(d_bucket{track="{track}"}[1m])))',
    )
    assert p99.kind == "latency"

    def per_step(sigma: float) -> list[float]:
        return [float(np.quantile(rng.lognormal(-2.0, sigma, 400), 0.99)) for _ in range(30)]

    wider = judge_canary({p99.name: per_step(0.3)}, {p99.name: per_step(0.45)}, [p99], THRESHOLDS)
    assert wider.verdict == "rollback", wider.reasons
    medians = np.median(rng.lognormal(-2.0, 0.3, 4000)), np.median(rng.lognormal(-2.0, 0.45, 4000))
    assert abs(medians[1] / medians[0] - 1) < 0.05  # the typical value did not move
    same = judge_canary({p99.name: per_step(0.3)}, {p99.name: per_step(0.3)}, [p99], THRESHOLDS)
    assert same.verdict != "rollback"
