"""Attacks on the judge with numbers a store can answer: a NaN in one of a rate's four series,
a traffic split too lopsided to divide by, counts too small to divide by, gauges too large to
square. Each stopped the judge with an exception (exit 3, no verdict, no state for the next
call); each must be a verdict that says what it left out, or a stated "cannot judge"."""

from __future__ import annotations

import json
import math
from collections.abc import Callable

import pytest

from cicd_agent.modes.deploy_gate.canary.collect import fetch_samples
from cicd_agent.modes.deploy_gate.canary.config import CanaryConfig, MetricSpec
from cicd_agent.modes.deploy_gate.canary.decide import judge_samples
from cicd_agent.modes.deploy_gate.canary.metric import RateCounts
from cicd_agent.modes.deploy_gate.canary.sources import connect
from cicd_agent.modes.deploy_gate.canary.types import CanarySamples, CanaryVerdict
from tests.helpers.metric_store import Answer, Store

N = 31
RATE = MetricSpec(name="err", kind="rate", query='e{t="{track}"} / r{t="{track}"}')
COUNT = MetricSpec(name="err", kind="count", query='rate(x_total{t="{track}"}[1m])')
GAUGE = MetricSpec(name="err", kind="gauge", query='g{t="{track}"}', objective_max=1.0)


def rate(
    base_events: tuple[float, ...],
    canary_events: tuple[float, ...],
    base_traffic: tuple[float, ...],
    canary_traffic: tuple[float, ...],
) -> CanarySamples:
    def ratio(events: tuple[float, ...], traffic: tuple[float, ...]) -> tuple[float, ...]:
        return tuple(e / t if t else math.nan for e, t in zip(events, traffic, strict=True))

    return CanarySamples(
        {"err": ratio(base_events, base_traffic)},
        {"err": ratio(canary_events, canary_traffic)},
        end=1_800_000_000.0,
        counts={"err": RateCounts(base_events, canary_events, base_traffic, canary_traffic)},
        spans={"err": N * 30.0},
    )


def judged(spec: MetricSpec, samples: CanarySamples) -> CanaryVerdict:
    verdict = judge_samples(samples, CanaryConfig(metrics=(spec,), lookback=N * 30.0, step=30.0))
    assert verdict.state.calls == 1  # a state for the next call
    return verdict


def test_one_nan_in_the_canary_traffic_is_a_verdict_that_counts_the_step_left_out() -> None:
    """Prometheus writes NaN for 0/0 and stale samples: one among the canary traffic's 31
    paired the events and the traffic apart, and their masks indexed each other (IndexError,
    exit 3, every call while the sample stayed in the lookback)."""
    traffic = (1000.0,) * N
    hole = (1000.0,) * 5 + (math.nan,) + (1000.0,) * 25
    verdict = judged(RATE, rate((5.0,) * N, (5.0,) * N, traffic, hole))
    (metric,) = verdict.metrics
    assert metric.classification != "nodata"
    assert "1 of 31 steps left out" in metric.reason


def test_a_traffic_split_too_lopsided_to_divide_by_is_no_evidence_not_a_crash() -> None:
    """The canary with 10^15 requests a step, the baseline with a thousandth: its share of the
    traffic rounds to 1 and the power divided by 1 - 1 (ZeroDivisionError)."""
    verdict = judged(RATE, rate((5.0,) * N, (5.0,) * N, (1e-3,) * N, (1e15,) * N))
    assert verdict.verdict != "promote"
    assert "traffic split" in verdict.metrics[0].reason


def test_counts_too_small_to_divide_by_are_none() -> None:
    """One baseline step of 5e-324 events (the smallest float): the power's projected counts
    underflowed to 0 and it divided by them (ZeroDivisionError)."""
    verdict = judged(COUNT, CanarySamples({"err": (5e-324,)}, {"err": (0.0,)}, end=1.8e9))
    assert verdict.verdict != "promote"


@pytest.mark.parametrize("size", [1e308, 1e200])
def test_gauges_too_large_to_square_are_left_out_and_counted(size: float) -> None:
    """An objective's values of ±1e308: their spread overflowed, and the evidence refused its
    own infinite weight (a validation error out of the mode)."""
    values = (size, -size) * 15 + (0.5,)
    verdict = judged(GAUGE, CanarySamples({"err": values}, {"err": values}, end=1.8e9))
    (metric,) = verdict.metrics
    assert metric.canary.dropped == 30 and metric.canary.n == 1
    assert verdict.verdict != "promote"


def test_a_prometheus_answering_nan_in_the_canary_traffic_is_judged_through_collect(
    store: Callable[[Answer], Store],
) -> None:
    """The attack as it came: a store speaking Prometheus' API whose canary traffic series
    holds one ``"NaN"`` among 31 samples; collect splits the rate into its counts, and the
    judge answers with the step left out."""
    end, step = 1_800_000_000.0, 30.0

    def answer(query: str, headers: dict[str, str]) -> tuple[int, bytes]:
        values = [
            [end - step * (N - 1 - i), "5" if "errors" in query else "1000"] for i in range(N)
        ]
        if "requests" in query and "canary" in query:
            values[5][1] = "NaN"
        result = [{"metric": {}, "values": values}]
        body = {"status": "success", "data": {"resultType": "matrix", "result": result}}
        return 200, json.dumps(body).encode()

    server = store(answer)
    config = CanaryConfig.model_validate(
        {
            "source": {"type": "prometheus", "url": server.url},
            "lookback": (N - 1) * step,
            "step": step,
            "metrics": [{"name": "err", "kind": "rate",
                         "query": 'errors{t="{track}"} / requests{t="{track}"}'}],
        }
    )  # fmt: skip
    assert config.source is not None
    samples = fetch_samples(connect(config.source, {}), config, end=end)
    assert samples.error is None
    (metric,) = judged(config.metrics[0], samples).metrics
    assert "1 of 31 steps left out" in metric.reason
