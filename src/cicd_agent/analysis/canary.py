"""The canary judge: is the canary worse than the baseline, metric by metric, and what follows.

It works the way Kayenta's Mann-Whitney judge does. Each metric's canary samples are compared with
the baseline's by a Mann-Whitney U test (rank-based, so it needs no normality and shrugs off the
long tails latency has) and by an effect size. A metric fails only when the difference is both
significant at the configured confidence *and* larger than the change the spec allows, in the
direction that counts as worse: significance alone flags trivial shifts once samples are many,
effect size alone flags noise when samples are few. The score is the weighted share of passing
metrics; critical failures and missing data force it to 0.

Pure functions over numbers: fetching the samples is the job of
:mod:`cicd_agent.modes.deploy_gate.canary.collect`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict
from scipy.stats import mannwhitneyu

from cicd_agent.analysis.hodges_lehmann import FloatArray, hodges_lehmann_shift

Direction = Literal["increase", "decrease", "either"]


class MetricSpec(Protocol):
    """What the judge needs of one metric's rule (the canary phase's config satisfies it; the
    analysis layer imports no mode)."""

    @property
    def name(self) -> str: ...
    @property
    def direction(self) -> Direction: ...
    @property
    def critical(self) -> bool: ...
    @property
    def allowed_change(self) -> float: ...
    @property
    def min_delta(self) -> float: ...
    @property
    def weight(self) -> float: ...
    @property
    def fail_on_nodata(self) -> bool: ...


class CanaryThresholds(Protocol):
    """The judge's thresholds: test confidence and the promote / observe score cut-offs."""

    @property
    def confidence(self) -> float: ...
    @property
    def pass_score(self) -> float: ...
    @property
    def marginal_score(self) -> float: ...


MetricClass = Literal["pass", "high", "low", "nodata"]
Verdict = Literal["promote", "continue", "rollback"]
# Samples may come as plain sequences (from Prometheus) or numpy arrays (simulations, benches).
Samples = Sequence[float] | npt.NDArray[np.floating[Any]]

_ALLOWANCE_SIGN = {"increase": "+", "decrease": "-", "either": "±"}


class SampleSummary(BaseModel):
    """What one side looked like, so a reader can check the judge's call by eye."""

    model_config = ConfigDict(frozen=True)

    n: int
    mean: float | None
    median: float | None
    p95: float | None
    dropped: int = 0  # non-finite values (NaN from 0/0, ±Inf) left out of the test


class MetricResult(BaseModel):
    """The judge's call on one metric, with the evidence for it.

    ``mean_ratio`` is canary mean over baseline mean (None when the baseline mean is 0);
    ``hl_shift`` is the Hodges-Lehmann estimate of canary minus baseline, in the metric's unit.
    """

    model_config = ConfigDict(frozen=True)

    name: str
    classification: MetricClass
    failed: bool
    critical: bool
    weight: float
    direction: str
    p_value: float | None
    mean_ratio: float | None
    hl_shift: float | None
    baseline: SampleSummary
    canary: SampleSummary
    reason: str


class CanaryJudgement(BaseModel):
    """The canary phase's decision. ``healthy`` is false when the judge could not see enough.

    ``data_source_error`` says why, when the metrics could not be read at all (Prometheus
    unreachable after retries, credentials refused): the verdict is then ``continue``, never
    ``promote``, and the workflow decides whether to hold or try again.
    """

    model_config = ConfigDict(frozen=True)

    verdict: Verdict
    canary_score: float
    rollback: bool
    healthy: bool
    reasons: tuple[str, ...]
    metrics: tuple[MetricResult, ...]
    data_source_error: str | None = None


def summarise(values: FloatArray, dropped: int = 0) -> SampleSummary:
    """n, mean, median and 95th percentile of finite samples (None for an empty side)."""
    if values.size == 0:
        return SampleSummary(n=0, mean=None, median=None, p95=None, dropped=dropped)
    return SampleSummary(
        n=int(values.size),
        mean=float(np.mean(values)),
        median=float(np.median(values)),
        p95=float(np.percentile(values, 95)),
        dropped=dropped,
    )


def _finite(values: Samples) -> tuple[FloatArray, int]:
    array = np.asarray(values, dtype=np.float64).ravel()
    finite = array[np.isfinite(array)]
    return finite, int(array.size - finite.size)


