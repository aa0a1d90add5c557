"""The canary judge: is the canary worse than the baseline, metric by metric, and what follows.

Each metric is judged by :mod:`cicd_agent.modes.deploy_gate.canary.metric` on evidence pooled
over the rollout so far, by the test its kind calls for (counts and rates: a sequential test on
the counts; latencies and gauges: paired log ratios). **One error budget** holds for the whole
configuration and rollout: a regression is let through (a metric passes) with probability at
most ``1 - confidence``, and a false rollback happens with probability at most half that, split
evenly over the metrics (the union bound: any one metric failing rolls back). A rollout has a
budget of ``max_calls`` calls; undecided after them it holds for a person, never promoted by
running out. A metric fails when it is significantly worse and its estimate lies beyond
the change the spec allows. The score is the weighted share of metrics not failing; critical
failures and missing data force it to 0, but only a metric seen to be worse rolls back.
**Promote** needs more than no failure: every counted metric's interval ruling out its
unacceptable change, and at least ``windows_to_promote`` calls of evidence; short of that the
verdict is ``continue``.

Pure functions over numbers: fetching the samples is the job of
:mod:`cicd_agent.modes.deploy_gate.canary.collect`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from cicd_agent.modes.deploy_gate.canary.counts import CountEvidence
from cicd_agent.modes.deploy_gate.canary.evidence import Evidence
from cicd_agent.modes.deploy_gate.canary.metric import (
    Look,
    MetricResult,
    RateCounts,
    judge_metric,
    unread_metric,
)
from cicd_agent.modes.deploy_gate.canary.noise import LearntNoise
from cicd_agent.modes.deploy_gate.canary.state import CanaryState, fresh_state, next_state
from cicd_agent.modes.deploy_gate.canary.steps import Samples
from cicd_agent.modes.deploy_gate.canary.types import CanaryVerdict, Verdict

if TYPE_CHECKING:
    from cicd_agent.modes.deploy_gate.canary.config import CanaryThresholds, MetricSpec

# The digest of a state not bound to any configuration (benches, tests of the judge alone).
UNBOUND = "0" * 16


def judge_canary(
    baseline: Mapping[str, Samples],
    canary: Mapping[str, Samples],
    specs: Sequence[MetricSpec],
    thresholds: CanaryThresholds,
    *,
    state: CanaryState | None = None,
    previous: Mapping[str, Samples] | None = None,
    until: float | None = None,
    counts: Mapping[str, RateCounts] | None = None,
    spans: Mapping[str, float] | None = None,
    noise: Mapping[str, LearntNoise] | None = None,
) -> CanaryVerdict:
    """Judge every metric, score the canary and turn the score into a verdict.

    Samples are keyed by metric name; a name missing from a mapping means no data for that side.
    A nodata metric that may be missing (``fail_on_nodata`` false) is left out of the score rather
    than counted as passing. When no metric has data at all, nothing was seen: the verdict is
    ``continue`` with ``healthy`` false, never ``promote`` nor a blind ``rollback``. ``noise``:
    what was learnt from the stable's history before the first call (:mod:`.noise`), carried
    in the state to the later calls.
    """
    if not specs:
        raise ValueError("the canary judge needs at least one metric")
    before = state or fresh_state(UNBOUND)
    alpha = 1.0 - thresholds.confidence
    look = Look(
        call=before.calls + 1,
        prior=before.checks,
        alpha_pass=alpha,
        alpha_fail=alpha / 2 / len(specs),
        budget=thresholds.max_calls,
    )
    pooled: dict[str, Evidence | CountEvidence] = {}
    judged = []
    for spec in specs:
        result, evidence = judge_metric(
            spec,
            baseline.get(spec.name, ()),
            canary.get(spec.name, ()),
            look=look,
            previous=None if previous is None else previous.get(spec.name, ()),
            counts=None if counts is None else counts.get(spec.name),
            span=None if spans is None else spans.get(spec.name),
            noise=(before.noise if noise is None else noise).get(spec.name),
        )
        judged.append(result)
        pooled.update(evidence)
    results = tuple(judged)
    after = next_state(before, until, pooled, noise)
    reasons = [r.reason for r in results if r.classification != "pass"]
    nodata = [r for r in results if r.classification == "nodata"]

    if len(nodata) == len(results):
        why = "No metric has enough data on both sides to be judged."
        if all(r.canary.n == 0 for r in results):
            why = (
                "No canary data for any metric: the canary may not serve traffic yet, or the track "
                "label or queries do not match it."
            )
        return _unseen([f"{why} Not promoting what cannot be seen.", *reasons], results, after)

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
    verdict, why = _verdict(score, thresholds)
    reasons.insert(0, why)
    if verdict == "rollback" and not any(r.classification in ("high", "low") for r in results):
        # Only unseen metrics stand against the canary: that is a judge that cannot see, not a
        # regression, and a rollback on it would be a false one.
        verdict = "continue"
        reasons[0] = (
            f"Canary score {score:g} is below the marginal threshold, but only because metrics "
            "have no usable data; no metric was seen to be worse: continue, unhealthy."
        )
    # A failure-free score does not promote yet on thin evidence, or with too few calls.
    thin = [r.name for r in counted if r.classification == "thin"]
    if verdict == "promote" and (thin or after.calls < thresholds.windows_to_promote):
        holds = (
            f"the evidence on {', '.join(thin)} cannot yet tell a pass from a regression"
            if thin
            else f"a promote needs {thresholds.windows_to_promote} windows of passing evidence "
            f"and the rollout has {after.calls}"
        )
        verdict = "continue"
        reasons[0] = (
            f"Canary score {score:g} reaches the pass threshold, but {holds}: continue observing."
        )
    if after.calls > thresholds.max_calls:
        # Beyond the budget the error budget is spent: nothing more is decided.
        verdict = "continue"
        reasons.insert(0, _held(thresholds, "was spent before this call"))
    elif verdict == "continue" and after.calls == thresholds.max_calls:
        reasons.insert(0, _held(thresholds, "is spent"))
    if verdict == "continue" and (lacking := _lacking(counted)):
        # More calls alike cannot settle these: say so now, with the figures, never healthy.
        verdict, healthy = "insufficient", False
        reasons.insert(0, lacking)
    return CanaryVerdict(
        verdict=verdict,
        canary_score=score,
        rollback=verdict == "rollback",
        healthy=healthy,
        reasons=tuple(reasons),
        metrics=results,
        state=after,
    )


def _lacking(counted: Sequence[MetricResult]) -> str | None:
    """Why the rollout cannot be settled at this traffic, or None: the thin metrics whose
    power over the whole budget falls short of the change a promote must rule out, unless
    what they show already is a regression that power detects (more calls would roll it back:
    stopping the rollout would leave it serving)."""
    blind = [
        r
        for r in counted
        if r.classification == "thin" and r.power and not r.power.enough and not _seen_worse(r)
    ]
    if not blind:
        return None
    return (
        "Not enough traffic to judge: over its whole call budget this rollout cannot detect the "
        f"change a promote must rule out on {', '.join(r.name for r in blind)} (each metric's "
        "reason gives the figures and the remedy)."
    )


def _held(thresholds: CanaryThresholds, spent: str) -> str:
    return (
        f"The rollout's budget of {thresholds.max_calls} calls {spent} and the judge is still "
        "undecided: hold the rollout for a person (running out of calls never promotes)."
    )


def _verdict(score: float, thresholds: CanaryThresholds) -> tuple[Verdict, str]:
    """The verdict the score reaches, and the sentence that says so."""
    said = f"Canary score {score:g}"
    if score >= thresholds.pass_score:
        return "promote", f"{said} reaches the pass threshold {thresholds.pass_score:g}: promote."
    if score >= thresholds.marginal_score:
        return "continue", (
            f"{said} is below the pass threshold {thresholds.pass_score:g} but "
            f"reaches the marginal threshold {thresholds.marginal_score:g}: continue observing."
        )
    return (
        "rollback",
        f"{said} is below the marginal threshold {thresholds.marginal_score:g}: roll back.",
    )


def blind_judgement(
    reason: str, specs: Sequence[MetricSpec], state: CanaryState | None = None
) -> CanaryVerdict:
    """The judgement when the metrics could not be read at all: continue, unhealthy, every metric
    nodata, so outputs and the summary table keep their usual shape; the state passes through
    unchanged (no evidence was gathered)."""
    results = tuple(unread_metric(spec) for spec in specs)
    reason_line = f"Metrics could not be read: {reason} Not promoting what cannot be seen."
    return _unseen([reason_line], results, state or fresh_state(UNBOUND), reason)


def _unseen(
    reasons: Sequence[str],
    results: tuple[MetricResult, ...],
    state: CanaryState,
    error: str | None = None,
) -> CanaryVerdict:
    """A judge that saw nothing: continue, unhealthy, score 0 (never promote nor roll back)."""
    return CanaryVerdict(
        verdict="continue",
        canary_score=0.0,
        rollback=False,
        healthy=False,
        reasons=tuple(reasons),
        metrics=results,
        state=state,
        data_source_error=error,
    )


def _seen_worse(result: MetricResult) -> bool:
    """Whether the metric's estimate (its interval's middle, in log units) is a change for the
    worse at least as large as the rollout's budget can detect."""
    power, low, high = result.power, result.change_low, result.change_high
    if power is None or power.detectable is None or low is None or high is None:
        return False
    if low <= -1:
        return False
    middle = (math.log1p(low) + math.log1p(high)) / 2
    if result.direction == "decrease":
        seen, detectable = -middle, -math.log1p(-min(power.detectable, 1 - 1e-12))
    else:
        seen = abs(middle) if result.direction == "either" else middle
        detectable = math.log1p(power.detectable)
    return seen >= detectable
