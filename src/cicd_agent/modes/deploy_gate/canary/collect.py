"""The canary phase's collect step: each metric's baseline and canary samples, read from
Prometheus. The one place where the canary phase meets the network; judging the samples is
:mod:`decide`'s job (pure).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

from cicd_agent.job.context import RunContext
from cicd_agent.modes.deploy_gate.canary.config import CanaryConfig, MetricSpec
from cicd_agent.modes.deploy_gate.canary.options import CanaryOptions
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


@dataclass(frozen=True)
class CanarySamples:
    """Every metric's samples per side over one window, or why Prometheus could not be read."""

    baseline: dict[str, tuple[float, ...]]
    canary: dict[str, tuple[float, ...]]
    error: str | None = None


def fetch_samples(
    client: PrometheusClient, config: CanaryConfig, *, end: float | None = None
) -> CanarySamples:
    """Fetch every metric over the window ending at ``end`` (default now).

    When Prometheus cannot be read (:class:`~cicd_agent.prometheus.PrometheusError`: unreachable
    after the retries, credentials refused) the samples carry the reason instead, and the judge
    gives a blind judgement. A query Prometheus rejects is not caught: it is a configuration
    error (:class:`~cicd_agent.prometheus.PrometheusQueryError`, exit 2) the user must fix.
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
        return CanarySamples({}, {}, str(error))
    return CanarySamples(baseline, canary)


@dataclass(frozen=True)
class CanaryFacts:
    """What the canary phase collected: the configuration it judges by and the samples."""

    config: CanaryConfig
    samples: CanarySamples


def collect(ctx: RunContext) -> CanaryFacts:
    """Read every metric of the configured window from Prometheus; its secrets are masked in
    the log first."""
    options = ctx.mode_options(CanaryOptions)
    for secret in (options.prometheus_token, options.prometheus_password):
        ctx.runner.mask(secret)
    client = PrometheusClient(
        options.prometheus_url,
        token=options.prometheus_token,
        username=options.prometheus_username,
        password=options.prometheus_password,
    )
    return CanaryFacts(options.config, fetch_samples(client, options.config, end=options.end))