def _smallest_attainable_p(n: int, m: int, two_sided: bool) -> float:
    """The lowest p-value the exact U test can give with n and m samples (no ties)."""
    return (2.0 if two_sided else 1.0) / math.comb(n + m, n)


def judge_metric(
    spec: MetricSpec,
    baseline: Samples,
    canary: Samples,
    confidence: float,
) -> MetricResult:
    """Classify one metric: ``high``/``low`` when worse beyond doubt and beyond the allowance.

    ``nodata`` when a side has no finite sample, or so few that the test could not reach the
    confidence even if every canary sample were worse than every baseline one: such a metric
    cannot see a regression, so it must not pass as if it had looked.
    """
    base, base_dropped = _finite(baseline)
    cand, cand_dropped = _finite(canary)
    base_summary = summarise(base, base_dropped)
    cand_summary = summarise(cand, cand_dropped)
    alpha = 1.0 - confidence
    two_sided = spec.direction == "either"

    missing = [side for side, arr in (("baseline", base), ("canary", cand)) if arr.size == 0]
    if missing:
        return _metric_result(
            spec,
            "nodata",
            f"{spec.name}: no data for the {' and the '.join(missing)}.",
            base_summary,
            cand_summary,
        )
    if _smallest_attainable_p(cand.size, base.size, two_sided) >= alpha:
        return _metric_result(
            spec,
            "nodata",
            f"{spec.name}: too few samples (baseline {base.size}, canary {cand.size}) for the test "
            f"to reach {confidence:.0%} confidence; widen the lookback or shorten the step.",
            base_summary,
            cand_summary,
        )

    alternative = {"increase": "greater", "decrease": "less", "either": "two-sided"}[spec.direction]
    test = mannwhitneyu(cand, base, alternative=alternative, method="auto")
    p_value = float(test.pvalue)
    base_mean = float(np.mean(base))
    cand_mean = float(np.mean(cand))
    mean_ratio = cand_mean / base_mean if base_mean != 0 else None
    hl_shift = hodges_lehmann_shift(cand, base)
    change = _relative_change(cand_mean, base_mean)
    delta = cand_mean - base_mean

    classification: MetricClass = "pass"
    significant = p_value < alpha
    beyond_floor = abs(delta) > spec.min_delta
    if significant and beyond_floor:
        if spec.direction in ("increase", "either") and change > spec.allowed_change:
            classification = "high"
        elif spec.direction in ("decrease", "either") and change < -spec.allowed_change:
            classification = "low"

    evidence = (
        f"mean {cand_mean:.6g} vs {base_mean:.6g} ({_describe_change(change)}, "
        f"allowed {_ALLOWANCE_SIGN[spec.direction]}{spec.allowed_change:.0%}), p={p_value:.3g}"
    )
    if classification == "pass":
        why = "within the allowance" if significant else "not significant"
        reason = f"{spec.name}: passes ({why}); {evidence}."
    else:
        word = "higher" if classification == "high" else "lower"
        reason = f"{spec.name} is {word} on the canary: {evidence} < {alpha:.3g}."
    return _metric_result(
        spec,
        classification,
        reason,
        base_summary,
        cand_summary,
        p_value=p_value,
        mean_ratio=mean_ratio,
        hl_shift=hl_shift,
    )


def _metric_result(
    spec: MetricSpec,
    classification: MetricClass,
    reason: str,
    baseline: SampleSummary,
    canary: SampleSummary,
    *,
    p_value: float | None = None,
    mean_ratio: float | None = None,
    hl_shift: float | None = None,
) -> MetricResult:
    """One metric's call with its evidence. The one place that says which calls fail the
    rollout (``high`` and ``low`` always, ``nodata`` where the spec asks), so a metric the judge
    saw too little of and one that could not be read at all fail alike."""
    failed = classification in ("high", "low") or (
        classification == "nodata" and spec.fail_on_nodata
    )
    return MetricResult(
        name=spec.name,
        classification=classification,
        failed=failed,
        critical=spec.critical,
        weight=spec.weight,
        direction=spec.direction,
        p_value=p_value,
        mean_ratio=mean_ratio,
        hl_shift=hl_shift,
        baseline=baseline,
        canary=canary,
        reason=reason,
    )


def _relative_change(canary_mean: float, baseline_mean: float) -> float:
    """(canary - baseline) / |baseline|; ±inf when only the canary moved away from zero."""
    if baseline_mean != 0:
        return (canary_mean - baseline_mean) / abs(baseline_mean)
    if canary_mean == 0:
        return 0.0
    return math.copysign(math.inf, canary_mean)


