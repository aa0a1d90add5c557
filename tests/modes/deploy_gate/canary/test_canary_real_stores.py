"""InfluxDB 1.x, VictoriaMetrics (through the Prometheus source) and Graphite, each the real
server Debian ships (``tests/harness/metric_servers.py``), loaded through its own write API:
each source reads back exactly what was written, and a rollout is judged end to end through
the CLI (an unchanged canary promoted at low risk, one 30 % slower rolled back)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from cicd_agent.modes.deploy_gate.canary.collect import fetch_samples
from cicd_agent.modes.deploy_gate.canary.config import CanaryConfig
from cicd_agent.modes.deploy_gate.canary.sources import connect, secrets_of
from cicd_agent.modes.deploy_gate.canary.sources.base import origin
from tests.harness.metric_servers import PASSWORD, STEP, USERNAME, WINDOW, MetricServer
from tests.helpers.cli import run_cli


@dataclass(frozen=True)
class Real:
    """One real store: its fixture, its source settings and the query of a scenario's p99."""

    fixture: str
    source: Callable[[str], dict[str, object]]
    query: Callable[[str], str]


LOGIN = {"STORE_USER_SECRET": USERNAME, "STORE_PASSWORD": PASSWORD}
BASIC = {"username": "STORE_USER_SECRET", "password": "STORE_PASSWORD"}
REAL = {
    "influxdb": Real(
        "influxdb_server",
        lambda url: {"type": "influxdb", "url": url, "secrets": BASIC,
                     "options": {"database": "app"}},
        lambda scenario: (
            f"SELECT mean(\"p99\") FROM \"http\" WHERE \"scenario\" = '{scenario}' AND "
            "\"track\" = '{track}' AND time >= {start} AND time <= {end} GROUP BY time({step})"
        ),
    ),
    "victoria-metrics": Real(
        "victoria_server",
        lambda url: {"type": "prometheus", "url": url, "secrets": BASIC},
        lambda scenario: f'p99{{scenario="{scenario}",track="{{track}}"}}',
    ),
    "graphite": Real(
        "graphite_server",
        lambda url: {"type": "graphite", "url": url},
        lambda scenario: f"checkout.{scenario}.{{track}}.p99",
    ),
}  # fmt: skip


def given(real: Real, server: MetricServer, scenario: str) -> dict[str, object]:
    """The canary configuration as a workflow gives it."""
    return {
        "source": real.source(server.url),
        "lookback": WINDOW,
        "step": STEP,
        "metrics": [{"name": "p99", "kind": "gauge", "query": real.query(scenario)}],
    }


def config(real: Real, server: MetricServer, scenario: str) -> CanaryConfig:
    return CanaryConfig.model_validate(given(real, server, scenario))


def environ(made: CanaryConfig) -> dict[str, str]:
    """The credentials, each granted to the store's origin as a workflow would."""
    assert made.source is not None
    grant = origin(made.source.url or "")
    return {**{k: v for k, v in LOGIN.items() if k in made.source.secrets.values()},
            **{f"{k}_ORIGIN": grant for k in made.source.secrets.values()}}  # fmt: skip


@pytest.mark.parametrize("name", REAL)
def test_each_real_store_gives_back_what_was_written(
    name: str, request: pytest.FixtureRequest
) -> None:
    real = REAL[name]
    server: MetricServer = request.getfixturevalue(real.fixture)
    made = config(real, server, "latency_up30")
    assert made.source is not None
    source = connect(made.source, secrets_of(made.source, environ(made)))
    samples = fetch_samples(source, made, end=server.end)
    assert samples.error is None
    for track, read in (("baseline", samples.baseline["p99"]), ("canary", samples.canary["p99"])):
        wanted = [v for t, v in server.points[("latency_up30", track)] if t >= server.end - WINDOW]
        assert list(read) == pytest.approx(wanted), track


@pytest.mark.parametrize(("scenario", "verdict"), [("identical", "promote"),
                                                   ("latency_up30", "rollback")])  # fmt: skip
@pytest.mark.parametrize("name", REAL)
def test_a_rollout_is_judged_end_to_end_on_each_real_store(
    name: str, scenario: str, verdict: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    real = REAL[name]
    server: MetricServer = request.getfixturevalue(real.fixture)
    made = config(real, server, scenario)
    argv = ["deploy-gate", "--phase", "canary", "--provider", "none", "--risk-level", "low",
            "--canary-config", json.dumps(given(real, server, scenario)),
            "--canary-end", str(server.end)]  # fmt: skip
    done = run_cli(argv, tmp_path, environ(made))
    assert done.outputs["verdict"] == verdict, done.outputs
    assert done.code == 0
    metrics = json.loads(done.outputs["metric_results"])
    assert metrics[0]["canary"]["n"] == 31 and metrics[0]["canary"]["dropped"] == 0
    assert PASSWORD not in done.summary + json.dumps(done.outputs)
