"""The canary judge learns each count's noise from the stable's history before its first call:
read from the real Prometheus of the harness (its counters and histogram run an hour before
the rollout's window), bounded, and said in every count's reason, learnt or not."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
import requests

from cicd_agent.modes.deploy_gate.canary.collect import HISTORY_BUDGET, fetch_samples
from cicd_agent.modes.deploy_gate.canary.config import CanaryConfig
from cicd_agent.modes.deploy_gate.canary.decide import judge_samples
from cicd_agent.modes.deploy_gate.canary.noise import MIN_HISTORY, LearntNoise, applied, learn
from cicd_agent.modes.deploy_gate.canary.sources.base import MAX_BODY
from cicd_agent.modes.deploy_gate.canary.sources.prometheus import PrometheusClient
from cicd_agent.modes.deploy_gate.canary.state import decode_state
from cicd_agent.modes.deploy_gate.canary.types import CanarySamples, CanaryVerdict
from tests.harness.prometheus_server import PrometheusServer


def client_for(url: str, server: PrometheusServer) -> PrometheusClient:
    return PrometheusClient(
        url, username=server.username, password=server.password, attempts=1, sleep=lambda _: None
    )


@pytest.fixture(scope="module")
def first_call(prometheus_server: PrometheusServer) -> tuple[CanarySamples, CanaryVerdict]:
    """The default configuration's first call (error rate and p99 from the counters and the
    histogram), the history read as the phase reads it."""
    client = client_for(prometheus_server.url, prometheus_server)
    samples = fetch_samples(client, CanaryConfig(), end=prometheus_server.end, first=True)
    return samples, judge_samples(samples, CanaryConfig())


def test_the_first_call_learns_from_the_stable_hour_and_says_what_it_learnt(
    first_call: tuple[CanarySamples, CanaryVerdict],
) -> None:
    samples, verdict = first_call
    assert samples.noise is not None
    latency = samples.noise["latency_p99"]
    # An hour of minutes of the baseline's tail counts: rate() over a minute of 15-s scrapes
    # extrapolates 45 s of counts to 60 (x4/3), so they vary more than counting, within reason.
    assert latency.dispersion is not None and 1.0 < latency.dispersion < 4.0
    assert latency.steps >= MIN_HISTORY
    # No 5xx in the history at all: nothing to learn from, and the reason says so.
    assert samples.noise["error_rate"] == LearntNoise(dispersion=None, steps=0)
    reasons = {m.name: m.reason for m in verdict.metrics}
    assert (
        f"noise learnt from {latency.steps} steps of the stable's history" in reasons["latency_p99"]
    )
    assert "the judge did not learn the noise (0 steps" in reasons["error_rate"]
    assert verdict.verdict == "rollback"  # the canary is 30 % slower, learnt noise or not


def test_the_state_carries_what_was_learnt_to_the_later_calls(
    prometheus_server: PrometheusServer, first_call: tuple[CanarySamples, CanaryVerdict]
) -> None:
    samples, verdict = first_call
    key = b"k" * 32
    text = verdict.state.keyed(key).encode()
    from cicd_agent.modes.deploy_gate.canary.metric import check_keys

    state = decode_state(text, verdict.state.digest, check_keys(CanaryConfig().metrics), key)
    assert state.noise == samples.noise
    later = judge_samples(
        CanarySamples(samples.baseline, samples.canary, counts=samples.counts, end=samples.end),
        CanaryConfig(),
        state,
    )
    assert later.state.noise == samples.noise
    assert "noise learnt from" in later.metrics[1].reason


class HostileHistory:
    """In front of the real Prometheus: the rollout's window is forwarded, the history (any
    query starting before ``window_start``) answered with ``body``."""

    def __init__(self, upstream: str, window_start: float, body: bytes) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                start = float(parse_qs(urlsplit(self.path).query).get("start", ["0"])[0])
                content = body
                if start >= window_start - 1:
                    content = requests.get(
                        upstream + self.path,
                        headers={"Authorization": self.headers.get("Authorization", "")},
                        timeout=10,
                    ).content
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        outer.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> HostileHistory:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


NONSENSE = json.dumps({"status": "success", "data": {"resultType": "matrix", "result": 7}})


@pytest.fixture(params=["nonsense", "huge"])
def hostile(request: pytest.FixtureRequest, prometheus_server: PrometheusServer) -> Iterator[str]:
    body = NONSENSE.encode() if request.param == "nonsense" else b" " * (MAX_BODY + 1)
    start = prometheus_server.end - CanaryConfig().lookback
    with HostileHistory(prometheus_server.url, start, body) as proxy:
        yield proxy.url


def test_a_history_that_is_nonsense_or_huge_is_not_learnt_and_the_call_is_still_judged(
    hostile: str, prometheus_server: PrometheusServer
) -> None:
    samples = fetch_samples(
        client_for(hostile, prometheus_server),
        CanaryConfig(),
        end=prometheus_server.end,
        first=True,
    )
    assert samples.error is None and samples.noise is not None
    assert samples.noise["latency_p99"] == LearntNoise(read=False)
    verdict = judge_samples(samples, CanaryConfig())
    assert verdict.verdict == "rollback"
    assert "the stable's history could not be read" in verdict.metrics[1].reason


def test_the_history_reads_stop_at_their_time_budget(prometheus_server: PrometheusServer) -> None:
    ticks = iter([0.0, 0.0, HISTORY_BUDGET + 1])  # the budget set, the error rate read, spent
    samples = fetch_samples(
        client_for(prometheus_server.url, prometheus_server),
        CanaryConfig(),
        end=prometheus_server.end,
        first=True,
        clock=lambda: next(ticks, HISTORY_BUDGET + 2),
    )
    assert samples.noise is not None
    assert samples.noise["error_rate"].read
    assert samples.noise["latency_p99"] == LearntNoise(read=False)


def test_learning_tells_counting_noise_from_bursts_and_says_when_it_has_too_little() -> None:
    rng = np.random.default_rng(5)
    counting = learn(rng.poisson(40.0, 240))
    bursty = learn(rng.negative_binomial(2, 2 / 42, 240))  # mean 40, variance 840
    assert counting.dispersion is not None and counting.dispersion < 1.5
    assert bursty.dispersion is not None and bursty.dispersion > 5
    short = learn(rng.poisson(40.0, MIN_HISTORY - 1))
    assert short.dispersion is None and short.steps == MIN_HISTORY - 1
    assert f"{MIN_HISTORY} needed" in short.said
    # A rate's events are judged against its traffic: a load that swings tenfold is no noise.
    traffic = np.repeat([100.0, 1000.0], 120)
    assert (learn(rng.poisson(traffic * 0.05), traffic).dispersion or 99) < 1.5


def test_a_call_burstier_than_its_history_keeps_its_own_noise() -> None:
    learnt = LearntNoise(dispersion=1.2, steps=240)
    # Within chance of 12 steps: pooled with the history's, weighed 11 to 119.
    assert applied(1.6, 12, learnt) == pytest.approx((119 * 1.2 + 11 * 1.6) / 130)
    assert applied(9.0, 12, learnt) == 9.0  # far beyond: the call's own, wider
    assert applied(1.0, 4, learnt) == 1.2  # too few steps to estimate: the history's
    assert applied(1.6, 12, None) == 1.6
    assert applied(1.6, 12, LearntNoise(steps=3)) == 1.6


@pytest.mark.parametrize("given", ["nan", "inf", -60])
def test_a_history_that_is_no_duration_is_refused(given: object) -> None:
    with pytest.raises(ValueError, match="history"):
        CanaryConfig.model_validate({"history": given})
    assert CanaryConfig.model_validate({"history": 0}).history == 0.0
    assert CanaryConfig.model_validate({"history": "2h"}).history == 7200.0