def _describe_change(change: float) -> str:
    if math.isinf(change):
        return "up from zero" if change > 0 else "down from zero"
    return f"{change:+.1%}"


def judge_canary(
    baseline: Mapping[str, Samples],
    canary: Mapping[str, Samples],
    specs: Sequence[MetricSpec],
    thresholds: CanaryThresholds,
) -> CanaryJudgement:
    """Judge every metric, score the canary and turn the score into a verdict.

    Samples are keyed by metric name; a name missing from a mapping means no data for that side.
    A nodata metric that may be missing (``fail_on_nodata`` false) is left out of the score rather
    than counted as passing. When no metric has data at all, nothing was seen: the verdict is
    ``continue`` with ``healthy`` false, never ``promote`` nor a blind ``rollback``.
    """
    if not specs:
        raise ValueError("the canary judge needs at least one metric")
    results = tuple(
        judge_metric(
            spec, baseline.get(spec.name, ()), canary.get(spec.name, ()), thresholds.confidence
        )
        for spec in specs
    )
    reasons = [r.reason for r in results if r.classification != "pass"]
    nodata = [r for r in results if r.classification == "nodata"]

    if len(nodata) == len(results):
        reasons.insert(0, _blind_reason(results))
        return CanaryJudgement(
            verdict="continue",
            canary_score=0.0,
            rollback=False,
            healthy=False,
            reasons=tuple(reasons),
            metrics=results,
        )

    counted = [r for r in results if r.classification != "nodata" or r.failed]
    total = sum(r.weight for r in counted)
    score = 100.0 * sum(r.weight for r in counted if not r.failed) / total if total else 0.0
    healthy = True
    critical = [r.name for r in results if r.critical and r.failed]
    if critical:
        score = 0.0
        reasons.insert(0, f"Critical metric(s) failed: {', '.join(critical)}; score forced to 0.")
    if 2 * len(nodata) >= len(results):
        score = 0.0
        healthy = False
        reasons.insert(
            0,
            f"{len(nodata)} of {len(results)} metrics have no usable data; score forced to 0.",
        )
    score = round(score, 2)
    verdict = _verdict(score, thresholds)
    reasons.insert(0, _score_reason(verdict, score, thresholds))
    return CanaryJudgement(
        verdict=verdict,
        canary_score=score,
        rollback=verdict == "rollback",
        healthy=healthy,
        reasons=tuple(reasons),
        metrics=results,
    )


def _verdict(score: float, thresholds: CanaryThresholds) -> Verdict:
    if score >= thresholds.pass_score:
        return "promote"
    if score >= thresholds.marginal_score:
        return "continue"
    return "rollback"


def _score_reason(verdict: Verdict, score: float, thresholds: CanaryThresholds) -> str:
    if verdict == "promote":
        return (
            f"Canary score {score:g} reaches the pass threshold {thresholds.pass_score:g}: promote."
        )
    if verdict == "continue":
        return (
            f"Canary score {score:g} is below the pass threshold {thresholds.pass_score:g} but "
            f"reaches the marginal threshold {thresholds.marginal_score:g}: continue observing."
        )
    return f"Canary score {score:g} is below the marginal threshold {thresholds.marginal_score:g}: roll back."


def _blind_reason(results: Sequence[MetricResult]) -> str:
    if all(r.canary.n == 0 for r in results):
        return (
            "No canary data for any metric: the canary may not serve traffic yet, or the track "
            "label or queries do not match it. Not promoting what cannot be seen."
        )
    return (
        "No metric has enough data on both sides to be judged. Not promoting what cannot be seen."
    )


def blind_judgement(reason: str, specs: Sequence[MetricSpec]) -> CanaryJudgement:
    """The judgement when the metrics could not be read at all: continue, unhealthy, every metric
    nodata, so outputs and the summary table keep their usual shape."""
    empty = SampleSummary(n=0, mean=None, median=None, p95=None)
    results = tuple(
        _metric_result(spec, "nodata", f"{spec.name}: not read.", empty, empty) for spec in specs
    )
    return CanaryJudgement(
        verdict="continue",
        canary_score=0.0,
        rollback=False,
        healthy=False,
        reasons=(f"Metrics could not be read: {reason} Not promoting what cannot be seen.",),
        metrics=results,
        data_source_error=reason,
    )
