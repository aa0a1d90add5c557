"""What the canary phase measures: metric specs, thresholds and how they are read from the action.

A spec names one metric and says how to query it for each side and what counts as worse. The
configuration is YAML (JSON is accepted too, being YAML) given inline or as a file path, and is
validated strictly: an unknown key or a bad value is a usage error naming the metric, because a
typo in a safety gate must never silently switch a check off.

Default metrics, used when no metric is configured, follow the Prometheus instrumentation
conventions (``client_golang``'s ``promhttp`` and most other clients): a counter
``http_requests_total`` with a ``code`` label and a histogram ``http_request_duration_seconds``,
both carrying a ``track`` label whose value tells the baseline pods from the canary pods.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cicd_agent.actions.errors import UsageError
from cicd_agent.analysis.bounded_yaml import (
    YamlLimitError,
)
from cicd_agent.analysis.bounded_yaml import (
    load_text as load_yaml,
)
from cicd_agent.analysis.bounded_yaml import (
    one_line as yaml_problem,
)
from cicd_agent.modes.deploy_gate.canary.query_shape import Kind, infer_kind, split_ratio
from cicd_agent.modes.deploy_gate.canary.sources import SourceSettings, known

TRACK_PLACEHOLDER = "{track}"

Direction = Literal["increase", "decrease", "either"]

# The PromQL behind the defaults. ``or vector(0)`` keeps the error rate defined (0) when a track
# served requests but had no 5xx at all: without it the numerator is an empty vector and a healthy
# canary would read as "no data".
DEFAULT_ERROR_RATE_QUERY = (
    '(sum(rate(http_requests_total{track="{track}",code=~"5.."}[1m])) or vector(0))'
    ' / sum(rate(http_requests_total{track="{track}"}[1m]))'
)
DEFAULT_LATENCY_P99_QUERY = (
    "histogram_quantile(0.99, sum by (le) "
    '(rate(http_request_duration_seconds_bucket{track="{track}"}[1m])))'
)

_DURATION_PART = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
_DURATION_SECONDS = {
    "ms": 0.001,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
    "d": 86400.0,
    "w": 604800.0,
    "y": 31536000.0,
}


def parse_duration(value: object, *, zero: bool = False) -> float:
    """Seconds from a Prometheus duration (``15m``, ``1h30m``, ``30s``) or a plain number of
    seconds.

    Prometheus' own syntax is accepted so users can copy values between their dashboards, alert
    rules and this gate without translating them. A duration is positive (or zero, in any
    spelling, when ``zero``) and finite: one too large for a float is refused, not an error.
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"not a duration: {value!r}")
    try:
        seconds = _seconds(value)
    except OverflowError:
        seconds = math.inf
    if not math.isfinite(seconds):
        raise ValueError(f"a duration must be a finite number of seconds, got {str(value)[:40]!r}")
    if seconds < 0 or (seconds == 0 and not zero):
        raise ValueError(f"a duration must be positive, got {value!r}")
    return seconds


def _seconds(value: str | int | float) -> float:
    if isinstance(value, int | float):
        return float(value)
    text = value.strip()
    try:
        return float(text)
    except ValueError:
        parts = _DURATION_PART.findall(text)
        if not parts or "".join(n + u for n, u in parts) != text:
            raise ValueError(
                f"not a duration: {value[:40]!r} (use e.g. 30s, 15m, 1h30m or a number of seconds)"
            ) from None
        return sum(int(number) * _DURATION_SECONDS[unit] for number, unit in parts)


