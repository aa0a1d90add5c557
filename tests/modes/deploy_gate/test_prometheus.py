"""The canary phase against a real Prometheus holding known canary and baseline series.

The server (``tests/harness/prometheus_server.py``) requires basic auth, so each scenario also
proves the client authenticates. Faults Prometheus cannot be made to produce on demand (503s, a
``Retry-After``) come from a small proxy in front of the real server, so the answers that do get
through are still Prometheus' own.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from cicd_agent.actions.errors import ExitCode, UsageError
from cicd_agent.modes.deploy_gate.canary.collect import fetch_metric_samples
from cicd_agent.modes.deploy_gate.canary.config import CanaryConfig, MetricSpec
from cicd_agent.modes.deploy_gate.canary.options import apply_risk
from cicd_agent.modes.deploy_gate.canary.sources.prometheus import (
    PrometheusClient,
    PrometheusError,
    PrometheusQueryError,
)
from tests.harness.prometheus_server import COUNTER_SPAN, PrometheusServer, free_port
from tests.modes.deploy_gate.helpers.canary import assess_canary, scenario_config


def client_for(server: PrometheusServer, **options: object) -> PrometheusClient:
    return PrometheusClient(
        server.url,
        username=server.username,
        password=server.password,
        **options,  # type: ignore[arg-type]
    )


def test_samples_read_back_exactly_as_backfilled(prometheus_server: PrometheusServer) -> None:
    server = prometheus_server
    config = scenario_config("latency_up30").model_copy(
        update={"lookback": server.end - server.start, "step": server.step}
    )
    samples = fetch_metric_samples(client_for(server), config.metrics[0], config, end=server.end)
    written = server.gauges
    assert (
        list(samples.baseline)
        == written[("canary_test_latency_seconds", "latency_up30", "baseline")]
    )
    assert (
        list(samples.canary) == written[("canary_test_latency_seconds", "latency_up30", "canary")]
    )


def test_identical_canary_and_baseline_promote(prometheus_server: PrometheusServer) -> None:
    config = apply_risk(scenario_config("identical"), "low")
    judgement = assess_canary(client_for(prometheus_server), config, end=prometheus_server.end)
    assert judgement.verdict == "promote"
    assert judgement.canary_score == 100.0
    assert judgement.healthy and not judgement.rollback
    assert [m.canary.n for m in judgement.metrics] == [31, 31]


def test_latency_up_30_percent_rolls_back(prometheus_server: PrometheusServer) -> None:
    judgement = assess_canary(
        client_for(prometheus_server), scenario_config("latency_up30"), end=prometheus_server.end
    )
    latency, errors = judgement.metrics
    assert latency.classification == "high"
    assert latency.mean_ratio == pytest.approx(1.3, abs=0.1)
    assert errors.classification == "pass"
    assert judgement.canary_score == 50.0
    assert judgement.verdict == "rollback" and judgement.rollback
    assert judgement.healthy


def test_error_spike_on_a_critical_metric_rolls_back(prometheus_server: PrometheusServer) -> None:
    judgement = assess_canary(
        client_for(prometheus_server), scenario_config("error_spike"), end=prometheus_server.end
    )
    latency, errors = judgement.metrics
    assert latency.classification in ("pass", "thin")
    assert errors.classification == "high"
    assert judgement.canary_score == 0.0
    assert judgement.verdict == "rollback" and judgement.rollback
    assert "Critical metric(s) failed: errors" in judgement.reasons[1]


def test_canary_without_data_continues_and_is_unhealthy(
    prometheus_server: PrometheusServer,
) -> None:
    judgement = assess_canary(
        client_for(prometheus_server), scenario_config("canary_nodata"), end=prometheus_server.end
    )
    assert judgement.verdict == "continue"
    assert not judgement.healthy and not judgement.rollback
    assert judgement.data_source_error is None  # Prometheus answered: exit 0, not 3
    assert judgement.reasons[0].startswith("No canary data for any metric")
    assert all(m.baseline.n == 31 and m.canary.n == 0 for m in judgement.metrics)


def test_prometheus_down_continues_unhealthy_with_an_external_failure() -> None:
    sleeps: list[float] = []
    client = PrometheusClient(
        f"http://127.0.0.1:{free_port()}", attempts=3, backoff=0.01, sleep=sleeps.append
    )
    judgement = assess_canary(client, scenario_config("identical"), end=1_800_000_000.0)
    assert judgement.verdict == "continue"
    assert not judgement.healthy and not judgement.rollback
    assert judgement.data_source_error is not None
    assert (
        "could not be reached after 3 attempt(s): connection failed" in judgement.data_source_error
    )
    assert judgement.reasons[0].startswith("Metrics could not be read")
    assert sleeps == [0.01, 0.02]
    assert PrometheusError.exit_code == ExitCode.EXTERNAL


def test_the_harness_serves_the_counters_the_default_canary_reads() -> None:
    """The test Prometheus knows no mode: its counters span the canary's default lookback and
    the stable's history before it, plus the two minutes a one-minute ``rate`` needs."""
    defaults = CanaryConfig()
    assert defaults.lookback + defaults.history + 120.0 == COUNTER_SPAN


