"""Reads each metric's baseline and canary samples from Prometheus and hands them to the judge.

The one place where the canary phase meets the network, so the mode only wires inputs to
:func:`assess_canary` and renders the judgement.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

from cicd_agent.analysis.canary import CanaryJudgement, blind_judgement, judge_canary
from cicd_agent.modes.deploy_canary.config import CanaryConfig, MetricSpec
from cicd_agent.prometheus import PrometheusClient, PrometheusError


@dataclass(frozen=True)
class MetricSamples:
    """One metric's samples per side, each side pooled over the series its query returned."""

    baseline: tuple[float, ...]
    canary: tuple[float, ...]
    baseline_series: int
    canary_series: int


def fetch_metric_samples(
    client: PrometheusClient,
    spec: MetricSpec,
    *,
    baseline_track: str,
    canary_track: str,
    lookback: float,
    step: float,
    end: float,
) -> MetricSamples:
    """Both sides of ``spec`` over ``[end - lookback, end]``, one query per side.

    A query that returns several series (one per pod, say) has their samples pooled: every pod's
    value is evidence about its track. Aggregate in PromQL (``sum``, ``avg``) to judge otherwise.
    """
    start = end - lookback

    def read(side: Literal["baseline", "canary"], track: str) -> tuple[tuple[float, ...], int]:
        series = client.query_range(spec.query_for(side, track), start=start, end=end, step=step)
        return tuple(value for one in series for value in one.values), len(series)

    baseline, baseline_count = read("baseline", baseline_track)
    canary, canary_count = read("canary", canary_track)
    return MetricSamples(baseline, canary, baseline_count, canary_count)


def assess_canary(
    client: PrometheusClient, config: CanaryConfig, *, end: float | None = None
) -> CanaryJudgement:
    """Fetch every metric over the window ending at ``end`` (default now) and judge the canary.

    When Prometheus cannot be read (:class:`~cicd_agent.prometheus.PrometheusError`: unreachable
    after the retries, credentials refused) the judgement is blind: ``continue``, ``healthy=false``
    and the reason. A query Prometheus rejects is not caught: it is a configuration error
    (:class:`~cicd_agent.prometheus.PrometheusQueryError`, exit 2) the user must fix.
    """
    until = time.time() if end is None else end
    baseline: dict[str, tuple[float, ...]] = {}
    canary: dict[str, tuple[float, ...]] = {}
    try:
        for spec in config.metrics:
            lookback, step = config.window(spec)
            samples = fetch_metric_samples(
                client,
                spec,
                baseline_track=config.baseline_track,
                canary_track=config.canary_track,
                lookback=lookback,
                step=step,
                end=until,
            )
            baseline[spec.name] = samples.baseline
            canary[spec.name] = samples.canary
    except PrometheusError as error:
        return blind_judgement(str(error), config.metrics)
    return judge_canary(baseline, canary, config.metrics, config.thresholds)
