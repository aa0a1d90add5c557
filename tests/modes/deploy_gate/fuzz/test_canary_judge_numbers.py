"""No series throws the canary judge: every function it computes with, fed through the one seam
that pairs and cleans series (``canary/steps.py``), on any numbers a store can answer (NaN,
±Inf, zeros, the smallest and largest floats, empty and one-sample windows, sides of different
lengths), gives its answer: a verdict with what it left out counted, or a stated "cannot judge"
(``nodata`` or ``insufficient`` with its reason), never an exception.

One test per function, each with its own budget of generated inputs (``budget``)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from cicd_agent.job.pipeline import render_output
from cicd_agent.modes.deploy_gate.canary.config import CanaryThresholds, MetricSpec
from cicd_agent.modes.deploy_gate.canary.counts import CountEvidence, window_counts
from cicd_agent.modes.deploy_gate.canary.evidence import Evidence, log_ratios, robust_evidence
from cicd_agent.modes.deploy_gate.canary.judge import judge_canary
from cicd_agent.modes.deploy_gate.canary.metric import Look, RateCounts, judge_metric
from cicd_agent.modes.deploy_gate.canary.power import (
    Power,
    bounds_of,
    count_power,
    paired_power,
)
from cicd_agent.modes.deploy_gate.canary.state import decode_state
from cicd_agent.modes.deploy_gate.canary.steps import LIMIT, elasticity_of, paired, usable
from tests.fuzz.hostile import budget

SPECIAL = [0.0, -0.0, 1.0, -1.0, 5e-324, 1e-13, 1e-12, 1e15, 1.1e15, 1e308, -1e308]
SPECIAL += [math.nan, math.inf, -math.inf]
numbers = st.one_of(st.floats(), st.sampled_from(SPECIAL), st.floats(0, 1e4))
"""Any float, the ones the seam's bounds sit at, and ordinary values (so real windows form)."""
series = st.one_of(
    st.lists(numbers, max_size=40),
    st.lists(numbers, min_size=30, max_size=40),
    st.builds(lambda value, n: [value] * n, numbers, st.integers(0, 40)),
)
"""A window: empty, one sample, a full window, or one value repeated (flat, all zero, all NaN)."""
changes = st.sampled_from([0.0, 0.05, 0.1, 0.3, 1.0, 5.0, 1e300])
specs = st.builds(
    lambda kind, direction, allowed, extra, low, high, delta: MetricSpec(
        name="m",
        kind=kind,
        query='e{t="{track}"} / r{t="{track}"}' if kind == "rate" else 'g{t="{track}"}',
        direction=direction,
        allowed_change=allowed,
        unacceptable_change=allowed + extra,
        objective_min=low,
        objective_max=None if high is None or (low is not None and high <= low) else high,
        min_delta=delta,
    ),
    st.sampled_from(["gauge", "count", "rate", "latency"]),
    st.sampled_from(["increase", "decrease", "either"]),
    changes,
    changes,
    st.none() | st.sampled_from([-1e300, 0.0, 0.5]),
    st.none() | st.sampled_from([1.0, 1e300]),
    st.sampled_from([0.0, 0.001, 1e300]),
)
ALPHAS = (0.01, 0.02)


def checked(evidence: Evidence) -> None:
    for alpha in (0.001, 0.5):
        interval = evidence.interval(alpha)
        assert interval is None or all(math.isfinite(end) for end in interval)


def checked_power(power: Power) -> None:
    for figure in (power.detectable, power.rule_out, power.multiple):
        assert figure is None or (math.isfinite(figure) and figure >= 0)


@budget(150)
@given(st.lists(series, min_size=1, max_size=4))
@example([[1.0] * 31, [1.0] * 5 + [math.nan] + [1.0] * 25, [2.0], []])
def test_pairing(sides: list[list[float]]) -> None:
    steps = paired(*sides)
    assert len(steps.sides) == len(sides)
    assert steps.size + steps.dropped == min(len(side) for side in sides)
    for side in steps.sides:
        assert side.size == steps.size
        assert np.all(np.isfinite(side)) and np.all(np.abs(side) <= LIMIT)
    for side in sides:
        kept, dropped = usable(side)
        assert kept.size + dropped == len(side) and np.all(np.isfinite(kept))