def test_default_queries_on_conventional_http_metrics(prometheus_server: PrometheusServer) -> None:
    """Counters and a histogram as an instrumented service exports them: no 5xx anywhere, and a
    canary 30 % slower. The error rate must read 0 (not "no data"), the p99 must flag the canary."""
    judgement = assess_canary(
        client_for(prometheus_server), CanaryConfig(), end=prometheus_server.end
    )
    errors, latency = judgement.metrics
    assert errors.classification == "pass"
    assert errors.canary.n == 31 and errors.canary.mean == 0.0
    assert latency.classification == "high"
    assert latency.baseline.median is not None and 0.25 < latency.baseline.median < 0.4
    assert judgement.verdict == "rollback"
    # Both judged on counts: the errors and requests apart, and the requests slower than the
    # baseline's p99 bucket out of all requests, read from the histogram's buckets.
    assert errors.kind == "rate" and latency.kind == "latency"
    assert latency.test is not None and "counts" in latency.test


def test_wrong_credentials_are_an_external_failure_never_a_promotion(
    prometheus_server: PrometheusServer,
) -> None:
    client = PrometheusClient(prometheus_server.url, username="canary", password="wrong")
    with pytest.raises(PrometheusError, match=r"refused the credentials \(HTTP 401\)"):
        client.query_range("up", start=prometheus_server.start, end=prometheus_server.end, step=30)
    judgement = assess_canary(client, scenario_config("identical"), end=prometheus_server.end)
    assert (judgement.verdict, judgement.healthy) == ("continue", False)


def test_a_query_prometheus_rejects_is_a_usage_error(prometheus_server: PrometheusServer) -> None:
    config = CanaryConfig(metrics=(MetricSpec(name="bad", query='rate(x{track="{track}"})'),))
    with pytest.raises(PrometheusQueryError) as raised:
        assess_canary(client_for(prometheus_server), config, end=prometheus_server.end)
    assert raised.value.exit_code == ExitCode.USAGE
    assert "bad_data" in str(raised.value) and 'rate(x{track="baseline"})' in str(raised.value)


def test_a_url_that_is_not_the_api_root_says_so(prometheus_server: PrometheusServer) -> None:
    client = PrometheusClient(
        prometheus_server.url + "/graph",
        username=prometheus_server.username,
        password=prometheus_server.password,
    )
    with pytest.raises(PrometheusError, match="without a Prometheus API answer"):
        client.query_range("up", start=prometheus_server.start, end=prometheus_server.end, step=30)


def test_credentials_in_the_url_never_reach_messages() -> None:
    client = PrometheusClient(
        f"http://user:hunter2@127.0.0.1:{free_port()}", attempts=1, sleep=lambda _: None
    )
    with pytest.raises(PrometheusError) as raised:
        client.query_range("up", start=0, end=60, step=30)
    assert "hunter2" not in str(raised.value)
    assert "http://127.0.0.1:" in str(raised.value)


# --- retries, through a fault-injecting proxy in front of the real server ------------------------


class FaultProxy:
    """Answers the first ``failures`` requests with ``status`` and forwards the rest."""

    def __init__(
        self, upstream: str, failures: int, status: int = 503, retry_after: str = ""
    ) -> None:
        self.upstream = upstream
        self.failures = failures
        self.status = status
        self.retry_after = retry_after
        self.authorizations: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                proxy.authorizations.append(self.headers.get("Authorization", ""))
                if len(proxy.authorizations) <= proxy.failures:
                    self.send_response(proxy.status)
                    if proxy.retry_after:
                        self.send_header("Retry-After", proxy.retry_after)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                upstream = requests.get(
                    proxy.upstream + self.path,
                    headers={"Authorization": self.headers.get("Authorization", "")},
                    timeout=10,
                )
                self.send_response(upstream.status_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(upstream.content)))
                self.end_headers()
                self.wfile.write(upstream.content)

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FaultProxy:
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def window(prometheus_server: PrometheusServer) -> dict[str, float]:
    return {"start": prometheus_server.start, "end": prometheus_server.end, "step": 30.0}


