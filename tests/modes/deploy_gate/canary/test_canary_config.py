"""Reading the canary configuration: defaults, YAML and JSON, and loud errors for typos."""

from __future__ import annotations

from pathlib import Path

import pytest

from cicd_agent.actions.errors import UsageError
from cicd_agent.modes.deploy_gate.canary.config import (
    MetricSpec,
    load_canary_config,
    parse_duration,
)


def test_no_configuration_gives_error_rate_and_p99_latency() -> None:
    config = load_canary_config(None)
    assert [m.name for m in config.metrics] == ["error_rate", "latency_p99"]
    errors, latency = config.metrics
    assert errors.critical and errors.direction == "increase"
    assert errors.query_for("canary", "canary") == (
        '(sum(rate(http_requests_total{track="canary",code=~"5.."}[1m])) or vector(0))'
        ' / sum(rate(http_requests_total{track="canary"}[1m]))'
    )
    assert 'track="baseline"' in latency.query_for("baseline", "baseline")
    assert (config.lookback, config.step, config.thresholds.confidence) == (1800.0, 60.0, 0.98)
    assert config.thresholds.pass_score == 95 and config.thresholds.marginal_score == 75


def test_yaml_configuration_with_per_metric_windows() -> None:
    config = load_canary_config(
        """
baseline_track: stable
lookback: 1h
step: 1m
thresholds: {confidence: 0.95, pass_score: 90, marginal_score: 60}
metrics:
  - name: cpu
    query: 'avg(rate(process_cpu_seconds_total{track="{track}"}[5m]))'
    allowed_change: 0.25
    weight: 2
    lookback: 30m
  - name: throughput
    baseline_query: sum(rate(http_requests_total{deployment="web"}[1m]))
    canary_query: sum(rate(http_requests_total{deployment="web-canary"}[1m]))
    direction: decrease
    fail_on_nodata: true
"""
    )
    cpu, throughput = config.metrics
    assert config.window(cpu) == (1800.0, 60.0)
    assert config.window(throughput) == (3600.0, 60.0)
    assert cpu.query_for("baseline", config.baseline_track) == (
        'avg(rate(process_cpu_seconds_total{track="stable"}[5m]))'
    )
    assert throughput.query_for("canary", "ignored") == (
        'sum(rate(http_requests_total{deployment="web-canary"}[1m]))'
    )
    assert config.thresholds.pass_score == 90


def test_json_list_of_metrics_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "canary.json"
    path.write_text('[{"name": "p50", "query": "p50{track=\\"{track}\\"}", "critical": true}]')
    config = load_canary_config(str(path))
    assert [m.name for m in config.metrics] == ["p50"]
    assert config.metrics[0].critical


def test_track_values_are_escaped_for_promql() -> None:
    metric = MetricSpec(name="x", query='x{track="{track}"}')
    assert metric.query_for("canary", 'a"b\\c') == 'x{track="a\\"b\\\\c"}'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("metrics: [{name: x, query: 'x{track=\"{track}\"}', directon: increase}]", "metric 'x'"),
        ("metrics: [{name: x, query: 'x{job=\"a\"}'}]", "placeholder {track}"),
        ("metrics: [{name: x, baseline_query: a}]", "both `baseline_query` and `canary_query`"),
        ("metrics: [{name: x, query: 'q{t=\"{track}\"}', canary_query: b}]", "not both"),
        ("metrics: [{name: x, query: 'q{t=\"{track}\"}', direction: up}]", "direction"),
        ("metrics: [{name: x, query: 'q{t=\"{track}\"}', step: 5 minutes}]", "not a duration"),
        ("metrics: []", "metrics"),
        ("thresholds: {pass_score: 50, marginal_score: 80}", "must not exceed"),
        ("thresholds: {confidence: 98}", "confidence"),
        (
            "metrics: [{name: a, query: 'a{t=\"{track}\"}'}, {name: a, query: 'b{t=\"{track}\"}'}]",
            "repeated: a",
        ),
        ("just text", "must be a mapping"),
        ("metrics: [unclosed", "not valid YAML"),
        ("missing/canary.yml", "does not exist"),
    ],
)
def test_bad_configuration_is_a_usage_error_that_says_what(text: str, message: str) -> None:
    with pytest.raises(UsageError) as raised:
        load_canary_config(text)
    assert message in str(raised.value)


def test_unknown_key_names_the_metric_not_an_index() -> None:
    with pytest.raises(UsageError) as raised:
        load_canary_config("- {name: latency, query: 'l{t=\"{track}\"}', wieght: 2}")
    assert "metric 'latency'.wieght: Extra inputs are not permitted" in str(raised.value)


@pytest.mark.parametrize(
    ("value", "seconds"), [("30s", 30), ("15m", 900), ("1h30m", 5400), ("500ms", 0.5), (45, 45)]
)
def test_durations_use_prometheus_syntax(value: str | int, seconds: float) -> None:
    assert parse_duration(value) == seconds


def test_long_inline_json_is_read_as_configuration_not_probed_as_a_path() -> None:
    from cicd_agent.modes.deploy_gate.canary.config import CanaryConfig, load_canary_config

    inline = CanaryConfig(baseline_track="b" * 300, canary_track="c" * 300).model_dump_json()
    assert load_canary_config(inline).baseline_track == "b" * 300


RECURSIVE_METRICS = "metrics: &m\n  - name: errors\n    query: up\n    children: *m\n"
LAUGHS = (
    "a: &a [x, x, x, x, x, x, x, x, x]\n"
    + "".join(
        f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n"
        for prev, name in zip("abcdefghij", "bcdefghijk", strict=True)
    )
    + "metrics: *k\n"
)


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (RECURSIVE_METRICS, "refers to a node that contains it"),
        (LAUGHS, "once its aliases are followed"),
        ("metrics: [" + "[" * 20_000 + "]" * 20_000 + "]", "nested deeper|took longer"),
    ],
    ids=["recursive-alias", "billion-laughs", "deep-nesting"],
)
def test_configuration_built_to_stall_is_a_usage_error(text: str, reason: str) -> None:
    with pytest.raises(UsageError, match=reason):
        load_canary_config(text)


def test_a_key_written_twice_is_refused_not_silently_the_last() -> None:
    """YAML keeps the last of two equal keys: a second ``allowed_change`` appended below the
    strict one would loosen the judge with no line of the first changed."""
    text = (
        "metrics:\n  - name: errors\n    query: rate(x[5m])\n"
        "    allowed_change: 0.01\n    allowed_change: 5\n"
    )
    with pytest.raises(UsageError, match="allowed_change"):
        load_canary_config(text)
