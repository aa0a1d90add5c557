"""One metric's canary call: is the canary worse than its baseline, its previous release or its
objective, by more than the spec allows, and how sure is the rollout so far.

Each check is judged on evidence pooled over the rollout's windows: against the baseline, a
count or a rate by the sequential count test (:mod:`.counts`), a latency or a gauge on paired
log ratios canary / baseline (:mod:`.evidence` argues the statistics); the previous-release
check on paired log ratios canary / the previous release's window, the objective check on the
canary's own values. A metric fails when a check is significantly worse and beyond its
allowance, passes when every check rules out the unacceptable change, and is ``thin``
otherwise; thin evidence is what makes the verdict ``continue``.

Pure functions over numbers: fetching the samples is the job of
:mod:`cicd_agent.modes.deploy_gate.canary.collect`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, TypeVar

import numpy as np

from cicd_agent.modes.deploy_gate.canary.counts import CountEvidence, window_counts
from cicd_agent.modes.deploy_gate.canary.evidence import (
    Bounds,
    CheckOutcome,
    Evidence,
    FloatArray,
    hodges_lehmann_shift,
    log_ratios,
    robust_evidence,
    settle,
)
from cicd_agent.modes.deploy_gate.canary.noise import LearntNoise, relearnt
from cicd_agent.modes.deploy_gate.canary.power import (
    Power,
    bounds_of,
    count_power,
    paired_power,
    power_statement,
    traffic_seen,
)
from cicd_agent.modes.deploy_gate.canary.steps import (
    LIMIT,
    Samples,
    SampleSummary,
    Steps,
    elasticity_of,
    paired,
    summarise,
    usable,
)

if TYPE_CHECKING:
    from cicd_agent.modes.deploy_gate.canary.config import MetricSpec

MetricClass = Literal["pass", "thin", "high", "low", "nodata"]
CHECKS = ("baseline", "counts", "previous", "objective")
# Which test judged a metric against its baseline, for the reader and the decision record.
TESTS = {
    "counts": "sequential conditional test on the counts (mixture likelihood ratio)",
    "baseline": "paired log ratios (trimmed mean, widened for autocorrelation)",
}

_E = TypeVar("_E", Evidence, CountEvidence)
_ALLOWANCE_SIGN = {"increase": "+", "decrease": "-", "either": "±"}


@dataclass(frozen=True, kw_only=True)
class MetricResult:
    """The judge's call on one metric, with the evidence for it.

    ``change_low``/``change_high`` bound the canary's relative change against the baseline over
    the rollout so far (at this call's share of the confidence); ``mean_ratio`` is this window's
    canary mean over baseline mean (None when the baseline mean is 0); ``hl_shift`` the
    Hodges-Lehmann estimate of canary minus baseline, in the metric's unit.
    """

    name: str
    classification: MetricClass
    failed: bool
    kind: str = "gauge"
    test: str | None = None
    critical: bool
    weight: float
    direction: str
    change_low: float | None
    change_high: float | None
    mean_ratio: float | None
    hl_shift: float | None
    baseline: SampleSummary
    canary: SampleSummary
    reason: str
    # What the rollout can see at this traffic (the comparison with the baseline): None when
    # that comparison was not made.
    power: Power | None = None


@dataclass(frozen=True)
class Look:
    """Which call of the rollout this is (1-based), the evidence earlier calls left (keyed
    ``metric/check``), and the error budget: ``alpha_pass`` for a promote (a regression let
    through), ``alpha_fail`` for a rollback (a false one), each for the whole rollout."""

    call: int = 1
    prior: Mapping[str, Evidence | CountEvidence] = field(default_factory=dict)
    alpha_pass: float = 0.02
    alpha_fail: float = 0.01
    budget: int = 6


@dataclass(frozen=True)
class RateCounts:
    """A rate's two counts per step on each side: events (its numerator) and traffic (its
    denominator), already in events per step; ``elasticity``: log units the events' share moves
    per log unit of the metric (1 for a rate; a latency's tail, from its histogram)."""

    baseline: Samples
    canary: Samples
    baseline_traffic: Samples
    canary_traffic: Samples
    elasticity: float = 1.0


@dataclass(frozen=True)
class _Check:
    name: str
    outcome: CheckOutcome
    interval: tuple[float, float] | None
    low: float | None
    """The allowance's lower bound: a failing interval above it fails high, else low."""
    power: Power | None = None
    why: str | None = None
    """Why this call's data gave the check no evidence, when that needs saying."""

    @property
    def side(self) -> Literal["high", "low"]:
        assert self.interval is not None
        return "high" if self.low is None or self.interval[1] > self.low else "low"


def check_keys(specs: Sequence[MetricSpec]) -> tuple[str, ...]:
    """Every ``metric/check`` a configuration can gather evidence for (the state's keys)."""
    return tuple(f"{spec.name}/{check}" for spec in specs for check in CHECKS)


def _ratio_bounds(spec: MetricSpec, change: float) -> tuple[float | None, float | None]:
    """A change as bounds on the log ratio, open on the side that does not count as worse."""
    high = math.log1p(change)
    low = math.log1p(-change) if change < 1 else None
    return (
        None if spec.direction == "increase" else low,
        None if spec.direction == "decrease" else high,
    )


def _times(bounds: Bounds, factor: float) -> Bounds:
    return (
        None if bounds[0] is None else bounds[0] * factor,
        None if bounds[1] is None else bounds[1] * factor,
    )


class _Checks:
    """One metric's checks this call, each on the rollout's pooled evidence: a check fails
    beyond the allowance (at the false-rollback budget) and passes within the change a promote
    must rule out (at the let-through budget)."""

    def __init__(self, spec: MetricSpec, look: Look, noise: LearntNoise | None = None) -> None:
        self.look = look
        self.noise = noise
        self.prefix = f"{spec.name}/"
        self.pooled = {k: v for k, v in look.prior.items() if k.startswith(self.prefix)}
        self.done: list[_Check] = []
        self.allowed = _ratio_bounds(spec, spec.allowed_change)
        self.ruled_out = _ratio_bounds(spec, spec.unacceptable_change)
        self.lower = spec.direction == "decrease"
        self.worse = bounds_of(spec.allowed_change, spec.unacceptable_change, self.lower)
        self.alphas = (look.alpha_fail, look.alpha_pass)
        self.steps = Steps(())
        """The steps compared with the baseline this call (what was left out is counted)."""

    def compare(
        self, spec: MetricSpec, baseline: Samples, canary: Samples, counts: RateCounts | None
    ) -> None:
        """This call's comparison with the baseline, by the test the metric's kind calls for:
        every series it reads paired step by step, so one NaN leaves out that step alone."""
        if spec.kind in ("rate", "latency") and counts is not None:
            sides = (counts.baseline, counts.canary, counts.baseline_traffic, counts.canary_traffic)
            self.steps = paired(*sides)
            elasticity = elasticity_of(counts.elasticity)
            self.counts(*window_counts(self.steps), elasticity, self.steps.size)
            return
        self.steps = paired(baseline, canary)
        if spec.kind == "count":
            self.counts(*window_counts(self.steps), steps=self.steps.size)
        else:
            self.paired("baseline", robust_evidence(log_ratios(*self.steps.sides)))

    def _pool(self, name: str, window: _E) -> _E:
        """This call's evidence added to what earlier calls gathered for the check."""
        before = self.pooled.get(self.prefix + name)
        evidence = (before if isinstance(before, type(window)) else type(window)()).plus(window)
        self.pooled[self.prefix + name] = evidence
        return evidence

    def paired(self, name: str, window: Evidence, bounds: Bounds | None = None) -> None:
        """Paired log ratios (or an objective, with its ``bounds``): pooled over calls and looked
        at once per call, so each call spends an equal share of the budget (a union bound)."""
        evidence, look = self._pool(name, window), self.look
        strict = evidence.interval(look.alpha_fail / look.budget)
        loose = evidence.interval(look.alpha_pass / look.budget)
        outcome: CheckOutcome = "thin"
        if evidence.estimate is not None and strict and loose:
            allowed, ruled_out = bounds or self.allowed, bounds or self.ruled_out
            neutral = None if bounds else 0.0
            outcome = settle(evidence.estimate, strict, loose, allowed, ruled_out, neutral=neutral)
        interval = strict if outcome == "fail" else loose
        power = None
        if name == "baseline":
            calls, budget = look.call, look.budget
            power = paired_power(evidence, calls, budget, self.alphas, self.worse, lower=self.lower)
        self.done.append(_Check(name, outcome, interval, (bounds or self.allowed)[0], power))

    def counts(
        self, window: CountEvidence, why: str | None, elasticity: float = 1.0, steps: int = 0
    ) -> None:
        """The sequential count test: a mixture likelihood ratio is valid at every call at
        once, so no share of the budget is spread over calls. The bounds are the metric's,
        carried to the counts' log ratio by ``elasticity`` (and its interval back)."""
        evidence = self._pool("counts", relearnt(window, steps, self.noise))
        strict, loose = evidence.sequences(self.look.alpha_fail, self.look.alpha_pass)
        outcome: CheckOutcome = "thin"
        if strict and loose:
            # A canary with events where the baseline has none is beyond any allowance.
            estimate = evidence.estimate if sum(evidence.baseline) > 0 else math.inf
            scaled = _times(self.allowed, elasticity), _times(self.ruled_out, elasticity)
            outcome = settle(estimate, strict, loose, *scaled)
        interval = strict if outcome == "fail" else loose
        if interval is not None:
            interval = (interval[0] / elasticity, interval[1] / elasticity)
        power = count_power(
            evidence,
            self.look.budget,
            self.alphas,
            self.worse,
            elasticity,
            steps=steps,
            lower=self.lower,
            learnt=None if self.noise is None else self.noise.dispersion,
        )
        self.done.append(_Check("counts", outcome, interval, self.allowed[0], power, why))


def judge_metric(
    spec: MetricSpec,
    baseline: Samples,
    canary: Samples,
    *,
    look: Look | None = None,
    previous: Samples | None = None,
    counts: RateCounts | None = None,
    span: float | None = None,
    noise: LearntNoise | None = None,
) -> tuple[MetricResult, dict[str, Evidence | CountEvidence]]:
    """Classify one metric, and give the rollout's pooled evidence for it after this window.

    A count is judged against its baseline by the sequential count test on its values (events
    per step); a rate by the same test on ``counts`` (its numerator and denominator), a latency
    on ``counts`` of the requests slower than the baseline's quantile bucket and of all requests;
    either on its values by paired log ratios when no counts were read, as a gauge always is.
    ``nodata`` when a side has no finite sample, or the rollout still has too few to form an
    interval: such a metric cannot see a regression, so it must not pass as if it had looked.
    """
    look = look or Look()
    base, base_dropped = usable(baseline)
    cand, cand_dropped = usable(canary)
    earlier = previous if previous is not None else ()
    prev, _ = usable(earlier)
    summaries = summarise(base, base_dropped), summarise(cand, cand_dropped)
    judged = _Checks(spec, look, noise)
    if cand.size and base.size:
        judged.compare(spec, baseline, canary, counts)
    if cand.size and prev.size:
        judged.paired("previous", robust_evidence(log_ratios(*paired(earlier, canary).sides)))
    if cand.size and (spec.objective_min is not None or spec.objective_max is not None):
        judged.paired("objective", robust_evidence(cand), (spec.objective_min, spec.objective_max))
    checks, pooled = judged.done, judged.pooled

    missing = [side for side, arr in (("baseline", base), ("canary", cand)) if arr.size == 0]
    # A difference within the absolute floor never matters, however the ratio reads.
    negligible = (
        not missing
        and spec.min_delta > 0
        and abs(float(np.mean(cand)) - float(np.mean(base))) <= spec.min_delta
    )
    # No events on either side is an observation for a count (nothing went wrong yet): thin,
    # never "no data", which would count against the canary.
    unjudged = all(c.interval is None and c.name != "counts" for c in checks)
    if missing or (unjudged and not negligible):
        if missing:
            why = f"no data for the {' and the '.join(missing)}"
        elif not np.any(base > 0) and not np.any(cand > 0):
            why = "every step is zero on both sides, so there is no relative change to judge; "
            why += "give the metric a min_delta to pass it on the absolute difference"
        else:
            why = (
                f"too few samples (baseline {base.size}, canary {cand.size}) to judge; widen "
                "the lookback or shorten the step"
            )
        return _metric_result(spec, "nodata", f"{spec.name}: {why}.", *summaries), pooled

    base_mean, cand_mean = float(np.mean(base)), float(np.mean(cand))
    settled = [c for c in checks if c.outcome == "pass" or (c.name in TESTS and negligible)]
    failing = [c for c in checks if c.outcome == "fail" and c not in settled]
    classification: MetricClass = "pass"
    if failing:
        classification = failing[0].side
    elif len(settled) < len(checks):
        classification = "thin"
    word = {
        "pass": "passes",
        "thin": "evidence still thin",
        "high": "is worse (higher)",
        "low": "is worse (lower)",
        "nodata": "",
    }[classification]
    details = "; ".join(_describe(spec, c) for c in checks)
    if judged.steps.dropped:
        left, seen = judged.steps.dropped, judged.steps.dropped + judged.steps.size
        details += f"; {left} of {seen} steps left out (NaN, infinite or beyond ±{LIMIT:g})"
    baseline_check = next((c for c in checks if c.name in TESTS), None)
    interval = baseline_check.interval if baseline_check else None
    power = baseline_check.power if baseline_check else None
    if power is not None:
        details += f"; {_stated(spec, power, look, counts, base, span=span)}"
    if noise is not None and baseline_check is not None and baseline_check.name == "counts":
        details += f"; {noise.said}"
    result = _metric_result(
        spec,
        classification,
        f"{spec.name} {word} (call {look.call}): {details}.",
        *summaries,
        change=(math.expm1(interval[0]), math.expm1(interval[1])) if interval else None,
        mean_ratio=cand_mean / base_mean if base_mean != 0 else None,
        hl_shift=hodges_lehmann_shift(cand, base),
        test=TESTS[baseline_check.name] if baseline_check else None,
        power=power,
    )
    return result, pooled


def _stated(
    spec: MetricSpec,
    power: Power,
    look: Look,
    counts: RateCounts | None,
    base: FloatArray,
    *,
    span: float | None,
) -> str:
    """The power statement with this call's traffic: a rate's or a latency's counts, a count's
    values (events per step), else the samples."""
    if spec.kind in ("rate", "latency") and counts is not None:
        events, traffic = paired(counts.baseline, counts.baseline_traffic).sides
        seen = traffic_seen(spec.kind, float(events.sum()), float(traffic.sum()), base.size, span)
    else:
        total = float(np.maximum(base, 0).sum())
        seen = traffic_seen(spec.kind, total, None, base.size, span)
    return power_statement(
        power,
        budget=look.budget,
        unacceptable=spec.unacceptable_change,
        lower=spec.direction == "decrease",
        seen=seen,
        span=span,
    )


def _describe(spec: MetricSpec, check: _Check) -> str:
    if check.interval is None:
        if check.name == "counts":
            return f"vs baseline, on the counts: {check.why or 'no events on either side yet'}"
        return f"vs {check.name}: too few samples"
    low, high = check.interval
    if check.name == "objective":
        bound = " and ".join(
            f"{word} {value:.6g}"
            for word, value in (("≥", spec.objective_min), ("≤", spec.objective_max))
            if value is not None
        )
        return f"objective {bound}: typical value in [{low:.6g}, {high:.6g}] ({check.outcome})"
    what = f"vs {check.name}: change in"
    if check.name == "counts" and spec.kind == "latency":
        what = (
            "vs baseline, on the share of requests slower than the baseline's quantile bucket, "
            "as a change of the quantile:"
        )
    elif check.name == "counts":
        what = "vs baseline, on the counts: rate ratio change in"
    allowed = f"{_ALLOWANCE_SIGN[spec.direction]}{spec.allowed_change:.0%}"
    change = f"[{math.expm1(low):+.1%}, {math.expm1(high):+.1%}]"
    return f"{what} {change}, allowed {allowed} ({check.outcome})"


def _metric_result(
    spec: MetricSpec,
    classification: MetricClass,
    reason: str,
    baseline: SampleSummary,
    canary: SampleSummary,
    *,
    change: tuple[float, float] | None = None,
    mean_ratio: float | None = None,
    hl_shift: float | None = None,
    test: str | None = None,
    power: Power | None = None,
) -> MetricResult:
    """One metric's call with its evidence. The one place that says which calls fail the
    rollout (``high`` and ``low`` always, ``nodata`` where the spec asks), so a metric the judge
    saw too little of and one that could not be read at all fail alike."""
    failed = classification in ("high", "low") or (
        classification == "nodata" and spec.fail_on_nodata
    )
    return MetricResult(
        name=spec.name,
        kind=spec.kind,
        test=test,
        power=power,
        classification=classification,
        failed=failed,
        critical=spec.critical,
        weight=spec.weight,
        direction=spec.direction,
        change_low=change[0] if change else None,
        change_high=change[1] if change else None,
        mean_ratio=mean_ratio,
        hl_shift=hl_shift,
        baseline=baseline,
        canary=canary,
        reason=reason,
    )


def unread_metric(spec: MetricSpec) -> MetricResult:
    """A metric that could not be read at all: nodata, so the summary keeps its shape."""
    empty = SampleSummary(n=0, mean=None, median=None, p95=None)
    return _metric_result(spec, "nodata", f"{spec.name}: not read.", empty, empty)
