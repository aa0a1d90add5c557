"""The canary scenarios' metric config, as served by tests/harness/prometheus_server.py."""

from __future__ import annotations

from cicd_agent.modes.deploy_gate.canary.config import CanaryConfig, MetricSpec


def scenario_config(scenario: str) -> CanaryConfig:
    """Latency with a {track} query, the error ratio (critical) with separate queries per side."""
    return CanaryConfig(
        lookback=900,
        step=30,
        metrics=(
            MetricSpec(
                name="latency",
                query=f'canary_test_latency_seconds{{scenario="{scenario}",track="{{track}}"}}',
                allowed_change=0.1,
            ),
            MetricSpec(
                name="errors",
                baseline_query=f'canary_test_error_ratio{{scenario="{scenario}",track="baseline"}}',
                canary_query=f'canary_test_error_ratio{{scenario="{scenario}",track="canary"}}',
                critical=True,
                allowed_change=0.2,
                min_delta=0.001,
            ),
        ),
    )