class MetricSpec(BaseModel):
    """One metric to compare between baseline and canary, and what counts as the canary being worse.

    ``allowed_change`` is a fraction of the baseline mean: 0.1 lets the canary's mean be up to 10 %
    worse before the metric can fail. ``min_delta`` is an absolute floor on the difference of the
    means, for metrics whose baseline is often zero (an error rate going from 0 to 0.0001 is an
    infinite ratio but rarely a reason to roll back).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    name: str = Field(min_length=1)
    # rate and count: a sequential test on the two tracks' counts; latency and gauge: paired
    # log ratios of the per-step values. Inferred from the query when not given.
    kind: Kind = "gauge"
    query: str | None = None
    baseline_query: str | None = None
    canary_query: str | None = None
    direction: Direction = "increase"
    critical: bool = False
    allowed_change: float = Field(default=0.1, ge=0)
    # The change a promote must rule out (default three times allowed_change): between the two
    # the judge may promote, beyond it only with probability 1 - confidence.
    unacceptable_change: float = Field(default=0.3, ge=0)
    min_delta: float = Field(default=0.0, ge=0)
    weight: float = Field(default=1.0, gt=0)
    fail_on_nodata: bool = False
    lookback: float | None = None
    step: float | None = None
    # Absolute objectives on the canary's typical value (e.g. p99 at most 0.3 s), judged besides
    # the comparison with the baseline.
    objective_min: float | None = Field(default=None, allow_inf_nan=False)
    objective_max: float | None = Field(default=None, allow_inf_nan=False)
    # Compare the canary with the previous release too: the baseline's query read this long
    # before the window (a day, a week: the same hour, so the daily cycle lines up).
    previous_offset: float | None = None

    @model_validator(mode="before")
    @classmethod
    def _infer_kind(cls, data: object) -> object:
        """The kind from the query, and the change a promote must rule out from the allowance,
        when not given."""
        if not isinstance(data, dict):
            return data
        if data.get("kind") is None:
            query = data.get("query") or data.get("canary_query")
            if isinstance(query, str):
                data = {**data, "kind": infer_kind(query)}
        allowed = data.get("allowed_change", 0.1)
        if data.get("unacceptable_change") is None and isinstance(allowed, int | float):
            data = {**data, "unacceptable_change": 3 * allowed}
        return data

    @field_validator("lookback", "step", "previous_offset", mode="before")
    @classmethod
    def _duration(cls, value: object) -> float | None:
        return None if value is None else parse_duration(value)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        """The allowances ordered, a rate written as a ratio, the objectives ordered, and one
        way to query (checked in that order: the first problem is the one reported)."""
        if self.unacceptable_change < self.allowed_change:
            raise ValueError(
                f"unacceptable_change ({self.unacceptable_change}) must not be below "
                f"allowed_change ({self.allowed_change})"
            )
        queries = (self.query, self.baseline_query, self.canary_query)
        if self.kind == "rate" and any(split_ratio(q) is None for q in queries if q):
            raise ValueError(
                "kind rate needs the query written as one division of two counts' rates "
                "(A / B, without on()/ignoring()), so the counts can be judged; or use kind gauge"
            )
        low, high = self.objective_min, self.objective_max
        if low is not None and high is not None and low >= high:
            raise ValueError(f"objective_min ({low}) must be below objective_max ({high})")
        split = (self.baseline_query, self.canary_query)
        if self.query is not None:
            if any(q is not None for q in split):
                raise ValueError(
                    "give either `query` or `baseline_query` + `canary_query`, not both"
                )
            if TRACK_PLACEHOLDER not in self.query:
                raise ValueError(
                    f"`query` must contain the placeholder {TRACK_PLACEHOLDER} where the track "
                    "label value goes, or use `baseline_query` and `canary_query`"
                )
        elif any(q is None or not q.strip() for q in split):
            raise ValueError(
                "needs `query` (with {track}) or both `baseline_query` and `canary_query`"
            )
        return self

    def query_for(self, side: Literal["baseline", "canary"], track: str) -> str:
        """The PromQL for one side, with the track value escaped for a PromQL string literal."""
        if self.query is None:
            chosen = self.baseline_query if side == "baseline" else self.canary_query
            assert chosen is not None  # guaranteed by _consistent
            return chosen
        escaped = track.replace("\\", "\\\\").replace('"', '\\"')
        return self.query.replace(TRACK_PLACEHOLDER, escaped)


class CanaryThresholds(BaseModel):
    """Where the score turns into a verdict, and how sure the test must be before a metric fails."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    confidence: float = Field(default=0.98, gt=0.5, lt=1)
    pass_score: float = Field(default=95.0, ge=0, le=100)
    marginal_score: float = Field(default=75.0, ge=0, le=100)
    # Calls of the rollout whose pooled evidence a promote needs (the canary-state input
    # carries them from call to call).
    windows_to_promote: int = Field(default=2, ge=1, le=100)
    # The rollout's call budget: a rollout still undecided after this many calls holds for a
    # person (never promotes by running out of calls); the error budget is spread over them.
    max_calls: int = Field(default=6, ge=1, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.windows_to_promote > self.max_calls:
            raise ValueError(
                f"windows_to_promote ({self.windows_to_promote}) must not exceed max_calls "
                f"({self.max_calls})"
            )
        if self.marginal_score > self.pass_score:
            raise ValueError(
                f"marginal_score ({self.marginal_score}) must not exceed pass_score "
                f"({self.pass_score})"
            )
        return self


def default_metrics() -> tuple[MetricSpec, ...]:
    """Request error rate (critical) and p99 latency, over the conventional HTTP metrics."""
    return (
        MetricSpec(
            name="error_rate",
            kind="rate",
            query=DEFAULT_ERROR_RATE_QUERY,
            critical=True,
            allowed_change=0.2,
            min_delta=0.001,
        ),
        MetricSpec(
            name="latency_p99",
            kind="latency",
            query=DEFAULT_LATENCY_P99_QUERY,
            allowed_change=0.1,
        ),
    )


class CanaryConfig(BaseModel):
    """Everything the canary phase needs besides the Prometheus address and credentials.

    Credentials are deliberately not here: the configuration may live in the repository, secrets
    come from action inputs only.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    # Where the metrics are read (None: Prometheus at the prometheus-url input).
    source: SourceSettings | None = None
    baseline_track: str = Field(default="baseline", min_length=1)
    canary_track: str = Field(default="canary", min_length=1)
    # One sample a minute over half an hour: 31 samples a side, and since the default queries use
    # [1m] rate windows, neighbouring samples share no requests. A 30 s step would make them
    # overlap by half: the judge allows for the correlation, but pays for it in evidence per
    # window (bench/bench_canary.py measures it).
    lookback: float = 1800.0
    step: float = 60.0
    # The stable's history read before the first call to learn each count's noise (the hour
    # before the rollout's first window; 0: learn nothing, judge on each call's own noise).
    history: float = Field(default=3600.0, ge=0, allow_inf_nan=False)
    thresholds: CanaryThresholds = Field(default_factory=CanaryThresholds)
    metrics: tuple[MetricSpec, ...] = Field(default_factory=default_metrics, min_length=1)

    @field_validator("lookback", "step", mode="before")
    @classmethod
    def _duration(cls, value: object) -> float:
        return parse_duration(value)

    @field_validator("history", mode="before")
    @classmethod
    def _history(cls, value: object) -> float:
        return parse_duration(value, zero=True)

    @field_validator("source")
    @classmethod
    def _known_store(cls, value: SourceSettings | None) -> SourceSettings | None:
        return known(value) if value is not None else None

    @model_validator(mode="before")
    @classmethod
    def _kinds_declared(cls, data: object) -> object:
        """Only PromQL tells a metric's kind by its shape: any other source's metrics say it."""
        if not isinstance(data, dict):
            return data
        source = data.get("source")
        kind = source if isinstance(source, str) else (source or {}).get("type", "prometheus")
        metrics = data.get("metrics")
        if data.get("source") is None or kind == "prometheus" or not isinstance(metrics, list):
            return data
        for number, metric in enumerate(metrics, 1):
            if isinstance(metric, dict) and metric.get("kind") is None:
                name = metric.get("name") or f"#{number}"
                raise ValueError(
                    f"metric {name!r} must declare its kind (count, rate, latency or gauge): "
                    f"it is only read from the query's shape for source prometheus, not {kind}"
                )
        return data

    @model_validator(mode="after")
    def _unique_names(self) -> Self:
        names = [metric.name for metric in self.metrics]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"metric names must be unique, repeated: {', '.join(duplicates)}")
        return self

    def window(self, spec: MetricSpec) -> tuple[float, float]:
        """(lookback, step) in seconds for ``spec``: its own values, else the configuration's."""
        return (spec.lookback or self.lookback, spec.step or self.step)


def load_canary_config(source: str | None) -> CanaryConfig:
    """Read the canary configuration from inline YAML/JSON or a path to such a file.

    ``None`` or blank text gives the defaults. A bare list is taken as the list of metrics.
    """
    if source is None or not source.strip():
        return CanaryConfig()
    text, origin = _read_source(source)
    try:
        document = load_yaml(text, unique_keys=True)
    except YamlLimitError as error:
        raise UsageError(f"canary configuration {origin} was not read: {error}.") from None
    except yaml.YAMLError as error:
        raise UsageError(
            f"canary configuration {yaml_problem(error, origin)} (not valid YAML or JSON)."
        ) from None
    if isinstance(document, list):
        document = {"metrics": document}
    if not isinstance(document, dict):
        raise UsageError(
            f"canary configuration {origin} must be a mapping (or a list of metrics), "
            f"got {type(document).__name__}."
        )
    try:
        return CanaryConfig.model_validate(document)
    except ValidationError as error:
        raise UsageError(
            f"canary configuration {origin} is invalid: {_describe(error, document)}",
            hint="See the README's canary section for the metric keys.",
        ) from None


def _read_source(source: str) -> tuple[str, str]:
    """Text and a label for messages. One line that names an existing file is read as a path."""
    stripped = source.strip()
    # Inline YAML/JSON starts with a bracket or spans lines; only other text can name a file
    # (and a name the OS refuses, too long say, is inline text).
    if "\n" not in stripped and not stripped.startswith(("{", "[")) and len(stripped) < 1024:
        path = Path(stripped)
        try:
            named = path.is_file()
        except OSError:
            named = False
        if named:
            try:
                return path.read_text(encoding="utf-8"), f"file {stripped}"
            except (OSError, UnicodeDecodeError) as error:
                raise UsageError(f"cannot read canary configuration {stripped}: {error}") from None
        if stripped.endswith((".yml", ".yaml", ".json")):
            raise UsageError(f"canary configuration file {stripped} does not exist.")
    return source, "(inline)"


def _describe(error: ValidationError, document: dict[object, object]) -> str:
    """Each problem on one line, naming the metric by its name rather than a list index."""
    metrics = document.get("metrics")
    lines = []
    for problem in error.errors():
        location = list(problem["loc"])
        if len(location) >= 2 and location[0] == "metrics" and isinstance(location[1], int):
            index = location[1]
            entry = metrics[index] if isinstance(metrics, list) and index < len(metrics) else None
            name = entry.get("name") if isinstance(entry, dict) else None
            location[:2] = [f"metric {name!r}" if name else f"metric #{index + 1}"]
        where = ".".join(str(part) for part in location) or "configuration"
        lines.append(f"{where}: {problem['msg']}")
    return "; ".join(lines)
