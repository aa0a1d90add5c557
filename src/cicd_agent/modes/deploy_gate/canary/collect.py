"""The canary phase's collect step: each metric's baseline and canary samples, read from the
configured metric store (:mod:`.sources`). The one place where the canary phase meets the
network; judging the samples is :mod:`decide`'s job (pure).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from cicd_agent.job.context import RunContext
from cicd_agent.modes.deploy_gate.canary.config import CanaryConfig, MetricSpec
from cicd_agent.modes.deploy_gate.canary.metric import RateCounts
from cicd_agent.modes.deploy_gate.canary.noise import MAX_HISTORY, UNREAD, LearntNoise, learn
from cicd_agent.modes.deploy_gate.canary.options import CanaryOptions
from cicd_agent.modes.deploy_gate.canary.query_shape import per_second, quantile_of, split_ratio
from cicd_agent.modes.deploy_gate.canary.sources import (
    Series,
    Source,
    SourceError,
    SourceQueryError,
    SourceSettings,
    connect,
    secrets_of,
)
from cicd_agent.modes.deploy_gate.canary.types import CanaryFacts, CanarySamples

Sides = tuple[str, str]
"""A metric's two queries: the baseline's and the canary's."""
Read = Callable[[str], list[Series]]
"""A query read over the metric's window, every step."""


@dataclass(frozen=True)
class MetricSamples:
    """One metric's samples per side, paired by time step: the i-th baseline and canary values
    (and the previous release's, when asked) are from the same step, each the mean over the
    series its query returned at that step."""

    baseline: tuple[float, ...]
    canary: tuple[float, ...]
    previous: tuple[float, ...] | None = None
    counts: RateCounts | None = None
    span: float | None = None
    """Seconds the window covered."""


def _by_step(series: list[Series], shift: float = 0.0, scale: float = 1.0) -> dict[float, float]:
    """Mean over the series at each time step (timestamps moved by ``shift``, values times
    ``scale``)."""
    sums: dict[float, list[float]] = {}
    for one in series:
        for stamp, value in zip(one.timestamps, one.values, strict=True):
            sums.setdefault(stamp + shift, []).append(value * scale)
    return {stamp: sum(values) / len(values) for stamp, values in sums.items()}


def _within(one: Series, since: float, until: float) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """``one``'s timestamps and values from ``since`` to ``until``."""
    kept = [(t, v) for t, v in zip(one.timestamps, one.values, strict=True) if since <= t <= until]
    return tuple(t for t, _ in kept), tuple(v for _, v in kept)


def _paired(
    reference: dict[float, float], canary: dict[float, float]
) -> tuple[tuple[float, ...], tuple[float, ...], list[float]]:
    """Both sides' values at the steps they share, and those steps; each side whole when they
    share none (the judge then pairs them by position)."""
    common = sorted(set(reference) & set(canary))
    if common:
        return tuple(reference[t] for t in common), tuple(canary[t] for t in common), common
    steps = sorted(canary)
    return tuple(reference[t] for t in sorted(reference)), tuple(canary[t] for t in steps), steps


def fetch_metric_samples(
    client: Source,
    spec: MetricSpec,
    config: CanaryConfig,
    *,
    end: float,
    since: float | None = None,
) -> MetricSamples:
    """Both sides of ``spec`` over its lookback up to ``end`` (from ``since`` when the rollout
    has already judged up to then), one query per side, and the previous release's window.

    A query that returns several series (one per pod, say) has them averaged per step: every
    pod's value is evidence about its track. Aggregate in PromQL (``sum``, ``max``) to judge
    otherwise.
    """
    lookback, step = config.window(spec)
    start = min(end - lookback if since is None else max(end - lookback, since + step), end)

    def read(query: str, shift: float = 0.0) -> list[Series]:
        """``query`` over the window, or over the window ``shift`` seconds earlier: only the
        points in it, whatever the store answered (yesterday's, tomorrow's), are evidence."""
        since, until = start - shift, end - shift
        return [
            Series(one.labels, *_within(one, since, until))
            for one in client.query_range(query, start=since, end=until, step=step)
        ]

    queries = (
        spec.query_for("baseline", config.baseline_track),
        spec.query_for("canary", config.canary_track),
    )
    # A count's values as events per step, so the count test weighs them as the counts they are.
    scale = step if spec.kind == "count" and per_second(queries[1]) else 1.0
    if spec.kind == "rate":
        samples, steps = _rate_samples(read, step, queries)
    else:
        baseline, canary = (_by_step(read(query), scale=scale) for query in queries)
        base_values, canary_values, steps = _paired(baseline, canary)
        tail = _tail_counts(read, step, queries) if spec.kind == "latency" else None
        samples = MetricSamples(base_values, canary_values, counts=tail)
    previous = None
    if spec.previous_offset is not None:
        # At the canary's steps, NaN where the previous release has none (the judge drops the
        # pair), so every previous value lines up with the canary value of its step.
        offset = spec.previous_offset
        earlier = _by_step(read(queries[0], offset), shift=offset, scale=scale)
        previous = tuple(earlier.get(step, math.nan) for step in steps)
    return dataclasses.replace(samples, previous=previous, span=end - start)