@budget(200)
@given(series, series, st.none() | st.tuples(series, series))
@example([5.0] * 31, [5.0] * 31, ([1000.0] * 31, [1000.0] * 5 + [math.nan] + [1000.0] * 25))
@example([5.0] * 31, [5.0] * 31, ([1e-3] * 31, [1e15] * 31))
def test_counts(
    baseline: list[float], canary: list[float], traffic: tuple[list[float], list[float]] | None
) -> None:
    evidence, why = window_counts(paired(baseline, canary, *(traffic or ())))
    assert why is None or why
    pooled = CountEvidence().plus(evidence).plus(evidence)
    for interval in pooled.sequences(0.01, 0.02):
        assert interval is None or all(math.isfinite(end) for end in interval)
    assert math.isfinite(pooled.estimate)


@budget(200)
@given(series, series)
def test_windows_evidence(reference: list[float], canary: list[float]) -> None:
    """A window's evidence: paired log ratios, and an objective's own values."""
    steps = paired(reference, canary)
    for evidence in (robust_evidence(log_ratios(*steps.sides)), robust_evidence(usable(canary)[0])):
        checked(evidence)
        checked(evidence.plus(evidence))


@budget(100)
@given(st.lists(st.tuples(series, series, series, series), min_size=1, max_size=3), specs, numbers)
@example([([5e-324], [0.0], [1.0], [1.0])], MetricSpec(name="m", query='g{t="{track}"}'), 1.0)
def test_power(windows: list[tuple[list[float], ...]], spec: MetricSpec, tail: float) -> None:
    """The power over the budget of what one to three windows gathered."""
    counts, ratios = CountEvidence(), Evidence()
    for base, cand, base_traffic, cand_traffic in windows:
        counts = counts.plus(window_counts(paired(base, cand, base_traffic, cand_traffic))[0])
        ratios = ratios.plus(robust_evidence(log_ratios(*paired(base, cand).sides)))
    lower = spec.direction == "decrease"
    bounds = bounds_of(spec.allowed_change, spec.unacceptable_change, lower)
    for steps in (1, 8, 40):
        power = count_power(
            counts, 6, ALPHAS, bounds, elasticity_of(tail), steps=steps, lower=lower
        )
        checked_power(power)
    checked_power(paired_power(ratios, len(windows), 6, ALPHAS, bounds, lower=lower))


@budget(150)
@given(specs, series, series, st.none() | series, st.none() | st.tuples(series, series), numbers)
def test_one_metric(
    spec: MetricSpec,
    baseline: list[float],
    canary: list[float],
    previous: list[float] | None,
    traffic: tuple[list[float], list[float]] | None,
    tail: float,
) -> None:
    counts = RateCounts(baseline, canary, *traffic, elasticity=tail) if traffic else None
    result, pooled = judge_metric(
        spec, baseline, canary, look=Look(), previous=previous, counts=counts, span=900.0
    )
    assert result.reason
    assert result.canary.n + result.canary.dropped == len(canary)
    render_output(result)  # as the outputs write it: plain JSON
    assert all(isinstance(evidence, Evidence | CountEvidence) for evidence in pooled.values())


@budget(60)
@given(
    st.lists(specs, min_size=1, max_size=2, unique_by=lambda s: s.kind),
    st.lists(st.tuples(series, series, series, series, series), min_size=1, max_size=2),
)
def test_the_verdict(specs_: list[MetricSpec], calls: list[tuple[list[float], ...]]) -> None:
    """The whole judge over one or two calls, the state sealed and read back between them."""
    named = [spec.model_copy(update={"name": f"m{n}"}) for n, spec in enumerate(specs_)]
    keys = [f"{spec.name}/{check}" for spec in named for check in CHECKS]
    state = None
    for base, cand, previous, base_traffic, cand_traffic in calls:
        verdict = judge_canary(
            {spec.name: base for spec in named},
            {spec.name: cand for spec in named},
            named,
            CanaryThresholds(),
            state=state,
            previous={spec.name: previous for spec in named},
            until=1_800_000_000.0,
            counts={s.name: RateCounts(base, cand, base_traffic, cand_traffic) for s in named},
            spans={spec.name: 900.0 for spec in named},
        )
        assert verdict.verdict in ("promote", "continue", "rollback", "insufficient")
        assert verdict.reasons and all(metric.reason for metric in verdict.metrics)
        if verdict.verdict == "promote":
            assert all(metric.classification == "pass" for metric in verdict.metrics)
        render_output(verdict)
        state = decode_state(verdict.state.encode(), verdict.state.digest, keys)


CHECKS = ("baseline", "counts", "previous", "objective")