def test_transient_503s_are_retried_with_bounded_backoff(
    prometheus_server: PrometheusServer, window: dict[str, float]
) -> None:
    sleeps: list[float] = []
    with FaultProxy(prometheus_server.url, failures=2, retry_after="120") as proxy:
        client = PrometheusClient(
            proxy.url,
            username=prometheus_server.username,
            password=prometheus_server.password,
            attempts=4,
            max_backoff=2.0,
            sleep=sleeps.append,
        )
        series = client.query_range(
            'canary_test_latency_seconds{scenario="identical",track="canary"}', **window
        )
    assert len(series) == 1 and len(series[0].values) == 31
    assert len(proxy.authorizations) == 3
    assert sleeps == [2.0, 2.0]  # Retry-After: 120 honoured only up to max_backoff


def test_persistent_failure_stops_after_the_attempts(
    prometheus_server: PrometheusServer, window: dict[str, float]
) -> None:
    sleeps: list[float] = []
    with FaultProxy(prometheus_server.url, failures=100, status=502) as proxy:
        client = PrometheusClient(proxy.url, attempts=3, backoff=0.5, sleep=sleeps.append)
        with pytest.raises(PrometheusError, match=r"after 3 attempt\(s\): HTTP 502"):
            client.query_range("up", **window)
    assert len(proxy.authorizations) == 3
    assert sleeps == [0.5, 1.0]


def test_bearer_token_is_sent(
    prometheus_server: PrometheusServer, window: dict[str, float]
) -> None:
    with FaultProxy(prometheus_server.url, failures=1, status=429) as proxy:
        client = PrometheusClient(proxy.url, token="t0ken", attempts=2, sleep=lambda _: None)
        with pytest.raises(PrometheusError, match="refused the credentials"):
            client.query_range("up", **window)  # the real server wants basic auth
    assert proxy.authorizations == ["Bearer t0ken", "Bearer t0ken"]


@pytest.mark.parametrize(
    ("url", "options", "message"),
    [
        ("prometheus:9090", {}, r"must be an http\(s\) URL"),
        ("http://127.0.0.1:9090", {"token": "t", "password": "p"}, "not both"),
        ("http://127.0.0.1:9090", {"attempts": 0}, "at least 1"),
    ],
)
def test_client_configuration_errors_are_usage_errors(
    url: str, options: dict[str, object], message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        PrometheusClient(url, **options)  # type: ignore[arg-type]


def test_a_server_that_never_answers_times_out() -> None:
    with socket.socket() as silent:  # accepts connections (backlog) but never replies
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        client = PrometheusClient(
            f"http://127.0.0.1:{silent.getsockname()[1]}",
            timeout=0.2,
            attempts=2,
            sleep=lambda _: None,
        )
        with pytest.raises(PrometheusError, match=r"after 2 attempt\(s\): timed out"):
            client.query_range("up", start=0, end=60, step=30)


def test_an_objective_and_the_previous_release_are_judged_beside_the_baseline(
    prometheus_server: PrometheusServer,
) -> None:
    """Latency about 0.25 s: an objective of at most 0.2 s fails even though the canary equals
    its baseline; against the previous release (the baseline's first half, 450 s earlier) a 30 %
    slower canary fails too, and the identical one does not."""

    def latency(scenario: str, **extra: object) -> CanaryConfig:
        spec = scenario_config(scenario).metrics[0].model_copy(update=extra)
        return CanaryConfig(lookback=450, step=30, metrics=(spec,))

    client = client_for(prometheus_server)
    breached = assess_canary(
        client, latency("identical", objective_max=0.2), end=prometheus_server.end
    )
    assert breached.metrics[0].classification == "high"
    assert "objective ≤ 0.2" in breached.metrics[0].reason and breached.verdict == "rollback"
    met = assess_canary(client, latency("identical", objective_max=1.0), end=prometheus_server.end)
    assert met.metrics[0].classification != "high"
    assert "objective ≤ 1: typical value" in met.metrics[0].reason
    slower = assess_canary(
        client, latency("latency_up30", previous_offset=450.0), end=prometheus_server.end
    )
    assert "vs previous: change in" in slower.metrics[0].reason
    assert slower.metrics[0].classification == "high"
    same = assess_canary(
        client, latency("identical", previous_offset=450.0), end=prometheus_server.end
    )
    assert "vs previous: change in" in same.metrics[0].reason
    assert same.metrics[0].classification != "high"
