"""The canary scenarios' metric config, as served by tests/harness/prometheus_server.py, and
the canary phase's read path in one call."""

from __future__ import annotations

import json

from cicd_agent.modes.deploy_gate.canary.collect import fetch_samples
from cicd_agent.modes.deploy_gate.canary.config import CanaryConfig, MetricSpec
from cicd_agent.modes.deploy_gate.canary.decide import judge_samples
from cicd_agent.modes.deploy_gate.canary.sources.prometheus import PrometheusClient
from cicd_agent.modes.deploy_gate.canary.state import CanaryState
from cicd_agent.modes.deploy_gate.canary.types import CanaryVerdict

PROMETHEUS_LOGIN = {
    "INPUT_PROMETHEUS-USERNAME": "canary",  # a setting: not one of the action's inputs
    "CICD_AGENT_INPUTS": json.dumps({"prometheus-password": "canary-test-password"}),
}
"""The runner environment that logs the canary phase in to the test Prometheus."""


def assess_canary(
    client: PrometheusClient,
    config: CanaryConfig,
    *,
    end: float | None = None,
    state: CanaryState | None = None,
) -> CanaryVerdict:
    """Fetch (collect's reader) and judge (the analyse step), as the phase does."""
    since = state.until if state is not None else None
    return judge_samples(fetch_samples(client, config, end=end, since=since), config, state)


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