def _rate_samples(read: Read, step: float, queries: Sides) -> tuple[MetricSamples, list[float]]:
    """A rate's numerator and denominator read apart on each side (events and traffic per
    step, for the count test), and its value at each step they share (NaN where no traffic)."""
    sides: list[tuple[dict[float, float], dict[float, float]]] = []
    for query in queries:
        parts = split_ratio(query)
        assert parts is not None  # guaranteed by the spec's validation
        scale = step if per_second(parts[0]) else 1.0
        events, traffic = (_by_step(read(part), scale=scale) for part in parts)
        sides.append((events, traffic))
    (base_events, base_traffic), (cand_events, cand_traffic) = sides
    steps = sorted(set(base_events) & set(base_traffic) & set(cand_events) & set(cand_traffic))

    def at(values: dict[float, float]) -> tuple[float, ...]:
        return tuple(values[t] for t in steps)

    def ratio(events: dict[float, float], traffic: dict[float, float]) -> tuple[float, ...]:
        return tuple(events[t] / traffic[t] if traffic[t] > 0 else math.nan for t in steps)

    counts = RateCounts(at(base_events), at(cand_events), at(base_traffic), at(cand_traffic))
    samples = MetricSamples(
        ratio(base_events, base_traffic), ratio(cand_events, cand_traffic), counts=counts
    )
    return samples, steps


def _tail_counts(read: Read, step: float, queries: Sides) -> RateCounts | None:
    """A latency's tail as counts (:func:`tail_counts`), read from its buckets on each side;
    None when the query is not one ``histogram_quantile`` over buckets by ``le``."""
    sides: list[dict[float, dict[float, float]]] = []
    quantile = 1.0
    for query in queries:
        parsed = quantile_of(query)
        if parsed is None:
            return None
        quantile, buckets = parsed
        scale = step if per_second(buckets) else 1.0
        by_bound: dict[float, dict[float, float]] = {}
        for one in read(buckets):
            try:
                by_bound[float(one.labels.get("le", "nan"))] = _by_step([one], scale=scale)
            except ValueError:
                return None
        sides.append(by_bound)
    return tail_counts(quantile, *sides)


Buckets = dict[float, dict[float, float]]


def tail_counts(quantile: float, base: Buckets, cand: Buckets) -> RateCounts | None:
    """Requests slower than the baseline's quantile bucket and all requests, per step on each
    side (buckets: cumulative counts per step by bound). The cut is the bucket bound nearest
    the quantile (by the log of the share beyond it against ``1 - quantile``), not the first
    bound its share reaches: with a p99 just above 0.1 s that bound is 0.25 s in the client
    libraries' buckets, beyond which lie a tenth as many requests, often pauses of the host a
    release does not slow, and a p99 30 % slower passed there as no change.

    The allowance is a change of the quantile, so it is carried to the tail's share by the
    baseline's own histogram: the tail's elasticity, how many log units the share beyond the
    cut moves per log unit of latency (the secant from the bound below the cut), so a p99 10 %
    slower is judged as the tail share that much latency adds, not as a tail 10 % larger.
    None when the histogram cannot tell (no tail, or no bound below the cut)."""
    if math.inf not in base or math.inf not in cand:
        return None
    steps = sorted(set(base[math.inf]) & set(cand[math.inf]))
    total = sum(base[math.inf][t] for t in steps)

    def beyond(bound: float) -> float:
        return total - sum(base[bound].get(t, 0.0) for t in steps)

    bounds = sorted(set(base) & set(cand))
    above = next((i for i, b in enumerate(bounds) if total - beyond(b) >= quantile * total), None)
    if not steps or total <= 0 or above is None or bounds[above] == math.inf:
        return None
    tail = max((1.0 - quantile) * total, 1e-9)
    near = [b for b in bounds[max(above - 1, 0) : above + 1] if b > 0 and beyond(b) > 0]
    cut = min(near, key=lambda b: abs(math.log(beyond(b) / tail)), default=math.inf)
    below = [b for b in bounds if 0 < b < cut]
    if cut == math.inf or not below:
        return None

    def slower(side: Buckets) -> tuple[float, ...]:
        return tuple(side[math.inf][t] - side[cut].get(t, 0.0) for t in steps)

    return RateCounts(
        slower(base),
        slower(cand),
        tuple(base[math.inf][t] for t in steps),
        tuple(cand[math.inf][t] for t in steps),
        elasticity=math.log(beyond(below[-1]) / beyond(cut)) / math.log(cut / below[-1]),
    )


HISTORY_BUDGET = 60.0
"""Seconds the history reads may take in all, every metric together: once spent, the metrics
not yet read learn nothing (each read is bounded besides, as every read of the store is: its
timeout, deadline, body and points)."""


def learn_noise(
    client: Source, spec: MetricSpec, config: CanaryConfig, start: float
) -> LearntNoise | None:
    """What ``spec``'s stable history says of its noise: the baseline's queries read over the
    :attr:`~CanaryConfig.history` before ``start`` (at most :data:`~.noise.MAX_HISTORY` steps),
    as the call reads them. None for a gauge (or a latency without a histogram), which is
    judged on its own spread; :data:`~.noise.UNREAD` when the store gave no usable answer."""
    step = config.window(spec)[1]
    since = start - min(config.history, MAX_HISTORY * step)
    query = spec.query_for("baseline", config.baseline_track)

    def read(one: str) -> list[Series]:
        found = client.query_range(one, start=since, end=start, step=step)
        return [Series(s.labels, *_within(s, since, start)) for s in found]

    try:
        if spec.kind == "count":
            scale = step if per_second(query) else 1.0
            values = _by_step(read(query), scale=scale)
            return learn([values[t] for t in sorted(values)])
        if spec.kind == "rate":
            parts = split_ratio(query)
            assert parts is not None  # guaranteed by the spec's validation
            scale = step if per_second(parts[0]) else 1.0
            events, traffic = (_by_step(read(part), scale=scale) for part in parts)
            both = sorted(set(events) & set(traffic))
            return learn([events[t] for t in both], [traffic[t] for t in both])
        if spec.kind == "latency" and quantile_of(query) is not None:
            tail = _tail_counts(read, step, (query, query))
            return UNREAD if tail is None else learn(tail.baseline, tail.baseline_traffic)
    except (SourceError, SourceQueryError):
        return UNREAD
    return None


def fetch_samples(
    client: Source,
    config: CanaryConfig,
    *,
    end: float | None = None,
    since: float | None = None,
    first: bool = False,
    clock: Callable[[], float] = time.monotonic,
) -> CanarySamples:
    """Fetch every metric over the window ending at ``end`` (default now), from ``since`` on.

    When the store cannot be read (:class:`~.sources.SourceError`: unreachable after the
    retries, credentials refused, an answer too large or malformed) the samples carry the reason
    instead, and the judge gives a blind judgement. A query the store rejects is not caught: it
    is a configuration error (:class:`~.sources.SourceQueryError`, exit 2) the user must fix.
    """
    until = time.time() if end is None else end
    read: dict[str, MetricSamples] = {}
    try:
        for spec in config.metrics:
            read[spec.name] = fetch_metric_samples(client, spec, config, end=until, since=since)
    except SourceError as error:
        return CanarySamples({}, {}, str(error))
    noise = None
    if first and config.history > 0:
        noise, stop = {}, clock() + HISTORY_BUDGET
        for spec in config.metrics:
            start = until - config.window(spec)[0]
            learnt = learn_noise(client, spec, config, start) if clock() < stop else UNREAD
            if learnt is not None:
                noise[spec.name] = learnt
    return CanarySamples(
        {name: samples.baseline for name, samples in read.items()},
        {name: samples.canary for name, samples in read.items()},
        previous={name: s.previous for name, s in read.items() if s.previous is not None},
        end=until,
        counts={name: s.counts for name, s in read.items() if s.counts is not None},
        spans={name: s.span for name, s in read.items() if s.span},
        noise=noise,
    )


def collect(ctx: RunContext[CanaryOptions]) -> CanaryFacts:
    """Read every metric of the configured window from the metric store; every credential is
    masked in the log before the store is called."""
    options = ctx.mode_options
    settings = options.config.source
    if settings is None:  # the prometheus-* inputs: the default source
        settings = SourceSettings(type="prometheus", url=options.prometheus_url)
        given = {
            "token": options.prometheus_token,
            "username": options.prometheus_username,
            "password": options.prometheus_password,
        }
        secrets = {role: value for role, value in given.items() if value}
    else:
        secrets = secrets_of(settings, ctx.environ)
    for secret in (*secrets.values(), options.state_secret):
        ctx.runner.mask(secret)
    source = connect(settings, secrets)
    first = options.state.calls == 0
    samples = fetch_samples(
        source, options.config, end=options.end, since=options.state.until, first=first
    )
    return CanaryFacts(options.config, samples, options.state)
